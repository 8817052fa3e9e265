"""Library folders and photo rows: what the scanner writes and every view reads."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import NamedTuple

from photosorter.core.catalog.database import Catalog
from photosorter.core.catalog.paths import display, from_db, to_db
from photosorter.core.records import Folder, ImageFacts, MediaKind, Photo


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# -- folders ---------------------------------------------------------------------------------------------
def add_folder(catalog: Catalog, path: str) -> Folder:
    with catalog.transaction() as conn:
        conn.execute(
            "INSERT INTO folders (path, added_at) VALUES (?, ?) ON CONFLICT (path) DO NOTHING",
            (to_db(path), now_iso()),
        )
        row = conn.execute("SELECT id, path, online FROM folders WHERE path = ?", (to_db(path),)).fetchone()
    return Folder(row[0], from_db(row[1]), bool(row[2]))


def remove_folder(catalog: Catalog, folder_id: int) -> None:
    """Forgets a folder and its photo rows (never the files). Analysis stays cached by content hash."""
    with catalog.transaction() as conn:
        conn.execute("DELETE FROM folders WHERE id = ?", (folder_id,))


def folders(catalog: Catalog) -> list[Folder]:
    rows = catalog.connection().execute("SELECT id, path, online FROM folders ORDER BY path").fetchall()
    return [Folder(r[0], from_db(r[1]), bool(r[2])) for r in rows]


def set_folder_online(catalog: Catalog, folder_id: int, online: bool) -> None:
    """An unplugged disk: its photos are shown as offline, not deleted, and come back with it."""
    with catalog.transaction() as conn:
        conn.execute("UPDATE folders SET online = ? WHERE id = ?", (int(online), folder_id))
        if online:
            conn.execute(
                "UPDATE photos SET state = CASE WHEN hash IS NULL THEN 'error' ELSE 'ok' END "
                "WHERE folder_id = ? AND state = 'offline'",
                (folder_id,),
            )
        else:
            conn.execute(
                "UPDATE photos SET state = 'offline' WHERE folder_id = ? AND state IN ('ok', 'error')",
                (folder_id,),
            )


# -- what the scanner needs ------------------------------------------------------------------------------
class KnownFile(NamedTuple):
    # a NamedTuple, not a dataclass: a rescan builds one per file and this is half its cost
    id: int
    size: int | None
    mtime_ns: int | None
    state: str
    sidecars: str | None  # the XMP sidecars' sizes and mtimes when last read


def known_files(catalog: Catalog, folder_id: int) -> dict[str, KnownFile]:
    cursor = catalog.connection().execute(
        "SELECT path, id, size, mtime_ns, state, sidecars FROM photos WHERE folder_id = ?", (folder_id,)
    )
    make = KnownFile._make
    return {(r[0] if r[0].__class__ is str else from_db(r[0])): make(r[1:]) for r in cursor}


def known_files_under(catalog: Catalog, folder_id: int, roots: Iterable[str]) -> dict[str, KnownFile]:
    """The rows at or below each of ``roots``: a watcher's batch need not load a 100,000-photo folder."""
    conn = catalog.connection()
    make = KnownFile._make
    found: dict[str, KnownFile] = {}
    for root in roots:
        # all below root sorts between "root/" and "root0" ('0' follows '/'): the path index serves it
        rows = conn.execute(
            # unary + keeps the planner off the folder index, which would read the whole folder
            "SELECT path, id, size, mtime_ns, state, sidecars FROM photos WHERE +folder_id = ?"
            " AND (path = ? OR (path >= ? AND path < ?))",
            (folder_id, root, root + "/", root + "0"),
        )
        found.update((r[0], make(r[1:])) for r in rows)
    # the rare non-UTF-8 names are stored as BLOBs, outside any text range: always include them
    blobs = conn.execute(
        "SELECT path, id, size, mtime_ns, state, sidecars FROM photos"
        " WHERE folder_id = ? AND typeof(path) = 'blob'",
        (folder_id,),
    )
    found.update((from_db(r[0]), make(r[1:])) for r in blobs)
    return found


def _facts_values(facts: ImageFacts) -> tuple:
    """The ImageFacts columns, in the order both statements below name them."""
    return (
        facts.size,
        facts.mtime_ns,
        facts.hash,
        facts.format,
        facts.width,
        facts.height,
        facts.taken_at,
        facts.taken_at_source,
        facts.camera_make,
        facts.camera_model,
        facts.latitude,
        facts.longitude,
        facts.orientation,
        "; ".join(facts.warnings) or None,
        facts.media.value,
        *_video_values(facts),
        facts.sidecars,
    )


def _video_values(facts: ImageFacts) -> tuple:
    video = facts.video
    if video is None:
        return (None, None, None, None)
    return (video.duration_s, video.fps, video.codec, video.rotation)


def insert_photo(conn: sqlite3.Connection, folder_id: int, path: str, name: str, facts: ImageFacts) -> int:
    # one statement, not an insert then an update: the search index's triggers then fire once per photo
    cursor = conn.execute(
        """INSERT INTO photos (folder_id, path, name, size, mtime_ns, hash, format, width, height,
               taken_at, taken_at_source, camera_make, camera_model, latitude, longitude, orientation,
               warnings, media, duration_s, fps, codec, rotation, sidecars, state, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ok', ?)""",
        (folder_id, to_db(path), display(name), *_facts_values(facts), now_iso()),
    )
    return int(cursor.lastrowid)


def update_facts(conn: sqlite3.Connection, photo_id: int, facts: ImageFacts) -> None:
    conn.execute(
        """UPDATE photos SET size = ?, mtime_ns = ?, hash = ?, format = ?, width = ?, height = ?,
               taken_at = ?, taken_at_source = ?, camera_make = ?, camera_model = ?,
               latitude = ?, longitude = ?, orientation = ?, warnings = ?, media = ?, duration_s = ?,
               fps = ?, codec = ?, rotation = ?, sidecars = ?, state = 'ok', error = NULL, updated_at = ?
           WHERE id = ?""",
        (*_facts_values(facts), now_iso(), photo_id),
    )


def move_photo(conn: sqlite3.Connection, photo_id: int, folder_id: int, path: str, name: str) -> None:
    conn.execute(
        "UPDATE photos SET folder_id = ?, path = ?, name = ?, updated_at = ? WHERE id = ?",
        (folder_id, to_db(path), display(name), now_iso(), photo_id),
    )


def record_error(
    conn: sqlite3.Connection,
    folder_id: int,
    path: str,
    name: str,
    error: str,
    size: int | None,
    mtime_ns: int | None,
    sidecars: str | None = None,
) -> None:
    """Remembers why a file could not be read, with its size and mtime so it is not retried unchanged."""
    conn.execute(
        """INSERT INTO photos (folder_id, path, name, size, mtime_ns, sidecars, state, error, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, 'error', ?, ?)
           ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
               sidecars = excluded.sidecars, state = 'error', error = excluded.error,
               updated_at = excluded.updated_at""",
        (folder_id, to_db(path), display(name), size, mtime_ns, sidecars, error, now_iso()),
    )


def photos_with_hash(conn: sqlite3.Connection, content_hash: str) -> list[tuple[int, str, str]]:
    rows = conn.execute("SELECT id, path, state FROM photos WHERE hash = ?", (content_hash,)).fetchall()
    return [(r[0], from_db(r[1]), r[2]) for r in rows]


def id_of(conn: sqlite3.Connection, path: str) -> int | None:
    row = conn.execute("SELECT id FROM photos WHERE path = ?", (to_db(path),)).fetchone()
    return row[0] if row else None


def hash_of(conn: sqlite3.Connection, photo_id: int) -> str | None:
    row = conn.execute("SELECT hash FROM photos WHERE id = ?", (photo_id,)).fetchone()
    return row[0] if row else None


def path_of(conn: sqlite3.Connection, photo_id: int) -> str | None:
    row = conn.execute("SELECT path FROM photos WHERE id = ?", (photo_id,)).fetchone()
    return from_db(row[0]) if row else None


def mark_missing(conn: sqlite3.Connection, photo_ids: list[int]) -> None:
    conn.executemany(
        "UPDATE photos SET state = 'missing', updated_at = ? WHERE id = ?",
        [(now_iso(), pid) for pid in photo_ids],
    )


def delete_photo(conn: sqlite3.Connection, photo_id: int) -> None:
    conn.execute("DELETE FROM photos WHERE id = ?", (photo_id,))


# -- reading ---------------------------------------------------------------------------------------------
_PHOTO_COLUMNS = (
    "id, folder_id, path, name, size, mtime_ns, hash, format, width, height, taken_at, taken_at_source, "
    "camera_make, camera_model, latitude, longitude, orientation, state, error, warnings, "
    "media, duration_s, fps, codec, rotation"
)
_MEDIA = 20  # the position of ``media`` in _PHOTO_COLUMNS


def _photo(row: tuple) -> Photo:
    values = list(row)
    values[2] = from_db(values[2])
    values[_MEDIA] = MediaKind(values[_MEDIA])
    return Photo(*values)


def photo_by_path(catalog: Catalog, path: str) -> Photo | None:
    row = (
        catalog.connection()
        .execute(f"SELECT {_PHOTO_COLUMNS} FROM photos WHERE path = ?", (to_db(path),))
        .fetchone()
    )
    return _photo(row) if row else None


def photo_by_id(catalog: Catalog, photo_id: int) -> Photo | None:
    row = (
        catalog.connection()
        .execute(f"SELECT {_PHOTO_COLUMNS} FROM photos WHERE id = ?", (photo_id,))
        .fetchone()
    )
    return _photo(row) if row else None


def photos_by_ids(catalog: Catalog, photo_ids: list[int]) -> dict[int, Photo]:
    """Rows for a page of the gallery, in one query."""
    found: dict[int, Photo] = {}
    conn = catalog.connection()
    for start in range(0, len(photo_ids), 500):
        chunk = photo_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(f"SELECT {_PHOTO_COLUMNS} FROM photos WHERE id IN ({marks})", chunk):
            found[row[0]] = _photo(row)
    return found


def visible_photo_ids(catalog: Catalog) -> list[int]:
    """Every photo a view may show, newest first (missing and unreadable files leave every view)."""
    rows = catalog.connection().execute(
        "SELECT id FROM photos WHERE state IN ('ok', 'offline') ORDER BY taken_at DESC, id DESC"
    )
    return [r[0] for r in rows]


def errors(catalog: Catalog) -> list[tuple[str, str]]:
    rows = catalog.connection().execute("SELECT path, error FROM photos WHERE state = 'error' ORDER BY path")
    return [(from_db(r[0]), r[1]) for r in rows]


def stats(catalog: Catalog) -> dict[str, int]:
    conn = catalog.connection()
    counts = dict(conn.execute("SELECT state, count(*) FROM photos GROUP BY state").fetchall())
    return {
        "photos": counts.get("ok", 0) + counts.get("offline", 0),
        "folders": conn.execute("SELECT count(*) FROM folders").fetchone()[0],
        "errors": counts.get("error", 0),
        "missing": counts.get("missing", 0),
        "offline": counts.get("offline", 0),
        "videos": conn.execute(
            "SELECT count(*) FROM photos WHERE state IN ('ok', 'offline') AND media = 'video'"
        ).fetchone()[0],
        "distinct_contents": conn.execute(
            "SELECT count(DISTINCT hash) FROM photos WHERE state IN ('ok', 'offline')"
        ).fetchone()[0],
    }
