"""Work off the GUI thread: one-shot tasks, the thumbnail loader and the job runner.

Workers hand back plain Python data, bytes or ``QImage`` (never ``QPixmap``,
which belongs to the GUI thread); results arrive through queued signals.

Threads are Python threads, not QThread/QThreadPool: Python 3.11 registers a
foreign thread that ever runs Python as a "dummy" thread forever, so Qt-owned
threads would look leaked to the test suite and could never be joined. Ours are
joined when the window closes.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from enum import Enum
from typing import Any

import shiboken6
from PIL import Image, ImageOps
from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPainterPath

from photosorter.core.analysis.types import AnalysisError, FatalAnalysisError, TransientAnalysisError
from photosorter.core.errors import PhotosorterError
from photosorter.core.jobs import Cancelled, CancelToken, Job, Progress

GIL_SWITCH_SECONDS = 0.001  # Python's default is 5 ms: see favour_gui_thread
WORKER_NICE = 10  # how much lower than the GUI thread worker threads are scheduled: see yield_cores
LOADER_BATCH = 8  # tiles a loader makes before it lets queued tasks (queries) have the thread
PROGRESS_INTERVAL = 0.1  # seconds between progress signals: enough for a smooth bar, light on the GUI


# errors whose message is written for the user (credentials, budget, network): shown without a class name
_USER_ERRORS = (PhotosorterError, AnalysisError, FatalAnalysisError, TransientAnalysisError)


def describe(error: BaseException) -> str:
    if isinstance(error, _USER_ERRORS) and str(error):
        return str(error)
    return f"{type(error).__name__}: {error}"


def favour_gui_thread() -> None:
    """Shortens how long a busy worker may keep the GIL (Python's default: 5 ms).

    PySide releases the GIL around every call into Qt, and a thread that wants it back waits for the
    holder's switch interval. Painting a screen of thumbnails makes hundreds of such calls, so while a
    scan or hashing thread runs Python, 5 ms per handover added up to 100-300 ms GUI stalls (measured
    in benchmarks/bench_gui.py). Workers lose a little throughput; the window stays smooth.
    """
    if sys.getswitchinterval() > GIL_SWITCH_SECONDS:
        sys.setswitchinterval(GIL_SWITCH_SECONDS)


def yield_cores() -> None:
    """Lowers the calling worker thread's CPU priority, so the GUI thread gets a core the moment it wakes.

    While the grid scrolls, the thumbnail workers decode on every core; the GUI thread then waited for
    a core of its own for most of each stall over 50 ms (benchmarks/bench_gui.py --profile splits each
    stall into running, waiting for a core and blocked). Linux keeps a nice value per thread, and
    threads and processes a worker starts inherit it (a scan's threads, the hashing processes).
    Elsewhere the call changes nothing: the value would apply to the whole process, GUI included.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):  # a sandbox may refuse it: only smoothness is lost
            # below the GUI thread's (the process id names the main thread), not below its own: a worker
            # that starts a pool thread would otherwise push it down twice
            gui = os.getpriority(os.PRIO_PROCESS, os.getpid())
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(19, gui + WORKER_NICE))


class Lane(Enum):
    """Which threads of the pool run a piece of work: each lane has its own, so slow work of one kind
    never holds the threads another kind is waiting for."""

    TASKS = "gui-worker"  # queries and reads the window waits for
    TILES = "gui-worker-tiles"  # the thumbnail loader: the first screen's tiles never queue behind a query
    BACKGROUND = "gui-worker-background"  # one thread: the sidebar's counts, the backfill (seconds each)


class WorkerPool:
    """A few worker threads for short GUI tasks (queries, image decoding); ``shutdown`` joins them.

    Work runs in lanes (see ``Lane``): at 100,000 photos the sidebar's counts and the backfill took both
    threads for seconds while the first thumbnails waited behind them, and the loader's tiles and the
    gallery's queries delayed each other.

    A pool that was shut down refuses work for good: events still delivered while the window closes
    (a paint asking for thumbnails, a queued query) must not start threads nobody will join.
    """

    def __init__(self, threads: int = 0) -> None:
        self.threads = threads or max(2, min(4, os.cpu_count() or 2))
        self._executors: dict[Lane, ThreadPoolExecutor] = {}
        self._futures: set[Future] = set()
        self._lock = threading.Lock()
        self._closed = False

    def start(self, fn: Callable[[], None], lane: Lane = Lane.TASKS) -> bool:
        """Runs ``fn`` on a worker thread; False (and ``fn`` never runs) once the pool was shut down."""
        with self._lock:
            if self._closed:
                return False
            executor = self._executors.get(lane)
            if executor is None:
                executor = self._executors[lane] = ThreadPoolExecutor(
                    1 if lane == Lane.BACKGROUND else self.threads,
                    thread_name_prefix=lane.value,
                    initializer=yield_cores,
                )
            future = executor.submit(fn)
            self._futures.add(future)
        future.add_done_callback(self._discard)
        return True

    def _discard(self, future: Future) -> None:
        with self._lock:
            self._futures.discard(future)

    def active(self) -> int:
        with self._lock:
            return len(self._futures)

    def wait(self, timeout: float | None = None) -> bool:
        """Waits for the tasks started so far; True when none is left."""
        with self._lock:
            futures = list(self._futures)
        for future in futures:
            with contextlib.suppress(Exception):  # the task reported its own error through its callback
                future.result(timeout)
        return self.active() == 0

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            executors, self._executors = list(self._executors.values()), {}
        for executor in executors:
            executor.shutdown(wait=True, cancel_futures=True)


class Tasks(QObject):
    """Runs callables on a thread pool; ``on_done``/``on_error`` are called back on the GUI thread."""

    _finished = Signal(int, object, object)

    def __init__(self, pool: WorkerPool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = pool
        self._ids = itertools.count(1)
        self._callbacks: dict[
            int, tuple[Callable[[Any], None] | None, Callable[[str], None] | None, QObject | None]
        ] = {}
        self._newest: dict[object, int] = {}  # per ``newest`` key, the task whose answer is still wanted
        self._finished.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        owner: QObject | None = None,
        background: bool = False,
        newest: object | None = None,
    ) -> int:
        """Runs ``fn`` on the pool; with an ``owner`` (a dialog, say) the callbacks are dropped if the owner
        is deleted before the answer arrives: they would touch widgets that no longer exist. Slow reads
        nobody waits for on screen go ``background`` (see Lane). Of the runs given the same ``newest`` key
        (a view's reads of what it shows) only the latest answers: the pool's threads finish in any order,
        and a read begun before a change must not land after the one begun after it."""
        task_id = next(self._ids)
        if newest is not None:
            stale = self._newest.get(newest)
            if stale is not None:
                self._callbacks.pop(stale, None)  # still running, or its answer not yet delivered
            self._newest[newest] = task_id
        self._callbacks[task_id] = (on_done, on_error, owner)

        def work() -> None:
            try:
                result = fn()
            except Exception as error:
                if not isinstance(error, PhotosorterError):
                    traceback.print_exc()
                self._finished.emit(task_id, None, describe(error))
            else:
                self._finished.emit(task_id, result, None)

        if not self.pool.start(work, Lane.BACKGROUND if background else Lane.TASKS):
            del self._callbacks[task_id]  # the window is closing: nobody waits for this answer
        return task_id

    def forget(self) -> None:
        """Drops every pending callback (the window is closing)."""
        self._callbacks.clear()

    def _dispatch(self, task_id: int, result: Any, error: str | None) -> None:
        on_done, on_error, owner = self._callbacks.pop(task_id, (None, None, None))
        if owner is not None and not shiboken6.isValid(owner):
            return
        if error is not None:
            if on_error is not None:
                on_error(error)
        elif on_done is not None:
            on_done(result)


def read_image(path: str, size: QSize | None = None, square: bool = False) -> QImage:
    """Decodes a file to a QImage, EXIF-rotated, scaled while decoding when ``size`` is given.

    Pillow decodes, not QImageReader: Qt's image plugins crashed (SIGSEGV) when worker threads read while
    the GUI thread painted, Pillow releases the GIL while it decodes, its JPEG draft mode never decodes
    a 12-MP photo at full size, and it reads HEIC through pillow-heif, which Qt cannot.
    """
    try:
        with Image.open(path) as opened:
            if size is not None:
                opened.draft("RGB", (size.width(), size.height()))
            image = ImageOps.exif_transpose(opened).convert("RGBA")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return QImage()
    if size is not None:
        width, height = image.size
        fit = max if square else min  # square: cover the cell, then the tile is cropped
        scale = fit(size.width() / width, size.height() / height)
        if scale < 1:
            image = image.resize(
                (max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.BILINEAR
            )
    data = image.tobytes()
    # copy(): the QImage must own its pixels, not borrow the bytes object that goes away with this frame
    return QImage(data, image.width, image.height, 4 * image.width, QImage.Format.Format_RGBA8888).copy()


TILE_RADIUS = 6


def tile(image: QImage, side: int) -> QImage:
    """The gallery's finished cell picture: centre-cropped to a square of ``side`` pixels, with rounded
    corners, premultiplied. Made on a worker, so painting a cell is one blit on the GUI thread."""
    if image.isNull():
        return QImage()
    short = min(image.width(), image.height())
    square = image.copy((image.width() - short) // 2, (image.height() - short) // 2, short, short)
    if short != side:
        square = square.scaled(
            side, side, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    out = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
    out.fill(Qt.GlobalColor.transparent)
    painter = QPainter(out)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    path = QPainterPath()
    path.addRoundedRect(0, 0, side, side, TILE_RADIUS, TILE_RADIUS)
    painter.setClipPath(path)
    painter.drawImage(0, 0, square)
    painter.end()
    return out


class ThumbnailLoader(QObject):
    """Loads thumbnail files into QImages on a few pool threads, newest request first.

    ``keep_only`` drops queued requests for cells that scrolled away, so a fast
    scroll through 100,000 photos never builds a backlog.
    """

    loaded = Signal(int, QImage)

    def __init__(self, pool: WorkerPool, size: int, workers: int = 2, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = pool
        self.size = size  # the tile's side in device pixels
        self.ratio = 1.0  # device pixel ratio the tiles are made for
        self._queue: OrderedDict[int, str] = OrderedDict()
        self._lock = threading.Lock()
        self._running = 0
        self._max_workers = workers
        self._closed = False

    def request(self, photo_id: int, path: str) -> None:
        with self._lock:
            if self._closed:
                return
            self._queue[photo_id] = path
            self._queue.move_to_end(photo_id)
            start = self._running < self._max_workers
            if start:
                self._running += 1
        if start and not self.pool.start(self._work, Lane.TILES):
            with self._lock:
                self._running -= 1

    def set_tile(self, side: int, ratio: float) -> None:
        """The gallery's cells changed size: tiles made from now on fit them."""
        with self._lock:
            self.size, self.ratio = max(1, round(side * ratio)), ratio
            self._queue.clear()

    def keep_only(self, wanted: set[int]) -> None:
        with self._lock:
            for photo_id in [i for i in self._queue if i not in wanted]:
                del self._queue[photo_id]

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._queue.clear()

    def _work(self) -> None:
        """A few tiles, then back to the end of its lane's queue while requests remain: a pool given to
        the loader without lanes shares its threads with the gallery's queries, and a loader that kept
        them while the user kept scrolling left the query for new photos waiting for minutes."""
        for _ in range(LOADER_BATCH):
            with self._lock:
                if not self._queue or self._closed:
                    self._running -= 1
                    return
                photo_id, path = self._queue.popitem(last=True)
                size = self.size
            image = tile(read_image(path, QSize(size, size), square=True), size)
            self.loaded.emit(photo_id, image)
        if not self.pool.start(self._work, Lane.TILES):  # the pool was shut down
            with self._lock:
                self._running -= 1


class JobRunner(QObject):
    """Drives one core job generator on its own Python thread, reporting throttled progress.

    ``factory`` builds the generator on the worker thread (building an analyzer
    loads models) and returns ``(job, backend_name)``. ``done`` is emitted last, always.
    """

    progress = Signal(object)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    done = Signal()

    def __init__(
        self, kind: str, factory: Callable[[CancelToken], tuple[Job, str]], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.kind = kind
        self.backend = ""
        self.token = CancelToken()
        self._factory = factory
        self._thread = threading.Thread(target=self._run, name=f"job-{kind}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        if self._thread.ident is not None:
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def cancel(self) -> None:
        self.token.cancel()

    def _run(self) -> None:
        yield_cores()
        try:
            self._drive()
        finally:
            self.done.emit()

    def _drive(self) -> None:
        try:
            job, self.backend = self._factory(self.token)
            last = 0.0
            pending: Progress | None = None
            while True:
                try:
                    update = next(job)
                except StopIteration as stop:
                    if pending is not None:
                        self.progress.emit(pending)
                    self.succeeded.emit(stop.value)
                    return
                now = time.monotonic()
                if now - last >= PROGRESS_INTERVAL or update.done == update.total:
                    self.progress.emit(update)
                    last, pending = now, None
                else:
                    pending = update
        except Cancelled:
            self.cancelled.emit()
        except Exception as error:
            if not isinstance(error, PhotosorterError):
                traceback.print_exc()
            self.failed.emit(describe(error))
