"""Billable calls to an analysis service, counted per calendar month (UTC), so the app can show what
this month has cost so far across sessions and processes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from photosorter.core.catalog.database import Catalog


def this_month(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y-%m")


def add(
    catalog: Catalog, backend: str, calls: Mapping[str, tuple[int, float]], month: str | None = None
) -> None:
    """Adds ``{operation: (calls, cost_usd)}`` to the month's totals in one short transaction."""
    rows = [(month or this_month(), backend, op, n, cost) for op, (n, cost) in calls.items() if n]
    if not rows:
        return
    with catalog.transaction() as conn:
        conn.executemany(
            "INSERT INTO service_usage (month, backend, operation, calls, cost_usd) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (month, backend, operation) DO UPDATE SET calls = calls + excluded.calls,"
            " cost_usd = cost_usd + excluded.cost_usd",
            rows,
        )


def month_total(catalog: Catalog, month: str | None = None) -> tuple[int, float]:
    """Calls and cost in USD for ``month`` (default: this one), every backend and operation."""
    row = (
        catalog.connection()
        .execute(
            "SELECT coalesce(sum(calls), 0), coalesce(sum(cost_usd), 0) FROM service_usage WHERE month = ?",
            (month or this_month(),),
        )
        .fetchone()
    )
    return int(row[0]), float(row[1])
