"""Schema step v6: analysis claims (which run analyzes which content, so concurrent runs split the work),
and the forgetting of failures earlier versions recorded for files that were only missing.

A row lives while a run analyzes that feature of that content; a dead run's rows expire.

Frozen text: never edit a released step; a change is a new step.
"""

from __future__ import annotations

import sqlite3

from photosorter.core.catalog.sqlscript import run_script

SQL = """
        CREATE TABLE analysis_claims (
            hash TEXT NOT NULL,
            backend TEXT NOT NULL,
            feature TEXT NOT NULL,
            owner TEXT NOT NULL,        -- host:pid:run, as the jobs table names its owners
            expires_at REAL NOT NULL,   -- unix time; the owner renews it while it works
            PRIMARY KEY (hash, backend, feature)
        ) WITHOUT ROWID;
        CREATE INDEX analysis_claims_owner ON analysis_claims(owner);
        -- Earlier versions recorded a copy that had vanished or could not be read (an OS error, with its
        -- errno in the text) as if the content could not be analyzed, so it never was; forget those.
        DELETE FROM analyses
        WHERE status = 'failed'
          AND error LIKE 'cannot make analysis image:%'
          AND (error LIKE '%[Errno %' OR error LIKE 'cannot make analysis image: cannot read file (%');
"""


def migrate(conn: sqlite3.Connection) -> None:
    run_script(conn, SQL)
