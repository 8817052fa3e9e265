"""Reading a scan's photos in threads or in reader processes, by the number of files to read.

A scan reads in reader processes from ``scanner.PROCESS_READS_FROM`` files on: this measures where the
processes' start (about a second of CPU: each imports Pillow, NumPy and the reader) is won back. For
each count, cold scans of the same photos (640x480 photographs, as bench_xmp_scan builds them) with
threads and with processes, alternated, best of --repeats; prints both and processes/threads.

    python benchmarks/bench_scan_readers.py [--counts 20,100,300,1000,3000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from bench_xmp_scan import build, scan_seconds
from photosorter.core import scanner


def cold_scan(tree: Path, home: Path, processes: bool) -> tuple[float, float]:
    """(wall, CPU) seconds of a cold scan of ``tree``, reading in processes or in threads."""
    scanner.PROCESS_READS_FROM = 1 if processes else 1 << 62
    wall, _rescan, cpu = scan_seconds(tree, home)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--counts", default="20,100,300,1000,3000")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    chosen = scanner.PROCESS_READS_FROM
    print(f"reader processes from {chosen} files to read ({scanner.default_workers()} readers)")
    print(f"{'files':>6}  {'threads s':>9} {'CPU s':>6}  {'processes s':>11} {'CPU s':>6}  processes/threads")
    with tempfile.TemporaryDirectory(prefix="bench-readers-") as temp:
        work = Path(temp)
        for count in (int(c) for c in args.counts.split(",")):
            tree = work / f"photos{count}"
            build(tree, count, sidecars=False, content="photo")
            best = {True: (float("inf"), 0.0), False: (float("inf"), 0.0)}
            for repeat in range(args.repeats):
                for processes in (False, True) if repeat % 2 == 0 else (True, False):
                    wall, cpu = cold_scan(tree, work / "home", processes)
                    if wall < best[processes][0]:
                        best[processes] = (wall, cpu)
            (thread_wall, thread_cpu), (process_wall, process_cpu) = best[False], best[True]
            print(
                f"{count:6}  {thread_wall:9.2f} {thread_cpu:6.2f}  {process_wall:11.2f} {process_cpu:6.2f}"
                f"  {process_wall / thread_wall:.2f}x"
            )
            shutil.rmtree(tree)


if __name__ == "__main__":
    main()
