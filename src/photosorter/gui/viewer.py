"""The full-window viewer: one photo on black, arrows for the previous and next, Escape to go back.
A video plays here with sound; its keys (gui/video_player.py VIDEO_KEYS) come first, so Left/Right seek
within a video while Up/Down and Page Up/Down still go to the previous and next item."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from photosorter.gui.detail import PhotoCanvas, load_detail
from photosorter.gui.facade import Facade
from photosorter.gui.video_player import VideoPlayer
from photosorter.gui.workers import Tasks

VIEWER_SIZE = 2400
BACKGROUND = "#111"
CAPTION = "#e6e6e6"  # 14:1 on the background


class Viewer(QWidget):
    navigate = Signal(int)  # -1 previous, +1 next
    closed = Signal()

    def __init__(self, facade: Facade, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.facade = facade
        self.tasks = tasks
        self.photo_id: int | None = None
        self._start_s: float | None = None
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor(BACKGROUND))
        palette.setColor(QPalette.ColorRole.WindowText, QColor(CAPTION))
        self.setPalette(palette)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 8)
        self.canvas = PhotoCanvas(self, min_height=0)
        self.canvas.show_faces = False
        layout.addWidget(self.canvas, 1)
        self.player = VideoPlayer(PhotoCanvas(min_height=0), self, dark=True)
        self.player.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the viewer keeps the keys and asks the player
        self.player.hide()
        layout.addWidget(self.player, 1)
        self.caption = QLabel(self)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # Its own colour: with the app's style sheet a label takes the app palette's text colour, which
        # in a light scheme is dark grey on this black.
        self.caption.setStyleSheet(f"color: {CAPTION}; padding: 4px;")
        layout.addWidget(self.caption)

    def show_photo(self, photo_id: int, position: str = "") -> None:
        if photo_id != self.photo_id:
            self.player.release()  # the video shown before stops at once
        self.photo_id = photo_id
        self._start_s = None
        self.caption.setText(position)
        self.tasks.run(lambda: load_detail(self.facade, photo_id, VIEWER_SIZE), self._loaded)

    def show_video(self, photo_id: int, start_s: float, position: str = "") -> None:
        """Plays a video from ``start_s`` seconds (a search hit's moment, or where the detail pane was)."""
        self.show_photo(photo_id, position)
        self._start_s = start_s

    def _loaded(self, detail) -> None:
        if detail is None or detail.photo.id != self.photo_id:
            return
        video = detail.photo.is_video
        self.canvas.setVisible(not video)
        self.player.setVisible(video)
        if video:
            self.canvas.set_image(QImage())
            self.player.load(detail.photo.path, detail.image, self._start_s or 0.0, autoplay=True)
        else:
            self.player.clear()
            self.canvas.set_image(detail.image, detail.analysis.faces)
        self._start_s = None
        position = self.caption.text().split("  ·  ")[-1] if self.caption.text() else ""
        self.caption.setText(f"{detail.photo.name}  ·  {position}" if position else detail.photo.name)

    def clear(self) -> None:
        self.photo_id = None
        self.player.clear()
        self.canvas.set_image(QImage())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.player.isVisible() and self.player.handle_key(event):
            return
        key = event.key()
        if key in (Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_PageDown):
            self.navigate.emit(1)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Up, Qt.Key.Key_PageUp):
            self.navigate.emit(-1)
        elif key in (Qt.Key.Key_Escape, Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.closed.emit()
        elif key == Qt.Key.Key_F:
            self.canvas.show_faces = not self.canvas.show_faces
            self.canvas.update()
        else:
            super().keyPressEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        self.closed.emit()
