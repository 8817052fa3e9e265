"""The triggers that keep the search index in step with the catalog, inside the writer's transaction.

Whoever writes labels, text lines, faces, people or photos (the analyzer, the
people page, the scanner) keeps the index in step without knowing it exists.
Triggers run once per row, so each does only that row's share: a label row
adds its own postings (keeping the best score per term and photo), and a
removed row re-derives only the terms it named, from the rows that remain.
"""

from __future__ import annotations

import sqlite3

from photosorter.core.catalog.search_derive import VISIBLE, camera, derived, label_rows, path_row
from photosorter.core.catalog.sqlscript import run_script

_TERMS_FROM = """
        INSERT INTO search_terms (kind, key, display, body)
        SELECT kind, key, display, body FROM ({rows}) WHERE key IS NOT NULL
        ON CONFLICT (kind, key) DO UPDATE SET body = body || ' ' || excluded.body
         WHERE instr(body, excluded.body) = 0;"""


def _refresh(group: str, hash_expr: str, photo_cond: str) -> str:
    """Re-derives one group's postings for the photos matching ``photo_cond`` (all of one content)."""
    rows = derived(group, "{t}.hash = " + hash_expr)
    return f"""
        DELETE FROM search_postings WHERE grp = '{group}' AND photo_id IN (SELECT p.id FROM photos p
         WHERE {photo_cond});
        {_TERMS_FROM.format(rows=rows)}
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, '{group}', max(d.score), p.taken_at, d.source
          FROM ({rows}) d
          JOIN photos p ON p.hash = d.hash
          JOIN search_terms t ON t.kind = d.kind AND t.key = d.key
         WHERE {photo_cond} AND p.state IN {VISIBLE}
         GROUP BY t.id, p.id;
    """


def _label_added(row: str) -> str:
    """One label row's postings, kept only where they beat what the photo already had for the term.

    (A term the row names twice, say a parent listed twice, is settled by the same upsert.)
    """
    return f"""
        {_TERMS_FROM.format(rows=label_rows(row))}
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'labels', d.score, p.taken_at, d.source
          FROM ({label_rows(row)}) d
          JOIN search_terms t ON t.kind = d.kind AND t.key = d.key
          JOIN photos p ON p.hash = {row}.hash
         WHERE p.state IN {VISIBLE}
        ON CONFLICT (term_id, photo_id) DO UPDATE SET score = excluded.score, source = excluded.source
         WHERE excluded.score > score;"""


def _label_removed(row: str) -> str:
    """Drops the terms one label row named from its photos, then re-derives them from the rows left."""
    named = f"SELECT t.id FROM ({label_rows(row)}) d JOIN search_terms t ON t.kind = d.kind AND t.key = d.key"
    return f"""
        DELETE FROM search_postings WHERE term_id IN ({named})
           AND photo_id IN (SELECT id FROM photos WHERE hash = {row}.hash);
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'labels', max(d.score), p.taken_at, d.source
          FROM ({derived("labels", "{t}.hash = " + row + ".hash")}) d
          JOIN search_terms t ON t.kind = d.kind AND t.key = d.key
          JOIN photos p ON p.hash = {row}.hash
         WHERE p.state IN {VISIBLE} AND t.id IN ({named})
         GROUP BY t.id, p.id;"""


def _has_text(row: str, *, added: bool) -> str:
    term = "(SELECT id FROM search_terms WHERE kind = 'has' AND key = 'text')"
    if added:
        return f"""
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT {term}, p.id, 'text', 0.0, p.taken_at, NULL FROM photos p
         WHERE p.hash = {row}.hash AND p.state IN {VISIBLE}
        ON CONFLICT (term_id, photo_id) DO NOTHING;"""
    return f"""
        DELETE FROM search_postings WHERE term_id = {term}
           AND photo_id IN (SELECT id FROM photos WHERE hash = {row}.hash)
           AND NOT EXISTS (SELECT 1 FROM text_lines WHERE hash = {row}.hash);"""


def _camera(row: str) -> str:
    """A photo's camera is a term of its own: ``camera:canon`` reads a short posting list."""
    return f"""
        DELETE FROM search_postings WHERE grp = 'camera' AND photo_id = {row}.id;
        INSERT INTO search_terms (kind, key, display, body)
        SELECT 'camera', lower(c), c, c FROM (SELECT {camera(row)} AS c) WHERE c != ''
        ON CONFLICT (kind, key) DO NOTHING;
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, {row}.id, 'camera', 0.0, {row}.taken_at, NULL FROM search_terms t
         WHERE t.kind = 'camera' AND t.key = lower({camera(row)}) AND {row}.state IN {VISIBLE};"""


def _refresh_duplicates(hash_expr: str) -> str:
    return f"""
        DELETE FROM search_postings WHERE grp = 'dup'
           AND photo_id IN (SELECT id FROM photos WHERE hash = {hash_expr});
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'dup', 0.0, p.taken_at, NULL FROM photos p, search_terms t
         WHERE p.hash = {hash_expr} AND p.state IN {VISIBLE} AND t.kind = 'is' AND t.key = 'duplicate'
           AND (SELECT count(*) FROM photos q WHERE q.hash = {hash_expr} AND q.state IN {VISIBLE}) > 1;
    """


def _analysed(hash_expr: str) -> str:
    """Whether a content has any row the index derives postings from."""
    return (
        f"(EXISTS (SELECT 1 FROM labels WHERE hash = {hash_expr})"
        f" OR EXISTS (SELECT 1 FROM text_lines WHERE hash = {hash_expr})"
        f" OR EXISTS (SELECT 1 FROM faces WHERE hash = {hash_expr}))"
    )


def _all_groups(hash_expr: str, photo_cond: str) -> str:
    return "".join(_refresh(group, hash_expr, photo_cond) for group in ("labels", "text", "faces"))


_VISIBILITY_CHANGED = (
    f"OLD.hash IS NOT NEW.hash OR OLD.taken_at IS NOT NEW.taken_at"
    f" OR (OLD.state IN {VISIBLE}) IS NOT (NEW.state IN {VISIBLE})"
)
_PATH_CHANGED = "OLD.path IS NOT NEW.path OR OLD.name IS NOT NEW.name"
_TEXT_ROW = (
    "(SELECT id FROM search_text_rows WHERE hash = {r}.hash AND backend = {r}.backend AND line = {r}.line)"
)
_TEXT_INSERT = f"""
        INSERT OR REPLACE INTO search_text_rows (hash, backend, line, confidence)
        VALUES (NEW.hash, NEW.backend, NEW.line, NEW.confidence);
        INSERT INTO search_text (rowid, text) VALUES ({_TEXT_ROW.format(r="NEW")}, NEW.text);"""
_TEXT_DELETE = f"""
        DELETE FROM search_text WHERE rowid = {_TEXT_ROW.format(r="OLD")};
        DELETE FROM search_text_rows WHERE hash = OLD.hash AND backend = OLD.backend AND line = OLD.line;"""
_PERSON_TERM = "(SELECT id FROM search_terms WHERE kind = 'person' AND key = CAST({r}.id AS TEXT))"


def _faces(hash_expr: str) -> str:
    return _refresh("faces", hash_expr, f"p.hash = {hash_expr}")


_PARTS = {
    "search_labels_insert": ("AFTER INSERT ON labels", _label_added("NEW")),
    "search_labels_delete": ("AFTER DELETE ON labels", _label_removed("OLD")),
    "search_labels_update": ("AFTER UPDATE ON labels", _label_removed("OLD") + _label_added("NEW")),
    "search_text_insert": ("AFTER INSERT ON text_lines", _TEXT_INSERT + _has_text("NEW", added=True)),
    "search_text_delete": ("AFTER DELETE ON text_lines", _TEXT_DELETE + _has_text("OLD", added=False)),
    "search_text_update": (
        "AFTER UPDATE ON text_lines",
        _TEXT_DELETE + _TEXT_INSERT + _has_text("OLD", added=False) + _has_text("NEW", added=True),
    ),
    # a photo has a handful of faces, and their counts are aggregates: re-derived whole
    "search_faces_insert": ("AFTER INSERT ON faces", _faces("NEW.hash")),
    "search_faces_delete": ("AFTER DELETE ON faces", _faces("OLD.hash")),
    "search_faces_update": (
        "AFTER UPDATE OF hash, person_id, attributes ON faces",
        _faces("OLD.hash") + _faces("NEW.hash"),
    ),
    "search_people_insert": (
        "AFTER INSERT ON people",
        "INSERT OR IGNORE INTO search_terms (kind, key, display, body)"
        " VALUES ('person', CAST(NEW.id AS TEXT), NEW.name, NEW.name);",
    ),
    "search_people_rename": (
        "AFTER UPDATE OF name ON people",
        "UPDATE search_terms SET display = NEW.name, body = NEW.name"
        " WHERE kind = 'person' AND key = CAST(NEW.id AS TEXT);"
        f"UPDATE search_postings SET source = NEW.name WHERE term_id = {_PERSON_TERM.format(r='NEW')};",
    ),
    "search_people_delete": (
        "AFTER DELETE ON people",
        f"DELETE FROM search_postings WHERE term_id = {_PERSON_TERM.format(r='OLD')};"
        "DELETE FROM search_terms WHERE kind = 'person' AND key = CAST(OLD.id AS TEXT);",
    ),
    "search_photos_insert": (
        "AFTER INSERT ON photos",
        f"INSERT INTO search_paths (rowid, folder, name) SELECT {path_row('NEW')};",
    ),
    # the scanner inserts a photo before it knows its content or camera: nothing to derive until then
    "search_photos_insert_content": (
        f"AFTER INSERT ON photos WHEN NEW.state IN {VISIBLE} AND {_analysed('NEW.hash')}",
        _all_groups("NEW.hash", "p.id = NEW.id"),
    ),
    "search_photos_insert_camera": (
        f"AFTER INSERT ON photos WHEN NEW.state IN {VISIBLE} AND {camera('NEW')} != ''",
        _camera("NEW"),
    ),
    "search_photos_insert_duplicate": (
        f"AFTER INSERT ON photos WHEN NEW.state IN {VISIBLE} AND NEW.hash IS NOT NULL",
        _refresh_duplicates("NEW.hash"),
    ),
    # Each trigger below re-derives only its own groups (each refresh deletes what it replaces), so
    # they may fire in any order; content with no analysis rows (a photo just scanned) has no postings.
    "search_photos_visibility": (
        f"AFTER UPDATE OF hash, state, taken_at ON photos WHEN {_VISIBILITY_CHANGED}",
        _refresh_duplicates("OLD.hash") + _refresh_duplicates("NEW.hash") + _camera("NEW"),
    ),
    "search_photos_visibility_content": (
        f"AFTER UPDATE OF hash, state, taken_at ON photos WHEN ({_VISIBILITY_CHANGED})"
        f" AND ({_analysed('OLD.hash')} OR {_analysed('NEW.hash')})",
        _all_groups("NEW.hash", "p.id = NEW.id"),
    ),
    "search_photos_path": (
        f"AFTER UPDATE OF path, name ON photos WHEN {_PATH_CHANGED}",
        f"DELETE FROM search_paths WHERE rowid = OLD.id;"
        f"INSERT INTO search_paths (rowid, folder, name) SELECT {path_row('NEW')};",
    ),
    "search_photos_camera": (
        # (a visibility change refreshes the camera too)
        "AFTER UPDATE OF camera_make, camera_model ON photos"
        " WHEN (OLD.camera_make IS NOT NEW.camera_make OR OLD.camera_model IS NOT NEW.camera_model)"
        f" AND NOT ({_VISIBILITY_CHANGED})",
        _camera("NEW"),
    ),
    "search_photos_delete": (
        "AFTER DELETE ON photos",
        "DELETE FROM search_paths WHERE rowid = OLD.id;"
        "DELETE FROM search_postings WHERE photo_id = OLD.id;" + _refresh_duplicates("OLD.hash"),
    ),
    # the sidebar's counts, kept exact by every posting written or removed
    "search_postings_count_insert": (
        "AFTER INSERT ON search_postings",
        "UPDATE search_terms SET photos = photos + 1 WHERE id = NEW.term_id;",
    ),
    "search_postings_count_delete": (
        "AFTER DELETE ON search_postings",
        "UPDATE search_terms SET photos = photos - 1 WHERE id = OLD.term_id;",
    ),
    "search_terms_fts_insert": (
        "AFTER INSERT ON search_terms",
        "INSERT INTO search_terms_fts (rowid, body) VALUES (NEW.id, NEW.body);",
    ),
    "search_terms_fts_update": (
        "AFTER UPDATE OF body ON search_terms",
        "INSERT INTO search_terms_fts (search_terms_fts, rowid, body) VALUES ('delete', OLD.id, OLD.body);"
        "INSERT INTO search_terms_fts (rowid, body) VALUES (NEW.id, NEW.body);",
    ),
    "search_terms_fts_delete": (
        "AFTER DELETE ON search_terms",
        "INSERT INTO search_terms_fts (search_terms_fts, rowid, body) VALUES ('delete', OLD.id, OLD.body);",
    ),
}

TRIGGER_NAMES = tuple(_PARTS)


def create_triggers(conn: sqlite3.Connection) -> None:
    script = (
        f"CREATE TRIGGER {name} {when} BEGIN {body.strip()}\nEND;" for name, (when, body) in _PARTS.items()
    )
    run_script(conn, "\n".join(script))


def drop_triggers(conn: sqlite3.Connection) -> None:
    """For bulk loads only (the benchmark): rebuild() then create_triggers() must follow."""
    for name in TRIGGER_NAMES:
        # names are this module's own constants
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
