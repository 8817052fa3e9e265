"""Schema step v14: what XMP sidecars, embedded XMP and IPTC told us about each photo.

Frozen text: never edit a released step; a change is a new step.
"""

from __future__ import annotations

import sqlite3

from photosorter.core.catalog.sqlscript import run_script

SQL = """
        -- size and mtime of the photo's XMP sidecars when it was last read: part of its change check
        ALTER TABLE photos ADD COLUMN sidecars TEXT;

        -- Per photo (per path), because sidecars are per path. Keywords also become labels of the
        -- content (backend 'yours'), derived from these rows, so search and the Labels list see them.
        CREATE TABLE photo_metadata (
            photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
            keywords TEXT NOT NULL DEFAULT '[]',   -- [[name, [parent, ...]], ...], root first
            rating INTEGER CHECK (rating BETWEEN -1 AND 5),  -- xmp:Rating as read; NULL: none
            title TEXT,
            description TEXT,
            sources TEXT NOT NULL DEFAULT '[]'     -- where the fields came from, the winner first
        );

        -- Named face regions as read, as fractions of the photo as displayed. 'pending': to match to
        -- the faces detected in the content (naming the one it matches, or keeping a face of its own,
        -- faces.backend 'xmp'); 'waiting': kept as a face of its own until the content's faces are
        -- looked for; 'applied': done.
        CREATE TABLE photo_regions (
            photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            name TEXT NOT NULL,
            box_left REAL NOT NULL,
            box_top REAL NOT NULL,
            box_width REAL NOT NULL,
            box_height REAL NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'waiting', 'applied')),
            PRIMARY KEY (photo_id, idx)
        ) WITHOUT ROWID;
        CREATE INDEX photo_regions_state ON photo_regions(state);

        -- Contents whose sidecars may say something old: what "Keep XMP sidecars up to date" rewrites.
        -- Marked by what sidecars hold (labels, faces and their names), whatever changed them.
        CREATE TABLE sidecar_stale (hash TEXT PRIMARY KEY) WITHOUT ROWID;
        -- keywords read from sidecars ('yours') are what the sidecars already say
        CREATE TRIGGER sidecar_stale_labels_insert AFTER INSERT ON labels WHEN NEW.backend != 'yours' BEGIN
            INSERT OR IGNORE INTO sidecar_stale (hash) VALUES (NEW.hash);
        END;
        CREATE TRIGGER sidecar_stale_labels_delete AFTER DELETE ON labels WHEN OLD.backend != 'yours' BEGIN
            INSERT OR IGNORE INTO sidecar_stale (hash) VALUES (OLD.hash);
        END;
        CREATE TRIGGER sidecar_stale_labels_update AFTER UPDATE ON labels BEGIN
            INSERT OR IGNORE INTO sidecar_stale (hash) VALUES (OLD.hash), (NEW.hash);
        END;
        CREATE TRIGGER sidecar_stale_faces_insert AFTER INSERT ON faces WHEN NEW.person_id IS NOT NULL BEGIN
            INSERT OR IGNORE INTO sidecar_stale (hash) VALUES (NEW.hash);
        END;
        CREATE TRIGGER sidecar_stale_faces_delete AFTER DELETE ON faces WHEN OLD.person_id IS NOT NULL BEGIN
            INSERT OR IGNORE INTO sidecar_stale (hash) VALUES (OLD.hash);
        END;
        -- clustering rewrites cluster_id all the time: only a name given or taken counts
        CREATE TRIGGER sidecar_stale_faces_update AFTER UPDATE OF person_id, box_left, box_top ON faces
        WHEN OLD.person_id IS NOT NEW.person_id OR (NEW.person_id IS NOT NULL
            AND (OLD.box_left IS NOT NEW.box_left OR OLD.box_top IS NOT NEW.box_top))
        BEGIN
            INSERT OR IGNORE INTO sidecar_stale (hash) VALUES (OLD.hash), (NEW.hash);
        END;
        CREATE TRIGGER sidecar_stale_people_rename AFTER UPDATE OF name ON people
        WHEN OLD.name IS NOT NEW.name BEGIN
            INSERT OR IGNORE INTO sidecar_stale (hash) SELECT hash FROM faces WHERE person_id = NEW.id;
        END;
        -- a photo's favourite and stars (step v11) are written as xmp:Rating
        CREATE TRIGGER sidecar_stale_marks_insert AFTER INSERT ON photo_marks BEGIN
            -- NOT EXISTS, not OR IGNORE: marks are written by an upsert, whose conflict rule wins
            INSERT INTO sidecar_stale (hash) SELECT p.hash FROM photos p WHERE p.id = NEW.photo_id
            AND p.hash IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sidecar_stale s WHERE s.hash = p.hash);
        END;
        CREATE TRIGGER sidecar_stale_marks_update AFTER UPDATE ON photo_marks
        WHEN OLD.rating IS NOT NEW.rating OR OLD.favorite IS NOT NEW.favorite BEGIN
            -- NOT EXISTS, not OR IGNORE: marks are written by an upsert, whose conflict rule wins
            INSERT INTO sidecar_stale (hash) SELECT p.hash FROM photos p WHERE p.id = NEW.photo_id
            AND p.hash IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sidecar_stale s WHERE s.hash = p.hash);
        END;
"""


def migrate(conn: sqlite3.Connection) -> None:
    run_script(conn, SQL)
