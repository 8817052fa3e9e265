"""The gallery's view: the timeline grid of photos, with day headers between the days, a sticky header,
the date scrubber, the rubber band, keyboard moves across days, dragging photos out as files, and, in an
album, dropping them between other photos to arrange it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelection, QModelIndex, QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QCursor, QDrag, QKeyEvent, QPainter, QPaintEvent, QRegion
from PySide6.QtWidgets import QAbstractItemView, QApplication, QToolTip, QWidget

from photosorter.gui.albums import PHOTO_IDS_MIME
from photosorter.gui.gallery import GalleryModel
from photosorter.gui.gallery_paint import INSET, GridPainter, ThumbnailDelegate
from photosorter.gui.id_list import row_runs
from photosorter.gui.timeline_layout import DAY_HEADER, TimelineLayout
from photosorter.gui.timeline_paint import HeaderPainter, header_tooltip
from photosorter.gui.timeline_scrubber import Scrubber


class GalleryView(QAbstractItemView):
    """The timeline grid: day headers between the days, a sticky header, the date scrubber on the right.
    Space/Enter open the viewer; Delete never deletes (photos are read-only to us).

    Its own item view, not a QListView: the cells' places come from ``TimelineLayout`` (a few numbers
    per day), so nothing keeps a geometry per photo, and every cell is painted in one Python call."""

    open_requested = Signal(QModelIndex)
    delete_pressed = Signal()
    arranged = Signal(int)  # the selection was dropped before this row (the row count: at the end)
    tile_changed = Signal(int)  # the side of a thumbnail tile in device-independent pixels
    scrubber: Scrubber | None = None  # until made: Qt calls the overrides below from the constructor
    _layout: TimelineLayout | None = None

    def __init__(self, cell: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._cell = cell
        self._grid = cell  # the cell stretched to fill the width
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the scrubber instead
        self.setMouseTracking(True)
        self.setFrameShape(QAbstractItemView.Shape.NoFrame)
        self.setAccessibleName("Photos")
        self.setAutoScroll(True)
        self._delegate = ThumbnailDelegate(cell, self)
        self.setItemDelegate(self._delegate)
        self._painter = GridPainter(self, self._delegate.art)
        self._headers = HeaderPainter()
        self._hover = -1  # the row under the pointer, veiled
        self._press: tuple[QPoint, int] | None = None  # where a press on a selected cell began a drag
        self.arrangeable = False  # an album is shown: the selection can be dropped between its photos
        self._drop_row = -1  # where a drag being arranged would land (-1: nowhere)
        self.viewport().setAcceptDrops(True)  # drop events go to the widget under the pointer
        self.scrubber = Scrubber(self, self)
        self.scrubber.jumped.connect(self.verticalScrollBar().setValue)
        self.setViewportMargins(0, 0, self.scrubber.width(), 0)
        self.doubleClicked.connect(self.open_requested.emit)
        self._visible_timer = QTimer(self, singleShot=True, interval=60, timeout=self._visible_changed)
        self.verticalScrollBar().valueChanged.connect(self._visible_timer.start)
        self.set_cell(cell)

    def set_overlay(self, overlay) -> None:
        """Something drawn over every tile after it (see ``GridPainter.overlay``)."""
        self._painter.overlay = overlay
        self.viewport().update()

    def setModel(self, model) -> None:
        super().setModel(model)
        if isinstance(model, GalleryModel):
            model.groups_changed.connect(self.relayout)
            for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset):
                signal.connect(self._forget_layout)  # mid-splice: laid out again once the groups come
        self.relayout()

    # -- layout -----------------------------------------------------------------------------------------
    def cell_size(self) -> int:
        return self._cell

    def grid_cell(self) -> int:
        """The side of a cell as laid out (stretched so a line of cells fills the width)."""
        return self._grid

    def set_cell(self, cell: int) -> None:
        self._cell = cell
        self._fit_cells()

    def _fit_cells(self) -> None:
        """Stretches cells a little so a line of thumbnails fills the width with no ragged gap."""
        width = max(1, self.viewport().width() - 1)
        columns = max(1, round(width / self._cell))
        cell = max(48, width // columns)
        if cell == self._grid and self._layout is not None:
            self.relayout()
            return
        self._grid = cell
        self._delegate.cell = cell
        self.tile_changed.emit(cell - 2 * INSET)
        self.relayout()

    def _forget_layout(self) -> None:
        self._layout = None

    def relayout(self) -> None:
        self._layout = None
        self.updateGeometries()
        self.viewport().update()
        self.scrubber.update()

    def timeline_layout(self) -> TimelineLayout:
        if self._layout is None:
            model = self.model()
            count = model.rowCount() if model is not None else 0
            groups = model.groups if isinstance(model, GalleryModel) else ()
            columns = max(1, self.viewport().width() // max(1, self._grid))
            self._layout = TimelineLayout(count, groups, columns, self._grid)
        return self._layout

    def updateGeometries(self) -> None:
        if self.scrubber is None:
            return
        layout = self.timeline_layout()
        bar = self.verticalScrollBar()
        page = self.viewport().height()
        bar.setRange(0, max(0, layout.height - page))
        bar.setPageStep(page)
        bar.setSingleStep(max(1, self._grid // 3))
        margins = self.viewportMargins()
        self.scrubber.setGeometry(self.width() - margins.right(), 0, margins.right(), self.height())
        super().updateGeometries()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_cells()

    # -- QAbstractItemView geometry ----------------------------------------------------------------------
    def verticalOffset(self) -> int:
        return self.verticalScrollBar().value()

    def horizontalOffset(self) -> int:
        return 0

    def isIndexHidden(self, index) -> bool:
        return False

    def visualRect(self, index) -> QRect:
        if not index.isValid():
            return QRect()
        rect = self.timeline_layout().rect(index.row())
        return rect.translated(0, -self.verticalOffset()) if rect.isValid() else rect

    def indexAt(self, point: QPoint) -> QModelIndex:
        model = self.model()
        row = self.timeline_layout().row_at(point.x(), point.y() + self.verticalOffset())
        return model.index(row, 0) if model is not None and row >= 0 else QModelIndex()

    def tiles_in(self, area: QRect) -> list[tuple[int, QRect]]:
        """(row, viewport rect) of the cells meeting ``area`` (viewport coordinates)."""
        offset = self.verticalOffset()
        tiles = self.timeline_layout().tiles(
            area.top() + offset, area.bottom() + offset, area.left(), area.right()
        )
        return [(row, rect.translated(0, -offset)) for row, rect in tiles]

    def hover_row(self) -> int:
        viewport = self.viewport()
        if not viewport.underMouse():
            return -1
        pos = viewport.mapFromGlobal(QCursor.pos())
        return self.timeline_layout().row_at(pos.x(), pos.y() + self.verticalOffset())

    def scrollTo(self, index, hint=QAbstractItemView.ScrollHint.EnsureVisible) -> None:
        rect = self.timeline_layout().rect(index.row()) if index.isValid() else QRect()
        if not rect.isValid():
            return
        bar, page = self.verticalScrollBar(), self.viewport().height()
        top = rect.top() - DAY_HEADER  # below the sticky header, with its own day's header when it fits
        if hint == QAbstractItemView.ScrollHint.PositionAtTop:
            bar.setValue(top)
        elif hint == QAbstractItemView.ScrollHint.PositionAtCenter:
            bar.setValue(rect.center().y() - page // 2)
        elif hint == QAbstractItemView.ScrollHint.PositionAtBottom:
            bar.setValue(rect.bottom() - page + 1)
        elif top < bar.value():
            bar.setValue(top)
        elif rect.bottom() > bar.value() + page:
            bar.setValue(rect.bottom() - page + 1)

    def moveCursor(self, action, modifiers) -> QModelIndex:
        model = self.model()
        count = model.rowCount() if model is not None else 0
        if count == 0:
            return QModelIndex()
        current = self.currentIndex()
        row = current.row() if current.isValid() else 0
        layout = self.timeline_layout()
        page_lines = max(1, self.viewport().height() // max(1, self._grid) - 1)
        Action = QAbstractItemView.CursorAction
        if not current.isValid():
            row = 0
        elif action in (Action.MoveLeft, Action.MovePrevious):
            row = max(0, row - 1)
        elif action in (Action.MoveRight, Action.MoveNext):
            row = min(count - 1, row + 1)
        elif action == Action.MoveUp:
            row = layout.step(row, -1)
        elif action == Action.MoveDown:
            row = layout.step(row, 1)
        elif action == Action.MovePageUp:
            row = layout.step(row, -page_lines)
        elif action == Action.MovePageDown:
            row = layout.step(row, page_lines)
        elif action == Action.MoveHome:
            row = 0
        elif action == Action.MoveEnd:
            row = count - 1
        return model.index(row, 0)

    def setSelection(self, rect: QRect, command) -> None:
        """The rubber band (viewport coordinates): the cells it meets, as runs of rows."""
        model = self.model()
        if model is None:
            return
        rows = sorted(row for row, _cell in self.tiles_in(rect.normalized()))
        selection = QItemSelection()
        for first, last in row_runs(rows):
            selection.select(model.index(first, 0), model.index(last, 0))
        self.selectionModel().select(selection, command)

    def visualRegionForSelection(self, selection) -> QRegion:
        return QRegion(self.viewport().rect())  # one repaint of the visible cells costs a few ms

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        self.viewport().update()  # not scroll(): the sticky header must not move with the cells

    # -- painting ---------------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        """The headers and every visible cell in one Python call each (see gallery_paint)."""
        model = self.model()
        if not isinstance(model, GalleryModel):
            return
        painter = QPainter(self.viewport())
        try:
            layout, offset, palette = self.timeline_layout(), self.verticalOffset(), self.palette()
            self._headers.paint(painter, layout, offset, event.rect(), palette)
            self._painter.paint(painter, model, event.rect())
            if self._drop_row >= 0:
                self._paint_drop_mark(painter)
            self._headers.paint_sticky(painter, layout, offset, self.viewport().width(), palette)
        finally:
            painter.end()

    def viewportEvent(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            return self._header_tooltip(event) or super().viewportEvent(event)
        handled = super().viewportEvent(event)
        if event.type() == QEvent.Type.Leave:
            QTimer.singleShot(0, self._hover_moved)  # once the pointer is no longer under the viewport
        return handled

    def _header_tooltip(self, event) -> bool:
        """Over a day's header, say how its photos are dated (a file date is not the camera's)."""
        pos = event.pos()
        layout = self.timeline_layout()
        if not layout.grouped or self.indexAt(pos).isValid():
            return False
        y = pos.y() + self.verticalOffset()
        section = layout.sections[layout.section_at(y)]
        text = header_tooltip(section) if y < section.cells_top else ""
        if text:
            QToolTip.showText(event.globalPos(), text, self.viewport())
        else:
            QToolTip.hideText()
        return True

    # -- keys and the mouse -----------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_requested.emit(self.currentIndex())
            return
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_pressed.emit()
            return
        super().keyPressEvent(event)

    def mousePressEvent(self, event) -> None:
        index = self.indexAt(event.position().toPoint())
        selection = self.selectionModel()
        on_selected = index.isValid() and selection is not None and selection.isSelected(index)
        plain = event.modifiers() == Qt.KeyboardModifier.NoModifier
        if event.button() == Qt.MouseButton.LeftButton and on_selected and plain:
            # a press on the selection may start dragging it out; the click alone selects on release
            self._press = (event.position().toPoint(), index.row())
            return
        self._press = None
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._press is not None and event.buttons() & Qt.MouseButton.LeftButton:
            moved = (event.position().toPoint() - self._press[0]).manhattanLength()
            if moved >= QApplication.startDragDistance():
                self._press = None
                self.drag_out()
            return
        super().mouseMoveEvent(event)
        self._hover_moved()

    def _hover_moved(self) -> None:
        """Repaints the two cells whose hover veil changed, not the whole grid."""
        row = self.hover_row()
        if row == self._hover:
            return
        model = self.model()
        for old_or_new in (self._hover, row):
            if model is not None and 0 <= old_or_new < model.rowCount():
                self.viewport().update(self.visualRect(model.index(old_or_new, 0)))
        self._hover = row

    def mouseReleaseEvent(self, event) -> None:
        if self._press is not None:
            row = self._press[1]
            self._press = None
            self.setCurrentIndex(self.model().index(row, 0))  # a click on a selected cell selects it alone
            return
        super().mouseReleaseEvent(event)

    def leaveEvent(self, event) -> None:
        super().leaveEvent(event)
        self._hover_moved()

    def drag_out(self) -> None:
        """Drags the selected photos out of the window as files (a file manager copies them)."""
        model = self.model()
        if not isinstance(model, GalleryModel):
            return
        mime = model.file_mime([index.row() for index in self.selectionModel().selectedRows()])
        if mime is None:
            return
        drag = QDrag(self)
        drag.setMimeData(mime)
        current = self.currentIndex()
        pixmap = model.pixmap_at(current.row()) if current.isValid() else None
        if pixmap is not None and not pixmap.isNull():
            drag.setPixmap(pixmap.scaled(96, 96, Qt.AspectRatioMode.KeepAspectRatio))
        drag.exec(Qt.DropAction.CopyAction | Qt.DropAction.MoveAction, Qt.DropAction.CopyAction)

    # -- arranging an album by dropping the selection between its photos -----------------------------------
    def drop_row_at(self, pos: QPoint) -> int:
        """The row a drop at ``pos`` puts the dragged photos before: the cell under it when in its left
        half, the next one in its right half; past the last cell, the row count; -1 elsewhere."""
        model = self.model()
        if model is None:
            return -1
        index = self.indexAt(pos)
        if index.isValid():
            return index.row() + (1 if pos.x() > self.visualRect(index).center().x() else 0)
        count = model.rowCount()
        last = self.visualRect(model.index(count - 1, 0)) if count else QRect()
        after_last = last.isValid() and (
            pos.y() > last.bottom() or (pos.y() >= last.top() and pos.x() > last.right())
        )
        return count if after_last else -1

    def _arranging(self, event) -> bool:
        # photo ids come only from a drag of the gallery's own selection (the sidebar's albums take them too)
        return self.arrangeable and event.mimeData().hasFormat(PHOTO_IDS_MIME)

    def dragEnterEvent(self, event) -> None:
        if self._arranging(event):
            event.setDropAction(Qt.DropAction.MoveAction)
            event.accept()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if not self._arranging(event):
            event.ignore()
            return
        row = self.drop_row_at(event.position().toPoint())
        if row != self._drop_row:
            self._drop_row = row
            self.viewport().update()
        if row < 0:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.MoveAction)
        event.accept()

    def dragLeaveEvent(self, event) -> None:
        self._drop_row = -1
        self.viewport().update()

    def dropEvent(self, event) -> None:
        """The selection dropped between an album's photos: arranged there."""
        self._drop_row = -1
        self.viewport().update()
        row = self.drop_row_at(event.position().toPoint())
        if not self._arranging(event) or row < 0:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.MoveAction)
        event.accept()
        self.arranged.emit(row)

    def _paint_drop_mark(self, painter: QPainter) -> None:
        """A bar at the left edge of the cell the photos would land before (right edge of the last)."""
        model = self.model()
        count = model.rowCount() if model is not None else 0
        if not 0 <= self._drop_row <= count or count == 0:
            return
        at_end = self._drop_row == count
        rect = self.visualRect(model.index(count - 1 if at_end else self._drop_row, 0))
        x = rect.right() - 1 if at_end else rect.left() - 1
        bar = QRect(x, rect.top() + INSET, 3, rect.height() - 2 * INSET)
        painter.fillRect(bar, self.palette().highlight())

    # -- what is in view ---------------------------------------------------------------------------------
    def visible_rows(self) -> tuple[int, int]:
        tiles = self.tiles_in(self.viewport().rect())
        return (tiles[0][0], tiles[-1][0]) if tiles else (0, -1)

    def _visible_changed(self) -> None:
        model = self.model()
        if isinstance(model, GalleryModel):
            first, last = self.visible_rows()
            model.keep_only(first, last + 64)
