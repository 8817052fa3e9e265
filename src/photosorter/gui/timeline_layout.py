"""Where every cell and date header of the timeline sits: a few numbers per day group, so placing a cell,
finding the cell under the mouse or the cells in view is a bisection and arithmetic, not a walk over the
photos. Rebuilt when the ids, the groups or the width change (O(days), about 5,000 for 100,000 photos):
on the GUI thread, at every change the live library brings, so the rebuild keeps plain lists of numbers
and makes a ``Section`` only for the few days painted or asked about (making all 5,000 took 16-21 ms of
the GUI thread's CPU per change; the lists take a few)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

from PySide6.QtCore import QRect

from photosorter.core.timeline import DayGroup

DAY_HEADER = 34  # px: a day's header line
MONTH_HEADER = 40  # px more above the first day of a month: the month and year in large type
GAP = 6  # px after a section's last line of cells


@dataclass(frozen=True, slots=True)
class Section:
    """A day's header and its cells; without groups, the whole list is one section without a header."""

    first: int  # row of its first cell
    count: int
    top: int  # content y of the header
    header: int  # header height (0 without groups)
    group: DayGroup | None
    new_month: bool  # the first day shown of its month: a month title above the day line

    @property
    def cells_top(self) -> int:
        return self.top + self.header


class Sections(Sequence[Section]):
    """The layout's sections, each made when first asked for (see the module's docstring)."""

    def __init__(
        self, count: int, groups: Sequence[DayGroup], firsts: list[int], tops: list[int], month_tops: set[int]
    ) -> None:
        self._count = count
        self._groups = groups
        self._firsts = firsts
        self._tops = tops
        self._month_tops = month_tops
        self._made: dict[int, Section] = {}

    def __len__(self) -> int:
        return len(self._firsts)

    @overload
    def __getitem__(self, index: int) -> Section: ...

    @overload
    def __getitem__(self, index: slice) -> list[Section]: ...

    def __getitem__(self, index: int | slice) -> Section | list[Section]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        section = self._made.get(index)
        if section is None:
            if not 0 <= index < len(self._firsts):
                raise IndexError(index)
            top = self._tops[index]
            if not self._groups:  # the whole list, without a header
                section = Section(0, self._count, 0, 0, None, False)
            else:
                group = self._groups[index]
                new_month = top in self._month_tops
                header = DAY_HEADER + (MONTH_HEADER if new_month else 0)
                section = Section(group.first, group.count, top, header, group, new_month)
            self._made[index] = section
        return section


class TimelineLayout:
    """Cells of ``cell`` × ``cell`` px in ``columns`` columns, a new line at each day."""

    def __init__(self, count: int, groups: Sequence[DayGroup], columns: int, cell: int) -> None:
        self.count = count
        self.columns = max(1, columns)
        self.cell = max(1, cell)
        if sum(group.count for group in groups) != count:
            groups = ()  # the ids are changing under a splice; the next layout has the groups again
        self.grouped = bool(groups)
        columns, cell = self.columns, self.cell
        firsts: list[int] = []
        tops: list[int] = []
        months: list[tuple[int, int, int]] = []  # (top, year, month) of each month's first day
        y, month = 0, -1
        for group in groups:
            first, day = group.first, group.day
            firsts.append(first)
            tops.append(y)
            if day // 100 != month:
                month = day // 100
                months.append((y, day // 10000, month % 100))
                y += MONTH_HEADER
            y += DAY_HEADER + -(-group.count // columns) * cell + GAP
        if not groups and count:
            firsts, tops = [0], [0]
            y = self._lines(count) * cell
        self.height = y
        self._firsts = firsts
        self._tops = tops
        self._months = months
        self.sections = Sections(count, groups, firsts, tops, {top for top, _, _ in months})

    def _lines(self, count: int) -> int:
        return -(-count // self.columns)

    def section_of_row(self, row: int) -> int:
        return max(0, bisect_right(self._firsts, row) - 1)

    def section_at(self, y: int) -> int:
        """The section whose band (header and cells) holds content y (the last one below the end)."""
        return max(0, bisect_right(self._tops, y) - 1)

    def rect(self, row: int) -> QRect:
        """A cell in content coordinates; an empty rect for a row outside the list."""
        if not 0 <= row < self.count or not self.sections:
            return QRect()
        section = self.sections[self.section_of_row(row)]
        k = row - section.first
        x = k % self.columns * self.cell
        return QRect(x, section.cells_top + k // self.columns * self.cell, self.cell, self.cell)

    def row_at(self, x: int, y: int) -> int:
        """The cell at a content point, or -1 (a header, a gap, past a short last line)."""
        if not self.sections or x < 0 or y < 0 or x >= self.columns * self.cell:
            return -1
        section = self.sections[self.section_at(y)]
        inside = y - section.cells_top
        if inside < 0:
            return -1
        k = inside // self.cell * self.columns + x // self.cell
        return section.first + k if k < section.count else -1

    def tiles(self, top: int, bottom: int, left: int = 0, right: int = 1 << 30) -> list[tuple[int, QRect]]:
        """(row, content rect) of every cell meeting the band top..bottom (and left..right)."""
        found: list[tuple[int, QRect]] = []
        if not self.sections or bottom < top:
            return found
        cell, columns = self.cell, self.columns
        first_column = max(0, left // cell)
        last_column = min(columns - 1, right // cell)
        for index in range(self.section_at(top), len(self.sections)):
            section = self.sections[index]
            if section.top > bottom:
                break
            lines = self._lines(section.count)
            first_line = max(0, (top - section.cells_top) // cell)
            last_line = min(lines - 1, (bottom - section.cells_top) // cell)
            for line in range(first_line, last_line + 1):
                y = section.cells_top + line * cell
                for column in range(first_column, last_column + 1):
                    k = line * columns + column
                    if k >= section.count:
                        break
                    found.append((section.first + k, QRect(column * cell, y, cell, cell)))
        return found

    def headers(self, top: int, bottom: int) -> list[Section]:
        """The sections whose headers meet the band top..bottom."""
        if not self.grouped:
            return []
        found = []
        for index in range(self.section_at(top), len(self.sections)):
            section = self.sections[index]
            if section.top > bottom:
                break
            if section.top + section.header >= top:
                found.append(section)
        return found

    def step(self, row: int, lines: int) -> int:
        """The row ``lines`` lines down (negative: up) in the same column, crossing into the next or
        previous day's lines; clamped to the list."""
        if not self.sections:
            return -1
        index = self.section_of_row(row)
        section = self.sections[index]
        k = row - section.first
        column = k % self.columns
        line = k // self.columns + lines
        while True:
            last_line = self._lines(section.count) - 1
            if line < 0:
                if index == 0:
                    return section.first + column if column < section.count else 0
                index -= 1
                section = self.sections[index]
                line += self._lines(section.count)
            elif line > last_line:
                if index == len(self.sections) - 1:
                    return self.count - 1
                line -= last_line + 1
                index += 1
                section = self.sections[index]
            else:
                return section.first + min(line * self.columns + column, section.count - 1)

    def month_marks(self) -> list[tuple[int, int, int]]:
        """(content y, year, month) where each month starts, for the scrubber."""
        return self._months
