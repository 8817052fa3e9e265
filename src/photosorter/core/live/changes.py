"""What a scan pass changed, path by path: the lines `photosorter watch` prints and the GUI may show."""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from enum import StrEnum

from photosorter.core.catalog import Catalog
from photosorter.core.catalog import photos as photo_rows

Snapshot = dict[str, photo_rows.KnownFile]


class PauseCause(StrEnum):
    """What kind of fix a pause needs: the app points at the right place (Settings, the network)."""

    UNREACHABLE = "unreachable"  # no network, throttled, a worker died: it passes by itself
    ACCOUNT = "account"  # credentials, region or access: the AWS profile and region in Settings
    BUDGET = "budget"  # the budget would be exceeded: raise it in Settings
    SETUP = "setup"  # no feature chosen, a model missing: Settings or the installation


@dataclass(frozen=True, slots=True)
class AnalysisPause:
    """Why the analysis lane waits, and when it tries again (a unix time): the GUI counts down to it."""

    reason: str
    retry_at: float
    cause: PauseCause = PauseCause.UNREACHABLE

    def seconds_left(self, now: float | None = None) -> int:
        return max(0, math.ceil(self.retry_at - (time.time() if now is None else now)))


@dataclass(frozen=True, slots=True)
class Usage:
    """Billable calls to an analysis service and their cost at list price (pricing.py)."""

    calls: int = 0
    cost_usd: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.calls + other.calls, self.cost_usd + other.cost_usd)


@dataclass(frozen=True, slots=True)
class AnalysisProgress:
    """The analysis run in progress: photos stored so far, the time left, and its cost."""

    backend: str
    done: int
    total: int
    eta_seconds: float | None = None  # None until the rate is known
    estimate_usd: float | None = None  # what the whole run costs at list price; None for a free backend
    usage: Usage = Usage()  # calls made by this run so far


@dataclass(frozen=True, slots=True)
class LiveStatus:
    """The live library at a glance: what the status bar and the jobs panel show."""

    started: bool
    pending: int  # jobs waiting (scan, thumbnail, analyze)
    running: int  # jobs being worked on now
    parked: int  # jobs that failed repeatedly and wait for the user (`photosorter jobs retry`)
    pause: AnalysisPause | None  # why analysis is paused (no network, expired credentials); None if it runs
    last_error: str | None
    watching: tuple[str, ...]  # library folders being watched
    offline: tuple[str, ...]  # library folders that are not there (an unplugged disk)
    settling: int  # changed paths waiting for their writes to finish
    progress: AnalysisProgress | None = None  # the analysis run going on now
    failures: int = 0  # photos whose analysis failed (too small, unreadable): shown with Retry
    session: Usage = Usage()  # billable calls since the app started
    month: Usage = Usage()  # billable calls this calendar month (UTC), from the catalog

    @property
    def paused_reason(self) -> str | None:
        return self.pause.reason if self.pause is not None else None


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One change: ``kind`` is added, updated, moved, removed, error, offline, online, analyzed,
    paused, resumed, parked or status (nothing changed but the counts)."""

    kind: str
    message: str
    path: str | None = None
    status: LiveStatus | None = None

    def to_dict(self) -> dict[str, object]:
        return {"event": self.kind, "message": self.message, "path": self.path}


def _under(path: str, roots: frozenset[str] | None) -> bool:
    if roots is None:
        return True
    while path not in roots:  # up through the parents: cheap for thousands of roots
        parent = os.path.dirname(path)
        if parent == path:
            return False
        path = parent
    return True


def snapshot(catalog: Catalog, folder_ids: list[int], roots: frozenset[str] | None) -> Snapshot:
    """The catalog's rows for the paths a job is about (``None``: every path of those folders)."""
    found: Snapshot = {}
    for folder_id in folder_ids:
        if roots is None:
            found.update(photo_rows.known_files(catalog, folder_id))
            continue
        # only the rows under the job's paths: a batch of new files must not load a 100,000-photo folder
        rows = photo_rows.known_files_under(catalog, folder_id, roots)
        found.update((path, row) for path, row in rows.items() if _under(path, roots))
    return found


def diff(before: Snapshot, after: Snapshot) -> list[LiveEvent]:
    """Per-path events; a row that kept its id under a new path is a move, not a removal and an add."""
    visible = ("ok", "error", "offline")
    old_path_of = {row.id: path for path, row in before.items() if row.state in visible}
    new_path_of = {row.id: path for path, row in after.items() if row.state in visible}
    events: list[LiveEvent] = []
    for path, row in sorted(after.items()):
        if row.state not in ("ok", "error"):
            continue
        old = before.get(path)
        previous_path = old_path_of.get(row.id)
        if previous_path is not None and previous_path != path:
            events.append(LiveEvent("moved", f"moved {previous_path} → {path}", path))
        elif old is None or old.id != row.id or old.state == "missing":
            kind = "error" if row.state == "error" else "added"
            events.append(LiveEvent(kind, f"{kind} {path}", path))
        elif (old.size, old.mtime_ns, old.state) != (row.size, row.mtime_ns, row.state):
            kind = "error" if row.state == "error" else "updated"
            events.append(LiveEvent(kind, f"{kind} {path}", path))
    for path, row in sorted(before.items()):
        if row.state in visible and row.id not in new_path_of:
            now = after.get(path)
            if now is None or now.state == "missing":
                events.append(LiveEvent("removed", f"removed {path}", path))
    return events
