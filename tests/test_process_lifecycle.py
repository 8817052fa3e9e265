"""The app's processes end cleanly: signals quit the GUI and `watch`, and no worker outlives its parent.

Each test runs the real `photosorter` in a subprocess and waits for an observable point (its signal
handlers installed, its worker processes running) before it signals; timeouts only guard against hangs.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")

PHOTOS = Path(__file__).parent / "data" / "photos"
HANG = 90.0  # seconds: only a hang takes this long, even on a loaded machine


def _status(pid: int) -> dict[str, str]:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


def _alive(pid: int) -> bool:
    state = _status(pid).get("State", "")
    return bool(state) and not state.startswith(("Z", "X"))


def descendants(pid: int) -> dict[int, str]:
    """Every living process below ``pid``, with its command line."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            ppid = _status(int(entry.name)).get("PPid")
            if ppid is not None and _alive(int(entry.name)):
                parents[int(entry.name)] = int(ppid)
    found: dict[int, str] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                try:
                    found[child] = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                except OSError:
                    continue
                frontier.append(child)
    return found


def workers(pid: int) -> dict[int, str]:
    return {p: cmd for p, cmd in descendants(pid).items() if "spawn_main" in cmd}


def catches(pid: int, signum: int) -> bool:
    """True once the process has a handler for ``signum`` (its SigCgt mask in /proc)."""
    mask = _status(pid).get("SigCgt")
    return mask is not None and bool(int(mask, 16) & (1 << (signum - 1)))


def wait_until(condition: Callable[[], bool], what: str, timeout: float = HANG) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def wait_ended(pids: list[int], timeout: float = HANG) -> list[int]:
    """Waits for each process to end (a pidfd becomes readable when it exits); the ones still running."""
    deadline = time.monotonic() + timeout
    for pid in pids:
        try:
            handle = os.pidfd_open(pid)
        except (AttributeError, OSError):  # gone already, or no pidfd: watch /proc instead
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            continue
        try:
            select.select([handle], [], [], max(0.0, deadline - time.monotonic()))
        finally:
            os.close(handle)
    return [pid for pid in pids if _alive(pid)]


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PHOTOSORTER_HOME=str(home))
    env.pop("DISPLAY", None)
    return env


def _photosorter(*args: str) -> list[str]:
    return [sys.executable, "-m", "photosorter", *args]


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    for photo in PHOTOS.iterdir():
        if photo.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp"}:
            shutil.copy(photo, folder / photo.name)
    return folder


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen]]:
    """Processes a test started, each leading its own group; whatever a failed test left (the process,
    or the orphans this file is about) is killed with that group."""
    processes: list[subprocess.Popen] = []
    yield processes
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def start_gui(home: Path, photos: Path, started: list, analyze: bool) -> subprocess.Popen:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config").mkdir(exist_ok=True)
    (home / "config" / "settings.json").write_text(json.dumps({"analyze_after_scan": analyze}))
    process = subprocess.Popen(
        _photosorter("--home", str(home), "gui", str(photos)),
        env=_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a terminal gives it; the fixture can clean up
    )
    started.append(process)
    return process


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
def test_the_gui_quits_cleanly_on_a_signal_and_leaves_no_process(tmp_path, photos, started, signum) -> None:
    gui = start_gui(tmp_path / "home", photos, started, analyze=False)
    wait_until(
        lambda: bool(workers(gui.pid)) and catches(gui.pid, signum), "the scan worker and the handlers"
    )
    below = list(descendants(gui.pid))
    # Ctrl-C in a terminal signals the whole foreground group: the workers get it too
    os.killpg(gui.pid, signum)
    _, stderr = gui.communicate(timeout=HANG)
    assert gui.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr, stderr.decode()
    assert wait_ended(below) == []


def test_the_workers_end_when_the_gui_is_killed(tmp_path, photos, started) -> None:
    """kill -9 leaves the app no chance to stop its pools: the workers notice their parent is gone."""
    gui = start_gui(tmp_path / "home", photos, started, analyze=True)
    # the scan worker, then the analysis workers (one per core) once the first photos wait for analysis
    wait_until(lambda: len(workers(gui.pid)) >= 2, "the scan and analysis workers")
    below = list(descendants(gui.pid))
    gui.kill()
    gui.wait()
    assert wait_ended(below) == [], "orphaned: " + ", ".join(descendants(1).get(p, str(p)) for p in below)


ORPHAN_PARENT = """
import os, sys
from photosorter.core.worker_processes import process_pool

if __name__ == "__main__":
    pool = process_pool(2)
    pids = {pool.submit(os.getpid).result() for _ in range(8)}
    print(" ".join(map(str, sorted(pids))), flush=True)
    sys.stdin.read()  # until killed
"""

POLLING_PARENT = """
import multiprocessing, os, sys, time
from photosorter.core.worker_processes import end_with_parent

def child(parent):
    end_with_parent(parent, kernel_signal=False)  # the portable watchdog, as off Linux
    time.sleep(600)

if __name__ == "__main__":
    process = multiprocessing.get_context("spawn").Process(target=child, args=(os.getpid(),))
    process.start()
    print(process.pid, flush=True)
    sys.stdin.read()  # until killed
"""


DECODER_PARENT = """
import os, sys
from photosorter.core.video.bounded import Workers

if __name__ == "__main__":
    workers = Workers(2)
    workers.call(os.getpid)  # a decoder worker, started lean, is running
    print(*(w.process.pid for w in workers._idle), flush=True)
    sys.stdin.read()  # until killed
"""


@pytest.mark.parametrize(
    "script",
    [ORPHAN_PARENT, POLLING_PARENT, DECODER_PARENT],
    ids=["parent-death-signal", "polling", "video-decoder"],
)
def test_worker_processes_end_with_their_parent(tmp_path, started, script) -> None:
    (tmp_path / "parent.py").write_text(script)
    parent = subprocess.Popen(
        [sys.executable, str(tmp_path / "parent.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    started.append(parent)
    children = [int(pid) for pid in parent.stdout.readline().split()]
    assert children and all(_alive(pid) for pid in children)
    below = list(descendants(parent.pid))  # the workers and multiprocessing's resource tracker
    parent.kill()
    parent.wait()
    assert wait_ended(below) == []


def test_watch_stops_cleanly_on_sigterm_and_sighup(tmp_path, photos, started) -> None:
    home = tmp_path / "home"
    scan = subprocess.run(_photosorter("--home", str(home), "scan", str(photos)), env=_env(home), check=False)
    assert scan.returncode == 0
    for signum in (signal.SIGTERM, signal.SIGHUP):
        watch = subprocess.Popen(
            _photosorter("--home", str(home), "watch", "--no-analyze"),
            env=_env(home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        started.append(watch)
        wait_until(lambda w=watch, s=signum: catches(w.pid, s), f"watch to handle {signum.name}")
        watch.send_signal(signum)
        _, stderr = watch.communicate(timeout=HANG)
        assert watch.returncode == 0, (signum.name, stderr.decode())
        assert b"Traceback" not in stderr


def test_workers_outlive_the_thread_that_started_them() -> None:
    """Linux signals a child when the *thread* that started it ends: that must not end a worker whose
    parent process lives on (the app starts pools from job threads)."""
    import threading

    from photosorter.core.worker_processes import process_pool

    pool = process_pool(1)
    first: list[int] = []
    starter = threading.Thread(target=lambda: first.append(pool.submit(os.getpid).result()))
    starter.start()
    starter.join()
    try:
        assert pool.submit(os.getpid).result(timeout=HANG) == first[0]  # the same worker, still there
    finally:
        pool.shutdown()
