"""The timeline's date headers: a month title above the first day of each month, a line per day, and the
sticky header that keeps the date of the photos at the top of the view in sight while scrolling.

Each header's text is drawn once into a small pixmap and blitted after that: laying out and drawing the
glyphs was the costliest part of a frame (0.3 ms per line, four or five lines in view, against 0.1 ms per
thumbnail blit; a frame of the grid took 2.5-3 ms of the GUI thread's CPU)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPixmap

from photosorter.core.timeline import DayGroup
from photosorter.gui.timeline_layout import DAY_HEADER, MONTH_HEADER, Section, TimelineLayout

PAD = 8  # px left of a header's text
TEXT_CACHE = 256  # header lines kept as pixmaps: a few screens' worth (a few KB each, as wide as the text)
FILE_DATE_TIP = (
    "File date: these photos carry no date of their own, so they are placed by their file's modification time"
)


def _date(group: DayGroup) -> date | None:
    try:
        return date(group.year, group.month, group.day % 100)
    except ValueError:  # 0: undated
        return None


def month_title(group: DayGroup) -> str:
    when = _date(group)
    return f"{when:%B %Y}" if when else "No date"


def day_title(group: DayGroup) -> str:
    """``Saturday, 2 March 2024 · 12 photos``, and how the day is known when it is by the files' dates."""
    when = _date(group)
    text = f"{when:%A}, {when.day} {when:%B %Y}" if when else "No date"
    text += f"  ·  {group.count:,} photo{'s' if group.count != 1 else ''}"
    if group.file_dated:
        text += "  ·  file date"
    elif group.by_file_date:
        text += f"  ·  {group.by_file_date:,} by file date"
    return text


def short_title(group: DayGroup) -> str:
    """The scrubber's bubble: the month and year."""
    return month_title(group)


def header_tooltip(section: Section) -> str:
    group = section.group
    if group is None:
        return ""
    if group.file_dated:
        return FILE_DATE_TIP
    if group.by_file_date:
        return f"{group.by_file_date:,} of these photos carry no date of their own: placed by their file date"
    return ""


class HeaderPainter:
    def __init__(self) -> None:
        self.month_font = QFont()
        self.month_font.setPointSizeF(self.month_font.pointSizeF() * 1.45)
        self.month_font.setBold(True)
        self.day_font = QFont()
        self.day_font.setBold(True)
        self.file_font = QFont(self.day_font)
        self.file_font.setItalic(True)  # placed by a file's date: not the camera's word
        self._titles: dict[tuple[int, int, int], str] = {}
        self._text_art: dict[tuple, QPixmap] = {}  # oldest first

    def _text(
        self, painter: QPainter, rect: QRect, text: str, font: QFont, colour: QColor, align: Qt.AlignmentFlag
    ) -> None:
        """``painter.drawText(rect, align, text)`` in ``font`` and ``colour`` (left-aligned), from a cached
        pixmap of the line (see the module's docstring)."""
        ratio = painter.device().devicePixelRatioF()
        key = (text, font.key(), colour.rgba(), rect.width(), rect.height(), int(align), ratio)
        pixmap = self._text_art.get(key)
        if pixmap is None:
            # as wide as the text (a little more: an italic's last glyph leans out), clipped to the rect
            width = min(rect.width(), QFontMetrics(font).horizontalAdvance(text) + 4)
            if width <= 0 or rect.height() <= 0:
                return
            pixmap = QPixmap(QSize(round(width * ratio), round(rect.height() * ratio)))
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            art = QPainter(pixmap)
            art.setFont(font)
            art.setPen(colour)
            art.drawText(QRect(0, 0, width, rect.height()), align, text)
            art.end()
            if len(self._text_art) >= TEXT_CACHE:
                del self._text_art[next(iter(self._text_art))]
            self._text_art[key] = pixmap
        painter.drawPixmap(rect.topLeft(), pixmap)

    def _day(self, group: DayGroup) -> str:
        key = (group.day, group.count, group.by_file_date)
        title = self._titles.get(key)
        if title is None:
            if len(self._titles) > 4096:
                self._titles.clear()
            title = self._titles[key] = day_title(group)
        return title

    def paint(
        self, painter: QPainter, layout: TimelineLayout, offset: int, area: QRect, palette: QPalette
    ) -> None:
        """The headers meeting ``area`` (viewport coordinates; the content is scrolled by ``offset``)."""
        width = layout.columns * layout.cell
        for section in layout.headers(area.top() + offset, area.bottom() + offset):
            self._section(painter, section, section.top - offset, width, palette)

    def _section(self, painter: QPainter, section: Section, y: int, width: int, palette: QPalette) -> None:
        group = section.group
        assert group is not None
        text = palette.color(QPalette.ColorRole.WindowText)
        if section.new_month:
            rect = QRect(PAD, y, width - 2 * PAD, MONTH_HEADER)
            align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom
            self._text(painter, rect, month_title(group), self.month_font, text, align)
            y += MONTH_HEADER
        dim = QColor(text)
        dim.setAlpha(170 if group.file_dated else 210)
        font = self.file_font if group.file_dated else self.day_font
        rect = QRect(PAD, y, width - 2 * PAD, DAY_HEADER)
        self._text(
            painter,
            rect,
            self._day(group),
            font,
            dim,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
        )

    def paint_sticky(
        self, painter: QPainter, layout: TimelineLayout, offset: int, width: int, palette: QPalette
    ) -> int:
        """Pins the header of the day at the top of the view once its own day line scrolled away; the next
        day's header pushes it up. Returns the band's height (0 when nothing is pinned)."""
        if not layout.grouped or offset <= 0:
            return 0
        index = layout.section_at(offset)
        section = layout.sections[index]
        group = section.group
        # A month's first day has the month title above its day line: while that line is still in view, a
        # band pinned over the title would show the day twice, the copy half over the month's name.
        if group is None or section.top + section.header - DAY_HEADER >= offset:
            return 0  # its own day line is in view
        y = 0
        if index + 1 < len(layout.sections):
            y = min(0, layout.sections[index + 1].top - offset - DAY_HEADER)
        band = QRect(0, y, width, DAY_HEADER)
        background = QColor(palette.color(QPalette.ColorRole.Window))
        background.setAlpha(235)
        painter.fillRect(band, background)
        line = QColor(palette.color(QPalette.ColorRole.Mid))
        painter.fillRect(QRect(0, band.bottom(), width, 1), line)
        self._text(
            painter,
            band.adjusted(PAD, 0, -PAD, 0),
            self._day(group),
            self.file_font if group.file_dated else self.day_font,
            palette.color(QPalette.ColorRole.WindowText),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
        )
        return DAY_HEADER + y
