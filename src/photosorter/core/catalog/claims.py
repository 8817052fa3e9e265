"""Analysis claims: a run marks the (content, feature)s it is analyzing, so concurrent runs split the work.

Two ``analyze`` commands, the CLI and the desktop app, or the CLI and ``watch`` may run on one
catalog at once; each claims what it is about to analyze in one short transaction that also
checks what another run finished meanwhile. A claim is a lease: its owner renews it while it
works, and a claim whose owner died (killed, crashed, powered off) is taken over once it has
expired, or at once when its owner is a process of this machine that no longer exists.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from photosorter.core.analysis.types import Feature
from photosorter.core.catalog.analysis import PendingContent
from photosorter.core.catalog.database import Catalog


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """What a run may analyze now (each with only the features it claimed), and what it must leave."""

    claimed: tuple[PendingContent, ...]
    done_elsewhere: int  # contents another run finished since this run listed its work
    busy_elsewhere: int  # contents another live run is analyzing now


def claim(
    catalog: Catalog,
    backend: str,
    owner: str,
    items: Sequence[PendingContent],
    versions: Mapping[Feature, str],
    *,
    refresh: bool,
    lease_seconds: float,
    owner_gone: Callable[[str], bool],
) -> ClaimResult:
    """Claims the features of ``items`` neither done nor claimed by a live run, in one transaction."""
    now = time.time()
    wanted = {feature.value: version for feature, version in versions.items()}
    claimed: list[PendingContent] = []
    done_elsewhere = busy_elsewhere = 0
    with catalog.transaction() as conn:
        for item in items:
            done = {
                Feature(feature)
                for feature, version in conn.execute(
                    "SELECT feature, model_version FROM analyses WHERE hash = ? AND backend = ?",
                    (item.hash, backend),
                )
                if feature in wanted and (not refresh or wanted[feature] == version)
            }
            busy = {
                Feature(feature)
                for feature, holder, expires_at in conn.execute(
                    "SELECT feature, owner, expires_at FROM analysis_claims WHERE hash = ? AND backend = ?",
                    (item.hash, backend),
                )
                if holder != owner and expires_at > now and not owner_gone(holder)
            }
            free = item.features - done - busy
            if not free:
                if item.features - done:
                    busy_elsewhere += 1
                else:
                    done_elsewhere += 1
                continue
            conn.executemany(
                "INSERT OR REPLACE INTO analysis_claims (hash, backend, feature, owner, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [(item.hash, backend, feature.value, owner, now + lease_seconds) for feature in sorted(free)],
            )
            claimed.append(replace(item, features=frozenset(free)))
    return ClaimResult(tuple(claimed), done_elsewhere, busy_elsewhere)


def renew(catalog: Catalog, owner: str, lease_seconds: float) -> None:
    """The owner is alive: its claims last another ``lease_seconds``."""
    with catalog.transaction() as conn:
        conn.execute(
            "UPDATE analysis_claims SET expires_at = ? WHERE owner = ?", (time.time() + lease_seconds, owner)
        )


def release(catalog: Catalog, owner: str, hashes: Iterable[str] | None = None) -> None:
    """Drops the owner's claims on ``hashes`` (finished, or given up for a later run), or all of them."""
    with catalog.transaction() as conn:
        if hashes is None:
            conn.execute("DELETE FROM analysis_claims WHERE owner = ?", (owner,))
        else:
            conn.executemany(
                "DELETE FROM analysis_claims WHERE owner = ? AND hash = ?", [(owner, h) for h in hashes]
            )
        # claims of runs long gone are never renewed: sweep them while the write lock is held anyway
        conn.execute("DELETE FROM analysis_claims WHERE expires_at < ?", (time.time() - 3600.0,))
