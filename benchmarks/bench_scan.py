"""Scan throughput against the machine's own limits, measured in the same run.

Builds N 12-megapixel JPEGs from the real photos in ../shared/photos, then measures:
(a) decode limit: Pillow draft-decode of the same files on all cores,
(b) a cold `photosorter scan`, (c) a no-change rescan, (d) a plain stat walk of the tree.
Prints photos/s for each and, last, the ratios scan/decode and rescan/statwalk.

    python benchmarks/bench_scan.py [N] [--corpus ../shared/photos]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image

from photosorter.core.jobs import run_to_end
from photosorter.core.library import Library

ROOT = Path(__file__).resolve().parents[1]
TWELVE_MP = (4000, 3000)
REPEATS = 2


def build_corpus(corpus: Path, target: Path, count: int) -> list[Path]:
    sources = sorted(p for p in corpus.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    bases = []
    for source in sources[:12]:
        with Image.open(source) as image:
            bases.append(image.convert("RGB").resize(TWELVE_MP, Image.Resampling.BILINEAR))
    paths = []
    for i in range(count):
        image = bases[i % len(bases)]
        image.putpixel((i % 4000, i // 4000), (i % 256, 0, 0))  # distinct content, distinct hash
        sub = target / f"roll{i // 100:03}"
        sub.mkdir(exist_ok=True)
        path = sub / f"IMG_{i:05}.jpg"
        image.save(path, quality=90)
        paths.append(path)
    return paths


def draft_decode(path: Path) -> None:
    with Image.open(path) as image:
        image.draft("RGB", (320, 320))
        image.load()


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def stat_walk(root: Path) -> int:
    seen = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            os.stat(os.path.join(folder, name))
            seen += 1
    return seen


def scan(library) -> object:
    return run_to_end(library.scan())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("count", nargs="?", type=int, default=300)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "photos")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-scan-") as scratch:
        root = Path(scratch) / "photos"
        root.mkdir()
        print(f"building {args.count} 12-MP JPEGs from {args.corpus} …", flush=True)
        paths = build_corpus(args.corpus, root, args.count)
        for path in paths:  # warm the page cache equally for every measurement
            path.read_bytes()
        cores = os.cpu_count() or 1

        def decode_all() -> None:
            with ThreadPoolExecutor(cores) as pool:
                list(pool.map(draft_decode, paths))

        # best of a few runs each, so a neighbour's burst of disk or CPU does not decide the ratio
        decode = min(timed(decode_all) for _ in range(REPEATS))
        colds, rescans = [], []
        for attempt in range(REPEATS):
            # in-process, as the GUI and the CLI both run it; a fresh home makes every run cold
            with Library.open(Path(scratch) / f"home{attempt}") as library:
                library.add_folder(root)
                colds.append(timed(lambda: scan(library)))
                rescans.append(min(timed(lambda: scan(library)) for _ in range(3)))
        cold, rescan = min(colds), min(rescans)
        walk = min(timed(lambda: stat_walk(root)) for _ in range(3 * REPEATS))

    n = args.count
    print(f"cores                    {cores}")
    print(f"(a) draft-decode limit   {rate(n, decode):10.1f} photos/s")
    print(f"(b) cold scan            {rate(n, cold):10.1f} photos/s")
    print(f"(c) no-change rescan     {rate(n, rescan):10.1f} photos/s")
    print(f"(d) stat walk            {rate(n, walk):10.1f} photos/s")
    print(f"scan/decode              {decode / cold:10.2f}   (target >= 0.8)")
    print(f"rescan/statwalk          {walk / rescan:10.2f}   (target >= 0.5)")


if __name__ == "__main__":
    main()
