"""A run against the Rekognition test server: every paid answer is stored as it arrives, so an outage,
a stop or a kill never makes a photo's call be paid twice; the collection is made once, before the workers."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from photosorter.core.analysis.pipeline import AnalysisRun, AnalysisStopped
from photosorter.core.analysis.rekognition import RekognitionAnalyzer
from photosorter.core.analysis.types import Feature
from photosorter.core.jobs import Cancelled, CancelToken, run_to_end
from photosorter.core.library import Library
from rekognition_server import FakeRekognition

DATA = Path(__file__).parent / "data"
FEATURES = frozenset({Feature.LABELS, Feature.FACES, Feature.TEXT})
BILLED = ("DetectLabels", "IndexFaces", "DetectText")


@pytest.fixture
def library(home: Path, tmp_path: Path):
    folder = tmp_path / "many"
    shutil.copytree(DATA / "analysis", folder, ignore=shutil.ignore_patterns("*.md"))
    shutil.copytree(DATA / "photos", folder / "more", ignore=shutil.ignore_patterns("*.md"))
    with Library.open(home) as library:
        library.add_folder(folder)
        run_to_end(library.scan())
        yield library


def analyzer(**kwargs) -> RekognitionAnalyzer:
    # one attempt: an outage is met at once instead of after botocore's back-off
    options = {"region": "us-east-1", "rate_limit": 0, "collection_id": "library", "max_attempts": 1}
    return RekognitionAnalyzer(**(options | kwargs))


def billed(fake: FakeRekognition) -> int:
    return sum(fake.served[op] for op in BILLED)


def stored(library: Library) -> int:
    return int(library.catalog.scalar("SELECT count(*) FROM analyses WHERE status = 'done'"))


def test_an_outage_mid_run_never_makes_a_photo_pay_twice(
    fake_rekognition: FakeRekognition, library: Library
) -> None:
    fake_rekognition.go_down_after(7)  # 7 answers (CreateCollection among them), then unreachable
    first = run_to_end(AnalysisRun(library.catalog, analyzer(), FEATURES, workers=4).run())
    # six answers can finish a photo (all three of its calls) before the outage: analyzed, not pending
    assert first.analyzed <= 2 and first.pending == 10 - first.analyzed
    assert all("will retry" in f["error"] or "80 px" in f["error"] for f in first.failed)
    assert stored(library) == billed(fake_rekognition) == 6  # every answer that arrived is kept

    fake_rekognition.restore()
    second = run_to_end(AnalysisRun(library.catalog, analyzer(), FEATURES, workers=4).run())
    assert second.failed == [] or all("80 px" in f["error"] for f in second.failed)
    assert fake_rekognition.served_twice() == {}
    per_operation = {op: fake_rekognition.served[op] for op in BILLED}
    assert per_operation == dict.fromkeys(BILLED, 10)  # 10 usable photos (the 60 x 40 one costs nothing)
    assert stored(library) == 30


def test_a_server_stopped_and_started_again_mid_run_pays_each_call_once(
    fake_rekognition: FakeRekognition, library: Library
) -> None:
    cancel = CancelToken()
    job = AnalysisRun(library.catalog, analyzer(), FEATURES, workers=3).run(cancel)
    while billed(fake_rekognition) < 4:
        next(job)
    fake_rekognition.stop()  # the service goes away with calls in flight, and the user stops the run
    cancel.cancel()
    with pytest.raises(Cancelled):
        run_to_end(job)
    assert 4 <= stored(library) == billed(fake_rekognition) < 30

    fake_rekognition.start()
    run_to_end(AnalysisRun(library.catalog, analyzer(), FEATURES).run())
    assert fake_rekognition.served_twice() == {}
    assert stored(library) == billed(fake_rekognition) == 30


def test_the_collection_is_made_once_before_the_workers_start(
    fake_rekognition: FakeRekognition, library: Library
) -> None:
    run_to_end(AnalysisRun(library.catalog, analyzer(), FEATURES, workers=8).run())
    assert fake_rekognition.calls["CreateCollection"] == fake_rekognition.served["CreateCollection"] == 1
    assert fake_rekognition.calls["IndexFaces"] == fake_rekognition.served["IndexFaces"] == 10


# -- the desktop app's live library runs the same pipeline ------------------------------------------------


def wait_for(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_the_live_library_pays_each_call_once_across_an_outage(
    fake_rekognition: FakeRekognition, library: Library
) -> None:
    from photosorter.core.live import LiveLibrary

    fake_rekognition.go_down_after(8)
    live = LiveLibrary(
        library, analyzer=analyzer(), analyze=True, features=FEATURES, pause_backoff=(0.1, 0.2)
    )
    with live:
        wait_for(lambda: live.status().paused_reason is not None, "analysis to pause in the outage")
        fake_rekognition.restore()
        wait_for(lambda: stored(library) == 30, "analysis to finish after the outage")
    assert fake_rekognition.served_twice() == {}
    assert billed(fake_rekognition) == 30


def unclustered_faces(library: Library) -> int:
    return int(
        library.catalog.scalar("SELECT count(*) FROM faces WHERE cluster_id IS NULL AND person_id IS NULL")
    )


def test_faces_of_a_run_the_budget_stopped_are_grouped(
    fake_rekognition: FakeRekognition, library: Library
) -> None:
    run = library.analysis_run(analyzer(budget=0.012), "labels,faces,text")
    with pytest.raises(AnalysisStopped, match="budget"):
        run_to_end(library.analyze(run))
    assert library.catalog.scalar("SELECT count(*) FROM faces") > 0
    assert unclustered_faces(library) == 0


def test_faces_of_a_live_run_the_budget_stopped_are_grouped(
    fake_rekognition: FakeRekognition, library: Library
) -> None:
    from photosorter.core.live import LiveLibrary

    live = LiveLibrary(
        library, analyzer=analyzer(budget=0.012), analyze=True, features=FEATURES, pause_backoff=(5.0, 5.0)
    )
    with live:
        wait_for(lambda: "budget" in (live.status().paused_reason or ""), "the budget to stop analysis")
        wait_for(lambda: unclustered_faces(library) == 0, "the faces to be grouped")
    assert library.catalog.scalar("SELECT count(*) FROM faces") > 0


# -- real processes: a kill -9, and two analyze commands at once -----------------------------------------


def _command(home: Path) -> tuple[list[str], dict[str, str]]:
    import os
    import sys

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return [sys.executable, "-m", "photosorter", "--home", str(home)], env


def _scanned_copy(home: Path, tmp_path: Path) -> None:
    import subprocess

    folder = tmp_path / "many"
    shutil.copytree(DATA / "analysis", folder, ignore=shutil.ignore_patterns("*.md"))
    shutil.copytree(DATA / "photos", folder / "more", ignore=shutil.ignore_patterns("*.md"))
    base, env = _command(home)
    subprocess.run([*base, "scan", str(folder)], check=True, env=env, capture_output=True, timeout=120)


def _stored_rows(home: Path) -> int:
    import sqlite3

    with sqlite3.connect(home / "data" / "catalog.sqlite3") as conn:
        return conn.execute("SELECT count(*) FROM analyses WHERE status = 'done'").fetchone()[0]


def test_kill_9_mid_run_repeats_only_the_calls_whose_answers_never_arrived(
    fake_rekognition: FakeRekognition, tmp_path: Path
) -> None:
    import signal
    import subprocess

    home = tmp_path / "killed"
    _scanned_copy(home, tmp_path)
    fake_rekognition.latency = 0.15
    base, env = _command(home)
    process = subprocess.Popen(
        [*base, "analyze", "--backend", "rekognition", "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: _stored_rows(home) >= 5, "five answers stored")
        fake_rekognition.gate.clear()  # the next calls wait at the service
        # every answer that reached the process is in the catalog, not only those of finished photos
        wait_for(lambda: _stored_rows(home) == billed(fake_rekognition), "each answer to be stored")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        fake_rekognition.gate.set()  # the calls in flight at the kill are answered (and paid) for nobody
    wait_for(lambda: fake_rekognition.active == 0, "the calls in flight at the kill to be answered")
    paid, kept = billed(fake_rekognition), _stored_rows(home)
    assert kept < 30 and paid - kept <= 5  # at most one call in flight per worker

    rerun = subprocess.run(
        [*base, "analyze", "--backend", "rekognition", "--json"], env=env, capture_output=True, timeout=300
    )
    assert rerun.returncode == 0, rerun.stderr
    repeated = sum(n - 1 for n in fake_rekognition.served_twice().values())
    assert repeated == paid - kept  # only answers lost with the process are asked again
    assert _stored_rows(home) == 30


def test_two_analyze_commands_at_once_split_the_work_and_pay_each_call_once(
    fake_rekognition: FakeRekognition, tmp_path: Path
) -> None:
    import json
    import subprocess

    home = tmp_path / "shared"
    _scanned_copy(home, tmp_path)
    base, env = _command(home)
    command = [*base, "analyze", "--backend", "rekognition", "--json"]
    fake_rekognition.gate.clear()  # calls wait until both commands have made some
    processes = [
        subprocess.Popen(
            command, env={**env, "AWS_SDK_UA_APP_ID": name}, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for name in ("first", "second")
    ]
    try:
        wait_for(lambda: fake_rekognition.waiting_apps == {"app/first", "app/second"}, "calls of both", 120)
    finally:
        fake_rekognition.gate.set()
    outputs = [p.communicate(timeout=300) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    reports = [json.loads(out) for out, _ in outputs]

    assert fake_rekognition.served_twice() == {}
    assert billed(fake_rekognition) == _stored_rows(home) == 30
    assert sum(r["analyzed"] for r in reports) == 10  # the 60 x 40 photo is refused before any call
    assert min(r["analyzed"] for r in reports) >= 1, reports  # both did part of the work
