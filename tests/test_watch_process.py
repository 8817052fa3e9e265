"""The live library as a process: kill -9 mid-burst, restart, the same end state, nothing paid twice.

Run as a script, this file is the child process: a LiveLibrary with an analyzer that logs each call
to a file (a test-only analyzer lives here, never in the app).
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

SRC = Path(__file__).parents[1] / "src"


class LoggingAnalyzer:
    """Logs each answered call (one line per analysis image); hangs forever on call number ``hang_at``."""

    name = "logging"

    def __init__(self, log: Path, hang_at: int, marker: Path) -> None:
        from photosorter.core.analysis.types import Feature

        self.default_features = frozenset({Feature.LABELS})
        self.log, self.hang_at, self.marker = log, hang_at, marker
        self.count = 0
        self._lock = threading.Lock()

    def model_version(self, feature) -> str:
        return "1"

    def analyze(self, image: bytes, features):
        from photosorter.core.analysis.types import AnalysisResult, Label

        with self._lock:
            self.count += 1
            if self.count == self.hang_at:
                self.marker.touch()
                threading.Event().wait()  # stuck in a call: never answered, never logged
            with open(self.log, "a") as out:
                out.write(hashlib.sha1(image).hexdigest() + "\n")
        return AnalysisResult(self.name, features, labels=(Label("Thing", 90.0),))


def child(home: str, log: str, hang_at: str, marker: str) -> None:
    from photosorter.core.library import Library
    from photosorter.core.live import LiveLibrary

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with Library.open(home) as library:
        analyzer = LoggingAnalyzer(Path(log), int(hang_at), Path(marker))
        with LiveLibrary(library, analyzer=analyzer, analysis_workers=1):
            print("started", flush=True)
            stop.wait()


if __name__ == "__main__":
    child(*sys.argv[1:])
    sys.exit(0)


# -- the tests ---------------------------------------------------------------------------------------------
import pytest  # noqa: E402

from photosorter.core.catalog import Catalog  # noqa: E402
from photosorter.core.library import Library  # noqa: E402
from test_watch import in_catalog, jpeg, on_disk, wait_for  # noqa: E402


def start_child(home: Path, log: Path, hang_at: int, marker: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, __file__, str(home), str(log), str(hang_at), str(marker)],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONPATH": f"{SRC}{os.pathsep}{Path(__file__).parent}"},
    )
    assert process.stdout.readline().strip() == "started"
    return process


def analyzed_contents(catalog: Catalog) -> int:
    return int(catalog.scalar("SELECT count(DISTINCT hash) FROM analyses"))


@pytest.fixture
def library_home(home: Path, tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "card"
    folder.mkdir()
    with Library.open(home) as library:
        library.add_folder(folder)
    return home, folder


def test_kill_9_during_a_burst_then_restart_ends_in_the_same_state_with_no_call_twice(
    library_home: tuple[Path, Path], tmp_path: Path
) -> None:
    home, folder = library_home
    log, marker = tmp_path / "calls.log", tmp_path / "stuck"
    first = start_child(home, log, hang_at=40, marker=marker)
    try:
        for index in range(1000):
            (folder / f"IMG_{index:04}.jpg").write_bytes(jpeg(index))
        wait_for(marker.exists, timeout=30, what="the analyzer's 40th call")
        with Library.open(home) as library:
            wait_for(lambda: analyzed_contents(library.catalog) == 39, what="the 39 answers to be stored")
            for index in range(1000, 2000):  # the second half of the card arrives while the first is analyzed
                (folder / f"IMG_{index:04}.jpg").write_bytes(jpeg(index))
            wait_for(
                lambda: len(in_catalog(library)) > 1000, timeout=30, what="the second half to be scanned"
            )
            scanned = len(in_catalog(library))
            first.send_signal(signal.SIGKILL)  # in the middle of reading the second half
            jobs = library.catalog.scalar("SELECT count(*) FROM jobs")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    print(f"killed with {scanned} of 2000 photos in the catalog, {jobs} jobs queued, 39 analyzed")

    second = start_child(home, log, hang_at=0, marker=marker)
    try:
        with Library.open(home) as library:
            wait_for(lambda: in_catalog(library) == on_disk(folder), timeout=30, what="the catalog to match")
            wait_for(lambda: analyzed_contents(library.catalog) == 2000, timeout=30, what="all analyzed")
            wait_for(lambda: library.catalog.scalar("SELECT count(*) FROM jobs") == 0, what="an empty queue")
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=20) == 0
    calls = log.read_text().split()
    assert len(calls) == 2000 and len(set(calls)) == 2000  # every content once, none twice


def test_watch_prints_json_lines_and_stops_cleanly_on_ctrl_c(library_home: tuple[Path, Path]) -> None:
    home, folder = library_home
    process = subprocess.Popen(
        [sys.executable, "-m", "photosorter", "--home", str(home), "watch", "--json", "--no-analyze"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONPATH": str(SRC)},
    )
    try:
        time.sleep(1.0)  # the interpreter starting and the watch being set up
        (folder / "new.jpg").write_bytes(jpeg(5, 32))
        ready, _, _ = select.select([process.stdout], [], [], 10)
        assert ready, "no line from `photosorter watch` within 10 s"
        line = json.loads(process.stdout.readline())
        assert line == {
            "event": "added",
            "message": f"added {folder / 'new.jpg'}",
            "path": str(folder / "new.jpg"),
        }
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
