"""Reads behind the gallery's order and its date groups: one query returns the ordered ids with their days."""

from __future__ import annotations

import json
from collections.abc import Sequence

from photosorter.core.catalog.database import Catalog

_VISIBLE = "state IN ('ok', 'offline')"  # missing and unreadable files leave every view

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
) -> tuple[list[int], list[str | None], list[int]]:
    """The visible photos (all, or those among ``ids``) in the order of ``key``. By date taken, also each
    one's day (``YYYY-MM-DD``; the scanner dates a photo without EXIF by its file's modification time,
    ``taken_at_source`` 'mtime') and 1 where that day is the file's date; other orders need neither."""
    order = ORDERS[(key, descending)]
    by_date = key == "taken"
    columns = "id, substr(taken_at, 1, 10), taken_at_source = 'mtime'" if by_date else "id"
    source = "photos"
    params: tuple = ()
    where = _VISIBLE
    if ids is not None:
        # one parameter however many ids a search found (a 100,000-id IN list would need chunks); the
        # planner picks: a few ids are looked up and sorted, many are read in the index's order
        where += " AND id IN (SELECT value FROM json_each(?))"
        params = (json.dumps(list(ids)),)
    elif by_date:
        # the whole library in date order is a scan of this covering index (v9), 4x faster than what the
        # planner picks on its own (the state index, then a sort)
        source = "photos INDEXED BY photos_timeline"
    rows = catalog.connection().execute(
        f"SELECT {columns} FROM {source} WHERE {where} ORDER BY {order}", params
    )
    if not by_date:
        return [row[0] for row in rows], [], []
    found = rows.fetchall()
    if not found:
        return [], [], []
    photo_ids, days, by_file = zip(*found, strict=True)
    return list(photo_ids), list(days), [1 if flag else 0 for flag in by_file]


def first_days(
    catalog: Catalog, key: str, descending: bool, limit: int
) -> tuple[list[int], list[str | None], list[int]]:
    """``ordered_days`` of the whole library cut after the first ``limit`` photos, and, by date taken,
    completed to the end of the last day: its header then counts all the day's photos.
    Read through the order's index, a few milliseconds however large the library, where the whole list
    takes about a second at 100,000 photos: the gallery shows these first."""
    by_date = key == "taken"
    order = ORDERS[(key, descending)]
    columns = "id, substr(taken_at, 1, 10), taken_at_source = 'mtime', taken_at" if by_date else "id"
    source = "photos INDEXED BY photos_timeline" if by_date else "photos"
    connection = catalog.connection()
    rows = connection.execute(
        f"SELECT {columns} FROM {source} WHERE {_VISIBLE} ORDER BY {order} LIMIT ?", (limit,)
    ).fetchall()
    if not by_date:
        return [row[0] for row in rows], [], []
    if len(rows) == limit and rows[-1][1] is not None:
        last_id, day, _, taken = rows[-1]
        # the rest of the last day: after the last row in the order, still on that day (a range of the
        # index: 'YYYY-MM-DD' sorts before every time of that day, and DEL after them)
        if descending:
            rest = "taken_at >= ? AND (taken_at, id) < (?, ?)"
            params: tuple = (day, taken, last_id)
        else:
            rest = "taken_at < ? AND (taken_at, id) > (?, ?)"
            params = (day + "\x7f", taken, last_id)
        rows += connection.execute(
            f"SELECT {columns} FROM {source} WHERE {_VISIBLE} AND {rest} ORDER BY {order}", params
        ).fetchall()
    return [row[0] for row in rows], [row[1] for row in rows], [1 if row[2] else 0 for row in rows]
