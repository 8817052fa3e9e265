"""Long work as generators: each yields Progress and checks a CancelToken between steps.

The same generator drives a terminal progress bar in the CLI and a Qt runner in
the GUI, so neither layer knows how the work is done.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Progress:
    done: int
    total: int
    message: str = ""
    detail: str = ""  # e.g. "42 calls, $0.04" for Rekognition
    eta_seconds: float | None = None  # None until the rate is known

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


class Cancelled(Exception):
    """Raised inside a job when its token was cancelled."""


class CancelToken:
    """Cancel and pause for a running job, safe to flip from any thread."""

    def __init__(self) -> None:
        self._cancelled = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def cancel(self) -> None:
        self._cancelled.set()
        self._running.set()  # a paused job must wake up to see it was cancelled

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def check(self) -> None:
        """Blocks while paused; raises Cancelled once cancelled."""
        self._running.wait()
        if self._cancelled.is_set():
            raise Cancelled()

    def linked(self) -> CancelToken:
        """A token of its own that is also cancelled, and paused, with this one: stops one run without
        stopping the service that runs it."""
        return _LinkedToken(self)


class _LinkedToken(CancelToken):
    def __init__(self, parent: CancelToken) -> None:
        super().__init__()
        self._parent = parent

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set() or self._parent.cancelled

    @property
    def paused(self) -> bool:
        return not self._running.is_set() or self._parent.paused

    def check(self) -> None:
        self._parent._running.wait()
        self._running.wait()
        if self.cancelled:
            raise Cancelled()


Job = Generator[Progress, None, object]


def run_to_end(job: Job) -> object:
    """Runs a job with nobody watching its progress; returns what it returns."""
    try:
        while True:
            next(job)
    except StopIteration as stop:
        return stop.value


class EtaClock:
    """Estimates time left from the recent rate, not the whole run's average."""

    def __init__(self, window: float = 20.0) -> None:
        self._window = window
        self._samples: list[tuple[float, int]] = []

    def update(self, done: int, total: int) -> float | None:
        now = time.monotonic()
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[0][0] > self._window:
            self._samples.pop(0)
        (t0, d0) = self._samples[0]
        if now - t0 < 0.5 or done <= d0:
            return None
        rate = (done - d0) / (now - t0)
        return max(0, total - done) / rate
