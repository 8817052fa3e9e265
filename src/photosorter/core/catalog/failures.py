"""Photos whose analysis failed for a reason of their own (too small, unreadable), and giving them
another try. Environment faults (no network, throttling) are never recorded here: they pause instead."""

from __future__ import annotations

from dataclasses import dataclass

from photosorter.core.catalog.database import Catalog
from photosorter.core.catalog.paths import from_db


@dataclass(frozen=True, slots=True)
class AnalysisFailure:
    hash: str
    path: str  # one visible copy of the content
    backend: str
    features: tuple[str, ...]
    error: str
    failed_at: str


_VISIBLE = "EXISTS (SELECT 1 FROM photos p WHERE p.hash = a.hash AND p.state = 'ok')"


def failure_count(catalog: Catalog) -> int:
    """How many visible contents have a failed analysis."""
    value = catalog.scalar(
        f"SELECT count(DISTINCT a.hash) FROM analyses a WHERE a.status = 'failed' AND {_VISIBLE}"
    )
    return int(value or 0)


def analysis_failures(catalog: Catalog, limit: int = 500) -> list[AnalysisFailure]:
    """Failed analyses of visible photos, newest first, one per content and backend."""
    rows = catalog.connection().execute(
        "SELECT a.hash, a.backend, group_concat(a.feature, ','), max(a.error), max(a.analyzed_at),"
        " (SELECT p.path FROM photos p WHERE p.hash = a.hash AND p.state = 'ok' ORDER BY p.id LIMIT 1)"
        f" FROM analyses a WHERE a.status = 'failed' AND {_VISIBLE}"
        " GROUP BY a.hash, a.backend ORDER BY max(a.analyzed_at) DESC, a.hash LIMIT ?",
        (limit,),
    )
    return [
        AnalysisFailure(h, from_db(path), backend, tuple(sorted(features.split(","))), error or "", when)
        for h, backend, features, error, when, path in rows
    ]


def clear_failures(catalog: Catalog, hashes: list[str] | None = None) -> int:
    """Forgets recorded failures (all, or these contents') so the next analysis tries them again.
    Returns how many contents were cleared."""
    with catalog.transaction() as conn:
        if hashes is None:
            found = conn.execute(
                "SELECT count(DISTINCT hash) FROM analyses WHERE status = 'failed'"
            ).fetchone()[0]
            conn.execute("DELETE FROM analyses WHERE status = 'failed'")
            return int(found)
        cleared = 0
        for content_hash in dict.fromkeys(hashes):
            cleared += (
                conn.execute(
                    "DELETE FROM analyses WHERE status = 'failed' AND hash = ?", (content_hash,)
                ).rowcount
                > 0
            )
        return cleared
