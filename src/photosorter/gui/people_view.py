"""The people page: people and unnamed groups as face crops; name, rename, merge, split, move, hide, undo."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from photosorter.core import faces
from photosorter.core.catalog.people_views import FaceQuestion, FaceTile
from photosorter.gui.facade import Facade, PersonEntry
from photosorter.gui.people_tiles import TILE_MIME, FaceTileModel, PayloadRole, Tile, tile_view
from photosorter.gui.suggestions_panel import SuggestionsPanel
from photosorter.gui.workers import Tasks

# How a face came to its person, as the people page words it.
ASSIGNED_BY = {"manual": "named by you", "suggestion": "confirmed by you", "auto": "found automatically"}

EntryRole = PayloadRole


class NameDialog(QDialog):
    """Asks for a name with completion of the people already known."""

    def __init__(
        self, title: str, names: list[str], current: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Who is this?", self))
        self.edit = QLineEdit(current, self)
        self.edit.setPlaceholderText("Name")
        completer = QCompleter(names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.edit.setCompleter(completer)
        layout.addWidget(self.edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def name(self) -> str:
        return " ".join(self.edit.text().split())


class PeopleList(QListView):
    """Face tiles; dropping one person on another asks to merge them."""

    merge_requested = Signal(object, object)  # source PersonEntry, target PersonEntry

    def __init__(self, tiles: FaceTileModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        tile_view(self, "People")
        self.setModel(tiles)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)

    def count(self) -> int:
        return self.model().rowCount()

    def entry(self, row: int) -> PersonEntry:
        return self.model().tile(row).payload

    def text(self, row: int) -> str:
        return self.model().tile(row).text

    def dragMoveEvent(self, event) -> None:
        over = self.indexAt(event.position().toPoint())
        if event.source() is self and event.mimeData().hasFormat(TILE_MIME) and over.isValid():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        target = self.indexAt(event.position().toPoint())
        source = self.currentIndex()
        event.ignore()  # never let the view move or remove tiles itself
        if not target.isValid() or not source.isValid() or target.row() == source.row():
            return
        self.merge_requested.emit(source.data(EntryRole), target.data(EntryRole))


class PeopleView(QWidget):
    """Emits ``show_photos`` with a sidebar-style filter; every change goes through the facade."""

    show_person = Signal(str)
    changed = Signal()
    message = Signal(str)
    summary = Signal(str)  # "3 people · 12 unnamed groups", for the status bar

    def __init__(self, facade: Facade, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.facade = facade
        self.tasks = tasks
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        self.title = QLabel("People", self)
        self.title.setObjectName("pageTitle")
        layout.addWidget(self.title)
        self.hint = QLabel(
            "Click a face to name it · double-click a person to see their photos · "
            "drag one person onto another to merge · right-click to split, move or hide · "
            "Enter opens, F2 renames, Ctrl+Z undoes",
            self,
        )
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        self.suggestions = SuggestionsPanel(tasks, self)
        self.suggestions.answered.connect(self._answer)
        layout.addWidget(self.suggestions)
        self.tiles = FaceTileModel(tasks, self)
        self.list = PeopleList(self.tiles, self)
        self.list.clicked.connect(self._clicked)
        self.list.doubleClicked.connect(self._double_clicked)
        self.list.merge_requested.connect(self._merge)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        # Enter opens a person's photos or names a group; F2 renames or names.
        for key, act in (
            (Qt.Key.Key_Return, self._activate_current),
            (Qt.Key.Key_Enter, self._activate_current),
            (Qt.Key.Key_F2, self._rename_current),
        ):
            shortcut = QShortcut(QKeySequence(key), self.list)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(act)
        layout.addWidget(self.list, 1)
        self.empty = QLabel("", self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        layout.addWidget(self.empty)
        self.show_hidden = QCheckBox("Show hidden people", self)
        self.show_hidden.toggled.connect(lambda _on: self.refresh())
        self.regroup_button = QPushButton("Regroup All Faces…", self)
        self.regroup_button.setToolTip("Work out unnamed groups and automatic matches again from scratch")
        self.regroup_button.clicked.connect(self.regroup)
        footer = QHBoxLayout()
        footer.addWidget(self.show_hidden)
        footer.addStretch(1)
        footer.addWidget(self.regroup_button)
        layout.addLayout(footer)
        self._names: list[str] = []

    def refresh(self) -> None:
        include_hidden = self.show_hidden.isChecked()
        self.tasks.run(
            lambda: (self.facade.overview(include_hidden), faces.suggestions(self.facade.catalog)),
            self._filled,
            newest=self,  # a read begun before a rename must not bring the old name back
        )

    def _filled(self, result: tuple[list[PersonEntry], list[FaceQuestion]]) -> None:
        entries, suggestions = result
        self.set_names([e.name for e in entries if e.name])
        self.suggestions.show_suggestions(suggestions)
        current = self.list.currentIndex()
        kept = self.tiles.tile(current.row()).key if current.isValid() else None
        self.tiles.set_tiles([_tile(entry) for entry in entries])
        row = self.tiles.row_of(kept) if kept is not None else None
        if row is not None:  # keyboard work goes on where it was
            self.list.setCurrentIndex(self.tiles.index(row))
        self.empty.setText("" if entries else "No faces yet. Faces appear here once photos are analyzed.")
        self.empty.setVisible(not entries)
        self.summary.emit(_summary(entries))

    def set_names(self, names: list[str]) -> None:
        """The names the name dialogs complete."""
        self._names = sorted(set(names), key=str.lower)

    @property
    def known_names(self) -> list[str]:
        return list(self._names)

    # -- actions -----------------------------------------------------------------------------------------
    def ask_name(self, title: str, current: str = "") -> str | None:
        dialog = NameDialog(title, self._names, current, self)
        if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.name():
            return None
        return dialog.name()

    def _clicked(self, index: QModelIndex) -> None:
        entry: PersonEntry = index.data(EntryRole)
        if entry.cluster_id is not None:
            name = self.ask_name("Name this person")
            if name:
                self._run(lambda: self.facade.name_cluster(entry.cluster_id, name), f"Named {name}")

    def _activate_current(self) -> None:
        index = self.list.currentIndex()
        if index.isValid():
            entry: PersonEntry = index.data(EntryRole)
            (self._double_clicked if entry.person_id is not None else self._clicked)(index)

    def _rename_current(self) -> None:
        index = self.list.currentIndex()
        if index.isValid():
            entry: PersonEntry = index.data(EntryRole)
            if entry.person_id is not None:
                self._rename(entry)
            else:
                self._clicked(index)

    def _double_clicked(self, index: QModelIndex) -> None:
        entry: PersonEntry = index.data(EntryRole)
        if entry.name:
            self.show_person.emit(entry.name)

    def _merge(self, source: PersonEntry, target: PersonEntry) -> None:
        if target.person_id is None:
            self.message.emit("Drop onto a named person to merge")
            return
        if source.person_id is not None:
            self._run(
                lambda: self.facade.merge_people(source.person_id, target.person_id),
                f"Merged {source.name} into {target.name}",
            )
        elif source.cluster_id is not None:
            self._run(
                lambda: self.facade.name_cluster(source.cluster_id, target.name or ""),
                f"Added to {target.name}",
            )

    def _menu(self, point) -> None:
        index = self.list.indexAt(point)
        if index.isValid():
            self.context_menu(index).exec(self.list.viewport().mapToGlobal(point))

    def context_menu(self, index: QModelIndex) -> QMenu:
        """What a right-click on a tile offers: for a person, photos, rename, split, move and hide; for an
        unnamed group, name it, add it to a person, take a face out (split) or move one."""
        entry: PersonEntry = index.data(EntryRole)
        menu = QMenu(self)
        if entry.person_id is None:
            menu.addAction("Name…", lambda: self._clicked(index))
            add_to = menu.addMenu("Add to a person")
            for name in self._names:
                add_to.addAction(name, lambda n=name: self._add_group_to(entry, n))
            add_to.setEnabled(bool(self._names))
            shown = self.facade.faces_of(entry.key, limit=20)
            self._fill_faces_menu(menu.addMenu("Take a face out (split)"), shown, self._remove_face)
            self._fill_faces_menu(menu.addMenu("Move a face to…"), shown, self._move_face)
            hide = menu.addAction("Hide (name the group first: only people can be hidden)")
            hide.setEnabled(False)
        else:
            menu.addAction("Show photos", lambda: self.show_person.emit(entry.name or ""))
            menu.addAction("Rename…", lambda: self._rename(entry))
            shown = self.facade.faces_of(entry.key, limit=20)  # one query serves both submenus
            self._fill_faces_menu(menu.addMenu("Remove a face"), shown, self._remove_face)
            self._fill_faces_menu(menu.addMenu("Move a face to…"), shown, self._move_face)
            if entry.hidden:
                menu.addAction("Show again", lambda: self._set_hidden(entry, False))
            else:
                menu.addAction("Hide", lambda: self._set_hidden(entry, True))
        return menu

    def _add_group_to(self, entry: PersonEntry, name: str) -> None:
        self._run(lambda: self.facade.name_cluster(entry.cluster_id, name), f"Added to {name}")

    def _fill_faces_menu(self, menu: QMenu, shown: list[FaceTile], act) -> None:
        for face in shown:
            how = ASSIGNED_BY.get(face.assigned_by or "", "")
            label = f"Face {face.id} in {os.path.basename(face.path or '?')}"
            menu.addAction(f"{label} · {how}" if how else label, lambda f=face.id: act(f))

    def _remove_face(self, face_id: int) -> None:
        self._run(lambda: self.facade.remove_face(face_id), "Face taken out (Ctrl+Z undoes)")

    def _move_face(self, face_id: int) -> None:
        name = self.ask_name("Move this face to")
        if name:
            self._run(lambda: self.facade.move_face(face_id, name), f"Face moved to {name}")

    def _set_hidden(self, entry: PersonEntry, hidden: bool) -> None:
        done = f"{entry.name} hidden (Ctrl+Z undoes)" if hidden else f"{entry.name} shown again"
        self._run(lambda: faces.set_hidden(self.facade.catalog, entry.person_id, hidden), done)

    def _answer(self, face_id: int, yes: bool) -> None:
        if yes:
            self._run(lambda: self.facade.accept_suggestion(face_id), "Confirmed")
        else:
            self._run(lambda: faces.reject(self.facade.catalog, face_id), "Got it: not asked again")

    def regroup(self) -> None:
        """A full re-cluster, after asking: it cannot be undone, though nothing the user decided is lost."""
        answer = QMessageBox.question(
            self,
            "Regroup all faces?",
            "Unnamed groups, open questions and faces matched automatically are worked out again "
            "from scratch. Faces you named or confirmed, and the answers you gave, stay as they are.\n\n"
            "This cannot be undone.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.regroup_button.setEnabled(False)
        self.message.emit("Regrouping faces…")

        def done(report: Any) -> None:
            self.regroup_button.setEnabled(True)
            self.message.emit(
                f"Faces regrouped: {report.faces} looked at, {report.auto_assigned} matched to people, "
                f"{report.suggested} to confirm"
            )
            self.changed.emit()
            self.refresh()

        def failed(message: str) -> None:
            self.regroup_button.setEnabled(True)
            self.message.emit(message)

        self.tasks.run(self.facade.regroup_faces, done, failed)

    def undo(self) -> None:
        """Undoes the last people change (naming, merge, split, move, hide, confirmation)."""
        self.tasks.run(self.facade.undo_people_change, self._undone, self.message.emit)

    def _undone(self, what: str) -> None:
        self.message.emit(f"Undone: {what}")
        self.changed.emit()
        self.refresh()

    def _rename(self, entry: PersonEntry) -> None:
        name = self.ask_name("Rename", entry.name or "")
        if name and name != entry.name:
            self._run(lambda: self.facade.rename_person(entry.person_id, name), f"Renamed to {name}")

    def _run(self, action, done_message: str) -> None:
        def done(_result: Any) -> None:
            self.message.emit(done_message)
            self.changed.emit()
            self.refresh()

        def act() -> Any:
            result = action()
            self.facade.library.keep_sidecars_current()  # a no-op unless the setting is on
            return result

        self.tasks.run(act, done, self.message.emit)


def _summary(entries: list[PersonEntry]) -> str:
    people = sum(1 for e in entries if e.person_id is not None)
    groups = sum(1 for e in entries if e.cluster_id is not None)
    parts = [f"{people:,} {'person' if people == 1 else 'people'}"]
    if groups:
        parts.append(f"{groups:,} unnamed group{'s' if groups != 1 else ''}")
    return " · ".join(parts)


def _tile(entry: PersonEntry) -> Tile:
    if entry.name:
        hidden = " (hidden)" if entry.hidden else ""
        text = f"{entry.name}{hidden}\n{entry.count} photo{'s' if entry.count != 1 else ''}"
    else:
        text = f"Unnamed\n{entry.face_count} face{'s' if entry.face_count != 1 else ''}"
    tooltip = entry.name or "Click to name this person"
    return Tile(str(entry.key), text, tooltip, entry.face, entry)
