"""The rotation a user chose for showing a photo, applied to what the app shows of it (the detail pane,
the viewer, the slideshow); the grid turns its tiles in the gallery model. The file is never changed."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtGui import QImage, QTransform

from photosorter.core.analysis.types import Box
from photosorter.core.photo_analysis import FaceRow


def turn_image(image: QImage, quarter_turns: int) -> QImage:
    turns = quarter_turns % 4
    return image.transformed(QTransform().rotate(90 * turns)) if turns and not image.isNull() else image


def turn_box(box: Box, quarter_turns: int) -> Box:
    """A box relative to the image (0..1) where it lands once the image is turned clockwise."""
    for _ in range(quarter_turns % 4):
        box = Box(1.0 - box.top - box.height, box.left, box.height, box.width)
    return box


def turn_faces(faces: tuple[FaceRow, ...], quarter_turns: int) -> tuple[FaceRow, ...]:
    if quarter_turns % 4 == 0:
        return faces
    return tuple(replace(face, box=turn_box(face.box, quarter_turns)) for face in faces)
