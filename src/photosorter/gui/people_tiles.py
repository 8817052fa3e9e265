"""Face tiles shared by the people page and its suggestions strip: round crops around a face box."""

from __future__ import annotations

import os

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPainterPath, QPixmap

from photosorter.gui.workers import read_image

FACE = 112


def face_crop(path: str | None, box: dict[str, float] | None, size: int = FACE) -> QImage:
    """Worker-thread: a square crop around a face box (relative coordinates), with some margin."""
    if not path or not box or not os.path.exists(path):
        return QImage()
    image = read_image(path, QSize(900, 900))
    if image.isNull():
        return QImage()
    w, h = image.width(), image.height()
    cx, cy = (box["left"] + box["width"] / 2) * w, (box["top"] + box["height"] / 2) * h
    side = max(box["width"] * w, box["height"] * h) * 1.6
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
