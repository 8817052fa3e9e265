"""Video throughput against OpenCV's own decode limits, measured in the same run.

Builds N phone-like videos (1080p, 30 fps, 10-60 s, cuts between real photos from ../shared/photos
with a slow pan, every third one stored sideways with a 90° display matrix), then measures:
(a) the raw limits: OpenCV decoding just the sampled keyframes (one per KEYFRAME_SECONDS), and just
    the poster frame photosorter picks (decoded, not turned upright), on all cores, in warm worker
    processes;
(b) photosorter's scan of the folder (hash, metadata, poster, thumbnail, catalog), cold, in-process
    as the GUI and the CLI run it, in turns with (a)'s poster limit (the first scan also starts the
    decoder processes and is printed apart);
(c) local analysis of the scanned videos as the app runs it (keyframes through the photo analyzer), and
    the photo analyzer's photos/s on the corpus photos in the same run.
Prints videos/s for each and, last, the ratios (targets: scan/poster-decode >= 0.8; a minute of 1080p
analyzed in <= 15 s on 2 cores). benchmarks/bench_video_analysis.py compares the ways of decoding.

    python benchmarks/bench_video.py [N] [--corpus ../shared/photos] [--keep DIR]
    python benchmarks/bench_video.py --hash-gb 2      # the content hash: whole file against sampled

The videos are MPEG-4 Part 2 (``mp4v``): the only codec OpenCV's wheel encodes. Phones write H.264
or HEVC, which decode at a similar cost per 1080p frame in FFmpeg; the ratios compare photosorter with
the decoder on the same files, so the codec cancels out.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import struct
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import xxhash

from photosorter.core.imaging import UnreadablePhoto, analysis_jpeg
from photosorter.core.jobs import run_to_end
from photosorter.core.library import Library
from photosorter.core.video.frames import poster_times
from photosorter.core.video.isobmff import keyframe_times, read_movie
from photosorter.core.video.reading import HASH_SAMPLE_BYTES, HASH_SAMPLES, content_hash

ROOT = Path(__file__).resolve().parents[1]
SIZE = (1920, 1080)
FPS = 30
SECONDS = (10, 60)
SCENE_SECONDS = (3, 8)
KEYFRAME_SECONDS = 2.0  # the sampling interval of video analysis: one frame per 2 s
REPEATS = 2
SCAN_ROUNDS = 5  # poster limit and scan, in turns (each takes a second or two)


# -- the corpus -------------------------------------------------------------------------------------------
def _scenes(corpus: Path) -> list[np.ndarray]:
    sources = sorted(p for p in corpus.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    wide = (SIZE[0] + 160, SIZE[1] + 90)  # room for the pan
    images = []
    for source in sources[:16]:
        image = cv2.imread(str(source), cv2.IMREAD_COLOR)
        if image is not None:
            images.append(cv2.resize(image, wide, interpolation=cv2.INTER_AREA))
    if not images:
        raise SystemExit(f"no photos in {corpus}: pass --corpus")
    return images


def _turn_sideways(path: Path) -> None:
    """The 90° display matrix a phone writes in portrait (moov comes last in OpenCV's files, so its
    track header is rewritten in place)."""
    data = bytearray(path.read_bytes())
    at = data.find(b"tkhd", data.rfind(b"moov"))  # not a chance match inside the video data
    assert at > 0
    matrix_at = at + 4 + (52 if data[at + 4] == 1 else 40)
    struct.pack_into(">9i", data, matrix_at, 0, 65536, 0, -65536, 0, 0, 0, 0, 1 << 30)
    path.write_bytes(bytes(data))


def build_one(args: tuple[Path, int, int, int]) -> Path:
    corpus, index, seconds, seed = args
    rng = random.Random(seed)
    scenes = _scenes(corpus)
    path = Path(os.environ["BENCH_VIDEO_DIR"]) / f"VID_{index:04}.mp4"  # set before the pool starts
    if path.exists():  # built by an earlier run (--keep): written under a temporary name, so complete
        return path
    partial = path.with_name(f".partial-{path.name}")
    writer = cv2.VideoWriter(str(partial), cv2.VideoWriter_fourcc(*"mp4v"), FPS, SIZE)
    frame_count, written = seconds * FPS, 0
    while written < frame_count:
        scene = scenes[rng.randrange(len(scenes))]
        length = min(frame_count - written, rng.randint(*SCENE_SECONDS) * FPS)
        for step in range(length):
            x, y = step * 160 // max(1, length), step * 90 // max(1, length)
            writer.write(np.ascontiguousarray(scene[y : y + SIZE[1], x : x + SIZE[0]]))
        written += length
    writer.release()
    if index % 3 == 2:
        _turn_sideways(partial)
    partial.rename(path)
    return path


def build_corpus(corpus: Path, target: Path, count: int) -> list[Path]:
    os.environ["BENCH_VIDEO_DIR"] = str(target)
    rng = random.Random(7)
    jobs = [(corpus, i, rng.randint(*SECONDS), i) for i in range(count)]
    with ProcessPoolExecutor(os.cpu_count() or 1) as pool:
        return list(pool.map(build_one, jobs))


# -- raw decoder limits -----------------------------------------------------------------------------------
def _duration_and_keyframes(path: Path) -> tuple[float, tuple[float, ...]]:
    with open(path, "rb") as handle:
        movie = read_movie(handle, path.stat().st_size)
    return movie.duration_s or 0.0, keyframe_times(movie.video, 60.0)


def decode_samples(path: str) -> int:
    """Decodes one frame every KEYFRAME_SECONDS, seeking to each: the keyframe sampling's raw cost."""
    capture = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    duration = capture.get(cv2.CAP_PROP_FRAME_COUNT) / (capture.get(cv2.CAP_PROP_FPS) or FPS)
    decoded, at = 0, 0.0
    while at < duration:
        capture.set(cv2.CAP_PROP_POS_MSEC, at * 1000)
        ok, _ = capture.read()
        decoded += ok
        at += KEYFRAME_SECONDS
    capture.release()
    return decoded


def decode_poster(job: tuple[str, float]) -> bool:
    """Opens the file and decodes the one frame photosorter's poster comes from, nothing else: not even
    turned upright. OpenCV turns every frame of a sideways video by default (a whole 1080p frame, 2% of
    this corpus's decode time); the scan turns only the 320-pixel poster, so the limit is the decode alone."""
    path, at = job
    capture = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 0)
    if at:
        capture.set(cv2.CAP_PROP_POS_MSEC, at * 1000)
    ok, _ = capture.read()
    capture.release()
    return ok


# -- measurements -----------------------------------------------------------------------------------------
@dataclass
class Corpus:
    paths: list[Path]
    scratch: Path
    cores: int
    photos: Path = ROOT.parent / "shared" / "photos"  # the photos the videos are made of


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def measure_keyframe_limit(corpus: Corpus, pool: ProcessPoolExecutor) -> dict[str, float]:
    paths = [str(p) for p in corpus.paths]
    frames: list[int] = []
    seconds = min(timed(lambda: frames.extend(pool.map(decode_samples, paths))) for _ in range(REPEATS))
    per_run = sum(frames) // REPEATS
    return {"keyframe_videos_per_s": len(paths) / seconds, "keyframes_per_s": per_run / seconds}


def poster_jobs(corpus: Corpus) -> list[tuple[str, float]]:
    jobs = []
    for path in corpus.paths:
        duration, keyframes = _duration_and_keyframes(path)
        jobs.append((str(path), poster_times(duration, keyframes)[0]))
    return jobs


def scan_seconds(corpus: Corpus, home: Path) -> float:
    """One cold scan of the videos' folder into a fresh home, as the GUI and the CLI run it."""
    with Library.open(home) as library:
        library.add_folder(corpus.paths[0].parent)
        report = None

        def scan() -> None:
            nonlocal report
            report = run_to_end(library.scan())

        seconds = timed(scan)
        assert report is not None and report.added == len(corpus.paths), report
    return seconds


def measure_poster_and_scan(corpus: Corpus, pool: ProcessPoolExecutor) -> dict[str, float]:
    """(a) the poster limit and (b) the scan, taken in turns, best of SCAN_ROUNDS each.

    In turns because other programs' load on a shared machine changes from one second to the next: a
    limit timed in a quiet moment against a scan timed in a busy one (or the reverse) said nothing,
    0.49 in one run and 0.72 in the next. The first scan in this process also starts the decoder
    processes (once per scan burst: they stay while work comes within 30 s); it is printed apart, and
    the best of the later ones is the scan's throughput."""
    jobs = poster_jobs(corpus)
    first = scan_seconds(corpus, corpus.scratch / "home0")
    limits, scans = [], []
    for attempt in range(1, 1 + SCAN_ROUNDS):
        limits.append(timed(lambda: list(pool.map(decode_poster, jobs))))
        scans.append(scan_seconds(corpus, corpus.scratch / f"home{attempt}"))  # a fresh home: cold
    count = len(corpus.paths)
    return {
        "poster_videos_per_s": count / min(limits),
        "first_scan_videos_per_s": count / first,
        "scan_videos_per_s": count / min(scans),
    }


def measure_analysis(corpus: Corpus, _pool: ProcessPoolExecutor) -> dict[str, float]:
    """(c) The scanned library analyzed as the app does it (AnalysisRun, default local features), against
    the photo analyzer's photos/s on the corpus photos in the same run. CPU time over the cores is
    printed too: other programs sharing the machine stretch the wall time, not the work."""
    from bench_video_analysis import photo_rate, photos_of
    from photosorter.core.analysis.local import LocalAnalyzer
    from photosorter.core.analysis.video.keyframes import keyframes

    analyzer = LocalAnalyzer()
    images = []
    for photo in photos_of(corpus.photos):
        with contextlib.suppress(UnreadablePhoto):
            images.append(analysis_jpeg(str(photo)))
    photos_per_s = photo_rate(analyzer, images, corpus.cores)
    frames = sum(len(list(keyframes(str(path)))) for path in corpus.paths)
    with Library.open(corpus.scratch / "home1") as library:  # scanned by measure_poster_and_scan
        run = library.analysis_run(analyzer)
        cpu = time.process_time()
        seconds = timed(lambda: run_to_end(library.analyze(run)))
        used = time.process_time() - cpu
    minutes = sum(_duration_and_keyframes(p)[0] for p in corpus.paths) / 60
    return {
        "analysis_videos_per_s": len(corpus.paths) / seconds,
        "analysis_keyframes_per_s": frames / seconds,
        "analysis_s_per_minute": seconds / minutes,
        "analysis_idle_s_per_minute": used / corpus.cores / minutes,
        "photos_per_s": photos_per_s,
    }


MEASUREMENTS: list[Callable[[Corpus, ProcessPoolExecutor], dict[str, float]]] = [
    measure_keyframe_limit,
    measure_poster_and_scan,
    measure_analysis,
]


def _uncached(path: Path) -> None:
    """Drops ``path``'s pages from the page cache (only this file's), so the next read is from disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def measure_hash(gigabytes: float, scratch: Path) -> None:
    """Whole-file xxh3-128 against the sampled key photosorter uses above 64 MB, cold and warm."""
    path = scratch / "big.bin"
    size = int(gigabytes * (1 << 30))
    with open(path, "wb") as handle:  # random data: nothing for the disk or the cache to compress
        for _ in range(0, size, 64 << 20):
            handle.write(os.urandom(min(64 << 20, size - handle.tell())))
        os.fsync(handle.fileno())

    def whole() -> None:
        digest = xxhash.xxh3_128()
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)

    def sampled() -> None:
        with open(path, "rb") as handle:
            content_hash(handle, size, None)

    for name, action in (("whole file", whole), ("sampled", sampled)):
        _uncached(path)
        cold = timed(action)
        warm = min(timed(action) for _ in range(2))
        read = size if name == "whole file" else HASH_SAMPLES * HASH_SAMPLE_BYTES
        timing = f"cold {cold:6.2f} s   warm {warm:6.2f} s"
        print(f"hash {gigabytes:g} GB {name:<11} {timing}   ({read >> 20} MB read)")
    path.unlink()


def report(results: dict[str, float], corpus: Corpus) -> None:
    seconds = sum(_duration_and_keyframes(p)[0] for p in corpus.paths)
    print(f"cores                       {corpus.cores}")
    print(f"videos                      {len(corpus.paths)} ({seconds / 60:.1f} min of 1080p, 30 fps)")
    print(f"(a) keyframe-decode limit   {results['keyframe_videos_per_s']:10.2f} videos/s", end="")
    print(f"   ({results['keyframes_per_s']:.1f} keyframes/s, one per {KEYFRAME_SECONDS:g} s)")
    print(f"(a) poster-decode limit     {results['poster_videos_per_s']:10.2f} videos/s")
    print(f"(b) cold scan               {results['scan_videos_per_s']:10.2f} videos/s")
    first = results["first_scan_videos_per_s"]
    print(f"    first in a process      {first:10.2f} videos/s   (it starts the decoder processes)")
    print(f"(c) local analysis          {results['analysis_videos_per_s']:10.2f} videos/s", end="")
    print(f"   ({results['analysis_keyframes_per_s']:.2f} keyframes/s)")
    per_minute = results["analysis_s_per_minute"]
    idle = results["analysis_idle_s_per_minute"]
    print(f"    per minute of video     {per_minute:10.1f} s   ({idle:.1f} s CPU / cores; target <= 15 s)")
    print(f"    photo analysis          {results['photos_per_s']:10.2f} photos/s (same features, same run)")
    ratio = results["scan_videos_per_s"] / results["poster_videos_per_s"]
    print(f"scan/poster-decode          {ratio:10.2f}   (target >= 0.8)")
    analysis = results["analysis_keyframes_per_s"] / results["photos_per_s"]
    print(f"keyframes/s ÷ photos/s      {analysis:10.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("count", nargs="?", type=int, default=16)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "photos")
    parser.add_argument("--keep", type=Path, help="build the videos here and reuse them on the next run")
    parser.add_argument(
        "--hash-gb", type=float, help="only time whole-file and sampled hashing of a file this big"
    )
    args = parser.parse_args()
    if args.hash_gb:
        with tempfile.TemporaryDirectory(prefix="bench-video-hash-", dir=args.keep) as scratch:
            measure_hash(args.hash_gb, Path(scratch))
        return

    with tempfile.TemporaryDirectory(prefix="bench-video-") as scratch:
        target = args.keep or Path(scratch) / "videos"
        target.mkdir(parents=True, exist_ok=True)
        print(f"building {args.count} phone-like 1080p videos from {args.corpus} in {target} …", flush=True)
        paths = build_corpus(args.corpus, target, args.count)
        for path in paths:  # warm the page cache equally for every measurement
            path.read_bytes()
        cores = os.cpu_count() or 1
        corpus = Corpus(paths, Path(scratch), cores, args.corpus)
        results: dict[str, float] = {}
        with ProcessPoolExecutor(cores) as pool:
            list(pool.map(int, range(cores)))  # workers started (and cv2 imported) before any timing
            list(pool.map(decode_poster, [(str(paths[0]), 0.0)] * cores))
            for measure in MEASUREMENTS:
                results.update(measure(corpus, pool))
        report(results, corpus)  # it reads the videos' lengths: before the scratch folder goes


if __name__ == "__main__":
    main()
