"""Schema step v1: folders, photos, analyses and what each backend found, people and faces. Frozen text."""

from __future__ import annotations

import sqlite3

from photosorter.core.catalog.sqlscript import run_script

SQL = """
        CREATE TABLE folders (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            added_at TEXT NOT NULL,
            online INTEGER NOT NULL DEFAULT 1
        );

        -- path is TEXT, or a BLOB of the raw bytes for a file name that is not valid UTF-8
        CREATE TABLE photos (
            id INTEGER PRIMARY KEY,
            folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
            path TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            size INTEGER,
            mtime_ns INTEGER,
            hash TEXT,
            format TEXT,
            width INTEGER,
            height INTEGER,
            taken_at TEXT,
            taken_at_source TEXT,
            camera_make TEXT,
            camera_model TEXT,
            latitude REAL,
            longitude REAL,
            orientation INTEGER,
            state TEXT NOT NULL CHECK (state IN ('ok', 'error', 'missing', 'offline')),
            error TEXT,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX photos_hash ON photos(hash);
        CREATE INDEX photos_folder ON photos(folder_id);
        CREATE INDEX photos_state_taken ON photos(state, taken_at);

        -- One row per (content, backend, feature, model version): the guarantee that nothing is paid twice.
        CREATE TABLE analyses (
            hash TEXT NOT NULL,
            backend TEXT NOT NULL,
            feature TEXT NOT NULL,
            model_version TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
            error TEXT,
            raw TEXT,
            analyzed_at TEXT NOT NULL,
            PRIMARY KEY (hash, backend, feature, model_version)
        ) WITHOUT ROWID;

        CREATE TABLE labels (
            hash TEXT NOT NULL,
            backend TEXT NOT NULL,
            name TEXT NOT NULL,
            confidence REAL NOT NULL,
            parents TEXT NOT NULL DEFAULT '[]',
            aliases TEXT NOT NULL DEFAULT '[]',
            categories TEXT NOT NULL DEFAULT '[]',
            instances TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (hash, backend, name)
        ) WITHOUT ROWID;
        CREATE INDEX labels_name ON labels(name);

        CREATE TABLE text_lines (
            hash TEXT NOT NULL,
            backend TEXT NOT NULL,
            line INTEGER NOT NULL,
            text TEXT NOT NULL,
            confidence REAL NOT NULL,
            box TEXT,
            words TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (hash, backend, line)
        ) WITHOUT ROWID;

        CREATE TABLE moderation (
            hash TEXT NOT NULL,
            backend TEXT NOT NULL,
            name TEXT NOT NULL,
            parent TEXT NOT NULL DEFAULT '',
            confidence REAL NOT NULL,
            PRIMARY KEY (hash, backend, name)
        ) WITHOUT ROWID;

        CREATE TABLE celebrities (
            hash TEXT NOT NULL,
            backend TEXT NOT NULL,
            idx INTEGER NOT NULL,
            name TEXT NOT NULL,
            confidence REAL NOT NULL,
            box TEXT,
            external_id TEXT,
            urls TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (hash, backend, idx)
        ) WITHOUT ROWID;

        CREATE TABLE people (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            hidden INTEGER NOT NULL DEFAULT 0,
            external_user_id TEXT,
            created_at TEXT NOT NULL
        );

        CREATE TABLE faces (
            id INTEGER PRIMARY KEY,
            hash TEXT NOT NULL,
            backend TEXT NOT NULL,
            idx INTEGER NOT NULL,
            box_left REAL NOT NULL,
            box_top REAL NOT NULL,
            box_width REAL NOT NULL,
            box_height REAL NOT NULL,
            confidence REAL NOT NULL,
            landmarks TEXT NOT NULL DEFAULT '[]',
            pose TEXT NOT NULL DEFAULT '{}',
            quality TEXT NOT NULL DEFAULT '{}',
            attributes TEXT NOT NULL DEFAULT '{}',
            embedding BLOB,
            external_id TEXT,
            cluster_id INTEGER,
            person_id INTEGER REFERENCES people(id) ON DELETE SET NULL,
            assigned_by TEXT CHECK (assigned_by IN ('manual', 'auto', 'suggestion')),
            UNIQUE (hash, backend, idx)
        );
        CREATE INDEX faces_hash ON faces(hash);
        CREATE INDEX faces_person ON faces(person_id);
        CREATE INDEX faces_cluster ON faces(cluster_id);
        """


def migrate(conn: sqlite3.Connection) -> None:
    run_script(conn, SQL)
