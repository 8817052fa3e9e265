"""The "Is this Alice?" strip above the people page: faces the app is unsure about, one answer each.

A match in the middle band is never assigned silently; it waits here until the
user says yes (the face joins the person) or no (that pair is never asked again).
Y and N answer the selected face, so a run of questions takes a keystroke each.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListView, QPushButton, QVBoxLayout, QWidget

from photosorter.core.catalog.people_views import FaceQuestion
from photosorter.gui.people_tiles import FACE, FaceTileModel, Tile, tile_view
from photosorter.gui.workers import Tasks


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
        self.tiles = FaceTileModel(tasks, self)
        self.list = QListView(self)
        tile_view(self.list, "Suggestions")
        self.list.setModel(self.tiles)
        self.list.setFlow(QListView.Flow.LeftToRight)
        self.list.setWrapping(False)
        self.list.setFixedHeight(FACE + 64)
        self.list.selectionModel().currentChanged.connect(lambda *_: self._update_buttons())
        self.list.doubleClicked.connect(lambda _index: self.answer(True))
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

    def show_suggestions(self, suggestions: list[FaceQuestion]) -> None:
        keep = self.list.currentIndex().row()
        self.tiles.set_tiles(
            [
                Tile(str(s.face.id), f"{s.name}?", f"Is this {s.name}? (similarity {s.score:.2f})", s.face, s)
                for s in suggestions
            ]
        )
        count = len(suggestions)
        self.title.setText(f"Is this the same person? {count} face{'s' if count != 1 else ''} to check")
        self.setVisible(bool(suggestions))
        if suggestions:
            self.list.setCurrentIndex(self.tiles.index(min(max(keep, 0), count - 1)))
        self._update_buttons()

    def count(self) -> int:
        return self.tiles.rowCount()

    def current(self) -> FaceQuestion | None:
        index = self.list.currentIndex()
        return self.tiles.tile(index.row()).payload if index.isValid() else None

    def answer(self, yes: bool) -> None:
        current = self.current()
        if current is not None:
            self.answered.emit(current.face.id, yes)

    def _update_buttons(self) -> None:
        current = self.current()
        name = current.name if current is not None else ""
        self.yes.setEnabled(current is not None)
        self.no.setEnabled(current is not None)
        self.yes.setText(f"Yes, it is {name} (Y)" if name else "Yes (Y)")
        self.no.setText(f"No, not {name} (N)" if name else "No (N)")
