"""The job queue's SQL: enqueue, claim, finish, fail, park, reclaim. Each call is one short transaction."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from photosorter.core.catalog.database import Catalog
from photosorter.core.catalog.photos import now_iso


@dataclass(frozen=True, slots=True)
class QueuedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    state: str
    attempts: int
    error: str | None
    owner: str | None
    created_at: str
    heartbeat: float | None  # when it was claimed (unix time), for jobs of another machine


_COLUMNS = "id, kind, payload, state, attempts, error, owner, created_at, heartbeat"


def _job(row: tuple) -> QueuedJob:
    return QueuedJob(row[0], row[1], json.loads(row[2]), row[3], row[4], row[5], row[6], row[7], row[8])


def enqueue(catalog: Catalog, kind: str, payload: dict[str, Any], key: str | None = None) -> int | None:
    """Adds a pending job; returns its id, or None when a pending job with the same key already exists."""
    stamp = now_iso()
    with catalog.transaction() as conn:
        cursor = conn.execute(
            "INSERT OR IGNORE INTO jobs (kind, payload, dedupe_key, state, created_at, updated_at) "
            "VALUES (?, ?, ?, 'pending', ?, ?)",
            (kind, json.dumps(payload, separators=(",", ":")), key, stamp, stamp),
        )
        return int(cursor.lastrowid) if cursor.rowcount else None


def claim(catalog: Catalog, kinds: Iterable[str], owner: str) -> QueuedJob | None:
    """Marks the oldest ready pending job of these kinds as running for ``owner``; counts the attempt."""
    kinds = tuple(kinds)
    marks = ",".join("?" * len(kinds))
    now = time.time()
    with catalog.transaction() as conn:
        row = conn.execute(
            f"SELECT id FROM jobs WHERE state = 'pending' AND kind IN ({marks}) AND not_before <= ? "
            "ORDER BY id LIMIT 1",
            (*kinds, now),
        ).fetchone()
        if row is None:
            return None
        conn.execute(
            "UPDATE jobs SET state = 'running', owner = ?, heartbeat = ?, attempts = attempts + 1, "
            "updated_at = ? WHERE id = ?",
            (owner, now, now_iso(), row[0]),
        )
        found = conn.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (row[0],)).fetchone()
    return _job(found)


def next_ready_at(catalog: Catalog, kinds: Iterable[str]) -> float | None:
    """When the earliest pending job of these kinds may run (a unix time), or None if there is none."""
    kinds = tuple(kinds)
    marks = ",".join("?" * len(kinds))
    value = catalog.scalar(
        f"SELECT min(not_before) FROM jobs WHERE state = 'pending' AND kind IN ({marks})", kinds
    )
    return float(value) if value is not None else None


def ready_now(catalog: Catalog, kinds: Iterable[str]) -> None:
    """Pending jobs of these kinds that were postponed may be claimed at once."""
    kinds = tuple(kinds)
    marks = ",".join("?" * len(kinds))
    with catalog.transaction() as conn:
        conn.execute(f"UPDATE jobs SET not_before = 0 WHERE state = 'pending' AND kind IN ({marks})", kinds)


def finish(catalog: Catalog, job_id: int) -> None:
    with catalog.transaction() as conn:
        conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))


def release(catalog: Catalog, job_id: int, not_before: float, reason: str | None = None) -> None:
    """Puts a running job back without counting the attempt (paused: the cause is outside the job)."""
    with catalog.transaction() as conn:
        if _drop_if_duplicate(conn, job_id):
            return
        conn.execute(
            "UPDATE jobs SET state = 'pending', owner = NULL, attempts = max(attempts - 1, 0), "
            "not_before = ?, error = ?, updated_at = ? WHERE id = ? AND state = 'running'",
            (not_before, reason, now_iso(), job_id),
        )


def fail(catalog: Catalog, job_id: int, error: str, max_attempts: int, not_before: float) -> bool:
    """Records a failure; parks the job once it has used ``max_attempts``. Returns True if parked."""
    with catalog.transaction() as conn:
        row = conn.execute("SELECT attempts FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return False
        parked = row[0] >= max_attempts
        if not parked and _drop_if_duplicate(conn, job_id):
            return False
        conn.execute(
            "UPDATE jobs SET state = ?, owner = NULL, error = ?, not_before = ?, updated_at = ? WHERE id = ?",
            ("parked" if parked else "pending", error, not_before, now_iso(), job_id),
        )
    return parked


def _drop_if_duplicate(conn, job_id: int) -> bool:
    """A job going back to pending is dropped instead if an equal keyed job was queued while it ran
    (at most one pending job per key). Returns True if it was dropped."""
    return (
        conn.execute(
            "DELETE FROM jobs WHERE id = ? AND dedupe_key IS NOT NULL AND EXISTS "
            "(SELECT 1 FROM jobs AS other WHERE other.dedupe_key = jobs.dedupe_key AND other.id != jobs.id "
            "AND other.state = 'pending')",
            (job_id,),
        ).rowcount
        > 0
    )


def running(catalog: Catalog) -> list[QueuedJob]:
    rows = catalog.connection().execute(f"SELECT {_COLUMNS} FROM jobs WHERE state = 'running' ORDER BY id")
    return [_job(r) for r in rows]


def reclaim(catalog: Catalog, job_ids: list[int], max_attempts: int) -> int:
    """Running jobs of a dead process go back to pending (in their old order), or are parked if they
    keep killing their process. Returns how many were reclaimed."""
    reclaimed = 0
    with catalog.transaction() as conn:
        for job_id in job_ids:
            row = conn.execute(
                "SELECT attempts FROM jobs WHERE id = ? AND state = 'running'", (job_id,)
            ).fetchone()
            if row is None:
                continue
            if row[0] >= max_attempts:
                conn.execute(
                    "UPDATE jobs SET state = 'parked', owner = NULL, updated_at = ?, error = ? WHERE id = ?",
                    (now_iso(), f"the process running it stopped {row[0]} times", job_id),
                )
                continue
            reclaimed += 1
            if _drop_if_duplicate(conn, job_id):
                continue
            conn.execute(
                "UPDATE jobs SET state = 'pending', owner = NULL, not_before = 0, updated_at = ? "
                "WHERE id = ?",
                (now_iso(), job_id),
            )
    return reclaimed


def retry_parked(catalog: Catalog, job_ids: list[int] | None = None) -> int:
    """Un-parks jobs (all of them, or the given ones) with a fresh attempt count."""
    sql = (
        "UPDATE OR IGNORE jobs SET state = 'pending', attempts = 0, error = NULL, not_before = 0, "
        "updated_at = ? WHERE state = 'parked'"
    )
    with catalog.transaction() as conn:
        if job_ids is None:
            return conn.execute(sql, (now_iso(),)).rowcount
        return sum(conn.execute(sql + " AND id = ?", (now_iso(), job_id)).rowcount for job_id in job_ids)


def jobs(catalog: Catalog, states: Iterable[str] = ("running", "pending", "parked")) -> list[QueuedJob]:
    states = tuple(states)
    marks = ",".join("?" * len(states))
    rows = catalog.connection().execute(
        f"SELECT {_COLUMNS} FROM jobs WHERE state IN ({marks}) ORDER BY id", states
    )
    return [_job(r) for r in rows]


def counts(catalog: Catalog) -> dict[str, int]:
    found = dict(catalog.connection().execute("SELECT state, count(*) FROM jobs GROUP BY state").fetchall())
    return {state: found.get(state, 0) for state in ("pending", "running", "parked")}


def first_error(catalog: Catalog) -> str | None:
    row = (
        catalog.connection()
        .execute("SELECT error FROM jobs WHERE error IS NOT NULL ORDER BY updated_at DESC, id DESC LIMIT 1")
        .fetchone()
    )
    return row[0] if row else None
