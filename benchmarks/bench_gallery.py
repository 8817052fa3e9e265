"""The gallery at 100,000 photos: model reset, first thumbnails painted, scroll stalls, memory.

Plain Qt (offscreen by default), no pytest-qt:

    PYTHONPATH=src /work/venv/bin/python benchmarks/bench_gallery.py [--photos 100000] [--home DIR]

Builds a synthetic catalog once (100,000 photo rows with distinct content hashes whose
thumbnails are symlinks to 60 real ones, so the loader does real JPEG decoding), then shows the
gallery and scrolls
through it page by page while a 5 ms timer records the longest gap on the GUI thread.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtWidgets import QApplication

from photosorter.core.catalog import photos as photo_rows
from photosorter.core.imaging import make_thumbnail, thumbnail_path
from photosorter.core.library import Library
from photosorter.core.records import ImageFacts
from photosorter.gui.facade import Facade, ViewFilter
from photosorter.gui.gallery import GalleryModel, GalleryView
from photosorter.gui.workers import Tasks, ThumbnailLoader, WorkerPool

SOURCES = [Path("/work/shared/photos"), Path(__file__).parents[1] / "tests" / "data" / "photos"]


def build_catalog(home: Path, count: int) -> Library:
    library = Library.open(home)
    if library.stats()["photos"] >= count:
        return library
    source = next(p for p in SOURCES if p.is_dir())
    files = sorted(f for f in source.rglob("*") if f.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp"})
    hashes = []
    for n, file in enumerate(files[:60]):
        content_hash = f"{n:02x}" + "b" * 30
        make_thumbnail(str(file), thumbnail_path(library.paths.thumbnails, content_hash))
        hashes.append(content_hash)
    folder = library.add_folder(home)
    with library.catalog.transaction() as conn:
        for i in range(count):
            # distinct hashes as in a real library (shared ones make the search index's triggers quadratic)
            content_hash = f"{i:08x}" + "c" * 24
            thumb = thumbnail_path(library.paths.thumbnails, content_hash)
            thumb.parent.mkdir(parents=True, exist_ok=True)
            if not thumb.exists():
                os.symlink(thumbnail_path(library.paths.thumbnails, hashes[i % len(hashes)]), thumb)
            facts = ImageFacts(
                size=1000 + i,
                mtime_ns=i,
                hash=content_hash,
                format="JPEG",
                width=4000,
                height=3000,
                taken_at=f"20{10 + i % 15:02d}-{1 + i % 12:02d}-{1 + i % 28:02d}T12:00:00",
                taken_at_source="exif",
                camera_make="Canon",
                camera_model="EOS",
                latitude=None,
                longitude=None,
                orientation=1,
            )
            photo_rows.insert_photo(conn, folder.id, str(home / f"p{i:06d}.jpg"), f"p{i:06d}.jpg", facts)
    return library


def rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument(
        "--home", type=Path, default=Path(tempfile.gettempdir()) / "photosorter-bench-gallery"
    )
    parser.add_argument("--cell", type=int, default=160)
    args = parser.parse_args()

    started = time.perf_counter()
    library = build_catalog(args.home, args.photos)
    print(f"catalog ready: {library.stats()['photos']} photos ({time.perf_counter() - started:.1f} s)")

    app = QApplication(sys.argv[:1])
    pool = WorkerPool()
    facade = Facade(library)
    tasks = Tasks(pool)
    loader = ThumbnailLoader(pool, args.cell)
    model = GalleryModel(facade, tasks, loader)
    view = GalleryView(args.cell)
    view.setModel(model)
    view.resize(1200, 800)
    view.show()
    app.processEvents()

    t0 = time.perf_counter()
    ids = facade.photo_ids(ViewFilter())
    t_ids = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.set_ids(ids)
    t_reset = time.perf_counter() - t0

    # GUI-thread stall meter: the longest gap between 5 ms ticks.
    gaps: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def tick() -> None:
        now = clock.nsecsElapsed()
        gaps.append((now - last[0]) / 1e6)
        last[0] = now

    meter = QTimer(interval=5, timeout=tick)
    meter.start()

    first_painted = [None]
    t_start = time.perf_counter()

    def painted(*_args) -> None:
        if first_painted[0] is None:
            view.viewport().repaint()
            first_painted[0] = time.perf_counter() - t_start

    model.dataChanged.connect(lambda a, b, roles: roles and painted())
    deadline = time.perf_counter() + 10
    while first_painted[0] is None and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.001)

    # batched layout: the scroll range grows in steps of 2,000 cells without blocking; wait for the end
    bar = view.verticalScrollBar()
    stable_since, previous = time.perf_counter(), -1
    while time.perf_counter() - stable_since < 0.3:
        app.processEvents()
        if bar.maximum() != previous:
            previous, stable_since = bar.maximum(), time.perf_counter()
        time.sleep(0.002)
    t_layout = stable_since - t_start
    layout_gap = max(gaps) if gaps else 0.0

    # scroll: a page per 16 ms frame, through the first ~40,000 photos then a jump to the end
    frames: list[float] = []
    gaps.clear()
    last[0] = clock.nsecsElapsed()
    step = view.viewport().height()
    for value in [*range(0, min(bar.maximum(), step * 300), step), bar.maximum(), 0]:
        f0 = time.perf_counter()
        bar.setValue(value)
        view.viewport().repaint()
        app.processEvents()
        frames.append((time.perf_counter() - f0) * 1000)
        wait_until = time.perf_counter() + 0.016
        while time.perf_counter() < wait_until:
            app.processEvents()
            time.sleep(0.002)
    scroll_gap = max(gaps) if gaps else 0.0
    # let the last screen's thumbnails arrive
    settle = time.perf_counter() + 1.0
    while time.perf_counter() < settle:
        app.processEvents()
        time.sleep(0.005)
    meter.stop()
    loader.close()
    pool.shutdown()

    frames.sort()
    print(f"photos in view:            {len(ids)}")
    print(f"id query (worker thread):  {t_ids * 1000:.1f} ms")
    print(f"model reset (GUI thread):  {t_reset * 1000:.1f} ms")
    print(f"first thumbnails painted:  {(first_painted[0] or float('nan')) * 1000:.0f} ms after reset")
    print(f"full grid layout:          {t_layout * 1000:.0f} ms (batched), max GUI stall {layout_gap:.1f} ms")
    print(
        f"scroll frames:             {len(frames)}, median {frames[len(frames) // 2]:.1f} ms, "
        f"p95 {frames[int(len(frames) * 0.95)]:.1f} ms, max {frames[-1]:.1f} ms"
    )
    print(f"max GUI stall (scrolling): {scroll_gap:.1f} ms")
    print(f"resident memory:           {rss_mb():.0f} MB")
    library.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
