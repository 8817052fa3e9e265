"""The concurrency and kill -9 cases of the stress run, repeated, with counts: one command per stress run.

Each case runs the real CLI (``python -m photosorter --home H ...``) in separate processes on a
fresh home:

- open:         N processes run ``stats`` on one new home at once (first open migrates the catalog)
- scan:         two ``scan`` of the corpus at once on a new home
- analyze:      two local ``analyze`` at once on a scanned home; counts photos analyzed twice
- kill-scan:    kill -9 a scan once it has written photos, then integrity_check and scan again
- kill-analyze: kill -9 an analyze once it has stored results, then integrity_check, analyze
                again, and count results analyzed a second time ("repeated analysis")

The corpus is built from the photos in ``--corpus`` (default: the test photos): ``--photos``
JPEGs with distinct contents.

    python benchmarks/stress.py [--n 8] [--rounds 5] [--kills 5] [--photos 60]
                                [--corpus DIR] [--cases open,scan,analyze,kill-scan,kill-analyze]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SIZE = (1600, 1200)
TIMEOUT_S = 900


@dataclass
class Tally:
    """What one case saw over all its rounds."""

    runs: int = 0
    failed_processes: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)

    def failure(self, stderr: str) -> None:
        self.failed_processes += 1
        lines = [line for line in stderr.strip().splitlines() if line.strip()]
        self.errors[lines[-1][:160] if lines else "(no message)"] += 1


def build_corpus(source: Path, target: Path, count: int) -> None:
    photos = sorted(p for p in source.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    if not photos:
        sys.exit(f"no JPEG or PNG photos under {source}")
    bases = []
    for path in photos[:12]:
        with Image.open(path) as image:
            bases.append(image.convert("RGB").resize(SIZE, Image.Resampling.BILINEAR))
    for i in range(count):
        image = bases[i % len(bases)].copy()
        image.putpixel((i % SIZE[0], i // SIZE[0]), (i % 256, 255, 0))  # distinct content, distinct hash
        folder = target / f"roll{i // 50:02}"
        folder.mkdir(parents=True, exist_ok=True)
        image.save(folder / f"IMG_{i:05}.jpg", quality=90)


def command(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "photosorter", "--home", str(home), *args]


def start(home: Path, *args: str) -> subprocess.Popen[str]:
    # a session of its own, so kill -9 reaches any worker process it started too
    return subprocess.Popen(
        command(home, *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def finish(process: subprocess.Popen[str], tally: Tally) -> str:
    out, err = process.communicate(timeout=TIMEOUT_S)
    tally.runs += 1
    if process.returncode != 0:
        tally.failure(err)
    return out


def run(home: Path, tally: Tally, *args: str) -> str:
    return finish(start(home, *args), tally)


def catalog_path(home: Path) -> Path:
    return home / "data" / "catalog.sqlite3"


def read(home: Path, sql: str) -> list[tuple]:
    """A read on the side, as another program would; None-safe while the catalog does not exist yet."""
    path = catalog_path(home)
    if not path.exists():
        return []
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return []  # not created or migrated yet


def integrity(home: Path) -> str:
    conn = sqlite3.connect(catalog_path(home), timeout=30)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def wait_for(home: Path, sql: str, at_least: int, process: subprocess.Popen[str]) -> bool:
    """Polls until ``sql`` counts ``at_least`` rows; False if the process ended first."""
    while process.poll() is None:
        rows = read(home, sql)
        if rows and rows[0][0] >= at_least:
            return True
        time.sleep(0.02)
    return False


def kill(process: subprocess.Popen[str]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=TIMEOUT_S)


def analyzed(out: str) -> int:
    try:
        return int(json.loads(out)["analyzed"])
    except (ValueError, KeyError, TypeError):
        return 0


# -- cases -------------------------------------------------------------------------------------------------
def case_open(work: Path, args: argparse.Namespace) -> Tally:
    tally = Tally()
    for round_ in range(args.rounds):
        home = work / f"open{round_}"
        processes = [start(home, "stats") for _ in range(args.n)]
        for process in processes:
            finish(process, tally)
        tally.counts["integrity not ok"] += integrity(home) != "ok"
    return tally


def case_scan(work: Path, args: argparse.Namespace) -> Tally:
    tally = Tally()
    for round_ in range(args.rounds):
        home = work / f"scan{round_}"
        for process in [start(home, "scan", str(args.library)) for _ in range(2)]:
            finish(process, tally)
        photos = read(home, "SELECT count(*) FROM photos")
        tally.counts["photos missing after both scans"] += args.photos - (photos[0][0] if photos else 0)
        tally.counts["integrity not ok"] += integrity(home) != "ok"
    return tally


def case_analyze(work: Path, args: argparse.Namespace) -> Tally:
    tally = Tally()
    for round_ in range(args.rounds):
        home = work / f"analyze{round_}"
        run(home, tally, "scan", str(args.library))
        outs = [
            finish(process, tally)
            for process in [start(home, "analyze", "--json", "--backend", "local") for _ in range(2)]
        ]
        done = sum(analyzed(out) for out in outs)
        contents = read(home, "SELECT count(DISTINCT hash) FROM analyses WHERE backend = 'local'")[0][0]
        tally.counts["photos analyzed"] += done
        tally.counts["distinct contents analyzed"] += contents
        tally.counts["analyzed twice (work done twice)"] += done - contents
        tally.counts["integrity not ok"] += integrity(home) != "ok"
    return tally


def case_kill_scan(work: Path, args: argparse.Namespace) -> Tally:
    tally = Tally()
    for round_ in range(args.kills):
        home = work / f"killscan{round_}"
        process = start(home, "scan", str(args.library))
        if wait_for(home, "SELECT count(*) FROM photos", random.randint(1, max(1, args.photos - 1)), process):
            kill(process)
            tally.counts["killed"] += 1
        else:
            finish(process, tally)
            tally.counts["finished before the kill"] += 1
        tally.counts["integrity not ok after kill"] += integrity(home) != "ok"
        run(home, tally, "scan", str(args.library))
        photos = read(home, "SELECT count(*) FROM photos WHERE state = 'ok'")
        tally.counts["photos missing after rescan"] += args.photos - (photos[0][0] if photos else 0)
        tally.counts["integrity not ok after rescan"] += integrity(home) != "ok"
    return tally


def case_kill_analyze(work: Path, args: argparse.Namespace) -> Tally:
    tally = Tally()
    results = "SELECT hash, backend, feature, model_version, analyzed_at FROM analyses"
    for round_ in range(args.kills):
        home = work / f"killanalyze{round_}"
        run(home, tally, "scan", str(args.library))
        process = start(home, "analyze", "--json", "--backend", "local")
        target = random.randint(1, max(1, args.photos // 2))
        if wait_for(home, "SELECT count(DISTINCT hash) FROM analyses", target, process):
            kill(process)
            tally.counts["killed"] += 1
        else:
            finish(process, tally)
            tally.counts["finished before the kill"] += 1
        tally.counts["integrity not ok after kill"] += integrity(home) != "ok"
        before = {row[:4]: row[4] for row in read(home, results)}
        run(home, tally, "analyze", "--json", "--backend", "local")
        after = {row[:4]: row[4] for row in read(home, results)}
        tally.counts["results before the rerun"] += len(before)
        tally.counts["repeated analysis (result redone)"] += sum(after.get(k) != v for k, v in before.items())
        pending = read(
            home,
            "SELECT count(DISTINCT hash) FROM photos WHERE hash IS NOT NULL AND hash NOT IN"
            " (SELECT hash FROM analyses WHERE backend = 'local')",
        )
        tally.counts["photos left unanalyzed"] += pending[0][0] if pending else 0
        tally.counts["integrity not ok after rerun"] += integrity(home) != "ok"
    return tally


CASES = {
    "open": case_open,
    "scan": case_scan,
    "analyze": case_analyze,
    "kill-scan": case_kill_scan,
    "kill-analyze": case_kill_analyze,
}


def report(name: str, tally: Tally, seconds: float) -> None:
    print(f"\n== {name}: {tally.runs} processes run, {tally.failed_processes} failed ({seconds:.0f} s)")
    for error, count in tally.errors.most_common():
        print(f"   {count:4} x {error}")
    for what, count in tally.counts.items():
        print(f"   {what}: {count}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8, help="processes opening one new home at once (open)")
    parser.add_argument("--rounds", type=int, default=5, help="repeats of open, scan and analyze")
    parser.add_argument("--kills", type=int, default=5, help="repeats of each kill -9 case")
    parser.add_argument("--photos", type=int, default=60, help="photos in the corpus")
    parser.add_argument(
        "--corpus", type=Path, default=ROOT / "tests" / "data" / "photos", help="photos to build from"
    )
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated: {','.join(CASES)}")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    chosen = [name.strip() for name in args.cases.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in CASES]
    if unknown:
        parser.error(f"unknown case {unknown[0]!r}; choose from {', '.join(CASES)}")
    random.seed(args.seed)
    with tempfile.TemporaryDirectory(prefix="photosorter-stress-") as temp:
        work = Path(temp)
        args.library = work / "library"
        build_corpus(args.corpus, args.library, args.photos)
        print(f"corpus: {args.photos} photos from {args.corpus}")
        print(f"n={args.n} rounds={args.rounds} kills={args.kills} seed={args.seed}")
        for name in chosen:
            started = time.perf_counter()
            tally = CASES[name](work, args)
            report(name, tally, time.perf_counter() - started)


if __name__ == "__main__":
    main()
