"""Schema step v4: the persistent job queue (scan, thumbnail and analyze jobs that survive a restart).

Jobs live here until they finish (then the row is deleted) or are parked after repeated failures.

Frozen text: never edit a released step; a change is a new step.
"""

from __future__ import annotations

import sqlite3

from photosorter.core.catalog.sqlscript import run_script

SQL = """
        CREATE TABLE jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: ids are the order jobs run in
            kind TEXT NOT NULL CHECK (kind IN ('scan', 'thumbnail', 'analyze')),
            payload TEXT NOT NULL DEFAULT '{}',
            -- at most one pending job per key: "analyze everything pending" needs queueing only once
            dedupe_key TEXT,
            state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'parked')),
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            not_before REAL NOT NULL DEFAULT 0,
            owner TEXT,
            heartbeat REAL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX jobs_state_kind ON jobs(state, kind, id);
        CREATE UNIQUE INDEX jobs_pending_key ON jobs(dedupe_key) WHERE state = 'pending';
        """


def migrate(conn: sqlite3.Connection) -> None:
    run_script(conn, SQL)
