"""Reads behind the gallery's order and its date groups: one query returns the ordered ids with their days."""

from __future__ import annotations

import json
from collections.abc import Sequence

from photosorter.core.catalog.database import Catalog

_VISIBLE = "state IN ('ok', 'offline')"  # missing and unreadable files leave every view

# The day a photo was taken as a number (20240131), read from the ISO text; the scanner fills ``taken_at``
# from the file's modification time when the photo has no date of its own (``taken_at_source`` 'mtime').
_DAY = (
    "CAST(substr(taken_at, 1, 4) AS INTEGER) * 10000 + CAST(substr(taken_at, 6, 2) AS INTEGER) * 100"
    " + CAST(substr(taken_at, 9, 2) AS INTEGER)"
)

# Fixed texts per sort key: never a value formatted into SQL. Ties fall back to the id so the order is total
# (a refresh then changes nothing, and the gallery keeps its scroll position and selection).
ORDERS = {
    ("taken", True): "taken_at DESC, id DESC",
    ("taken", False): "taken_at ASC, id ASC",
    ("added", True): "id DESC",
    ("added", False): "id ASC",
    ("name", True): "name COLLATE NOCASE DESC, id DESC",
    ("name", False): "name COLLATE NOCASE ASC, id ASC",
    ("size", True): "size DESC, id DESC",
    ("size", False): "size ASC, id ASC",
}


def ordered_days(
    catalog: Catalog, key: str, descending: bool, ids: Sequence[int] | None = None
) -> tuple[list[int], list[int], list[int]]:
    """The visible photos (all, or those among ``ids``) in the order of ``key``, with each one's day
    (``YYYYMMDD``, 0 when undated) and 1 when that day is its file's date rather than the camera's."""
    order = ORDERS[(key, descending)]
    sql = f"SELECT id, coalesce({_DAY}, 0), taken_at_source = 'mtime' FROM photos WHERE {_VISIBLE}"
    params: tuple = ()
    if ids is not None:
        # one parameter however many ids a search found (a 100,000-id IN list would need chunks)
        sql += " AND id IN (SELECT value FROM json_each(?))"
        params = (json.dumps(list(ids)),)
    rows = catalog.connection().execute(f"{sql} ORDER BY {order}", params).fetchall()
    if not rows:
        return [], [], []
    photo_ids, days, by_file = zip(*rows, strict=True)
    return list(photo_ids), list(days), [int(flag or 0) for flag in by_file]
