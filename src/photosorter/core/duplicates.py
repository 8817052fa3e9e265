"""The library's duplicates: exact copies (one content, several files) and near-duplicates (contents
whose perceptual hashes differ in at most ``NEAR_BITS`` bits), as groups a user picks a keeper from.

Nothing here deletes a file: ``move_to_trash`` hands files to the platform's trash (Send2Trash), from
which the user can restore them, and the catalog shows them as missing at once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from send2trash import send2trash

from photosorter.core.catalog import Catalog
from photosorter.core.catalog import duplicates as duplicate_rows
from photosorter.core.catalog import photos as photo_rows
from photosorter.core.near_duplicates import components, distance, near_pairs


@dataclass(frozen=True, slots=True)
class DuplicateCopy:
    """One file of a group. ``exact``: the very same bytes as the group's first file (true for the first);
    ``distance``: bits between its picture's perceptual hash and the first's (0 when exact)."""

    photo_id: int
    path: str
    size: int | None
    width: int | None
    height: int | None
    taken_at: str | None
    content_hash: str
    exact: bool
    distance: int

    @property
    def pixels(self) -> int:
        return (self.width or 0) * (self.height or 0)


class KeepReason(StrEnum):
    """Why a group's first file is the one to keep: what it has more of than every other file."""

    MOST_PIXELS = "most pixels"
    LARGEST_FILE = "largest file"  # as many pixels as another, more bytes (less compression)
    FOUND_FIRST = "found first"  # no other picture to beat (exact copies only), or a tie: the library's first


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    """Files that show the same picture; the first is the best candidate to keep (most pixels, then
    largest file), the others follow by distance."""

    copies: tuple[DuplicateCopy, ...]

    @property
    def kind(self) -> str:
        """``exact`` (all one content), ``near`` (no two files alike), or ``exact+near``."""
        contents = {c.content_hash for c in self.copies}
        if len(contents) == 1:
            return "exact"
        return "exact+near" if any(c.exact for c in self.copies[1:]) else "near"

    @property
    def keep_reason(self) -> KeepReason:
        best = self.copies[0]
        others = [c for c in self.copies[1:] if not c.exact]  # the same bytes: any of them would do
        if not others:
            return KeepReason.FOUND_FIRST
        if all(c.pixels < best.pixels for c in others):
            return KeepReason.MOST_PIXELS
        if all(c.pixels < best.pixels or (c.size or 0) < (best.size or 0) for c in others):
            return KeepReason.LARGEST_FILE
        return KeepReason.FOUND_FIRST

    @property
    def reclaimable(self) -> int:
        """Bytes freed by keeping only the first file."""
        return sum(c.size or 0 for c in self.copies[1:])


@dataclass(slots=True)
class TrashReport:
    trashed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, why)


def find_groups(catalog: Catalog) -> list[DuplicateGroup]:
    """Every group of exact copies and near-duplicates among visible photos, largest group first."""
    contents, hashes = duplicate_rows.visible_hashes(catalog)
    phash = dict(zip(contents, hashes, strict=True))
    i, j = near_pairs(np.array(hashes, dtype=np.int64))
    groups = [[contents[k] for k in members] for members in components(len(contents), i, j)]
    grouped = {c for group in groups for c in group}
    groups += [[c] for c in duplicate_rows.copied_contents(catalog) if c not in grouped]
    files: dict[str, list[duplicate_rows.CopyRow]] = {}
    for row in duplicate_rows.copies_of(catalog, sorted({c for group in groups for c in group})):
        files.setdefault(row.hash, []).append(row)
    found = [_group(group, files, phash) for group in groups]
    found = [g for g in found if len(g.copies) > 1]
    found.sort(key=lambda g: (-len(g.copies), -g.reclaimable, g.copies[0].path))
    return found


def _group(
    contents: list[str], files: dict[str, list[duplicate_rows.CopyRow]], phash: dict[str, int]
) -> DuplicateGroup:
    rows = [r for c in contents for r in files.get(c, [])]
    if not rows:
        return DuplicateGroup(())
    best = max(rows, key=lambda r: ((r.width or 0) * (r.height or 0), r.size or 0, -r.photo_id))
    reference = phash.get(best.hash)
    copies = [
        DuplicateCopy(
            r.photo_id,
            r.path,
            r.size,
            r.width,
            r.height,
            r.taken_at,
            r.hash,
            exact=r.hash == best.hash,
            distance=0
            if r.hash == best.hash or reference is None or r.hash not in phash
            else distance(reference, phash[r.hash]),
        )
        for r in rows
    ]
    copies.sort(key=lambda c: (c.photo_id != best.photo_id, c.content_hash != best.hash, c.distance, c.path))
    return DuplicateGroup(tuple(copies))


def move_to_trash(catalog: Catalog, photo_ids: list[int]) -> TrashReport:
    """Sends the photos' files to the platform trash (never deletes them) and marks their rows missing.

    A file that cannot go to the trash (no trash on that disk, permission denied, already gone) stays
    where it is and is reported; it is never removed another way.
    """
    report = TrashReport()
    conn = catalog.connection()
    trashed_ids = []
    for photo_id in photo_ids:
        path = photo_rows.path_of(conn, photo_id)
        if path is None:
            continue
        try:
            if not os.path.lexists(path):
                raise FileNotFoundError("the file is not there any more")
            send2trash(path)
        except OSError as error:  # TrashPermissionError is an OSError too
            report.failed.append((path, getattr(error, "strerror", None) or str(error)))
            continue
        report.trashed.append(path)
        trashed_ids.append(photo_id)
    if trashed_ids:
        with catalog.transaction() as write:
            photo_rows.mark_missing(write, trashed_ids)
    return report
