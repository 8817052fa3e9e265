"""The analysis lane: analyze jobs, paused with a visible reason while the service is unreachable.

A transient error (no network, throttling after retries) or a stop (expired
credentials, budget reached) pauses only this lane: the job goes back to the
queue without using an attempt, and is tried again after a growing delay.
Scanning and thumbnails go on meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from photosorter.core.analysis.pipeline import AnalysisRun, AnalysisStopped
from photosorter.core.analysis.types import AnalysisResult, Analyzer, Feature, TransientAnalysisError
from photosorter.core.catalog import Catalog
from photosorter.core.catalog.queue import QueuedJob
from photosorter.core.errors import PhotosorterError
from photosorter.core.jobs import Cancelled, CancelToken, run_to_end
from photosorter.core.live.changes import LiveEvent
from photosorter.core.live.queue import ANALYSIS_KINDS, JobQueue


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
    ) -> None:
        self.catalog = catalog
        self.queue = queue
        self._source = analyzer
        self._analyzer: Analyzer | None = None
        self._features_source = features_source
        self.workers = workers
        self.initial_delay, self.max_delay = backoff
        self._delay = self.initial_delay
        self._notify = notify
        self._after_analysis = after_analysis
        self._wake = threading.Event()
        self.paused_reason: str | None = None
        self.last_error: str | None = None

    def wake(self) -> None:
        self._wake.set()

    def loop(self, stopping: threading.Event, cancel: CancelToken) -> None:
        while not stopping.is_set():
            try:
                job = self.queue.claim(ANALYSIS_KINDS)
            except Exception as error:
                self.last_error = f"queue: {type(error).__name__}: {error}"
                job = None
            if job is None:
                wait = self.queue.next_ready_in(ANALYSIS_KINDS)
                self._wake.wait(min(wait if wait is not None else 1.0, 1.0))
                self._wake.clear()
                continue
            self._run(job, cancel)

    def close(self) -> None:
        """Releases the analyzer's resources (worker processes, connections); it is rebuilt if needed."""
        analyzer, self._analyzer = self._analyzer, None
        close = getattr(analyzer, "close", None)
        if close is not None:
            close()

    def _analyzer_now(self) -> Analyzer:
        if self._analyzer is None:
            source = self._source
            self._analyzer = source() if callable(source) and not hasattr(source, "analyze") else source
        return self._analyzer

    def _run(self, job: QueuedJob, cancel: CancelToken) -> None:
        try:
            analyzer = self._analyzer_now()
            breaker = CircuitBreaker(analyzer)
            run = AnalysisRun(self.catalog, breaker, self._features_source(analyzer), workers=self.workers)
            report = run_to_end(run.run(cancel))
        except Cancelled:
            self.queue.abandon(job)
            return
        except (AnalysisStopped, PhotosorterError) as error:  # expired credentials, budget, no model
            self._group(self._analyzer)  # the faces stored before the stop join their people all the same
            self._pause(job, str(error))
            return
        except Exception as error:
            message = f"analyze job {job.id}: {type(error).__name__}: {error}"
            self.last_error = message
            if self.queue.fail(job, message):
                self._notify(LiveEvent("parked", f"parked: {message}"))
            return
        if breaker.tripped is not None:
            if report.analyzed:
                self._group(analyzer)
            self._pause(job, breaker.tripped)
            return
        self.queue.finish(job)
        self._delay = self.initial_delay
        if self.paused_reason is not None:
            self.paused_reason = None
            self._notify(LiveEvent("resumed", "analysis resumed"))
        if report.analyzed:
            self._group(analyzer)
        if report.analyzed or report.failed:
            failed = f", {len(report.failed)} failed" if report.failed else ""
            self._notify(LiveEvent("analyzed", f"analyzed {report.analyzed} photos{failed}"))

    def _group(self, analyzer: Analyzer | None) -> None:
        """New faces join their people and clusters right away, as after a CLI or GUI run."""
        if self._after_analysis is None or analyzer is None:
            return
        try:
            self._after_analysis(analyzer)
        except Exception as error:  # they stay ungrouped and are grouped after the next run
            self.last_error = f"grouping faces: {type(error).__name__}: {error}"

    def _pause(self, job: QueuedJob, reason: str) -> None:
        delay = self._delay
        self._delay = min(self._delay * 2, self.max_delay)
        self.queue.postpone(job, delay, reason)
        first = self.paused_reason is None
        self.paused_reason = reason
        if first:
            self._notify(LiveEvent("paused", f"analysis paused: {reason} (retrying in {delay:.0f} s)"))
