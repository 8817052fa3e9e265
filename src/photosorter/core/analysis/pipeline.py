"""The analysis stage of the pipeline: pending contents → analyzer → catalog.

The desktop form of the cloud pattern this app comes from (photo lands →
trigger → Rekognition → database): worker threads turn photos into analysis
images and call the analyzer; this generator is the single writer that stores
each answer the moment it arrives. A backend that bills one call per feature
(``calls_per_feature``) is asked one feature at a time, so every paid answer is
stored on its own: an outage, a cancel, a crash or a kill -9 loses at most the
calls in flight, and the next run asks only for what is missing.

Concurrent runs on one catalog (two commands, the CLI and the app, ``watch``)
split the work: a run claims each content's features just before it starts
them (``core/catalog/claims.py``) and renews its claims while it works.
"""

from __future__ import annotations

import contextlib
import os
import queue
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from photosorter.core.analysis import lease
from photosorter.core.analysis.source import (
    ImageLoader,
    SourceUnavailable,
    SourceUnusable,
    environment_fault,
    load_source,
    unavailable_reason,
)
from photosorter.core.analysis.types import (
    AnalysisError,
    AnalysisResult,
    Analyzer,
    FatalAnalysisError,
    Feature,
    TransientAnalysisError,
)
from photosorter.core.analysis.video.analyze import analyze_video
from photosorter.core.analysis.video.keyframes import DecodeTooSlow, VideoUnreadable
from photosorter.core.analysis.video.timeline import VideoResult
from photosorter.core.catalog import Catalog
from photosorter.core.catalog import analysis as analysis_rows
from photosorter.core.catalog import claims as claim_rows
from photosorter.core.catalog import video_analysis as video_rows
from photosorter.core.catalog.paths import display
from photosorter.core.errors import PhotosorterError
from photosorter.core.imaging import analysis_jpeg
from photosorter.core.jobs import Cancelled, CancelToken, EtaClock, Job, Progress


class Offloaded(Protocol):
    """What an offloading analyzer (the cloud library) did with one content; the run's writer stores it."""

    @property
    def waiting(self) -> bool: ...  # handed over: the result comes later, by sync

    @property
    def error(self) -> str: ...  # refused for a reason of its own, recorded by ``store``

    def store(self, catalog: Catalog) -> None: ...


# (catalog, content, make its analysis image) -> outcome
Offload = Callable[[Catalog, analysis_rows.PendingContent, Callable[[], bytes]], Offloaded]


class AnalysisStopped(PhotosorterError):
    """The run stopped on purpose (bad credentials, budget reached); finished work is kept."""


@dataclass(slots=True)
class AnalysisReport:
    analyzed: int = 0
    skipped: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    pending: int = 0  # left for a later run (transient errors, cancel, --limit)
    elsewhere: int = 0  # being analyzed by another run at the same time
    waiting: int = 0  # handed to a remote service (the cloud library): its result comes by sync
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
            "elsewhere": self.elsewhere,
            "waiting": self.waiting,
            "calls": dict(self.calls),
            "estimated_cost_usd": round(self.estimated_cost_usd, 4),
            "seconds": round(self.seconds, 3),
            "stopped": self.stopped,
        }


# What a worker tells the writer, in the order it happens.
@dataclass(frozen=True, slots=True)
class _Answered:
    """The analyzer answered for some features: paid for, so stored at once."""

    item: analysis_rows.PendingContent
    result: AnalysisResult
    video: VideoResult | None = None  # a video's result: stored with when each thing is seen


@dataclass(frozen=True, slots=True)
class _Refused:
    """These features of this content cannot be analyzed (image refused): recorded, never retried."""

    item: analysis_rows.PendingContent
    features: frozenset[Feature]
    error: str
    path: str


@dataclass(frozen=True, slots=True)
class _Ended:
    """The worker is done with this content; what is not stored by now stays pending."""

    item: analysis_rows.PendingContent
    path: str | None = None
    transient: str | None = None
    fatal: FatalAnalysisError | None = None
    not_started: bool = False  # the run stopped before this content's turn
    waiting: bool = False  # handed to a remote service: neither analyzed nor failed


@dataclass(frozen=True, slots=True)
class _Keyframes:
    """A video in progress has this many keyframes analyzed (a long video is minutes of work)."""

    item: analysis_rows.PendingContent
    path: str
    done: int


@dataclass(frozen=True, slots=True)
class _Offloaded:
    """An offloading analyzer dealt with this content (found a result, or handed it over)."""

    item: analysis_rows.PendingContent
    outcome: Offloaded


_Event = _Answered | _Refused | _Ended | _Keyframes | _Offloaded


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
        self.owner = lease.new_owner()
        self._fatal: FatalAnalysisError | None = None
        self._videos: dict[str, tuple[str, int]] = {}  # videos in progress: hash -> (file name, keyframes)
        # one call per feature: ask for each on its own, so each paid answer is stored on its own
        self._per_feature = bool(getattr(analyzer, "calls_per_feature", False))

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
        waiting = getattr(self.analyzer, "waiting", None)
        if waiting is not None:  # handed over by an earlier run: the sync brings their results
            held = waiting(self.catalog)
            report.waiting = sum(item.hash in held for item in work)
            work = [item for item in work if item.hash not in held]
        total = len(work)
        yield Progress(0, total, self._title(), self._detail(report))
        fatal: FatalAnalysisError | None = None
        finished = 0
        try:
            fatal = self._prepare(work)
            if fatal is None:
                eta = EtaClock()
                for finished in self._analyze_all(work, cancel, report):
                    yield Progress(
                        finished, total, self._title(), self._detail(report), eta.update(finished, total)
                    )
                fatal = self._fatal
        finally:
            with contextlib.suppress(PhotosorterError):  # the claims expire anyway
                claim_rows.release(self.catalog, self.owner)
            report.calls, report.estimated_cost_usd = usage_of(self.analyzer)
            report.pending += total - finished  # not reached: cancelled, stopped
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
        if report.waiting:
            parts.append(f"{report.waiting} waiting for the cloud")
        if calls:
            parts.append(f"{sum(calls.values())} calls, ${cost:.2f}")
        if report.failed:
            parts.append(f"{len(report.failed)} failed")
        parts += [f"{name}: {done} keyframe{'s' * (done != 1)}" for name, done in self._videos.values()]
        return " · ".join(parts)

    def _prepare(self, work: list[analysis_rows.PendingContent]) -> FatalAnalysisError | None:
        """Once, before any worker starts: e.g. the face collection is made or confirmed here, not by
        several workers at once."""
        prepare = getattr(self.analyzer, "prepare", None)
        if not work or prepare is None:
            return None
        try:
            prepare(frozenset().union(*(item.features for item in work)))
        except FatalAnalysisError as error:
            return error
        except (TransientAnalysisError, AnalysisError):
            pass  # each photo's own calls meet the same trouble and are handled one by one
        return None

    # -- the writer --------------------------------------------------------------------------------------

    def _analyze_all(
        self, work: list[analysis_rows.PendingContent], cancel: CancelToken, report: AnalysisReport
    ) -> Iterator[int]:
        """Yields how many contents are finished after each one. After a fatal error or a cancel no new
        content starts, but the calls already in flight are waited for and their answers stored: they
        are paid for. Sets ``self._fatal``; raises Cancelled at the end of a cancelled run."""
        self._fatal = None
        window = self.workers  # claim only what is being worked on: a concurrent run takes the rest
        todo = deque(work)
        open_items: dict[str, list[str]] = {}  # hash -> errors met so far
        events: queue.SimpleQueue[_Event] = queue.SimpleQueue()
        stop = CancelToken()  # set on a fatal error or a cancel: queued work returns without calling out
        finished = 0
        renewed = time.monotonic()
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="analyze")
        # a video's keyframes are analyzed here, shared by every video in progress: a video keeps all
        # the cores busy, and several videos at once do not oversubscribe them
        self._frames = ThreadPoolExecutor(self.workers, thread_name_prefix="analyze-frame")
        try:
            while True:
                if cancel.cancelled or self._fatal is not None:
                    stop.cancel()
                if todo and not stop.cancelled and not cancel.paused and len(open_items) < window:
                    batch = [todo.popleft() for _ in range(min(window - len(open_items), len(todo)))]
                    claimed = claim_rows.claim(
                        self.catalog,
                        self.analyzer.name,
                        self.owner,
                        batch,
                        self.versions,
                        refresh=self.refresh,
                        lease_seconds=lease.LEASE_SECONDS,
                        owner_gone=lease.owner_gone,
                    )
                    report.skipped += claimed.done_elsewhere
                    report.elsewhere += claimed.busy_elsewhere
                    for item in claimed.claimed:
                        open_items[item.hash] = []
                        pool.submit(self._work, item, stop, events)
                    if len(claimed.claimed) < len(batch):
                        finished += len(batch) - len(claimed.claimed)
                        yield finished
                    continue
                if not open_items:
                    if not todo or stop.cancelled:
                        break
                    with contextlib.suppress(Cancelled):
                        cancel.check()  # paused with nothing in flight: wait for resume or cancel
                    continue
                try:
                    event = events.get(timeout=lease.RENEW_SECONDS)
                except queue.Empty:
                    event = None
                if time.monotonic() - renewed >= lease.RENEW_SECONDS:
                    claim_rows.renew(self.catalog, self.owner, lease.LEASE_SECONDS)
                    renewed = time.monotonic()
                if isinstance(event, _Keyframes):
                    self._videos[event.item.hash] = (os.path.basename(display(event.path)), event.done)
                    yield finished  # the same count, a new detail: a long video shows it is moving
                elif event is not None and self._handle(event, open_items, report):
                    finished += 1
                    yield finished
        finally:
            stop.cancel()
            pool.shutdown(wait=True, cancel_futures=True)
            self._frames.shutdown(wait=True, cancel_futures=True)
            # answers that arrived after the consumer stopped listening (Ctrl-C, a closed job) are paid too
            with contextlib.suppress(queue.Empty, PhotosorterError):  # a full disk stores nothing more
                while True:
                    event = events.get_nowait()
                    if not isinstance(event, _Keyframes):
                        self._handle(event, open_items, report)
        if cancel.cancelled:
            raise Cancelled()

    def _handle(self, event: _Event, open_items: dict[str, list[str]], report: AnalysisReport) -> bool:
        """Stores what a worker reported; True when the content is finished."""
        item = event.item
        assert not isinstance(event, _Keyframes)  # progress only: the writer shows it, nothing is stored
        if isinstance(event, _Offloaded):
            event.outcome.store(self.catalog)
            if event.outcome.error:
                open_items.setdefault(item.hash, []).append(event.outcome.error)
            return False
        if isinstance(event, _Answered):
            if event.video is not None:
                video_rows.store_video_result(self.catalog, item.hash, event.video, self.versions)
            else:
                analysis_rows.store_result(self.catalog, item.hash, event.result, self.versions)
            return False
        if isinstance(event, _Refused):
            analysis_rows.store_failure(
                self.catalog, item.hash, self.analyzer.name, event.features, self.versions, event.error
            )
            open_items.setdefault(item.hash, []).append(event.error)
            return False
        errors = open_items.pop(item.hash, [])
        self._videos.pop(item.hash, None)
        claim_rows.release(self.catalog, self.owner, [item.hash])
        path = display(event.path or item.paths[0])
        if event.fatal is not None:
            self._fatal = self._fatal or event.fatal
            report.pending += 1
        elif event.not_started:
            report.pending += 1
        elif event.waiting:
            report.waiting += 1
        elif event.transient is not None:
            report.failed.append({"path": path, "error": f"{event.transient} (will retry next run)"})
            report.pending += 1
        elif errors:
            report.failed.append({"path": path, "error": errors[0]})
        else:
            report.analyzed += 1
        return True

    # -- the workers -------------------------------------------------------------------------------------

    def _steps(self, features: frozenset[Feature]) -> list[frozenset[Feature]]:
        if self._per_feature:
            return [frozenset({f}) for f in Feature if f in features]
        return [features]

    def _work(self, item: analysis_rows.PendingContent, stop: CancelToken, events: queue.SimpleQueue) -> None:
        ended = _Ended(item, not_started=True)
        try:
            ended = self._analyze_one(item, stop, events)
        except Exception as error:  # our bug: the content stays pending, the run goes on
            ended = _Ended(item, transient=f"analysis failed: {type(error).__name__}: {error}")
        finally:
            events.put(ended)  # the writer waits for every content's end, whatever happens

    def _analyze_one(
        self, item: analysis_rows.PendingContent, stop: CancelToken, events: queue.SimpleQueue
    ) -> _Ended:
        if stop.cancelled:
            return _Ended(item, not_started=True)
        offload = getattr(self.analyzer, "offload", None)
        if offload is not None:
            return self._offload(item, offload, events)
        if item.video is not None:
            return self._analyze_video(item, item.video, stop, events)
        try:
            source = load_source(item.paths, self.load_image)
        except SourceUnavailable as error:
            return _Ended(item, transient=str(error))
        except SourceUnusable as error:
            events.put(_Refused(item, item.features, f"cannot make analysis image: {error}", error.path))
            return _Ended(item, path=error.path)
        path = source.path
        budget_for = getattr(self.analyzer, "budget_for", None) if self._per_feature else None
        try:
            # a budget stops the run between photos: the whole photo's calls are set aside first
            with budget_for(item.features) if budget_for else contextlib.nullcontext():
                # a started photo is finished, as when it was one call: a cancel or a stop starts no new one
                for features in self._steps(item.features):
                    try:
                        result = self.analyzer.analyze(source.data, features)
                    except AnalysisError as error:
                        events.put(_Refused(item, features, str(error), path))
                        continue
                    events.put(_Answered(item, result))
        except FatalAnalysisError as error:
            return _Ended(item, path=path, fatal=error)
        except TransientAnalysisError as error:
            return _Ended(item, path=path, transient=str(error))
        except Exception as error:  # one odd image must not end a run over a whole library
            # transient: if this is our bug, fixing it must not require un-marking a library of failures
            return _Ended(item, path=path, transient=f"analyzer failed: {type(error).__name__}: {error}")
        return _Ended(item, path=path)

    def _offload(
        self, item: analysis_rows.PendingContent, offload: Offload, events: queue.SimpleQueue
    ) -> _Ended:
        """An analyzer that hands contents to a remote service (the cloud library) and may find their
        results there already; it makes the analysis image only when it sends it (a video: its own file)."""
        loaded: list[str] = []

        def load() -> bytes:
            source = load_source(item.paths, self.load_image)
            loaded.append(source.path)
            return source.data

        try:
            outcome = offload(self.catalog, item, load)
        except SourceUnavailable as error:
            return _Ended(item, transient=str(error))
        except SourceUnusable as error:
            events.put(_Refused(item, item.features, f"cannot make analysis image: {error}", error.path))
            return _Ended(item, path=error.path)
        except AnalysisError as error:
            path = loaded[0] if loaded else item.paths[0]
            events.put(_Refused(item, item.features, str(error), path))
            return _Ended(item, path=path)
        except FatalAnalysisError as error:
            return _Ended(item, fatal=error)
        except TransientAnalysisError as error:
            return _Ended(item, transient=str(error))
        events.put(_Offloaded(item, outcome))
        return _Ended(item, path=loaded[0] if loaded else None, waiting=outcome.waiting)

    def _analyze_video(
        self,
        item: analysis_rows.PendingContent,
        video: analysis_rows.VideoFacts,
        stop: CancelToken,
        events: queue.SimpleQueue,
    ) -> _Ended:
        """A video: its keyframes through the same analyzer, each answer stored as it arrives (a stop
        keeps them for the next run). Each frame's calls are reserved against a budget on their own,
        so a budget stops a run between keyframes."""
        unavailable: list[str] = []
        for path in item.paths:
            try:
                found = analyze_video(
                    self.catalog,
                    self.analyzer,
                    item.hash,
                    path,
                    item.features,
                    self.versions,
                    stop=stop,
                    duration_s=video.duration_s,
                    rotation=video.rotation,
                    workers=self.workers,
                    pool=self._frames,
                    on_frame=lambda done, path=path: events.put(_Keyframes(item, path, done)),
                )
            except Cancelled:
                return _Ended(item, path=path, not_started=True)
            except DecodeTooSlow as error:
                return _Ended(item, path=path, transient=str(error))
            except (VideoUnreadable, AnalysisError) as error:
                events.put(_Refused(item, item.features, f"cannot analyze the video: {error}", path))
                return _Ended(item, path=path)
            except OSError as error:
                fault = environment_fault(error)
                if fault is None:
                    events.put(_Refused(item, item.features, f"cannot read the video: {error}", path))
                    return _Ended(item, path=path)
                unavailable.append(f"{display(path)}: {unavailable_reason(fault)}")
                continue
            except FatalAnalysisError as error:
                return _Ended(item, path=path, fatal=error)
            except TransientAnalysisError as error:
                return _Ended(item, path=path, transient=str(error))
            events.put(_Answered(item, found.result, found))
            return _Ended(item, path=path)
        return _Ended(item, transient="; ".join(unavailable) or "no copy of this video is known")
