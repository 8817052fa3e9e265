"""Schema versions and the forward migrations between them.

Each step is one function; all pending steps run inside one exclusive
transaction, so a catalog is always at exactly one version. A catalog written
by a newer photosorter is refused rather than guessed at.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from photosorter.core.catalog.people_schema import v3_people
from photosorter.core.catalog.queue_schema import v4_job_queue
from photosorter.core.catalog.search_schema import migrate_v2_search_index
from photosorter.core.catalog.usage import v5_service_usage
from photosorter.core.errors import CatalogError


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Runs statements one by one: ``executescript`` would COMMIT first, breaking atomicity."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement in migration: {statement.strip()[:60]}")


def _v1_foundation(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
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
        """,
    )


# Append new steps; never edit a released one. The list index + 1 is the version it produces.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _v1_foundation,
    migrate_v2_search_index,  # v2: search index + triggers (search_schema.py)
    v3_people,
    v4_job_queue,  # v4: persistent job queue (queue_schema.py)
    v5_service_usage,  # v5: billable calls per month (usage.py)
]

SCHEMA_VERSION = len(MIGRATIONS)


class SchemaError(CatalogError):
    pass


def migrate(conn: sqlite3.Connection, path: Path) -> int:
    """Brings the catalog to SCHEMA_VERSION; returns the version it found."""
    found = conn.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        raise SchemaError(
            f"{path}: this catalog was written by a newer photosorter (schema {found}, this app knows "
            f"up to {SCHEMA_VERSION}); update photosorter or use another --home"
        )
    if found == SCHEMA_VERSION:
        return found
    if found == 0 and _has_foreign_tables(conn):
        raise SchemaError(f"{path}: this SQLite file is not a photosorter catalog; refusing to change it")
    conn.execute("BEGIN EXCLUSIVE")
    try:
        for version in range(found + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[version - 1](conn)
            # PRAGMA takes no parameters; version is our own integer
            conn.execute(f"PRAGMA user_version = {version}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return found


def _has_foreign_tables(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0
