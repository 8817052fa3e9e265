"""The thumbnail grid: a model of photo ids; rows and thumbnails load lazily off the GUI thread."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QImage, QKeyEvent, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QLabel, QListView, QStyle, QWidget

from photosorter.core.catalog.photos import photos_by_ids
from photosorter.core.durations import clock
from photosorter.core.records import Photo
from photosorter.gui.facade import Facade
from photosorter.gui.gallery_paint import GridPainter, ThumbnailDelegate
from photosorter.gui.id_list import IdList, prepare_ids
from photosorter.gui.workers import Tasks, ThumbnailLoader

PAGE = 256  # rows fetched per query
ROW_CACHE = 20_000  # Photo records kept (about 300 bytes each)
THUMB_CACHE = 800  # pixmaps kept: a few screens' worth, ~60 MB at 160 px
PhotoIdRole = Qt.ItemDataRole.UserRole + 1
PhotoRole = Qt.ItemDataRole.UserRole + 2


class GalleryModel(QAbstractListModel):
    """A list of photo ids; ``data()`` never touches the catalog or the disk, it only queues requests."""

    def __init__(self, facade: Facade, tasks: Tasks, loader: ThumbnailLoader, parent=None) -> None:
        super().__init__(parent)
        self.facade = facade
        self.tasks = tasks
        self.loader = loader
        self.ids: list[int] = []
        self._row_of: dict[int, int] = {}
        self._rows: OrderedDict[int, Photo] = OrderedDict()
        self._thumbs: OrderedDict[int, QPixmap] = OrderedDict()
        self._no_thumb: set[int] = set()
        self._reasons: dict[int, tuple[str, ...]] = {}  # why each photo matched the search
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
            return
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
            return
        self.beginResetModel()
        self._generation += 1
        self.ids = prepared.ids
        self._row_of = prepared.row_of
        self._pages_pending.clear()
        self._thumbs_pending.clear()
        self.endResetModel()

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

    def badge_at(self, row: int) -> str | None:
        """A video's running time for its tile ("0:42"); None for a photo or a row not loaded yet."""
        photo = self._rows.get(self.ids[row])
        if photo is None or not photo.is_video:
            return None
        return clock(photo.duration_s) if photo.duration_s is not None else "video"

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
                self.tasks.run(
                    lambda: photos_by_ids(self.facade.catalog, chunk),
                    lambda rows: self._rows_loaded(generation, page, rows),
                    lambda _error: self._pages_pending.discard(page),
                )
            return
        path = self.facade.thumbnail_file(photo.hash)
        if path is None:
            self._no_thumb.add(photo_id)
            return
        self._thumbs_pending.add(photo_id)
        self.loader.request(photo_id, path)

    def _rows_loaded(self, generation: int, page: int, rows: dict[int, Photo]) -> None:
        if generation != self._generation:
            return
        self._pages_pending.discard(page)
        for photo_id, photo in rows.items():
            before = self._previous.pop(photo_id, None)
            if before is not None and before.hash != photo.hash:
                self._thumbs.pop(photo_id, None)
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


class GalleryView(QListView):
    """The grid. Space/Enter open the viewer; Delete never deletes (photos are read-only to us)."""

    open_requested = Signal(QModelIndex)
    delete_pressed = Signal()
    tile_changed = Signal(int)  # the side of a thumbnail tile in device-independent pixels

    def __init__(self, cell: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(2000)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMouseTracking(True)
        self.setFrameShape(QListView.Shape.NoFrame)
        self.setSpacing(0)
        self.setWordWrap(False)
        self.setAccessibleName("Photos")
        self._cell = cell
        self._delegate = ThumbnailDelegate(cell, self)
        self.setItemDelegate(self._delegate)
        self._painter = GridPainter(self, self._delegate.art)
        self.setSelectionRectVisible(False)  # the rubber band is QListView's to paint, and we paint
        self.set_cell(cell)
        self.doubleClicked.connect(self.open_requested.emit)
        self._date = QLabel(self.viewport())
        self._date.setObjectName("dateBadge")
        self._date.hide()
        self._date_timer = QTimer(self, singleShot=True, interval=900, timeout=self._date.hide)
        self._visible_timer = QTimer(self, singleShot=True, interval=60, timeout=self._visible_changed)
        self.verticalScrollBar().valueChanged.connect(self._scrolled)

    def cell_size(self) -> int:
        return self._cell

    def set_cell(self, cell: int) -> None:
        self._cell = cell
        self._fit_cells()

    def _fit_cells(self) -> None:
        """Stretches cells a little so a row of thumbnails fills the width with no ragged gap.

        The width is taken as if the vertical scroll bar were shown. Otherwise the cells that fit
        without it make the grid taller, the bar appears, the narrower viewport no longer holds a row
        and the list wraps it to one cell fewer: a strip nearly a cell wide stayed empty on the right.
        Without a bar, the grid now leaves at most the bar's width."""
        bar = self.verticalScrollBar()
        reserve = 0 if bar.isVisible() else self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        width = max(1, self.viewport().width() - reserve - 1)
        columns = max(1, round(width / self._cell))
        cell = max(48, width // columns)
        if self.gridSize().width() == cell:
            return
        self._delegate.cell = cell
        self.setGridSize(QSize(cell, cell))
        self.tile_changed.emit(cell - 6)
        self.verticalScrollBar().setSingleStep(cell // 3)
        self.scheduleDelayedItemsLayout()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_cells()

    def paintEvent(self, event: QPaintEvent) -> None:
        """The whole visible grid in one Python call (see gallery_paint); QListView's own loop would
        call back into Python for every cell."""
        model = self.model()
        if not isinstance(model, GalleryModel):
            super().paintEvent(event)
            return
        painter = QPainter(self.viewport())
        try:
            self._painter.paint(painter, model, event.rect())
        finally:
            painter.end()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_requested.emit(self.currentIndex())
            return
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_pressed.emit()
            return
        super().keyPressEvent(event)

    def visible_rows(self) -> tuple[int, int]:
        model = self.model()
        if model is None or model.rowCount() == 0:
            return (0, -1)
        area = self.viewport().rect()
        first = self.indexAt(area.topLeft() + self._inset())
        cell = self.gridSize()
        per_row = max(1, area.width() // max(1, cell.width()))
        start = first.row() if first.isValid() else 0
        count = per_row * (area.height() // max(1, cell.height()) + 2)
        return (start, min(model.rowCount() - 1, start + count))

    @staticmethod
    def _inset() -> QPoint:
        return QPoint(4, 4)

    def _scrolled(self) -> None:
        self._visible_timer.start()
        model = self.model()
        index = self.indexAt(self.viewport().rect().topLeft() + self._inset())
        photo = model.photo_at(index.row()) if index.isValid() and isinstance(model, GalleryModel) else None
        if photo is not None and photo.taken_at:
            try:
                text = datetime.fromisoformat(photo.taken_at).strftime("%B %Y")
            except ValueError:
                text = photo.taken_at[:7]
            self._date.setText(text)
            self._date.adjustSize()
            self._date.move(self.viewport().width() - self._date.width() - 16, 10)
            self._date.show()
            self._date_timer.start()

    def _visible_changed(self) -> None:
        model = self.model()
        if isinstance(model, GalleryModel):
            first, last = self.visible_rows()
            model.keep_only(first, last + 64)
