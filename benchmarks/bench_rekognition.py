"""Throughput of RekognitionAnalyzer against the fake server: does it hold the configured rate?

The fake answers after ``--latency`` seconds and throttles every
``--throttle-every``-th call; N photos (labels, faces, text: three calls each)
go through a thread pool sized to the rate limit. Prints achieved billed
calls/s against the configured rate; the target is >= 0.9x with no photo lost.

    PYTHONPATH=src:tests python benchmarks/bench_rekognition.py --photos 200 --rate 5
"""

from __future__ import annotations

import argparse
import io
import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image

sys.path[:0] = [str(Path(__file__).parents[1] / "src"), str(Path(__file__).parents[1] / "tests")]

from photosorter.core.analysis.rekognition import RekognitionAnalyzer  # noqa: E402
from photosorter.core.analysis.types import Feature  # noqa: E402
from rekognition_server import FakeRekognition  # noqa: E402

FEATURES = frozenset({Feature.LABELS, Feature.FACES, Feature.TEXT})


def photo(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (seed % 256, seed // 256 % 256, seed * 31 % 256)).save(out, "JPEG")
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--rate", type=float, default=5.0, help="rate limit, requests per second")
    parser.add_argument("--latency", type=float, default=0.15, help="server latency, seconds")
    parser.add_argument("--throttle-every", type=int, default=10)
    parser.add_argument("--workers", type=int, default=0, help="default: ceil(rate * latency * 2), >= 2")
    parser.add_argument(
        "--retry-mode",
        default="standard",
        choices=("adaptive", "standard"),
        help="botocore retry mode (the app's default is standard: see RekognitionAnalyzer)",
    )
    args = parser.parse_args(argv)

    workers = args.workers or max(2, math.ceil(args.rate * args.latency * 2))
    photos = [photo(seed) for seed in range(args.photos)]
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    with FakeRekognition(latency=args.latency, throttle_every=args.throttle_every) as server:
        os.environ["AWS_ENDPOINT_URL_REKOGNITION"] = server.url
        analyzer = RekognitionAnalyzer(
            region="us-east-1", rate_limit=args.rate, collection_id="bench", retry_mode=args.retry_mode
        )
        analyzer.analyze(photos[0], FEATURES)  # creates the collection, warms the connection pool
        warm_calls = analyzer.meter.total_calls
        failures: list[BaseException] = []

        def run(image: bytes) -> bool:
            try:
                analyzer.analyze(image, FEATURES)
                return True
            except Exception as error:  # counted as lost
                failures.append(error)
                return False

        started = time.monotonic()
        with ThreadPoolExecutor(workers) as pool:
            done = sum(pool.map(run, photos))
        elapsed = time.monotonic() - started
        billed = analyzer.meter.total_calls - warm_calls
        throttled = server.total_calls - sum(server.served.values())

    achieved = billed / elapsed
    print(f"photos: {done}/{args.photos} analyzed, {len(failures)} lost, {workers} workers")
    print(f"calls: {billed} billed, {throttled} throttled and retried, in {elapsed:.1f} s")
    print(
        f"rate: {achieved:.2f} calls/s achieved vs {args.rate:g} configured "
        f"-> ratio {achieved / args.rate:.3f}"
    )
    for error in failures[:5]:
        print(f"  lost: {error!r}")
    return 0 if done == args.photos and achieved >= 0.9 * args.rate else 1


if __name__ == "__main__":
    sys.exit(main())
