"""Schema step for analysis claims: which run is analyzing which content, so concurrent runs split work."""

from __future__ import annotations

import sqlite3

# Frozen: this text is what every catalog upgraded to v5 gets; a later change is a new step.
V5_ANALYSIS_CLAIMS = (
    """
    CREATE TABLE analysis_claims (
        hash TEXT NOT NULL,
        backend TEXT NOT NULL,
        feature TEXT NOT NULL,
        owner TEXT NOT NULL,        -- host:pid:run, as the jobs table names its owners
        expires_at REAL NOT NULL,   -- unix time; the owner renews it while it works
        PRIMARY KEY (hash, backend, feature)
    ) WITHOUT ROWID
    """,
    "CREATE INDEX analysis_claims_owner ON analysis_claims(owner)",
)


def v5_analysis_claims(conn: sqlite3.Connection) -> None:
    """A row lives while a run analyzes that feature of that content; a dead run's rows expire."""
    for statement in V5_ANALYSIS_CLAIMS:
        conn.execute(statement)
