"""Drawing favourites and ratings: the heart and stars on a thumbnail, and the detail pane's marks bar.

Shapes are painted paths, not font glyphs: a heart or star character is missing from some fonts,
and a path looks the same at every size and scale.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPainterPath, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from photosorter.core.catalog.marks import MAX_RATING, PhotoMarks

HEART = QColor("#ff4d6d")
STAR = QColor("#ffc83d")
PILL = QColor(0, 0, 0, 150)  # behind the marks on a thumbnail: readable on any photo
EMPTY = QColor(255, 255, 255, 170)
BADGE = 18  # the heart's side on a thumbnail
STAR_SIDE = 12


def heart_path(rect: QRectF) -> QPainterPath:
    """A heart filling ``rect``: two lobes and a point."""
    x, y, w, h = rect.x(), rect.y(), rect.width(), rect.height()
    path = QPainterPath()
    path.moveTo(x + w / 2, y + h)
    path.cubicTo(x - w * 0.05, y + h * 0.55, x + w * 0.05, y - h * 0.05, x + w / 2, y + h * 0.28)
    path.cubicTo(x + w * 0.95, y - h * 0.05, x + w * 1.05, y + h * 0.55, x + w / 2, y + h)
    path.closeSubpath()
    return path


def star_polygon(rect: QRectF) -> QPolygonF:
    """A five-pointed star filling ``rect``."""
    cx, cy = rect.center().x(), rect.center().y() + rect.height() * 0.05
    outer, inner = rect.width() / 2, rect.width() / 2 * 0.45
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = -math.pi / 2 + i * math.pi / 5
        points.append(QPointF(cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return QPolygonF(points)


def heart_rect(tile: QRect) -> QRect:
    """Where a thumbnail's heart is (also what a click on it hits): its bottom-left corner."""
    return QRect(tile.left() + 6, tile.bottom() - BADGE - 5, BADGE, BADGE)


class TileBadges:
    """A favourite's heart and a rating's stars over the bottom of a thumbnail, and an empty heart to
    click on the tile under the mouse. Each is one blit of a badge drawn once per look (paths drawn
    for every tile cost 0.17 ms each); the window owns the cache, so no pixmap outlives the app."""

    def __init__(self) -> None:
        self._badges: dict[tuple[bool, int, float], QPixmap] = {}

    def paint(self, painter: QPainter, tile: QRect, marks: PhotoMarks | None, hovered: bool) -> None:
        favorite = marks is not None and marks.favorite
        rating = marks.rating if marks is not None else 0
        if not (favorite or rating or hovered):
            return
        heart = heart_rect(tile)
        device = painter.device()
        ratio = device.devicePixelRatioF() if device is not None else 1.0
        painter.drawPixmap(heart.left() - 4, heart.top() - 3, self.badge(favorite, rating, ratio))

    def badge(self, favorite: bool, rating: int, ratio: float) -> QPixmap:
        key = (favorite, rating, ratio)
        found = self._badges.get(key)
        if found is None:
            found = self._badges[key] = QPixmap.fromImage(_badge_image(favorite, rating, ratio))
        return found


def _badge_image(favorite: bool, rating: int, ratio: float) -> QImage:
    width = BADGE + 8 + (rating * (STAR_SIDE + 2) + 4 if rating else 0)
    image = QImage(int(width * ratio), int((BADGE + 6) * ratio), QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(ratio)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pill = QRectF(0, 0, width, BADGE + 6)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(PILL)
    painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
    heart = QRectF(4, 3, BADGE, BADGE)
    path = heart_path(heart.adjusted(1, 2, -1, -1))
    if favorite:
        painter.fillPath(path, HEART)
    else:
        painter.strokePath(path, QPen(EMPTY, 1.5))
    painter.setBrush(STAR)
    top = heart.top() + (BADGE - STAR_SIDE) / 2
    for i in range(rating):
        left = heart.right() + 6 + i * (STAR_SIDE + 2)
        painter.drawPolygon(star_polygon(QRectF(left, top, STAR_SIDE, STAR_SIDE)))
    painter.end()
    return image


class MarksBar(QWidget):
    """The detail pane's heart and five stars: click the heart to (un)favourite, a star to rate, the
    rating's own star again to clear it. It shows one photo's marks; the window applies a click to the
    selection."""

    favorite_clicked = Signal()
    rating_clicked = Signal(int)  # the stars wanted (0 clears)

    SIDE = 22
    GAP = 6

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.marks: PhotoMarks | None = None
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Favourite and rating")
        self.setToolTip("Favourite (.) and rating (keys 1–5; 0 clears)")
        self._hover = -1
        self.setEnabled(False)

    def set_marks(self, marks: PhotoMarks | None, enabled: bool = True) -> None:
        self.marks = marks
        self.setEnabled(enabled)
        self.setAccessibleDescription(self.describe())
        self.update()

    def describe(self) -> str:
        marks = self.marks
        if marks is None or not (marks.favorite or marks.rating):
            return "not a favourite, not rated"
        rated = f"{marks.rating} star{'s' if marks.rating != 1 else ''}" if marks.rating else "not rated"
        return ("favourite, " if marks.favorite else "not a favourite, ") + rated

    def sizeHint(self) -> QSize:
        return QSize((self.SIDE + self.GAP) * (MAX_RATING + 1) + self.GAP * 2, self.SIDE + 6)

    def slot_rect(self, slot: int) -> QRectF:
        """Slot 0 is the heart, 1..5 the stars."""
        extra = self.GAP * 2 if slot else 0  # a little more room between the heart and the stars
        return QRectF(slot * (self.SIDE + self.GAP) + extra, 3, self.SIDE, self.SIDE)

    def slot_at(self, x: float) -> int:
        for slot in range(MAX_RATING + 1):
            if self.slot_rect(slot).adjusted(-self.GAP / 2, -3, self.GAP / 2, 3).contains(QPointF(x, 6)):
                return slot
        return -1

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        muted = self.palette().placeholderText().color()
        favorite = self.marks is not None and self.marks.favorite
        rating = self.marks.rating if self.marks is not None else 0
        shown = self._hover if self._hover > 0 and self.isEnabled() else rating
        heart = heart_path(self.slot_rect(0).adjusted(1, 2, -1, -1))
        if favorite:
            painter.fillPath(heart, HEART)
        else:
            painter.strokePath(heart, QPen(HEART if self._hover == 0 else muted, 1.6))
        for star in range(1, MAX_RATING + 1):
            polygon = star_polygon(self.slot_rect(star))
            if star <= shown:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(STAR)
            else:
                painter.setPen(QPen(muted, 1.3))
                painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPolygon(polygon)
        painter.end()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        slot = self.slot_at(event.position().x())
        if slot != self._hover:
            self._hover = slot
            self.update()

    def leaveEvent(self, _event) -> None:
        self._hover = -1
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        slot = self.slot_at(event.position().x())
        if slot == 0:
            self.favorite_clicked.emit()
        elif slot > 0:
            rating = self.marks.rating if self.marks is not None else 0
            self.rating_clicked.emit(0 if slot == rating else slot)
