"""`analyze` and `show` end to end: local analyzer by default, Rekognition through a fake service."""

from __future__ import annotations

from pathlib import Path

import pytest

from photosorter.core.library import Library


@pytest.fixture
def scanned(cli, home: Path, photo_folder: Path) -> Path:
    assert cli("scan", photo_folder, "--json").code == 0
    return photo_folder


def test_local_analysis_by_default_then_show_gives_labels_faces_and_text(cli, scanned: Path) -> None:
    first = cli("analyze", "--json")
    assert first.code == 0, first.err
    report = first.json()
    assert set(report) >= {"analyzed", "skipped", "failed", "calls", "estimated_cost_usd"}
    assert report["analyzed"] == 4 and report["calls"] == {} and report["estimated_cost_usd"] == 0
    assert [Path(f["path"]).name for f in report["failed"]] == ["tiny_60x40_horses.jpg"]

    again = cli("analyze", "--json").json()
    assert (again["analyzed"], again["failed"]) == (0, [])

    cat = cli("show", scanned / "cat_and_dog.jpeg", "--json").json()
    names = {label["name"] for label in cat["labels"]}
    assert {"Animal", "Pet"} <= names and names & {"Cat", "Dog"}
    assert all({"name", "confidence", "parents", "categories"} <= set(label) for label in cat["labels"])
    portrait = cli("show", scanned / "exif_orientation6_obama.jpg", "--json").json()
    assert len(portrait["faces"]) == 1  # the frontal detector finds it only if the EXIF rotation was applied
    face = portrait["faces"][0]
    assert {"id", "box", "confidence", "attributes"} <= set(face)
    assert isinstance(portrait["text"], list) and isinstance(portrait["moderation"], list)


def test_rekognition_run_counts_calls_and_cost_and_never_pays_twice(
    cli, scanned: Path, fake_rekognition
) -> None:
    dry = cli("analyze", "--backend", "rekognition", "--dry-run", "--json")
    assert dry.code == 0 and fake_rekognition.total_calls == 0
    assert dry.json()["calls"] == {"DetectLabels": 5, "IndexFaces": 5, "DetectText": 5}
    assert dry.json()["estimated_cost_usd"] == pytest.approx(0.015)

    run = cli("analyze", "--backend", "rekognition", "--json")
    assert run.code == 0, run.err
    report = run.json()
    assert report["analyzed"] == 4  # the 60 x 40 photo is refused before any call
    assert report["calls"] == {"DetectLabels": 4, "IndexFaces": 4, "DetectText": 4, "CreateCollection": 1}
    # the collection is made once before the workers start: no call collided or was retried
    assert fake_rekognition.calls == fake_rekognition.served
    assert report["estimated_cost_usd"] == pytest.approx(0.012)
    billed = (
        fake_rekognition.served["DetectLabels"]
        + fake_rekognition.served["IndexFaces"]
        + fake_rekognition.served["DetectText"]
    )
    assert billed == 12

    assert cli("analyze", "--backend", "rekognition", "--json").json()["analyzed"] == 0
    assert fake_rekognition.served["DetectLabels"] == 4


def test_rekognition_budget_stops_before_it_is_exceeded(cli, scanned: Path, fake_rekognition) -> None:
    result = cli("analyze", "--backend", "rekognition", "--budget", "0.0065", "--json")
    assert result.code == 1 and "budget" in result.err and result.err.count("\n") == 1
    billed = sum(fake_rekognition.served[op] for op in ("DetectLabels", "IndexFaces", "DetectText"))
    assert billed * 0.001 <= 0.0065
    with Library.open() as library:  # what was paid for is kept: whole photos, the budget stops between them
        stored = library.catalog.scalar("SELECT count(*) FROM analyses WHERE status = 'done'")
        assert stored == billed and library.stats()["analyzed"] == billed // 3, fake_rekognition.served


def test_rejected_credentials_stop_the_run_with_what_to_fix(
    cli, scanned: Path, monkeypatch, fake_rekognition
) -> None:
    fake_rekognition.reject_keys.add("testing")
    result = cli("analyze", "--backend", "rekognition")
    assert result.code == 1
    assert "credentials" in result.err and "Traceback" not in result.err and result.err.count("\n") == 1
    with Library.open() as library:
        errors = {
            row[0] for row in library.catalog.query("SELECT error FROM analyses WHERE status = 'failed'")
        }
    # a credential problem marks no photo as unanalyzable (only the 60 x 40 one, refused before any call)
    assert len(errors) <= 1 and all("80 px" in error for error in errors)


def test_an_unknown_feature_is_a_clear_error(cli, scanned: Path) -> None:
    result = cli("analyze", "--features", "labels,colours")
    assert result.code == 1 and "unknown feature 'colours'" in result.err


def test_kill_9_mid_analysis_keeps_the_catalog_sound_and_the_next_run_repeats_nothing(
    home: Path, tmp_path: Path
) -> None:
    import json
    import os
    import shutil
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    folder = tmp_path / "many"
    shutil.copytree(
        Path(__file__).parent / "data" / "analysis", folder, ignore=shutil.ignore_patterns("*.md")
    )
    shutil.copytree(
        Path(__file__).parent / "data" / "photos", folder / "more", ignore=shutil.ignore_patterns("*.md")
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    base = [sys.executable, "-m", "photosorter", "--home", str(home)]
    subprocess.run([*base, "scan", str(folder)], check=True, env=env, capture_output=True, timeout=120)
    catalog = home / "data" / "catalog.sqlite3"

    def contents_done() -> int:
        with sqlite3.connect(catalog) as conn:
            return conn.execute("SELECT count(DISTINCT hash) FROM analyses").fetchone()[0]

    log = tmp_path / "analyze.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [*base, "analyze", "--json"], env=env, stdout=subprocess.DEVNULL, stderr=stderr
        )
    # the observable point: two results stored (models loaded, work under way), however long that takes
    deadline = time.monotonic() + 600  # a hang guard only
    while contents_done() < 2:
        assert process.poll() is None, f"analyze ended early: {log.read_text()}"
        assert time.monotonic() < deadline, "analyze never stored two results"
        time.sleep(0.05)
    process.send_signal(signal.SIGSTOP)  # frozen where it stands: the kill lands mid-run
    process.send_signal(signal.SIGKILL)
    process.wait()

    with sqlite3.connect(catalog) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finished = contents_done()
    assert 2 <= finished < 11
    rerun = subprocess.run([*base, "analyze", "--json"], env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert report["analyzed"] + len(report["failed"]) == 11 - finished  # nothing finished is done again
    assert report["skipped"] == finished


def _one_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    """An outage is met at once rather than after botocore's back-off (seconds per call)."""
    from photosorter.core.analysis.rekognition import RekognitionAnalyzer

    monkeypatch.setitem(RekognitionAnalyzer.__init__.__kwdefaults__, "max_attempts", 1)


def test_an_outage_mid_run_never_makes_analyze_pay_twice(
    cli, scanned: Path, fake_rekognition, monkeypatch: pytest.MonkeyPatch
) -> None:
    _one_attempt(monkeypatch)
    fake_rekognition.go_down_after(3)  # three answers, then the service is unreachable
    first = cli("analyze", "--backend", "rekognition", "--features", "labels,text", "--json")
    assert first.json()["pending"] >= 3, first.out
    fake_rekognition.restore()
    second = cli("analyze", "--backend", "rekognition", "--features", "labels,text", "--json")
    assert second.code == 0, second.err
    assert fake_rekognition.served_twice() == {}
    assert (fake_rekognition.served["DetectLabels"], fake_rekognition.served["DetectText"]) == (4, 4)


def test_a_run_where_every_photo_failed_exits_1_with_one_line(
    cli, scanned: Path, fake_rekognition, monkeypatch: pytest.MonkeyPatch
) -> None:
    _one_attempt(monkeypatch)
    fake_rekognition.go_down_after(0)
    result = cli("analyze", "--backend", "rekognition", "--features", "labels")
    assert result.code == 1
    assert result.err.startswith("photosorter: no photo analyzed: 5 failed") and result.err.count("\n") == 1
    fake_rekognition.restore()
    assert cli("analyze", "--backend", "rekognition", "--features", "labels").code == 0


def test_a_large_local_run_analyzes_in_worker_processes_and_ends_them(
    cli, scanned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from photosorter.cli import analysis_commands
    from photosorter.core.analysis import isolated

    monkeypatch.setattr(analysis_commands, "PROCESSES_FROM", 3)  # 5 photos pending: "large"
    pools = []
    real_pool = isolated.process_pool

    def recording_pool(*args, **kwargs):
        pools.append(real_pool(*args, **kwargs))
        return pools[-1]

    monkeypatch.setattr(isolated, "process_pool", recording_pool)
    run = cli("analyze", "--json")
    assert run.code == 0, run.err
    assert run.json()["analyzed"] == 4
    assert len(pools) == 1
    assert pools[0]._shutdown_thread  # the workers were told to end with the run, not left for exit
    cat = cli("show", scanned / "cat_and_dog.jpeg", "--json").json()
    assert {"Animal", "Pet"} <= {label["name"] for label in cat["labels"]}


def test_a_new_local_model_version_is_redone_only_with_refresh_and_the_dry_run_says_so(
    cli, scanned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from photosorter.core.analysis.local import faces

    assert cli("analyze", "--features", "faces", "--json").json()["analyzed"] == 4
    monkeypatch.setattr(faces, "MODEL_VERSION", faces.MODEL_VERSION + "-newer")
    assert cli("analyze", "--features", "faces", "--json").json()["analyzed"] == 0
    dry = cli("analyze", "--features", "faces", "--refresh", "--dry-run", "--json").json()
    # the photo too small to analyze is tried again too: its refusal was the older model's
    assert (dry["to_analyze"], dry["estimated_cost_usd"]) == (5, 0.0)
    redone = cli("analyze", "--features", "faces", "--refresh", "--json").json()
    assert (redone["analyzed"], len(redone["failed"])) == (4, 1)
