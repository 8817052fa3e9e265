"""Look and feel: the Fusion style with a palette that follows the system's light or dark scheme."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from photosorter.gui.resources import icon_path

STYLE = """
QLabel#pageTitle { font-size: 17px; font-weight: 600; padding: 2px 2px 4px 2px; }
QLabel#detailTitle { font-size: 15px; font-weight: 600; }
QLabel#hint { color: palette(placeholder-text); }
QLabel[warning="true"] { color: #d9822b; }
QLabel#searchError { color: #e5484d; padding: 2px 4px; }
QLabel#dateBadge { background: rgba(0, 0, 0, 150); color: white; border-radius: 10px; padding: 4px 10px;
                   font-weight: 600; }
QTreeWidget#sidebar { border: none; padding-top: 4px; }
QTreeWidget#sidebar::item { padding: 3px 2px; }
QToolBar#searchBar { padding: 4px 8px; spacing: 8px; border: none; }
QToolBar#searchBar QLineEdit { padding: 5px 8px; border-radius: 6px; }
QPushButton#primaryButton { font-size: 14px; padding: 6px 18px; }
QSplitter::handle { background: palette(mid); }
QSplitter::handle:horizontal { width: 1px; }
"""


def is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    if scheme is not None:
        return scheme() == Qt.ColorScheme.Dark
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def dark_palette() -> QPalette:
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#1f2023",
        QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#18191b",
        QPalette.ColorRole.AlternateBase: "#232427",
        QPalette.ColorRole.Text: "#e6e6e6",
        QPalette.ColorRole.Button: "#2a2b2f",
        QPalette.ColorRole.ButtonText: "#e6e6e6",
        QPalette.ColorRole.Highlight: "#3d7bfd",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#2a2b2f",
        QPalette.ColorRole.ToolTipText: "#e6e6e6",
        QPalette.ColorRole.PlaceholderText: "#8b8d93",
        QPalette.ColorRole.Mid: "#3a3b40",
        QPalette.ColorRole.Link: "#6ea0ff",
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6b6d72"))
    return palette


def apply_theme(app: QApplication) -> None:
    app.setApplicationName("photosorter")
    app.setApplicationDisplayName("Photosorter")
    app.setDesktopFileName("photosorter")
    app.setWindowIcon(QIcon(str(icon_path())))
    app.setStyle("Fusion")
    _apply_scheme(app)
    hints = QGuiApplication.styleHints()
    if hasattr(hints, "colorSchemeChanged"):
        hints.colorSchemeChanged.connect(lambda _scheme: _apply_scheme(app))
    app.setStyleSheet(STYLE)


def _apply_scheme(app: QApplication) -> None:
    app.setPalette(dark_palette() if is_dark() else app.style().standardPalette())
