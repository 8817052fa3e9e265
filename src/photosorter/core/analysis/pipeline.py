"""The analysis stage of the pipeline: pending contents → analyzer → catalog.

The desktop form of the cloud pattern this app comes from (photo lands →
trigger → Rekognition → database): worker threads turn photos into analysis
images and call the analyzer; this generator is the single writer that stores
each result the moment it arrives, so an interruption loses at most the calls
in flight and the next run resumes where this one stopped.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from photosorter.core.analysis.types import (
    AnalysisError,
    AnalysisResult,
    Analyzer,
    FatalAnalysisError,
    Feature,
    TransientAnalysisError,
)
from photosorter.core.catalog import Catalog
from photosorter.core.catalog import analysis as analysis_rows
from photosorter.core.catalog.paths import display
from photosorter.core.errors import PhotosorterError
from photosorter.core.imaging import UnreadablePhoto, analysis_jpeg
from photosorter.core.jobs import Cancelled, CancelToken, EtaClock, Job, Progress

ImageLoader = Callable[[str], bytes]


class AnalysisStopped(PhotosorterError):
    """The run stopped on purpose (bad credentials, budget reached); finished work is kept."""


@dataclass(slots=True)
class AnalysisReport:
    analyzed: int = 0
    skipped: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    pending: int = 0  # left for a later run (transient errors, cancel, --limit)
    calls: dict[str, int] = field(default_factory=dict)
    estimated_cost_usd: float = 0.0
    seconds: float = 0.0
    stopped: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "analyzed": self.analyzed,
            "skipped": self.skipped,
            "failed": self.failed,
            "pending": self.pending,
            "calls": dict(self.calls),
            "estimated_cost_usd": round(self.estimated_cost_usd, 4),
            "seconds": round(self.seconds, 3),
            "stopped": self.stopped,
        }


@dataclass(frozen=True, slots=True)
class _Outcome:
    item: analysis_rows.PendingContent
    result: AnalysisResult | None = None
    error: str | None = None
    path: str | None = None
    transient: bool = False
    fatal: FatalAnalysisError | None = None
    not_started: bool = False  # the run stopped before this photo's turn


def usage_of(analyzer: Analyzer) -> tuple[dict[str, int], float]:
    """Calls per operation and estimated cost so far, for backends that bill per call."""
    meter = getattr(analyzer, "meter", None)
    if meter is None:
        return {}, 0.0
    return {str(op): n for op, n in meter.calls.items()}, float(meter.estimated_cost_usd)


def default_workers(analyzer: Analyzer) -> int:
    # A remote service is latency-bound, so more calls in flight than cores; its rate limiter paces them.
    preferred = getattr(analyzer, "preferred_workers", None)
    return int(preferred) if preferred else (os.cpu_count() or 2)


class AnalysisRun:
    def __init__(
        self,
        catalog: Catalog,
        analyzer: Analyzer,
        features: frozenset[Feature] | None = None,
        *,
        limit: int | None = None,
        refresh: bool = False,
        workers: int = 0,
        load_image: ImageLoader = analysis_jpeg,
    ) -> None:
        self.catalog = catalog
        self.analyzer = analyzer
        self.features = features or analyzer.default_features
        self.versions: Mapping[Feature, str] = {f: analyzer.model_version(f) for f in self.features}
        self.limit = limit
        self.refresh = refresh
        self.workers = workers or default_workers(analyzer)
        self.load_image = load_image

    def pending(self) -> tuple[list[analysis_rows.PendingContent], int]:
        return analysis_rows.pending(
            self.catalog, self.analyzer.name, self.versions, refresh=self.refresh, limit=self.limit
        )

    def run(self, cancel: CancelToken | None = None) -> Job:
        """Generator: yields Progress, returns an AnalysisReport."""
        cancel = cancel or CancelToken()
        started = time.monotonic()
        report = AnalysisReport()
        yield Progress(0, 0, "Finding photos to analyze…")
        work, report.skipped = self.pending()
        total = len(work)
        eta = EtaClock()
        yield Progress(0, total, self._title(), self._detail(report))
        fatal: FatalAnalysisError | None = None
        done = 0
        try:
            for outcome in self._analyze_all(work, cancel):
                done += 1
                stopped_by = self._record(outcome, report)  # always record: later results are paid for too
                fatal = fatal or stopped_by
                yield Progress(done, total, self._title(), self._detail(report), eta.update(done, total))
        finally:
            report.calls, report.estimated_cost_usd = usage_of(self.analyzer)
            report.pending += total - done  # not reached: cancelled, stopped
            report.seconds = time.monotonic() - started
        if fatal is not None:
            report.stopped = str(fatal)
            raise AnalysisStopped(str(fatal)) from fatal
        return report

    def _title(self) -> str:
        return f"Analyzing ({self.analyzer.name})"

    def _detail(self, report: AnalysisReport) -> str:
        calls, cost = usage_of(self.analyzer)
        parts = []
        if calls:
            parts.append(f"{sum(calls.values())} calls, ${cost:.2f}")
        if report.failed:
            parts.append(f"{len(report.failed)} failed")
        return " · ".join(parts)

    def _record(self, outcome: _Outcome, report: AnalysisReport) -> FatalAnalysisError | None:
        item = outcome.item
        if outcome.fatal is not None:
            return outcome.fatal
        if outcome.result is not None:
            analysis_rows.store_result(self.catalog, item.hash, outcome.result, self.versions)
            report.analyzed += 1
            return None
        path = display(outcome.path or item.paths[0])
        if outcome.transient:
            report.failed.append({"path": path, "error": f"{outcome.error} (will retry next run)"})
            report.pending += 1
            return None
        analysis_rows.store_failure(
            self.catalog,
            item.hash,
            self.analyzer.name,
            item.features,
            self.versions,
            outcome.error or "unknown",
        )
        report.failed.append({"path": path, "error": outcome.error or "unknown"})
        return None

    def _analyze_all(self, work: list[analysis_rows.PendingContent], cancel: CancelToken):
        """Yields outcomes in order. After a fatal error or a cancel, no new photo starts, but the calls
        already in flight are waited for and yielded: they are paid for, so their results are kept."""
        window = self.workers * 2
        pending: deque[Future[_Outcome]] = deque()
        stop = CancelToken()  # set on a fatal error so queued items return at once without calling out
        cancelled: Cancelled | None = None
        with ThreadPoolExecutor(self.workers, thread_name_prefix="analyze") as pool:
            try:
                for item in work:
                    if stop.cancelled:
                        break
                    try:
                        cancel.check()
                    except Cancelled as error:
                        cancelled = error
                        stop.cancel()
                        break
                    pending.append(pool.submit(self._analyze_one, item, stop))
                    while len(pending) >= window:
                        outcome = pending.popleft().result()
                        if outcome.fatal:
                            stop.cancel()
                        yield outcome
                while pending:
                    outcome = pending.popleft().result()
                    if outcome.fatal or cancel.cancelled:
                        stop.cancel()
                    if not outcome.not_started:
                        yield outcome
            finally:
                stop.cancel()
                for future in pending:
                    future.cancel()
        if cancelled is not None or cancel.cancelled:
            raise cancelled or Cancelled()

    def _analyze_one(self, item: analysis_rows.PendingContent, stop: CancelToken) -> _Outcome:
        if stop.cancelled:
            return _Outcome(item, not_started=True)
        image, path, problem = None, None, "no readable copy"
        for candidate in item.paths:  # any copy will do: they are the same bytes
            try:
                image, path = self.load_image(candidate), candidate
                break
            except UnreadablePhoto as error:
                problem, path = str(error), candidate
            except OSError as error:
                problem, path = f"cannot read file ({error.strerror or error})", candidate
        if image is None:
            return _Outcome(item, error=f"cannot make analysis image: {problem}", path=path)
        try:
            result = self.analyzer.analyze(image, item.features)
        except FatalAnalysisError as error:
            return _Outcome(item, path=path, fatal=error)
        except TransientAnalysisError as error:
            return _Outcome(item, error=str(error), path=path, transient=True)
        except AnalysisError as error:
            return _Outcome(item, error=str(error), path=path)
        except Exception as error:  # one odd image must not end a run over a whole library
            # transient: if this is our bug, fixing it must not require un-marking a library of failures
            reason = f"analyzer failed: {type(error).__name__}: {error}"
            return _Outcome(item, error=reason, path=path, transient=True)
        return _Outcome(item, result=result, path=path)
