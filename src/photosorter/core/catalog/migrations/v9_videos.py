"""Schema step v9: videos are items of the library, rows of ``photos`` like photos.

A video keeps the photo columns (content hash, size, date, camera, GPS, width and height as shown)
and adds what only a video has. Search reads ``media`` and ``duration_s`` (``type:video``,
``duration:>30s``), so a change to either marks the row stale for the search index.

Video files were never rows before this step (the scanner skipped them), so the next scan finds them
as new files: nothing to backfill.

Frozen text: never edit a released step; a change is a new step.
"""

from __future__ import annotations

import sqlite3

from photosorter.core.catalog.sqlscript import run_script

SQL = """
        -- 'photo' or 'video' (records.MediaKind)
        ALTER TABLE photos ADD COLUMN media TEXT NOT NULL DEFAULT 'photo';
        -- videos only: running time in seconds, average frames per second, codec as people name it,
        -- and the degrees clockwise the frames are turned for display (phones record sideways)
        ALTER TABLE photos ADD COLUMN duration_s REAL;
        ALTER TABLE photos ADD COLUMN fps REAL;
        ALTER TABLE photos ADD COLUMN codec TEXT;
        ALTER TABLE photos ADD COLUMN rotation INTEGER;

        CREATE TRIGGER search_stale_photos_media AFTER UPDATE OF media, duration_s ON photos
        WHEN OLD.media IS NOT NEW.media OR OLD.duration_s IS NOT NEW.duration_s
        BEGIN
            INSERT INTO search_stale (hash, photo_id) VALUES (NEW.hash, NEW.id);
        END;
"""


def migrate(conn: sqlite3.Connection) -> None:
    run_script(conn, SQL)
