"""Help > Keyboard Shortcuts: every menu entry that has a key, read from the menus themselves (so the
list is always true), and the keys the gallery and viewer handle on their own."""

from __future__ import annotations

from html import escape

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMenu, QMenuBar, QTextBrowser, QVBoxLayout, QWidget

from photosorter.gui.video_player import VIDEO_KEYS

# keys widgets handle themselves (not menu entries)
WIDGET_KEYS = (
    ("Gallery", "Space or Enter", "Open the photo"),
    ("Gallery", "Arrow keys, Shift+arrows", "Move, extend the selection"),
    ("Gallery", "Drag onto an album", "Add the selected photos to it"),
    ("Viewer", "← → (Page Up/Down)", "Previous and next photo"),
    ("Viewer", "Esc, Space or Enter", "Back to the gallery"),
    ("Viewer", "F", "Show or hide face boxes"),
    ("Viewer", "Up / Down, Page Up / Page Down", "On a video: the previous or next item"),
    ("People", "Enter, F2", "Open, rename"),
    ("Suggestions", "Y, N", "Yes, no"),
)


def menu_shortcuts(bar: QMenuBar) -> list[tuple[str, str, str]]:
    """(menu, key, entry) for every menu entry with a key, in menu order."""
    found: list[tuple[str, str, str]] = []
    seen: set[int] = set()  # an entry in two menus (New Album is in Add to Album too) is listed once

    def walk(menu: QMenu, title: str) -> None:
        for action in menu.actions():
            sub = action.menu()
            if isinstance(sub, QMenu):
                walk(sub, f"{title} › {_plain(action.text())}")
            elif isinstance(action, QAction) and not action.shortcut().isEmpty() and id(action) not in seen:
                seen.add(id(action))
                key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
                found.append((title, key, _plain(action.text())))

    for action in bar.actions():
        if isinstance(action.menu(), QMenu):
            walk(action.menu(), _plain(action.text()))
    return found


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def shortcuts_html(bar: QMenuBar) -> str:
    # the player's keys: full-window, or in the details pane after clicking the video
    video = [("Video", key.keys, key.what) for key in VIDEO_KEYS]
    rows = [*menu_shortcuts(bar), *WIDGET_KEYS, *video]
    cells = "".join(
        f"<tr><td style='color:gray;padding-right:12px'>{escape(where)}</td>"
        f"<td style='padding-right:12px'><b>{escape(key)}</b></td><td>{escape(what)}</td></tr>"
        for where, key, what in rows
    )
    return f"<table cellspacing='3'>{cells}</table>"


class ShortcutsDialog(QDialog):
    def __init__(self, bar: QMenuBar, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        self.resize(560, 620)
        layout = QVBoxLayout(self)
        self.text = QTextBrowser(self)
        self.text.setHtml(shortcuts_html(bar))
        layout.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
