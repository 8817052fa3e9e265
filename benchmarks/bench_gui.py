"""The desktop app at 100,000 photos: first thumbnails, GUI-thread stalls, memory.

The whole main window (offscreen by default), no pytest-qt:

    PYTHONPATH=src /work/venv/bin/python benchmarks/bench_gui.py [--photos 100000] [--home DIR] [--profile]

The synthetic library is built once in ``--home``: 100,000 hard links to 60 real photos in
100 subfolders, and a catalog row for each inserted in one transaction through the catalog's own
``insert_photo`` (with the link's real size and mtime, so the live library's catch-up scan at start
finds them unchanged; distinct content hashes, thumbnails are symlinks to 60 real ones so the
loader decodes real JPEGs). Then, with a 5 ms timer measuring the longest gap on the GUI thread:

1. start: from constructing the window to the first thumbnails painted;
2. the live library's catch-up scan of all 100,000 files at start;
3. scrolling a page per frame through ~40,000 photos with nothing in the background;
4. scrubbing: 120 jumps to places spread over the whole library, as a drag of the date scrubber makes
   them (the flat grid of earlier versions, which has no scrubber, jumps its scroll bar to the same
   places), each painted at once;
5. 300 new photos (distinct contents) written into the library while scrolling: the live library
   notices, reads, hashes and thumbnails them, and the grid inserts them;
6. resident memory.

The script runs against older versions too (``PYTHONPATH`` at another checkout's ``src``), so the
timeline and the flat grid it replaced are measured on the same machine in the same hour.

Each stall line counts the gaps over 50 ms (the bar). ``--profile`` also times every event the GUI
thread delivers (a ``QApplication.notify`` override, which slows things a little) and prints the slowest,
the garbage collections over 5 ms, and what the gaps over 50 ms were made of: the GUI thread running,
waiting for a core (the machine or our own workers busy) or blocked (mostly the GIL held by a worker).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QEvent, Qt, QTimer
from PySide6.QtWidgets import QApplication

from photosorter.core.catalog import photos as photo_rows
from photosorter.core.imaging import make_thumbnail, thumbnail_path
from photosorter.core.library import Library
from photosorter.core.records import ImageFacts
from photosorter.gui.facade import Facade
from photosorter.gui.main_window import MainWindow
from photosorter.gui.theme import apply_theme

SOURCES = [Path("/work/shared/photos"), Path(__file__).parents[1] / "tests" / "data" / "photos"]
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
PER_FOLDER = 1000
NEW_PHOTOS = 300
STALL_MS = 50  # the bar: no GUI-thread gap longer than this


def source_files() -> list[Path]:
    source = next(p for p in SOURCES if p.is_dir())
    return sorted(f for f in source.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES)


def build_library(home: Path, count: int) -> Library:
    library = Library.open(home)
    if library.stats()["photos"] >= count:
        return library
    root = home / "library"
    originals = home / "originals"  # same file system as the links
    originals.mkdir(parents=True, exist_ok=True)
    sources = []
    for n, file in enumerate(source_files()[:60]):
        copy = originals / f"{n:02d}{file.suffix.lower()}"
        shutil.copyfile(file, copy)
        content_hash = f"{n:02x}" + "b" * 30
        make_thumbnail(str(copy), thumbnail_path(library.paths.thumbnails, content_hash))
        sources.append((copy, content_hash, copy.stat()))
    t0 = time.perf_counter()
    for i in range(count):
        copy, _, _ = sources[i % len(sources)]
        link = root / f"d{i // PER_FOLDER:03d}" / f"p{i:06d}{copy.suffix}"
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists():
            os.link(copy, link)
        thumb = thumbnail_path(library.paths.thumbnails, f"{i:08x}" + "c" * 24)
        thumb.parent.mkdir(parents=True, exist_ok=True)
        if not thumb.is_symlink():
            os.symlink(thumbnail_path(library.paths.thumbnails, sources[i % len(sources)][1]), thumb)
    print(f"  {count:,} links and thumbnail symlinks: {time.perf_counter() - t0:.1f} s")
    folder = library.add_folder(root)
    t0 = time.perf_counter()
    with library.catalog.transaction() as conn:
        for i in range(count):
            copy, _, info = sources[i % len(sources)]
            facts = ImageFacts(
                size=info.st_size,
                mtime_ns=info.st_mtime_ns,
                hash=f"{i:08x}" + "c" * 24,  # distinct, as in a real library
                format="JPEG",
                width=4000,
                height=3000,
                taken_at=f"20{10 + i % 15:02d}-{1 + i % 12:02d}-{1 + i % 28:02d}T12:{i % 60:02d}:00",
                taken_at_source="exif",
                camera_make="Canon",
                camera_model="EOS",
                latitude=None,
                longitude=None,
                orientation=1,
            )
            path = root / f"d{i // PER_FOLDER:03d}" / f"p{i:06d}{copy.suffix}"
            photo_rows.insert_photo(conn, folder.id, str(path), path.name, facts)
    print(f"  {count:,} catalog rows in one transaction: {time.perf_counter() - t0:.1f} s")
    return library


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class ProfilingApp(QApplication):
    """Times every event delivered on the GUI thread (only with --profile)."""

    def __init__(self, argv: list[str]) -> None:
        super().__init__(argv)
        self.slow: Counter[str] = Counter()
        self.worst: list[tuple[float, str]] = []
        # (GUI-thread CPU ms, wall ms, what) of top-level events over 5 ms of CPU: the thread's own work,
        # which a busy machine does not inflate (waiting for a core or for the GIL is not in it)
        self.busiest: list[tuple[float, float, str]] = []
        self.phase_cpu_max = 0.0  # the most CPU one event took since the phase began
        self.depth = 0
        self.inner: list[tuple[float, str]] = []  # nested paints of the current top-level event

    def notify(self, receiver, event) -> bool:
        self.depth += 1
        t0 = time.perf_counter()
        c0 = time.thread_time_ns()
        try:
            return super().notify(receiver, event)
        finally:
            self.depth -= 1
            ms = (time.perf_counter() - t0) * 1000
            cpu = (time.thread_time_ns() - c0) / 1e6
            if self.depth and ms > 2:
                self.inner.append((ms, f"{type(receiver).__name__} {QEvent.Type(event.type()).name}"))
            if self.depth == 0:
                self.phase_cpu_max = max(self.phase_cpu_max, cpu)
                if cpu > 5:
                    what = f"{type(receiver).__name__} {QEvent.Type(event.type()).name}"
                    self.busiest.append((cpu, ms, what))
                if ms > 15:
                    what = (
                        f"{type(receiver).__name__}/{receiver.objectName()} {QEvent.Type(event.type()).name}"
                    )
                    inner = ", ".join(f"{w} {m:.0f}" for m, w in sorted(self.inner, reverse=True)[:4])
                    self.slow[what] += 1
                    self.worst.append((ms, f"{what} [{inner}]" if inner else what))
                self.inner = []


class StallMeter:
    """The longest gap between 5 ms ticks on the GUI thread.

    With ``explain`` (``--profile``) each tick also reads the GUI thread's scheduler counters, so every
    gap over ``STALL_MS`` is split into the time the thread ran (its own work), waited for a free core
    (the machine is busy) and was blocked (the GIL held by another thread, or a sleep)."""

    def __init__(self, explain: bool = False) -> None:
        self.clock = QElapsedTimer()
        self.clock.start()
        self.gaps: list[float] = []
        self.explain = explain
        self.long: list[tuple[float, float, float, float]] = []  # (ends at, gap, ran, waited for a core) ms
        self._sched = Path(f"/proc/self/task/{threading.get_native_id()}/schedstat")
        self.last = self.clock.nsecsElapsed()
        self._last_sched = self._read_sched()
        self.timer = QTimer(interval=5, timeout=self._tick)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.start()

    def _read_sched(self) -> tuple[int, int]:
        if not self.explain:
            return (0, 0)
        ran, waited, _ = self._sched.read_text().split()
        return int(ran), int(waited)

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed()
        gap = (now - self.last) / 1e6
        self.gaps.append(gap)
        self.last = now
        if self.explain:
            sched = self._read_sched()
            if gap > STALL_MS:
                ran, waited = ((a - b) / 1e6 for a, b in zip(sched, self._last_sched, strict=True))
                self.long.append((time.perf_counter() * 1000, gap, ran, waited))
            self._last_sched = sched

    def reset(self) -> None:
        self.gaps.clear()
        self.long.clear()
        self.last = self.clock.nsecsElapsed()
        self._last_sched = self._read_sched()

    def summary(self) -> str:
        if not self.gaps:
            return "no ticks"
        gaps = sorted(self.gaps)
        over = sum(gap > STALL_MS for gap in gaps)
        return (
            f"max {gaps[-1]:.1f} ms, p99 {gaps[int(len(gaps) * 0.99)]:.1f} ms over {len(gaps)} ticks, "
            f"{over} over {STALL_MS} ms"
        )

    def causes(self, collections: list[tuple[float, float, int, str]]) -> str:
        """What the gaps over ``STALL_MS`` were made of, summed: the GUI thread running, waiting for a
        core, blocked; and how many of them overlapped a garbage collection (on which thread)."""
        if not self.long:
            return "none"
        ran = sum(r for _, _, r, _ in self.long)
        waited = sum(w for _, _, _, w in self.long)
        total = sum(g for _, g, _, _ in self.long)
        in_gc: Counter[str] = Counter()
        for end, gap, _, _ in self.long:
            for start, stop, generation, thread in collections:
                if start < end and stop > end - gap:
                    in_gc[f"gen {generation} on {thread}"] += 1
                    break
        gc_text = ", ".join(f"{n} in {what}" for what, n in in_gc.most_common(3)) or "none in a collection"
        return (
            f"{len(self.long)} gaps, {total:.0f} ms: GUI thread ran {ran:.0f}, "
            f"waited for a core {waited:.0f}, blocked {total - ran - waited:.0f}; {gc_text}"
        )


def spin(app: QApplication, seconds: float, until=None) -> bool:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        app.processEvents()
        if until is not None and until():
            return True
        time.sleep(0.002)
    return until is None


def scroll(
    app: QApplication, window: MainWindow, pages: int, start: int = 0, cpu: list[float] | None = None
) -> list[float]:
    """A page per 16 ms frame; returns the time each frame's paint took (and adds the GUI thread's own
    CPU time for each to ``cpu``: what a busy machine does not inflate)."""
    bar = window.gallery.verticalScrollBar()
    step = window.gallery.viewport().height()
    frames = []
    for value in range(start, min(bar.maximum(), start + step * pages), step):
        f0, c0 = time.perf_counter(), time.thread_time()
        bar.setValue(value)
        window.gallery.viewport().repaint()
        app.processEvents()
        frames.append((time.perf_counter() - f0) * 1000)
        if cpu is not None:
            cpu.append((time.thread_time() - c0) * 1000)
        spin(app, 0.016)
    return sorted(frames)


def scrub(app: QApplication, window: MainWindow, jumps: int, cpu: list[float] | None = None) -> list[float]:
    """Jumps through the whole list as a scrubber drag does; returns the time each jump's paint took
    (and adds each one's GUI-thread CPU time to ``cpu``)."""
    view = window.gallery
    bar = view.verticalScrollBar()
    scrubber = getattr(view, "scrubber", None)
    frames = []
    for n in range(jumps):
        fraction = (n * 0.377) % 1.0  # spread over the whole range, not in order
        f0, c0 = time.perf_counter(), time.thread_time()
        if scrubber is not None:
            scrubber.scrub_to(round(10 + fraction * (scrubber.height() - 20)))  # the bubble's month too
        else:
            bar.setValue(round(fraction * bar.maximum()))
        view.viewport().repaint()
        app.processEvents()
        frames.append((time.perf_counter() - f0) * 1000)
        if cpu is not None:
            cpu.append((time.thread_time() - c0) * 1000)
        spin(app, 0.016)
    return sorted(frames)


def write_new_photos(target: Path, count: int) -> None:
    """Distinct contents (a JPEG with bytes after its end still decodes): real hashing and thumbnails."""
    files = [f for f in source_files() if f.suffix.lower() in (".jpg", ".jpeg")]
    target.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        data = files[n % len(files)].read_bytes() + os.urandom(16)
        (target / f"new{n:04d}.jpg").write_bytes(data)
        time.sleep(0.002)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--home", type=Path, default=Path(tempfile.gettempdir()) / "photosorter-bench-gui")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--cprofile", action="store_true", help="cProfile the GUI thread from scrolling on")
    args = parser.parse_args()

    started = time.perf_counter()
    library = build_library(args.home, args.photos)
    library.save_settings(library.settings.with_changes(analyze_after_scan=False))
    stale = 0  # photos of an earlier run: the catch-up scan removes them from the catalog
    for old in (args.home / "library").glob("new-*"):
        stale += sum(library.photo_by_path(str(f)) is not None for f in old.iterdir())
        shutil.rmtree(old)
    # the grid once the catch-up scan is done; "Up to date" alone was read once before the scan began
    settled = library.stats()["photos"] - stale
    print(f"catalog ready: {library.stats()['photos']:,} photos ({time.perf_counter() - started:.1f} s)")

    app = (ProfilingApp if args.profile else QApplication)(sys.argv[:1])
    # (started, ended (perf_counter ms), generation, thread) of garbage collections over 5 ms
    collections: list[tuple[float, float, int, str]] = []
    if args.profile:
        gc_started: list[float] = [0.0]

        def gc_timer(phase: str, info: dict) -> None:
            now = time.perf_counter() * 1000
            if phase == "start":
                gc_started[0] = now
            elif now - gc_started[0] > 5:
                collections.append((gc_started[0], now, info["generation"], threading.current_thread().name))

        gc.callbacks.append(gc_timer)
    apply_theme(app)
    meter = StallMeter(explain=args.profile)
    t_start = time.perf_counter()
    window = MainWindow(Facade(library))
    window.resize(1400, 900)
    window.show()
    painted: list[float] = []

    def thumbs_arrived(_a, _b, roles) -> None:
        if not painted and Qt.ItemDataRole.DecorationRole in roles:
            window.gallery.viewport().repaint()
            painted.append(time.perf_counter() - t_start)

    window.model.dataChanged.connect(thumbs_arrived)
    spin(app, 20, lambda: bool(painted))
    first_paint_gap = max(meter.gaps, default=0.0)

    # 2. the live library's catch-up scan (every file stat'ed, nothing changed)
    meter.reset()
    t0 = time.perf_counter()
    spin(app, 0.5)

    def caught_up() -> bool:
        return "Up to date" in window.live_status.label.text() and window.model.rowCount() == settled

    idle = spin(app, 300, caught_up)
    t_catch_up = time.perf_counter() - t0
    catch_up = meter.summary()
    causes: dict[str, str] = {}

    def phase_done(phase: str) -> None:
        causes[phase] = meter.causes(collections)
        if isinstance(app, ProfilingApp):
            causes[phase] += f"; longest event's own CPU {app.phase_cpu_max:.0f} ms"
            app.phase_cpu_max = 0.0

    phase_done("catch-up")
    gui_profile = cProfile.Profile() if args.cprofile else None
    if gui_profile is not None:
        gui_profile.enable()  # the GUI thread only, from here to the end of the new photos

    # 3. scrolling with nothing in the background
    meter.reset()
    scroll_cpu: list[float] = []
    frames = scroll(app, window, 300, cpu=scroll_cpu)
    scroll_stalls = meter.summary()
    phase_done("scrolling")

    # 4. scrubbing through the years
    meter.reset()
    scrub_cpu: list[float] = []
    scrub_frames = scrub(app, window, 120, cpu=scrub_cpu)
    scrub_stalls = meter.summary()
    phase_done("scrubbing")

    # 5. new photos written into the library while scrolling
    meter.reset()
    before = window.model.rowCount()
    writer = threading.Thread(
        target=write_new_photos, args=(args.home / "library" / f"new-{os.getpid()}", NEW_PHOTOS)
    )
    t0 = time.perf_counter()
    writer.start()
    live_frames: list[float] = []
    live_cpu: list[float] = []
    while window.model.rowCount() < before + NEW_PHOTOS and time.perf_counter() - t0 < 300:
        start = window.gallery.verticalScrollBar().value() % 20_000
        live_frames += scroll(app, window, 40, start=start, cpu=live_cpu)
    writer.join()
    t_new = time.perf_counter() - t0
    shown_new = window.model.rowCount() - before
    new_stalls = meter.summary()
    phase_done("new photos")
    if gui_profile is not None:
        gui_profile.disable()
    spin(app, 1.0)
    rss = rss_mb()
    meter.timer.stop()
    window.close()

    def frame_line(f: list[float]) -> str:
        if not f:
            return "none"
        f = sorted(f)
        p95 = f[int(len(f) * 0.95)]
        return f"{len(f)}, median {f[len(f) // 2]:.1f} ms, p95 {p95:.1f} ms, max {f[-1]:.1f} ms"

    print(f"photos in view:               {before:,}")
    print(f"start → first thumbnails:     {painted[0] * 1000:.0f} ms" if painted else "no thumbnails")
    print(f"  GUI stall until then:       {first_paint_gap:.1f} ms")
    print(f"catch-up scan at start:       {t_catch_up:.1f} s{'' if idle else ' (not idle yet)'}; {catch_up}")
    print(f"scroll frames (idle):         {frame_line(frames)}")
    print(f"  their GUI-thread CPU:       {frame_line(scroll_cpu)}")
    print(f"  GUI stalls while scrolling: {scroll_stalls}")
    print(f"scrub jumps (idle):           {frame_line(scrub_frames)}")
    print(f"  their GUI-thread CPU:       {frame_line(scrub_cpu)}")
    print(f"  GUI stalls while scrubbing: {scrub_stalls}")
    done = ""
    if shown_new < NEW_PHOTOS:  # what to look at: did the library read them, is a query stuck or failing?
        done = (
            f" (gave up: {shown_new} shown; catalog {library.stats()['photos']:,} photos; live "
            f"{window.live_status.label.text()!r}; queries running {window.ids_query.running}; "
            f"search error {window.search_error.text()!r})"
        )
    print(f"{NEW_PHOTOS} new photos in grid:     {t_new:.1f} s after writing began{done}")
    print(f"  scroll frames meanwhile:    {frame_line(live_frames)}")
    print(f"  their GUI-thread CPU:       {frame_line(live_cpu)}")
    print(f"  GUI stalls meanwhile:       {new_stalls}")
    print(f"load average at the end:      {os.getloadavg()[0]:.1f} (1 min), {os.cpu_count()} cores")
    print(f"resident memory:              {rss:.0f} MB")
    if args.profile:
        print("slowest GUI-thread events:")
        for ms, what in sorted(app.worst, reverse=True)[:15]:
            print(f"  {ms:7.1f} ms  {what}")
        print("busiest GUI-thread events (its own CPU time, then the wall time):")
        for cpu, ms, what in sorted(app.busiest, reverse=True)[:12]:
            print(f"  {cpu:7.1f} ms CPU {ms:7.1f} ms  {what}")
        print(f"garbage collections over 5 ms: {len(collections)}")
        for started, ended, generation, thread in sorted(collections, key=lambda c: c[0] - c[1])[:8]:
            print(f"  {ended - started:7.1f} ms  generation {generation} on {thread}")
        print(f"GUI-thread gaps over {STALL_MS} ms, what they were:")
        for phase, text in causes.items():
            print(f"  {phase + ':':12s} {text}")
    if gui_profile is not None:
        print("GUI thread's Python, by own time:")
        pstats.Stats(gui_profile).sort_stats("tottime").print_stats(25)
    library.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
