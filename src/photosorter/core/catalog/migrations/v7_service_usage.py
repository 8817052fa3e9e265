"""Schema step v7: calls and their list-price cost per month, backend and operation (one row each,
added to), and an index of failed analyses (the app shows them, with Retry).

Frozen text: never edit a released step; a change is a new step.
"""

from __future__ import annotations

import sqlite3

from photosorter.core.catalog.sqlscript import run_script

SQL = """
        CREATE TABLE service_usage (
            month TEXT NOT NULL,  -- 'YYYY-MM', UTC
            backend TEXT NOT NULL,
            operation TEXT NOT NULL,
            calls INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL NOT NULL DEFAULT 0,
            PRIMARY KEY (month, backend, operation)
        ) WITHOUT ROWID;
        -- the app counts failed analyses with every status update: without this it would read every analysis
        CREATE INDEX analyses_failed ON analyses(hash) WHERE status = 'failed';
"""


def migrate(conn: sqlite3.Connection) -> None:
    run_script(conn, SQL)
