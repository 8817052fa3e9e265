"""The app and the live library: files appearing on disk, queue state, people naming, clean shutdown."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import math
import shutil
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox

from photosorter.core import faces
from photosorter.core.analysis.types import AnalysisResult, Box, Face, Feature
from photosorter.core.browse import ViewFilter
from photosorter.core.catalog.analysis import store_result
from photosorter.core.catalog.people_views import GroupKind
from photosorter.core.catalog.photos import photo_by_id
from photosorter.core.library import Library
from photosorter.core.live import LiveStatus
from photosorter.core.live.changes import AnalysisPause
from photosorter.gui.facade import Facade, QueueEntry
from photosorter.gui.live import pause_text, status_text
from photosorter.gui.main_window import MainWindow
from photosorter.gui.queue_panel import JobsModel
from photosorter.gui.workers import WorkerPool

WAIT = 30_000
DATA = Path(__file__).parent / "data" / "photos"

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def open_window(qtbot, library: Library) -> MainWindow:
    win = MainWindow(Facade(library), WorkerPool())
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture
def window(qtbot, library: Library):
    win = open_window(qtbot, library)
    yield win
    win.shutdown()
    assert win.pool.active() == 0
    assert win.live.live is None


def scanned(qtbot, window: MainWindow, folder: Path, count: int) -> None:
    window.actions.add_folder(str(folder))
    qtbot.waitUntil(lambda: window.model.rowCount() == count, timeout=WAIT)


def test_a_photo_copied_into_a_folder_appears_in_the_grid(qtbot, window: MainWindow, tmp_path) -> None:
    folder = tmp_path / "library"
    folder.mkdir()
    shutil.copy(DATA / "cat_and_dog.jpeg", folder)
    scanned(qtbot, window, folder, 1)
    window.gallery.setCurrentIndex(window.model.index(0))
    first = window.model.ids[0]
    qtbot.waitUntil(lambda: window.live.running and window.live.status is not None, timeout=WAIT)
    resets: list[int] = []
    window.model.modelReset.connect(lambda: resets.append(1))
    shutil.copy(DATA / "golden_gate_bridge.webp", folder / "new_bridge.webp")
    # how soon is timed in benchmarks/bench_watch.py; here only that it arrives, as a row insert
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=WAIT)
    assert not resets, "a new photo is a row insert, not a model reset"
    assert window.model.ids[window.gallery.currentIndex().row()] == first  # the selection stayed
    qtbot.waitUntil(lambda: window.count_label.text() == "2 photos", timeout=WAIT)
    (folder / "new_bridge.webp").unlink()
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=WAIT)
    assert not resets


def test_queue_state_shows_in_the_status_bar_and_the_panel(qtbot, window: MainWindow, photo_folder) -> None:
    scanned(qtbot, window, photo_folder, 5)
    qtbot.waitUntil(lambda: "Up to date" in window.live_status.label.text(), timeout=WAIT)
    assert "watching 1 folder" in window.live_status.label.text()
    assert window.live_status.isVisible()
    qtbot.mouseClick(window.live_status.button, Qt.MouseButton.LeftButton)
    assert window.queue_panel.isVisible()
    qtbot.waitUntil(lambda: "Up to date" in window.queue_panel.summary.text(), timeout=WAIT)
    assert not window.queue_panel.retry_button.isEnabled()
    window.queue_panel.set_entries([QueueEntry(1, "analyze", "parked", 3, "new photos", "boom")])
    assert window.queue_panel.retry_button.isEnabled()
    qtbot.mouseClick(window.queue_panel.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "parked jobs retried" in window.statusBar().currentMessage(), timeout=WAIT)
    window.live_wiring.show_queue(False)
    assert not window.live_status.button.isChecked()


def test_status_lines_for_busy_paused_parked_and_offline() -> None:
    busy = LiveStatus(True, 3, 1, 0, None, None, ("/a",), (), 2)
    assert status_text(busy) == "Updating library: 1 running · 3 pending · 2 settling"
    pause = AnalysisPause("Rekognition unreachable", retry_at=1000.0)
    # the real back-off, counted down: not a number frozen when the pause began
    assert pause_text(pause, now=970.0) == "Analysis paused: Rekognition unreachable — retrying in 30 s"
    assert pause_text(pause, now=988.5) == "Analysis paused: Rekognition unreachable — retrying in 12 s"
    assert pause_text(pause, now=1001.0) == "Analysis paused: Rekognition unreachable — retrying now"
    stuck = LiveStatus(True, 1, 0, 2, pause, "x", ("/a", "/b"), ("/b",), 0)
    line = status_text(stuck, now=970.0)
    assert "2 parked" in line and pause_text(pause, 970.0) in line and "1 folder offline" in line
    assert status_text(LiveStatus(False, 0, 0, 0, None, None, (), (), 0)) == ""


def test_the_jobs_model_passes_the_model_tester(qtmodeltester) -> None:
    model = JobsModel()
    model.set_rows(
        [
            QueueEntry(1, "scan", "running", 1, "/photos", None),
            QueueEntry(2, "analyze", "parked", 3, "new photos", "RuntimeError: boom"),
        ]
    )
    qtmodeltester.check(model)
    assert model.parked() == 1


def _one_face(library: Library, name: str, turn: float = 0.0) -> None:
    """A clear face on photo ``name``; ``turn`` radians away from the first one (distance 2 sin(turn/2))."""
    photo = library.photo_by_path(name)
    vector = tuple(math.cos(turn) if i == 7 else math.sin(turn) if i == 8 else 0.0 for i in range(128))
    face = Face(Box(0.3, 0.2, 0.3, 0.3), 99.5, quality={"size": 120.0, "sharpness": 90.0}, embedding=vector)
    result = AnalysisResult(backend="local", features=frozenset({Feature.FACES}), faces=(face,))
    store_result(library.catalog, photo.hash, result, {Feature.FACES: "test"})
    faces.cluster_new_faces(library.catalog)


def test_naming_a_face_updates_the_sidebar_and_the_person_shows_their_photos(
    qtbot, qtmodeltester, window: MainWindow, photo_folder: Path, monkeypatch
) -> None:
    scanned(qtbot, window, photo_folder, 5)
    _one_face(window.facade.library, str((photo_folder / "exif_orientation6_obama.jpg").resolve()))
    window.show_people()
    qtbot.waitUntil(lambda: window.people.list.count() == 1, timeout=WAIT)
    qtmodeltester.check(window.people.list.model())
    monkeypatch.setattr(window.people, "ask_name", lambda *_args: "Barack")
    rect = window.people.list.visualRect(window.people.tiles.index(0))
    qtbot.mouseClick(window.people.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    def named() -> bool:
        people = window.sidebar.people_item
        return any(people.child(i).text() == "Barack" for i in range(people.rowCount()))

    qtbot.waitUntil(named, timeout=WAIT)
    qtmodeltester.check(window.sidebar.model())
    window.sidebar.select(ViewFilter("person", "Barack", "Barack"))
    qtbot.waitUntil(lambda: window.view_title.text() == "Barack", timeout=WAIT)
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=WAIT)
    assert photo_by_id(window.facade.catalog, window.model.ids[0]).name == "exif_orientation6_obama.jpg"
    assert window.pages.currentWidget() is window.gallery_page


def test_the_window_opens_on_a_library_watches_it_and_closes_with_no_thread_left(
    qtbot, library: Library, photo_folder: Path
) -> None:
    library.add_folder(photo_folder)
    before = set(threading.enumerate())
    win = open_window(qtbot, library)
    qtbot.waitUntil(lambda: win.model.rowCount() == 5, timeout=WAIT)  # the live library's catch-up scan
    assert win.live.running
    qtbot.waitUntil(lambda: any(t.name == "live-watch" for t in threading.enumerate()), timeout=WAIT)
    win.close()
    assert win.live.live is None
    left = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
    assert left == []


def _suggested(qtbot, window: MainWindow, photo_folder: Path) -> None:
    """Barack named on one photo, and on another a face close enough to ask about, not to assign."""
    scanned(qtbot, window, photo_folder, 5)
    library = window.facade.library
    _one_face(library, str((photo_folder / "exif_orientation6_obama.jpg").resolve()))
    (cluster,) = [e for e in faces.overview(library.catalog) if e.kind is GroupKind.CLUSTER]
    faces.name_cluster(library.catalog, cluster.ref.cluster_id, "Barack")
    _one_face(library, str((photo_folder / "cat_and_dog.jpeg").resolve()), turn=2 * math.asin(0.25))
    assert [s.name for s in faces.suggestions(library.catalog)] == ["Barack"]
    window.show_people()
    qtbot.waitUntil(lambda: window.people.suggestions.count() == 1, timeout=WAIT)


def _barack_photos(window: MainWindow) -> int:
    catalog = window.facade.library.catalog
    return len(faces.photos_of_person(catalog, faces.person(catalog, "Barack").id))


def test_a_suggestion_is_asked_on_the_people_page_and_y_confirms_it(
    qtbot, qtmodeltester, window, photo_folder
) -> None:
    _suggested(qtbot, window, photo_folder)
    panel = window.people.suggestions
    assert panel.isVisible()
    qtmodeltester.check(panel.tiles)
    assert panel.tiles.index(0).data() == "Barack?"
    assert panel.yes.text() == "Yes, it is Barack (Y)"
    panel.list.setFocus()
    qtbot.keyClick(panel.list, Qt.Key.Key_Y)
    qtbot.waitUntil(lambda: not panel.isVisible(), timeout=WAIT)
    assert _barack_photos(window) == 2
    faces_of = window.facade.faces_of(next(e.key for e in window.facade.people()))
    assert sorted(f.assigned_by or "" for f in faces_of) == ["manual", "suggestion"]


def test_no_is_never_asked_again_and_ctrl_z_undoes_a_naming(qtbot, window, photo_folder) -> None:
    _suggested(qtbot, window, photo_folder)
    panel = window.people.suggestions
    qtbot.mouseClick(panel.no, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.isVisible(), timeout=WAIT)
    faces.cluster_new_faces(window.facade.library.catalog)
    assert faces.suggestions(window.facade.library.catalog) == []
    assert _barack_photos(window) == 1

    # Naming the rejected face by hand is allowed; Ctrl+Z (Edit > Undo) takes it back.
    unnamed = next(e for e in window.facade.overview() if e.cluster_id is not None)
    window.facade.name_cluster(unnamed.cluster_id, "Barack")
    assert _barack_photos(window) == 2
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: _barack_photos(window) == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: "Undone" in window.statusBar().currentMessage(), timeout=WAIT)


def test_hiding_a_person_takes_them_off_the_page_until_asked_for(qtbot, window, photo_folder) -> None:
    scanned(qtbot, window, photo_folder, 5)
    _one_face(window.facade.library, str((photo_folder / "exif_orientation6_obama.jpg").resolve()))
    window.facade.name_cluster(window.facade.overview()[0].cluster_id, "Barack")
    window.refresh_sidebar()  # name dialogs complete known names before the people page was ever opened
    qtbot.waitUntil(lambda: window.people.known_names == ["Barack"], timeout=WAIT)
    window.show_people()
    qtbot.waitUntil(lambda: window.people.list.count() == 1, timeout=WAIT)
    window.people._set_hidden(window.people.list.entry(0), True)
    qtbot.waitUntil(lambda: window.people.list.count() == 0, timeout=WAIT)
    window.people.show_hidden.setChecked(True)
    qtbot.waitUntil(lambda: window.people.list.count() == 1, timeout=WAIT)
    assert window.people.list.text(0).startswith("Barack (hidden)")
    assert len(window.facade.faces_of(window.people.list.entry(0).key)) == 1  # its face menus are not empty


def test_dropping_one_person_on_another_merges_them(qtbot, window, photo_folder) -> None:
    scanned(qtbot, window, photo_folder, 5)
    library = window.facade.library
    for name, photo, turn in (
        ("Barack", "exif_orientation6_obama.jpg", 0.0),
        ("Obama", "cat_and_dog.jpeg", 2.0),
    ):
        _one_face(library, str((photo_folder / photo).resolve()), turn=turn)
        unnamed = next(e for e in window.facade.overview() if e.cluster_id is not None)
        window.facade.name_cluster(unnamed.cluster_id, name)
    window.show_people()
    qtbot.waitUntil(lambda: window.people.list.count() == 2, timeout=WAIT)
    view, tiles = window.people.list, window.people.tiles
    rows = {view.entry(row).name: row for row in range(2)}
    source, target = tiles.index(rows["Obama"]), tiles.index(rows["Barack"])
    view.setCurrentIndex(source)
    mime = tiles.mimeData([source])
    drop = QDropEvent(
        QPointF(view.visualRect(target).center()),
        Qt.DropAction.MoveAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    view.dropEvent(drop)
    qtbot.waitUntil(lambda: view.count() == 1, timeout=WAIT)
    assert view.entry(0).name == "Barack"
    assert _barack_photos(window) == 2


def test_the_people_page_works_from_the_keyboard(qtbot, window, photo_folder, monkeypatch) -> None:
    scanned(qtbot, window, photo_folder, 5)
    _one_face(window.facade.library, str((photo_folder / "exif_orientation6_obama.jpg").resolve()))
    window.show_people()
    view = window.people.list
    qtbot.waitUntil(lambda: view.count() == 1, timeout=WAIT)
    view.setFocus()
    view.setCurrentIndex(window.people.tiles.index(0))
    answers = iter(["Barack", "Barack Obama"])
    monkeypatch.setattr(window.people, "ask_name", lambda *_args: next(answers))
    qtbot.keyClick(view, Qt.Key.Key_Return)  # an unnamed group: Enter names it
    qtbot.waitUntil(lambda: view.count() == 1 and view.entry(0).name == "Barack", timeout=WAIT)
    view.setCurrentIndex(window.people.tiles.index(0))  # the group became a person: a new tile
    qtbot.keyClick(view, Qt.Key.Key_F2)  # a person: F2 renames
    qtbot.waitUntil(lambda: view.count() == 1 and view.entry(0).name == "Barack Obama", timeout=WAIT)
    assert view.currentIndex().row() == 0  # the renamed person stays selected
    qtbot.keyClick(view, Qt.Key.Key_Return)  # a person: Enter shows their photos
    qtbot.waitUntil(lambda: window.view_title.text() == "Barack Obama", timeout=WAIT)


def test_a_person_opened_before_the_sidebar_lists_them_opens_when_it_does(
    qtbot, window, photo_folder, monkeypatch
) -> None:
    scanned(qtbot, window, photo_folder, 5)
    _one_face(window.facade.library, str((photo_folder / "exif_orientation6_obama.jpg").resolve()))
    window.show_people()
    view = window.people.list
    qtbot.waitUntil(lambda: view.count() == 1, timeout=WAIT)
    # The sidebar's reads wait (as a slow one does on a big library) while the group is named and opened.
    sidebar_read, may_read = window.facade.sidebar, threading.Event()

    def held_read():
        may_read.wait(WAIT / 1000)
        return sidebar_read()

    monkeypatch.setattr(window.facade, "sidebar", held_read)
    window.facade.name_cluster(view.entry(0).cluster_id, "Barack")
    window.people.show_person.emit("Barack")  # Enter on the person, before the sidebar lists them
    may_read.set()
    window.refresh_sidebar()
    qtbot.waitUntil(lambda: window.view_title.text() == "Barack", timeout=WAIT)
    assert window.pages.currentWidget() is window.gallery_page


def test_a_people_read_that_finishes_late_does_not_bring_an_old_name_back(
    qtbot, window, photo_folder, monkeypatch
) -> None:
    scanned(qtbot, window, photo_folder, 5)
    _one_face(window.facade.library, str((photo_folder / "exif_orientation6_obama.jpg").resolve()))
    unnamed = next(e for e in window.facade.overview() if e.cluster_id is not None)
    window.facade.name_cluster(unnamed.cluster_id, "Barack")
    window.show_people()
    view = window.people.list
    qtbot.waitUntil(lambda: view.count() == 1 and view.entry(0).name == "Barack", timeout=WAIT)
    # The first read sees "Barack" and then waits until the read begun after the rename has been shown.
    overview, first_read, newer_shown = window.facade.overview, threading.Event(), threading.Event()

    def slow_first(*args):
        entries = overview(*args)
        if not first_read.is_set():
            first_read.set()
            newer_shown.wait(WAIT / 1000)
        return entries

    monkeypatch.setattr(window.facade, "overview", slow_first)
    window.people.refresh()
    assert first_read.wait(WAIT / 1000)
    window.facade.rename_person(view.entry(0).person_id, "Barack Obama")
    window.people.refresh()
    qtbot.waitUntil(lambda: view.entry(0).name == "Barack Obama", timeout=WAIT)
    newer_shown.set()
    assert window.pool.wait(
        WAIT / 1000
    )  # the late read has answered: its callback is posted to the GUI thread
    QCoreApplication.processEvents()  # ... and delivered
    assert view.entry(0).name == "Barack Obama"


def test_a_detail_load_that_finishes_late_does_not_show_the_photo_as_it_was(
    qtbot, window, photo_folder, monkeypatch
) -> None:
    import photosorter.gui.detail as detail_module

    scanned(qtbot, window, photo_folder, 5)
    path = str((photo_folder / "exif_orientation6_obama.jpg").resolve())
    _one_face(window.facade.library, path)
    unnamed = next(e for e in window.facade.overview() if e.cluster_id is not None)
    window.facade.name_cluster(unnamed.cluster_id, "Barack")
    window.detail.show_photo(window.facade.library.photo_by_path(path).id)
    people = window.detail.fields["People"]
    qtbot.waitUntil(lambda: people.text() == "Barack", timeout=WAIT)
    load, first_read, newer_shown = detail_module.load_detail, threading.Event(), threading.Event()

    def slow_first(*args, **kwargs):
        detail = load(*args, **kwargs)
        if not first_read.is_set():
            first_read.set()
            newer_shown.wait(WAIT / 1000)
        return detail

    monkeypatch.setattr(detail_module, "load_detail", slow_first)
    window.detail.reload()
    assert first_read.wait(WAIT / 1000)
    person = next(e for e in window.facade.overview() if e.name == "Barack")
    window.facade.rename_person(person.person_id, "Barack Obama")
    window.detail.reload()
    qtbot.waitUntil(lambda: people.text() == "Barack Obama", timeout=WAIT)
    newer_shown.set()
    assert window.pool.wait(WAIT / 1000)  # the late load has answered: its callback is posted
    QCoreApplication.processEvents()  # ... and delivered
    assert people.text() == "Barack Obama"


def test_the_detail_pane_asks_about_a_suggested_face_and_keeping_the_name_confirms_it(
    qtbot, window, photo_folder, monkeypatch
) -> None:
    _suggested(qtbot, window, photo_folder)
    photo = window.facade.library.photo_by_path(str((photo_folder / "cat_and_dog.jpeg").resolve()))
    window.detail.show_photo(photo.id)
    qtbot.waitUntil(
        lambda: window.detail.photo is not None and window.detail.photo.id == photo.id, timeout=WAIT
    )
    (face,) = window.detail.analysis.faces
    assert face.suggested == "Barack" and face.person is None
    window.detail.canvas.grab()  # paints the dashed "Barack?" box
    assert window.detail.fields["People"].text() == "Barack?"
    asked: dict[str, str] = {}

    def keep_the_offered_name(title: str, current: str = "") -> str:
        asked.update(title=title, offered=current)
        return current

    monkeypatch.setattr(window.people, "ask_name", keep_the_offered_name)
    window._face_clicked(face)
    qtbot.waitUntil(lambda: _barack_photos(window) == 2, timeout=WAIT)
    assert asked == {"title": "Is this Barack?", "offered": "Barack"}
    confirmed = window.facade.library.analysis_of(photo).faces[0]
    assert (confirmed.person, confirmed.assigned_by, confirmed.suggested) == (
        "Barack",
        "suggestion",
        None,
    )


def test_regroup_all_faces_asks_first_then_works_everything_out_again(
    qtbot, window, photo_folder, monkeypatch
) -> None:
    _suggested(qtbot, window, photo_folder)
    answers = iter([QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes])
    monkeypatch.setattr(QMessageBox, "question", lambda *_args, **_kw: next(answers))
    qtbot.mouseClick(window.people.regroup_button, Qt.MouseButton.LeftButton)  # "No": nothing happens
    assert window.people.regroup_button.isEnabled()
    qtbot.mouseClick(window.people.regroup_button, Qt.MouseButton.LeftButton)
    message = "Faces regrouped: 1 looked at, 0 matched to people, 1 to confirm"
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == message, timeout=WAIT)
    assert _barack_photos(window) == 1  # the face Barack was named on stays his
    assert [s.name for s in faces.suggestions(window.facade.library.catalog)] == ["Barack"]
