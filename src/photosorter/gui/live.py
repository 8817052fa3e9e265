"""The live library inside the app: its events become coalesced Qt signals on the GUI thread.

One design, no double scanning: while the window is open the live library is the
only thing that scans. It catches up with the disk when it starts, follows every
change in the library folders, scans a folder as soon as it is added (its health
check notices new folders within a second) and, when "analyze after scan" is on,
analyzes new photos in its analysis lane (which pauses with a reason and retries by
itself). The status-bar job runner is left for an explicit "Analyze New Photos"
while automatic analysis is off, and for scanning if the watcher cannot start.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from photosorter.core.live import LiveEvent, LiveLibrary, LiveStatus
from photosorter.core.live.changes import AnalysisPause, AnalysisProgress, PauseCause, Usage
from photosorter.gui.facade import Facade
from photosorter.gui.status import eta_text
from photosorter.gui.workers import Tasks

COALESCE_MS = 400  # a burst of thousands of events refreshes the grid at most this often
MAX_STALE_PATHS = 5000  # more updated files than this in one flush: every cached row is reloaded
STATUS_POLL_MS = 1500  # queue counts also change without events (the watcher queues work silently)
COUNTDOWN_MS = 1000  # a pause's "retrying in N s" counts down by the second
RESULTS_REFRESH_MS = 2000  # during a run, stored results refresh the views (grid, sidebar, detail) this often

# where the user fixes what paused analysis; the unreachable service comes back by itself
PAUSE_HINTS = {
    PauseCause.ACCOUNT: "Or choose the AWS profile and region in Settings (Ctrl+,).",
    PauseCause.BUDGET: "The budget is in Settings (Ctrl+,).",
    PauseCause.SETUP: "Check the analysis features in Settings (Ctrl+,).",
}


def pause_text(pause: AnalysisPause, now: float | None = None) -> str:
    """``Analysis paused: <reason> — retrying in 12 s``, counting down to the real retry time."""
    left = pause.seconds_left(now)
    retry = f"retrying in {left} s" if left else "retrying now"
    hint = PAUSE_HINTS.get(pause.cause)
    return f"Analysis paused: {pause.reason} — {retry}" + (f". {hint}" if hint else "")


def usage_text(usage: Usage) -> str:
    return f"{usage.calls:,} call{'s' if usage.calls != 1 else ''}, ${usage.cost_usd:.3f}"


def spending_text(session: Usage, month: Usage) -> str:
    """``This session: 34 calls, $0.034 · this month: 120 calls, $0.120`` (list price)."""
    return f"This session: {usage_text(session)} · this month: {usage_text(month)} (list price)"


def estimate_text(progress: AnalysisProgress) -> str:
    """What the run's photos cost at list price: photos × features × price, as ``--dry-run`` says."""
    if progress.estimate_usd is None:
        return "free (on this computer)"
    return f"≈ ${progress.estimate_usd:.3f} for {progress.total:,} photo{'s' if progress.total != 1 else ''}"


def progress_text(progress: AnalysisProgress) -> str:
    """``Analyzing 12 of 30 photos · 1 min left · 36 calls, $0.036 of ≈ $0.090 for 30 photos``."""
    parts = [f"Analyzing {progress.done:,} of {progress.total:,} photos"]
    eta = eta_text(progress.eta_seconds)
    if eta:
        parts.append(eta)
    if progress.estimate_usd is not None:
        parts.append(f"{usage_text(progress.usage)} of {estimate_text(progress)}")
    return " · ".join(parts)


def status_text(status: LiveStatus | None, now: float | None = None) -> str:
    """The one line the status bar shows about the live library."""
    if status is None or not status.started:
        return ""
    parts = []
    waiting = status.pause is not None and not status.running and not status.settling
    if status.progress is not None and status.progress.total:
        parts.append(progress_text(status.progress))
    elif waiting:
        pass  # only the paused analysis job waits: the pause says it all, first
    elif status.running or status.pending or status.settling:
        busy = f"Updating library: {status.running} running · {status.pending} pending"
        parts.append(busy + (f" · {status.settling} settling" if status.settling else ""))
    else:
        folders = len(status.watching)
        parts.append(f"Up to date · watching {folders} folder{'s' if folders != 1 else ''}")
    if status.failures:
        parts.append(f"{status.failures} photo{'s' if status.failures != 1 else ''} not analyzed")
    if status.parked:
        parts.append(f"{status.parked} parked")
    if status.pause is not None:
        parts.append(pause_text(status.pause, now))
    if status.offline:
        count = len(status.offline)
        parts.append(f"{count} folder{'s' if count != 1 else ''} offline")
    return " · ".join(parts)


class LiveBridge(QObject):
    """Owns the app's LiveLibrary: start, stop (joined), and signals that arrive on the GUI thread."""

    # photos were added, changed, moved, removed or went offline; the argument is the set of paths whose
    # cached rows are stale (added and removed photos leave none), or None when any row may be
    photos_changed = Signal(object)
    analysis_changed = Signal()  # new analysis results (labels, faces, text)
    status_changed = Signal(object)  # LiveStatus
    message = Signal(str)  # something worth a status-bar message (paused, parked, offline)
    _event = Signal(object)  # from the live library's threads; queued to the GUI thread

    def __init__(self, facade: Facade, tasks: Tasks, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.facade = facade
        self.tasks = tasks
        self.live: LiveLibrary | None = None
        self.status: LiveStatus | None = None
        self.failed: str | None = None  # why the live library could not start
        self._lock = threading.Lock()  # start and stop never overlap (start runs on a worker)
        self._photos_dirty = False
        self._stale_paths: set[str] | None = set()
        self._analysis_dirty = False
        self._event.connect(self._on_event, Qt.ConnectionType.QueuedConnection)
        self._flush_timer = QTimer(self, singleShot=True, interval=COALESCE_MS, timeout=self._flush)
        self._poll_timer = QTimer(self, interval=STATUS_POLL_MS, timeout=self.poll)
        self._countdown = QTimer(self, interval=COUNTDOWN_MS, timeout=self._count_down)
        self._results_timer = QTimer(self, singleShot=True, interval=RESULTS_REFRESH_MS)
        self._results_timer.timeout.connect(self._results_stored)

    @property
    def running(self) -> bool:
        return self.live is not None and self.failed is None

    @property
    def analyzes(self) -> bool:
        return self.running and bool(self.live and self.live.analyze)

    # -- lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> None:
        """Starts watching (off the GUI thread: it stats every folder and reclaims orphaned jobs)."""
        if self.live is not None:
            return
        live = self.live = self.facade.live_library(self._event.emit)
        self.failed = None
        self.tasks.run(lambda: self._start(live), lambda _r: self.poll(), self._start_failed)
        self._poll_timer.start()

    def _start(self, live: LiveLibrary) -> None:
        with self._lock:
            if self.live is live:
                live.start()

    def _start_failed(self, message: str) -> None:
        self.failed = message
        self.message.emit(f"Cannot watch the library folders: {message}")

    def stop(self, timeout: float = 30.0) -> None:
        """Stops the live library and joins its threads (a job in progress resumes at the next start)."""
        self._poll_timer.stop()
        self._flush_timer.stop()
        self._countdown.stop()
        self._results_timer.stop()
        with self._lock:
            live, self.live = self.live, None
            if live is not None:
                live.stop(timeout)

    def restart(self) -> None:
        """Settings changed (backend, automatic analysis): a new live library picks them up."""
        if self.live is None:
            return
        live, self.live = self.live, None

        def swap() -> None:
            with self._lock:
                live.stop()

        self.tasks.run(swap, lambda _r: self.start())

    # -- user actions ------------------------------------------------------------------------------------
    def rescan(self) -> None:
        if self.live is not None:
            self.tasks.run(self.live.rescan, lambda _r: self.poll())

    def retry_parked(self) -> None:
        if self.live is not None:
            live = self.live
            self.tasks.run(live.retry_parked, lambda count: self.message.emit(f"{count} parked jobs retried"))

    def retry_failures(self) -> None:
        """Clears the recorded analysis failures and analyzes those photos again."""
        if self.live is not None:
            live = self.live
            self.tasks.run(live.retry_failures, lambda count: self._retried(count))

    def _retried(self, count: int) -> None:
        self.message.emit(f"Analyzing {count} photo{'s' if count != 1 else ''} again")
        self.poll()

    def settings_changed(self) -> None:
        """Settings that shape analysis changed: the running library applies them from the next photo."""
        if self.live is not None:
            self.tasks.run(self.live.settings_changed, lambda _r: self.poll())

    def request_analysis(self) -> None:
        if self.live is not None:
            live = self.live
            self.tasks.run(lambda: self.facade.request_analysis(live), lambda _r: self.poll())

    def poll(self) -> None:
        live = self.live
        if live is not None and self.failed is None:
            self.tasks.run(live.status, self._status_loaded)

    # -- events ------------------------------------------------------------------------------------------
    def _status_loaded(self, status: LiveStatus) -> None:
        if self.live is None:
            return
        self._set_status(status)
        self.status_changed.emit(status)

    def _set_status(self, status: LiveStatus) -> None:
        """Keeps the newest status; results stored since the last one refresh the views."""
        old = self.status
        self.status = status
        done = status.progress.done if status.progress else 0
        before = old.progress.done if old is not None and old.progress else 0
        stored = done != before or (old is not None and old.failures != status.failures)
        if stored and not self._results_timer.isActive():  # not restarted: a steady run still refreshes
            self._results_timer.start()
        if status.pause is not None:
            if not self._countdown.isActive():
                self._countdown.start()
        else:
            self._countdown.stop()

    def _results_stored(self) -> None:
        self._analysis_dirty = True
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def _count_down(self) -> None:
        if self.status is not None and self.status.pause is not None:
            self.status_changed.emit(self.status)

    def _on_event(self, event: LiveEvent) -> None:
        if self.live is None:
            return  # stopped meanwhile: the window is closing
        if self.facade.changes_rows(event):
            self._photos_dirty = True
            self._note_stale(event)
        elif event.kind == "analyzed":
            self._analysis_dirty = True
        if event.status is not None:
            self._set_status(event.status)
        if event.kind == "paused":  # the reason, which may be long, is in the status line and the queue panel
            self.message.emit("Analysis paused — the Queue panel says why")
        elif event.kind in ("parked", "offline", "online"):
            self.message.emit(event.message[:1].upper() + event.message[1:])
        if not self._flush_timer.isActive():  # not restarted: a steady stream still flushes
            self._flush_timer.start()

    def _note_stale(self, event: LiveEvent) -> None:
        """Which cached rows an event makes stale: an added or removed photo makes none (its id comes or
        goes with the id list), an updated one its own; a move or a folder going offline, any."""
        if event.kind in ("added", "removed") or self._stale_paths is None:
            return
        if event.kind in ("updated", "error") and event.path and len(self._stale_paths) < MAX_STALE_PATHS:
            self._stale_paths.add(event.path)
        else:
            self._stale_paths = None

    def _flush(self) -> None:
        photos, analysis = self._photos_dirty, self._analysis_dirty
        stale, self._stale_paths = self._stale_paths, set()
        self._photos_dirty = self._analysis_dirty = False
        if self.status is not None:
            self.status_changed.emit(self.status)
        if photos:
            self.photos_changed.emit(stale)
        if analysis:
            self.analysis_changed.emit()
