"""The app while it analyzes: progress with time left, results as they are stored, cost, failures with
Retry, settings that apply at once, face attributes and the wording around all of it."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import io
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt

from photosorter.core.analysis.types import (
    AnalysisResult,
    Box,
    Face,
    FatalAnalysisError,
    Feature,
    TransientAnalysisError,
)
from photosorter.core.catalog.analysis import store_failure, store_result
from photosorter.core.library import Library
from photosorter.core.live import LiveStatus
from photosorter.core.live import service as live_service
from photosorter.core.live.changes import AnalysisPause, AnalysisProgress, PauseCause, Usage
from photosorter.gui.facade import Facade
from photosorter.gui.live import pause_text, status_text
from photosorter.gui.main_window import MainWindow
from photosorter.gui.queue_panel import FailuresModel, LiveStatusWidget
from photosorter.gui.workers import WorkerPool, describe

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


def rekognition(library: Library, **changes: object) -> None:
    settings = library.settings.with_changes(
        backend="rekognition", rekognition_features=("labels", "text"), analyze_after_scan=True
    )
    library.save_settings(settings.with_changes(**changes))


def jpeg(index: int, size: int = 96) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), ((index * 37) % 256, (index * 91) % 256, 128)).save(out, "JPEG")
    return out.getvalue()


def status_line(window: MainWindow) -> str:
    return window.live_status.full_text


def test_progress_time_left_and_cost_show_while_results_arrive(
    qtbot, library: Library, photo_folder: Path, fake_rekognition
) -> None:
    rekognition(library, rate_limit=2.0)  # 8 calls over 4 s: the run is seen half-way
    window = open_window(qtbot, library)
    try:
        refreshed_mid_run: list[AnalysisProgress] = []
        lines: list[str] = []

        def analysis_changed() -> None:
            status = window.live.status
            if status is not None and status.progress is not None:
                refreshed_mid_run.append(status.progress)

        window.live.analysis_changed.connect(analysis_changed)
        window.live.status_changed.connect(lambda _status: lines.append(status_line(window)))
        window.actions.add_folder(str(photo_folder))
        # photos analyzed / total, and from the start what the run will cost: 5 photos × 2 features × $0.001
        # (as --dry-run says: the 60 x 40 one is refused later, before any call)
        qtbot.waitUntil(lambda: any("Analyzing" in line for line in lines), timeout=WAIT)
        started = next(line for line in lines if "Analyzing" in line)
        assert re.search(r"Analyzing [0-4] of 5 photos", started) and "≈ $0.010 for 5 photos" in started
        half_way = re.compile(r"Analyzing [1-4] of 5 photos · .*[1-8] calls?, \$0\.00[1-8] of ≈ \$0\.010")
        qtbot.waitUntil(
            lambda: any(half_way.search(line) for line in lines), timeout=WAIT
        ) if False else print("\n".join(dict.fromkeys(lines)))
        window.live_wiring.show_queue()
        qtbot.waitUntil(lambda: "This run:" in window.queue_panel.usage.text(), timeout=WAIT)
        qtbot.waitUntil(lambda: "Up to date" in status_line(window), timeout=WAIT)
        # results reached the window while the run went on, not only at its end
        assert any(p.done < p.total for p in refreshed_mid_run), refreshed_mid_run
        # the session's and the month's calls and cost, in the queue panel and the status tooltip
        usage = window.queue_panel.usage.text()
        assert "This session: 8 calls, $0.008" in usage and "This month: 8 calls, $0.008" in usage
        assert "this month: 8 calls, $0.008" in window.live_status.label.toolTip()
        # the 60 x 40 photo cannot be analyzed: said where the user looks, with why and a retry
        assert "1 photo not analyzed" in status_line(window)
        assert window.live_status.failures.isVisible()
        qtbot.waitUntil(lambda: window.queue_panel.failures_model.rowCount() == 1, timeout=WAIT)
        model = window.queue_panel.failures_model
        assert model.data(model.index(0, 0)).endswith("tiny_60x40_horses.jpg")
        assert "needs at least 80 px" in model.data(model.index(0, 3))
        assert "every photo is scanned and analyzed" not in window.queue_panel.empty.text()
    finally:
        window.shutdown()


def test_retry_clears_a_failure_and_queues_the_photo_again(
    qtbot, window: MainWindow, library, tmp_path
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copy(DATA / "cat_and_dog.jpeg", folder)
    window.actions.add_folder(str(folder))
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=WAIT)
    content_hash = library.catalog.scalar("SELECT hash FROM photos")
    store_failure(library.catalog, content_hash, "local", [Feature.LABELS], {Feature.LABELS: "1"}, "bad file")
    window.live.poll()
    qtbot.waitUntil(lambda: window.live_status.failures.isVisible(), timeout=WAIT)
    assert "Show 1 not analyzed" in window.live_status.failures.text()
    window.live_status.failures.linkActivated.emit("failures")  # the status-bar link opens the panel
    assert window.queue_panel.isVisible()
    qtbot.waitUntil(lambda: window.queue_panel.retry_failures_button.isVisible(), timeout=WAIT)
    assert window.queue_panel.failures_model.data(window.queue_panel.failures_model.index(0, 3)) == "bad file"
    qtbot.mouseClick(window.queue_panel.retry_failures_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Analyzing 1 photo again" in window.statusBar().currentMessage(), timeout=WAIT)
    assert library.catalog.scalar("SELECT count(*) FROM analyses WHERE status = 'failed'") == 0
    qtbot.waitUntil(lambda: not window.live_status.failures.isVisible(), timeout=WAIT)
    qtbot.waitUntil(lambda: window.queue_panel.failures_model.rowCount() == 0, timeout=WAIT)
    assert not window.queue_panel.retry_failures_button.isVisible()


def test_a_budget_set_in_the_running_app_holds_for_the_next_photos(
    qtbot, library: Library, tmp_path: Path, fake_rekognition
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "first.jpg").write_bytes(jpeg(0))
    rekognition(library, rekognition_features=("labels",))
    window = open_window(qtbot, library)
    try:
        window.actions.add_folder(str(folder))
        qtbot.waitUntil(lambda: fake_rekognition.served["DetectLabels"] == 1, timeout=WAIT)
        qtbot.waitUntil(lambda: "Up to date" in status_line(window), timeout=WAIT)
        window.actions.apply_settings(library.settings.with_changes(budget_usd=0.002))
        for index in range(1, 9):
            (folder / f"new {index}.jpg").write_bytes(jpeg(index))
        qtbot.waitUntil(lambda: "budget" in status_line(window), timeout=WAIT)
        assert fake_rekognition.served["DetectLabels"] == 3  # $0.002 more: two photos, not eight
        assert "The budget is in Settings" in status_line(window)
    finally:
        window.shutdown()


def test_checking_features_again_restarts_paused_analysis_at_once(
    qtbot, library: Library, tmp_path: Path, fake_rekognition, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_service, "PAUSE_BACKOFF", (3600.0, 3600.0))  # only a change can end the pause
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "first.jpg").write_bytes(jpeg(0))
    rekognition(library, rekognition_features=())
    window = open_window(qtbot, library)
    try:
        window.actions.add_folder(str(folder))
        qtbot.waitUntil(lambda: "no feature given" in status_line(window), timeout=WAIT)
        assert "Check the analysis features in Settings" in status_line(window)
        live = window.live.live
        assert live.queue.next_ready_in(("analyze",)) > 3000  # waiting out the back-off
        window.actions.apply_settings(library.settings.with_changes(rekognition_features=("labels",)))
        qtbot.waitUntil(lambda: fake_rekognition.served["DetectLabels"] == 1, timeout=WAIT)
        qtbot.waitUntil(lambda: "paused" not in status_line(window), timeout=WAIT)
    finally:
        window.shutdown()


def test_the_detail_pane_shows_each_faces_attributes_with_confidence(
    qtbot, window: MainWindow, library, tmp_path
):
    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copy(DATA / "exif_orientation6_obama.jpg", folder)
    window.actions.add_folder(str(folder))
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=WAIT)
    attributes = {
        "age_range": {"low": 45, "high": 53},
        "gender": {"value": "Male", "confidence": 99.4},
        "smile": {"value": True, "confidence": 97.2},
        "eyeglasses": {"value": False, "confidence": 98.0},
        "eyes_open": {"value": True, "confidence": 96.0},
        "beard": {"value": False, "confidence": 88.0},
        "emotions": [{"type": "HAPPY", "confidence": 95.1}, {"type": "CALM", "confidence": 3.0}],
    }
    face = Face(Box(0.3, 0.2, 0.3, 0.3), 99.9, attributes=attributes)
    result = AnalysisResult("rekognition", frozenset({Feature.FACES}), faces=(face,))
    store_result(
        library.catalog, library.catalog.scalar("SELECT hash FROM photos"), result, {Feature.FACES: "7"}
    )
    window.gallery.setCurrentIndex(window.model.index(0))
    qtbot.waitUntil(lambda: "Face 1" in window.detail.faces.text(), timeout=WAIT)
    text = window.detail.faces.text()
    for phrase in ("age 45–53", "male 99%", "smiling 97%", "happy 95%", "no eyeglasses 98%", "eyes open 96%"):
        assert phrase in text, (phrase, text)
    assert "no beard 88%" in text and window.detail.faces.isVisible()
    canvas = window.detail.canvas
    number, found = canvas.face_at(canvas.box_rect(Box(left=0.3, top=0.2, width=0.3, height=0.3)).center())
    assert number == 1 and found.attributes["gender"]["value"] == "Male"


def test_a_long_status_line_is_elided_with_all_of_it_in_the_tooltip(qtbot) -> None:
    widget = LiveStatusWidget()
    qtbot.addWidget(widget)
    reason = "no usable AWS credentials for profile 'work' (" + "x" * 300 + ")"
    pause = AnalysisPause(reason, retry_at=10**10, cause=PauseCause.ACCOUNT)
    widget.update_status(LiveStatus(True, 1, 0, 0, pause, None, ("/a",), (), 0))
    assert widget.label.text().endswith("…") and len(widget.label.text()) < len(widget.full_text)
    assert widget.full_text in widget.label.toolTip()
    # the credentials message names no internal class and points at the fields in Settings
    assert "FatalAnalysisError" not in widget.full_text
    assert "AWS profile and region in Settings" in widget.full_text


def test_cost_wording_for_a_run(qtbot) -> None:
    progress = AnalysisProgress("rekognition", 3, 10, 42.0, 0.03, Usage(9, 0.009))
    line = status_text(LiveStatus(True, 0, 1, 0, None, None, ("/a",), (), 0, progress=progress))
    assert line.startswith("Analyzing 3 of 10 photos · 42 s left · 9 calls, $0.009 of ≈ $0.030 for 10 photos")
    free = AnalysisProgress("local", 3, 10, None, None, Usage())
    assert status_text(LiveStatus(True, 0, 1, 0, None, None, ("/a",), (), 0, progress=free)) == (
        "Analyzing 3 of 10 photos"
    )
    assert pause_text(AnalysisPause("Rekognition unreachable", 100.0), now=81.2) == (
        "Analysis paused: Rekognition unreachable — retrying in 19 s"
    )
    assert FailuresModel().rowCount() == 0


def test_the_welcome_page_says_where_analysis_happens(qtbot, window: MainWindow, library) -> None:
    assert "on this computer" in window.welcome.text.text()
    window.actions.apply_settings(library.settings.with_changes(backend="rekognition"))
    assert "on this computer" not in window.welcome.text.text()
    assert "Amazon Rekognition" in window.welcome.text.text()


def test_a_credentials_problem_reads_as_a_message_not_a_class_name() -> None:
    problem = FatalAnalysisError("no usable AWS credentials for profile 'work' (expired)")
    assert describe(problem) == "no usable AWS credentials for profile 'work' (expired)"  # Test connection
    assert describe(TransientAnalysisError("could not connect")) == "could not connect"
    assert describe(KeyError("bug")) == "KeyError: 'bug'"  # a bug still says what it is
    pause = AnalysisPause(str(problem), retry_at=100.0, cause=PauseCause.ACCOUNT)
    assert pause_text(pause, now=95.0) == (
        "Analysis paused: no usable AWS credentials for profile 'work' (expired) — retrying in 5 s. "
        "Or choose the AWS profile and region in Settings (Ctrl+,)."
    )


def test_settings_show_this_sessions_and_this_months_spending(qtbot, window: MainWindow, library) -> None:
    from photosorter.core.catalog import usage as usage_rows
    from photosorter.gui.settings_dialog import SettingsDialog

    usage_rows.add(library.catalog, "rekognition", {"DetectLabels": (12, 0.012)})
    dialog = SettingsDialog(window.facade, window.tasks, window)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "this month: 12 calls, $0.012" in dialog.spending.text(), timeout=WAIT)
    assert dialog.spending.text().startswith("This session: 0 calls, $0.000")


def test_results_arriving_while_another_photo_loads_do_not_bring_the_old_one_back(
    qtbot, window: MainWindow, photo_folder: Path
) -> None:
    window.actions.add_folder(str(photo_folder))
    qtbot.waitUntil(lambda: window.model.rowCount() == 5, timeout=WAIT)
    first, second = window.model.ids[0], window.model.ids[1]
    window.detail.show_photo(first)
    qtbot.waitUntil(lambda: window.detail.photo is not None and window.detail.photo.id == first, timeout=WAIT)
    window.detail.show_photo(second)
    window.detail.reload()  # new analysis results arrive while the second photo is loading
    qtbot.waitUntil(
        lambda: window.detail.photo is not None and window.detail.photo.id == second, timeout=WAIT
    )


def test_forgetting_all_faces_clears_the_detail_pane_and_says_what_went(
    qtbot, window: MainWindow, library, tmp_path
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copy(DATA / "exif_orientation6_obama.jpg", folder)
    window.actions.add_folder(str(folder))
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=WAIT)
    face = Face(Box(0.3, 0.2, 0.3, 0.3), 99.9, attributes={"gender": {"value": "Male", "confidence": 99.0}})
    result = AnalysisResult("local", frozenset({Feature.FACES}), faces=(face,))
    store_result(
        library.catalog, library.catalog.scalar("SELECT hash FROM photos"), result, {Feature.FACES: "1"}
    )
    window.gallery.setCurrentIndex(window.model.index(0))
    qtbot.waitUntil(lambda: window.detail.fields["People"].text() == "1 unnamed face", timeout=WAIT)
    window.actions.forget_faces()  # what Settings → "Forget all faces" does once confirmed
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Deleted 1 face"), timeout=WAIT)
    qtbot.waitUntil(lambda: window.detail.fields["People"].text() == "—", timeout=WAIT)
    assert window.detail.canvas._faces == () and not window.detail.faces.isVisible()
