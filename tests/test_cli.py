"""The command-line contract other tools rely on: JSON shapes and exit codes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image


def test_scan_stats_show_contract(cli, home: Path, photo_folder: Path) -> None:
    scanned = cli("--home", home, "scan", photo_folder, "--json")
    assert scanned.code == 0, scanned.err
    report = scanned.json()
    assert {"added", "updated", "moved", "removed", "unchanged", "errors", "seconds"} <= set(report)
    assert report["added"] == 5 and report["errors"] == []

    rescan = cli("--home", home, "scan", "--json").json()
    assert (rescan["added"], rescan["unchanged"]) == (0, 5)

    stats = cli("--home", home, "stats", "--json").json()
    assert {"photos": 5, "folders": 1, "errors": 0, "missing": 0}.items() <= stats.items()

    shown = cli("--home", home, "show", photo_folder / "exif_orientation6_obama.jpg", "--json")
    assert shown.code == 0, shown.err
    data = shown.json()
    for key in ("id", "path", "hash", "size", "width", "height", "taken_at", "camera", "gps", "thumbnail"):
        assert key in data
    assert Path(data["thumbnail"]).is_file()
    assert data["path"] == str(photo_folder / "exif_orientation6_obama.jpg")


def test_home_comes_from_the_environment_too(cli, home: Path, photo_folder: Path) -> None:
    assert cli("scan", photo_folder, "--json").code == 0
    assert (home / "data" / "catalog.sqlite3").is_file()
    assert list((home / "cache" / "thumbs").rglob("*.jpg"))


def test_expected_failures_exit_1_with_one_line_and_usage_errors_exit_2(cli, tmp_path: Path) -> None:
    missing = cli("show", tmp_path / "nope.jpg")
    assert missing.code == 1 and missing.err.count("\n") == 1 and "not in the library" in missing.err
    not_a_folder = cli("scan", tmp_path / "no-such-folder")
    assert not_a_folder.code == 1 and "not a folder" in not_a_folder.err
    assert cli("scan").code == 1  # empty library: says how to add a folder
    assert cli("frobnicate").code == 2
    assert cli("scan", "--bogus").code == 2


def test_a_corrupt_catalog_is_reported_not_overwritten(cli, home: Path, photo_folder: Path) -> None:
    catalog = home / "data" / "catalog.sqlite3"
    catalog.parent.mkdir(parents=True)
    catalog.write_bytes(b"\0garbage" * 1000)
    result = cli("scan", photo_folder)
    assert result.code == 1 and "not a photosorter catalog" in result.err and "Traceback" not in result.err
    assert catalog.read_bytes() == b"\0garbage" * 1000


def test_python_dash_m_works(home: Path, photo_folder: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "photosorter", "--home", str(home), "stats", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and '"photos": 0' in done.stdout


def test_kill_9_mid_scan_leaves_a_sound_catalog_and_the_next_scan_finishes(
    home: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    base = Image.open(Path(__file__).parent / "data" / "photos" / "cat_and_dog.jpeg").convert("RGB")
    for i in range(400):
        tinted = base.copy()
        tinted.putpixel((i % base.width, 0), (i % 256, 255, 0))
        tinted.save(folder / f"p{i:04}.jpg", quality=80)
    command = [sys.executable, "-m", "photosorter", "--home", str(home), "scan", str(folder), "--json"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    catalog = home / "data" / "catalog.sqlite3"
    log = tmp_path / "scan.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, env=env)

    def committed() -> int:
        try:
            with sqlite3.connect(catalog) as conn:
                return conn.execute("SELECT count(*) FROM photos").fetchone()[0]
        except sqlite3.Error:  # not created yet, or still migrating
            return 0

    # the observable point: the scan's first batch is committed; then it is frozen where it stands
    # (SIGSTOP), so the kill lands mid-scan however busy the machine is
    deadline = time.monotonic() + 600  # a hang guard only
    while not (catalog.exists() and committed() > 0):
        assert process.poll() is None, f"the scan ended before committing anything: {log.read_text()}"
        assert time.monotonic() < deadline, "the scan never committed a batch"
        time.sleep(0.02)
    process.send_signal(signal.SIGSTOP)
    assert process.poll() is None, "the scan finished before it could be killed (too few photos)"
    process.send_signal(signal.SIGKILL)
    process.wait()

    with sqlite3.connect(catalog) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = conn.execute("SELECT count(*) FROM photos").fetchone()[0]
    assert 0 < stored < 400

    finish = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert finish.returncode == 0, finish.stderr
    import json

    report = json.loads(finish.stdout)
    assert report["added"] + report["unchanged"] + report["updated"] == 400
    assert report["added"] == 400 - stored
    with sqlite3.connect(catalog) as conn:
        assert conn.execute("SELECT count(*) FROM photos WHERE state = 'ok'").fetchone()[0] == 400


def test_show_prints_readable_lines_not_python_dicts(cli, home: Path, photo_folder: Path) -> None:
    from photosorter.core.analysis.types import AnalysisResult, Feature, Label, TextLine
    from photosorter.core.catalog.analysis import store_result
    from photosorter.core.library import Library

    assert cli("--home", home, "scan", photo_folder, "--json").code == 0
    with Library.open(home) as library:
        photo = library.photo_by_path(str((photo_folder / "cat_and_dog.jpeg").resolve()))
        result = AnalysisResult(
            "local",
            frozenset({Feature.LABELS, Feature.TEXT}),
            labels=(Label("Cat", 97.0, ("Animal",), (), ("Animals and Pets",)),),
            text=(TextLine("STOP", 99.0),),
        )
        store_result(library.catalog, photo.hash, result, {Feature.LABELS: "1", Feature.TEXT: "1"})
    shown = cli("--home", home, "show", photo_folder / "cat_and_dog.jpeg")
    assert shown.code == 0, shown.err
    assert "{" not in shown.out and "[" not in shown.out
    lines = [line.strip() for line in shown.out.splitlines()]
    assert "Cat 97%  (in Animal)" in lines
    assert "“STOP” 99%" in lines
    assert "faces: none" in lines
    assert "local labels: done (1)" in lines


def test_control_characters_in_file_names_are_escaped_in_text_output(
    cli, home: Path, photo_folder: Path
) -> None:
    """A file name is data, not terminal commands: ESC, CR and bidi overrides are printed escaped."""
    evil = "evil\x1b[2J\r\u202ename.jpg"
    (photo_folder / evil).write_bytes((photo_folder / "cat_and_dog.jpeg").read_bytes()[:-10])
    (photo_folder / "broken\x1b]0;pwned\x07.jpg").write_bytes(b"not a photo")
    outputs = [
        cli("--home", home, "scan", photo_folder),
        cli("--home", home, "show", photo_folder / evil),
        cli("--home", home, "search", "evil"),
    ]
    for result in outputs:
        assert "\x1b" not in result.out and "\r" not in result.out and "\u202e" not in result.out
        assert "\x1b" not in result.err
    assert "broken\\x1b]0;pwned\\x07.jpg" in outputs[0].out
    assert "evil\\x1b[2J\\x0d\\u202ename.jpg" in outputs[1].out
    assert "evil\\x1b[2J\\x0d\\u202ename.jpg" in outputs[2].out


def test_json_output_is_valid_utf8_for_non_utf8_names_and_queries(home: Path, photo_folder: Path) -> None:
    """Bytes that are not UTF-8 (a Latin-1 file name, a query typed in a Latin-1 terminal) come out as
    \\udcXX escapes in JSON (read back as the same str); never a traceback or invalid UTF-8."""
    folder = os.fsencode(photo_folder)
    latin = folder + b"/caf\xe9.jpg"
    with open(latin, "wb") as out:
        out.write((photo_folder / "cat_and_dog.jpeg").read_bytes())
    env = {**os.environ, "PHOTOSORTER_HOME": str(home), "PYTHONIOENCODING": "utf-8"}
    command = [sys.executable, "-m", "photosorter"]
    scan = subprocess.run([*command, "scan", folder, "--json"], env=env, capture_output=True, timeout=120)
    assert scan.returncode == 0, scan.stderr
    runs = {}
    for name, args in (("search", [b"search", b"caf\xe9", b"--json"]), ("show", [b"show", latin, b"--json"])):
        result = subprocess.run([*command, *args], env=env, capture_output=True, timeout=120)
        assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
        runs[name] = json.loads(result.stdout.decode("utf-8"))  # strict: invalid UTF-8 raises
    (hit,) = runs["search"]
    assert any("caf\udce9" in why for why in hit["why"])  # the query's own byte, escaped
    assert "caf" in hit["path"] and "caf" in runs["show"]["path"]
