"""The "Is this Alice?" strip above the people page: faces the app is unsure about, one answer each.

A match in the middle band is never assigned silently; it waits here until the
user says yes (the face joins the person) or no (that pair is never asked again).
Y and N answer the selected face, so a run of questions takes a keystroke each.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImage, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from photosorter.gui.people_tiles import FACE, face_crop, round_icon
from photosorter.gui.workers import Tasks

SuggestionRole = Qt.ItemDataRole.UserRole + 2


class SuggestionsPanel(QWidget):
    """Emits ``answered(face_id, yes)``; the page runs it through the facade and refreshes."""

    answered = Signal(int, bool)

    def __init__(self, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 8)
        self.title = QLabel("", self)
        self.title.setObjectName("sectionTitle")
        layout.addWidget(self.title)
        self.list = QListWidget(self)
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setFlow(QListWidget.Flow.LeftToRight)
        self.list.setWrapping(False)
        self.list.setIconSize(QSize(FACE, FACE))
        self.list.setGridSize(QSize(FACE + 40, FACE + 48))
        self.list.setFixedHeight(FACE + 64)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setUniformItemSizes(True)
        self.list.setAccessibleName("Suggestions")
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.list.itemDoubleClicked.connect(lambda _item: self.answer(True))
        layout.addWidget(self.list)
        buttons = QHBoxLayout()
        self.yes = QPushButton("Yes (Y)", self)
        self.no = QPushButton("No (N)", self)
        self.yes.clicked.connect(lambda: self.answer(True))
        self.no.clicked.connect(lambda: self.answer(False))
        buttons.addWidget(self.yes)
        buttons.addWidget(self.no)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        for key, yes in (("Y", True), ("N", False)):
            shortcut = QShortcut(QKeySequence(key), self.list)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(lambda yes=yes: self.answer(yes))
        self.setVisible(False)

    def show_suggestions(self, suggestions: list[dict[str, Any]]) -> None:
        keep = self.list.currentRow()
        self.list.clear()
        for suggestion in suggestions:
            item = QListWidgetItem(round_icon(QImage()), f"{suggestion['name']}?")
            item.setData(SuggestionRole, suggestion)
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            item.setToolTip(f"Is this {suggestion['name']}? (similarity {suggestion['score']:.2f})")
            self.list.addItem(item)
            self.tasks.run(
                lambda s=suggestion: face_crop(s.get("path"), s.get("box")),
                lambda image, face=suggestion["face"]: self._crop_loaded(face, image),
            )
        count = len(suggestions)
        self.title.setText(f"Is this the same person? {count} face{'s' if count != 1 else ''} to check")
        self.setVisible(bool(suggestions))
        if suggestions:
            self.list.setCurrentRow(min(max(keep, 0), count - 1))
        self._update_buttons()

    def current_face(self) -> int | None:
        item = self.list.currentItem()
        return None if item is None else int(item.data(SuggestionRole)["face"])

    def answer(self, yes: bool) -> None:
        face = self.current_face()
        if face is not None:
            self.answered.emit(face, yes)

    def _update_buttons(self) -> None:
        item = self.list.currentItem()
        name = item.data(SuggestionRole)["name"] if item is not None else ""
        self.yes.setEnabled(item is not None)
        self.no.setEnabled(item is not None)
        self.yes.setText(f"Yes, it is {name} (Y)" if name else "Yes (Y)")
        self.no.setText(f"No, not {name} (N)" if name else "No (N)")

    def _crop_loaded(self, face_id: int, image: QImage) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(SuggestionRole)["face"] == face_id:
                item.setIcon(round_icon(image))
                return
