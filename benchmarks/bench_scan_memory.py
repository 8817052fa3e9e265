"""Peak resident memory of scanning a very large library, against the interpreter's own baseline.

Builds N small distinct JPEGs (default 100,000) in a temporary tree, then runs
`photosorter scan` and `photosorter stats` in child processes and prints each one's
peak RSS. The stats run (open catalog, one query) is the baseline measured in
the same run; the target is a scan peak under 300 MB.

    python benchmarks/bench_scan_memory.py [N]
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def build_tree(root: Path, count: int) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (96, 64), (90, 140, 200)).save(buffer, "JPEG", quality=80)
    base = buffer.getvalue()
    # a JPEG comment segment right after SOI makes each file's content (and hash) distinct
    for i in range(count):
        folder = root / f"{i // 1000:03}"
        if i % 1000 == 0:
            folder.mkdir()
        comment = f"photo {i}".encode()
        segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
        (folder / f"IMG_{i:06}.jpg").write_bytes(base[:2] + segment + base[2:])


def peak_rss_mb(*args: str) -> tuple[float, float]:
    """Runs photosorter in a child and returns (its peak RSS in MB, seconds)."""
    script = (
        "import resource, sys, runpy\n"
        "sys.argv = ['photosorter', *sys.argv[1:]]\n"
        "try:\n"
        "    runpy.run_module('photosorter', run_name='__main__')\n"
        "finally:\n"
        "    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    kilobytes = int(done.stderr.strip().splitlines()[-1])
    return kilobytes / 1024, seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("count", nargs="?", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-scan-mem-") as scratch:
        root = Path(scratch) / "photos"
        root.mkdir()
        print(f"building {args.count} files …", flush=True)
        build_tree(root, args.count)
        home = Path(scratch) / "home"
        baseline, _ = peak_rss_mb("--home", str(home), "stats", "--json")
        scan, seconds = peak_rss_mb("--home", str(home), "scan", str(root), "--json")
        rescan, rescan_seconds = peak_rss_mb("--home", str(home), "scan", "--json")
    print(f"baseline (stats)  {baseline:8.1f} MB")
    print(f"cold scan         {scan:8.1f} MB peak, {args.count / seconds:8.0f} files/s")
    print(f"rescan            {rescan:8.1f} MB peak, {args.count / rescan_seconds:8.0f} files/s")
    print(f"scan/baseline     {scan / baseline:8.2f}x   (target: scan peak < 300 MB)")


if __name__ == "__main__":
    main()
