"""What the user can do with the photos selected in the gallery: a slideshow, rotate for display, open
them in the default application, show them in their folder, copy or export them to a folder, and the
gallery's sort order. Their menu ("Photo"), the gallery's context menu and the Sort By menu."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Qt, QUrl
from PySide6.QtGui import QAction, QActionGroup, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox, QToolButton

from photosorter.core.catalog.rotation import rotate
from photosorter.core.export import ExportResult, export, items_for
from photosorter.core.timeline import SORT_TITLES, SortKey
from photosorter.gui.export_dialog import ExportDialog
from photosorter.gui.slideshow import Slideshow
from photosorter.gui.undo import Command

if TYPE_CHECKING:
    from photosorter.gui.main_window import MainWindow

OPEN_AT_ONCE = 10  # more photos than this opened in other apps: ask first


class SelectionActions(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.facade = window.facade
        self.slideshow_window: Slideshow | None = None

        def act(text: str, slot, shortcut: str | None = None, tip: str = "") -> QAction:
            action = QAction(text, window)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
            if tip:
                action.setToolTip(tip)
                action.setStatusTip(tip)
            action.triggered.connect(slot)
            window.addAction(action)  # its shortcut works in the viewer too
            return action

        self.slideshow_action = act("Start &Slideshow", self.slideshow, "F5")
        self.rotate_right_action = act(
            "Rotate &Right",
            lambda: self.rotate(1),
            "Ctrl+]",
            "Turn clockwise for display (the file is not changed)",
        )
        self.rotate_left_action = act(
            "Rotate &Left", lambda: self.rotate(-1), "Ctrl+[", "Turn anticlockwise for display"
        )
        self.open_action = act("&Open in Default App", self.open_external, "Ctrl+Shift+O")
        self.reveal_action = act("Show in &Folder", self.reveal, "Ctrl+Alt+O")
        self.copy_action = act("&Copy to Folder…", lambda: self.export(resized=False), "Ctrl+Shift+E")
        self.export_action = act("&Export…", lambda: self.export(resized=True), "Ctrl+E")
        self.photo_actions = [
            self.slideshow_action,
            None,
            self.rotate_right_action,
            self.rotate_left_action,
            None,
            self.open_action,
            self.reveal_action,
            None,
            self.copy_action,
            self.export_action,
        ]
        self.menu = QMenu("&Photo", window)
        self._fill(self.menu)
        self.sort_menu = self._sort_menu()
        self._install_menus()
        self.sort_button = QToolButton(window.gallery_page)
        self.sort_button.setObjectName("sortButton")
        self.sort_button.setMenu(self.sort_menu)
        self.sort_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.sort_button.setAutoRaise(True)
        self.sort_button.setAccessibleName("Sort photos by")
        window.gallery_page.add_header_widget(self.sort_button)
        self._show_sort()
        gallery = window.gallery
        gallery.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        gallery.customContextMenuRequested.connect(self._context_menu)
        window.jobs.finished.connect(self._job_finished)
        window.jobs.failed.connect(self._job_failed)

    # -- menus --------------------------------------------------------------------------------------------
    def _fill(self, menu: QMenu) -> None:
        for action in self.photo_actions:
            menu.addSeparator() if action is None else menu.addAction(action)

    def _install_menus(self) -> None:
        """The Photo menu before Help, Sort By at the end of View (menus.py builds the others)."""
        bar = self.window.menuBar()
        actions = bar.actions()
        help_action = next((a for a in actions if a.text().replace("&", "") == "Help"), None)
        if help_action is not None:
            bar.insertMenu(help_action, self.menu)
        else:
            bar.addMenu(self.menu)
        view = next((a.menu() for a in actions if a.text().replace("&", "") == "View" and a.menu()), None)
        if view is not None:
            view.addSeparator()
            view.addMenu(self.sort_menu)

    def _sort_menu(self) -> QMenu:
        menu = QMenu("&Sort By", self.window)
        keys = QActionGroup(menu)
        self.sort_actions: dict[SortKey, QAction] = {}
        for key in SortKey:
            action = QAction(SORT_TITLES[key], menu, checkable=True)
            action.triggered.connect(lambda _checked=False, k=key: self.set_sort(key=k))
            keys.addAction(action)
            menu.addAction(action)
            self.sort_actions[key] = action
        menu.addSeparator()
        order = QActionGroup(menu)
        self.descending_action = QAction("Descending (newest, largest, Z first)", menu, checkable=True)
        self.ascending_action = QAction("Ascending (oldest, smallest, A first)", menu, checkable=True)
        for action, descending in ((self.descending_action, True), (self.ascending_action, False)):
            action.triggered.connect(lambda _checked=False, d=descending: self.set_sort(descending=d))
            order.addAction(action)
            menu.addAction(action)
        return menu

    def _show_sort(self) -> None:
        sort = self.window.ids_query.sort()
        self.sort_actions[sort.key].setChecked(True)
        (self.descending_action if sort.descending else self.ascending_action).setChecked(True)
        arrow = "↓" if sort.descending else "↑"
        self.sort_button.setText(f"{SORT_TITLES[sort.key]} {arrow}")
        self.sort_button.setToolTip("Sort by date taken (grouped by day), date added, name or size")

    def set_sort(self, key: SortKey | None = None, descending: bool | None = None) -> None:
        """Saves the order in the settings and shows the gallery in it."""
        library = self.facade.library
        changes: dict[str, object] = {}
        if key is not None:
            changes["gallery_sort"] = key.value
        if descending is not None:
            changes["gallery_descending"] = descending
        library.save_settings(library.settings.with_changes(**changes))
        self._show_sort()
        self.window.refresh_gallery()

    def _context_menu(self, point: QPoint) -> None:
        gallery = self.window.gallery
        index = gallery.indexAt(point)
        if index.isValid() and not gallery.selectionModel().isSelected(index):
            gallery.setCurrentIndex(index)  # a right-click on another photo acts on that one
        if not self.selected_ids():
            return
        menu = QMenu(gallery)
        self._fill(menu)
        menu.exec(gallery.viewport().mapToGlobal(point))

    # -- the selection ------------------------------------------------------------------------------------
    def selected_rows(self) -> list[int]:
        gallery = self.window.gallery
        rows = sorted(index.row() for index in gallery.selectionModel().selectedRows())
        current = gallery.currentIndex()
        return rows or ([current.row()] if current.isValid() else [])

    def selected_ids(self) -> list[int]:
        ids = self.window.model.ids
        return [ids[row] for row in self.selected_rows() if row < len(ids)]

    def _message(self, text: str, ms: int = 6000) -> None:
        self.window.statusBar().showMessage(text, ms)

    # -- actions ------------------------------------------------------------------------------------------
    def slideshow(self) -> None:
        """The selection when several photos are selected, else everything shown from the current one."""
        rows = self.selected_rows()
        ids = self.window.model.ids
        if len(rows) > 1:
            photo_ids, start = [ids[row] for row in rows], 0
        else:
            photo_ids, start = list(ids), rows[0] if rows else 0
        if not photo_ids:
            self._message("No photos to show")
            return
        if self.slideshow_window is not None:
            self.slideshow_window.close()
        show = Slideshow(self.facade, self.window.tasks, photo_ids, start)
        show.ended.connect(self._slideshow_ended)
        show.destroyed.connect(lambda: setattr(self, "slideshow_window", None))
        self.slideshow_window = show
        show.start(self.window.screen())

    def _slideshow_ended(self, photo_id: int) -> None:
        row = self.window.model.row_of(photo_id)
        if row is not None and len(self.selected_rows()) <= 1:  # the gallery follows a single photo
            self.window.gallery.setCurrentIndex(self.window.model.index(row))
        self.window.activateWindow()

    def rotate(self, quarter_turns: int) -> None:
        """Turns the selection for display, undoably: the undo turns the photos the write turned back as
        far (an exact inverse, whatever else turned them since: turns add up modulo four)."""
        ids = self.selected_ids()
        if not ids:
            return
        catalog = self.facade.catalog
        count = len(ids)
        side = "Right" if quarter_turns > 0 else "Left"
        text = f"Rotate {count:,} Photo{'s' if count != 1 else ''} {side}"
        place = self.window.organize.place
        turned: dict[int, int] = {}  # what the last write turned: a write that failed turned nothing

        def do() -> dict[int, int]:
            turned.clear()
            turned.update(rotate(catalog, ids, quarter_turns))
            return turned.copy()

        def undo() -> dict[int, int] | None:
            return rotate(catalog, list(turned), -quarter_turns) if turned else None

        place.push(
            Command(
                place,
                text,
                do,
                undo,
                show=lambda turns: turns is not None and self._rotated(turns),
                unshown=lambda turns: self._rotated(turns, undone=True),
            )
        )

    def _rotated(self, turns: dict[int, int], undone: bool = False) -> None:
        window = self.window
        window.model.rotated(turns)
        if window.detail.photo is not None and window.detail.photo.id in turns:
            window.detail.reload()
        viewer = window.viewer
        if viewer.isVisible() and viewer.photo_id in turns:
            viewer.show_photo(viewer.photo_id, viewer.caption.text())
        if undone:
            return  # the undo says so itself
        count = len(turns)
        self._message(
            f"Rotated {count:,} photo{'s' if count != 1 else ''} for display; the files are unchanged"
            " (Ctrl+Z undoes)"
        )

    def _paths(self) -> list[str]:
        photos = self.window.model.photos_of(self.selected_rows())
        return [photo.path for photo in photos if Path(photo.path).exists()]

    def open_external(self) -> None:
        paths = self._paths()
        if not paths:
            self._message("The selected photos' files cannot be found")
            return
        if len(paths) > OPEN_AT_ONCE:
            answer = QMessageBox.question(
                self.window, "Open photos", f"Open {len(paths):,} photos in the default application?"
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        for path in paths:
            QDesktopServices.openUrl(QUrl.fromLocalFile(path))

    def reveal(self) -> None:
        """The folder of each selected photo, once per folder."""
        folders = list(dict.fromkeys(str(Path(path).parent) for path in self._paths()))
        if not folders:
            self._message("The selected photos' files cannot be found")
            return
        for folder in folders[:OPEN_AT_ONCE]:
            QDesktopServices.openUrl(QUrl.fromLocalFile(folder))

    def export(self, resized: bool = True) -> None:
        ids = self.selected_ids()
        if not ids:
            self._message("Select the photos to export first")
            return
        dialog = ExportDialog(len(ids), resized, self.window)
        try:
            if dialog.exec() != ExportDialog.DialogCode.Accepted:
                return
            options = dialog.options()
        finally:
            dialog.deleteLater()
        catalog = self.facade.catalog
        title = "Exporting" if options.long_side else "Copying"
        self.window.jobs.add(
            "export", title, lambda cancel: (export(items_for(catalog, ids), options, cancel), "")
        )

    def _job_finished(self, kind: str, result: object) -> None:
        if kind == "export" and isinstance(result, ExportResult):
            self._message(result.summary(), 15_000)

    def _job_failed(self, kind: str, message: str) -> None:
        if kind == "export":
            self._message(f"Export stopped: {message}", 15_000)
