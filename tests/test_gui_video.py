"""Playing a video in the detail pane and the viewer: keys, seek bar, mute, volume, frame steps, an
unplayable file's reason with "Open with the system player", and the decoder let go when the item changes.

The videos are made here with OpenCV from a real photo (a slow pan across it), so frames differ."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import cv2
import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from photosorter.core.durations import clock
from photosorter.core.library import Library
from photosorter.core.photo_analysis import PhotoAnalysis
from photosorter.core.records import MediaKind, Photo
from photosorter.gui import detail as detail_module
from photosorter.gui import video_player
from photosorter.gui.detail import DetailPane, PhotoDetail
from photosorter.gui.facade import Facade
from photosorter.gui.video_player import SEEK_S, VIDEO_KEYS
from photosorter.gui.viewer import Viewer
from photosorter.gui.workers import Tasks, WorkerPool

DATA = Path(__file__).parent / "data"
WAIT = 20_000
FPS = 5
SECONDS = 12

# the offscreen platform plugin cannot pass size hints to a window manager (there is none); harmless
SIZE_HINTS = r"This plugin does not support propagateSizeHints"
pytestmark = pytest.mark.qt_log_ignore(SIZE_HINTS)


def make_video(path: Path, seconds: int = SECONDS, fps: int = FPS) -> Path:
    """An MPEG-4 MP4 panning across a real photo (this OpenCV has no H.264 encoder; Qt decodes both)."""
    photo = cv2.imread(str(DATA / "photos" / "cat_and_dog.jpeg"))
    size = (320, 240)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    assert writer.isOpened()
    frames = seconds * fps
    width = photo.shape[1] - 600
    for i in range(frames):
        left = int(width * i / frames)
        writer.write(cv2.resize(np.ascontiguousarray(photo[:, left : left + 600]), size))
    writer.release()
    return path


def recoded(path: Path, fourcc: bytes) -> Path:
    """The file claims another codec: one no decoder knows, or AV1 over MPEG-4 data nothing can decode."""
    from video_files import Movie, set_codec

    movie = Movie.open(path)
    set_codec(movie, fourcc)
    return movie.save()


def record(photo_id: int, path: Path, media: MediaKind, duration_s: float | None = None) -> Photo:
    return Photo(
        id=photo_id,
        folder_id=1,
        path=str(path),
        name=path.name,
        size=path.stat().st_size if path.exists() else None,
        mtime_ns=None,
        hash=None,
        format="mp4" if media is MediaKind.VIDEO else "jpeg",
        width=320,
        height=240,
        taken_at=None,
        taken_at_source=None,
        camera_make=None,
        camera_model=None,
        latitude=None,
        longitude=None,
        orientation=None,
        state="ok",
        error=None,
        media=media,
        duration_s=duration_s,
    )


@pytest.fixture
def items(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[int, Photo]:
    """Library items by id, served to the detail pane and viewer in place of catalog rows."""
    video = make_video(tmp_path / "dog.mp4")
    junk = tmp_path / "broken.mp4"
    junk.write_bytes(np.random.default_rng(7).integers(0, 256, 40_000, dtype=np.uint8).tobytes())
    table = {
        1: record(1, video, MediaKind.VIDEO, SECONDS),
        2: record(2, DATA / "photos" / "cat_and_dog.jpeg", MediaKind.PHOTO),
        3: record(3, junk, MediaKind.VIDEO),
        4: record(4, tmp_path / "gone.mp4", MediaKind.VIDEO),
        5: record(5, make_video(tmp_path / "second.mp4", seconds=4), MediaKind.VIDEO, 4),
        6: record(6, recoded(make_video(tmp_path / "unknown.mp4", seconds=2), b"zzzz"), MediaKind.VIDEO),
        7: record(7, recoded(make_video(tmp_path / "av1.mp4", seconds=2), b"av01"), MediaKind.VIDEO),
    }

    def load(_facade, photo_id: int, size: int = 0) -> PhotoDetail | None:
        photo = table.get(photo_id)
        image = QImage(320, 240, QImage.Format.Format_RGB32)
        image.fill(Qt.GlobalColor.darkGreen)  # the poster
        return None if photo is None else PhotoDetail(photo, PhotoAnalysis(), image)

    monkeypatch.setattr(detail_module, "load_detail", load)
    monkeypatch.setattr("photosorter.gui.viewer.load_detail", load)
    return table


@pytest.fixture
def facade(home: Path):
    library = Library.open(home)
    yield Facade(library)
    library.close()


@pytest.fixture
def tasks(qtbot):
    pool = WorkerPool()
    yield Tasks(pool)
    pool.shutdown()


def shown(qtbot, widget, width: int, height: int):
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def pane(qtbot, facade, tasks, items) -> DetailPane:
    return shown(qtbot, DetailPane(facade, tasks), 420, 900)


def loaded(qtbot, player) -> None:
    qtbot.waitUntil(lambda: player.player is not None and player.seek_bar.maximum() > 0, timeout=WAIT)


def opened(qtbot, pane: DetailPane, photo_id: int):
    """The pane's player once the video's file is open (paused on its poster)."""
    pane.show_photo(photo_id)
    loaded(qtbot, pane.player)
    return pane.player


def position(player) -> int:
    return player.player.position()


def test_space_plays_and_pauses_and_frames_arrive(qtbot, pane: DetailPane) -> None:
    player = opened(qtbot, pane, 1)
    assert player.isVisible() and not pane.canvas.isVisible()
    assert not player.showing_video()  # the poster, until it plays
    assert player.time_label.text() == f"0:00 / {clock(SECONDS)}"
    assert pane.fields["Video"].text().startswith("0:12")
    player.setFocus()
    qtbot.keyClick(player, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: player.is_playing() and position(player) > 400, timeout=WAIT)
    assert player.play_button.accessibleName() == "Pause"
    qtbot.keyClick(player, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not player.is_playing(), timeout=WAIT)
    assert player.play_button.accessibleName() == "Play"
    assert player.showing_video()  # the poster gave way to the frames


def test_arrow_keys_seek_and_the_seek_bar_moves_the_video(qtbot, pane: DetailPane) -> None:
    player = opened(qtbot, pane, 1)
    player.setFocus()
    qtbot.keyClick(player, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: position(player) == SEEK_S * 1000, timeout=WAIT)
    assert player.time_label.text() == f"0:05 / {clock(SECONDS)}"
    assert player.seek_bar.value() == 5000
    qtbot.keyClick(player, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: position(player) == 0, timeout=WAIT)
    qtbot.keyClick(player, Qt.Key.Key_End)
    qtbot.waitUntil(lambda: position(player) == SECONDS * 1000, timeout=WAIT)
    qtbot.keyClick(player, Qt.Key.Key_Home)
    qtbot.waitUntil(lambda: position(player) == 0, timeout=WAIT)
    # dragging the bar: the video follows when the handle is let go
    player.seek_bar.setSliderDown(True)
    player.seek_bar.setValue(8000)
    player.seek_bar.setSliderDown(False)
    qtbot.waitUntil(lambda: position(player) == 8000, timeout=WAIT)
    assert player.time_label.text().startswith("0:08")


def test_frame_step_keys_pause_and_move_one_frame(qtbot, pane: DetailPane) -> None:
    player = opened(qtbot, pane, 1)
    player.seek_to_ms(2000)
    qtbot.waitUntil(lambda: position(player) == 2000, timeout=WAIT)
    player.play()
    qtbot.waitUntil(player.is_playing, timeout=WAIT)
    player.setFocus()
    qtbot.keyClick(player, Qt.Key.Key_Period)
    qtbot.waitUntil(lambda: not player.is_playing(), timeout=WAIT)
    paused_at = position(player)
    qtbot.keyClick(player, Qt.Key.Key_Period)
    qtbot.waitUntil(lambda: position(player) == paused_at + 1000 // FPS, timeout=WAIT)
    qtbot.keyClick(player, Qt.Key.Key_Comma)
    qtbot.keyClick(player, Qt.Key.Key_Comma)
    qtbot.waitUntil(lambda: position(player) == paused_at - 1000 // FPS, timeout=WAIT)
    assert not player.is_playing()


def test_mute_and_volume_by_key_and_by_control(qtbot, pane: DetailPane) -> None:
    player = opened(qtbot, pane, 1)
    player.setFocus()
    qtbot.keyClick(player, Qt.Key.Key_M)
    assert player.audio.isMuted() and player.mute_button.isChecked()
    assert player.mute_button.accessibleName() == "Mute" and "Unmute" in player.mute_button.toolTip()
    player.mute_button.click()
    assert not player.audio.isMuted() and not player.is_muted()
    qtbot.keyClick(player, Qt.Key.Key_Minus)
    qtbot.keyClick(player, Qt.Key.Key_Minus)
    assert player.audio.volume() == pytest.approx(0.8)
    assert player.volume_bar.value() == 80
    player.volume_bar.setValue(30)
    assert player.audio.volume() == pytest.approx(0.3)
    qtbot.keyClick(player, Qt.Key.Key_Plus)
    assert player.audio.volume() == pytest.approx(0.4)
    # the choice carries over to the next video
    pane.show_photo(5)
    qtbot.waitUntil(lambda: pane.photo is not None and pane.photo.id == 5, timeout=WAIT)
    loaded(qtbot, player)
    assert player.audio.volume() == pytest.approx(0.4)


def test_a_broken_video_says_why_and_offers_the_system_player(
    qtbot, pane: DetailPane, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(video_player, "open_with_system_player", lambda path: opened.append(path) or True)
    pane.show_photo(3)
    player = pane.player
    qtbot.waitUntil(lambda: bool(player.problem), timeout=WAIT)
    assert player.problem_label.text().startswith("This video cannot be played here: the file is damaged")
    assert player.problem_label.text().endswith("(Could not open file).")  # the decoder's own words
    assert player.problem_box.isVisible() and not player.controls.isVisible()
    assert player.player is None  # nothing is kept open for a file that does not play
    assert player.system_button.text() == "Open with the system player"
    assert player.system_button.isEnabled()
    player.system_button.click()
    assert opened == [str(pane.photo.path)]


@pytest.mark.qt_log_ignore(SIZE_HINTS, r"No SW decoder found")  # Qt's line for what the pane says
def test_a_codec_without_a_decoder_and_undecodable_frames_say_so(qtbot, pane: DetailPane) -> None:
    player = pane.player
    pane.show_video(6, 0.0)
    qtbot.waitUntil(lambda: bool(player.problem), timeout=WAIT)
    assert "codec is not supported" in player.problem and "No SW decoder found" in player.problem
    assert player.system_button.isEnabled()
    pane.show_video(7, 0.0)  # FFmpeg opens it and reads to the end, but no frame decodes
    qtbot.waitUntil(lambda: pane.photo.id == 7 and bool(player.problem), timeout=WAIT)
    assert player.problem.startswith("Not one frame of this video could be decoded (AV1)")
    assert player.problem_box.isVisible() and player.player is None


def test_without_qt_multimedia_a_video_says_why_and_the_system_player_still_opens_it(
    qtbot, pane: DetailPane, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Addons wheel links libpulse.so.0; on a machine without it the import fails, the app runs."""
    missing = "libpulse.so.0: cannot open shared object file: No such file or directory"
    monkeypatch.setattr(video_player, "MULTIMEDIA_MISSING", missing)
    pane.show_photo(1)
    player = pane.player
    qtbot.waitUntil(lambda: bool(player.problem), timeout=WAIT)
    assert player.problem == f"Videos cannot be played here: Qt Multimedia did not load ({missing})."
    assert player.system_button.isEnabled() and player.player is None


def test_a_missing_video_says_the_file_is_gone(qtbot, pane: DetailPane) -> None:
    pane.show_photo(4)
    player = pane.player
    qtbot.waitUntil(lambda: bool(player.problem), timeout=WAIT)
    assert "not there any more" in player.problem_label.text()
    assert player.system_button.isVisible() and not player.system_button.isEnabled()


def test_the_player_is_let_go_when_the_selection_changes(qtbot, pane: DetailPane) -> None:
    player = opened(qtbot, pane, 1)
    player.play()
    qtbot.waitUntil(player.is_playing, timeout=WAIT)
    decoder, audio = player.player, player.audio
    pane.show_photo(2)  # a photo: the video stops at once, before the photo has even loaded
    assert player.player is None
    qtbot.waitUntil(lambda: not shiboken6.isValid(decoder) and not shiboken6.isValid(audio), timeout=WAIT)
    qtbot.waitUntil(lambda: pane.photo is not None and pane.photo.id == 2, timeout=WAIT)
    assert pane.canvas.isVisible() and not player.isVisible()
    pane.show_photo(5)
    loaded(qtbot, player)
    second = player.player
    pane.show_photo(1)
    qtbot.waitUntil(lambda: not shiboken6.isValid(second), timeout=WAIT)
    loaded(qtbot, player)
    assert len(pane.findChildren(type(player.player))) == 1  # one decoder, never one per item seen
    pane.clear()
    assert player.player is None


def test_show_video_opens_the_player_at_the_moment(qtbot, pane: DetailPane) -> None:
    pane.show_video(1, 7.0)
    player = pane.player
    qtbot.waitUntil(lambda: player.player is not None and player.is_playing(), timeout=WAIT)
    qtbot.waitUntil(lambda: position(player) >= 7000, timeout=WAIT)
    assert position(player) < SECONDS * 1000
    # the same video again, another moment: it seeks without reopening
    decoder = player.player
    player.pause()
    pane.show_video(1, 2.0)
    qtbot.waitUntil(lambda: 2000 <= position(player) < 7000 and player.is_playing(), timeout=WAIT)
    assert player.player is decoder


def test_a_hidden_pane_holds_no_decoder(qtbot, pane: DetailPane) -> None:
    pane.show_photo(1)
    loaded(qtbot, pane.player)
    pane.player.seek_to_ms(3000)
    qtbot.waitUntil(lambda: position(pane.player) == 3000, timeout=WAIT)
    pane.hide()  # the viewer took over, or Ctrl+I
    assert pane.player.player is None
    pane.show()
    loaded(qtbot, pane.player)
    qtbot.waitUntil(lambda: position(pane.player) == 3000, timeout=WAIT)  # where it was


@pytest.fixture
def viewer(qtbot, facade, tasks, items) -> Viewer:
    return shown(qtbot, Viewer(facade, tasks), 800, 600)


def test_the_viewer_plays_a_video_with_its_keys_and_still_navigates(qtbot, viewer: Viewer) -> None:
    steps: list[int] = []
    closed: list[bool] = []
    viewer.navigate.connect(steps.append)
    viewer.closed.connect(lambda: closed.append(True))
    viewer.show_video(1, 2.0, "1 of 5")
    player = viewer.player
    qtbot.waitUntil(lambda: player.player is not None and player.is_playing(), timeout=WAIT)
    assert player.isVisible() and not viewer.canvas.isVisible()
    assert viewer.caption.text() == "dog.mp4  ·  1 of 5"
    viewer.setFocus()
    qtbot.keyClick(viewer, Qt.Key.Key_Space)  # pauses: it does not close the viewer as for a photo
    qtbot.waitUntil(lambda: not player.is_playing(), timeout=WAIT)
    at = position(player)
    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: position(player) == at + SEEK_S * 1000, timeout=WAIT)
    qtbot.keyClick(viewer, Qt.Key.Key_M)
    assert player.is_muted()
    assert steps == [] and closed == []
    qtbot.keyClick(viewer, Qt.Key.Key_Down)  # Up/Down and Page Up/Down still go to the next item
    assert steps == [1]
    decoder = player.player
    viewer.show_photo(2, "2 of 5")
    assert player.player is None
    qtbot.waitUntil(lambda: not shiboken6.isValid(decoder), timeout=WAIT)
    qtbot.waitUntil(lambda: viewer.canvas.isVisible() and viewer.canvas.has_image(), timeout=WAIT)
    qtbot.keyClick(viewer, Qt.Key.Key_Right)  # a photo: Right is the next item again
    assert steps == [1, 1]
    qtbot.keyClick(viewer, Qt.Key.Key_Escape)
    assert closed == [True]


def test_the_viewer_says_why_a_video_cannot_play(qtbot, viewer: Viewer) -> None:
    viewer.show_photo(3)
    qtbot.waitUntil(lambda: viewer.player.problem_box.isVisible(), timeout=WAIT)
    assert viewer.player.system_button.isEnabled()


def test_every_video_key_is_in_the_readme_and_the_help(qtbot) -> None:
    from PySide6.QtWidgets import QMenuBar

    from photosorter.gui.shortcuts import shortcuts_html

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    help_text = shortcuts_html(QMenuBar())
    for key in VIDEO_KEYS:
        assert f"| {key.keys} | {key.what} |" in readme, key
        assert key.keys in help_text and key.what in help_text, key


# -- in the window, with a video the scanner found ----------------------------------------------------------
@pytest.fixture
def window(qtbot, home: Path, tmp_path: Path):
    from photosorter.gui.main_window import MainWindow
    from video_files import dog_video

    folder = tmp_path / "clips"
    folder.mkdir()
    dog_video(folder / "dog.mp4", seconds=10.0)
    (folder / "cat.jpg").write_bytes((DATA / "photos" / "cat_and_dog.jpeg").read_bytes())
    library = Library.open(home)
    library.save_settings(library.settings.with_changes(analyze_after_scan=False))
    pool = WorkerPool()
    win = MainWindow(Facade(library), pool)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.actions.add_folder(str(folder))
    qtbot.waitUntil(lambda: win.model.rowCount() == 2 and not win.jobs.busy, timeout=60_000)
    yield win
    win.shutdown()
    library.close()


def row_named(window, name: str) -> int:
    from photosorter.core.catalog.photos import photo_by_id

    ids = window.model.ids
    return next(row for row, pid in enumerate(ids) if photo_by_id(window.facade.catalog, pid).name == name)


def test_a_scanned_video_plays_in_the_pane_then_full_window_and_back(qtbot, window) -> None:
    video, photo = row_named(window, "dog.mp4"), row_named(window, "cat.jpg")
    window.gallery.setCurrentIndex(window.model.index(video))
    pane = window.detail.player
    loaded(qtbot, pane)
    assert pane.canvas.has_image() and not pane.showing_video()  # the scanner's poster, paused
    pane.seek_to_ms(3000)
    qtbot.waitUntil(lambda: position(pane) == 3000, timeout=WAIT)
    window.gallery.setFocus()
    qtbot.keyClick(window.gallery, Qt.Key.Key_Space)  # full-window: one decoder, going on from 0:03
    full = window.viewer.player
    assert pane.player is None
    qtbot.waitUntil(lambda: full.player is not None and full.is_playing(), timeout=WAIT)
    assert full.position_s() >= 3.0
    qtbot.keyClick(window.viewer, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not full.is_playing(), timeout=WAIT)
    full.seek_to_ms(6000)
    qtbot.waitUntil(lambda: position(full) == 6000, timeout=WAIT)
    qtbot.keyClick(window.viewer, Qt.Key.Key_Escape)
    assert full.player is None  # the viewer let go before the pane opened it again
    loaded(qtbot, pane)
    qtbot.waitUntil(lambda: position(pane) == 6000, timeout=WAIT)  # the pane goes on from there
    decoder = pane.player
    window.gallery.setCurrentIndex(window.model.index(photo))
    assert pane.player is None
    qtbot.waitUntil(lambda: not shiboken6.isValid(decoder), timeout=WAIT)
    qtbot.waitUntil(lambda: window.detail.title.text() == "cat.jpg", timeout=WAIT)


def test_open_video_at_plays_full_window_from_the_moment(qtbot, window) -> None:
    video_id = window.model.ids[row_named(window, "dog.mp4")]
    window.open_video_at(video_id, 4.0)
    full = window.viewer.player
    qtbot.waitUntil(lambda: full.player is not None and full.is_playing(), timeout=WAIT)
    assert full.position_s() >= 4.0
    assert window.central.currentWidget() is window.viewer
    assert window.model.ids[window.gallery.currentIndex().row()] == video_id
    assert window.detail.player.player is None  # one decoder: the viewer's


def test_opening_a_video_search_hit_plays_from_the_moment_it_was_found(qtbot, window) -> None:
    from photosorter.core.analysis.types import AnalysisResult, Feature, Label
    from photosorter.core.analysis.video.timeline import Moment, TimeRange, VideoResult
    from photosorter.core.catalog.photos import photo_by_id
    from photosorter.core.catalog.video_analysis import store_video_result

    video_id = window.model.ids[row_named(window, "dog.mp4")]
    video = photo_by_id(window.facade.catalog, video_id)
    dog = Label("Dog", 96.0, ("Animal",))
    seen = Moment("label", "Dog", 96.0, (TimeRange(6000, 8000),), 6000)
    result = AnalysisResult("local", frozenset({Feature.LABELS}), labels=(dog,))
    store_video_result(
        window.facade.catalog, video.hash, VideoResult(result, (seen,), 4), {Feature.LABELS: "1"}
    )
    window.search.setText("dog")
    window.refresh_gallery()
    qtbot.waitUntil(lambda: window.gallery_page.moments == {video_id: 6.0}, timeout=WAIT)
    assert window.model.ids == [video_id]
    window.gallery.setCurrentIndex(window.model.index(0))
    window.open_viewer()  # Enter or a double click on the hit
    full = window.viewer.player
    qtbot.waitUntil(lambda: full.player is not None and full.is_playing(), timeout=WAIT)
    assert full.position_s() >= 6.0
