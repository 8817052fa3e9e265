"""The live library's analysis lane: progress as photos are stored, cost counted per month, failures
with a retry, and settings that take effect in the running service."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from photosorter.core.analysis.types import AnalysisResult, Feature, Label
from photosorter.core.catalog import failures as failure_rows
from photosorter.core.catalog import usage as usage_rows
from photosorter.core.catalog.analysis import store_failure
from photosorter.core.jobs import run_to_end
from photosorter.core.library import Library
from photosorter.core.live import LiveLibrary
from photosorter.core.live.changes import PauseCause

WAIT = 20.0
LABELS = frozenset({Feature.LABELS})


def wait_for(condition: Callable[[], object], timeout: float = WAIT, what: str = "condition") -> None:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def jpeg(index: int, size: int = 96) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), ((index * 37) % 256, (index * 91) % 256, 128)).save(out, "JPEG")
    return out.getvalue()


class GatedAnalyzer:
    """Answers one photo each time the test opens the gate, so a run can be looked at half-way."""

    default_features = frozenset({Feature.LABELS})

    def __init__(self, name: str = "gated") -> None:
        self.name = name
        self.gate = threading.Semaphore(0)
        self.calls = 0
        self.closed = False

    def model_version(self, feature: Feature) -> str:
        return "1"

    def analyze(self, image: bytes, features: frozenset[Feature]) -> AnalysisResult:
        if not self.gate.acquire(timeout=WAIT):
            raise AssertionError("the test never let this photo through")
        self.calls += 1
        return AnalysisResult(self.name, features, labels=(Label("Thing", 90.0),))

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def library(home: Path, tmp_path: Path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for index in range(4):
        (folder / f"photo {index}.jpg").write_bytes(jpeg(index))
    with Library.open(home) as library:
        library.add_folder(folder)
        run_to_end(library.scan())
        yield library


def photos_folder(library: Library) -> Path:
    return Path(library.folders()[0].path)


def analyzed_hashes(library: Library, backend: str) -> set[str]:
    rows = library.catalog.connection().execute(
        "SELECT DISTINCT hash FROM analyses WHERE backend = ? AND status = 'done'", (backend,)
    )
    return {h for (h,) in rows}


def test_progress_and_results_appear_while_the_run_goes_on(library: Library) -> None:
    analyzer = GatedAnalyzer()
    with LiveLibrary(library, analyzer=analyzer, features=LABELS, analysis_workers=1) as live:
        # The run's first step is "Finding photos to analyze…" with no total yet: wait for the count.
        wait_for(lambda: getattr(live.status().progress, "total", 0) == 4, what="the run to count its photos")
        assert live.status().progress.done == 0
        analyzer.gate.release()
        wait_for(lambda: live.status().progress and live.status().progress.done == 1, what="one photo stored")
        # the first result is in the catalog while the run still waits on the others
        assert len(analyzed_hashes(library, "gated")) == 1
        assert live.status().running == 1
        time.sleep(0.6)  # the time-left estimate needs half a second of rate; nothing is asserted on it
        analyzer.gate.release()
        wait_for(lambda: live.status().progress.done == 2, what="a second photo")
        progress = live.status().progress
        assert progress.eta_seconds is not None and progress.eta_seconds > 0
        assert progress.estimate_usd is None  # not a billed backend: no cost shown
        for _ in range(2):
            analyzer.gate.release()
        wait_for(lambda: live.status().progress is None and live.status().running == 0, what="the end")
    assert len(analyzed_hashes(library, "gated")) == 4


def test_a_failed_photo_is_counted_listed_and_retried(library: Library) -> None:
    analyzer = GatedAnalyzer()
    conn = library.catalog.connection()
    content_hash, path = conn.execute("SELECT hash, path FROM photos ORDER BY id LIMIT 1").fetchone()
    store_failure(
        library.catalog, content_hash, "gated", [Feature.LABELS], {Feature.LABELS: "1"}, "too small"
    )
    for _ in range(3):
        analyzer.gate.release()
    with LiveLibrary(library, analyzer=analyzer, features=LABELS, analysis_workers=1) as live:
        wait_for(lambda: len(analyzed_hashes(library, "gated")) == 3, what="the other photos")
        wait_for(lambda: live.status().running == 0, what="the run to end")
        assert live.status().failures == 1
        [failure] = live.failures()
        assert (failure.hash, failure.error, failure.features) == (content_hash, "too small", ("labels",))
        assert failure.path == path
        analyzer.gate.release()
        assert live.retry_failures() == 1
        wait_for(lambda: len(analyzed_hashes(library, "gated")) == 4, what="the failed photo analyzed again")
        assert live.status().failures == 0
    assert failure_rows.analysis_failures(library.catalog) == []


def test_new_settings_rebuild_the_analyzer_and_end_a_pause_at_once(library: Library) -> None:
    built: list[GatedAnalyzer] = []

    def from_settings() -> GatedAnalyzer:
        analyzer = GatedAnalyzer(library.settings.backend)
        for _ in range(10):
            analyzer.gate.release()
        built.append(analyzer)
        return analyzer

    # "no feature given" pauses for a minute; checking a feature again must not wait that minute out
    library.save_settings(library.settings.with_changes(local_features=()))
    with LiveLibrary(library, analyzer=from_settings, pause_backoff=(60.0, 300.0)) as live:
        wait_for(lambda: live.status().pause is not None, what="the pause")
        pause = live.status().pause
        assert pause.cause is PauseCause.SETUP and "no feature" in pause.reason
        assert pause.retry_at - time.time() > 50  # the real back-off, which the window counts down
        library.save_settings(library.settings.with_changes(local_features=("labels",)))
        live.settings_changed()
        wait_for(lambda: len(analyzed_hashes(library, "local")) == 4, what="analysis with the new features")
        wait_for(lambda: live.status().pause is None, what="the pause to end")
        assert len(built) == 1  # features are read per run: the analyzer is kept

        library.save_settings(library.settings.with_changes(backend="rekognition"))
        live.settings_changed()
        # a new analyzer (and with it new worker processes) for the new backend, without a restart
        wait_for(lambda: len(analyzed_hashes(library, "rekognition")) == 4, what="the new backend")
        assert [a.name for a in built] == ["local", "rekognition"] and built[0].closed


def test_month_to_date_usage_is_kept_in_the_catalog(library: Library) -> None:
    usage_rows.add(library.catalog, "rekognition", {"DetectLabels": (3, 0.003)}, month="2026-11")
    usage_rows.add(library.catalog, "rekognition", {"DetectLabels": (2, 0.002), "IndexFaces": (1, 0.001)})
    usage_rows.add(library.catalog, "rekognition", {"DetectText": (4, 0.004)})
    assert usage_rows.month_total(library.catalog) == (7, pytest.approx(0.007))
    assert usage_rows.month_total(library.catalog, "2026-11") == (3, pytest.approx(0.003))


# -- against the Rekognition test server -----------------------------------------------------------------
def rekognition(library: Library, **changes: object) -> None:
    settings = library.settings.with_changes(backend="rekognition", rekognition_features=("labels",))
    library.save_settings(settings.with_changes(**changes))


def add_photos(library: Library, first: int, count: int) -> None:
    for index in range(first, first + count):
        (photos_folder(library) / f"new {index}.jpg").write_bytes(jpeg(index))


def billed(fake) -> int:
    return fake.served["DetectLabels"]


def test_a_budget_set_while_running_stops_the_next_photos(library: Library, fake_rekognition) -> None:
    rekognition(library)
    with LiveLibrary(library, analysis_workers=1, pause_backoff=(0.2, 0.5)) as live:
        wait_for(lambda: billed(fake_rekognition) == 4 and live.status().running == 0, what="the first run")
        assert live.status().session.calls == 4
        rekognition(library, budget_usd=0.002)
        live.settings_changed()
        add_photos(library, 10, 4)
        wait_for(lambda: live.status().pause is not None, what="the budget to stop the run")
        status = live.status()
        assert (
            status.pause.cause is PauseCause.BUDGET
            and "budget of $0.002 would be exceeded" in status.pause.reason
        )
        assert billed(fake_rekognition) == 6  # two more calls: $0.002, not the four new photos
        assert live.analyzer.meter.budget == 0.002
        # every billed call is counted for the session and the month, across the rebuilt analyzer
        assert status.session.calls == 6
        assert status.month.calls == status.session.calls
        assert status.month.cost_usd == pytest.approx(0.006)


def test_region_profile_and_rate_set_while_running_are_used_for_the_next_photo(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rekognition_server import FakeRekognition

    credentials = tmp_path / "aws credentials"
    credentials.write_text(
        "[old]\naws_access_key_id = OLDKEY\naws_secret_access_key = x\n"
        "[new]\naws_access_key_id = NEWKEY\naws_secret_access_key = y\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no config"))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with FakeRekognition(reject_keys=("OLDKEY",)) as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL_REKOGNITION", fake.url)
        rekognition(library, aws_profile="old")
        with LiveLibrary(library, analysis_workers=1, pause_backoff=(60.0, 300.0)) as live:
            wait_for(lambda: live.status().pause is not None, what="rejected credentials")
            assert live.status().pause.cause is PauseCause.ACCOUNT
            assert billed(fake) == 0

            rekognition(library, aws_profile="new", aws_region="eu-west-1", rate_limit=2.5)
            live.settings_changed()  # no waiting out the minute's back-off: the new profile is tried now
            wait_for(lambda: billed(fake) == 4, what="analysis with the new profile")
            assert "eu-west-1" in fake.regions
            api = live.analyzer.api
            assert (api.profile, api.region, api.bucket._rate) == ("new", "eu-west-1", 2.5)
            wait_for(lambda: live.status().pause is None, what="the pause to end")


def test_an_explicit_analysis_run_counts_for_the_month_too(library: Library, fake_rekognition) -> None:
    from photosorter.core.jobs import CancelToken
    from photosorter.gui.facade import Facade

    rekognition(library)
    job, backend = Facade(library).analysis_job(CancelToken())  # File → Analyze New Photos
    details = []
    try:
        while True:
            details.append(next(job).detail)
    except StopIteration:
        pass
    # the estimate shows from the first step that knows the photos, before any call
    assert details[1] == "≈ $0.004 for 4 photos"
    assert details[-1].endswith("4 calls, $0.00 of ≈ $0.004 for 4 photos"), details
    assert backend == "rekognition" and billed(fake_rekognition) == 4
    assert usage_rows.month_total(library.catalog) == (4, pytest.approx(0.004))


def test_faces_are_grouped_during_a_long_run_not_only_at_its_end(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    from photosorter.core.live import analysis as lane_module

    monkeypatch.setattr(lane_module, "GROUP_FACES_SECONDS", 0.0)  # every stored photo, for the test
    grouped_at: list[int] = []
    analyzer = GatedAnalyzer()
    monkeypatch.setattr(
        library, "group_faces", lambda _a=None: grouped_at.append(len(analyzed_hashes(library, "gated")))
    )
    with LiveLibrary(library, analyzer=analyzer, features=LABELS, analysis_workers=1) as live:
        analyzer.gate.release()
        wait_for(lambda: grouped_at, what="faces grouped while the run goes on")
        assert grouped_at[0] < 4 and live.status().progress is not None
        for _ in range(3):
            analyzer.gate.release()
        wait_for(lambda: live.status().running == 0 and grouped_at[-1] == 4, what="the end")
