"""Photos per second of the local analyzer on a folder of photos, per feature and all together.

Usage: python benchmarks/bench_analyze.py [PHOTO_DIR] [--compare BASE_SRC] [--rounds N]
                                          [--features labels,faces,text,moderation,all] [--processes]

(default PHOTO_DIR: ../shared/photos beside the repo)

Analysis images are made first (as the pipeline does), so only analysis is timed.
Each measurement runs in a fresh process: ``--threads`` mode (the default) uses a
thread pool with one worker per CPU around one ``LocalAnalyzer``, as the CLI
did; ``--processes`` uses ``ProcessAnalyzer`` with one worker process per CPU,
as the desktop app does, and also reports the workers' peak resident memory.

``--compare BASE_SRC`` times another checkout's ``src`` directory (e.g. made by
``git archive BASE src | tar -x -C /tmp/base``) against this one, alternating
base and new for each feature and round, so both see the same load on a shared
machine; it prints the median of each and the ratio new/base. The load average
is printed before and after, as the absolute rates depend on it; so is the CPU
time each photo took (all analyzing threads or processes together), which
depends less on what else the machine is doing: on an idle machine with N
cores, N / CPU time is about the rate to expect when the work spreads evenly.
CPU time still depends on the CPU's floating-point throughput, so the run starts
with bench_ocr's reference (GFLOP per CPU second of one onnxruntime thread) and
gives each feature's cost in reference GFLOP a photo as well, which compares
across machines and days.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FEATURES = ("labels", "faces", "text", "moderation", "all")


def load_images(folder: Path) -> list[bytes]:
    from photosorter.core.imaging import UnreadablePhoto, analysis_jpeg, has_image_extension

    images = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and has_image_extension(path.name):
            with contextlib.suppress(UnreadablePhoto):
                images.append(analysis_jpeg(str(path)))
    return images


def _rss_mb(pid: int, field: str = "VmHWM") -> float:
    """A process's peak (VmHWM) or current (VmRSS) resident memory, from /proc (Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used, from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(folder: Path, feature: str, processes: bool) -> dict:
    """One timed run in this process: photos/s and peak resident memory of whatever analyzed."""
    from photosorter.core.analysis.local import LocalAnalyzer
    from photosorter.core.analysis.types import AnalysisError, Feature

    workers = os.cpu_count() or 2
    images = load_images(folder)
    # as in the app: networks converted at first use are read from the cache (made by the warm-up)
    cache = Path(tempfile.gettempdir()) / f"bench-analyze-models-{os.getuid()}"
    if processes:
        from photosorter.core.analysis.isolated import ProcessAnalyzer

        analyzer = ProcessAnalyzer(partial(LocalAnalyzer, cache_dir=cache), workers=workers)
    else:
        analyzer = LocalAnalyzer(cache_dir=cache)
    features = analyzer.default_features if feature == "all" else frozenset({Feature(feature)})

    def one(image: bytes) -> None:
        # A too-small photo is part of real libraries; it still costs a decode.
        with contextlib.suppress(AnalysisError):
            analyzer.analyze(image, features)

    # processes: two photos in flight per worker, so none waits for the pipe between photos
    with ThreadPoolExecutor(max_workers=workers * (2 if processes else 1)) as pool:
        pids: list[int] = []
        # warm up: load every model in every worker. The pool starts a worker only when none is idle, so
        # on a loaded machine one warm-up batch may leave the second unstarted; its memory and CPU would
        # then be missing from the figures (two workers measured 602 MB one run and 1254 MB the next).
        for _ in range(10):
            list(pool.map(one, images[: workers * 2]))
            pids = list((getattr(getattr(analyzer, "_pool", None), "_processes", None) or {}).keys())
            if not processes or len(pids) >= workers:
                break
        pids = pids or [os.getpid()]
        cpu = sum(_cpu_seconds(pid) for pid in pids)
        start = time.perf_counter()
        list(pool.map(one, images))
        rate = len(images) / (time.perf_counter() - start)
        cpu = sum(_cpu_seconds(pid) for pid in pids) - cpu
        # read while the threads that started the workers still run: read after this block, the
        # workers' status had no memory lines (0 MB) in about half the runs on a loaded machine
        rss = sum(_rss_mb(pid) for pid in pids)
        rss_now = sum(_rss_mb(pid, "VmRSS") for pid in pids)
    if processes:
        analyzer.close()
    return {
        "rate": rate,
        "rss_mb": rss,
        "photos": len(images),
        "cpu_ms": 1000 * cpu / len(images),
        "rss_now_mb": rss_now,
        "processes": len(pids),
    }


def run_child(src: Path, folder: Path, feature: str, processes: bool) -> dict:
    env = dict(os.environ, PYTHONPATH=str(src))
    command = [sys.executable, __file__, str(folder), "--child", feature]
    if processes:
        command.append("--processes")
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("folder", nargs="?", type=Path, default=REPO.parent / "shared" / "photos")
    parser.add_argument("--compare", type=Path, help="another checkout's src directory to time against")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--features", default=",".join(FEATURES))
    parser.add_argument("--processes", action="store_true", help="worker processes, as the desktop app")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.folder, args.child, args.processes)))
        return
    if not args.folder.is_dir():
        parser.error(f"{args.folder} is not a folder of photos")
    from bench_ocr import reference_gflops  # not in the children: they may run another checkout's src

    mode = "worker processes" if args.processes else "worker threads"
    gflops = reference_gflops()
    print(f"{args.folder}, {os.cpu_count()} {mode}, load average {load()}")
    print(f"reference: {gflops:.1f} GFLOP per CPU second (bench_ocr.reference_gflops)")
    this = REPO / "src"
    builds = [("base", args.compare.resolve()), ("new", this)] if args.compare else [("new", this)]
    results: dict[tuple[str, str], list[dict]] = {}
    for _ in range(args.rounds):
        for feature in args.features.split(","):
            for name, src in builds:
                result = run_child(src, args.folder, feature, args.processes)
                results.setdefault((feature, name), []).append(result)
                print(
                    f"  {feature:11s} {name:4s} {result['rate']:6.2f} photos/s  "
                    f"{result['cpu_ms']:6.0f} CPU ms/photo  RSS peak {result['rss_mb']:5.0f} MB, "
                    f"at end {result['rss_now_mb']:5.0f} MB in {result.get('processes', 1)} process(es)  "
                    f"(load {load()})",
                    flush=True,
                )
    print(f"median of {args.rounds} round(s); load average now {load()}")
    for feature in args.features.split(","):
        cells = []
        for name, _ in builds:
            runs = results[(feature, name)]
            rate = statistics.median(r["rate"] for r in runs)
            cpu = statistics.median(r["cpu_ms"] for r in runs)
            rss = max(r["rss_mb"] for r in runs)
            cells.append((name, rate, cpu, rss))
        line = "  ".join(
            f"{n} {rate:6.2f}/s {cpu:5.0f} CPU ms ({cpu * gflops / 1000:4.1f} ref GFLOP) {rss:5.0f} MB"
            for n, rate, cpu, rss in cells
        )
        if len(cells) == 2:
            (_, base_rate, base_cpu, _), (_, rate, cpu, _) = cells
            line += f"  new/base: rate {rate / base_rate:4.2f}x, CPU {cpu / base_cpu:4.2f}x"
        print(f"{feature:11s} {line}")


if __name__ == "__main__":
    main()
