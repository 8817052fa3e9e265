"""Face tiles shared by the people page and its suggestions strip: a lazy model of round face crops."""

from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPainterPath, QPixmap
from PySide6.QtWidgets import QListView

from photosorter.core.analysis.types import Box
from photosorter.core.analysis.video.keyframes import FrameRef, VideoUnreadable, frame_jpeg
from photosorter.core.catalog.people_views import FaceTile
from photosorter.gui.workers import Tasks, read_image

FACE = 112
CROP_CACHE = 600  # round crops kept, about 50 kB each
PayloadRole = Qt.ItemDataRole.UserRole + 1
TILE_MIME = "application/x-photosorter-face-tiles"


def face_crop(path: str | None, box: Box, size: int = FACE, frame: FrameRef | None = None) -> QImage:
    """Worker-thread: a square crop around a face box (relative coordinates), with some margin; a
    video's face is cut from the keyframe it was found in (``frame``)."""
    if not path or not os.path.exists(path):
        return QImage()
    if frame is not None:
        try:
            image = QImage.fromData(frame_jpeg(path, frame))
        except (VideoUnreadable, OSError):
            return QImage()
    else:
        image = read_image(path, QSize(900, 900))
    if image.isNull():
        return QImage()
    w, h = image.width(), image.height()
    cx, cy = (box.left + box.width / 2) * w, (box.top + box.height / 2) * h
    side = max(box.width * w, box.height * h) * 1.6
    rect = QRect(int(cx - side / 2), int(cy - side / 2), int(side), int(side)).intersected(image.rect())
    return image.copy(rect).scaled(
        size, size, Qt.AspectRatioMode.KeepAspectRatioByExpanding, Qt.TransformationMode.SmoothTransformation
    )


def round_icon(image: QImage, size: int = FACE) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    path = QPainterPath()
    path.addEllipse(0, 0, size, size)
    if image.isNull():
        painter.fillPath(path, QColor(128, 128, 128, 90))
    else:
        painter.setClipPath(path)
        x, y = (image.width() - size) // 2, (image.height() - size) // 2
        painter.drawImage(0, 0, image, x, y, size, size)
    painter.end()
    return QIcon(pixmap)


@dataclass(frozen=True, slots=True)
class Tile:
    """One face tile: a person, an unnamed group or a question, with the face to show for it."""

    key: str
    text: str
    tooltip: str
    face: FaceTile | None  # None: a person with no face left to show (a grey disc)
    payload: Any  # what the page acts on: a PersonEntry, a FaceQuestion


class FaceTileModel(QAbstractListModel):
    """Tiles whose round face crops are cut off the GUI thread, only for tiles the view shows.

    A library with thousands of people must not decode thousands of photos (or
    rebuild thousands of widgets) to open the page: ``data()`` asks for a crop
    the first time a tile is painted, and crops are kept in a bounded cache
    keyed by photo and box, so a refresh reuses them.
    """

    def __init__(self, tasks: Tasks, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self._tiles: list[Tile] = []
        self._rows_of_crop: dict[tuple, list[int]] = {}
        self._icons: OrderedDict[tuple, QIcon] = OrderedDict()
        self._pending: set[tuple] = set()
        self._placeholder = round_icon(QImage())

    def set_tiles(self, tiles: list[Tile]) -> None:
        self.beginResetModel()
        self._tiles = list(tiles)
        self._rows_of_crop = {}
        for row, tile in enumerate(self._tiles):
            self._rows_of_crop.setdefault(_crop_key(tile), []).append(row)
        self.endResetModel()

    def tile(self, row: int) -> Tile:
        return self._tiles[row]

    def row_of(self, key: str) -> int | None:
        return next((row for row, tile in enumerate(self._tiles) if tile.key == key), None)

    # -- Qt model API ------------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._tiles)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._tiles):
            return None
        tile = self._tiles[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return tile.text
        if role == Qt.ItemDataRole.ToolTipRole:
            return tile.tooltip
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        if role == PayloadRole:
            return tile.payload
        if role == Qt.ItemDataRole.DecorationRole:
            return self._icon(tile)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        if not index.isValid():
            return base | Qt.ItemFlag.ItemIsDropEnabled
        return base | Qt.ItemFlag.ItemIsDragEnabled | Qt.ItemFlag.ItemIsDropEnabled

    def mimeTypes(self) -> list[str]:
        return [TILE_MIME]

    def mimeData(self, indexes) -> QMimeData:
        # Only the keys travel: the payloads are Python objects Qt cannot serialize.
        data = QMimeData()
        keys = [self._tiles[i.row()].key for i in indexes if i.isValid()]
        data.setData(TILE_MIME, QByteArray("\n".join(keys).encode()))
        return data

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    # -- crops -------------------------------------------------------------------------------------------
    def _icon(self, tile: Tile) -> QIcon:
        key = _crop_key(tile)
        icon = self._icons.get(key)
        if icon is not None:
            self._icons.move_to_end(key)
            return icon
        face = tile.face
        if key not in self._pending and face is not None and face.path:
            self._pending.add(key)
            self.tasks.run(
                lambda: face_crop(face.path, face.box, frame=face.frame),
                lambda image: self._crop_loaded(key, image),
                lambda _error: self._crop_loaded(key, QImage()),  # the grey disc, not a retry per paint
            )
        return self._placeholder

    def _crop_loaded(self, key: tuple, image: QImage) -> None:
        self._pending.discard(key)
        self._icons[key] = round_icon(image)
        while len(self._icons) > CROP_CACHE:
            self._icons.popitem(last=False)
        for row in self._rows_of_crop.get(key, ()):
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])


def _crop_key(tile: Tile) -> tuple:
    face = tile.face
    return (None, None, None) if face is None else (face.path, face.box, face.frame)


def tile_view(view: QListView, name: str) -> None:
    """The icon-grid look both face lists share."""
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setIconSize(QSize(FACE, FACE))
    view.setGridSize(QSize(FACE + 40, FACE + 48))
    view.setResizeMode(QListView.ResizeMode.Adjust)
    view.setMovement(QListView.Movement.Static)
    view.setWordWrap(True)
    view.setSpacing(4)
    view.setUniformItemSizes(True)
    view.setAccessibleName(name)
