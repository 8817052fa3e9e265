"""Organizing in the window: favourites and ratings, albums and saved searches, and the Undo/Redo
they share with people changes. The main window makes one ``Organize``; the pieces live in
marks_actions, albums and undo."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar

from photosorter.gui.albums import AlbumsController
from photosorter.gui.facade import SidebarData
from photosorter.gui.marks_actions import MarksController
from photosorter.gui.shortcuts import ShortcutsDialog
from photosorter.gui.undo import UndoPlace

if TYPE_CHECKING:
    from photosorter.gui.main_window import MainWindow


class Organize:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.place = UndoPlace(
            window.facade.catalog,
            window.tasks,
            window.people.undo,
            lambda: window.pages.currentWidget() is window.people,
            window,
        )
        self.place.message.connect(lambda text: window.statusBar().showMessage(text, 6000))
        self.marks = MarksController(window, self.place)
        self.albums = AlbumsController(window, self.place, self.marks.targets)
        # the heart and stars under the photo's name in the detail pane
        layout = window.detail.facts.layout()
        layout.insertWidget(layout.indexOf(window.detail.title) + 1, self.marks.bar)
        window.why_matched.connect(lambda photo_id, _why: self.marks.show_photo(photo_id))
        window.pages.currentChanged.connect(lambda _i: self._page_changed())
        window.ids_query.ready.connect(lambda *_: self._ids_loaded())
        self.marks.reload()

    def sidebar_loaded(self, data: SidebarData) -> None:
        self.albums.set_albums(data.albums)

    def _page_changed(self) -> None:
        if self.window.pages.currentWidget() is not self.window.gallery_page:
            self.marks.show_photo(None)

    def _ids_loaded(self) -> None:
        self.marks.reload()  # another process (the CLI, a scan reading XMP ratings) may have marked photos
        if not self.window.model.ids:
            self.marks.show_photo(None)

    # -- menus -----------------------------------------------------------------------------------------------
    def add_menus(self, bar: QMenuBar) -> None:
        menu = bar.addMenu("&Organize")
        self.marks.add_to_menu(menu)
        menu.addSeparator()
        self.albums.add_to_menu(menu)

    def add_edit_actions(self, edit: QMenu) -> None:
        """Undo and Redo at the top of the Edit menu."""
        window = self.window
        window.undo_action = edit.addAction("&Undo", self.place.undo)
        window.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        window.redo_action = edit.addAction("&Redo", self.place.redo)
        window.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        window.redo_action.setEnabled(False)
        self.place.stack.canRedoChanged.connect(window.redo_action.setEnabled)

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self.window.menuBar(), self.window).exec()
