"""Schema step v3: what People needs beyond v1's ``people`` and ``faces`` tables.

- ``face_suggestions``: "Is this Alice?" — at most one open question per face.
- ``face_rejections``: (face, person) pairs the user said no to, or took the face away from;
  automation never proposes or assigns that pair again.
- ``people_undo``: one row per user action on people (name, rename, merge, remove, move, hide,
  accept), holding the state it replaced, so the last one can be undone.

Frozen text: never edit a released step; a change is a new step.
"""

from __future__ import annotations

import sqlite3

from photosorter.core.catalog.sqlscript import run_script

SQL = """
        CREATE TABLE face_suggestions (
            face_id INTEGER PRIMARY KEY REFERENCES faces(id) ON DELETE CASCADE,
            person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
            score REAL NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX face_suggestions_person ON face_suggestions(person_id);

        CREATE TABLE face_rejections (
            face_id INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
            person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
            PRIMARY KEY (face_id, person_id)
        ) WITHOUT ROWID;
        CREATE INDEX face_rejections_person ON face_rejections(person_id);

        CREATE TABLE people_undo (
            id INTEGER PRIMARY KEY,
            action TEXT NOT NULL,
            description TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at TEXT NOT NULL
        );

        CREATE INDEX faces_unassigned ON faces(person_id, cluster_id);
        """


def migrate(conn: sqlite3.Connection) -> None:
    run_script(conn, SQL)
