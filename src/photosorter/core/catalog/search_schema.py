"""The search index (created by schema step v2): rebuilt from the catalog's rows, kept in step by triggers.

Whoever writes labels, text lines, faces, people or photos (the analyzer, the
people page, the scanner) keeps the index in step without knowing it exists:
triggers (``search_triggers.py``) run inside the writer's own transaction, so
the index can never be newer or older than what it indexes. What a row derives
is written once, in ``search_derive.py``, for both the rebuild and the triggers.

Shape:
- ``search_terms``: everything a word can name that has a photo list — a label
  (or a parent of one), a category, a person, a face attribute word (``smiling``),
  a camera, and the fixed flags (``has:text``, ``is:duplicate``, ...). ``photos`` is its
  count of visible photos, for the sidebar. ``search_terms_fts`` matches words
  to terms ignoring case and accents.
- ``search_postings``: one row per (term, visible photo) with the confidence it
  matched with and the photo's date, ordered by an index so a one-term query
  is an index range scan with no sort.
- ``search_text``/``search_text_rows``: detected text lines, by content hash.
- ``search_paths``: folder and file name of every photo, by photo id. A camera is a term
  (kind ``camera``) so that ``camera:canon`` reads a posting list.
"""

from __future__ import annotations

import sqlite3

from photosorter.core.catalog.search_derive import FACE_WORDS, VISIBLE, camera, derived, path_row
from photosorter.core.catalog.search_triggers import create_triggers, drop_triggers
from photosorter.core.catalog.sqlscript import run_script

__all__ = ["create_triggers", "drop_triggers", "rebuild"]

TOKENIZER = "unicode61 remove_diacritics 2"

# built after a bulk load rather than row by row during it
_POSTINGS_INDEXES = """
CREATE INDEX search_postings_rank ON search_postings(term_id, score DESC, taken_at DESC, photo_id DESC);
CREATE INDEX search_postings_photo ON search_postings(photo_id, grp);
"""

_FLAGS = (("has", "text"), ("has", "faces"), ("is", "duplicate"), ("is", "unnamed"))


def rebuild(conn: sqlite3.Connection) -> None:
    """Builds the whole index from the catalog's rows (with the triggers dropped or not yet created).

    The derived rows go to an indexed temporary table first: joining the derivation itself to
    ``photos`` made SQLite re-derive per photo (20,000 photos took minutes).
    """
    run_script(
        conn,
        """
        DELETE FROM search_postings;
        DROP INDEX search_postings_rank;
        DROP INDEX search_postings_photo;
        DELETE FROM search_terms;
        DELETE FROM search_text_rows;
        DELETE FROM search_text;
        DELETE FROM search_paths;
        DELETE FROM search_face_words;
        INSERT INTO search_terms_fts (search_terms_fts) VALUES ('delete-all');
        DROP TABLE IF EXISTS temp.search_derived;
        CREATE TEMP TABLE search_derived (
            hash TEXT, grp TEXT, kind TEXT, key TEXT, score REAL, source TEXT, display TEXT, body TEXT
        );
        """,
    )
    conn.executemany("INSERT INTO search_face_words (attr, value, word) VALUES (?, ?, ?)", FACE_WORDS)
    conn.executemany(
        "INSERT INTO search_terms (kind, key, display, body) VALUES (?, ?, ?, ?)",
        [(kind, key, f"{kind}:{key}", "") for kind, key in _FLAGS],
    )
    derive = "".join(
        f"""
        INSERT INTO temp.search_derived (hash, grp, kind, key, score, source, display, body)
        SELECT hash, '{group}', kind, key, score, source, display, body FROM ({derived(group, "1")})
         WHERE key IS NOT NULL AND hash IS NOT NULL;"""
        for group in ("labels", "text", "faces")
    )
    run_script(
        conn,
        f"""
        INSERT OR IGNORE INTO search_terms (kind, key, display, body)
        SELECT 'person', CAST(id AS TEXT), name, name FROM people;
        {derive}
        CREATE INDEX temp.search_derived_hash ON search_derived(hash);
        INSERT INTO search_terms (kind, key, display, body)
        SELECT kind, key, min(display), group_concat(DISTINCT body) FROM temp.search_derived WHERE 1
         GROUP BY kind, key
        ON CONFLICT (kind, key) DO UPDATE SET body = body || ' ' || excluded.body
         WHERE instr(body, excluded.body) = 0;
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, d.grp, max(d.score), p.taken_at, d.source
          FROM temp.search_derived d
          JOIN search_terms t ON t.kind = d.kind AND t.key = d.key
          JOIN photos p ON p.hash = d.hash
         WHERE p.state IN {VISIBLE}
         GROUP BY t.id, p.id;
        DROP TABLE temp.search_derived;
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
        INSERT INTO search_paths (rowid, folder, name) SELECT {path_row("photos")} FROM photos;
        INSERT OR IGNORE INTO search_terms (kind, key, display, body)
        SELECT 'camera', lower(c), c, c FROM (SELECT DISTINCT {camera("photos")} AS c FROM photos)
         WHERE c != '';
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'camera', 0.0, p.taken_at, NULL FROM photos p
          JOIN search_terms t ON t.kind = 'camera' AND t.key = lower({camera("p")})
         WHERE p.state IN {VISIBLE} ORDER BY t.id, p.id;
        UPDATE search_terms
           SET photos = (SELECT count(*) FROM search_postings WHERE term_id = search_terms.id);
        INSERT INTO search_terms_fts (rowid, body) SELECT id, body FROM search_terms;
        """,
    )
    run_script(conn, _POSTINGS_INDEXES)
