"""The analysis lane: analyze jobs, paused with a visible reason while the service is unreachable.

A transient error (no network, throttling after retries) or a stop (expired
credentials, budget reached) pauses only this lane: the job goes back to the
queue without using an attempt, and is tried again after a growing delay.
Scanning and thumbnails go on meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from photosorter.core.analysis.pipeline import AnalysisReport, AnalysisRun, AnalysisStopped, usage_of
from photosorter.core.analysis.pricing import BudgetExceeded, estimate, price
from photosorter.core.analysis.types import (
    AnalysisResult,
    Analyzer,
    FatalAnalysisError,
    Feature,
    TransientAnalysisError,
)
from photosorter.core.catalog import Catalog
from photosorter.core.catalog.queue import QueuedJob
from photosorter.core.errors import PhotosorterError
from photosorter.core.jobs import Cancelled, CancelToken, Job, run_to_end
from photosorter.core.live.changes import AnalysisPause, AnalysisProgress, LiveEvent, PauseCause, Usage
from photosorter.core.live.queue import ANALYSIS_KINDS, JobQueue
from photosorter.core.live.usage import UsageRecorder

PROGRESS_EVENT_SECONDS = 0.5  # stored results reach the window at most this often (it coalesces too)
GROUP_FACES_SECONDS = 20.0  # during a long run, new faces join their people this often, not only at the end
CLOUD_SYNC_SECONDS = 60.0  # an idle lane with the cloud library reads its changes this often


class CircuitBreaker:
    """Wraps an analyzer: after the first transient error every further call fails at once,
    so an offline machine does not wait out a timeout per photo."""

    def __init__(self, analyzer: Analyzer) -> None:
        self.analyzer = analyzer
        self.name = analyzer.name
        self.default_features = analyzer.default_features
        self.tripped: str | None = None

    def __getattr__(self, name: str) -> Any:  # meter, preferred_workers, ...
        return getattr(self.analyzer, name)

    def model_version(self, feature: Feature) -> str:
        return self.analyzer.model_version(feature)

    def analyze(self, image: bytes, features: frozenset[Feature]) -> AnalysisResult:
        if self.tripped is not None:
            raise TransientAnalysisError(self.tripped)
        try:
            return self.analyzer.analyze(image, features)
        except TransientAnalysisError as error:
            self.tripped = self.tripped or str(error) or type(error).__name__
            raise


class AnalysisLane:
    def __init__(
        self,
        catalog: Catalog,
        queue: JobQueue,
        analyzer: Analyzer | Callable[[], Analyzer],
        *,
        features_source: Callable[[Analyzer], frozenset[Feature]],
        workers: int,
        backoff: tuple[float, float],
        notify: Callable[[LiveEvent], None],
        after_analysis: Callable[[Analyzer], None] | None = None,
        settings_source: Callable[[], object] | None = None,
    ) -> None:
        self.catalog = catalog
        self.queue = queue
        self._source = analyzer
        self._analyzer: Analyzer | None = None
        self._built_with: object = None
        self._settings_source = settings_source  # what the analyzer is built from; a change rebuilds it
        self._settings_changed = threading.Event()
        self._features_source = features_source
        self.workers = workers
        self.initial_delay, self.max_delay = backoff
        self._delay = self.initial_delay
        self._notify = notify
        self._after_analysis = after_analysis
        self._wake = threading.Event()
        self.pause: AnalysisPause | None = None
        self._progress: AnalysisProgress | None = None
        self._run_analyzer: Analyzer | None = None
        self._run_start: dict[str, int] = {}  # the analyzer's calls when the run began
        self.usage = UsageRecorder(catalog)  # billable calls, for the session and the month
        self.last_error: str | None = None
        self._synced_at = 0.0  # monotonic time of the last cloud library sync

    @property
    def analyzer(self) -> Analyzer | None:
        return self._analyzer

    @property
    def progress(self) -> AnalysisProgress | None:
        """The run going on, with the calls it made up to now (read from the meter: calls in flight
        show before their photo is done)."""
        progress, analyzer = self._progress, self._run_analyzer
        if progress is None or analyzer is None:
            return progress
        calls, _ = usage_of(analyzer)
        spent = {op: n - self._run_start.get(op, 0) for op, n in calls.items()}
        usage = Usage(sum(spent.values()), sum(n * price(op) for op, n in spent.items()))
        return replace(progress, usage=usage)

    @property
    def session(self) -> Usage:
        """Billable calls since this lane started, across analyzer rebuilds."""
        return self.usage.session

    @property
    def paused_reason(self) -> str | None:
        return self.pause.reason if self.pause is not None else None

    def wake(self) -> None:
        self._wake.set()

    def settings_changed(self) -> None:
        """The user changed settings: the run going on stops at the next photo (what is stored stays)
        and starts again with an analyzer built from the new settings; a pause ends now."""
        self._settings_changed.set()
        self._delay = self.initial_delay
        self._wake.set()

    def loop(self, stopping: threading.Event, cancel: CancelToken) -> None:
        while not stopping.is_set():
            try:
                job = self.queue.claim(ANALYSIS_KINDS)
            except Exception as error:
                self.last_error = f"queue: {type(error).__name__}: {error}"
                job = None
            if job is None:
                self._sync_if_due()
                wait = self.queue.next_ready_in(ANALYSIS_KINDS)
                self._wake.wait(min(wait if wait is not None else 1.0, 1.0))
                self._wake.clear()
                continue
            self._run(job, cancel)

    def stop_now(self) -> None:
        """Quitting: an analyzer in worker processes ends the photos in flight (they stay pending) instead
        of being waited for; a remote service's calls in flight are waited for, they are paid for."""
        stop_now = getattr(self._analyzer, "stop_now", None)
        if stop_now is not None:
            stop_now()

    def close(self) -> None:
        """Releases the analyzer's resources (worker processes, connections); it is rebuilt if needed."""
        analyzer, self._analyzer = self._analyzer, None
        close = getattr(analyzer, "close", None)
        if close is not None:
            close()

    def _analyzer_now(self) -> Analyzer:
        self._settings_changed.clear()
        wanted = self._settings_source() if self._settings_source is not None else None
        if self._analyzer is not None and wanted != self._built_with:
            self.close()  # budget, rate, profile, region or backend changed: a new analyzer, new workers
        if self._analyzer is None:
            source = self._source
            self._analyzer = source() if callable(source) and not hasattr(source, "analyze") else source
            self._built_with = wanted
        return self._analyzer

    def _run(self, job: QueuedJob, cancel: CancelToken) -> None:
        run_cancel = cancel.linked()
        analyzer: Analyzer | None = None
        try:
            analyzer = self._analyzer_now()
            breaker = CircuitBreaker(analyzer)
            features = self._features_source(analyzer)
            self._sync(analyzer)
            run = AnalysisRun(self.catalog, breaker, features, workers=self.workers)
            report = self._follow(run.run(run_cancel), run_cancel, analyzer, features)
        except Cancelled:
            self.queue.abandon(job)  # stopping, or new settings: the job starts again at once
            if analyzer is not None:
                self._count_usage(analyzer)  # the calls that were in flight were paid for
            return
        except (AnalysisStopped, FatalAnalysisError, PhotosorterError) as error:  # credentials, budget
            if analyzer is not None:
                self._count_usage(analyzer)
                self._group_faces(analyzer)  # the faces stored before the stop join their people all the same
            self._pause(job, str(error), _cause_of(error))
            return
        except Exception as error:
            message = f"analyze job {job.id}: {type(error).__name__}: {error}"
            self.last_error = message
            if self.queue.fail(job, message):
                self._notify(LiveEvent("parked", f"parked: {message}"))
            return
        if breaker.tripped is not None:
            if report.analyzed:
                self._group_faces(analyzer)
            self._pause(job, breaker.tripped)
            return
        self.queue.finish(job)
        self._delay = self.initial_delay
        if self.pause is not None:
            self.pause = None
            self._notify(LiveEvent("resumed", "analysis resumed"))
        if report.analyzed:
            self._group_faces(analyzer)
        if report.analyzed or report.failed or report.waiting:
            failed = f", {len(report.failed)} failed" if report.failed else ""
            waiting = f", {report.waiting} waiting for the cloud" if report.waiting else ""
            self._notify(LiveEvent("analyzed", f"analyzed {report.analyzed} photos{failed}{waiting}"))

    def _sync_if_due(self) -> None:
        """With the cloud library: what other devices and the function wrote arrives while idle too."""
        analyzer = self._analyzer
        if analyzer is None or time.monotonic() - self._synced_at < CLOUD_SYNC_SECONDS:
            return
        try:
            self._sync(analyzer)
        except (PhotosorterError, FatalAnalysisError, TransientAnalysisError) as error:
            self.last_error = f"cloud sync: {error}"  # tried again at the next due time
            self._synced_at = time.monotonic()

    def _sync(self, analyzer: Analyzer) -> None:
        sync = getattr(analyzer, "sync", None)
        if sync is None:
            return
        report = run_to_end(sync(self.catalog))
        self._synced_at = time.monotonic()
        if report.results or report.people or report.failures:
            self._group_faces(analyzer)
            self._notify(LiveEvent("analyzed", f"from the cloud library: {report.describe()}"))

    def _follow(
        self, job: Job, cancel: CancelToken, analyzer: Analyzer, features: frozenset[Feature]
    ) -> AnalysisReport:
        """Runs the job, publishing its progress and cost as each photo is stored, so the window shows
        results as they come; a settings change cancels it at the next photo."""
        billed = analyzer.name == "rekognition"
        self._run_analyzer, self._run_start = analyzer, usage_of(analyzer)[0]
        last_event = last_group = time.monotonic()
        done_before = 0
        try:
            while True:
                step = next(job)
                if self._settings_changed.is_set():
                    cancel.cancel()  # in-flight calls are still waited for and stored by the run
                self._count_usage(analyzer)
                cost = estimate(step.total, features)[1] if billed else None
                self._progress = AnalysisProgress(
                    analyzer.name, step.done, step.total, step.eta_seconds, cost
                )
                now = time.monotonic()
                if step.done > done_before and now - last_group >= GROUP_FACES_SECONDS:
                    self._group_faces(analyzer)
                    last_group = now
                if step.done == 0 or (step.done > done_before and now - last_event >= PROGRESS_EVENT_SECONDS):
                    self._notify(LiveEvent("status", f"analyzed {step.done} of {step.total} photos"))
                    last_event, done_before = now, step.done
        except StopIteration as stop:
            self._count_usage(analyzer)
            return stop.value
        finally:
            self._progress = self._run_analyzer = None  # before a pause or result is announced: it is over

    def _count_usage(self, analyzer: Analyzer) -> Usage:
        added = self.usage.count(analyzer)
        if self.usage.last_error:
            self.last_error, self.usage.last_error = self.usage.last_error, None
        return added

    def _group_faces(self, analyzer: Analyzer) -> None:
        if self._after_analysis is None:
            return
        try:  # new faces join their people and clusters right away, as after a CLI or GUI run
            self._after_analysis(analyzer)
        except (FatalAnalysisError, TransientAnalysisError, PhotosorterError) as error:
            self.last_error = f"grouping faces: {error}"  # they are grouped after the next run
        except Exception as error:  # a bug: they stay ungrouped and are grouped after the next run
            self.last_error = f"grouping faces: {type(error).__name__}: {error}"
        self._count_usage(analyzer)  # searching the collection is billed too

    def _pause(self, job: QueuedJob, reason: str, cause: PauseCause = PauseCause.UNREACHABLE) -> None:
        delay = self._delay
        self._delay = min(self._delay * 2, self.max_delay)
        self.queue.postpone(job, delay, reason)
        first = self.pause is None
        self.pause = AnalysisPause(reason, time.time() + delay, cause)
        if first:
            self._notify(LiveEvent("paused", f"analysis paused: {reason} (retrying in {delay:.0f} s)"))
        else:
            self._notify(LiveEvent("status", f"analysis still paused: {reason} (retrying in {delay:.0f} s)"))


def _cause_of(error: BaseException) -> PauseCause:
    cause = error.__cause__ if isinstance(error, AnalysisStopped) and error.__cause__ else error
    if isinstance(cause, BudgetExceeded):
        return PauseCause.BUDGET
    if isinstance(cause, FatalAnalysisError):
        return PauseCause.ACCOUNT
    return PauseCause.SETUP
