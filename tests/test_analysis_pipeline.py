"""The analysis stage: each content analyzed once per backend and feature; failures kept; resumable."""

from __future__ import annotations

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
    assert dup["labels"][0]["name"] == "Cat" and dup["labels"][0]["parents"] == ["Animal", "Pet"]
    assert dup["text"][0]["text"] == "Musée du LOUVRE"
    assert dup["faces"][0]["box"] == {"left": 0.1, "top": 0.2, "width": 0.3, "height": 0.4}

    again = run(AnalysisRun(library.catalog, analyzer).run())
    assert (again.analyzed, again.skipped, len(analyzer.calls)) == (0, 5, 5)


def test_a_moved_photo_is_not_analyzed_again(library, photo_folder: Path) -> None:
    analyzer = RecordingAnalyzer()
    run(AnalysisRun(library.catalog, analyzer).run())
    (photo_folder / "cat_and_dog.jpeg").rename(photo_folder / "renamed.jpeg")
    run(library.scan())
    run(AnalysisRun(library.catalog, analyzer).run())
    assert len(analyzer.calls) == 5
    assert library.analysis_of(library.photo_by_path(str(photo_folder / "renamed.jpeg")))["labels"]


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
