"""Painting the thumbnail grid: every visible cell in one Python call per paint event.

Qt's own item-view paint loop asks the delegate (and through it the model) for every
cell, and each of those C++ → Python calls must take the GIL back from whatever
worker thread is running Python. While a scan runs, that turned a 3 ms paint into
55-150 ms (benchmarks/bench_gui.py --profile). ``GridPainter`` instead works out the
visible cells from the view's layout (gui/timeline_layout.py) and draws cached tiles,
placeholders, the selection and the hover highlight in one Python loop; calls from
Python into QPainter keep the GIL, so nothing waits for a worker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPalette, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate

INSET = 3  # pixels between a cell's edge and its tile
RADIUS = 6
HOVER = QColor(255, 255, 255, 28)
BADGE = QColor(0, 0, 0, 160)


@runtime_checkable
class TileSource(Protocol):
    """What the painters read from the gallery's model (which imports this module, not the reverse)."""

    @property
    def ids(self) -> Sequence[int]: ...

    def index(self, row: int, column: int = 0, parent: QModelIndex = ...) -> QModelIndex: ...

    def pixmap_at(self, row: int) -> QPixmap | None: ...

    def badge_at(self, row: int) -> str | None: ...


class TileArt:
    """The pieces a cell is drawn from: the rounded placeholder (cached per size and colour), the
    selection ring and the hover veil."""

    def __init__(self) -> None:
        self._placeholder_key: tuple[int, int, int] | None = None
        self._placeholder_pixmap = QPixmap()

    def placeholder(self, size: QSize, palette: QPalette) -> QPixmap:
        key = (size.width(), size.height(), palette.color(QPalette.ColorRole.Mid).rgba())
        if self._placeholder_key != key:
            image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
            image.fill(Qt.GlobalColor.transparent)
            painter = QPainter(image)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            path = QPainterPath()
            path.addRoundedRect(0, 0, size.width(), size.height(), RADIUS, RADIUS)
            base = palette.color(QPalette.ColorRole.Mid)
            base.setAlpha(70)
            painter.fillPath(path, base)
            painter.end()
            self._placeholder_key, self._placeholder_pixmap = key, QPixmap.fromImage(image)
        return self._placeholder_pixmap

    def draw(self, painter: QPainter, rect: QRect, pixmap: QPixmap | None, palette: QPalette) -> None:
        """One cell without decorations: the tile (one blit) or the placeholder."""
        if pixmap is not None and not pixmap.isNull():
            if pixmap.deviceIndependentSize().toSize() == rect.size():
                painter.drawPixmap(rect.topLeft(), pixmap)
            else:  # the cell was resized; a tile of the new size is on its way
                painter.save()
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
                painter.drawPixmap(rect, pixmap)
                painter.restore()
        else:
            painter.drawPixmap(rect.topLeft(), self.placeholder(rect.size(), palette))

    @staticmethod
    def ring(painter: QPainter, rect: QRect, palette: QPalette) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = painter.pen()
        pen.setColor(palette.color(QPalette.ColorRole.Highlight))
        pen.setWidth(3)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(rect.adjusted(1, 1, -1, -1), RADIUS, RADIUS)
        painter.restore()

    @staticmethod
    def badge(painter: QPainter, rect: QRect, text: str) -> None:
        """A video's running time ("0:42") in the tile's bottom-right corner, white on a dark pill."""
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = painter.font()
        font.setPixelSize(max(10, min(13, rect.height() // 10)))
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        width, height = metrics.horizontalAdvance(text) + 10, metrics.height() + 2
        pill = QRect(rect.right() - width - 5, rect.bottom() - height - 5, width, height)
        path = QPainterPath()
        path.addRoundedRect(pill, height / 2, height / 2)
        painter.fillPath(path, BADGE)
        painter.setPen(Qt.GlobalColor.white)
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    @staticmethod
    def veil(painter: QPainter, rect: QRect) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        path = QPainterPath()
        path.addRoundedRect(rect, RADIUS, RADIUS)
        painter.fillPath(path, HOVER)
        painter.restore()


class ThumbnailDelegate(QStyledItemDelegate):
    """Sizes the cells; paints one only when Qt asks outside the grid's own loop (a drag pixmap)."""

    def __init__(self, cell: int, parent=None) -> None:
        super().__init__(parent)
        self.cell = cell
        self.art = TileArt()

    def sizeHint(self, option, index) -> QSize:
        return QSize(self.cell, self.cell)

    def paint(self, painter: QPainter, option, index) -> None:
        rect: QRect = option.rect.adjusted(INSET, INSET, -INSET, -INSET)
        model = index.model()
        pixmap = model.pixmap_at(index.row()) if isinstance(model, TileSource) else None
        self.art.draw(painter, rect, pixmap, option.palette)
        if option.state & QStyle.StateFlag.State_Selected:
            self.art.ring(painter, rect, option.palette)
        elif option.state & QStyle.StateFlag.State_MouseOver:
            self.art.veil(painter, rect)


class TileGeometry(Protocol):
    """Where the view puts its cells (the timeline's layout, with its date headers between days)."""

    def tiles_in(self, area: QRect) -> list[tuple[int, QRect]]: ...

    def hover_row(self) -> int: ...

    def selectionModel(self) -> QItemSelectionModel: ...

    def palette(self) -> QPalette: ...


class GridPainter:
    """Draws the visible cells of the gallery: the view says which rows are in an area and where."""

    def __init__(self, view: TileGeometry, art: TileArt) -> None:
        self.view = view
        self.art = art
        # drawn over each tile after it (favourite and rating): (painter, tile rect, row, hovered)
        self.overlay: Callable[[QPainter, QRect, int, bool], None] | None = None

    def paint(self, painter: QPainter, model: TileSource, area: QRect) -> None:
        tiles = self.view.tiles_in(area)
        if not tiles:
            return
        view = self.view
        palette = view.palette()
        selected = self._selected_rows(tiles[0][0], tiles[-1][0])
        hover = view.hover_row()
        pixmap_for, badge_for = model.pixmap_at, model.badge_at
        draw = self.art.draw
        overlay = self.overlay
        # every cell has the same size: the placeholder is looked up once, and a tile of that size is
        # one blit without asking Qt for sizes per cell (each call into Qt may wait for the GIL while a
        # worker runs Python; see the module's docstring)
        first = tiles[0][1].adjusted(INSET, INSET, -INSET, -INSET)
        size = first.size()
        width = size.width()
        placeholder = self.art.placeholder(size, palette)
        for row, cell in tiles:
            rect = cell.adjusted(INSET, INSET, -INSET, -INSET)
            pixmap = pixmap_for(row)
            if pixmap is None:
                painter.drawPixmap(rect.topLeft(), placeholder)
            elif pixmap.width() == width and pixmap.devicePixelRatio() == 1.0:
                painter.drawPixmap(rect.topLeft(), pixmap)
            else:
                draw(painter, rect, pixmap, palette)
            if badge := badge_for(row):
                self.art.badge(painter, rect, badge)
            if row in selected:
                self.art.ring(painter, rect, palette)
            elif row == hover:
                self.art.veil(painter, rect)
            if overlay is not None:
                overlay(painter, rect, row, row == hover)

    def _selected_rows(self, first: int, last: int) -> set[int]:
        model = self.view.selectionModel()
        rows: set[int] = set()
        if model is None:
            return rows
        for selection_range in model.selection():
            top, bottom = max(first, selection_range.top()), min(last, selection_range.bottom())
            rows.update(range(top, bottom + 1))
        return rows
