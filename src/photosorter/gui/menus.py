"""The menu bar and keyboard shortcuts, with the platform's standard keys where Qt knows them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox

from photosorter import __version__

if TYPE_CHECKING:
    from photosorter.gui.main_window import MainWindow


def build_menus(window: MainWindow) -> None:
    bar = window.menuBar()

    def action(menu, text, slot, shortcut=None, role=None) -> QAction:
        act = QAction(text, window)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        if role is not None:
            act.setMenuRole(role)
        act.triggered.connect(slot)
        menu.addAction(act)
        return act

    file = bar.addMenu("&File")
    action(file, "&Add Folder…", window.actions.choose_folder, QKeySequence.StandardKey.Open)
    action(file, "&Rescan Folders", window.actions.start_scan, "Ctrl+R")
    action(file, "A&nalyze New Photos", window.actions.start_analysis, "Ctrl+Shift+A")
    file.addSeparator()
    window.settings_action = action(
        file, "&Settings…", window.actions.open_settings, "Ctrl+,", QAction.MenuRole.PreferencesRole
    )
    file.addSeparator()
    action(file, "&Quit", window.close, QKeySequence.StandardKey.Quit, QAction.MenuRole.QuitRole)

    edit = bar.addMenu("&Edit")
    # Text fields keep their own Ctrl+Z (Qt gives a focused line edit the standard key first).
    window.organize.add_edit_actions(edit)  # Undo (people and organizing changes alike), Redo
    edit.addSeparator()
    window.find_action = action(edit, "&Find…", lambda: focus_search(window), QKeySequence.StandardKey.Find)
    action(edit, "&Select All", window.gallery.selectAll, QKeySequence.StandardKey.SelectAll)

    window.organize.add_menus(bar)  # Organize: favourites, ratings, albums, saved searches

    view = bar.addMenu("&View")
    action(
        view,
        "All &Photos",
        lambda: (window.sidebar.setCurrentItem(window.sidebar.all_item), window._show_gallery()),
        "Ctrl+1",
    )
    action(view, "P&eople", window.show_people, "Ctrl+2")
    action(view, "&Open Photo", lambda: window.open_viewer(), "Ctrl+Return")
    view.addSeparator()
    detail = QAction("Show &Details Pane", window, checkable=True, checked=True)
    detail.setShortcut(QKeySequence("Ctrl+I"))
    detail.toggled.connect(window.detail.setVisible)
    view.addAction(detail)
    window.queue_action = action(view, "Show &Queue", lambda: window.live_wiring.show_queue(True), "Ctrl+J")
    window.full_screen_action = action(view, "&Full Screen", lambda: toggle_full_screen(window), "F11")

    help_menu = bar.addMenu("&Help")
    action(
        help_menu,
        "&Keyboard Shortcuts",
        window.organize.show_shortcuts,
        QKeySequence.StandardKey.HelpContents,
    )
    action(
        help_menu,
        "&About Photosorter",
        lambda: QMessageBox.about(
            window,
            "About Photosorter",
            f"<b>Photosorter {__version__}</b><p>A fast, private desktop photo organizer: "
            "people, scenes and text, analyzed once.</p><p>Licensed under the Apache License 2.0.</p>",
        ),
        role=QAction.MenuRole.AboutRole,
    )


def focus_search(window: MainWindow) -> None:
    if window.central.currentWidget() is window.viewer:
        window.close_viewer()
    window.search.setFocus()
    window.search.selectAll()


def toggle_full_screen(window: MainWindow) -> None:
    window.showNormal() if window.isFullScreen() else window.showFullScreen()
