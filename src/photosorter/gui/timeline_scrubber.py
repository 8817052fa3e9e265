"""The date scrubber on the gallery's right edge: the years down its length where their photos are, a
handle for the position, and a bubble with the month under the pointer; dragging it jumps through a
100,000-photo library in one movement (the way Google Photos' does). Without date groups (another sort)
it is a plain position bar whose bubble says how far down the list the pointer is."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPalette, QPixmap, QWheelEvent
from PySide6.QtWidgets import QLabel, QScrollBar, QWidget

from photosorter.gui.timeline_layout import TimelineLayout
from photosorter.gui.timeline_paint import short_title

WIDTH = 56  # px
MARGIN = 10  # px free above and below the track
LABEL_GAP = 18  # px at least between two year labels
HANDLE = 20  # px: the handle's height


class ScrubbedView(Protocol):
    def timeline_layout(self) -> TimelineLayout: ...

    def verticalScrollBar(self) -> QScrollBar: ...

    def viewport(self) -> QWidget: ...


class Scrubber(QWidget):
    jumped = Signal(int)  # the scroll value a press or drag asked for

    def __init__(self, view: ScrubbedView, parent: QWidget) -> None:
        super().__init__(parent)
        self.view = view
        self.setObjectName("dateScrubber")
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFixedWidth(WIDTH)
        self.setToolTip("")
        # it paints every pixel of itself: Qt need not paint the view and the window beneath it first
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.dragging = False
        self._marks: tuple[tuple[TimelineLayout, int, int], list[tuple[int, str, int]]] | None = None
        self._track_art: tuple[tuple, QPixmap] | None = None  # the track with its years, drawn once
        self._handle_y = -1  # where the handle was painted
        self.bubble = QLabel(parent)
        self.bubble.setObjectName("dateBadge")
        self.bubble.hide()
        self._font = QFont()
        self._font.setPointSizeF(self._font.pointSizeF() * 0.85)
        view.verticalScrollBar().valueChanged.connect(self._moved)
        view.verticalScrollBar().rangeChanged.connect(self.update)

    # -- geometry: scroll value <-> track y -----------------------------------------------------------
    def _track(self) -> tuple[int, int]:
        return MARGIN, max(1, self.height() - 2 * MARGIN)

    def _maximum(self) -> int:
        return max(0, self.view.verticalScrollBar().maximum())

    def y_of(self, value: int) -> int:
        top, length = self._track()
        return top + round(length * min(1.0, value / self._maximum())) if self._maximum() else top

    def value_at(self, y: int) -> int:
        top, length = self._track()
        fraction = min(1.0, max(0.0, (y - top) / length))
        return round(fraction * self._maximum())

    def label_at(self, value: int) -> str:
        """What the bubble says for a scroll value: the month at the top of the view then."""
        layout = self.view.timeline_layout()
        if not layout.sections:
            return ""
        if layout.grouped:
            section = layout.sections[layout.section_at(value)]
            return short_title(section.group) if section.group else ""
        row = layout.row_at(0, value)
        row = row if row >= 0 else min(layout.count - 1, value // layout.cell * layout.columns)
        return f"{row + 1:,} of {layout.count:,}"

    def year_marks(self) -> list[tuple[int, str, int]]:
        """(track y, year, scroll value) of each year's first month, skipping a label that would overlap
        the one above it. Worked out again only when the layout, the range or the height changed: a
        scrub repaints the scrubber at every step, and walking the months each time cost 10-100 ms
        at 100,000 photos (benchmarks/bench_gui.py --profile)."""
        layout = self.view.timeline_layout()
        key = (layout, self._maximum(), self.height())
        if self._marks is None or self._marks[0] != key:
            self._marks = (key, self._year_marks(layout))
        return self._marks[1]

    def _year_marks(self, layout: TimelineLayout) -> list[tuple[int, str, int]]:
        marks: list[tuple[int, str, int]] = []
        year = None
        maximum = self._maximum()
        for top, mark_year, _month in layout.month_marks():
            if mark_year == year:
                continue
            year = mark_year
            value = min(top, maximum)
            y = self.y_of(value)
            if marks and y - marks[-1][0] < LABEL_GAP:
                continue
            marks.append((y, str(mark_year) if mark_year else "—", value))
        return marks

    # -- painting ---------------------------------------------------------------------------------------
    def _handle_rect(self, y: int) -> QRect:
        return QRect(self.width() - 7, y - HANDLE // 2, 8, HANDLE)

    def _moved(self) -> None:
        """The view scrolled: only the handle's old and new places are painted again, not the years (a
        scroll or a scrub moves it at every frame)."""
        y = self.y_of(self.view.verticalScrollBar().value())
        if y != self._handle_y:
            self.update(self._handle_rect(y).united(self._handle_rect(self._handle_y)))

    def _track_pixmap(self) -> QPixmap:
        """The background, the track and the year labels: drawn again only when the years, the size or
        the colours changed, so a paint is two blits and the handle, whatever the GUI thread's load."""
        palette = self.palette()
        marks = self.year_marks()
        ratio = self.devicePixelRatioF()
        key = (self.size(), ratio, palette.cacheKey(), marks)
        if self._track_art is not None and self._track_art[0] == key:
            return self._track_art[1]
        pixmap = QPixmap(self.size() * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(palette.color(QPalette.ColorRole.Base))  # of a piece with the grid
        painter = QPainter(pixmap)
        text = palette.color(QPalette.ColorRole.WindowText)
        faint = QColor(text)
        faint.setAlpha(110)
        painter.setFont(self._font)
        top, length = self._track()
        painter.fillRect(QRect(self.width() - 4, top, 2, length), faint)
        painter.setPen(text)
        for y, year, _value in marks:
            painter.drawText(
                QRect(0, y - 8, self.width() - 8, 16),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                year,
            )
        painter.end()
        self._track_art = (key, pixmap)
        return pixmap

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setClipRect(event.rect())  # the blit covers only what needs painting
        painter.drawPixmap(0, 0, self._track_pixmap())
        self._handle_y = self.y_of(self.view.verticalScrollBar().value())
        highlight = self.palette().color(QPalette.ColorRole.Highlight)
        painter.fillRect(self._handle_rect(self._handle_y), highlight)
        painter.end()

    # -- pointer ----------------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        self.dragging = True
        y = event.position().toPoint().y()
        for mark_y, _year, value in self.year_marks():
            if abs(mark_y - y) <= LABEL_GAP // 2:  # a click on a year opens its first month
                self.jumped.emit(value)
                self._show_bubble(y, value)
                return
        self.scrub_to(y)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        y = event.position().toPoint().y()
        if self.dragging:
            self.scrub_to(y)
        else:
            self._show_bubble(y, self.value_at(y))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self.dragging = False

    def leaveEvent(self, _event) -> None:
        if not self.dragging:
            self.bubble.hide()

    def wheelEvent(self, event: QWheelEvent) -> None:
        self.view.verticalScrollBar().event(event)

    def scrub_to(self, y: int) -> None:
        value = self.value_at(y)
        self.jumped.emit(value)
        self._show_bubble(y, value)

    def _show_bubble(self, y: int, value: int) -> None:
        text = self.label_at(value)
        if not text:
            self.bubble.hide()
            return
        self.bubble.setText(text)
        self.bubble.adjustSize()
        origin = self.mapTo(self.parentWidget(), QPoint(0, y))
        x = origin.x() - self.bubble.width() - 6
        top = max(
            0,
            min(self.parentWidget().height() - self.bubble.height(), origin.y() - self.bubble.height() // 2),
        )
        self.bubble.move(x, top)
        self.bubble.show()
        self.bubble.raise_()
