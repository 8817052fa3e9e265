"""Schema versions and the forward migrations between them.

Each step is a frozen text in ``migrations/``, one module per version; all pending
steps run inside one write transaction, so a catalog is always at exactly one
version. A catalog written by a newer photosorter is refused rather than guessed at.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from photosorter.core.catalog.migrations import (
    v1_foundation,
    v2_search_index,
    v3_people,
    v4_job_queue,
    v5_search_segments,
)
from photosorter.core.errors import CatalogError

# Append new steps; never edit a released one. The list index + 1 is the version a step produces.
STEPS: list[Callable[[sqlite3.Connection], None]] = [
    v1_foundation.migrate,
    v2_search_index.migrate,
    v3_people.migrate,
    v4_job_queue.migrate,
    v5_search_segments.migrate,
]

SCHEMA_VERSION = len(STEPS)


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
            STEPS[version - 1](conn)
            # PRAGMA takes no parameters; version is our own integer
            conn.execute(f"PRAGMA user_version = {version}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return found


def _has_foreign_tables(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0
