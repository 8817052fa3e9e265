"""Exact copies (one content hash, several files) and the perceptual hashes behind near-duplicates."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from photosorter.core.catalog.database import Catalog
from photosorter.core.catalog.paths import from_db

_VISIBLE = "state IN ('ok', 'offline')"


@dataclass(frozen=True, slots=True)
class CopyRow:
    """One visible file of a content, with what a user compares copies by."""

    photo_id: int
    hash: str
    path: str
    size: int | None
    width: int | None
    height: int | None
    taken_at: str | None
    state: str


def store_hash(conn: sqlite3.Connection, content_hash: str, phash: int) -> None:
    """Inside the scanner's write: a content's hash never changes, so the first one stays."""
    conn.execute(
        "INSERT INTO perceptual_hashes (hash, phash) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING",
        (content_hash, phash),
    )


def store_hashes(catalog: Catalog, rows: list[tuple[str, int]]) -> None:
    with catalog.transaction() as conn:
        conn.executemany(
            "INSERT INTO perceptual_hashes (hash, phash) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING", rows
        )


def unhashed_contents(catalog: Catalog, after: str, limit: int) -> list[str]:
    """Visible contents without a perceptual hash, in hash order after ``after`` (for paging)."""
    rows = catalog.connection().execute(
        f"SELECT DISTINCT p.hash FROM photos p WHERE p.{_VISIBLE} AND p.hash IS NOT NULL AND p.hash > ?"
        " AND NOT EXISTS (SELECT 1 FROM perceptual_hashes h WHERE h.hash = p.hash) ORDER BY p.hash LIMIT ?",
        (after, limit),
    )
    return [r[0] for r in rows]


def visible_hashes(catalog: Catalog) -> tuple[list[str], list[int]]:
    """(content hashes, their perceptual hashes) of every visible content that has one."""
    rows = catalog.connection().execute(
        "SELECT h.hash, h.phash FROM perceptual_hashes h"
        f" WHERE EXISTS (SELECT 1 FROM photos p WHERE p.hash = h.hash AND p.{_VISIBLE})"
    )
    contents, hashes = [], []
    for content, phash in rows:
        contents.append(content)
        hashes.append(phash)
    return contents, hashes


def copied_contents(catalog: Catalog) -> list[str]:
    """Contents with two or more visible files: the exact copies."""
    rows = catalog.connection().execute(
        f"SELECT hash FROM photos WHERE {_VISIBLE} AND hash IS NOT NULL GROUP BY hash HAVING count(*) > 1"
    )
    return [r[0] for r in rows]


def copies_of(catalog: Catalog, contents: list[str]) -> list[CopyRow]:
    """The visible files of ``contents``, in content order then path."""
    conn = catalog.connection()
    found: list[CopyRow] = []
    for start in range(0, len(contents), 500):
        chunk = contents[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            "SELECT id, hash, path, size, width, height, taken_at, state FROM photos"
            f" WHERE {_VISIBLE} AND hash IN ({marks})",
            chunk,
        )
        found += [CopyRow(r[0], r[1], from_db(r[2]), *r[3:]) for r in rows]
    return found
