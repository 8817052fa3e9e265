"""The detail pane: the selected photo large with face boxes and names, and everything we know about it."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices, QFont, QImage, QPainter, QPen, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from photosorter.core.analysis.types import Box
from photosorter.core.backfill import place_of
from photosorter.core.catalog.metadata import KEYWORD_BACKEND
from photosorter.core.catalog.photos import photo_by_id
from photosorter.core.catalog.rotation import rotations
from photosorter.core.durations import clock
from photosorter.core.headers import human_size
from photosorter.core.photo_analysis import FaceRow, LabelRow, PhotoAnalysis
from photosorter.core.places import Place
from photosorter.core.records import Photo
from photosorter.gui.display_rotation import turn_faces, turn_image
from photosorter.gui.facade import Facade
from photosorter.gui.video_player import VideoPlayer
from photosorter.gui.workers import Tasks, read_image

PREVIEW = 1100  # long side of the image decoded for the pane
TOOLTIP_PHRASES = 4  # attribute phrases per tooltip line
EMOTIONS_SHOWN = 2  # the strongest emotions of a face, with Rekognition's confidence

# yes/no attributes as Rekognition reports them: (key, said when true, said when false)
_YES_NO = (
    ("smile", "smiling", "not smiling"),
    ("eyes_open", "eyes open", "eyes closed"),
    ("mouth_open", "mouth open", "mouth closed"),
    ("eyeglasses", "eyeglasses", "no eyeglasses"),
    ("sunglasses", "sunglasses", "no sunglasses"),
    ("beard", "beard", "no beard"),
    ("mustache", "mustache", "no mustache"),
    ("face_occluded", "face partly covered", "face not covered"),
)


def face_attributes_text(attributes: dict[str, Any]) -> list[str]:
    """A face's attributes as short phrases with the service's confidence: ``age 30–40``,
    ``male 99%``, ``smiling 97%``, ``happy 95%``. Empty for a backend that returns none."""
    out = []
    age = attributes.get("age_range")
    if isinstance(age, dict) and age.get("low") is not None:
        out.append(f"age {age['low']}–{age.get('high', age['low'])}")
    gender = attributes.get("gender")
    if isinstance(gender, dict) and gender.get("value"):
        out.append(f"{str(gender['value']).lower()} {gender.get('confidence', 0):.0f}%")
    emotions = attributes.get("emotions")
    if isinstance(emotions, list):
        for emotion in emotions[:EMOTIONS_SHOWN]:
            if isinstance(emotion, dict) and emotion.get("type"):
                out.append(f"{str(emotion['type']).lower()} {emotion.get('confidence', 0):.0f}%")
    for key, yes, no in _YES_NO:
        value = attributes.get(key)
        if isinstance(value, dict) and value.get("value") is not None:
            out.append(f"{yes if value['value'] else no} {value.get('confidence', 0):.0f}%")
    return out


def face_tooltip(number: int, face: FaceRow) -> str:
    """The face box's tooltip: who, then what the service saw, a few phrases a line."""
    who = f"Face {number} ({face.who})"
    details = face_attributes_text(face.attributes)
    rows = [" · ".join(details[i : i + TOOLTIP_PHRASES]) for i in range(0, len(details), TOOLTIP_PHRASES)]
    return "\n".join([who, *rows])


def face_summary(number: int, face: FaceRow) -> str:
    """One line per face for the pane and the face box's tooltip."""
    details = face_attributes_text(face.attributes)
    return f"Face {number} ({face.who})" + (": " + " · ".join(details) if details else "")


@dataclass(frozen=True, slots=True)
class PhotoDetail:
    photo: Photo
    analysis: PhotoAnalysis
    image: QImage
    place: Place | None = None


def load_detail(facade: Facade, photo_id: int, size: int = PREVIEW) -> PhotoDetail | None:
    """Worker-thread half: the row, the analysis and a decoded preview (a video's: its poster)."""
    photo = photo_by_id(facade.catalog, photo_id)
    if photo is None:
        return None
    still = not photo.is_video and os.path.exists(photo.path)
    image = read_image(photo.path, QSize(size, size)) if still else QImage()
    if image.isNull():
        thumb = facade.thumbnail_file(photo.hash)
        image = read_image(thumb) if thumb and os.path.exists(thumb) else QImage()
    analysis = facade.library.analysis_of(photo)
    turns = rotations(facade.catalog, [photo_id]).get(photo_id, 0)  # the user's, for display only
    if turns:
        image, analysis = turn_image(image, turns), replace(analysis, faces=turn_faces(analysis.faces, turns))
    return PhotoDetail(photo, analysis, image, place_of(facade.catalog, photo))


PHOTO_SHARE = 0.45  # of the detail pane's visible height, at most


class PhotoCanvas(QWidget):
    """Paints an image fitted to the widget, with face boxes (relative 0..1 coordinates) and names."""

    face_clicked = Signal(object)  # FaceRow

    def __init__(self, parent: QWidget | None = None, min_height: int = 220) -> None:
        super().__init__(parent)
        self._pixmap = QPixmap()
        self._faces: tuple[FaceRow, ...] = ()
        self.placeholder = ""
        self.show_faces = True
        self.max_height: int | None = None  # set by the pane from its visible height
        self.setMouseTracking(True)  # a face box's tooltip lists what the service saw in it
        self.setMinimumHeight(min_height)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_image(self, image: QImage, faces: tuple[FaceRow, ...] = ()) -> None:
        before = self._pixmap.size()
        self._pixmap = QPixmap.fromImage(image) if not image.isNull() else QPixmap()
        self._faces = faces
        if self._pixmap.size() != before:  # a video's frames: a relayout 30 times a second stalled the pane
            self.updateGeometry()
        self.update()

    def has_image(self) -> bool:
        return not self._pixmap.isNull()

    def image_rect(self) -> QRectF:
        if self._pixmap.isNull():
            return QRectF()
        size = self._pixmap.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        return QRectF(
            (self.width() - size.width()) / 2,
            (self.height() - size.height()) / 2,
            size.width(),
            size.height(),
        )

    def heightForWidth(self, width: int) -> int:
        if self._pixmap.isNull():
            return self.minimumHeight()
        natural = int(width * self._pixmap.height() / max(1, self._pixmap.width()))
        if self.max_height is not None:  # a portrait photo as tall as the pane is wide hid the text below
            natural = min(natural, max(self.minimumHeight(), self.max_height))
        return natural

    def hasHeightForWidth(self) -> bool:
        return True

    def face_rect(self, face: FaceRow) -> QRectF:
        return self.box_rect(face.box)

    def box_rect(self, box: Box) -> QRectF:
        """Where a box in relative 0..1 image coordinates lies on the widget."""
        area = self.image_rect()
        return QRectF(
            area.x() + box.left * area.width(),
            area.y() + box.top * area.height(),
            box.width * area.width(),
            box.height * area.height(),
        )

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        if self._pixmap.isNull():
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.placeholder)
            return
        painter.drawPixmap(self.image_rect().toRect(), self._pixmap)
        if not self.show_faces:
            return
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        for face in self._faces:
            rect = self.face_rect(face)
            named = bool(face.person)
            asked = face.asked is not None
            colour = QColor("#ffd166") if named else ASKED if asked else QColor(255, 255, 255, 200)
            painter.setPen(QPen(QColor(0, 0, 0, 110), 4))
            painter.drawRoundedRect(rect, 4, 4)
            pen = QPen(colour, 2)
            if asked:  # an open question, not an answer: dashed, and the name ends in "?"
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.drawRoundedRect(rect, 4, 4)
            if named or asked:
                text = face.who
                width = metrics.horizontalAdvance(text) + 10
                tag = QRectF(rect.center().x() - width / 2, rect.bottom() + 3, width, metrics.height() + 4)
                painter.fillRect(tag, QColor(0, 0, 0, 170))
                painter.setPen(colour)
                painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, text)

    def face_at(self, point) -> tuple[int, FaceRow] | None:
        for number, face in enumerate(self._faces, 1):
            if self.face_rect(face).contains(point):
                return number, face
        return None

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip and self.show_faces:
            found = self.face_at(QPointF(event.pos()))
            if found is not None:
                QToolTip.showText(event.globalPos(), face_tooltip(*found), self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def mousePressEvent(self, event) -> None:
        for face in self._faces:
            if self.face_rect(face).contains(event.position()):
                self.face_clicked.emit(face)
                return
        super().mousePressEvent(event)


ASKED = QColor("#8ecae6")  # faces the app asks about ("Alice?")


def _when(photo: Photo) -> str:
    if not photo.taken_at:
        return "—"
    try:
        text = datetime.fromisoformat(photo.taken_at).strftime("%A %d %B %Y, %H:%M")
    except ValueError:
        text = photo.taken_at
    return text + (" (file date)" if photo.taken_at_source == "mtime" else "")


def video_facts(photo: Photo) -> str:
    """ "0:42 · 29.97 fps · HEVC · turned 90°" for a video; "" for a photo."""
    if not photo.is_video:
        return ""
    parts = [clock(photo.duration_s) if photo.duration_s is not None else "length unknown"]
    if photo.fps:
        parts.append(f"{photo.fps:.3f}".rstrip("0").rstrip(".") + " fps")
    if photo.codec:
        parts.append(photo.codec)
    if photo.rotation:
        parts.append(f"turned {photo.rotation}°")
    return " · ".join(parts)


class DetailPane(QScrollArea):
    """Shows one photo, or plays one video; filled from a worker so selecting never waits on the disk."""

    face_clicked = Signal(object)  # FaceRow

    def __init__(self, facade: Facade, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.facade = facade
        self.tasks = tasks
        self.photo: Photo | None = None
        self.analysis = PhotoAnalysis()
        self._wanted: int | None = None
        self._start_s: float | None = None  # show_video's moment, for the video being loaded
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setMinimumWidth(300)
        page = QWidget()
        outer = QVBoxLayout(page)
        outer.setContentsMargins(12, 12, 12, 12)
        outer.setSpacing(10)
        self.canvas = PhotoCanvas(page)
        self.canvas.face_clicked.connect(self.face_clicked.emit)
        outer.addWidget(self.canvas)
        # in the canvas's place for a video; one decoder, for the item shown
        self.player = VideoPlayer(PhotoCanvas(), page)
        self.player.hide()
        outer.addWidget(self.player)
        # everything about the photo under it: hidden while no photo is picked, so an empty pane shows
        # its hint alone, not a form of dashes, idle stars and buttons that do nothing
        self.facts = body = QWidget(page)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        outer.addWidget(body)
        self.title = QLabel(body)
        self.title.setObjectName("detailTitle")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.title)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.fields: dict[str, QLabel] = {}
        for key in ("Date", "Video", "Camera", "Size", "Place", "People", "Path"):
            value = QLabel("—", body)
            value.setTextFormat(
                Qt.TextFormat.PlainText
            )  # names come from other tools' files too: never markup
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fields[key] = value
            form.addRow(f"{key}:", value)
        layout.addLayout(form)
        self._form = form
        form.setRowVisible(self.fields["Video"], False)  # shown for videos only
        self.faces_heading = self._heading("Faces", body)
        layout.addWidget(self.faces_heading)
        self.faces = QLabel(body)  # each face's age, gender, emotions... with the service's confidence
        self.faces.setAccessibleName("Face attributes")
        self.faces.setWordWrap(True)
        self.faces.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.faces)
        layout.addWidget(self._heading("Scenes & things", body))
        self.labels = QLabel("—", body)
        self.labels.setWordWrap(True)
        self.labels.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.labels)
        layout.addWidget(self._heading("Text in the photo", body))
        self.text = QPlainTextEdit(body)
        self.text.setReadOnly(True)
        self.text.setPlaceholderText("No text found")
        self.text.setMaximumHeight(110)
        self.text.setAccessibleName("Detected text")
        layout.addWidget(self.text)
        buttons = QHBoxLayout()
        self.open_button = QPushButton("Open", body)
        self.open_button.setToolTip("Open in the default image viewer")
        self.reveal_button = QPushButton("Show in folder", body)
        self.reveal_button.setToolTip("Open the folder that holds this photo")
        self.open_button.clicked.connect(self.open_external)
        self.reveal_button.clicked.connect(self.reveal)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.reveal_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        outer.addStretch(1)
        self.setWidget(page)
        self.clear()

    @staticmethod
    def _heading(text: str, parent: QWidget) -> QLabel:
        label = QLabel(text, parent)
        label.setObjectName("sectionHeading")
        font = QFont(label.font())
        font.setBold(True)
        label.setFont(font)
        return label

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # the photo takes at most this share of what is visible, so the facts and text stay in view
        cap = int(self.viewport().height() * PHOTO_SHARE)
        if cap != self.canvas.max_height:
            for canvas in (self.canvas, self.player.canvas):
                canvas.max_height = cap
                canvas.updateGeometry()

    def clear(self) -> None:
        self.photo = None
        self._wanted = None
        self._start_s = None
        self.player.clear()
        self.player.hide()
        self.canvas.show()
        self.canvas.placeholder = "Pick a photo to see it here"
        self.canvas.set_image(QImage())
        self.facts.hide()
        self.title.setText("")
        for value in self.fields.values():
            value.setText("—")
        self.labels.setText("—")
        self._show_faces(())
        self.text.setPlainText("")
        self.open_button.setEnabled(False)
        self.reveal_button.setEnabled(False)

    def show_photo(self, photo_id: int) -> None:
        if self.photo is not None and self.photo.id == photo_id:
            return
        if self._wanted != photo_id:
            self._start_s = None
            self.player.release()  # a video stops, and its decoder goes, as soon as another item is picked
        self._wanted = photo_id
        self.canvas.placeholder = "Loading…"
        # newest: a reload of the same photo begun before a naming must not land last and show it as it was
        self.tasks.run(lambda: load_detail(self.facade, photo_id), self._loaded, newest=self)

    def show_video(self, photo_id: int, start_s: float) -> None:
        """Shows a video and plays it from ``start_s`` seconds: a search hit's "Dog 0:12–0:31" opens here."""
        if self.photo is not None and self.photo.id == photo_id and self.photo.is_video:
            if self.player.player is None:  # released (the viewer had it): open it again, at that moment
                self.player.load(self.photo.path, self.player.poster, start_s, autoplay=True)
            else:
                self.player.seek_to_ms(round(start_s * 1000))
                self.player.play()
            return
        self.show_photo(photo_id)
        self._start_s = start_s

    def release_video(self) -> float | None:
        """Stops the video shown and frees its decoder (the viewer is taking over); where it was, or None."""
        if self.player.player is None:
            return None
        position = self.player.position_s()
        self.player.release()
        return position

    def restore_video(self, at_s: float | None = None) -> None:
        """Opens the shown video again, paused where it was after release_video, or at ``at_s``."""
        photo = self.photo
        video = photo is not None and photo.is_video
        if video and self.player.player is None and not self.player.problem and not self.isHidden():
            start = self.player.position_s() if at_s is None else at_s
            self.player.load(photo.path, self.player.poster, start)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.restore_video()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self.release_video()  # the viewer took over, or the pane was switched off (Ctrl+I)

    def reload(self) -> None:
        """New analysis results: loads the photo again, the one asked for last (a reload while another
        photo is loading must not bring the shown one back)."""
        photo_id = self._wanted
        if photo_id is not None:
            self.photo = None
            self.show_photo(photo_id)

    def _loaded(self, detail: PhotoDetail | None) -> None:
        if detail is None or detail.photo.id != self._wanted:
            return
        photo, analysis = detail.photo, detail.analysis
        self.photo, self.analysis = photo, analysis
        video = photo.is_video
        self.canvas.setVisible(not video)
        self.player.setVisible(video)
        if video:
            start, self._start_s = self._start_s, None
            self.canvas.set_image(QImage())
            if self.isVisible():
                self.player.load(photo.path, detail.image, start or 0.0, autoplay=start is not None)
            else:  # behind the viewer, or the pane is switched off: no decoder until it is seen
                self.player.prepare(photo.path, detail.image, start or 0.0)
        else:
            self.player.clear()
            self.canvas.set_image(detail.image, analysis.faces)
        self.title.setText(photo.name)
        self.facts.show()
        self.fields["Date"].setText(_when(photo))
        self.fields["Video"].setText(video_facts(photo))
        self._form.setRowVisible(self.fields["Video"], photo.is_video)
        self.fields["Camera"].setText(photo.camera or "—")
        size = f"{photo.width} × {photo.height}" if photo.width else "—"
        if photo.size:
            size += f" · {human_size(photo.size)}"
        self.fields["Size"].setText(size + (f" · {photo.format}" if photo.format else ""))
        gps = photo.gps
        position = f"{gps[0]:.5f}, {gps[1]:.5f}" if gps else "—"
        self.fields["Place"].setText(detail.place.label if detail.place else position)
        self.fields["Place"].setToolTip(position if detail.place else "")
        found = analysis.faces
        people = sorted({f.person for f in found if f.person})
        asked = sorted({f"{f.asked}?" for f in found if f.asked})
        unnamed = sum(1 for f in found if not f.person and not f.suggested)
        parts = [*people, *asked]
        if unnamed:
            parts.append(f"{unnamed} unnamed face{'s' if unnamed != 1 else ''}")
        self.fields["People"].setText(", ".join(parts) or "—")
        self._show_faces(found)
        self.fields["Path"].setText(photo.path)
        self.labels.setText(
            " · ".join(
                f"{html.escape(lab.name)} <span style='color:gray'>{_label_note(lab)}</span>"
                for lab in analysis.labels[:25]
            )
            or "—"
        )
        self.text.setPlainText("\n".join(line.text for line in analysis.text))
        exists = os.path.exists(photo.path)
        self.open_button.setToolTip(
            "Open with the system player" if video else "Open in the default image viewer"
        )
        self.open_button.setEnabled(exists)
        self.reveal_button.setEnabled(exists)

    def _show_faces(self, found: tuple[FaceRow, ...]) -> None:
        """Lists what the service saw in each face; hidden when no face has attributes (the local
        analyzer finds boxes only)."""
        lines = [face_summary(n, f) for n, f in enumerate(found, 1) if f.attributes]
        self.faces.setText("\n".join(lines))
        self.faces.setVisible(bool(lines))
        self.faces_heading.setVisible(bool(lines))

    def open_external(self) -> None:
        if self.photo is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.photo.path))

    def reveal(self) -> None:
        if self.photo is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(self.photo.path).parent)))


def _label_note(label: LabelRow) -> str:
    """A keyword the user gave in another tool says so; a label found says how sure the analyzer was."""
    return "yours" if label.backend == KEYWORD_BACKEND else f"{label.confidence:.0f}%"
