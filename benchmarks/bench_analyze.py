"""Photos per second of the local analyzer on a folder of photos, per feature and all together.

Usage: python benchmarks/bench_analyze.py [PHOTO_DIR]   (default: ../shared/photos beside the repo)

Analysis images are made first (as the pipeline does), so only analysis is timed.
Each run uses a thread pool with one worker per CPU, as the app does.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from photosorter.core.analysis.local import LocalAnalyzer
from photosorter.core.analysis.types import AnalysisError, Feature
from photosorter.core.imaging import UnreadablePhoto, analysis_jpeg, has_image_extension

REPO = Path(__file__).resolve().parent.parent


def load_images(folder: Path) -> list[bytes]:
    images = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and has_image_extension(path.name):
            with contextlib.suppress(UnreadablePhoto):
                images.append(analysis_jpeg(str(path)))
    return images


def run(analyzer: LocalAnalyzer, images: list[bytes], features: frozenset[Feature], workers: int) -> float:
    def one(image: bytes) -> None:
        # A too-small photo is part of real libraries; it still costs a decode.
        with contextlib.suppress(AnalysisError):
            analyzer.analyze(image, features)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, images[:workers]))  # warm up: load every model in every thread
        start = time.perf_counter()
        list(pool.map(one, images))
        return len(images) / (time.perf_counter() - start)


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared" / "photos"
    workers = os.cpu_count() or 2
    images = load_images(folder)
    analyzer = LocalAnalyzer()
    print(f"{len(images)} photos from {folder}, {workers} worker threads")
    for feature in (Feature.LABELS, Feature.FACES, Feature.TEXT, Feature.MODERATION):
        rate = run(analyzer, images, frozenset({feature}), workers)
        print(f"{feature.value:12s} {rate:6.2f} photos/s")
    rate = run(analyzer, images, analyzer.default_features, workers)
    print(f"{'all':12s} {rate:6.2f} photos/s")


if __name__ == "__main__":
    main()
