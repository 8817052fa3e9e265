"""The first-run page: an empty library invites the user to add a folder."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from photosorter.gui.resources import icon_path


def welcome_text(backend: str) -> str:
    """Says where the analysis happens: a user who chose Rekognition must not read "on this computer"."""
    where = {
        "rekognition": "with Amazon Rekognition (each photo is sent to AWS, billed per photo; the cost shows"
        " while it runs)",
        "cloud": "in your cloud library on AWS (a reduced copy of each photo is uploaded once, billed per"
        " photo, and shared by your devices)",
    }.get(backend, "on this computer")
    return (
        "Add a folder of photos to get started. Photosorter finds people, scenes and text in them,\n"
        f"{where}, so you can search everything. Your photos are never changed or moved."
    )


class WelcomePage(QWidget):
    add_folder = Signal()

    def __init__(self, parent: QWidget | None = None, backend: str = "local") -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        logo = QLabel(self)
        logo.setPixmap(QIcon(str(icon_path())).pixmap(96, 96))
        logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(logo)
        title = QLabel("Welcome to Photosorter", self)
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(title)
        self.text = QLabel(welcome_text(backend), self)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setWordWrap(True)
        layout.addWidget(self.text)
        self.button = QPushButton("Add a folder…", self)
        self.button.setObjectName("primaryButton")
        self.button.setMinimumHeight(40)
        self.button.setMinimumWidth(200)
        self.button.clicked.connect(self.add_folder.emit)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignCenter)
        hint = QLabel("You can also drag a folder onto this window.", self)
        hint.setObjectName("hint")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(hint)
        layout.addStretch(3)

    def set_backend(self, backend: str) -> None:
        self.text.setText(welcome_text(backend))
