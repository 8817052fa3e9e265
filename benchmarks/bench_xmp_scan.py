"""What XMP sidecars add to a scan: the same photos scanned with and without a sidecar each.

Builds N small distinct JPEGs (640x480 unless --size) twice, once with a digiKam-shaped sidecar beside every
photo (keywords with hierarchy, rating, two named MWG face regions, the Microsoft copy), then
measures a cold `photosorter scan` (which also turns the regions into named faces) and a
no-change rescan of each tree, alternating, best of --repeats (2). Prints the ratios with/without;
the target is at most 1.2 for the cold scan.

    python benchmarks/bench_xmp_scan.py [N] [--size 640x480] [--content flat|photo]

The smaller and plainer the photos, the larger the ratio: a sidecar's cost is fixed per photo
(parsing, keyword labels, regions to faces) while decoding and thumbnailing grow with the pixels and
the detail; the last line says that fixed cost in CPU milliseconds. ``flat`` (the default, the
worst case) is one colour: a 640x480 frame is a 5 KB file, smaller than two sidecars. ``photo``
is a real photograph (tests/data/photos/cat_and_dog.jpeg) resized to ``--size``, about 60 KB at
640x480, as a phone's or camera's photo of that size would be.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image

from photosorter.core import scanner
from photosorter.core.jobs import run_to_end
from photosorter.core.library import Library

TESTS_DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
SIDECAR = TESTS_DATA / "xmp" / "digikam.jpg.xmp"
PHOTO = TESTS_DATA / "photos" / "cat_and_dog.jpeg"


def build(
    root: Path, count: int, sidecars: bool, size: tuple[int, int] = (640, 480), content: str = "flat"
) -> None:
    template = SIDECAR.read_bytes()
    if content == "photo":
        with Image.open(PHOTO) as photo:
            base = photo.convert("RGB").resize(size, Image.Resampling.LANCZOS)
    else:
        base = Image.new("RGB", size, (120, 140, 160))
    for i in range(count):
        folder = root / f"roll{i // 200:03}"
        folder.mkdir(parents=True, exist_ok=True)
        base.putpixel(
            (i % size[0], i // size[0] % size[1]), (i % 256, (i // 256) % 256, 7)
        )  # distinct content
        path = folder / f"IMG_{i:05}.jpg"
        base.save(path, quality=85)
        if sidecars:
            (folder / f"IMG_{i:05}.jpg.xmp").write_bytes(
                template.replace(b"Paris", f"Place {i % 97}".encode())
            )


def cpu_seconds() -> float:
    """CPU time of this process (all threads) and of its ended children (the scan's reader processes,
    which end with the scan)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def scan_seconds(tree: Path, home: Path) -> tuple[float, float, float]:
    """(cold scan, no-change rescan, CPU seconds of the cold scan) of ``tree`` into a fresh catalog
    under ``home``. CPU time is steadier than wall time on a busy machine."""
    if home.exists():
        shutil.rmtree(home)
    with Library.open(home) as library:
        library.add_folder(tree)
        started, cpu = time.perf_counter(), cpu_seconds()
        report = run_to_end(library.scan())
        cold, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        assert not report.errors, report.errors[:3]
        started = time.perf_counter()
        again = run_to_end(library.scan())
        rescan = time.perf_counter() - started
        assert again.unchanged == report.added, (again.unchanged, report.added)
    return cold, rescan, cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("count", nargs="?", type=int, default=10_000)
    parser.add_argument("--size", default="640x480", help="pixels of each photo (default 640x480)")
    parser.add_argument(
        "--content", choices=("flat", "photo"), default="flat", help="one colour, or a real photograph"
    )
    parser.add_argument(
        "--readers",
        choices=("auto", "threads"),
        default="auto",
        help="auto: reader processes from scanner.PROCESS_READS_FROM files; threads: never",
    )
    parser.add_argument(
        "--repeats", type=int, default=2, help="scans of each tree, alternated; the best counts (default 2)"
    )
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    if args.readers == "threads":
        scanner.PROCESS_READS_FROM = 1 << 62
    with tempfile.TemporaryDirectory(prefix="bench-xmp-") as temp:
        work = Path(temp)
        started = time.perf_counter()
        build(work / "plain", args.count, sidecars=False, size=size, content=args.content)
        build(work / "sidecars", args.count, sidecars=True, size=size, content=args.content)
        megabytes = sum(f.stat().st_size for f in (work / "plain").rglob("*.jpg")) / 1e6
        print(
            f"built 2 x {args.count} {args.size} {args.content} photos ({megabytes:.0f} MB each)"
            f" in {time.perf_counter() - started:.1f} s"
        )
        best: dict[str, tuple[float, float, float]] = {}
        rounds: list[float] = []  # each round's with/without wall ratio: how far one run can move
        for repeat in range(args.repeats):
            this_round: dict[str, float] = {}
            for name in ("plain", "sidecars") if repeat % 2 == 0 else ("sidecars", "plain"):
                cold, rescan, cpu = scan_seconds(work / name, work / f"home-{name}")
                this_round[name] = cold
                speed = args.count / cold
                print(
                    f"  {name:9} cold {cold:6.2f} s ({speed:5.0f} photos/s, CPU {cpu:6.2f} s)"
                    f"  rescan {rescan:5.2f} s"
                )
                old = best.get(name, (float("inf"),) * 3)
                best[name] = (min(old[0], cold), min(old[1], rescan), min(old[2], cpu))
            rounds.append(this_round["sidecars"] / this_round["plain"])
        with Library.open(work / "home-sidecars") as library:
            named = (
                library.catalog.connection()
                .execute("SELECT count(*) FROM faces WHERE person_id IS NOT NULL")
                .fetchone()[0]
            )
        print(f"named faces from regions: {named}")
        cold_ratio = best["sidecars"][0] / best["plain"][0]
        rescan_ratio = best["sidecars"][1] / best["plain"][1]
        cpu_ratio = best["sidecars"][2] / best["plain"][2]
        print(
            f"cold scan with/without sidecars: {cold_ratio:.2f}x wall, {cpu_ratio:.2f}x CPU (target <= 1.20)"
        )
        print(
            "each round's wall ratio (the two scans back to back): "
            + ", ".join(f"{r:.2f}x" for r in rounds)
            + f"; median {statistics.median(rounds):.2f}x"
        )
        print(f"no-change rescan with/without sidecars: {rescan_ratio:.2f}x")
        added = (best["sidecars"][2] - best["plain"][2]) / args.count * 1000
        print(f"CPU a sidecar adds to a photo's cold scan: {added:.2f} ms")


if __name__ == "__main__":
    main()
