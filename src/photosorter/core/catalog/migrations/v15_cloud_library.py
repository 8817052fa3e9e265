"""Schema step v15: the cloud library's bookkeeping on this device.

Frozen text: never edit a released step; a change is a new step.
"""

from __future__ import annotations

import sqlite3

from photosorter.core.catalog.sqlscript import run_script

SQL = """
        -- contents whose analysis image is in the cloud library's bucket (or another device's is), waiting
        -- for the function's result: neither failed nor uploaded again by the next run; the sync that
        -- imports the result removes the row
        CREATE TABLE cloud_uploads (
            hash TEXT PRIMARY KEY,
            features TEXT NOT NULL,
            uploaded_at TEXT NOT NULL
        );
        -- how far each cloud library's change feed has been read (the items' seq, microseconds), keyed by
        -- the library's DynamoDB table: a new library starts from the beginning
        CREATE TABLE cloud_cursors (
            library TEXT PRIMARY KEY,
            cursor INTEGER NOT NULL
        );
        -- the seq of every feed item imported: an item read again (the settle window, a rerun after a
        -- kill) is skipped, a newer write of it is imported
        CREATE TABLE cloud_items (
            pk TEXT PRIMARY KEY,
            seq INTEGER NOT NULL
        );
        -- each person item as this device last wrote or read it: what differs here is published at the
        -- next sync, what was just read is not written back
        CREATE TABLE cloud_people (
            user_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            deleted INTEGER NOT NULL
        );
        -- the FaceIds each person item names: a face whose result arrives after its name (a photo added
        -- here later) joins its person as it is stored
        CREATE TABLE cloud_person_faces (
            face_id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES cloud_people(user_id) ON DELETE CASCADE
        );
        CREATE INDEX cloud_person_faces_user ON cloud_person_faces(user_id);
"""


def migrate(conn: sqlite3.Connection) -> None:
    run_script(conn, SQL)
