"""Full garbage collections while the user is not looking.

Python's cyclic collector runs on whichever thread happens to allocate, and a full
(generation 2) collection holds the GIL for the whole pass over every live container:
with a 100,000-photo library that is 45-65 ms, measured in benchmarks/bench_gui.py with
``--profile``, and it froze the grid mid-scroll while the live library scanned. The pacer
keeps the cheap young collections automatic, stops the automatic full ones, and runs a full
collection itself on the GUI thread once the gallery has not scrolled for a while. After
``FORCE_SECONDS`` without one, a short pause in scrolling is enough, and after ``MAX_SECONDS`` it runs
even mid-scroll, so memory held by cycles stays bounded. ``stop`` restores the collector as it was.

The young collections move to the GUI thread too, every ``YOUNG_MS``, as often as the collector's own
thresholds would run them. Left automatic, they ran on whichever thread allocated, mostly the worker
threads, which run at a lower priority (gui/workers.py yield_cores): on a busy machine such a worker
was taken off its core in the middle of a collection, still holding the GIL, and the GUI thread
waited for it: collections of the young generations on a worker measured 38-168 ms (the pass
itself is well under a millisecond), each one a stall of the grid (benchmarks/bench_gui.py --profile).
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer

NO_FULL_COLLECTIONS = 1_000_000_000  # generation-1 collections before an automatic full one: never
CHECK_MS = 500
YOUNG_MS = 16  # how often the GUI thread looks at the young generations' counts: a frame; a worker that
# allocates fast (a query of 100,000 rows) leaves no more than a frame's worth to look at in one pass
QUIET_SECONDS = 1.5  # no scrolling for this long: a pause is not seen
MIN_SECONDS = 10.0  # between quiet collections (a long scan allocates all the time)
FORCE_SECONDS = 60.0  # without a full collection for this long, a short pause in scrolling will do
SHORT_PAUSE_SECONDS = CHECK_MS / 1000  # no scrolling since the last check
# At 60 s a collection ran mid-scroll on the GUI thread: 57-133 ms stalls while a user scrolled on
# (benchmarks/bench_gui.py --profile); a minute more of cycles costs far less than a visible stall.
MAX_SECONDS = 300.0


class GcPacer(QObject):
    """Moves full garbage collections to quiet moments on the GUI thread; ``touch`` on activity."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._saved: tuple[int, int, int] | None = None
        self._was_enabled = True
        self._last_touch = self._last_full = time.monotonic()
        self._timer = QTimer(self, interval=CHECK_MS, timeout=self._check)
        self._young_timer = QTimer(self, interval=YOUNG_MS, timeout=self.collect_young)

    def start(self) -> None:
        if self._saved is None:
            self._saved = gc.get_threshold()
            threshold0, threshold1, _ = self._saved
            gc.set_threshold(threshold0, threshold1, NO_FULL_COLLECTIONS)
            self._was_enabled = gc.isenabled()
            gc.disable()  # no collection on a worker: this thread runs them all (see the module's docstring)
            gc.freeze()  # what exists at start-up (modules, Qt wrappers) lives as long as the app
            self._timer.start()
            self._young_timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._young_timer.stop()
        gc.unfreeze()
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None
            if self._was_enabled:
                gc.enable()

    def collect_young(self) -> int | None:
        """Runs the young collection the collector would have run by now (its own thresholds: generation
        0 after ``threshold0`` new objects, generation 1 every ``threshold1``-th time); returns the
        generation collected, or None when none was due."""
        threshold0, threshold1, _ = gc.get_threshold()
        count0, count1, _ = gc.get_count()
        if count0 < threshold0:
            return None
        generation = 1 if count1 + 1 >= threshold1 else 0
        gc.collect(generation)
        return generation

    def touch(self, *_args: object) -> None:
        self._last_touch = time.monotonic()

    def due(self, now: float) -> bool:
        """Whether a full collection should run now (``time.monotonic()`` seconds)."""
        since = now - self._last_full
        still = now - self._last_touch
        if since >= MAX_SECONDS:
            return True
        if since >= FORCE_SECONDS:
            return still >= SHORT_PAUSE_SECONDS
        return since >= MIN_SECONDS and still >= QUIET_SECONDS and gc.get_count()[2] > 0

    def _check(self) -> None:
        now = time.monotonic()
        if self.due(now):
            gc.collect()
            # What survived is long-lived (modules, models, caches): freezing it keeps the next full pass
            # to what was made since, which took the pass from ~75 ms to a few ms in a live analysis run.
            gc.freeze()
            self._last_full = now
