"""One scan job: what the catalog held before, the scan, and the per-path events it caused.

It can run in a worker process (``run_scan_job_in_process``): the desktop app does so, because
the walk, the reads and the before/after comparison of a 100,000-photo folder are Python work
that would otherwise take the GIL from the window. SQLite in WAL mode lets that process write
the catalog while the app reads it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from photosorter.core.catalog import Catalog
from photosorter.core.catalog import photos as photo_rows
from photosorter.core.faces.regions import apply_regions
from photosorter.core.jobs import CancelToken, run_to_end
from photosorter.core.live import changes
from photosorter.core.live.changes import LiveEvent
from photosorter.core.scanner import Scanner


def run_scan_job(
    catalog: Catalog, scanner: Scanner, payload: dict[str, Any], cancel: CancelToken
) -> tuple[list[LiveEvent], bool]:
    """Scans a whole folder (``folder_id``) or some paths (``paths``); returns the events and whether
    anything changed."""
    folders = {f.id: f for f in photo_rows.folders(catalog)}
    if "folder_id" in payload:
        folder = folders.get(payload["folder_id"])
        if folder is None:
            return [], False  # removed from the library meanwhile
        before = changes.snapshot(catalog, [folder.id], None)
        run_to_end(scanner.scan([folder], cancel))
        after = changes.snapshot(catalog, [folder.id], None)
    else:
        work = {int(k): v for k, v in payload["paths"].items() if int(k) in folders}
        roots = frozenset(os.path.normpath(p) for paths in work.values() for p in paths)
        before = changes.snapshot(catalog, list(work), roots)
        for folder_id, paths in work.items():
            run_to_end(scanner.scan_paths(folders[folder_id], paths, cancel))
        after = changes.snapshot(catalog, list(work), roots)
    apply_regions(catalog, waiting=False)  # names other tools gave faces in the photos just read
    return changes.diff(before, after), before != after


def run_scan_job_in_process(
    catalog_path: str, thumb_dir: str, skip: tuple[str, ...], workers: int, payload: dict[str, Any]
) -> tuple[list[LiveEvent], bool]:
    """``run_scan_job`` with the worker process's own catalog connection."""
    with Catalog(catalog_path) as catalog:
        scanner = Scanner(catalog, Path(thumb_dir), skip=tuple(Path(p) for p in skip), workers=workers)
        return run_scan_job(catalog, scanner, payload, CancelToken())
