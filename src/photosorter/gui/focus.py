"""Keyboard focus back to the main window when one of its dialogs closes, however it closes.

Without a window manager (bare X, some kiosk and remote sessions) and on the offscreen platform,
nothing activates the main window again when a modal dialog goes away: no window has the keyboard,
so Ctrl+F, Ctrl+Z and Ctrl+, do nothing until the user clicks. A window manager normally does this;
where one does, the main window is already active when we look and nothing is done twice.
"""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget


class FocusKeeper(QObject):
    """Follows the focus widget; when it leaves one of ``window``'s dialogs for no widget at all (the
    dialog closed and nothing took the keyboard), activates ``window`` and gives the keyboard to its
    last focused widget (or to ``fallback()``)."""

    def __init__(self, window: QMainWindow, fallback: Callable[[], QWidget | None]) -> None:
        super().__init__(window)
        self._window = window
        self._fallback = fallback
        self._dialog: QWidget | None = None  # the dialog of ours that has the keyboard
        QApplication.instance().focusChanged.connect(self._focus_changed)

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        # ``_old`` may be a dialog's widget half-way through deletion: it is never looked at
        if new is None:
            if self._dialog is not None:
                QTimer.singleShot(0, self._dialog_left)  # once the dialog's hide has finished
            return
        top = new.window()
        self._dialog = top if top is not self._window and _belongs_to(top, self._window) else None

    def _dialog_left(self) -> None:
        dialog, self._dialog = self._dialog, None
        if dialog is not None and shiboken6.isValid(dialog) and dialog.isVisible():
            self._dialog = dialog  # still open: the user switched to another application
            return
        self.take_focus_back()

    def take_focus_back(self) -> None:
        window = self._window
        if QApplication.focusWidget() is not None or not window.isVisible() or window.isMinimized():
            return  # a widget has the keyboard again (another dialog, or the window manager did it)
        window.activateWindow()
        target: QWidget | None = window.focusWidget()
        if target is None or not target.isVisible():
            target = self._fallback()
        if target is not None:
            target.setFocus(Qt.FocusReason.ActiveWindowFocusReason)


def _belongs_to(top: QWidget, window: QWidget) -> bool:
    parent = top.parentWidget()
    while parent is not None:
        if parent is window:
            return True
        parent = parent.parentWidget()
    return False
