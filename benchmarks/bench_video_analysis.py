"""Local analysis of videos: keyframes/s against the photo analyzer's photos/s, measured in one run.

Usage: python benchmarks/bench_video_analysis.py [PHOTO_DIR] [--videos 20,40,60]
(default photos: ../shared/photos beside the repo)

1. Builds phone-like videos (1920x1080, 30 fps, 10-60 s) from the photos: shots of 3-8 s, each a slow
   hand-held zoom and pan over one photo, hard cuts between them. OpenCV's wheel can only encode
   MPEG-4 part 2 ("mp4v"), not H.264; decoding H.264 from a phone costs more per frame, so the
   decode figures are a lower bound (they are printed separately for that reason).
2. Measures how the sampler can reach its probes (one every 0.5 s): read() of every frame,
   grab() of every frame and retrieve() at probes only, and a seek (CAP_PROP_POS_MSEC) per probe.
3. The photo baseline: photos/s of the local analyzer with the default features on the photos.
4. Video analysis: keyframes chosen, analyzed with the default features, aggregated; keyframes/s,
   seconds per minute of video (target <= 15 s on 2 cores), and keyframes/s ÷ photos/s.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from photosorter.core.analysis.local import LocalAnalyzer
from photosorter.core.analysis.types import AnalysisError
from photosorter.core.analysis.video.analyze import analyze_video
from photosorter.core.analysis.video.keyframes import SamplingPolicy, keyframes
from photosorter.core.catalog import Catalog
from photosorter.core.imaging import UnreadablePhoto, analysis_jpeg, has_image_extension

REPO = Path(__file__).resolve().parent.parent
SIZE = (1920, 1080)
FPS = 30


def photos_of(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.rglob("*")) if p.is_file() and has_image_extension(p.name)]


def _fit(path: Path) -> np.ndarray | None:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        return None
    scale = max(SIZE[0] / image.shape[1], SIZE[1] / image.shape[0]) * 1.15  # room to pan
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)


def build_video(path: Path, seconds: int, photos: list[Path], seed: int) -> None:
    rng = np.random.default_rng(seed)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, SIZE)
    written = 0
    while written < seconds * FPS:
        image = _fit(photos[int(rng.integers(len(photos)))])
        if image is None:
            continue
        shot = int(rng.integers(3, 9)) * FPS
        dx, dy = image.shape[1] - SIZE[0], image.shape[0] - SIZE[1]
        for i in range(min(shot, seconds * FPS - written)):
            x = int(dx * (0.5 + 0.4 * np.sin(i / 90)))
            y = int(dy * (0.5 + 0.4 * np.cos(i / 120)))
            writer.write(np.ascontiguousarray(image[y : y + SIZE[1], x : x + SIZE[0]]))
            written += 1
    writer.release()


def decode_rates(path: Path, seconds: float) -> dict[str, float]:
    """Seconds of decoding per minute of video for each way of reaching a probe every 0.5 s."""
    out = {}
    capture = cv2.VideoCapture(str(path))
    start = time.perf_counter()
    while capture.read()[0]:
        pass
    out["read() every frame"] = time.perf_counter() - start
    capture.release()
    capture = cv2.VideoCapture(str(path))
    start = time.perf_counter()
    n = 0
    while capture.grab():
        if n % (FPS // 2) == 0:
            capture.retrieve()
        n += 1
    out["grab() every frame, retrieve() at probes"] = time.perf_counter() - start
    capture.release()
    capture = cv2.VideoCapture(str(path))
    start = time.perf_counter()
    for probe in np.arange(0, seconds, 0.5):
        capture.set(cv2.CAP_PROP_POS_MSEC, probe * 1000)
        capture.read()
    out["seek (CAP_PROP_POS_MSEC) per probe"] = time.perf_counter() - start
    capture.release()
    return {name: value * 60 / seconds for name, value in out.items()}


def photo_rate(analyzer: LocalAnalyzer, images: list[bytes], workers: int) -> float:
    def one(image: bytes) -> None:
        with contextlib.suppress(AnalysisError):
            analyzer.analyze(image, analyzer.default_features)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, images[:workers]))  # warm up: every model loaded in every thread
        start, cpu = time.perf_counter(), time.process_time()
        list(pool.map(one, images))
        seconds, used = time.perf_counter() - start, time.process_time() - cpu
    print(f"photos  {used / len(images):.2f} CPU s per photo")
    return len(images) / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("photos", nargs="?", default=str(REPO.parent / "shared" / "photos"))
    parser.add_argument("--videos", default="20,40,60", help="lengths in seconds")
    parser.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "photosorter-bench-video"))
    args = parser.parse_args()
    workers = os.cpu_count() or 2
    photos = photos_of(Path(args.photos))
    if not photos:
        raise SystemExit(f"no photos in {args.photos}: give a folder of photos")
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    lengths = [int(s) for s in args.videos.split(",")]
    videos = []
    for n, seconds in enumerate(lengths):
        path = cache / f"phone_{n}_{seconds}s_1080p.mp4"
        if not path.exists():
            start = time.perf_counter()
            partial = path.with_suffix(".part.mp4")  # an interrupted build is never taken for a video
            build_video(partial, seconds, photos, seed=n)
            partial.replace(path)
            print(f"built {path.name} in {time.perf_counter() - start:.1f} s")
        videos.append((path, seconds))
    total_s = sum(seconds for _, seconds in videos)
    print(f"{len(videos)} videos, {total_s} s of 1080p{FPS}; {len(photos)} photos; {workers} workers")

    longest = max(videos, key=lambda v: v[1])
    for name, per_minute in decode_rates(*longest).items():
        print(f"decode  {name:44s} {per_minute:6.2f} s per minute of video")

    policy = SamplingPolicy()
    start, cpu = time.perf_counter(), time.process_time()
    sampled = sum(len(list(keyframes(str(path), policy))) for path, _ in videos)
    sampling, sampling_cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"sample  {sampled} keyframes in {sampling:.2f} s: {sampling * 60 / total_s:.2f} s per minute"
        f" ({sampling_cpu * 60 / total_s:.2f} CPU s per minute)"
    )

    analyzer = LocalAnalyzer()
    images = []
    for path in photos:
        with contextlib.suppress(UnreadablePhoto):
            images.append(analysis_jpeg(str(path)))
    photos_per_s = photo_rate(analyzer, images, workers)
    print(f"photos  {len(images)} photos analyzed: {photos_per_s:.2f} photos/s (default features)")

    features = analyzer.default_features
    versions = {f: analyzer.model_version(f) for f in features}
    with tempfile.TemporaryDirectory() as folder:
        catalog = Catalog(Path(folder) / "catalog.db")
        start, cpu = time.perf_counter(), time.process_time()
        frames = 0
        for n, (path, _) in enumerate(videos):
            found = analyze_video(
                catalog, analyzer, f"h{n}", str(path), features, versions, workers=workers, policy=policy
            )
            frames += found.keyframes
        seconds, used = time.perf_counter() - start, time.process_time() - cpu
        catalog.close()
    keyframes_per_s = frames / seconds
    per_minute = seconds * 60 / total_s
    print(f"videos  {frames} keyframes analyzed in {seconds:.1f} s: {keyframes_per_s:.2f} keyframes/s")
    print(f"videos  {per_minute:.1f} s per minute of 1080p video (target <= 15 s on 2 cores)")
    # other programs share the machine: CPU time over the cores is what an idle machine would take
    idle = used * 60 / total_s / workers
    cpu_per_minute = used * 60 / total_s
    print(f"videos  {cpu_per_minute:.1f} CPU s per minute of video: {idle:.1f} s on {workers} idle cores")
    print(f"ratio   analysis keyframes/s ÷ photo analysis photos/s = {keyframes_per_s / photos_per_s:.2f}")


if __name__ == "__main__":
    main()
