"""Video playback for the detail pane and the full-window viewer.

Qt Multimedia (``PySide6-Addons``; its FFmpeg backend is LGPL) decodes and plays with sound into a
``QVideoWidget``, which converts and scales frames on the GPU. Painting frames ourselves would need
``QVideoFrame.toImage()``, measured here at 37 ms a 1080p frame and 290 ms a 4K frame on the CPU: slower than
the video. Until the first frame arrives the pane's own canvas shows the poster, the "Loading…" text or why
the video cannot be played. A player holds a decoder, its threads and audio buffers, so each ``VideoPlayer``
makes its ``QMediaPlayer`` when a video is loaded and lets it go when the item changes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QLoggingCategory, QPointF, QRectF, Qt, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QIcon,
    QImage,
    QKeyEvent,
    QPainter,
    QPen,
    QPixmap,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QStackedLayout,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from photosorter.core.durations import clock

if TYPE_CHECKING:
    from photosorter.gui.detail import PhotoCanvas

# Qt Multimedia probes optional system libraries (PipeWire, VA-API) as it loads and warns for each one a
# machine lacks; the FFmpeg backend plays without them, so those warnings only say what is not installed.
# Its info lines (FFmpeg's version, a dump of each file's streams, "No HW decoder found") filled the terminal
# for every video. QT_LOGGING_RULES still turns any of them back on.
# Opening a file logs each failure, which the player reports to the user anyway (errorOccurred, shown in the
# pane), and an open we cancel by picking another item mid-open as "Immediate exit requested".
QLoggingCategory.setFilterRules(
    "qt.multimedia.symbolsresolver.warning=false\n"
    "qt.multimedia.*.info=false\n"
    "qt.multimedia.ffmpeg.mediadataholder.warning=false"
)
try:
    from PySide6.QtMultimedia import QAudioOutput, QMediaFormat, QMediaMetaData, QMediaPlayer
    from PySide6.QtMultimediaWidgets import QVideoWidget
except ImportError as error:  # the Addons wheel is missing, or a system library it links (libpulse.so.0)
    MULTIMEDIA_MISSING: str | None = str(error)
else:
    MULTIMEDIA_MISSING = None

SEEK_S = 5.0  # Left/Right: the step of every common player (YouTube, Photos)
VOLUME_STEP = 0.1  # + and -
FALLBACK_FPS = 30.0  # a frame step when the file does not say its rate
LIGHT = "#e6e6e6"  # the controls' colour on the viewer's black (the viewer's caption colour)


@dataclass(frozen=True, slots=True)
class VideoKey:
    keys: str
    what: str


# One list for the key handling below, the Help menu and the README (tests/test_gui_video.py checks).
VIDEO_KEYS = (
    VideoKey("Space", "play or pause"),
    VideoKey("Left / Right", f"back or forward {SEEK_S:.0f} seconds"),
    VideoKey(", / .", "one frame back or forward (pauses)"),
    VideoKey("Home / End", "to the start or the end"),
    VideoKey("M", "mute or unmute"),
    VideoKey("+ / -", "volume up or down"),
)


def media_icon(kind: str, colour: QColor) -> QIcon:
    """Play, pause, sound and muted drawn in ``colour``: the style's own icons are dark, and vanish on the
    viewer's black."""
    pixmap = QPixmap(32, 32)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    if kind == "play":
        painter.drawPolygon(QPolygonF([QPointF(9, 6), QPointF(26, 16), QPointF(9, 26)]))
    elif kind == "pause":
        painter.drawRect(QRectF(8, 6, 6, 20))
        painter.drawRect(QRectF(18, 6, 6, 20))
    else:  # a speaker, with waves or crossed out
        corners = ((4, 12), (9, 12), (16, 6), (16, 26), (9, 20), (4, 20))
        painter.drawPolygon(QPolygonF([QPointF(x, y) for x, y in corners]))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(colour, 2.5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        if kind == "muted":
            painter.drawLine(QPointF(20, 11), QPointF(29, 21))
            painter.drawLine(QPointF(29, 11), QPointF(20, 21))
        else:
            painter.drawArc(QRectF(12, 10, 10, 12), -60 * 16, 120 * 16)
            painter.drawArc(QRectF(12, 5, 16, 22), -60 * 16, 120 * 16)
    painter.end()
    return QIcon(pixmap)


def open_with_system_player(path: str) -> bool:
    return QDesktopServices.openUrl(QUrl.fromLocalFile(path))


class VideoPlayer(QWidget):
    """A video with its controls: play/pause, a seek bar with the time, mute and volume; or, for a video
    that cannot be played, why not and a button that hands it to the system's player."""

    problem_shown = Signal(str)

    def __init__(self, canvas: PhotoCanvas, parent: QWidget | None = None, dark: bool = False) -> None:
        super().__init__(parent)
        self.path: str | None = None
        self.poster = QImage()  # shown until the first frame
        self.player: QMediaPlayer | None = None
        self.audio: QAudioOutput | None = None
        self._waiting_for_frame = False
        self._played = False  # since it was loaded: a file that played to its end without a frame is broken
        self.problem = ""
        self._start_ms: int | None = None  # where to go once the file is open
        self._autoplay = False
        self._volume = 1.0
        self._muted = False
        self._duration_ms = 0
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.canvas = canvas  # the pane's own kind of canvas: the poster fits like a photo does
        canvas.show_faces = False
        canvas.setAccessibleName("Video poster")
        self.screen = QWidget(self)
        self.stack = QStackedLayout(self.screen)
        self.stack.addWidget(canvas)  # its height for the width sizes the screen, as for a photo
        self.video: QVideoWidget | None = None
        if MULTIMEDIA_MISSING is None:
            self.video = QVideoWidget(self.screen)
            self.video.setAccessibleName("Video")
            self.video.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            # its size hint is the video's own (720 px tall for 720p): the poster's canvas sizes the screen
            self.video.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
            self.stack.addWidget(self.video)
        layout.addWidget(self.screen, 1)

        self.controls = QWidget(self)
        row = QHBoxLayout(self.controls)
        side = 12 if dark else 0  # full-window, the controls keep off the screen's edges
        row.setContentsMargins(side, 0, side, 0)
        self.play_button = self._tool_button("Play (Space)")
        self.play_button.clicked.connect(self.toggle)
        row.addWidget(self.play_button)
        self.seek_bar = QSlider(Qt.Orientation.Horizontal, self.controls)
        self.seek_bar.setAccessibleName("Position")
        self.seek_bar.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys belong to the player
        self.seek_bar.sliderMoved.connect(self.seek_to_ms)
        self.seek_bar.sliderReleased.connect(lambda: self.seek_to_ms(self.seek_bar.value()))
        row.addWidget(self.seek_bar, 1)
        self.time_label = QLabel("0:00 / 0:00", self.controls)
        self.time_label.setAccessibleName("Time")
        row.addWidget(self.time_label)
        self.mute_button = self._tool_button("Mute (M)")
        self.mute_button.setCheckable(True)
        self.mute_button.toggled.connect(self.set_muted)
        row.addWidget(self.mute_button)
        self.volume_bar = QSlider(Qt.Orientation.Horizontal, self.controls)
        self.volume_bar.setAccessibleName("Volume")
        self.volume_bar.setRange(0, 100)
        self.volume_bar.setValue(100)
        self.volume_bar.setMaximumWidth(80)
        self.volume_bar.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.volume_bar.valueChanged.connect(lambda value: self.set_volume(value / 100))
        row.addWidget(self.volume_bar)
        layout.addWidget(self.controls)

        self.problem_box = QWidget(self)
        box = QVBoxLayout(self.problem_box)
        box.setContentsMargins(0, 0, 0, 0)
        self.problem_label = QLabel(self.problem_box)
        self.problem_label.setWordWrap(True)
        self.problem_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem_label.setAccessibleName("Why the video cannot be played")
        box.addWidget(self.problem_label)
        self.system_button = QPushButton("Open with the system player", self.problem_box)
        self.system_button.clicked.connect(self.open_external)
        box.addWidget(self.system_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.problem_box)
        self._icon_colour = QColor(LIGHT) if dark else self.palette().buttonText().color()
        if dark:
            for widget in (self.time_label, self.problem_label):
                widget.setStyleSheet(f"color: {LIGHT};")
        self._show_state()

    def _tool_button(self, tip: str) -> QToolButton:
        button = QToolButton(self.controls)
        button.setToolTip(tip)
        button.setAccessibleName(tip.split(" (")[0])
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setAutoRaise(True)
        return button

    # -- loading and releasing ---------------------------------------------------------------------------
    def prepare(self, path: str, poster: QImage, start_s: float = 0.0) -> None:
        """Shows a video's poster without opening it (a hidden pane holds no decoder); ``load`` opens it."""
        self.release()
        self.path = path
        self.poster = poster
        self._start_ms = max(0, round(start_s * 1000))
        self._duration_ms = 0
        self.seek_bar.setRange(0, 0)
        self._position(0)
        self.canvas.placeholder = "Loading…"
        self.canvas.set_image(poster)
        self.stack.setCurrentWidget(self.canvas)

    def load(self, path: str, poster: QImage, start_s: float = 0.0, autoplay: bool = False) -> None:
        """Shows ``poster`` and opens ``path`` at ``start_s``; plays at once when ``autoplay``."""
        self.prepare(path, poster, start_s)
        self._autoplay = autoplay
        if MULTIMEDIA_MISSING is not None:
            self._fail(f"Videos cannot be played here: Qt Multimedia did not load ({MULTIMEDIA_MISSING}).")
            return
        if not os.path.isfile(path):
            self._fail(f"The file is not there any more: {path}")
            return
        self.player = QMediaPlayer(self)
        self.audio = QAudioOutput(self)
        self.audio.setVolume(self._volume)
        self.audio.setMuted(self._muted)
        self.player.setAudioOutput(self.audio)
        self.player.setVideoOutput(self.video)
        # Bound methods of this widget: Qt queues the decoder threads' signals to the GUI thread.
        self.video.videoSink().videoFrameChanged.connect(self._first_frame)
        self._waiting_for_frame = True
        self._played = False
        self.player.errorOccurred.connect(self._error)
        self.player.mediaStatusChanged.connect(self._status)
        self.player.durationChanged.connect(self._duration)
        self.player.positionChanged.connect(self._position)
        self.player.playbackStateChanged.connect(self._show_state)
        self.player.setSource(QUrl.fromLocalFile(path))
        self._show_state()

    def release(self) -> None:
        """Stops and lets go of the decoder, its threads and buffers; the poster shows again."""
        player, audio = self.player, self.audio
        self.player = self.audio = None
        self.problem = ""
        self._stop_waiting_for_frame()
        if player is not None:
            if self._start_ms is None:  # it was open: opened again, it goes on from here
                self._start_ms = player.position()
            for signal in (
                player.errorOccurred,
                player.mediaStatusChanged,
                player.durationChanged,
                player.positionChanged,
                player.playbackStateChanged,
            ):
                signal.disconnect()
            player.stop()
            player.setSource(QUrl())
            player.setVideoOutput(None)
            player.deleteLater()
        if audio is not None:
            audio.deleteLater()
        self.stack.setCurrentWidget(self.canvas)
        self._show_state()

    def clear(self) -> None:
        self.release()
        self.path = None
        self.poster = QImage()
        self.canvas.set_image(QImage())

    # -- commands ---------------------------------------------------------------------------------------
    def is_playing(self) -> bool:
        return self.player is not None and self.player.isPlaying()

    def position_s(self) -> float:
        if self.player is None or self._start_ms is not None:
            return (self._start_ms or 0) / 1000
        return self.player.position() / 1000

    def toggle(self) -> None:
        if self.player is None:
            return
        if self.player.isPlaying():
            self.player.pause()
        else:
            if self._duration_ms and self.player.position() >= self._duration_ms:
                self.player.setPosition(0)  # Play at the end plays again
            self.player.play()

    def play(self) -> None:
        if self.player is not None and not self.player.isPlaying():
            self.toggle()

    def pause(self) -> None:
        if self.player is not None:
            self.player.pause()

    def seek_to_ms(self, ms: int) -> None:
        if self.player is not None:
            self.player.setPosition(max(0, min(ms, self._duration_ms or ms)))

    def seek_by(self, seconds: float) -> None:
        if self.player is not None:
            self.seek_to_ms(self.player.position() + round(seconds * 1000))

    def step_frame(self, frames: int) -> None:
        """Pauses and moves by whole frames (Qt has no frame step; a seek to the next frame's time is one)."""
        if self.player is None:
            return
        self.player.pause()
        rate = self.player.metaData().value(QMediaMetaData.Key.VideoFrameRate)
        fps = float(rate) if isinstance(rate, int | float) and rate > 0 else FALLBACK_FPS
        self.seek_to_ms(self.player.position() + round(frames * 1000 / fps))

    def set_muted(self, muted: bool) -> None:
        self._muted = muted
        if self.audio is not None:
            self.audio.setMuted(muted)
        if self.mute_button.isChecked() != muted:
            self.mute_button.setChecked(muted)
        self._show_state()

    def is_muted(self) -> bool:
        return self._muted

    def set_volume(self, volume: float) -> None:
        self._volume = max(0.0, min(1.0, volume))
        if self.audio is not None:
            self.audio.setVolume(self._volume)
        if self.volume_bar.value() != round(self._volume * 100):
            self.volume_bar.setValue(round(self._volume * 100))

    def volume(self) -> float:
        return self._volume

    def open_external(self) -> None:
        if self.path:
            open_with_system_player(self.path)

    # -- keys -------------------------------------------------------------------------------------------
    def handle_key(self, event: QKeyEvent) -> bool:
        """The player's keys (VIDEO_KEYS); True when it was one. The viewer asks first, then navigates."""
        if self.player is None:
            return False
        key = event.key()
        if key == Qt.Key.Key_Space:
            self.toggle()
        elif key == Qt.Key.Key_Left:
            self.seek_by(-SEEK_S)
        elif key == Qt.Key.Key_Right:
            self.seek_by(SEEK_S)
        elif key in (Qt.Key.Key_Comma, Qt.Key.Key_Less):
            self.step_frame(-1)
        elif key in (Qt.Key.Key_Period, Qt.Key.Key_Greater):
            self.step_frame(1)
        elif key == Qt.Key.Key_Home:
            self.seek_to_ms(0)
        elif key == Qt.Key.Key_End:
            self.seek_to_ms(self._duration_ms)
        elif key == Qt.Key.Key_M:
            self.set_muted(not self._muted)
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.set_volume(self._volume + VOLUME_STEP)
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.set_volume(self._volume - VOLUME_STEP)
        else:
            return False
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self.handle_key(event):
            super().keyPressEvent(event)

    def mousePressEvent(self, event) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)  # the keys work once the video was clicked
        on_picture = self.screen.geometry().contains(event.position().toPoint())
        if event.button() == Qt.MouseButton.LeftButton and on_picture:
            self.toggle()
            return
        super().mousePressEvent(event)

    # -- the player's signals ---------------------------------------------------------------------------
    def _first_frame(self, _frame) -> None:
        """The poster gives way to the video once it has a picture to show."""
        self._stop_waiting_for_frame()
        if self.player is not None:
            self.stack.setCurrentWidget(self.video)

    def _stop_waiting_for_frame(self) -> None:
        if self._waiting_for_frame and self.video is not None:
            self._waiting_for_frame = False
            self.video.videoSink().videoFrameChanged.disconnect(self._first_frame)

    def showing_video(self) -> bool:
        """True once frames are on screen (before: the poster)."""
        return self.video is not None and self.stack.currentWidget() is self.video

    def _status(self, status: QMediaPlayer.MediaStatus) -> None:
        if self.player is None:
            return
        if status == QMediaPlayer.MediaStatus.LoadedMedia and self._start_ms is not None:
            if not self.player.hasVideo():
                self._fail("This file has no picture to show: sound only, or a video stream we cannot read.")
                return
            if self._start_ms:
                self.player.setPosition(min(self._start_ms, self.player.duration() or self._start_ms))
            self._start_ms = None
            if self._autoplay:
                self.player.play()
        elif status == QMediaPlayer.MediaStatus.InvalidMedia and not self.problem:
            self._fail(self._why(self.player.error(), self.player.errorString()))
        elif status == QMediaPlayer.MediaStatus.EndOfMedia:
            if self._waiting_for_frame and self._played:  # FFmpeg read it to the end but decoded nothing
                self._fail(self._undecodable())
                return
            self._show_state()

    def _undecodable(self) -> str:
        codec = self.player.metaData().value(QMediaMetaData.Key.VideoCodec) if self.player else None
        known = isinstance(codec, QMediaFormat.VideoCodec) and codec != QMediaFormat.VideoCodec.Unspecified
        name = f" ({QMediaFormat.videoCodecName(codec)})" if known else ""
        return (
            f"Not one frame of this video could be decoded{name}: it may be damaged, or use a form of "
            "its codec the player does not know."
        )

    def _error(self, error: QMediaPlayer.Error, text: str) -> None:
        if error != QMediaPlayer.Error.NoError and self.player is not None:
            self._fail(self._why(error, text))

    @staticmethod
    def _why(error: QMediaPlayer.Error, text: str) -> str:
        detail = f" ({text})" if text else ""
        if error == QMediaPlayer.Error.FormatError:
            # Qt says this both for an unknown codec and for a file cut short (a partial download)
            return (
                "This video cannot be played here: the file is damaged or incomplete, or its format or "
                "codec is not supported" + detail + "."
            )
        if error == QMediaPlayer.Error.ResourceError:
            return "The video could not be read: it may be damaged or incomplete" + detail + "."
        if error == QMediaPlayer.Error.AccessDeniedError:
            return "This video may not be read (permission denied)" + detail + "."
        return "The video could not be played" + detail + "."

    def _duration(self, ms: int) -> None:
        self._duration_ms = max(0, ms)
        self.seek_bar.setRange(0, self._duration_ms)
        self._position(self.player.position() if self.player is not None else 0)

    def _position(self, ms: int) -> None:
        if not self.seek_bar.isSliderDown():
            self.seek_bar.setValue(ms)
        self.time_label.setText(f"{clock(ms / 1000)} / {clock(self._duration_ms / 1000)}")

    def _fail(self, why: str) -> None:
        self.release()
        self.problem = why
        self.canvas.placeholder = "This video cannot be played"
        self._show_state()
        self.problem_shown.emit(why)

    def _show_state(self, *_args) -> None:
        playing = self.is_playing()
        self._played = self._played or playing
        colour = self._icon_colour
        self.play_button.setIcon(media_icon("pause" if playing else "play", colour))
        self.play_button.setToolTip("Pause (Space)" if playing else "Play (Space)")
        self.play_button.setAccessibleName("Pause" if playing else "Play")
        self.mute_button.setIcon(media_icon("muted" if self._muted else "sound", colour))
        self.mute_button.setToolTip("Unmute (M)" if self._muted else "Mute (M)")
        has_player = self.player is not None
        self.controls.setVisible(has_player)
        self.problem_label.setText(self.problem)
        self.problem_box.setVisible(bool(self.problem))
        self.system_button.setEnabled(bool(self.path) and os.path.isfile(self.path))
