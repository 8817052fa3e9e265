"""The slideshow: photos one after another, full screen on black. The arrows step, Space pauses,
+ and − change how long each photo stays (kept in the settings), Escape ends."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPalette, QScreen
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from photosorter.core.settings import SLIDESHOW_SECONDS
from photosorter.gui.detail import PhotoCanvas, PhotoDetail, load_detail
from photosorter.gui.facade import Facade
from photosorter.gui.workers import Tasks

SLIDE_SIZE = 2400  # px: decoded this large at most
BACKGROUND = "#000"
CAPTION = "#d0d0d0"


class Slideshow(QWidget):
    """A top-level window over everything; ``ended`` says which photo was shown last."""

    ended = Signal(int)  # the photo id shown when it ended

    def __init__(self, facade: Facade, tasks: Tasks, photo_ids: list[int], start: int = 0) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setWindowTitle("Slideshow — Photosorter")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.facade = facade
        self.tasks = tasks
        self.photo_ids = photo_ids
        self.position = max(0, min(start, len(photo_ids) - 1))
        self.paused = False
        self.shown: int | None = None  # the photo whose image is on screen
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor(BACKGROUND))
        self.setPalette(palette)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.BlankCursor)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 6)
        self.canvas = PhotoCanvas(self, min_height=0)
        self.canvas.show_faces = False
        layout.addWidget(self.canvas, 1)
        self.caption = QLabel(self)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setStyleSheet(f"color: {CAPTION}; padding: 2px;")
        layout.addWidget(self.caption)
        # The next photo is asked for when one is shown, and the clock starts only once it is on screen,
        # so a slow disk never shortens how long a photo stays.
        self.timer = QTimer(self, singleShot=True, timeout=lambda: self.step(1))

    @property
    def seconds(self) -> float:
        return self.facade.library.settings.slideshow_seconds

    def start(self, screen: QScreen | None = None) -> None:
        """Full screen on ``screen`` (the main window's); the geometry is set too, for a desktop whose
        window manager ignores the full-screen request."""
        if screen is not None:
            self.setScreen(screen)
            self.setGeometry(screen.geometry())
        self.showFullScreen()
        self.activateWindow()
        self.setFocus()
        self._load()

    def step(self, delta: int) -> None:
        """The next (1) or previous (-1) photo; after the last one it starts over."""
        if not self.photo_ids:
            return
        self.position = (self.position + delta) % len(self.photo_ids)
        self._load()

    def current(self) -> int | None:
        return self.photo_ids[self.position] if self.photo_ids else None

    def _load(self) -> None:
        self.timer.stop()
        photo_id = self.current()
        if photo_id is None:
            return
        facade = self.facade
        self.tasks.run(lambda: load_detail(facade, photo_id, SLIDE_SIZE), self._loaded)

    def _loaded(self, detail: PhotoDetail | None) -> None:
        if detail is None:  # gone from the catalog meanwhile: on to the next
            if not self.paused:
                self.timer.start(0)
            return
        if detail.photo.id != self.current():
            return  # the user stepped on meanwhile
        self.shown = detail.photo.id
        self.canvas.set_image(detail.image)
        self._caption(detail.photo.name)
        if not self.paused:
            self.timer.start(round(self.seconds * 1000))

    def _caption(self, name: str | None = None) -> None:
        name = name if name is not None else self.caption.property("name") or ""
        self.caption.setProperty("name", name)
        state = "paused · Space plays" if self.paused else f"every {self.seconds:g} s (+/−)"
        self.caption.setText(f"{name}  ·  {self.position + 1:,} of {len(self.photo_ids):,}  ·  {state}")

    def toggle_pause(self) -> None:
        self.paused = not self.paused
        if self.paused:
            self.timer.stop()
        elif self.shown == self.current():
            self.timer.start(round(self.seconds * 1000))
        self._caption()

    def change_interval(self, delta: float) -> None:
        low, high = SLIDESHOW_SECONDS
        seconds = min(high, max(low, self.seconds + delta))
        library = self.facade.library
        library.save_settings(library.settings.with_changes(slideshow_seconds=seconds))
        if self.timer.isActive():
            self.timer.start(round(seconds * 1000))
        self._caption()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Escape:
            self.close()
        elif key in (Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_PageDown):
            self.step(1)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Up, Qt.Key.Key_PageUp):
            self.step(-1)
        elif key == Qt.Key.Key_Space:
            self.toggle_pause()
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.change_interval(1)
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.change_interval(-1)
        else:
            super().keyPressEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        self.close()

    def closeEvent(self, event) -> None:
        self.timer.stop()
        current = self.current()
        if current is not None:
            self.ended.emit(current)
        super().closeEvent(event)
