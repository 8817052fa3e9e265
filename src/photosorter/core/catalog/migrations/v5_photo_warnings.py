"""Schema step v5: metadata the scanner dropped as impossible, and why.

Frozen text: never edit a released step; a change is a new step.
"""

from __future__ import annotations

import sqlite3

from photosorter.core.catalog.sqlscript import run_script

SQL = """
        -- metadata the scanner dropped as impossible (a date in the future, GPS minutes over 60), and why
        ALTER TABLE photos ADD COLUMN warnings TEXT;
        -- Earlier versions recorded a full disk or an I/O error as the photo's own error, kept for good:
        -- every error row is read once more by the next scan (which also gives it today's clearer reason).
        UPDATE photos SET mtime_ns = NULL WHERE state = 'error';
"""


def migrate(conn: sqlite3.Connection) -> None:
    run_script(conn, SQL)
