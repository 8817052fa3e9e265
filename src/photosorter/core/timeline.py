"""The gallery's order and its date groups: which row starts which day, month and year, made once per
query from one catalog read (the view lays out and paints from these, never from the photos one by one)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from photosorter.core.catalog import timeline as timeline_rows
from photosorter.core.catalog.database import Catalog


class SortKey(StrEnum):
    TAKEN = "taken"  # date taken (the file's date when the photo has none): grouped by day
    ADDED = "added"  # the order photos came into the library
    NAME = "name"
    SIZE = "size"


SORT_TITLES = {
    SortKey.TAKEN: "Date Taken",
    SortKey.ADDED: "Date Added",
    SortKey.NAME: "Name",
    SortKey.SIZE: "File Size",
}


@dataclass(frozen=True, slots=True)
class Sort:
    key: SortKey = SortKey.TAKEN
    descending: bool = True  # newest, last, largest first

    @property
    def grouped(self) -> bool:
        """Only the date order has day headers: other orders scatter a day's photos."""
        return self.key == SortKey.TAKEN


@dataclass(frozen=True, slots=True)
class DayGroup:
    """The photos of one day, consecutive in the order: rows ``first`` .. ``first + count - 1``."""

    first: int
    count: int
    day: int  # YYYYMMDD; 0 when the photos have no date at all
    by_file_date: int  # how many are dated by their file's modification time, not by the camera

    @property
    def year(self) -> int:
        return self.day // 10000

    @property
    def month(self) -> int:
        return self.day // 100 % 100

    @property
    def file_dated(self) -> bool:
        """Every photo of the day is dated by its file: the header says so."""
        return self.by_file_date == self.count


@dataclass(frozen=True, slots=True)
class Timeline:
    """The ids in order and, when ordered by date, their day groups (empty otherwise)."""

    ids: list[int]
    groups: tuple[DayGroup, ...] = ()
    sort: Sort = Sort()

    def group_at(self, row: int) -> int:
        """The index of the group holding ``row`` (-1 without groups)."""
        if not self.groups:
            return -1
        return max(0, bisect_right(group_starts(self.groups), row) - 1)


def group_starts(groups: Sequence[DayGroup]) -> list[int]:
    return [group.first for group in groups]


def day_number(text: str | None) -> int:
    """``2024-03-02`` as 20240302; 0 for no date or one that is not a date."""
    try:
        return int(text[0:4]) * 10000 + int(text[5:7]) * 100 + int(text[8:10]) if text else 0
    except ValueError:
        return 0


def day_groups(days: Sequence[str | None], by_file: Sequence[int]) -> tuple[DayGroup, ...]:
    """Runs of equal days (``YYYY-MM-DD``) in an ordered list, with how many of each run are dated by
    their file. Python compares the texts; only each run's day is parsed."""
    groups: list[DayGroup] = []
    start, count = 0, len(days)
    while start < count:
        day, end = days[start], start + 1
        while end < count and days[end] == day:
            end += 1
        groups.append(DayGroup(start, end - start, day_number(day), sum(by_file[start:end])))
        start = end
    return tuple(groups)


def ordered(catalog: Catalog, sort: Sort, ids: Sequence[int] | None = None) -> Timeline:
    """The visible photos (all, or those among ``ids``) in ``sort`` order, grouped by day when by date."""
    photo_ids, days, by_file = timeline_rows.ordered_days(catalog, sort.key.value, sort.descending, ids)
    return Timeline(photo_ids, day_groups(days, by_file) if sort.grouped else (), sort)


def first(catalog: Catalog, sort: Sort, limit: int) -> Timeline:
    """The first ``limit`` photos of ``ordered(catalog, sort)`` (by date, to the end of the last day, so
    every group is whole): what the gallery shows while the whole list is read."""
    photo_ids, days, by_file = timeline_rows.first_days(catalog, sort.key.value, sort.descending, limit)
    return Timeline(photo_ids, day_groups(days, by_file) if sort.grouped else (), sort)
