"""Schema step v9: a photo's rotation for display, chosen by the user in the app.

Kept against the photo's id (it survives moves and renames; two copies of one content turn separately)
and never written into the file. Frozen text: never edit a released step; a change is a new step.
"""

from __future__ import annotations

import sqlite3

from photosorter.core.catalog.sqlscript import run_script

SQL = """
        -- quarter turns clockwise on top of the photo's own EXIF orientation; no row: as the file says
        CREATE TABLE photo_rotation (
            photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
            quarter_turns INTEGER NOT NULL CHECK (quarter_turns BETWEEN 1 AND 3)
        );
"""


def migrate(conn: sqlite3.Connection) -> None:
    run_script(conn, SQL)
