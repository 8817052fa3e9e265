"""Favourites and star ratings, kept against the photo row (``photos.id``).

A photo's marks follow it through moves and renames (the scanner keeps the row) and belong to that
copy only: two copies of the same content are rated separately. A photo without marks has no row,
so a library of 100,000 photos with a few hundred favourites reads a few hundred rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from photosorter.core.catalog.database import Catalog
from photosorter.core.catalog.photos import now_iso
from photosorter.core.errors import PhotosorterError

MAX_RATING = 5


@dataclass(frozen=True, slots=True)
class PhotoMarks:
    photo_id: int
    favorite: bool
    rating: int  # 0..5, 0 = not rated


class RatingError(PhotosorterError):
    """A rating outside 0..5."""


def _ids(photo_ids: Iterable[int]) -> str:
    return json.dumps(sorted({int(i) for i in photo_ids}))


def _in(column: str) -> str:
    return f"{column} IN (SELECT value FROM json_each(?))"


def marks_of(catalog: Catalog, photo_ids: Iterable[int]) -> dict[int, PhotoMarks]:
    """The marks of these photos; photos without marks are absent."""
    rows = catalog.connection().execute(
        f"SELECT photo_id, favorite, rating FROM photo_marks WHERE {_in('photo_id')}", (_ids(photo_ids),)
    )
    return {pid: PhotoMarks(pid, bool(fav), int(rating)) for pid, fav, rating in rows}


def all_marks(catalog: Catalog) -> dict[int, PhotoMarks]:
    """Every photo's marks (only marked photos have any): what the gallery paints on its tiles."""
    rows = catalog.connection().execute("SELECT photo_id, favorite, rating FROM photo_marks")
    return {pid: PhotoMarks(pid, bool(fav), int(rating)) for pid, fav, rating in rows}


def check_rating(rating: int) -> int:
    if isinstance(rating, bool) or not isinstance(rating, int) or not 0 <= rating <= MAX_RATING:
        raise RatingError(
            f"a rating is a whole number of stars from 0 (not rated) to {MAX_RATING}, not {rating!r}"
        )
    return rating


def _set(catalog: Catalog, photo_ids: Iterable[int], column: str, value: int) -> None:
    # column is one of our two names, never user text
    ids = _ids(photo_ids)
    with catalog.transaction() as conn:
        if value:
            # photos that do not exist (deleted meanwhile) are skipped rather than failing the rest
            conn.execute(
                f"INSERT INTO photo_marks (photo_id, {column}, updated_at)"
                f" SELECT id, ?, ? FROM photos WHERE {_in('id')}"
                f" ON CONFLICT (photo_id) DO UPDATE SET {column} = excluded.{column},"
                f" updated_at = excluded.updated_at WHERE photo_marks.{column} IS NOT excluded.{column}",
                (value, now_iso(), ids),
            )
            return
        conn.execute(
            f"UPDATE photo_marks SET {column} = 0, updated_at = ? WHERE {column} != 0 AND {_in('photo_id')}",
            (now_iso(), ids),
        )
        conn.execute(
            f"DELETE FROM photo_marks WHERE favorite = 0 AND rating = 0 AND {_in('photo_id')}", (ids,)
        )


def set_rating(catalog: Catalog, photo_ids: Iterable[int], rating: int) -> None:
    """Gives these photos ``rating`` stars (0 takes the rating away)."""
    _set(catalog, photo_ids, "rating", check_rating(rating))


def set_favorite(catalog: Catalog, photo_ids: Iterable[int], favorite: bool) -> None:
    _set(catalog, photo_ids, "favorite", int(bool(favorite)))


def restore_marks(catalog: Catalog, photo_ids: Iterable[int], before: Mapping[int, PhotoMarks]) -> None:
    """Puts these photos' marks back to ``before`` (as ``marks_of`` read them; absent = no marks): undo."""
    wanted = sorted({int(i) for i in photo_ids})
    with catalog.transaction() as conn:
        conn.execute(
            f"DELETE FROM photo_marks WHERE {_in('photo_id')}",
            (json.dumps([i for i in wanted if i not in before or not _marked(before[i])]),),
        )
        conn.executemany(
            "INSERT INTO photo_marks (photo_id, favorite, rating, updated_at)"
            " SELECT id, ?, ?, ? FROM photos WHERE id = ?"
            " ON CONFLICT (photo_id) DO UPDATE SET favorite = excluded.favorite, rating = excluded.rating,"
            " updated_at = excluded.updated_at"
            " WHERE photo_marks.favorite IS NOT excluded.favorite"
            " OR photo_marks.rating IS NOT excluded.rating",
            [
                (int(before[i].favorite), before[i].rating, now_iso(), i)
                for i in wanted
                if i in before and _marked(before[i])
            ],
        )


def _marked(marks: PhotoMarks) -> bool:
    return marks.favorite or marks.rating > 0
