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
    v5_photo_warnings,
    v6_analysis_claims,
    v7_service_usage,
    v8_search_segments,
    v9_videos,
    v10_places_duplicates,
    v11_marks_albums,
    v12_video_analysis,
    v13_display_rotation,
    v14_xmp_metadata,
    v15_cloud_library,
    v16_read_metadata_stale,
)
from photosorter.core.errors import CatalogError

# Append new steps; never edit a released one. The list index + 1 is the version a step produces.
STEPS: list[Callable[[sqlite3.Connection], None]] = [
    v1_foundation.migrate,
    v2_search_index.migrate,
    v3_people.migrate,
    v4_job_queue.migrate,
    v5_photo_warnings.migrate,
    v6_analysis_claims.migrate,
    v7_service_usage.migrate,
    v8_search_segments.migrate,
    v9_videos.migrate,
    v10_places_duplicates.migrate,
    v11_marks_albums.migrate,
    v12_video_analysis.migrate,
    v13_display_rotation.migrate,
    v14_xmp_metadata.migrate,
    v15_cloud_library.migrate,
    v16_read_metadata_stale.migrate,
]

SCHEMA_VERSION = len(STEPS)


class SchemaError(CatalogError):
    pass


def check_identity(conn: sqlite3.Connection, path: Path) -> int:
    """The catalog's version, after read-only checks that it is ours and not from a newer app.

    Runs before anything writes to the file (switching it to WAL is a write), so another program's
    database is left exactly as it was.
    """
    # one statement, so one snapshot: another process may commit the first migration in between
    found, tables = conn.execute(
        "SELECT user_version, (SELECT count(*) FROM sqlite_master WHERE type = 'table')"
        " FROM pragma_user_version"
    ).fetchone()
    if found > SCHEMA_VERSION:
        raise SchemaError(
            f"{path}: this catalog was written by a newer photosorter (schema {found}, this app knows "
            f"up to {SCHEMA_VERSION}); update photosorter or use another --home"
        )
    if found == 0 and tables > 0:
        raise SchemaError(f"{path}: this SQLite file is not a photosorter catalog; refusing to change it")
    return found


def migrate(conn: sqlite3.Connection, path: Path) -> int:
    """Brings the catalog to SCHEMA_VERSION; returns the version it found.

    Other processes may open the same new catalog at the same moment: the write lock is taken
    first and the version read again under it, so exactly one of them runs the steps and the
    others wait (busy timeout) and then find the catalog current.
    """
    if check_identity(conn, path) == SCHEMA_VERSION:
        return SCHEMA_VERSION
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = check_identity(conn, path)
        for version in range(found + 1, SCHEMA_VERSION + 1):
            STEPS[version - 1](conn)
            # PRAGMA takes no parameters; version is our own integer
            conn.execute(f"PRAGMA user_version = {version}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return found
