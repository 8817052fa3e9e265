"""What analysis costs: an analyzer's meter becomes the month's rows in the catalog, each call once."""

from __future__ import annotations

import threading
from dataclasses import replace

from photosorter.core.analysis.pipeline import usage_of
from photosorter.core.analysis.pricing import estimate, price
from photosorter.core.analysis.types import Analyzer, Feature
from photosorter.core.catalog import Catalog
from photosorter.core.catalog import usage as usage_rows
from photosorter.core.jobs import Job
from photosorter.core.live.changes import Usage


class UsageRecorder:
    """Adds the calls an analyzer made since the last look to this month's totals (and to ``session``).
    A new analyzer (new settings) starts a new meter: its calls are counted from zero."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.session = Usage()
        self.last_error: str | None = None
        self._analyzer: Analyzer | None = None
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()

    def count(self, analyzer: Analyzer) -> Usage:
        """Records the new calls; returns them (nothing for a backend that does not bill)."""
        calls, _ = usage_of(analyzer)
        with self._lock:
            if analyzer is not self._analyzer:
                self._analyzer, self._seen = analyzer, {}
            new = {op: n - self._seen.get(op, 0) for op, n in calls.items()}
            new = {op: (n, n * price(op)) for op, n in new.items() if n > 0}
            if not new:
                return Usage()
            self._seen = dict(calls)
            added = Usage(sum(n for n, _ in new.values()), sum(cost for _, cost in new.values()))
            self.session += added
        try:
            usage_rows.add(self.catalog, analyzer.name, new)
        except Exception as error:  # a locked catalog must not stop a run; the session total still counts
            self.last_error = f"recording usage: {type(error).__name__}: {error}"
        return added


def with_estimate(job: Job, features: frozenset[Feature]) -> Job:
    """A billed run's progress with what its photos cost at list price (photos × features × price, as
    ``--dry-run`` says), from the moment their number is known, before the first call."""
    try:
        while True:
            step = next(job)
            if step.total:
                cost = estimate(step.total, features)[1]
                plural = "s" if step.total != 1 else ""
                detail = f"≈ ${cost:.3f} for {step.total:,} photo{plural}"
                step = replace(step, detail=f"{step.detail} of {detail}" if step.detail else detail)
            yield step
    except StopIteration as stop:
        return stop.value
