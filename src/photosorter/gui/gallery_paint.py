"""Painting the thumbnail grid: every visible cell in one Python call per paint event.

QListView's own paint loop asks the delegate (and through it the model) for every
cell, and each of those C++ → Python calls must take the GIL back from whatever
worker thread is running Python. While a scan runs, that turned a 3 ms paint into
55-150 ms (benchmarks/bench_gui.py --profile). ``GridPainter`` instead works out the
visible cells from the scroll position and the grid geometry and draws cached tiles,
placeholders, the selection and the hover highlight in one Python loop; calls from
Python into QPainter keep the GIL, so nothing waits for a worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from PySide6.QtCore import QModelIndex, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QCursor, QImage, QPainter, QPainterPath, QPalette, QPixmap
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate

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


class GridPainter:
    """Draws the visible cells of a QListView in icon mode (static, uniform cells on a grid)."""

    def __init__(self, view: QListView, art: TileArt) -> None:
        self.view = view
        self.art = art

    def layout(self, model: TileSource) -> tuple[QPoint, int] | None:
        """Where row 0's cell is in viewport coordinates and how many cells make a grid row, read from
        the view's own layout (a few calls into Qt, none back into Python)."""
        view, count = self.view, len(model.ids)
        if count == 0:
            return None
        first = view.visualRect(model.index(0))
        if not first.isValid():
            return None  # not laid out yet
        width = max(1, view.gridSize().width())
        columns = max(1, min(count, view.viewport().width() // width))
        while columns > 1 and view.visualRect(model.index(columns - 1)).y() != first.y():
            columns -= 1
        while columns < count and view.visualRect(model.index(columns)).y() == first.y():
            columns += 1
        return first.topLeft(), columns

    def cells(self, model: TileSource, area: QRect) -> tuple[int, int, int, QPoint, QSize]:
        """(first row, last row, columns, origin, cell) of the cells meeting ``area`` (viewport
        coordinates); first > last when none does."""
        grid = self.view.gridSize()
        found = self.layout(model)
        if found is None or grid.width() <= 0 or grid.height() <= 0:
            return 0, -1, 1, QPoint(), grid
        origin, columns = found
        top = max(0, (area.top() - origin.y()) // grid.height())
        bottom = (area.bottom() - origin.y()) // grid.height()
        left = max(0, (area.left() - origin.x()) // grid.width())
        right = min(columns - 1, (area.right() - origin.x()) // grid.width())
        if bottom < top or right < left:
            return 0, -1, columns, origin, grid
        first = top * columns
        last = min(len(model.ids) - 1, bottom * columns + columns - 1)
        return first, last, columns, origin, grid

    def paint(self, painter: QPainter, model: TileSource, area: QRect) -> None:
        first, last, columns, origin, grid = self.cells(model, area)
        if last < first:
            return
        view = self.view
        palette = view.palette()
        selected = self._selected_rows(first, last)
        hover = self._hover_row(model, origin, columns, grid)
        width, height = grid.width(), grid.height()
        x0, y0 = origin.x(), origin.y()
        left_column = max(0, (area.left() - x0) // width)
        right_column = min(columns - 1, (area.right() - x0) // width)
        tile_w, tile_h = width - 2 * INSET, height - 2 * INSET
        pixmap_for, badge_for = model.pixmap_at, model.badge_at
        draw = self.art.draw
        for row in range(first, last + 1):
            column = row % columns
            if column < left_column or column > right_column:
                continue
            rect = QRect(x0 + column * width + INSET, y0 + (row // columns) * height + INSET, tile_w, tile_h)
            draw(painter, rect, pixmap_for(row), palette)
            if badge := badge_for(row):
                self.art.badge(painter, rect, badge)
            if row in selected:
                self.art.ring(painter, rect, palette)
            elif row == hover:
                self.art.veil(painter, rect)

    def _selected_rows(self, first: int, last: int) -> set[int]:
        model = self.view.selectionModel()
        rows: set[int] = set()
        if model is None:
            return rows
        for selection_range in model.selection():
            top, bottom = max(first, selection_range.top()), min(last, selection_range.bottom())
            rows.update(range(top, bottom + 1))
        return rows

    def _hover_row(self, model: TileSource, origin: QPoint, columns: int, grid: QSize) -> int:
        viewport = self.view.viewport()
        if not viewport.underMouse():
            return -1
        pos = viewport.mapFromGlobal(QCursor.pos())
        if not viewport.rect().contains(pos) or pos.x() < origin.x() or pos.y() < origin.y():
            return -1
        column = (pos.x() - origin.x()) // max(1, grid.width())
        row = (pos.y() - origin.y()) // max(1, grid.height()) * columns + column
        return row if column < columns and row < len(model.ids) else -1
