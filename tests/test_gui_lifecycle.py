"""Worker threads of the window: nothing starts after shutdown, so nothing can outlive the window."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shiboken6

from photosorter.gui.workers import WORKER_NICE, Lane, Tasks, ThumbnailLoader, WorkerPool

PHOTO = Path(__file__).parent / "data" / "photos" / "cat_and_dog.jpeg"


def _worker_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("gui-worker")]


def test_a_pool_refuses_work_after_shutdown() -> None:
    pool = WorkerPool(threads=2)
    ran = threading.Event()
    assert pool.start(ran.set)
    assert pool.wait(10)
    pool.shutdown()
    ran.clear()
    assert not pool.start(ran.set)  # before the fix: a new executor, a new thread nobody joins
    assert not _worker_threads()
    assert pool.active() == 0
    assert not ran.is_set()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a nice value per thread is Linux's")
def test_workers_run_below_the_gui_thread_and_the_threads_they_start_no_lower() -> None:
    """Decoding thumbnails on every core must not keep the GUI thread waiting for one."""
    pool = WorkerPool(threads=2)
    seen: list[int] = []

    def nice() -> None:
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    def nice_and_start_more() -> None:
        nice()
        for lane in Lane:  # started from a worker: each lane's first thread is made here
            pool.start(nice, lane)

    assert pool.start(nice_and_start_more, Lane.TILES)
    assert pool.wait(10) and pool.wait(10)
    pool.shutdown()
    gui = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert len(seen) == 1 + len(Lane)
    assert set(seen) == {min(19, gui + WORKER_NICE)}
    assert gui == os.getpriority(os.PRIO_PROCESS, os.getpid())  # the GUI thread itself keeps its own


def test_a_closed_thumbnail_loader_starts_no_thread(qapp) -> None:
    pool = WorkerPool(threads=2)
    loader = ThumbnailLoader(pool, 64)
    loader.close()
    loader.request(1, str(PHOTO))  # a paint event during teardown asks for a tile
    assert loader.pending() == 0
    assert pool.active() == 0
    assert not _worker_threads()
    pool.shutdown()


def test_a_thumbnail_request_after_pool_shutdown_is_dropped(qapp) -> None:
    pool = WorkerPool(threads=2)
    loader = ThumbnailLoader(pool, 64)
    pool.shutdown()
    loader.request(1, str(PHOTO))
    assert not _worker_threads()
    loader.close()


def test_tasks_after_shutdown_run_nothing_and_keep_no_callback(qapp) -> None:
    pool = WorkerPool(threads=2)
    tasks = Tasks(pool)
    pool.shutdown()
    ran = threading.Event()
    tasks.run(ran.set, on_done=lambda _: None)
    assert not _worker_threads()
    assert not ran.is_set()
    assert not tasks._callbacks


def test_an_answer_for_a_deleted_dialog_is_dropped(qtbot) -> None:
    from PySide6.QtWidgets import QLabel

    pool = WorkerPool(threads=1)
    tasks = Tasks(pool)
    label = QLabel()
    release = threading.Event()
    shown: list[str] = []
    try:
        task = tasks.run(release.wait, lambda _r: shown.append(label.text()), owner=label)
        label.deleteLater()  # the dialog closed while its task still ran
        qtbot.waitUntil(lambda: not shiboken6.isValid(label))
        release.set()
        qtbot.waitUntil(lambda: task not in tasks._callbacks)  # the answer arrived and was dispatched
        assert shown == []  # before: "Internal C++ object already deleted" raised in the callback
    finally:
        release.set()
        pool.shutdown()


def test_background_work_never_holds_the_threads_the_gallery_waits_for() -> None:
    """At 100,000 photos the sidebar's counts and the backfill took every thread for seconds while the
    first screen's rows and tiles waited behind them: each lane has threads of its own."""
    pool = WorkerPool(threads=2)
    release = threading.Event()
    query, tile = threading.Event(), threading.Event()
    try:
        for _ in range(3):  # more slow background reads than the pool has threads
            assert pool.start(lambda: release.wait(30), Lane.BACKGROUND)
        assert pool.start(query.set, Lane.TASKS)
        assert pool.start(tile.set, Lane.TILES)
        assert query.wait(10) and tile.wait(10)
        assert not release.is_set() and pool.active() >= 1  # the background reads were still running
    finally:
        release.set()
        assert pool.wait(30)
        pool.shutdown()
    assert not _worker_threads()
