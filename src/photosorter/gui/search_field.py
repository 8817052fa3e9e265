"""The search field: completes the word being typed from the library's labels, people and keys, and asks
for a search a moment after typing stops or at once on Return."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QStringListModel, Qt, QTimer, Signal
from PySide6.QtWidgets import QCompleter, QLineEdit, QWidget

from photosorter.gui.workers import Tasks

SEARCH_HINT = 'Search: dog beach person:"Alice" text:stop after:2020-01 -cat   (Ctrl+F)'
TYPING_PAUSE_MS = 250  # a search runs this long after the last key


class SearchField(QLineEdit):
    requested = Signal()  # search for the text now

    def __init__(
        self, complete: Callable[[str], list[str]], tasks: Tasks, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._complete = complete  # runs on a worker: it reads the catalog
        self.tasks = tasks
        self.setPlaceholderText(SEARCH_HINT)
        self.setClearButtonEnabled(True)
        self.setAccessibleName("Search")
        self.setMinimumWidth(420)
        self._completions = QStringListModel(self)
        completer = QCompleter(self._completions, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)
        self._pause = QTimer(self, singleShot=True, interval=TYPING_PAUSE_MS, timeout=self.request)
        self.textEdited.connect(self._edited)
        self.returnPressed.connect(self.request)

    def request(self) -> None:
        self._pause.stop()
        self.requested.emit()

    def _edited(self, text: str) -> None:
        self._pause.start()
        if text and not text.endswith(" "):
            self.tasks.run(lambda: self._complete(text), self._completions.setStringList)
