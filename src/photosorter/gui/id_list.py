"""The gallery's id lists: how to get from the shown list to a new one (rows removed and inserted)."""

from __future__ import annotations

from dataclasses import dataclass

from photosorter.core.records import Photo
from photosorter.core.timeline import DayGroup

MAX_SPLICES = 200  # more separate runs of added/removed rows than this: one reset is cheaper


def row_runs(rows: list[int]) -> list[tuple[int, int]]:
    """Ascending rows grouped into (first, last) runs of consecutive numbers."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


@dataclass(frozen=True, slots=True)
class IdList:
    """A new id list and how to get there from ``base`` (the model's list when it was made)."""

    base: list[int]
    ids: list[int]
    row_of: dict[int, int]
    same: bool
    removed: list[tuple[int, int]] | None  # None (with inserted): reset the model
    inserted: list[tuple[int, int]] | None
    groups: tuple[DayGroup, ...] = ()  # the new list's day groups (empty unless ordered by date)
    partial: bool = False  # only the first photos: the whole list follows (no count to show yet)
    rows: dict[int, Photo] | None = None  # the first screens' rows, read with the ids: painted at once
    turns: dict[int, int] | None = None  # and their quarter turns for display


def prepare_ids(base: list[int], ids: list[int], groups: tuple[DayGroup, ...] = ()) -> IdList:
    """Compares two id lists (pure Python: run it on a worker for 100,000 ids). Removals then insertions
    when the kept ids kept their order and the changes come in few runs; otherwise a reset."""
    if ids == base:
        return IdList(base, base, {}, True, [], [], groups)
    row_of = {pid: row for row, pid in enumerate(ids)}
    removed = inserted = None
    if base:
        old_set = set(base)
        if [i for i in base if i in row_of] == [i for i in ids if i in old_set]:
            removed = row_runs([row for row, pid in enumerate(base) if pid not in row_of])
            inserted = row_runs([row for row, pid in enumerate(ids) if pid not in old_set])
            if len(removed) + len(inserted) > MAX_SPLICES:
                removed = inserted = None
    return IdList(base, ids, row_of, False, removed, inserted, groups)
