"""Schema v2: the search index, kept in step with the catalog by triggers.

Whoever writes labels, text lines, faces, people or photos (the analyzer, the
people page, the scanner) keeps the index in step without knowing it exists:
triggers run inside the writer's own transaction, so the index can never be
newer or older than what it indexes.

Shape:
- ``search_terms``: everything a word can name that has a photo list — a label
  (or a parent of one), a category, a person, a face attribute word (``smiling``),
  and the fixed flags (``has:text``, ``is:duplicate``, ...). ``photos`` is its
  count of visible photos, for the sidebar. ``search_terms_fts`` matches words
  to terms ignoring case and accents.
- ``search_postings``: one row per (term, visible photo) with the confidence it
  matched with and the photo's date, ordered by an index so a one-term query
  is an index range scan with no sort.
- ``search_text``/``search_text_rows``: detected text lines, by content hash.
- ``search_paths``: folder, file name and camera of every photo, by photo id.
"""

from __future__ import annotations

import sqlite3

# the module, not the name: schema.py imports this file while it is still loading
from photosorter.core.catalog import schema

TOKENIZER = "unicode61 remove_diacritics 2"
VISIBLE = "('ok', 'offline')"

# Face attribute values that become searchable words: (attribute, value, word).
FACE_WORDS = (
    ("smile", "1", "smiling"),
    ("smile", "1", "smile"),
    ("eyeglasses", "1", "eyeglasses"),
    ("eyeglasses", "1", "glasses"),
    ("sunglasses", "1", "sunglasses"),
    ("beard", "1", "beard"),
    ("mustache", "1", "mustache"),
    ("mustache", "1", "moustache"),
    ("gender", "female", "female"),
    ("gender", "male", "male"),
)
EMOTION_MIN_CONFIDENCE = 50.0

_TABLES = f"""
CREATE TABLE search_terms (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    display TEXT NOT NULL,
    body TEXT NOT NULL,
    photos INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kind, key)
);
CREATE INDEX search_terms_count ON search_terms(kind, photos);
CREATE VIRTUAL TABLE search_terms_fts USING fts5(body, content='', tokenize='{TOKENIZER}');

-- grp says which refresh owns a row: labels, text, faces or dup
CREATE TABLE search_postings (
    term_id INTEGER NOT NULL,
    photo_id INTEGER NOT NULL,
    grp TEXT NOT NULL,
    score REAL NOT NULL,
    taken_at TEXT,
    source TEXT,
    PRIMARY KEY (term_id, photo_id)
) WITHOUT ROWID;
CREATE INDEX search_postings_rank ON search_postings(term_id, score DESC, taken_at DESC, photo_id DESC);
CREATE INDEX search_postings_photo ON search_postings(photo_id, grp);

CREATE TABLE search_text_rows (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    backend TEXT NOT NULL,
    line INTEGER NOT NULL,
    confidence REAL NOT NULL,
    UNIQUE (hash, backend, line)
);
CREATE VIRTUAL TABLE search_text USING fts5(text, tokenize='{TOKENIZER}');
CREATE VIRTUAL TABLE search_paths USING fts5(folder, name, camera, tokenize='{TOKENIZER}');

CREATE TABLE search_face_words (attr TEXT NOT NULL, value TEXT NOT NULL, word TEXT NOT NULL);

-- the gallery's default order, for visible photos only, without a sort
CREATE INDEX search_photos_visible ON photos(taken_at DESC, id DESC) WHERE state IN {VISIBLE};
CREATE INDEX search_photos_path_order ON photos(path);
"""

_FLAGS = (("has", "text"), ("has", "faces"), ("is", "duplicate"), ("is", "unnamed"))


def _guard(column: str, empty: str) -> str:
    """JSON written by others is trusted only once it parses."""
    return f"(CASE WHEN json_valid({column}) THEN {column} ELSE '{empty}' END)"


def _derived(group: str, where_hash: str) -> str:
    """(hash, kind, key, score, source, display, body) rows a refresh of ``group`` derives."""
    if group == "labels":
        aliases = (
            f"coalesce((SELECT group_concat(value, ' ') FROM json_each({_guard('l.aliases', '[]')})), '')"
        )
        return f"""
            SELECT l.hash, 'label' AS kind, lower(l.name) AS key, l.confidence AS score, l.name AS source,
                   l.name AS display, l.name || ' ' || {aliases} AS body
              FROM labels l WHERE {where_hash.format(t="l")}
            UNION ALL
            SELECT l.hash, 'label', lower(j.value), l.confidence, l.name, j.value, j.value
              FROM labels l, json_each({_guard("l.parents", "[]")}) j
             WHERE {where_hash.format(t="l")} AND j.type = 'text'
            UNION ALL
            SELECT l.hash, 'category', lower(j.value), l.confidence, l.name, j.value, j.value
              FROM labels l, json_each({_guard("l.categories", "[]")}) j
             WHERE {where_hash.format(t="l")} AND j.type = 'text'"""
    if group == "text":
        return f"""
            SELECT t.hash, 'has' AS kind, 'text' AS key, 0.0 AS score, NULL AS source, 'text' AS display,
                   'text' AS body
              FROM text_lines t WHERE {where_hash.format(t="t")} GROUP BY t.hash"""
    if group == "faces":
        attrs = _guard("f.attributes", "{}")
        value = "lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END)"  # noqa: E501
        conf = "(CASE WHEN {v}.type = 'object' THEN coalesce(json_extract({v}.value, '$.confidence'), json_extract({v}.value, '$.Confidence'), f.confidence) ELSE f.confidence END)"  # noqa: E501
        emotion = "lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type')))"
        return f"""
            SELECT f.hash, 'person' AS kind, CAST(f.person_id AS TEXT) AS key, 100.0 AS score, pe.name AS source,
                   pe.name AS display, pe.name AS body
              FROM faces f JOIN people pe ON pe.id = f.person_id WHERE {where_hash.format(t="f")}
            UNION ALL
            SELECT f.hash, 'has', 'faces', 0.0, NULL, 'faces', 'faces' FROM faces f
             WHERE {where_hash.format(t="f")}
            UNION ALL
            SELECT f.hash, 'is', 'unnamed', 0.0, NULL, 'unnamed', 'unnamed' FROM faces f
             WHERE {where_hash.format(t="f")} AND f.person_id IS NULL
            UNION ALL
            SELECT hash, 'faces', CAST(max(n) AS TEXT), 0.0, NULL, CAST(max(n) AS TEXT), '' FROM (
                SELECT f.hash, count(*) AS n FROM faces f WHERE {where_hash.format(t="f")}
                 GROUP BY f.hash, f.backend) GROUP BY hash
            UNION ALL
            SELECT f.hash, 'face', w.word, {conf.format(v="a")}, NULL, w.word, w.word
              FROM faces f, json_each({attrs}) a
              JOIN search_face_words w ON w.attr = lower(a.key)
               AND w.value = (CASE {value} WHEN 'true' THEN '1' WHEN 'false' THEN '0' ELSE {value} END)
             WHERE {where_hash.format(t="f")} AND json_type({attrs}) = 'object'
            UNION ALL
            SELECT f.hash, 'face', {emotion}, {conf.format(v="e")}, NULL, {emotion}, {emotion}
              FROM faces f, json_each({attrs}) a,
                   json_each(CASE WHEN a.type = 'array' THEN a.value ELSE '[]' END) e
             WHERE {where_hash.format(t="f")} AND json_type({attrs}) = 'object' AND lower(a.key) = 'emotions'
               AND e.type = 'object' AND {emotion} IS NOT NULL
               AND {conf.format(v="e")} >= {EMOTION_MIN_CONFIDENCE}"""
    raise ValueError(group)


def _refresh(group: str, hash_expr: str | None, photo_cond: str) -> str:
    """Statements that re-derive one group's postings for the photos matching ``photo_cond``.

    ``hash_expr`` narrows the base tables to one content (triggers); None means all (rebuild).
    """
    where_hash = "{t}.hash = " + hash_expr if hash_expr else "1"
    derived = _derived(group, where_hash)
    delete = (
        f"DELETE FROM search_postings WHERE grp = '{group}' AND photo_id IN (SELECT p.id FROM photos p "
        f"WHERE {photo_cond});\n"
        if hash_expr
        else ""
    )
    return f"""{delete}
        INSERT INTO search_terms (kind, key, display, body)
        SELECT kind, key, display, body FROM ({derived}) WHERE key IS NOT NULL
        ON CONFLICT (kind, key) DO UPDATE SET body = body || ' ' || excluded.body
         WHERE instr(body, excluded.body) = 0;
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, '{group}', max(d.score), p.taken_at, d.source
          FROM ({derived}) d
          JOIN photos p ON p.hash = d.hash
          JOIN search_terms t ON t.kind = d.kind AND t.key = d.key
         WHERE {photo_cond} AND p.state IN {VISIBLE}
         GROUP BY t.id, p.id;
    """


def _refresh_duplicates(hash_expr: str) -> str:
    return f"""
        DELETE FROM search_postings WHERE grp = 'dup' AND photo_id IN (SELECT id FROM photos WHERE hash = {hash_expr});
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'dup', 0.0, p.taken_at, NULL FROM photos p, search_terms t
         WHERE p.hash = {hash_expr} AND p.state IN {VISIBLE} AND t.kind = 'is' AND t.key = 'duplicate'
           AND (SELECT count(*) FROM photos q WHERE q.hash = {hash_expr} AND q.state IN {VISIBLE}) > 1;
    """  # noqa: E501


def _path_row(row: str) -> str:
    folder = (
        f"CASE WHEN typeof({row}.path) = 'text' AND substr({row}.path, -length({row}.name)) = {row}.name "
        f"THEN substr({row}.path, 1, length({row}.path) - length({row}.name)) ELSE CAST({row}.path AS TEXT) END"
    )
    camera = f"trim(coalesce({row}.camera_make, '') || ' ' || coalesce({row}.camera_model, ''))"
    return f"{row}.id, {folder}, {row}.name, {camera}"


def _all_groups(hash_expr: str, photo_cond: str) -> str:
    return "".join(_refresh(group, hash_expr, photo_cond) for group in ("labels", "text", "faces"))


_VISIBILITY_CHANGED = (
    f"OLD.hash IS NOT NEW.hash OR OLD.taken_at IS NOT NEW.taken_at"
    f" OR (OLD.state IN {VISIBLE}) IS NOT (NEW.state IN {VISIBLE})"
)
_PATH_CHANGED = (
    "OLD.path IS NOT NEW.path OR OLD.name IS NOT NEW.name OR OLD.camera_make IS NOT NEW.camera_make"
    " OR OLD.camera_model IS NOT NEW.camera_model"
)
_TEXT_ROW = (
    "(SELECT id FROM search_text_rows WHERE hash = {r}.hash AND backend = {r}.backend AND line = {r}.line)"
)


def _triggers() -> str:
    by_hash = "p.hash = {h}"
    text_insert = f"""
        INSERT OR REPLACE INTO search_text_rows (hash, backend, line, confidence)
        VALUES (NEW.hash, NEW.backend, NEW.line, NEW.confidence);
        INSERT INTO search_text (rowid, text) VALUES ({_TEXT_ROW.format(r="NEW")}, NEW.text);"""
    text_delete = f"""
        DELETE FROM search_text WHERE rowid = {_TEXT_ROW.format(r="OLD")};
        DELETE FROM search_text_rows WHERE hash = OLD.hash AND backend = OLD.backend AND line = OLD.line;"""
    parts = {
        "search_labels_insert": (
            "AFTER INSERT ON labels",
            _refresh("labels", "NEW.hash", by_hash.format(h="NEW.hash")),
        ),
        "search_labels_delete": (
            "AFTER DELETE ON labels",
            _refresh("labels", "OLD.hash", by_hash.format(h="OLD.hash")),
        ),
        "search_labels_update": (
            "AFTER UPDATE ON labels",
            _refresh("labels", "OLD.hash", by_hash.format(h="OLD.hash"))
            + _refresh("labels", "NEW.hash", by_hash.format(h="NEW.hash")),
        ),
        "search_text_insert": (
            "AFTER INSERT ON text_lines",
            text_insert + _refresh("text", "NEW.hash", by_hash.format(h="NEW.hash")),
        ),
        "search_text_delete": (
            "AFTER DELETE ON text_lines",
            text_delete + _refresh("text", "OLD.hash", by_hash.format(h="OLD.hash")),
        ),
        "search_text_update": (
            "AFTER UPDATE ON text_lines",
            text_delete
            + text_insert
            + _refresh("text", "OLD.hash", by_hash.format(h="OLD.hash"))
            + _refresh("text", "NEW.hash", by_hash.format(h="NEW.hash")),
        ),
        "search_faces_insert": (
            "AFTER INSERT ON faces",
            _refresh("faces", "NEW.hash", by_hash.format(h="NEW.hash")),
        ),
        "search_faces_delete": (
            "AFTER DELETE ON faces",
            _refresh("faces", "OLD.hash", by_hash.format(h="OLD.hash")),
        ),
        "search_faces_update": (
            "AFTER UPDATE OF hash, person_id, attributes ON faces",
            _refresh("faces", "OLD.hash", by_hash.format(h="OLD.hash"))
            + _refresh("faces", "NEW.hash", by_hash.format(h="NEW.hash")),
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
            "UPDATE search_postings SET source = NEW.name"
            " WHERE term_id = (SELECT id FROM search_terms WHERE kind = 'person' AND key = CAST(NEW.id AS TEXT));",
        ),
        "search_people_delete": (
            "AFTER DELETE ON people",
            "DELETE FROM search_postings WHERE term_id IN"
            " (SELECT id FROM search_terms WHERE kind = 'person' AND key = CAST(OLD.id AS TEXT));"
            "DELETE FROM search_terms WHERE kind = 'person' AND key = CAST(OLD.id AS TEXT);",
        ),
        "search_photos_insert": (
            "AFTER INSERT ON photos",
            f"INSERT INTO search_paths (rowid, folder, name, camera) SELECT {_path_row('NEW')};"
            + _all_groups("NEW.hash", "p.id = NEW.id")
            + _refresh_duplicates("NEW.hash"),
        ),
        "search_photos_visibility": (
            f"AFTER UPDATE OF hash, state, taken_at ON photos WHEN {_VISIBILITY_CHANGED}",
            "DELETE FROM search_postings WHERE photo_id = NEW.id;"
            + _all_groups("NEW.hash", "p.id = NEW.id")
            + _refresh_duplicates("OLD.hash")
            + _refresh_duplicates("NEW.hash"),
        ),
        "search_photos_path": (
            f"AFTER UPDATE OF path, name, camera_make, camera_model ON photos WHEN {_PATH_CHANGED}",
            f"DELETE FROM search_paths WHERE rowid = OLD.id;"
            f"INSERT INTO search_paths (rowid, folder, name, camera) SELECT {_path_row('NEW')};",
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
    return "\n".join(
        f"CREATE TRIGGER {name} {when} BEGIN {body.strip()}\nEND;" for name, (when, body) in parts.items()
    )


TRIGGER_NAMES = [
    "search_labels_insert",
    "search_labels_delete",
    "search_labels_update",
    "search_text_insert",
    "search_text_delete",
    "search_text_update",
    "search_faces_insert",
    "search_faces_delete",
    "search_faces_update",
    "search_people_insert",
    "search_people_rename",
    "search_people_delete",
    "search_photos_insert",
    "search_photos_visibility",
    "search_photos_path",
    "search_photos_delete",
    "search_postings_count_insert",
    "search_postings_count_delete",
    "search_terms_fts_insert",
    "search_terms_fts_update",
    "search_terms_fts_delete",
]


def create_triggers(conn: sqlite3.Connection) -> None:
    schema.run_script(conn, _triggers())


def drop_triggers(conn: sqlite3.Connection) -> None:
    """For bulk loads only (the benchmark): rebuild() then create_triggers() must follow."""
    for name in TRIGGER_NAMES:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")


def rebuild(conn: sqlite3.Connection) -> None:
    """Builds the whole index from the catalog's rows (with the triggers dropped or not yet created)."""
    schema.run_script(
        conn,
        """
        DELETE FROM search_postings;
        DELETE FROM search_terms;
        DELETE FROM search_text_rows;
        DELETE FROM search_text;
        DELETE FROM search_paths;
        DELETE FROM search_face_words;
        INSERT INTO search_terms_fts (search_terms_fts) VALUES ('delete-all');
        """,
    )
    conn.executemany("INSERT INTO search_face_words (attr, value, word) VALUES (?, ?, ?)", FACE_WORDS)
    conn.executemany(
        "INSERT INTO search_terms (kind, key, display, body) VALUES (?, ?, ?, ?)",
        [(kind, key, f"{kind}:{key}", "") for kind, key in _FLAGS],
    )
    schema.run_script(
        conn,
        f"""
        INSERT OR IGNORE INTO search_terms (kind, key, display, body)
        SELECT 'person', CAST(id AS TEXT), name, name FROM people;
        {"".join(_refresh(group, None, "1") for group in ("labels", "text", "faces"))}
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'dup', 0.0, p.taken_at, NULL FROM photos p, search_terms t
         WHERE t.kind = 'is' AND t.key = 'duplicate' AND p.state IN {VISIBLE} AND p.hash IN (
               SELECT hash FROM photos WHERE state IN {VISIBLE} AND hash IS NOT NULL
                GROUP BY hash HAVING count(*) > 1);
        INSERT INTO search_text_rows (hash, backend, line, confidence)
        SELECT hash, backend, line, confidence FROM text_lines;
        INSERT INTO search_text (rowid, text)
        SELECT r.id, t.text FROM text_lines t JOIN search_text_rows r
            ON r.hash = t.hash AND r.backend = t.backend AND r.line = t.line;
        INSERT INTO search_paths (rowid, folder, name, camera) SELECT {_path_row("photos")} FROM photos;
        UPDATE search_terms SET photos = (SELECT count(*) FROM search_postings WHERE term_id = search_terms.id);
        INSERT INTO search_terms_fts (rowid, body) SELECT id, body FROM search_terms;
        """,
    )


def migrate_v2_search_index(conn: sqlite3.Connection) -> None:
    """v2: the search index, built for the rows already in the catalog, then kept in step by triggers."""
    schema.run_script(conn, _TABLES)
    rebuild(conn)
    create_triggers(conn)
