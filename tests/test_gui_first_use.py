"""What a new user meets in the first minutes: settings that round-trip, search that explains itself,
People without stale state, a readable viewer, a grid that fills its width, focus back after dialogs."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog

from photosorter.core.library import Library
from photosorter.core.settings import Settings
from photosorter.gui.facade import Facade
from photosorter.gui.main_window import MainWindow
from photosorter.gui.workers import WorkerPool

WAIT = 30_000

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

# Every field differs from its default, so a field the dialog drops or resets shows up.
UNUSUAL = Settings(
    backend="rekognition",
    aws_profile="work",  # not in this machine's AWS config
    aws_region="eu-north-1",  # not in the dialog's list
    local_features=("labels", "text"),
    rekognition_features=("faces", "celebrities"),
    rate_limit=2.125,  # more decimals than the box shows
    budget_usd=12.5,
    collection_id="my-collection",
    thumbnail_size=220,
    analyze_after_scan=False,
    extra={"kept": True},
)


@pytest.fixture
def library(home: Path):
    lib = Library.open(home)
    lib.save_settings(lib.settings.with_changes(analyze_after_scan=False))
    yield lib
    lib.close()


def make_window(qtbot, library: Library) -> MainWindow:
    window = MainWindow(Facade(library), WorkerPool())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def window(qtbot, library: Library):
    win = make_window(qtbot, library)
    yield win
    win.shutdown()


def close_next_dialog(qtbot, accept: bool) -> list[QDialog]:
    """Accepts or rejects the next modal dialog once it is shown (exec() blocks the test)."""
    seen: list[QDialog] = []

    def look() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QDialog) and dialog.isVisible():
            seen.append(dialog)
            dialog.accept() if accept else dialog.reject()
        else:
            QTimer.singleShot(10, look)

    QTimer.singleShot(0, look)
    return seen


# -- 1. settings round-trip ----------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["rekognition", "local"])
def test_settings_ok_without_changes_saves_every_field_unchanged(qtbot, home: Path, backend: str) -> None:
    with Library.open(home) as library:
        library.save_settings(UNUSUAL.with_changes(backend=backend))
        before = library.paths.settings.read_bytes()
    library = Library.open(home)
    window = make_window(qtbot, library)
    try:
        seen = close_next_dialog(qtbot, accept=True)
        window.open_settings()
        assert seen, "the settings dialog was not shown"
        after = library.paths.settings.read_bytes()
        assert json.loads(after) == json.loads(before)
        assert window.facade.settings == UNUSUAL.with_changes(backend=backend)
    finally:
        window.shutdown()
        library.close()


def test_settings_dialog_opens_with_the_saved_features_ticked(qtbot, window: MainWindow) -> None:
    from photosorter.gui.settings_dialog import SettingsDialog

    window.facade.save_settings(UNUSUAL.with_changes(backend="local"))
    dialog = SettingsDialog(window.facade, window.tasks, window)
    qtbot.addWidget(dialog)
    ticked = {name for name, box in dialog.feature_boxes.items() if box.isChecked()}
    assert ticked == {"labels", "text"}
    dialog.backend.setCurrentIndex(dialog.backend.findData("rekognition"))
    ticked = {name for name, box in dialog.feature_boxes.items() if box.isChecked()}
    assert ticked == {"faces", "celebrities"}
