"""Schema step v16: keywords and faces read from other tools mark their content stale once, not per row.

The scan stores a content's 'yours' labels (keywords from XMP and IPTC) all at once, and marks the
content stale for search itself with one row (or not at all for a new photo that is its content's only
copy: the photo's own row, inserted in the same transaction, is already marked). Faces made for named
regions (backend 'xmp') are inserted a batch at a time, which marks each content once. A mark per
keyword and per face was a third of what storing keywords cost and half of what inserting a face cost.

Such a face needs no sidecar mark either: it holds a name the content's regions (its sidecars) have
already, which is what the code that names faces from regions took the mark back for. Deleting or
changing labels and faces still marks per row.

Frozen text: never edit a released step; a change is a new step."""

from __future__ import annotations

import sqlite3

from photosorter.core.catalog.sqlscript import run_script

SQL = """
DROP TRIGGER search_stale_labels_insert;
CREATE TRIGGER search_stale_labels_insert AFTER INSERT ON labels WHEN NEW.backend != 'yours' BEGIN
    INSERT INTO search_stale (hash) VALUES (NEW.hash);
END;
DROP TRIGGER search_stale_faces_insert;
CREATE TRIGGER search_stale_faces_insert AFTER INSERT ON faces WHEN NEW.backend != 'xmp' BEGIN
    INSERT INTO search_stale (hash) VALUES (NEW.hash);
END;
DROP TRIGGER sidecar_stale_faces_insert;
CREATE TRIGGER sidecar_stale_faces_insert AFTER INSERT ON faces
WHEN NEW.person_id IS NOT NULL AND NEW.backend != 'xmp' BEGIN
    INSERT OR IGNORE INTO sidecar_stale (hash) VALUES (NEW.hash);
END;
"""


def migrate(conn: sqlite3.Connection) -> None:
    run_script(conn, SQL)
