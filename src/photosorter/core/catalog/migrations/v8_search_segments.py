"""Schema step v8: the search index as posting lists in segments, kept in step by marks of what changed.

v2 kept a row per (term, photo) and derived it in triggers: 2.95 ms of trigger work per stored
analysis result and a ten-minute backfill for a million photos. v8 drops all of it (tables, FTS
tables and the triggers on the catalog's own tables) and keeps:

- ``search_terms``: what a word can name (a label, a category, a face word, a camera, a word of
  detected text or of a path, a flag), with the words that name it;
- ``search_segments`` / ``search_lists``: each segment holds, per term, the photos it matched and
  their scores as packed arrays; a segment lists the photos it derived, whose postings in older
  segments are void;
- ``search_stale``: what changed since the segments were written, one cheap row per written row,
  appended by the triggers below; the index derives those photos again (in memory at once, into a new
  segment later). The step marks every photo stale, so the first search builds the whole index.

Frozen text: never edit it; a change to the search index is a new step.
"""

from __future__ import annotations

import sqlite3

from photosorter.core.catalog.sqlscript import run_script

SQL = """
DROP TRIGGER IF EXISTS search_labels_insert;
DROP TRIGGER IF EXISTS search_labels_delete;
DROP TRIGGER IF EXISTS search_labels_update;
DROP TRIGGER IF EXISTS search_text_insert;
DROP TRIGGER IF EXISTS search_text_delete;
DROP TRIGGER IF EXISTS search_text_update;
DROP TRIGGER IF EXISTS search_faces_insert;
DROP TRIGGER IF EXISTS search_faces_delete;
DROP TRIGGER IF EXISTS search_faces_update;
DROP TRIGGER IF EXISTS search_people_insert;
DROP TRIGGER IF EXISTS search_people_rename;
DROP TRIGGER IF EXISTS search_people_delete;
DROP TRIGGER IF EXISTS search_photos_insert;
DROP TRIGGER IF EXISTS search_photos_insert_content;
DROP TRIGGER IF EXISTS search_photos_insert_camera;
DROP TRIGGER IF EXISTS search_photos_insert_duplicate;
DROP TRIGGER IF EXISTS search_photos_visibility;
DROP TRIGGER IF EXISTS search_photos_visibility_content;
DROP TRIGGER IF EXISTS search_photos_path;
DROP TRIGGER IF EXISTS search_photos_camera;
DROP TRIGGER IF EXISTS search_photos_delete;
DROP TABLE IF EXISTS search_terms_fts;
DROP TABLE IF EXISTS search_postings;
DROP TABLE IF EXISTS search_terms;
DROP TABLE IF EXISTS search_text;
DROP TABLE IF EXISTS search_text_rows;
DROP TABLE IF EXISTS search_paths;
DROP TABLE IF EXISTS search_face_words;
DROP INDEX IF EXISTS search_photos_path_order;

CREATE TABLE search_terms (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    display TEXT NOT NULL,
    -- the phrases that name the term, folded, one per line (a label's name and aliases)
    words TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX search_terms_key ON search_terms(kind, key);

CREATE TABLE search_segments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    photos BLOB NOT NULL,
    postings INTEGER NOT NULL
);

-- ids: int32 photo ids; scores: float64 per id, or empty when every score is 0
CREATE TABLE search_lists (
    term_id INTEGER NOT NULL,
    segment INTEGER NOT NULL,
    ids BLOB NOT NULL,
    scores BLOB NOT NULL,
    PRIMARY KEY (term_id, segment)
) WITHOUT ROWID;
CREATE INDEX search_lists_segment ON search_lists(segment);

-- hash: a content whose analysis rows changed; photo_id: a photo row that changed
CREATE TABLE search_stale (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    hash TEXT,
    photo_id INTEGER
);

CREATE TRIGGER search_stale_labels_insert AFTER INSERT ON labels BEGIN
    INSERT INTO search_stale (hash) VALUES (NEW.hash);
END;
CREATE TRIGGER search_stale_labels_delete AFTER DELETE ON labels BEGIN
    INSERT INTO search_stale (hash) VALUES (OLD.hash);
END;
CREATE TRIGGER search_stale_labels_update AFTER UPDATE ON labels BEGIN
    INSERT INTO search_stale (hash) VALUES (OLD.hash);
    INSERT INTO search_stale (hash) SELECT NEW.hash WHERE NEW.hash IS NOT OLD.hash;
END;
CREATE TRIGGER search_stale_text_insert AFTER INSERT ON text_lines BEGIN
    INSERT INTO search_stale (hash) VALUES (NEW.hash);
END;
CREATE TRIGGER search_stale_text_delete AFTER DELETE ON text_lines BEGIN
    INSERT INTO search_stale (hash) VALUES (OLD.hash);
END;
CREATE TRIGGER search_stale_text_update AFTER UPDATE ON text_lines BEGIN
    INSERT INTO search_stale (hash) VALUES (OLD.hash);
    INSERT INTO search_stale (hash) SELECT NEW.hash WHERE NEW.hash IS NOT OLD.hash;
END;
CREATE TRIGGER search_stale_faces_insert AFTER INSERT ON faces BEGIN
    INSERT INTO search_stale (hash) VALUES (NEW.hash);
END;
CREATE TRIGGER search_stale_faces_delete AFTER DELETE ON faces BEGIN
    INSERT INTO search_stale (hash) VALUES (OLD.hash);
END;
-- clustering rewrites cluster_id all the time: only what search reads marks a face stale
CREATE TRIGGER search_stale_faces_update AFTER UPDATE OF hash, person_id, attributes ON faces
WHEN OLD.hash IS NOT NEW.hash OR OLD.person_id IS NOT NEW.person_id OR OLD.attributes IS NOT NEW.attributes
BEGIN
    INSERT INTO search_stale (hash) VALUES (OLD.hash);
    INSERT INTO search_stale (hash) SELECT NEW.hash WHERE NEW.hash IS NOT OLD.hash;
END;
-- a person's name is read at search time; only the faces' person_id is indexed
CREATE TRIGGER search_stale_photos_insert AFTER INSERT ON photos BEGIN
    INSERT INTO search_stale (hash, photo_id) VALUES (NEW.hash, NEW.id);
END;
CREATE TRIGGER search_stale_photos_delete AFTER DELETE ON photos BEGIN
    INSERT INTO search_stale (hash, photo_id) VALUES (OLD.hash, OLD.id);
END;
CREATE TRIGGER search_stale_photos_update AFTER UPDATE OF hash, state, taken_at, path, name, camera_make,
    camera_model ON photos
WHEN OLD.hash IS NOT NEW.hash OR OLD.state IS NOT NEW.state OR OLD.taken_at IS NOT NEW.taken_at
    OR OLD.path IS NOT NEW.path OR OLD.name IS NOT NEW.name OR OLD.camera_make IS NOT NEW.camera_make
    OR OLD.camera_model IS NOT NEW.camera_model
BEGIN
    INSERT INTO search_stale (hash, photo_id) VALUES (OLD.hash, OLD.id);
    INSERT INTO search_stale (hash, photo_id) SELECT NEW.hash, NEW.id WHERE NEW.hash IS NOT OLD.hash;
END;

INSERT INTO search_stale (hash, photo_id) SELECT hash, id FROM photos ORDER BY id;
"""


def migrate(conn: sqlite3.Connection) -> None:
    run_script(conn, SQL)
