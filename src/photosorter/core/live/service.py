"""The live library: watched folders → job queue → scanner and analyzer → catalog, on background threads.

The desktop form of the event-driven pipeline (a photo lands → a trigger →
analysis → database). Three threads, each with its own catalog connection:
the watcher turns settled paths into scan jobs; the local lane runs scan and
thumbnail jobs; the analysis lane runs analyze jobs and is the only one that
pauses when the analysis service is unreachable. Everything left to do is in
the catalog, so a kill at any moment loses nothing but the work in flight.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from photosorter.core.analysis.backends import analyzer_settings, features_for
from photosorter.core.analysis.types import Analyzer, Feature
from photosorter.core.catalog import failures as failure_rows
from photosorter.core.catalog import photos as photo_rows
from photosorter.core.catalog import usage as usage_rows
from photosorter.core.catalog.queue import QueuedJob
from photosorter.core.errors import EnvironmentFault
from photosorter.core.imaging import thumbnail_path
from photosorter.core.jobs import Cancelled, CancelToken
from photosorter.core.library import Library
from photosorter.core.live.analysis import AnalysisLane
from photosorter.core.live.changes import LiveEvent, LiveStatus, Usage
from photosorter.core.live.queue import ANALYSIS_KINDS, LOCAL_KINDS, SCAN, THUMBNAIL, JobQueue
from photosorter.core.live.scanning import run_scan_job, run_scan_job_in_process
from photosorter.core.live.watcher import QUIET_SECONDS, Debouncer, FolderWatcher
from photosorter.core.media import make_media_thumbnail
from photosorter.core.records import Folder
from photosorter.core.worker_processes import process_pool

TICK_SECONDS = 0.1  # how often settled paths are collected; small against the 2 s promise
HEALTH_SECONDS = 1.0  # how often folders are checked for disappearing and coming back
MAX_PATHS_PER_JOB = 5000
PAUSE_BACKOFF = (5.0, 300.0)  # first and longest wait of a paused analysis lane, in seconds

AnalyzerSource = Analyzer | Callable[[], Analyzer]


class LiveLibrary:
    """Keeps a library's catalog in step with its folders while running. ``start()``, ``stop()``,
    ``status()``; ``on_event`` is called from background threads (wrap it in a Qt signal)."""

    def __init__(
        self,
        library: Library,
        *,
        analyzer: AnalyzerSource | None = None,
        analyze: bool | None = None,
        features: frozenset[Feature] | None = None,
        on_event: Callable[[LiveEvent], None] | None = None,
        quiet_seconds: float = QUIET_SECONDS,
        scan_workers: int = 0,
        scan_in_process: bool = False,
        analysis_workers: int = 0,
        max_attempts: int = 3,
        retry_delay: float = 2.0,
        pause_backoff: tuple[float, float] | None = None,
    ) -> None:
        self.library = library
        self.catalog = library.catalog
        self.queue = JobQueue(self.catalog, max_attempts=max_attempts, retry_delay=retry_delay)
        self.debouncer = Debouncer(quiet=quiet_seconds, open_quiet=max(2.0, quiet_seconds * 4))
        self.watcher: FolderWatcher | None = None  # made by start(): a watchdog observer is single-use
        self.scanner = library.scanner(workers=scan_workers)
        self.on_event = on_event
        self.analyze = library.settings.analyze_after_scan if analyze is None else analyze
        self._analysis = AnalysisLane(
            self.catalog,
            self.queue,
            analyzer if analyzer is not None else library.analyzer,
            features_source=(lambda a: features or features_for(a.name, library.settings, None)),
            workers=analysis_workers,
            backoff=pause_backoff or PAUSE_BACKOFF,
            notify=self._emit,
            after_analysis=library.group_faces,
            # an analyzer given ready-made is kept; one built on demand follows the settings' changes
            settings_source=None
            if hasattr(analyzer, "analyze")
            else (lambda: analyzer_settings(library.settings)),
        )
        self._stopping = threading.Event()
        self._cancel = CancelToken()
        self._wake_local = threading.Event()
        self._threads: list[threading.Thread] = []
        self._folder_state: dict[int, tuple[bool, int | None]] = {}  # id → (online, inode watched)
        self._lock = threading.Lock()
        self._last_error: str | None = None
        self._started = False
        self._scan_in_process = scan_in_process  # the desktop app: keep scanning's Python off its GIL
        self._scan_pool: ProcessPoolExecutor | None = None

    # -- lifecycle -----------------------------------------------------------------------------------------
    def start(self) -> None:
        if self._started:
            return
        self._started = True
        self._stopping, self._cancel = threading.Event(), CancelToken()  # fresh: start after stop works
        self._folder_state.clear()
        self.watcher = FolderWatcher(self.debouncer, ignore=self.library.paths.own_dirs())
        if self._scan_in_process:
            self._scan_pool = _scan_process_pool()
        self.queue.reclaim_orphans()
        self.watcher.start()
        for folder in photo_rows.folders(self.catalog):
            self._check_folder(folder, force=True)
        if self.analyze:
            self.queue.analyze_pending()
        self._spawn("live-watch", self._watch_loop)
        self._spawn("live-local", self._local_loop)
        if self.analyze:
            self._spawn("live-analyze", lambda: self._analysis.loop(self._stopping, self._cancel))
        self._emit(LiveEvent("status", "watching"))

    def stop(self, timeout: float = 30.0) -> None:
        """Stops the threads; a job in progress is abandoned at a safe point and resumes next start."""
        if not self._started:
            return
        self._stopping.set()
        self._cancel.cancel()
        self._wake_local.set()
        self._analysis.wake()
        self._analysis.stop_now()
        for thread in self._threads:
            thread.join(timeout)
        self.watcher.stop()
        self.watcher = None
        self._threads.clear()
        if self._scan_pool is not None:
            self._scan_pool.shutdown(wait=True, cancel_futures=True)
            self._scan_pool = None
        self._analysis.close()
        self._started = False

    def __enter__(self) -> LiveLibrary:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    # -- what the GUI and CLI read -------------------------------------------------------------------------
    def status(self) -> LiveStatus:
        counts = self.queue.counts()
        with self._lock:
            offline = [fid for fid, (online, _) in self._folder_state.items() if not online]
            last_error = self._last_error
        folders = {f.id: f.path for f in photo_rows.folders(self.catalog)}
        return LiveStatus(
            started=self._started,
            pending=counts.pending,
            running=counts.running,
            parked=counts.parked,
            pause=self._analysis.pause,
            last_error=last_error or self._analysis.last_error,
            watching=tuple(sorted(self.watcher.watched())) if self.watcher else (),
            offline=tuple(sorted(folders[f] for f in offline if f in folders)),
            settling=len(self.debouncer),
            progress=self._analysis.progress,
            failures=failure_rows.failure_count(self.catalog),
            session=self._analysis.session,
            month=Usage(*usage_rows.month_total(self.catalog)),
        )

    @property
    def session_usage(self) -> Usage:
        """Billable calls made by this live library's analysis since it was made."""
        return self._analysis.session

    @property
    def analyzer(self) -> Analyzer | None:
        """The analyzer the analysis lane uses now (None until its first job, or after a change)."""
        return self._analysis.analyzer

    def settings_changed(self) -> None:
        """Settings that shape analysis changed (backend, features, budget, rate, profile, region): they
        apply from the next photo, and work they make possible again (features checked again after
        "no feature given", a higher budget) starts now instead of after the pause."""
        if not self.analyze:
            return
        self.queue.analyze_pending()
        self.queue.ready_now(ANALYSIS_KINDS)
        self._analysis.settings_changed()

    def failures(self) -> list[failure_rows.AnalysisFailure]:
        """Photos whose analysis failed and why (the queue panel lists them with Retry)."""
        return failure_rows.analysis_failures(self.catalog)

    def retry_failures(self) -> int:
        """Clears the recorded analysis failures and analyzes those photos again; returns how many."""
        count = failure_rows.clear_failures(self.catalog)
        if count:
            self.queue.analyze_pending()
            self._analysis.wake()
        self._emit(LiveEvent("status", f"{count} failed photos queued for analysis again"))
        return count

    def retry_parked(self) -> int:
        count = self.queue.retry_parked()
        self._wake_local.set()
        self._analysis.wake()
        self._emit(LiveEvent("status", f"{count} parked jobs queued again"))
        return count

    def request_thumbnails(self, hashes: list[str]) -> None:
        """Queues a rebuild of these contents' thumbnails (the cache was cleared or a file went bad)."""
        if hashes:
            self.queue.thumbnails(hashes)
            self._wake_local.set()

    def rescan(self) -> None:
        """A whole pass over every folder (cheap: unchanged files are only stat'ed)."""
        for folder in photo_rows.folders(self.catalog):
            self.queue.scan_folder(folder.id)
        self._wake_local.set()

    def _emit(self, event: LiveEvent, status: LiveStatus | None = None) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(LiveEvent(event.kind, event.message, event.path, status or self.status()))
        except Exception as error:  # a listener's bug must not stop the library
            with self._lock:
                self._last_error = f"event listener failed: {type(error).__name__}: {error}"

    # -- the watch thread ----------------------------------------------------------------------------------
    def _watch_loop(self) -> None:
        next_health = time.monotonic() + HEALTH_SECONDS
        while not self._stopping.wait(TICK_SECONDS):
            try:
                settled = self.debouncer.settled()
                if settled:
                    self._enqueue_paths(settled)
                if time.monotonic() >= next_health:
                    next_health = time.monotonic() + HEALTH_SECONDS
                    folders = photo_rows.folders(self.catalog)
                    for folder in folders:
                        self._check_folder(folder)
                    self._forget_removed(folders)
            except Exception as error:  # the watcher must outlive a locked catalog or an odd event
                self._record_error(f"watcher: {type(error).__name__}: {error}")

    def _enqueue_paths(self, paths: list[str]) -> None:
        by_folder: dict[int, list[str]] = {}
        folders = sorted(photo_rows.folders(self.catalog), key=lambda f: len(f.path), reverse=True)
        for path in paths:
            for folder in folders:  # the innermost library folder holding it
                if path == folder.path or path.startswith(folder.path.rstrip(os.sep) + os.sep):
                    by_folder.setdefault(folder.id, []).append(path)
                    break
        batch: dict[str, list[str]] = {}
        for folder_id, found in by_folder.items():
            for start in range(0, len(found), MAX_PATHS_PER_JOB):
                batch[str(folder_id)] = found[start : start + MAX_PATHS_PER_JOB]
                if sum(len(v) for v in batch.values()) >= MAX_PATHS_PER_JOB:
                    self.queue.scan_paths(batch)
                    batch = {}
        if batch:
            self.queue.scan_paths(batch)
        self._wake_local.set()

    def _forget_removed(self, folders: list[Folder]) -> None:
        """Stops watching folders taken out of the library while running."""
        current = {f.path for f in folders}
        for path in self.watcher.watched() - current:
            self.watcher.unwatch(path)
        with self._lock:
            ids = {f.id for f in folders}
            self._folder_state = {fid: st for fid, st in self._folder_state.items() if fid in ids}

    def _check_folder(self, folder: Folder, force: bool = False) -> None:
        """Notices a folder that vanished (offline) or came back (rewatch and rescan)."""
        try:
            inode: int | None = os.stat(folder.path).st_ino if os.path.isdir(folder.path) else None
        except OSError:
            inode = None
        with self._lock:
            known = self._folder_state.get(folder.id)
        online = inode is not None
        if not force and known == (online, inode):
            return
        if online:
            online = self.watcher.watch(folder.path)
        else:
            self.watcher.unwatch(folder.path)
        with self._lock:
            self._folder_state[folder.id] = (online, inode if online else None)
        if force or known is None or known[0] != online or known[1] != inode:
            self.queue.scan_folder(folder.id)  # a full pass: marks offline, or catches up after a return
            self._wake_local.set()
        if not force and known is not None and known[0] != online:
            kind = "online" if online else "offline"
            self._emit(LiveEvent(kind, f"{kind} {folder.path}", folder.path))

    # -- the local lane: scan and thumbnail jobs -----------------------------------------------------------
    def _local_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                job = self.queue.claim(LOCAL_KINDS)
            except Exception as error:
                self._record_error(f"queue: {type(error).__name__}: {error}")
                job = None
            if job is None:
                wait = self.queue.next_ready_in(LOCAL_KINDS) if not self._stopping.is_set() else 0
                self._wake_local.wait(min(wait if wait is not None else 1.0, 1.0))
                self._wake_local.clear()
                continue
            self._run_local(job)

    def _run_local(self, job: QueuedJob) -> None:
        self._emit(LiveEvent("status", f"{job.kind} job {job.id} started"))
        try:
            if job.kind == SCAN:
                changed = self._run_scan(job)
                if changed and self.analyze:
                    self.queue.analyze_pending()
                    self._analysis.wake()
            elif job.kind == THUMBNAIL:
                self._run_thumbnails(job)
        except Cancelled:
            self.queue.abandon(job)
            return
        except EnvironmentFault as fault:  # a full disk is not the job's fault: wait, never park it
            self._record_error(f"{job.kind} job {job.id} waits {fault.retry_seconds:.0f} s: {fault}")
            self.queue.postpone(job, fault.retry_seconds, str(fault))
            return
        except Exception as error:
            message = f"{job.kind} job {job.id}: {type(error).__name__}: {error}"
            self._record_error(message)
            if self.queue.fail(job, message):
                self._emit(LiveEvent("parked", f"parked: {message}"))
            return
        self.queue.finish(job)
        self._emit(LiveEvent("status", f"{job.kind} job {job.id} done"))

    def _run_scan(self, job: QueuedJob) -> bool:
        if self._scan_pool is not None:
            paths = self.library.paths
            skip = tuple(str(p) for p in paths.own_dirs())
            future = self._scan_pool.submit(
                run_scan_job_in_process,
                str(self.catalog.path),
                str(paths.thumbnails),
                skip,
                self.scanner.workers,
                job.payload,
            )
            try:
                events, changed = future.result()
            except BrokenProcessPool:
                # the worker process died (killed, out of memory, a crash in a decoder): a pool never
                # recovers from that, so the job fails this attempt and its retry gets a fresh process
                self._scan_pool.shutdown(wait=False, cancel_futures=True)
                self._scan_pool = _scan_process_pool()
                raise
        else:
            events, changed = run_scan_job(self.catalog, self.scanner, job.payload, self._cancel)
        status = self.status() if events else None  # once per job: it costs two queries
        for event in events:
            self._emit(event, status)
        return changed

    def _run_thumbnails(self, job: QueuedJob) -> None:
        """Rebuilds missing thumbnails (the cache may be deleted at any time) from any copy."""
        thumbs = self.library.paths.thumbnails
        for content_hash in job.payload.get("hashes", []):
            self._cancel.check()
            target = thumbnail_path(thumbs, content_hash)
            if target.exists():
                continue
            for photo in photo_rows.photos_by_ids(self.catalog, self._ids_with_hash(content_hash)).values():
                with contextlib.suppress(Exception):
                    make_media_thumbnail(photo.path, target)
                    break

    def _ids_with_hash(self, content_hash: str) -> list[int]:
        conn = self.catalog.connection()
        return [pid for pid, _, state in photo_rows.photos_with_hash(conn, content_hash) if state == "ok"]

    def _record_error(self, message: str) -> None:
        with self._lock:
            self._last_error = message
        self._emit(LiveEvent("status", message))


def _scan_process_pool() -> ProcessPoolExecutor:
    return process_pool(1)  # its worker ends with this process, however this process ends
