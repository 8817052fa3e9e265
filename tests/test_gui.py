"""The desktop app with real widgets, offscreen: first run, scan, search, detail, keyboard, settings."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer

from photosorter.core.browse import ViewFilter
from photosorter.core.catalog.photos import photo_by_id
from photosorter.core.library import Library
from photosorter.gui.facade import Facade
from photosorter.gui.main_window import MainWindow
from photosorter.gui.settings_dialog import SettingsDialog
from photosorter.gui.workers import WorkerPool

WAIT = 30_000

# the offscreen platform plugin cannot pass size hints to a window manager (there is none); harmless
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def window(qtbot, library: Library):
    pool = WorkerPool()
    win = MainWindow(Facade(library), pool)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.shutdown()  # joins the job thread and the workers: nothing may outlive the window
    assert pool.active() == 0
    assert not win.jobs.busy


def scanned(qtbot, window: MainWindow, folder: Path, count: int) -> None:
    window.actions.add_folder(str(folder))
    qtbot.waitUntil(lambda: window.model.rowCount() == count and not window.jobs.busy, timeout=WAIT)


def test_first_run_shows_a_friendly_page(qtbot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.welcome)
    assert window.welcome.button.text() == "Add a folder…"
    assert window.welcome.isVisible()


def test_adding_a_folder_scans_and_fills_the_grid(qtbot, window: MainWindow, photo_folder: Path) -> None:
    scanned(qtbot, window, photo_folder, 5)
    assert window.pages.currentWidget() is window.gallery_page
    # thumbnails arrive from the loader, the visible ones end up as pixmaps
    qtbot.waitUntil(lambda: all(window.model.pixmap_at(row) is not None for row in range(5)), timeout=WAIT)
    assert window.count_label.text() == "5 photos"
    folders = window.sidebar.folders_item
    assert folders.child(0).text() == photo_folder.name


def test_the_grid_paints_each_cell_where_the_view_lays_it_out(qtbot, window, photo_folder) -> None:
    """The gallery paints all visible cells in one call from its layout; it must agree with the rects
    clicks, keyboard and selection use, and the pixels must show tiles below their day's header."""
    scanned(qtbot, window, photo_folder, 5)
    window.gallery.setCurrentIndex(window.model.index(1))
    view, model = window.gallery, window.model
    qtbot.waitUntil(lambda: view.visualRect(model.index(0)).isValid(), timeout=WAIT)
    tiles = view.tiles_in(view.viewport().rect())
    assert [row for row, _rect in tiles] == [0, 1, 2, 3, 4]
    for row, rect in tiles:
        assert view.visualRect(model.index(row)) == rect
        assert view.indexAt(rect.center()).row() == row
    assert view.visualRect(model.index(0)).top() > 0  # a header above the first day
    assert not view.indexAt(QPoint(10, 5)).isValid()  # the header is not a cell
    qtbot.waitUntil(lambda: all(model.pixmap_at(row) is not None for row in range(5)), timeout=WAIT)
    image = view.viewport().grab().toImage()
    centre = view.visualRect(model.index(0)).center()
    assert image.pixelColor(centre) != image.pixelColor(view.viewport().rect().bottomRight())


def test_the_gallery_model_passes_the_model_tester(qtbot, qtmodeltester, window, photo_folder) -> None:
    scanned(qtbot, window, photo_folder, 5)
    qtmodeltester.check(window.model)


def test_search_filters_the_grid_and_shows_errors_inline(qtbot, window: MainWindow, photo_folder) -> None:
    scanned(qtbot, window, photo_folder, 5)
    qtbot.keyClicks(window.search, "golden")
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=WAIT)
    name = photo_by_id(window.facade.catalog, window.model.ids[0]).name
    assert name == "golden_gate_bridge.webp"
    window.search.setText("nosuchkey:value")
    window.refresh_gallery()
    qtbot.waitUntil(lambda: window.search_error.isVisible(), timeout=WAIT)
    assert "nosuchkey" in window.search_error.text()
    window.search.clear()
    window.refresh_gallery()
    qtbot.waitUntil(
        lambda: window.model.rowCount() == 5 and not window.search_error.isVisible(), timeout=WAIT
    )


def test_sidebar_folder_and_search_combine(qtbot, window: MainWindow, photo_folder: Path) -> None:
    scanned(qtbot, window, photo_folder, 5)
    window.sidebar.select(ViewFilter("folder", str(photo_folder.resolve()), photo_folder.name))
    qtbot.waitUntil(lambda: window.view_title.text() == photo_folder.name, timeout=WAIT)
    assert window.model.rowCount() == 5
    window.search.setText("cat")
    window.refresh_gallery()
    qtbot.waitUntil(lambda: 0 < window.model.rowCount() < 5, timeout=WAIT)


def test_selecting_a_photo_fills_the_detail_pane(qtbot, window: MainWindow, photo_folder: Path) -> None:
    scanned(qtbot, window, photo_folder, 5)
    # nothing picked yet: the hint alone, no form of dashes, idle stars or dead buttons
    assert window.detail.photo is None
    assert not window.detail.facts.isVisible()
    assert not window.organize.marks.bar.isVisible()
    row = next(
        r
        for r in range(5)
        if photo_by_id(window.facade.catalog, window.model.ids[r]).name == "cat_and_dog.jpeg"
    )
    window.gallery.setCurrentIndex(window.model.index(row))
    qtbot.waitUntil(lambda: window.detail.title.text() == "cat_and_dog.jpeg", timeout=WAIT)
    assert window.detail.canvas.has_image()
    assert window.detail.fields["Path"].text().endswith("cat_and_dog.jpeg")
    assert window.detail.open_button.isEnabled()
    assert window.detail.facts.isVisible() and window.organize.marks.bar.isVisible()
    window.detail.clear()
    assert not window.detail.facts.isVisible()


def test_keyboard_viewer_navigation_and_harmless_delete(
    qtbot, window: MainWindow, photo_folder: Path
) -> None:
    scanned(qtbot, window, photo_folder, 5)
    window.gallery.setFocus()
    window.gallery.setCurrentIndex(window.model.index(0))
    qtbot.keyClick(window.gallery, Qt.Key.Key_Delete)
    assert window.model.rowCount() == 5
    assert len(list(photo_folder.iterdir())) == 5
    qtbot.keyClick(window.gallery, Qt.Key.Key_Space)
    assert window.central.currentWidget() is window.viewer
    qtbot.keyClick(window.viewer, Qt.Key.Key_Right)
    assert window.gallery.currentIndex().row() == 1
    qtbot.waitUntil(lambda: window.viewer.canvas.has_image(), timeout=WAIT)
    qtbot.keyClick(window.viewer, Qt.Key.Key_Left)
    assert window.gallery.currentIndex().row() == 0
    qtbot.keyClick(window.viewer, Qt.Key.Key_Escape)
    assert window.central.currentWidget() is window.splitter
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.gallery.setFocus()
    assert not window.search.hasFocus()
    window.find_action.trigger()
    qtbot.waitUntil(window.search.hasFocus)  # Find puts the keyboard in the search field
    assert window.find_action.shortcut().toString() == "Ctrl+F"
    assert window.settings_action.shortcut().toString() == "Ctrl+,"
    assert window.full_screen_action.shortcut().toString() == "F11"


def test_settings_persist(qtbot, window: MainWindow, home: Path) -> None:
    dialog = SettingsDialog(window.facade, window.tasks, window)
    qtbot.addWidget(dialog)
    dialog.backend.setCurrentIndex(dialog.backend.findData("rekognition"))
    dialog.region.setCurrentText("eu-west-1")
    dialog.rate.setValue(2.5)
    dialog.budget.setValue(3)
    dialog.thumb_size.setValue(200)
    dialog.feature_boxes["moderation"].setChecked(True)
    window.actions.apply_settings(dialog.current_settings())
    with Library.open(home) as reopened:
        settings = reopened.settings
    assert settings.backend == "rekognition"
    assert settings.aws_region == "eu-west-1"
    assert settings.rate_limit == 2.5
    assert settings.budget_usd == 3
    assert settings.thumbnail_size == 200
    assert "moderation" in settings.rekognition_features
    assert window.gallery.cell_size() == 200


def test_the_gui_thread_keeps_delivering_events_during_a_scan(
    qtbot, window: MainWindow, tmp_path, photo_folder
) -> None:
    """The scan runs off the GUI thread: while it works, the window's live status arrives and timers
    fire. (How long the GUI thread may stall is a number for benchmarks/bench_gui.py, which measures
    the longest gap during the live library's scan of 100,000 files; a threshold here would depend on
    the machine's load.)"""
    big = tmp_path / "many"
    for n in range(16):  # 80 files: duplicates still get read, hashed and verified
        shutil.copytree(photo_folder, big / f"set{n:02d}")
    busy = [False]  # the live library reports jobs running or pending
    ticks_while_busy = [0]

    def status(live_status) -> None:
        busy[0] = bool(live_status.running or live_status.pending)

    def tick() -> None:
        if busy[0]:
            ticks_while_busy[0] += 1

    window.live.status_changed.connect(status)
    meter = QTimer(interval=5, timeout=tick)
    meter.start()
    scanned(qtbot, window, big, 80)
    meter.stop()
    assert ticks_while_busy[0] > 0


def test_progress_is_shown_and_cancel_stops_the_job(qtbot, window: MainWindow, photo_folder: Path) -> None:
    window.facade.library.add_folder(str(photo_folder))
    window.actions.start_analysis()
    assert window.job_status.isVisible()
    window.jobs.cancel()
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=120_000)
    assert not window.job_status.isVisible()


def test_a_video_tile_shows_its_running_time_and_the_pane_its_facts(qtbot, window, tmp_path: Path) -> None:
    import cv2
    import numpy as np

    from video_files import photo, write_video

    folder = tmp_path / "clips"
    folder.mkdir()
    dog = photo("cat_and_dog.jpeg")
    pale = cv2.addWeighted(dog, 0.3, np.full_like(dog, 255), 0.7, 0)  # bright: the dark pill shows on it
    write_video(folder / "dog.mp4", [(pale, 3.0)], black_lead=0.5)
    shutil.copy(Path(__file__).parent / "data" / "photos" / "cat_and_dog.jpeg", folder / "cat.jpg")
    scanned(qtbot, window, folder, 2)
    view, model = window.gallery, window.model
    qtbot.waitUntil(lambda: all(model.pixmap_at(row) is not None for row in range(2)), timeout=WAIT)
    names = {photo_by_id(window.facade.catalog, pid).name: row for row, pid in enumerate(model.ids)}
    video, photo = names["dog.mp4"], names["cat.jpg"]
    assert (model.badge_at(video), model.badge_at(photo)) == ("0:04", None)

    # the pill is painted over the video's tile, darkening it; the photo's tile is left as it is
    image = view.viewport().grab().toImage()
    ratio = view.viewport().devicePixelRatio()

    def corner_darkening(row: int) -> float:
        rect = view.visualRect(model.index(row)).adjusted(3, 3, -3, -3)
        tile = model.pixmap_at(row).toImage()
        point = rect.bottomRight() - rect.topLeft() - QPoint(7, 13)  # inside the pill, right of its text
        painted = image.pixelColor(rect.topLeft() + point).lightness()
        own = tile.pixelColor(QPoint(round(point.x() * ratio), round(point.y() * ratio))).lightness()
        return own - painted

    assert corner_darkening(video) > 80
    assert abs(corner_darkening(photo)) < 10

    window.gallery.setCurrentIndex(model.index(video))
    qtbot.waitUntil(lambda: window.detail.title.text() == "dog.mp4", timeout=WAIT)
    assert window.detail.fields["Video"].text() == "0:04 · 10 fps · MPEG-4"
    assert window.detail.fields["Video"].isVisibleTo(window.detail)
    assert window.detail.player.canvas.has_image()  # the poster, where a photo's preview would be
    window.gallery.setCurrentIndex(model.index(photo))
    qtbot.waitUntil(lambda: window.detail.title.text() == "cat.jpg", timeout=WAIT)
    assert not window.detail.fields["Video"].isVisibleTo(window.detail)
