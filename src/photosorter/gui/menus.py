"""The menu bar and keyboard shortcuts, with the platform's standard keys where Qt knows them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox

from photosorter import __version__
from photosorter.gui.video_player import VIDEO_KEYS

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
    window.undo_people_action = action(
        edit, "&Undo People Change", window.people.undo, QKeySequence.StandardKey.Undo
    )
    edit.addSeparator()
    window.find_action = action(edit, "&Find…", lambda: focus_search(window), QKeySequence.StandardKey.Find)
    action(edit, "&Select All", window.gallery.selectAll, QKeySequence.StandardKey.SelectAll)

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
        lambda: QMessageBox.information(window, "Keyboard Shortcuts", shortcuts_html()),
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


# The keys of the views themselves; the menus show their own shortcuts next to each command.
BROWSING_KEYS = (
    ("Arrows", "move through the photos"),
    ("Space / Return", "open the selected photo or video full-window"),
    ("Left / Right, Up / Down", "full-window: the previous or next photo"),
    ("Up / Down, Page Up / Page Down", "full-window video: the previous or next item"),
    ("F", "full-window: show or hide face boxes"),
    ("Escape", "full-window: back to the gallery"),
)


def shortcuts_html() -> str:
    """The Help menu's list of keys: browsing, then the video player's (click a video first in the pane)."""

    def table(rows) -> str:
        cells = "".join(f"<tr><td><b>{keys}</b>&nbsp;&nbsp;</td><td>{what}</td></tr>" for keys, what in rows)
        return f"<table>{cells}</table>"

    video = [(key.keys, key.what) for key in VIDEO_KEYS]
    return (
        "<h3>Browsing</h3>"
        + table(BROWSING_KEYS)
        + "<h3>Videos</h3><p>Full-window, or in the details pane after clicking the video:</p>"
        + table(video)
    )


def focus_search(window: MainWindow) -> None:
    if window.central.currentWidget() is window.viewer:
        window.close_viewer()
    window.search.setFocus()
    window.search.selectAll()


def toggle_full_screen(window: MainWindow) -> None:
    window.showNormal() if window.isFullScreen() else window.showFullScreen()
