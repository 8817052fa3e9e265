"""Analyzing one video: its keyframes through the photo analyzer, each answer kept as it arrives.

The keyframes are decoded in the calling thread while up to ``workers`` of them are analyzed at
once (decoding the next frame overlaps analyzing the last). Every keyframe's answer is written to
the catalog the moment it arrives: a kill -9, a cancel or a budget stop half-way through a long
video loses only the frames in flight, and the next run decodes the video again (cheap) but
analyzes only the keyframes it has no answer for. The sampler is deterministic, so the same
keyframe times come back.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import replace

from photosorter.core.analysis.types import AnalysisError, AnalysisResult, Analyzer, Feature
from photosorter.core.analysis.video.keyframes import Keyframe, SamplingPolicy, keyframes
from photosorter.core.analysis.video.timeline import FrameResult, VideoResult, combine
from photosorter.core.catalog import Catalog
from photosorter.core.catalog import video_analysis as video_rows
from photosorter.core.jobs import Cancelled, CancelToken


def analyze_video(
    catalog: Catalog,
    analyzer: Analyzer,
    content_hash: str,
    path: str,
    features: frozenset[Feature],
    versions: Mapping[Feature, str],
    *,
    stop: CancelToken | None = None,
    policy: SamplingPolicy | None = None,
    duration_s: float | None = None,
    rotation: int | None = None,
    workers: int = 1,
    pool: Executor | None = None,
    on_frame: Callable[[int], None] | None = None,
) -> VideoResult:
    """The video's result, from its stored keyframes and the ones analyzed now; not stored here.

    Raises Cancelled when ``stop`` is set (the finished keyframes stay stored), AnalysisError when
    no keyframe could be analyzed, VideoUnreadable / OSError from decoding, and whatever the
    analyzer raises (FatalAnalysisError, TransientAnalysisError) once the frames in flight end.
    ``on_frame`` is told how many keyframes are done after each one. ``pool`` runs the analyzer (a
    run analyzing several videos at once shares one, so the cores are not oversubscribed); without
    one, ``workers`` threads of its own.
    """
    stop = stop or CancelToken()
    key = video_rows.versions_key({f: versions[f] for f in features})
    done = {f.t_ms: f for f in video_rows.finished_frames(catalog, content_hash, analyzer.name, key)}
    frames: list[FrameResult] = []
    errors: list[str] = []
    in_flight: deque[tuple[Keyframe, Future[AnalysisResult]]] = deque()

    def finish(keyframe: Keyframe, future: Future[AnalysisResult]) -> None:
        try:
            result = future.result()
        except AnalysisError as error:  # this frame only (e.g. too small): the video goes on
            errors.append(str(error))
            return
        frame = FrameResult(keyframe.t_ms, keyframe.until_ms, result)
        video_rows.store_frame(catalog, content_hash, key, frame)
        frames.append(frame)
        if on_frame:
            on_frame(len(frames))

    own = ThreadPoolExecutor(max(1, workers), thread_name_prefix="video-frame") if pool is None else None
    with own or contextlib.nullcontext():
        pool = own or pool
        assert pool is not None
        try:
            for keyframe in keyframes(path, policy, duration_s, rotation):
                if stop.cancelled:
                    break
                stored = done.get(keyframe.t_ms)
                if stored is not None:
                    frames.append(replace(stored, until_ms=keyframe.until_ms))
                    continue
                in_flight.append((keyframe, pool.submit(analyzer.analyze, keyframe.jpeg(), features)))
                while len(in_flight) >= max(1, workers) * 2 or (in_flight and in_flight[0][1].done()):
                    finish(*in_flight.popleft())
        finally:
            # answers in flight are paid for: keep them, whatever ended the loop (their own errors too)
            first_error: BaseException | None = None
            while in_flight:
                try:
                    finish(*in_flight.popleft())
                except Exception as error:
                    first_error = first_error or error
            if first_error is not None:
                raise first_error
    if stop.cancelled:
        raise Cancelled()
    if not frames and errors:
        raise AnalysisError(f"no keyframe of the video could be analyzed: {errors[0]}")
    found = combine(analyzer.name, features, frames)
    _forget_views(analyzer, found.dropped_face_ids)
    return found


def _forget_views(analyzer: Analyzer, face_ids: tuple[str, ...]) -> None:
    """Each keyframe's IndexFaces stored its faces in the collection; only each appearance's kept view
    stays, as a photo's face does (DeleteFaces is free), so People searches one face per appearance."""
    collection = getattr(analyzer, "collection", None)
    if collection is None or not face_ids:
        return
    # a view left behind costs a little storage and is never matched to a face row: not worth failing for
    with contextlib.suppress(Exception):
        collection.delete_faces(face_ids)
