"""Schema step v16: keyword labels read from sidecars mark their content stale for search once, not per row.

The scan stores a content's 'yours' labels (keywords from XMP and IPTC) all at once, and marks the
content stale itself with one row (or not at all for a new photo that is its content's only copy: the
photo's own row, inserted in the same transaction, is already marked). A mark per keyword was a
third of what storing the keywords cost. Deleting or changing labels still marks per row.

Frozen text: never edit a released step; a change is a new step.
"""

from __future__ import annotations

import sqlite3

from photosorter.core.catalog.sqlscript import run_script

SQL = """
DROP TRIGGER search_stale_labels_insert;
CREATE TRIGGER search_stale_labels_insert AFTER INSERT ON labels WHEN NEW.backend != 'yours' BEGIN
    INSERT INTO search_stale (hash) VALUES (NEW.hash);
END;
"""


def migrate(conn: sqlite3.Connection) -> None:
    run_script(conn, SQL)
