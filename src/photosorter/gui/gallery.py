"""The thumbnail grid: a model of photo ids; rows and thumbnails load lazily off the GUI thread."""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QImage,
    QPixmap,
    QTransform,
)

from photosorter.core.catalog.photos import photos_by_ids
from photosorter.core.catalog.rotation import rotations
from photosorter.core.durations import clock
from photosorter.core.records import Photo
from photosorter.core.timeline import DayGroup
from photosorter.gui.facade import Facade
from photosorter.gui.id_list import IdList, prepare_ids
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
        if prepared.rows is not None:
            self._store_rows(prepared.rows, prepared.turns or {})
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

    def photos_of(self, rows: list[int]) -> list[Photo]:
        """The photos at ``rows``, in order; rows not loaded yet are read now, in one query (a drag or a
        menu action needs them at once)."""
        ids = [self.ids[row] for row in rows if 0 <= row < len(self.ids)]
        missing = [photo_id for photo_id in ids if photo_id not in self._rows]
        found = photos_by_ids(self.facade.catalog, missing) if missing else {}
        return [photo for photo_id in ids if (photo := self._rows.get(photo_id) or found.get(photo_id))]

    def file_mime(self, rows: list[int]) -> QMimeData | None:
        """What a drag of the photos at ``rows`` carries: their files as URLs, what a file manager or
        another app takes from a drop (photos on a disconnected drive are left out), and their ids, what
        an album in the sidebar takes. None when there is no photo."""
        photos = self.photos_of(rows)
        if not photos:
            return None
        from photosorter.gui.albums import photo_mime  # albums needs the gallery; the drag is the view's

        return photo_mime([p.id for p in photos], [p.path for p in photos if p.state == "ok"])

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
        self._store_rows(rows, turns)
        first = page * PAGE
        last = min(len(self.ids), first + PAGE) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first), self.index(last))

    def _store_rows(self, rows: dict[int, Photo], turns: dict[int, int]) -> None:
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
