"""The analysis stage: each content analyzed once per backend and feature; failures kept; resumable."""

from __future__ import annotations

import errno
import io
import shutil
import threading
from pathlib import Path

import pytest
from PIL import Image

from photosorter.core.analysis.pipeline import AnalysisRun, AnalysisStopped
from photosorter.core.analysis.types import (
    AnalysisError,
    AnalysisResult,
    Box,
    Face,
    FatalAnalysisError,
    Feature,
    Label,
    TextLine,
    TransientAnalysisError,
)
from photosorter.core.imaging import UnreadablePhoto, analysis_jpeg
from photosorter.core.jobs import Cancelled, CancelToken, run_to_end
from photosorter.core.library import Library

ALL = frozenset({Feature.LABELS, Feature.FACES, Feature.TEXT})


class RecordingAnalyzer:
    """A backend that answers from the image's size and remembers every call, to count them."""

    name = "recording"
    default_features = ALL

    def __init__(self, version: str = "1", fail_on: dict[int, Exception] | None = None) -> None:
        self.version = version
        self.calls: list[tuple[tuple[int, int], frozenset[Feature]]] = []
        self.fail_on = fail_on or {}
        self._lock = threading.Lock()

    def model_version(self, feature: Feature) -> str:
        return f"{feature.value}-{self.version}"

    def analyze(self, image: bytes, features: frozenset[Feature]) -> AnalysisResult:
        size = Image.open(io.BytesIO(image)).size
        with self._lock:
            self.calls.append((size, features))
        if size[0] in self.fail_on:
            raise self.fail_on[size[0]]
        return AnalysisResult(
            backend=self.name,
            features=features,
            labels=(Label("Cat", 97.5, parents=("Animal", "Pet"), categories=("Animals and Pets",)),),
            faces=(Face(Box(0.1, 0.2, 0.3, 0.4), 99.0, embedding=tuple(float(i) for i in range(128))),),
            text=(TextLine("Musée du LOUVRE", 91.0, Box(0, 0, 1, 0.1), ("Musée", "du", "LOUVRE")),),
        )


run = run_to_end  # the tests read better as run(job)


@pytest.fixture
def library(home: Path, photo_folder: Path):
    with Library.open(home) as library:
        library.add_folder(photo_folder)
        run(library.scan())
        yield library


def test_every_content_is_analyzed_once_and_duplicates_share_the_result(library, photo_folder: Path) -> None:
    shutil.copy(photo_folder / "cat_and_dog.jpeg", photo_folder / "duplicate.jpeg")
    run(library.scan())
    analyzer = RecordingAnalyzer()

    report = run(AnalysisRun(library.catalog, analyzer).run())

    assert report.analyzed == 5 and report.failed == [] and len(analyzer.calls) == 5
    dup = library.analysis_of(library.photo_by_path(str(photo_folder / "duplicate.jpeg")))
    assert dup.labels[0].name == "Cat" and dup.labels[0].parents == ("Animal", "Pet")
    assert dup.text[0].text == "Musée du LOUVRE"
    assert dup.faces[0].box.to_dict() == {"left": 0.1, "top": 0.2, "width": 0.3, "height": 0.4}

    again = run(AnalysisRun(library.catalog, analyzer).run())
    assert (again.analyzed, again.skipped, len(analyzer.calls)) == (0, 5, 5)


def test_a_moved_photo_is_not_analyzed_again(library, photo_folder: Path) -> None:
    analyzer = RecordingAnalyzer()
    run(AnalysisRun(library.catalog, analyzer).run())
    (photo_folder / "cat_and_dog.jpeg").rename(photo_folder / "renamed.jpeg")
    run(library.scan())
    run(AnalysisRun(library.catalog, analyzer).run())
    assert len(analyzer.calls) == 5
    assert library.analysis_of(library.photo_by_path(str(photo_folder / "renamed.jpeg"))).labels


def test_a_new_feature_only_asks_for_that_feature(library) -> None:
    analyzer = RecordingAnalyzer()
    run(AnalysisRun(library.catalog, analyzer, frozenset({Feature.LABELS})).run())
    run(AnalysisRun(library.catalog, analyzer, frozenset({Feature.LABELS, Feature.TEXT})).run())
    assert [features for _, features in analyzer.calls[5:]] == [frozenset({Feature.TEXT})] * 5


def test_a_new_model_version_re_analyzes_only_when_asked(library) -> None:
    run(AnalysisRun(library.catalog, RecordingAnalyzer("1")).run())
    newer = RecordingAnalyzer("2")
    assert run(AnalysisRun(library.catalog, newer).run()).analyzed == 0
    assert run(AnalysisRun(library.catalog, newer, refresh=True).run()).analyzed == 5
    assert len(newer.calls) == 5


def test_an_image_that_cannot_be_analyzed_is_recorded_and_never_retried(library) -> None:
    tiny = 60  # tiny_60x40_horses.jpg
    analyzer = RecordingAnalyzer(
        fail_on={tiny: AnalysisError("image too small (60 x 40 px; at least 80 needed)")}
    )
    report = run(AnalysisRun(library.catalog, analyzer).run())
    assert report.analyzed == 4
    assert [Path(f["path"]).name for f in report.failed] == ["tiny_60x40_horses.jpg"]
    assert "too small" in report.failed[0]["error"]
    again = run(AnalysisRun(library.catalog, analyzer).run())
    assert again.analyzed == 0 and again.failed == [] and len(analyzer.calls) == 5


def test_a_transient_error_leaves_the_photo_pending_for_the_next_run(library) -> None:
    flaky = RecordingAnalyzer(fail_on={60: TransientAnalysisError("connection reset")})
    report = run(AnalysisRun(library.catalog, flaky).run())
    assert report.analyzed == 4 and report.pending == 1
    healed = RecordingAnalyzer()
    assert run(AnalysisRun(library.catalog, healed).run()).analyzed == 1


def test_a_fatal_error_stops_the_run_with_its_message_and_keeps_finished_work(library) -> None:
    class ExpiringAnalyzer(RecordingAnalyzer):
        def analyze(self, image: bytes, features: frozenset[Feature]) -> AnalysisResult:
            if len(self.calls) == 3:
                raise FatalAnalysisError("AWS credentials were rejected: fix them")
            return super().analyze(image, features)

    analyzer = ExpiringAnalyzer()
    with pytest.raises(AnalysisStopped, match="credentials were rejected"):
        run(AnalysisRun(library.catalog, analyzer, workers=1).run())
    stored = library.catalog.scalar("SELECT count(DISTINCT hash) FROM analyses WHERE status = 'done'")
    assert stored == 3
    assert library.catalog.scalar("SELECT count(*) FROM analyses WHERE status = 'failed'") == 0


def test_cancel_stops_between_photos_and_the_next_run_resumes(library) -> None:
    analyzer = RecordingAnalyzer()
    cancel = CancelToken()
    job = AnalysisRun(library.catalog, analyzer, workers=1).run(cancel)
    progress = next(job)
    while progress.done < 2:
        progress = next(job)
    cancel.cancel()
    with pytest.raises(Cancelled):
        run(job)
    before = len(analyzer.calls)
    resumed = run(AnalysisRun(library.catalog, analyzer).run())
    assert resumed.analyzed == 5 - resumed.skipped
    assert len(analyzer.calls) - before == resumed.analyzed  # nothing finished was asked again
    assert resumed.skipped >= 2


def test_limit_analyzes_at_most_n_contents(library) -> None:
    report = run(AnalysisRun(library.catalog, RecordingAnalyzer(), limit=2).run())
    assert report.analyzed == 2 and report.pending == 0


# -- files that vanish, and runs that overlap ----------------------------------------------------------


def failures(library) -> list[str]:
    return [row[0] for row in library.catalog.query("SELECT error FROM analyses WHERE status = 'failed'")]


def test_a_photo_moved_during_the_run_is_not_marked_and_is_analyzed_once_found_again(
    library, photo_folder: Path
) -> None:
    target = photo_folder / "cat_and_dog.jpeg"
    elsewhere = photo_folder / "sub" / "cat_and_dog.jpeg"

    def load_after_a_move(path: str) -> bytes:
        if Path(path) == target and target.exists():  # moved between listing the work and reading it
            elsewhere.parent.mkdir()
            target.rename(elsewhere)
        return analysis_jpeg(path)

    analyzer = RecordingAnalyzer()
    report = run(AnalysisRun(library.catalog, analyzer, load_image=load_after_a_move).run())
    assert (report.analyzed, report.pending) == (4, 1)
    assert "gone" in report.failed[0]["error"] and "will retry" in report.failed[0]["error"]
    assert failures(library) == []  # nothing recorded against the content

    run(library.scan())  # finds it in its new place
    again = run(AnalysisRun(library.catalog, analyzer).run())
    assert (again.analyzed, again.failed) == (1, [])
    assert library.analysis_of(library.photo_by_path(str(elsewhere))).labels


@pytest.mark.parametrize(
    "fault",
    [
        FileNotFoundError(errno.ENOENT, "No such file or directory"),
        PermissionError(errno.EACCES, "Permission denied"),
        OSError(errno.EIO, "Input/output error"),
        OSError(errno.ENOSPC, "No space left on device"),
    ],
)
def test_an_environment_fault_reading_a_photo_leaves_it_pending(library, fault: OSError) -> None:
    def broken_machine(path: str) -> bytes:
        if "cat_and_dog" in path:
            try:
                raise fault
            except OSError:  # as imaging wraps it: the OS error is kept as the context
                raise UnreadablePhoto(f"not a readable image ({fault})") from None
        return analysis_jpeg(path)

    report = run(AnalysisRun(library.catalog, RecordingAnalyzer(), load_image=broken_machine).run())
    assert (report.analyzed, report.pending) == (4, 1) and failures(library) == []
    assert run(AnalysisRun(library.catalog, RecordingAnalyzer()).run()).analyzed == 1


def test_bytes_that_are_not_an_image_are_recorded_once(library) -> None:
    def bad_bytes(path: str) -> bytes:
        if "cat_and_dog" in path:
            raise UnreadablePhoto("not a readable image (cannot identify image file)")
        return analysis_jpeg(path)

    report = run(AnalysisRun(library.catalog, RecordingAnalyzer(), load_image=bad_bytes).run())
    assert report.analyzed == 4 and len(failures(library)) == 3  # one per feature
    assert run(AnalysisRun(library.catalog, RecordingAnalyzer()).run()).analyzed == 0


def test_failures_earlier_versions_recorded_for_missing_files_are_forgotten_on_upgrade(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from photosorter.core.catalog import Catalog, schema

    path = home / "old.sqlite3"
    claims_step = schema.STEPS.index(schema.v6_analysis_claims.migrate)
    old_errors = {
        "a": "cannot make analysis image: not a readable image ([Errno 2] No such file or directory: '/a')",
        "b": "cannot make analysis image: cannot read file (Permission denied)",
        "c": "cannot make analysis image: not a readable image (cannot identify image file <_io.BytesIO>)",
        "d": "the image is 60x40 px; Rekognition needs at least 80 px on each side",
    }
    with monkeypatch.context() as old_version:  # a catalog as the version before claims wrote it
        old_version.setattr(schema, "STEPS", schema.STEPS[:claims_step])
        old_version.setattr(schema, "SCHEMA_VERSION", claims_step)
        with Catalog(path) as catalog, catalog.transaction() as conn:
            conn.executemany(
                "INSERT INTO analyses (hash, backend, feature, model_version, status, error, analyzed_at)"
                " VALUES (?, 'local', 'labels', '1', 'failed', ?, 'now')",
                old_errors.items(),
            )
    with Catalog(path) as catalog:
        kept = {row[0] for row in catalog.query("SELECT hash FROM analyses")}
    assert kept == {"c", "d"}  # content problems stay recorded; missing or unreadable files do not


@pytest.fixture
def bigger_library(library, photo_folder: Path):
    shutil.copytree(
        Path(__file__).parent / "data" / "analysis",
        photo_folder / "more",
        ignore=shutil.ignore_patterns("*.md"),
    )
    run(library.scan())
    return library


def test_two_runs_at_once_split_the_work_and_analyze_each_content_once(bigger_library) -> None:
    from photosorter.core.catalog import Catalog

    both_started = threading.Barrier(2, timeout=30)

    class Meeting(RecordingAnalyzer):
        def analyze(self, image: bytes, features: frozenset[Feature]) -> AnalysisResult:
            if not self.calls:
                both_started.wait()  # each run holds work of its own before either finishes any
            return super().analyze(image, features)

    analyzers = [Meeting(), Meeting()]
    reports: list = [None, None]

    def analyze(i: int) -> None:
        with Catalog(bigger_library.catalog.path) as catalog:  # its own connections, as another process
            reports[i] = run(AnalysisRun(catalog, analyzers[i], workers=2).run())

    threads = [threading.Thread(target=analyze, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    calls = [len(a.calls) for a in analyzers]
    assert sum(calls) == 11 and min(calls) >= 1, calls  # 11 contents, each analyzed by one run only
    assert sum(r.analyzed for r in reports) == 11
    assert bigger_library.catalog.scalar("SELECT count(*) FROM analysis_claims") == 0


def test_a_claim_of_a_dead_process_is_taken_over_and_a_live_one_is_respected(library) -> None:
    import socket
    import time

    def claim_everything(owner: str, expires_at: float) -> None:
        with library.catalog.transaction() as conn:
            conn.execute("DELETE FROM analysis_claims")
            conn.executemany(
                "INSERT INTO analysis_claims (hash, backend, feature, owner, expires_at)"
                " SELECT DISTINCT hash, 'recording', ?, ?, ? FROM photos",
                [(f.value, owner, expires_at) for f in ALL],
            )

    later = time.time() + 600
    claim_everything("another-machine:1:run", later)  # alive as far as anyone here can tell
    busy = run(AnalysisRun(library.catalog, RecordingAnalyzer()).run())
    assert (busy.analyzed, busy.elsewhere) == (0, 5)

    claim_everything(f"{socket.gethostname()}:999999999:run", later)  # a killed process of this machine
    assert run(AnalysisRun(library.catalog, RecordingAnalyzer(), limit=2).run()).analyzed == 2

    claim_everything("another-machine:1:run", time.time() - 1)  # its lease ran out
    assert run(AnalysisRun(library.catalog, RecordingAnalyzer()).run()).analyzed == 3


def test_a_working_run_renews_its_claims_so_a_slow_photo_is_not_taken_over(library, monkeypatch) -> None:
    import time

    from photosorter.core.analysis import lease
    from photosorter.core.catalog import Catalog

    # The lease must outlast the longest pause a loaded machine gives the renewing thread (at 0.3 s it
    # lapsed 1 run in ~10 under a load of 20); the test still waits past the first lease's end.
    monkeypatch.setattr(lease, "LEASE_SECONDS", 2.0)
    monkeypatch.setattr(lease, "RENEW_SECONDS", 0.05)
    started, release = threading.Event(), threading.Event()

    class Slow(RecordingAnalyzer):
        def analyze(self, image: bytes, features: frozenset[Feature]) -> AnalysisResult:
            started.set()
            release.wait(30)
            return super().analyze(image, features)

    slow = Slow()
    thread = threading.Thread(
        target=lambda: run(AnalysisRun(library.catalog, slow, workers=1, limit=1).run())
    )
    thread.start()
    try:
        assert started.wait(30)
        first_lease_ends = library.catalog.scalar("SELECT max(expires_at) FROM analysis_claims")
        while time.time() < first_lease_ends + 0.1:  # the slow photo outlives its first lease
            time.sleep(0.01)
        other = RecordingAnalyzer()
        with Catalog(library.catalog.path) as catalog:
            report = run(AnalysisRun(catalog, other).run())
    finally:
        release.set()
        thread.join()
    assert (report.analyzed, report.elsewhere) == (4, 1)
    assert len(slow.calls) + len(other.calls) == 5
