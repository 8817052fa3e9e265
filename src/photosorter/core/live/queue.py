"""The persistent job queue: what is left to do survives a crash, a kill or a restart.

Rows live in the catalog (``core/catalog/queue.py``). A job is claimed and
finished in short transactions; a job whose process died is reclaimed by the
next process to start; a job that keeps failing is parked with its error for
the user to see and retry, never retried forever.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from photosorter.core.analysis.lease import local_pid, new_owner, owner_gone
from photosorter.core.catalog import Catalog
from photosorter.core.catalog import queue as queue_rows
from photosorter.core.catalog.paths import display
from photosorter.core.catalog.queue import QueuedJob

MAX_ATTEMPTS = 3
STALE_SECONDS = 600.0  # a job claimed on another machine (a catalog on a shared disk) with no sign of life

SCAN, THUMBNAIL, ANALYZE = "scan", "thumbnail", "analyze"
LOCAL_KINDS = (SCAN, THUMBNAIL)
ANALYSIS_KINDS = (ANALYZE,)


def job_subject(job: QueuedJob, folders: dict[int, str]) -> str:
    """What a job is about, in the user's words: the folder a whole pass covers, how many changed files
    or thumbnails, or the new photos analysis looks for. ``folders`` maps library folder ids to paths.
    The queue panel and ``photosorter jobs`` show it beside the job's kind."""
    payload = job.payload
    if job.kind == SCAN and "folder_id" in payload:
        path = folders.get(payload["folder_id"])
        return display(path) if path is not None else "a removed folder"
    if job.kind == SCAN:
        count = sum(len(paths) for paths in payload.get("paths", {}).values())
        return f"{count:,} changed file{'s' if count != 1 else ''}"
    if job.kind == THUMBNAIL:
        count = len(payload.get("hashes", []))
        return f"{count:,} thumbnail{'s' if count != 1 else ''}"
    return "new photos"


@dataclass(frozen=True, slots=True)
class QueueCounts:
    pending: int
    running: int
    parked: int


class JobQueue:
    """One process's handle on the queue; ``owner`` names this process in the rows it claims."""

    def __init__(self, catalog: Catalog, *, max_attempts: int = MAX_ATTEMPTS, retry_delay: float = 2.0):
        self.catalog = catalog
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self.owner = new_owner()

    # -- adding work ---------------------------------------------------------------------------------------
    def scan_paths(self, paths_by_folder: dict[str, list[str]]) -> int | None:
        """An incremental pass over changed paths, keyed by library folder id (as text: JSON keys)."""
        payload = {"paths": {folder: sorted(paths) for folder, paths in paths_by_folder.items()}}
        return queue_rows.enqueue(self.catalog, SCAN, payload)

    def scan_folder(self, folder_id: int) -> int | None:
        """A whole-folder pass (start-up, a folder coming back online); queued once however often asked."""
        return queue_rows.enqueue(
            self.catalog, SCAN, {"folder_id": folder_id}, key=f"scan-folder:{folder_id}"
        )

    def analyze_pending(self) -> int | None:
        """Analysis of every content that lacks a result; one pending job covers all new photos."""
        return queue_rows.enqueue(self.catalog, ANALYZE, {}, key="analyze")

    def thumbnails(self, hashes: list[str]) -> int | None:
        return queue_rows.enqueue(self.catalog, THUMBNAIL, {"hashes": sorted(hashes)})

    # -- working -------------------------------------------------------------------------------------------
    def claim(self, kinds: tuple[str, ...]) -> QueuedJob | None:
        return queue_rows.claim(self.catalog, kinds, self.owner)

    def next_ready_in(self, kinds: tuple[str, ...]) -> float | None:
        """Seconds until a pending job of these kinds may run (0 if one can now), None if none waits."""
        at = queue_rows.next_ready_at(self.catalog, kinds)
        return None if at is None else max(0.0, at - time.time())

    def ready_now(self, kinds: tuple[str, ...]) -> None:
        """Pending jobs of these kinds that wait out a pause may run at once (the cause was fixed)."""
        queue_rows.ready_now(self.catalog, kinds)

    def finish(self, job: QueuedJob) -> None:
        queue_rows.finish(self.catalog, job.id)

    def fail(self, job: QueuedJob, error: str) -> bool:
        """Records a failure; True when the job is now parked (it used its attempts)."""
        delay = self.retry_delay * 2 ** max(0, job.attempts - 1)
        return queue_rows.fail(self.catalog, job.id, error, self.max_attempts, time.time() + delay)

    def postpone(self, job: QueuedJob, seconds: float, reason: str) -> None:
        """Back to pending without using an attempt: the cause (no network) is not the job's fault."""
        queue_rows.release(self.catalog, job.id, time.time() + seconds, reason)

    def abandon(self, job: QueuedJob) -> None:
        """Stopping: the job goes back to the head of its lane for the next start."""
        queue_rows.release(self.catalog, job.id, 0.0, None)

    # -- recovery and the user's view ----------------------------------------------------------------------
    def reclaim_orphans(self) -> int:
        """Jobs left 'running' by a process that is gone (killed, crashed, powered off) are queued again."""
        orphans = []
        for job in queue_rows.running(self.catalog):
            if job.owner == self.owner:
                continue
            pid = local_pid(job.owner or "")
            if pid is not None:
                if pid == os.getpid() or owner_gone(job.owner or ""):
                    orphans.append(job.id)  # ours from an earlier LiveLibrary, or a dead process's
            elif not job.owner or self._stale(job):  # another machine's: only its heartbeat tells
                orphans.append(job.id)
        return queue_rows.reclaim(self.catalog, orphans, self.max_attempts) if orphans else 0

    @staticmethod
    def _stale(job: QueuedJob) -> bool:
        return job.heartbeat is None or time.time() - job.heartbeat > STALE_SECONDS

    def retry_parked(self, job_ids: list[int] | None = None) -> int:
        return queue_rows.retry_parked(self.catalog, job_ids)

    def jobs(self) -> list[QueuedJob]:
        return queue_rows.jobs(self.catalog)

    def counts(self) -> QueueCounts:
        found = queue_rows.counts(self.catalog)
        return QueueCounts(found["pending"], found["running"], found["parked"])
