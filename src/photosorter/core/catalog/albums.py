"""Albums (photos a user collected, in date or their own order) and saved searches ("smart albums").

An album holds photo rows, so a photo can be in many albums and follows a move or rename; deleting an
album or taking a photo out of it never touches the photo. A saved search is only a named query: it
is run again whenever it is shown, so it follows the library as it changes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from photosorter.core.catalog.database import Catalog
from photosorter.core.catalog.photos import now_iso
from photosorter.core.errors import PhotosorterError

MAX_NAME = 200
_VISIBLE = "p.state IN ('ok', 'offline')"


class AlbumError(PhotosorterError):
    """A name that is empty, too long or already taken; an album or saved search that is gone."""


class AlbumOrder(StrEnum):
    DATE = "date"  # newest first, like the gallery
    MANUAL = "manual"  # the order the user arranged


@dataclass(frozen=True, slots=True)
class Album:
    id: int
    name: str
    order: AlbumOrder
    count: int  # visible photos in it
    created_at: str


@dataclass(frozen=True, slots=True)
class AlbumMember:
    photo_id: int
    position: int
    added_at: str


@dataclass(frozen=True, slots=True)
class AlbumSnapshot:
    """An album as it was, members and all: what undo writes back."""

    album: Album
    members: tuple[AlbumMember, ...]


@dataclass(frozen=True, slots=True)
class SavedSearch:
    id: int
    name: str
    query: str
    created_at: str


def clean_name(name: str, what: str = "album") -> str:
    text = " ".join(str(name).split())
    if not text:
        raise AlbumError(f"an {what} needs a name" if what[0] in "aeiou" else f"a {what} needs a name")
    if len(text) > MAX_NAME:
        raise AlbumError(f"the {what} name is too long ({len(text)} characters; at most {MAX_NAME})")
    return text


def _ids(photo_ids: Iterable[int]) -> str:
    return json.dumps([int(i) for i in dict.fromkeys(photo_ids)])


# -- albums --------------------------------------------------------------------------------------------------
_ALBUM = (
    "SELECT a.id, a.name, a.sort, (SELECT count(*) FROM album_photos ap JOIN photos p ON p.id = ap.photo_id"
    f" WHERE ap.album_id = a.id AND {_VISIBLE}), a.created_at FROM albums a"
)


def _album(row: tuple) -> Album:
    return Album(row[0], row[1], AlbumOrder(row[2]), int(row[3]), row[4])


def albums(catalog: Catalog) -> list[Album]:
    """Every album by name, with its count of visible photos."""
    rows = catalog.connection().execute(_ALBUM + " ORDER BY a.name COLLATE NOCASE, a.id")
    return [_album(row) for row in rows]


def album_names(catalog: Catalog) -> dict[int, str]:
    """Every album's name by id, without counting photos (what ``album:`` in a search matches)."""
    return dict(catalog.connection().execute("SELECT id, name FROM albums"))


def album_by_id(catalog: Catalog, album_id: int) -> Album | None:
    row = catalog.connection().execute(_ALBUM + " WHERE a.id = ?", (album_id,)).fetchone()
    return _album(row) if row else None


def album_by_name(catalog: Catalog, name: str) -> Album | None:
    """The album of that name, case ignored."""
    row = catalog.connection().execute(_ALBUM + " WHERE a.name = ? COLLATE NOCASE", (" ".join(name.split()),))
    found = row.fetchone()
    return _album(found) if found else None


def _taken(conn, name: str, but: int | None = None) -> None:
    row = conn.execute("SELECT id, name FROM albums WHERE name = ? COLLATE NOCASE", (name,)).fetchone()
    if row is not None and row[0] != but:
        raise AlbumError(f"there is already an album called {row[1]!r}")


def create_album(catalog: Catalog, name: str) -> Album:
    name = clean_name(name)
    with catalog.transaction() as conn:
        _taken(conn, name)
        album_id = conn.execute(
            "INSERT INTO albums (name, created_at) VALUES (?, ?)", (name, now_iso())
        ).lastrowid
    album = album_by_id(catalog, int(album_id))
    assert album is not None
    return album


def _need(conn, album_id: int) -> None:
    if conn.execute("SELECT 1 FROM albums WHERE id = ?", (album_id,)).fetchone() is None:
        raise AlbumError("that album no longer exists")


def rename_album(catalog: Catalog, album_id: int, name: str) -> None:
    name = clean_name(name)
    with catalog.transaction() as conn:
        _need(conn, album_id)
        _taken(conn, name, but=album_id)
        conn.execute("UPDATE albums SET name = ? WHERE id = ?", (name, album_id))


def delete_album(catalog: Catalog, album_id: int) -> None:
    """Deletes the album and its list of photos; the photos themselves stay where they are."""
    with catalog.transaction() as conn:
        conn.execute("DELETE FROM albums WHERE id = ?", (album_id,))


def set_album_order(catalog: Catalog, album_id: int, order: AlbumOrder) -> None:
    with catalog.transaction() as conn:
        _need(conn, album_id)
        conn.execute("UPDATE albums SET sort = ? WHERE id = ?", (AlbumOrder(order).value, album_id))


def add_to_album(catalog: Catalog, album_id: int, photo_ids: Iterable[int]) -> int:
    """Appends these photos (in this order) after the album's last; returns how many were new to it.
    Photos already in the album keep their place; photos that no longer exist are skipped."""
    with catalog.transaction() as conn:
        _need(conn, album_id)
        before = conn.total_changes
        conn.execute(
            "INSERT OR IGNORE INTO album_photos (album_id, photo_id, position, added_at)"
            " SELECT ?, p.id, (SELECT coalesce(max(position), 0) FROM album_photos WHERE album_id = ?)"
            " + j.key + 1, ? FROM json_each(?) j JOIN photos p ON p.id = j.value ORDER BY j.key",
            (album_id, album_id, now_iso(), _ids(photo_ids)),
        )
        return conn.total_changes - before


def remove_from_album(catalog: Catalog, album_id: int, photo_ids: Iterable[int]) -> int:
    """Takes these photos out of the album (never out of the library); returns how many were in it."""
    with catalog.transaction() as conn:
        return conn.execute(
            "DELETE FROM album_photos WHERE album_id = ? AND photo_id IN (SELECT value FROM json_each(?))",
            (album_id, _ids(photo_ids)),
        ).rowcount


def _order_of(conn, album_id: int) -> str | None:
    """The ORDER BY of an album's photos (ap: album_photos, p: photos); None when it is gone."""
    row = conn.execute("SELECT sort FROM albums WHERE id = ?", (album_id,)).fetchone()
    if row is None:
        return None
    return "ap.position, ap.photo_id" if row[0] == AlbumOrder.MANUAL else "p.taken_at DESC, p.id DESC"


def album_photo_ids(catalog: Catalog, album_id: int) -> list[int]:
    """The album's visible photos in its order: newest first, or the user's own order."""
    order = _order_of(catalog.connection(), album_id)
    if order is None:
        return []
    rows = catalog.connection().execute(
        "SELECT p.id FROM album_photos ap JOIN photos p ON p.id = ap.photo_id"
        f" WHERE ap.album_id = ? AND {_VISIBLE} ORDER BY {order}",
        (album_id,),
    )
    return [r[0] for r in rows]


def move_in_album(catalog: Catalog, album_id: int, photo_ids: Iterable[int], before: int | None) -> None:
    """Puts these photos (in this order) just before photo ``before`` (None: at the end) and switches the
    album to its manual order, which is what arranging it means."""
    moving = [int(i) for i in dict.fromkeys(photo_ids)]
    with catalog.transaction() as conn:
        _need(conn, album_id)
        # arranging starts from the order the user saw (the date order, for an album not yet arranged)
        members = [
            r[0]
            for r in conn.execute(
                "SELECT ap.photo_id FROM album_photos ap JOIN photos p ON p.id = ap.photo_id"
                f" WHERE ap.album_id = ? ORDER BY {_order_of(conn, album_id)}",
                (album_id,),
            )
        ]
        inside = set(members)
        moving = [i for i in moving if i in inside]
        rest = [i for i in members if i not in set(moving)]
        at = rest.index(before) if before in rest else len(rest)
        arranged = rest[:at] + moving + rest[at:]
        conn.executemany(
            "UPDATE album_photos SET position = ? WHERE album_id = ? AND photo_id = ?",
            [(n, album_id, pid) for n, pid in enumerate(arranged, 1)],
        )
        conn.execute("UPDATE albums SET sort = 'manual' WHERE id = ?", (album_id,))


def albums_of(catalog: Catalog, photo_ids: Iterable[int]) -> dict[int, list[str]]:
    """The names of the albums each of these photos is in."""
    found: dict[int, list[str]] = {}
    for photo_id, name in catalog.connection().execute(
        "SELECT ap.photo_id, a.name FROM album_photos ap JOIN albums a ON a.id = ap.album_id"
        " WHERE ap.photo_id IN (SELECT value FROM json_each(?)) ORDER BY a.name COLLATE NOCASE",
        (_ids(photo_ids),),
    ):
        found.setdefault(photo_id, []).append(name)
    return found


def members_of_albums(catalog: Catalog, album_ids: Iterable[int]) -> list[int]:
    """Every photo in any of these albums (any state): what ``album:`` in a search matches."""
    rows = catalog.connection().execute(
        "SELECT DISTINCT photo_id FROM album_photos WHERE album_id IN (SELECT value FROM json_each(?))",
        (_ids(album_ids),),
    )
    return [r[0] for r in rows]


def snapshot_album(catalog: Catalog, album_id: int) -> AlbumSnapshot | None:
    album = album_by_id(catalog, album_id)
    if album is None:
        return None
    rows = catalog.connection().execute(
        "SELECT photo_id, position, added_at FROM album_photos WHERE album_id = ? ORDER BY position",
        (album_id,),
    )
    return AlbumSnapshot(album, tuple(AlbumMember(*row) for row in rows))


def restore_album(catalog: Catalog, snapshot: AlbumSnapshot) -> None:
    """Writes an album back as it was (undo of a rename, delete, add, removal or arranging). Photos
    deleted from the library meanwhile stay out."""
    album = snapshot.album
    with catalog.transaction() as conn:
        _taken(conn, album.name, but=album.id)
        conn.execute(
            "INSERT INTO albums (id, name, sort, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET name = excluded.name, sort = excluded.sort",
            (album.id, album.name, album.order.value, album.created_at),
        )
        conn.execute("DELETE FROM album_photos WHERE album_id = ?", (album.id,))
        conn.executemany(
            "INSERT INTO album_photos (album_id, photo_id, position, added_at)"
            " SELECT ?, id, ?, ? FROM photos WHERE id = ?",
            [(album.id, m.position, m.added_at, m.photo_id) for m in snapshot.members],
        )


# -- saved searches ------------------------------------------------------------------------------------------
def _saved(row: tuple) -> SavedSearch:
    return SavedSearch(row[0], row[1], row[2], row[3])


def saved_searches(catalog: Catalog) -> list[SavedSearch]:
    rows = catalog.connection().execute(
        "SELECT id, name, query, created_at FROM saved_searches ORDER BY name COLLATE NOCASE, id"
    )
    return [_saved(row) for row in rows]


def saved_search_by_id(catalog: Catalog, search_id: int) -> SavedSearch | None:
    row = (
        catalog.connection()
        .execute("SELECT id, name, query, created_at FROM saved_searches WHERE id = ?", (search_id,))
        .fetchone()
    )
    return _saved(row) if row else None


def _search_taken(conn, name: str, but: int | None = None) -> None:
    row = conn.execute(
        "SELECT id, name FROM saved_searches WHERE name = ? COLLATE NOCASE", (name,)
    ).fetchone()
    if row is not None and row[0] != but:
        raise AlbumError(f"there is already a saved search called {row[1]!r}")


def save_search(catalog: Catalog, name: str, query: str) -> SavedSearch:
    """Keeps ``query`` under ``name`` (the caller checked that it parses)."""
    name = clean_name(name, "saved search")
    if not query.strip():
        raise AlbumError("there is nothing to save: type a search first")
    with catalog.transaction() as conn:
        _search_taken(conn, name)
        search_id = conn.execute(
            "INSERT INTO saved_searches (name, query, created_at) VALUES (?, ?, ?)",
            (name, query.strip(), now_iso()),
        ).lastrowid
    found = saved_search_by_id(catalog, int(search_id))
    assert found is not None
    return found


def rename_saved_search(catalog: Catalog, search_id: int, name: str) -> None:
    name = clean_name(name, "saved search")
    with catalog.transaction() as conn:
        _search_taken(conn, name, but=search_id)
        if not conn.execute("UPDATE saved_searches SET name = ? WHERE id = ?", (name, search_id)).rowcount:
            raise AlbumError("that saved search no longer exists")


def delete_saved_search(catalog: Catalog, search_id: int) -> None:
    with catalog.transaction() as conn:
        conn.execute("DELETE FROM saved_searches WHERE id = ?", (search_id,))


def restore_saved_search(catalog: Catalog, saved: SavedSearch) -> None:
    """Undo of a rename or delete."""
    with catalog.transaction() as conn:
        _search_taken(conn, saved.name, but=saved.id)
        conn.execute(
            "INSERT INTO saved_searches (id, name, query, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET name = excluded.name, query = excluded.query",
            (saved.id, saved.name, saved.query, saved.created_at),
        )
