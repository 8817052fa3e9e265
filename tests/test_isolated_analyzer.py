"""The analyzer the desktop app uses: the local analyzer in worker processes, same answers."""

from __future__ import annotations

import threading
import time
from functools import partial
from pathlib import Path

import pytest

from photosorter.core.analysis.isolated import ProcessAnalyzer
from photosorter.core.analysis.local import LocalAnalyzer
from photosorter.core.analysis.types import (
    AnalysisError,
    AnalysisResult,
    Feature,
    Label,
    TransientAnalysisError,
)
from photosorter.core.imaging import analysis_jpeg

DATA = Path(__file__).parent / "data" / "analysis"


def test_worker_processes_give_the_same_result_and_errors_and_close_cleanly(tmp_path: Path) -> None:
    image = analysis_jpeg(str(DATA / "cat.jpg"))
    features = frozenset({Feature.LABELS, Feature.FACES})
    isolated = ProcessAnalyzer(partial(LocalAnalyzer, cache_dir=tmp_path), workers=1)
    try:
        assert isolated.name == "local"
        assert isolated.model_version(Feature.LABELS) == LocalAnalyzer().model_version(Feature.LABELS)
        remote = isolated.analyze(image, features)
        with pytest.raises(AnalysisError):
            isolated.analyze(b"not a jpeg at all", features)
    finally:
        isolated.close()
    here = LocalAnalyzer(cache_dir=tmp_path).analyze(image, features)
    assert [(label.name, round(label.confidence, 3)) for label in remote.labels] == [
        (label.name, round(label.confidence, 3)) for label in here.labels
    ]
    assert "Cat" in {label.name for label in remote.labels}


class EchoAnalyzer:
    """Answers with the image's length as a label: cheap, so the test is about the processes."""

    name = "echo"
    default_features = frozenset({Feature.LABELS})

    def model_version(self, feature: Feature) -> str:
        return "1"

    def analyze(self, image: bytes, features: frozenset[Feature]) -> AnalysisResult:
        return AnalysisResult(self.name, features, labels=(Label(f"len{len(image)}", 99.0),))


def test_a_killed_worker_leaves_that_photo_pending_and_the_next_one_gets_a_fresh_process() -> None:
    isolated = ProcessAnalyzer(EchoAnalyzer, workers=1)
    try:
        assert isolated.analyze(b"abc", frozenset({Feature.LABELS})).labels[0].name == "len3"
        for process in list(isolated._pool._processes.values()):  # what an out-of-memory kill does
            process.kill()
            process.join()
        with pytest.raises(TransientAnalysisError, match="ended unexpectedly"):
            isolated.analyze(b"abcd", frozenset({Feature.LABELS}))
        assert isolated.analyze(b"abcde", frozenset({Feature.LABELS})).labels[0].name == "len5"
    finally:
        isolated.close()


class StuckAnalyzer(EchoAnalyzer):
    """Signals that it started, then takes far longer than anyone would wait (a model load, a huge photo)."""

    def __init__(self, started: str) -> None:
        self.started = Path(started)

    def analyze(self, image: bytes, features: frozenset[Feature]) -> AnalysisResult:
        self.started.touch()
        time.sleep(3600)
        return super().analyze(image, features)


def test_stopping_now_ends_a_photo_in_flight_as_pending_instead_of_waiting_for_it(tmp_path: Path) -> None:
    started = tmp_path / "started"
    isolated = ProcessAnalyzer(partial(StuckAnalyzer, str(started)), workers=1)
    outcome: list[BaseException] = []

    def analyze() -> None:
        try:
            isolated.analyze(b"abc", frozenset({Feature.LABELS}))
        except BaseException as error:
            outcome.append(error)

    caller = threading.Thread(target=analyze)
    caller.start()
    deadline = time.monotonic() + 120  # a hang guard: the worker starts in well under a second
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert started.exists(), "the worker never started the photo"
    workers = list(isolated._pool._processes.values())

    isolated.stop_now()
    caller.join(120)  # without stop_now this waits the hour out
    assert not caller.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], TransientAnalysisError)  # the photo stays pending
    for process in workers:
        # the pool's own thread reaps its workers too: a join can return while that thread holds the exit
        # status, so wait until the process reads as ended (a hang guard, not a time limit under test)
        deadline = time.monotonic() + 60
        while process.is_alive() and time.monotonic() < deadline:
            process.join(0.1)
        assert not process.is_alive()
    with pytest.raises(TransientAnalysisError):  # nothing new starts after a stop
        isolated.analyze(b"abcd", frozenset({Feature.LABELS}))
    isolated.close()
