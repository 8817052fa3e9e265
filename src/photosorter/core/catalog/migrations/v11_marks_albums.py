"""Schema step v11: favourites and ratings, albums and saved searches, all against the photo row.

Marks and album membership belong to ``photos.id``, not to the content hash: two copies of a photo
are two photos a user may rate differently, and the scanner keeps a moved or renamed photo's row, so
they follow it. Deleting an album deletes its membership rows only, never a photo. Marks feed search
(``is:favorite``, ``rating:>=4``), so writing them marks the photo stale for the index.

Frozen text: never edit a released step; a change is a new step.
"""

from __future__ import annotations

import sqlite3

from photosorter.core.catalog.sqlscript import run_script

SQL = """
-- a row only for a photo with a mark: favourite, or rated 1..5 (0 = not rated)
CREATE TABLE photo_marks (
    photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    favorite INTEGER NOT NULL DEFAULT 0 CHECK (favorite IN (0, 1)),
    rating INTEGER NOT NULL DEFAULT 0 CHECK (rating BETWEEN 0 AND 5),
    updated_at TEXT NOT NULL
);

CREATE TABLE albums (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    -- how the album lists its photos: by date taken, or in the order the user arranged
    sort TEXT NOT NULL DEFAULT 'date' CHECK (sort IN ('date', 'manual')),
    created_at TEXT NOT NULL
);

-- position: the manual order (ascending); new photos go to the end
CREATE TABLE album_photos (
    album_id INTEGER NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (album_id, photo_id)
) WITHOUT ROWID;
CREATE INDEX album_photos_photo ON album_photos(photo_id);

-- a query kept by name ("smart album"): run again whenever it is shown, so it follows the library
CREATE TABLE saved_searches (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    query TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- with the photo's hash, as the photos triggers do: a photo is derived together with its copies
-- (whether it is a duplicate is counted among the photos derived)
CREATE TRIGGER search_stale_marks_insert AFTER INSERT ON photo_marks BEGIN
    INSERT INTO search_stale (hash, photo_id) SELECT hash, id FROM photos WHERE id = NEW.photo_id;
END;
CREATE TRIGGER search_stale_marks_delete AFTER DELETE ON photo_marks BEGIN
    INSERT INTO search_stale (hash, photo_id) SELECT hash, id FROM photos WHERE id = OLD.photo_id;
END;
CREATE TRIGGER search_stale_marks_update AFTER UPDATE OF favorite, rating, photo_id ON photo_marks
WHEN OLD.favorite IS NOT NEW.favorite OR OLD.rating IS NOT NEW.rating OR OLD.photo_id IS NOT NEW.photo_id
BEGIN
    INSERT INTO search_stale (hash, photo_id) SELECT hash, id FROM photos WHERE id = OLD.photo_id;
    INSERT INTO search_stale (hash, photo_id) SELECT hash, id FROM photos
        WHERE id = NEW.photo_id AND NEW.photo_id IS NOT OLD.photo_id;
END;
"""


def migrate(conn: sqlite3.Connection) -> None:
    run_script(conn, SQL)
