"""The thumbnail grid: a model of photo ids; rows and thumbnails load lazily off the GUI thread."""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QItemSelection,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QCursor,
    QDrag,
    QImage,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPixmap,
    QRegion,
    QTransform,
)
from PySide6.QtWidgets import QAbstractItemView, QApplication, QToolTip, QWidget

from photosorter.core.catalog.photos import photos_by_ids
from photosorter.core.catalog.rotation import rotations
from photosorter.core.records import Photo
from photosorter.core.timeline import DayGroup
from photosorter.gui.facade import Facade
from photosorter.gui.gallery_paint import INSET, GridPainter, ThumbnailDelegate
from photosorter.gui.id_list import IdList, prepare_ids, row_runs
from photosorter.gui.timeline_layout import DAY_HEADER, TimelineLayout
from photosorter.gui.timeline_paint import HeaderPainter, header_tooltip
from photosorter.gui.timeline_scrubber import Scrubber
from photosorter.gui.workers import Tasks, ThumbnailLoader

PAGE = 256  # rows fetched per query
ROW_CACHE = 20_000  # Photo records kept (about 300 bytes each)
THUMB_CACHE = 800  # pixmaps kept: a few screens' worth, ~60 MB at 160 px
PhotoIdRole = Qt.ItemDataRole.UserRole + 1
PhotoRole = Qt.ItemDataRole.UserRole + 2


class GalleryModel(QAbstractListModel):
    """A list of photo ids; ``data()`` never touches the catalog or the disk, it only queues requests."""

    groups_changed = Signal()  # the day groups changed with the ids, or alone

    def __init__(self, facade: Facade, tasks: Tasks, loader: ThumbnailLoader, parent=None) -> None:
        super().__init__(parent)
        self.facade = facade
        self.tasks = tasks
        self.loader = loader
        self.ids: list[int] = []
        self.groups: tuple[DayGroup, ...] = ()  # the ids' day groups when ordered by date
        self._row_of: dict[int, int] = {}
        self._rows: OrderedDict[int, Photo] = OrderedDict()
        self._thumbs: OrderedDict[int, QPixmap] = OrderedDict()
        self._no_thumb: set[int] = set()
        self._reasons: dict[int, tuple[str, ...]] = {}  # why each photo matched the search
        self._turns: dict[int, int] = {}  # quarter turns the user chose for showing a photo (0: none)
        self._previous: OrderedDict[int, Photo] = OrderedDict()  # rows before forget_rows, to compare
        self._pages_pending: set[int] = set()
        self._thumbs_pending: set[int] = set()
        self._generation = 0
        loader.loaded.connect(self._thumb_loaded)

    # -- Qt model API ------------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.ids)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.ids):
            return None
        photo_id = self.ids[index.row()]
        if role == PhotoIdRole:
            return photo_id
        if role == Qt.ItemDataRole.DecorationRole:
            return self.pixmap_at(index.row())
        photo = self._rows.get(photo_id)
        if role == PhotoRole:
            return photo
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return photo.name if photo else ""
        if role == Qt.ItemDataRole.ToolTipRole and photo is not None:
            when = (photo.taken_at or "").replace("T", " ")
            lines = [photo.name, when] if when else [photo.name]
            reasons = self._reasons.get(photo_id)
            if reasons:
                lines.append("Matched: " + "; ".join(_worded(reason) for reason in reasons))
            return "\n".join(lines)
        return None

    # flags(): QAbstractListModel's own (enabled, selectable, no children), so painting a cell does not
    # call into Python for it

    # -- contents ----------------------------------------------------------------------------------------
    def set_ids(self, ids: list[int] | IdList) -> None:
        """Replaces the list. Photos added or removed become row inserts and removals, so the selection,
        the scroll position and the loaded thumbnails survive; only a reordering resets the model.
        An ``IdList`` from ``prepare_ids`` (made on a worker) spares the GUI thread the comparison."""
        prepared = ids if isinstance(ids, IdList) and ids.base is self.ids else None
        if prepared is None:
            prepared = prepare_ids(self.ids, ids.ids if isinstance(ids, IdList) else ids)
        if prepared.same:
            if prepared.groups != self.groups:
                self.groups = prepared.groups
                self.groups_changed.emit()
            return
        self.groups = prepared.groups  # read by the view's layout when the rows change below
        if prepared.removed is not None and prepared.inserted is not None:
            current = list(self.ids)
            for first, last in reversed(prepared.removed):
                self.beginRemoveRows(QModelIndex(), first, last)
                del current[first : last + 1]
                self.ids = current
                self.endRemoveRows()
            for first, last in prepared.inserted:  # ascending: everything before `first` matches already
                self.beginInsertRows(QModelIndex(), first, last)
                current[first:first] = prepared.ids[first : last + 1]
                self.ids = current
                self.endInsertRows()
            self._row_of = prepared.row_of
            self._pages_pending.clear()  # pages moved; rows in flight still land by id
            self.groups_changed.emit()
            return
        self.beginResetModel()
        self._generation += 1
        self.ids = prepared.ids
        self._row_of = prepared.row_of
        self._pages_pending.clear()
        self._thumbs_pending.clear()
        self.endResetModel()
        self.groups_changed.emit()

    def set_reasons(self, reasons: dict[int, tuple[str, ...]]) -> None:
        """Why each photo matched the current search, shown in its tooltip."""
        self._reasons = reasons

    def reasons_of(self, photo_id: int) -> tuple[str, ...]:
        return self._reasons.get(photo_id, ())

    def row_of(self, photo_id: int) -> int | None:
        return self._row_of.get(photo_id)

    def pixmap_at(self, row: int) -> QPixmap | None:
        """The thumbnail for a row if cached; otherwise queues its loading (the delegate calls this)."""
        photo_id = self.ids[row]
        pixmap = self._thumbs.get(photo_id)
        if pixmap is None or pixmap.width() != self.loader.size:
            self._want(row, photo_id)  # a tile of another size is still shown until the new one comes
        return pixmap

    def photo_at(self, row: int) -> Photo | None:
        return self._rows.get(self.ids[row]) if 0 <= row < len(self.ids) else None

    def invalidate_thumbnails(self) -> None:
        """Thumbnail size changed: drop pixmaps so they are reloaded at the new size."""
        self._thumbs.clear()
        self._no_thumb.clear()
        self._thumbs_pending.clear()
        if self.ids:
            self.dataChanged.emit(self.index(0), self.index(len(self.ids) - 1))

    def forget_pending_thumbnails(self) -> None:
        """The loader dropped its queue (new tile size): ask again for what is shown."""
        self._thumbs_pending.clear()
        self._no_thumb.clear()

    def forget_rows(self, paths: set[str] | None = None) -> None:
        """Rows may have changed (a rescan; ``paths``: only the photos at those paths): reload them as
        they are shown; a thumbnail is dropped only when its photo's content changed, so the grid does
        not flash placeholders. Rows of other photos stay cached: a live change repaints nothing else."""
        if paths is None:
            stale = list(self._rows)
        else:
            stale = [pid for pid, photo in self._rows.items() if photo.path in paths] if paths else []
        for photo_id in stale:
            self._previous[photo_id] = self._rows.pop(photo_id)
            self._no_thumb.discard(photo_id)
        while len(self._previous) > ROW_CACHE:
            self._previous.popitem(last=False)
        if paths is None:
            self._no_thumb.clear()
        for photo_id in stale:  # shown again: the view asks for the row, which is reloaded
            row = self._row_of.get(photo_id)
            if row is not None and paths is not None:
                self.dataChanged.emit(self.index(row), self.index(row))

    def photos_of(self, rows: list[int]) -> list[Photo]:
        """The photos at ``rows``, in order; rows not loaded yet are read now, in one query (a drag or a
        menu action needs them at once)."""
        ids = [self.ids[row] for row in rows if 0 <= row < len(self.ids)]
        missing = [photo_id for photo_id in ids if photo_id not in self._rows]
        found = photos_by_ids(self.facade.catalog, missing) if missing else {}
        return [photo for photo_id in ids if (photo := self._rows.get(photo_id) or found.get(photo_id))]

    def file_mime(self, rows: list[int]) -> QMimeData | None:
        """The photos at ``rows`` as file URLs, what a file manager or another app takes from a drop;
        photos on a disconnected drive are left out. None when nothing is left."""
        urls = [QUrl.fromLocalFile(photo.path) for photo in self.photos_of(rows) if photo.state == "ok"]
        if not urls:
            return None
        mime = QMimeData()
        mime.setUrls(urls)
        return mime

    def rotated(self, turns: dict[int, int]) -> None:
        """Photos were turned for display: their tiles are made again from the thumbnails."""
        for photo_id, turn in turns.items():
            if turn:
                self._turns[photo_id] = turn
            else:
                self._turns.pop(photo_id, None)
            self._thumbs.pop(photo_id, None)
            self._thumbs_pending.discard(photo_id)
            row = self._row_of.get(photo_id)
            if row is not None:
                self.dataChanged.emit(self.index(row), self.index(row), [Qt.ItemDataRole.DecorationRole])

    def keep_only(self, first: int, last: int) -> None:
        """Drops queued thumbnail requests outside rows first..last (they scrolled away)."""
        wanted = set(self.ids[max(0, first) : last + 1])
        self.loader.keep_only(wanted)
        self._thumbs_pending &= wanted

    # -- lazy loading ------------------------------------------------------------------------------------
    def _want(self, row: int, photo_id: int) -> None:
        if photo_id in self._no_thumb or photo_id in self._thumbs_pending:
            return
        photo = self._rows.get(photo_id)
        if photo is None:
            page = row // PAGE
            if page not in self._pages_pending:
                self._pages_pending.add(page)
                generation = self._generation
                chunk = self.ids[page * PAGE : (page + 1) * PAGE]
                catalog = self.facade.catalog
                self.tasks.run(
                    lambda: (photos_by_ids(catalog, chunk), rotations(catalog, chunk)),
                    lambda found: self._rows_loaded(generation, page, *found),
                    lambda _error: self._pages_pending.discard(page),
                )
            return
        path = self.facade.thumbnail_file(photo.hash)
        if path is None:
            self._no_thumb.add(photo_id)
            return
        self._thumbs_pending.add(photo_id)
        self.loader.request(photo_id, path)

    def _rows_loaded(self, generation: int, page: int, rows: dict[int, Photo], turns: dict[int, int]) -> None:
        if generation != self._generation:
            return
        self._pages_pending.discard(page)
        for photo_id, photo in rows.items():
            before = self._previous.pop(photo_id, None)
            turn = turns.get(photo_id, 0)
            if (before is not None and before.hash != photo.hash) or turn != self._turns.get(photo_id, 0):
                self._thumbs.pop(photo_id, None)
            if turn:
                self._turns[photo_id] = turn
            else:
                self._turns.pop(photo_id, None)
            self._rows[photo_id] = photo
            self._rows.move_to_end(photo_id)
        while len(self._rows) > ROW_CACHE:
            self._rows.popitem(last=False)
        first = page * PAGE
        last = min(len(self.ids), first + PAGE) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first), self.index(last))

    def _thumb_loaded(self, photo_id: int, image: QImage) -> None:
        self._thumbs_pending.discard(photo_id)
        if image.isNull():
            self._no_thumb.add(photo_id)
        else:
            turns = self._turns.get(photo_id, 0)
            if turns:  # the user's rotation for display; the file and the cached thumbnail stay as they are
                image = image.transformed(QTransform().rotate(90 * turns))
            pixmap = QPixmap.fromImage(image)
            pixmap.setDevicePixelRatio(self.loader.ratio)
            self._thumbs[photo_id] = pixmap
            while len(self._thumbs) > THUMB_CACHE:
                self._thumbs.popitem(last=False)
        row = self._row_of.get(photo_id)
        if row is not None and row < len(self.ids) and self.ids[row] == photo_id:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])


def _worded(reason: str) -> str:
    """A search reason as the tooltip says it: a match on the path is not a match on the content."""
    if reason.startswith("path "):
        return f"file name or folder “{reason[5:]}”"
    return reason


class GalleryView(QAbstractItemView):
    """The timeline grid: day headers between the days, a sticky header, the date scrubber on the right.
    Space/Enter open the viewer; Delete never deletes (photos are read-only to us).

    Its own item view, not a QListView: the cells' places come from ``TimelineLayout`` (a few numbers
    per day), so nothing keeps a geometry per photo, and every cell is painted in one Python call."""

    open_requested = Signal(QModelIndex)
    delete_pressed = Signal()
    tile_changed = Signal(int)  # the side of a thumbnail tile in device-independent pixels
    drag_started = Signal()
    scrubber: Scrubber | None = None  # until made: Qt calls the overrides below from the constructor
    _layout: TimelineLayout | None = None

    def __init__(self, cell: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._cell = self._grid = cell
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the scrubber instead
        self.setMouseTracking(True)
        self.setFrameShape(QAbstractItemView.Shape.NoFrame)
        self.setAccessibleName("Photos")
        self.setAutoScroll(True)
        self._cell = cell
        self._grid = cell  # the cell stretched to fill the width
        self._delegate = ThumbnailDelegate(cell, self)
        self.setItemDelegate(self._delegate)
        self._painter = GridPainter(self, self._delegate.art)
        self._headers = HeaderPainter()
        self._layout: TimelineLayout | None = None
        self._rubber: QRect | None = None  # content coordinates of the rubber band's start
        self._press: tuple[QPoint, int] | None = None  # where a press on a selected cell began a drag
        self.scrubber = Scrubber(self, self)
        self.scrubber.jumped.connect(self.verticalScrollBar().setValue)
        self.setViewportMargins(0, 0, self.scrubber.width(), 0)
        self.doubleClicked.connect(self.open_requested.emit)
        self._visible_timer = QTimer(self, singleShot=True, interval=60, timeout=self._visible_changed)
        self.verticalScrollBar().valueChanged.connect(self._visible_timer.start)
        self.set_cell(cell)

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
            self._headers.paint_sticky(painter, layout, offset, self.viewport().width(), palette)
        finally:
            painter.end()

    def viewportEvent(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            return self._header_tooltip(event) or super().viewportEvent(event)
        return super().viewportEvent(event)

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
        self.viewport().update()  # the hover veil follows the pointer

    def mouseReleaseEvent(self, event) -> None:
        if self._press is not None:
            row = self._press[1]
            self._press = None
            self.setCurrentIndex(self.model().index(row, 0))  # a click on a selected cell selects it alone
            return
        super().mouseReleaseEvent(event)

    def leaveEvent(self, event) -> None:
        super().leaveEvent(event)
        self.viewport().update()

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
        self.drag_started.emit()
        drag.exec(Qt.DropAction.CopyAction)

    # -- what is in view ---------------------------------------------------------------------------------
    def visible_rows(self) -> tuple[int, int]:
        tiles = self.tiles_in(self.viewport().rect())
        return (tiles[0][0], tiles[-1][0]) if tiles else (0, -1)

    def _visible_changed(self) -> None:
        model = self.model()
        if isinstance(model, GalleryModel):
            first, last = self.visible_rows()
            model.keep_only(first, last + 64)
