"""Reads that go wrong inside a scan's reader process (imported there by name, so they live in a module)."""

from __future__ import annotations

import os
from pathlib import Path

from photosorter.core.errors import EnvironmentFault
from photosorter.core.scan_walk import Candidate
from photosorter.core.scanner import ReadOutcome, read_in_reader

Result = list[ReadOutcome | EnvironmentFault | None]


def dies_on_crash_files(candidates: list[Candidate], thumb_dir: Path) -> Result:
    """The process ends abruptly when a file named ``crash*`` is among the photos, as a decoder's crash
    would end it."""
    if any(os.path.basename(c.path).startswith("crash") for c in candidates):
        os._exit(9)
    return read_in_reader(candidates, thumb_dir)


def disk_full_on_full_files(candidates: list[Candidate], thumb_dir: Path) -> Result:
    """The thumbnail disk fills up at a file named ``full*``: what was read before it is sent back."""
    for i, candidate in enumerate(candidates):
        if os.path.basename(candidate.path).startswith("full"):
            return [
                *read_in_reader(candidates[:i], thumb_dir),
                EnvironmentFault(f"no space left on the disk: {thumb_dir}"),
            ]
    return read_in_reader(candidates, thumb_dir)
