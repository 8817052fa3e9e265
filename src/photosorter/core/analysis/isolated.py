"""An analyzer run in worker processes, for a process whose main thread must stay responsive.

Loading models (dlib's networks, building the ONNX classifier) and the Python
around each inference hold the GIL for up to half a second; in the desktop app
that freezes the window. The same analyzer in child processes costs the GUI
process only a pipe write and read per photo.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from photosorter.core.analysis.types import AnalysisResult, Analyzer, Feature, TransientAnalysisError
from photosorter.core.worker_processes import process_pool

_worker_analyzer: Analyzer | None = None
# A worker whose resident memory passes this after a photo hands its free heap back to the system. The
# models take about 350 MB; what one photo needs on top (OCR of a large page, most) is freed by Python but
# kept by glibc's allocator, so two workers grew to 1.4 GB on the corpus; trimming every photo instead
# cost about 10% more CPU, trimming only past this bound keeps them near 1 GB together for almost none.
TRIM_ABOVE_MB = 450


def _load_analyzer(factory: Callable[[], Analyzer]) -> None:
    global _worker_analyzer
    _worker_analyzer = factory()


def _analyze_in_worker(image: bytes, features: frozenset[Feature]) -> AnalysisResult:
    assert _worker_analyzer is not None, "worker started without its analyzer"
    try:
        return _worker_analyzer.analyze(image, features)
    finally:
        _trim_if_large()


def _resident_mb() -> float:
    try:
        with open("/proc/self/statm", "rb") as statm:  # Linux: size, then resident, in pages
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def _trim_if_large() -> None:
    if _resident_mb() > TRIM_ABOVE_MB and sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


class ProcessAnalyzer:
    """Wraps ``factory()``'s analyzer; ``factory`` must be picklable (a class or a functools.partial)."""

    def __init__(self, factory: Callable[[], Analyzer], workers: int = 2) -> None:
        self._local = factory()  # name, features and model versions only: its models load lazily, never here
        self.name = self._local.name
        self.default_features = self._local.default_features
        self.preferred_workers = workers
        self._factory = factory
        self._lock = threading.Lock()
        self._stopped = False
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return process_pool(self.preferred_workers, _load_analyzer, (self._factory,))

    def model_version(self, feature: Feature) -> str:
        return self._local.model_version(feature)

    def analyze(self, image: bytes, features: frozenset[Feature]) -> AnalysisResult:
        pool = self._pool
        try:
            if self._stopped:
                raise BrokenProcessPool("analysis was stopped")
            return pool.submit(_analyze_in_worker, image, features).result()
        except BrokenProcessPool as error:
            # a worker died (out of memory, a signal): a pool never recovers, so the next photo gets a
            # fresh one and this photo stays pending for the next run
            with self._lock:
                if self._pool is pool and not self._stopped:
                    pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = self._new_pool()
            raise TransientAnalysisError(f"analysis worker process ended unexpectedly ({error})") from None

    def stop_now(self) -> None:
        """Ends the workers at once, photos in flight included (they stay pending): for quitting, where
        waiting for an analysis, or a model still loading, kept the app alive for many seconds."""
        with self._lock:
            self._stopped = True
            pool = self._pool
        # no public API ends a busy worker; a stopped worker fails its photo as BrokenProcessPool
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
