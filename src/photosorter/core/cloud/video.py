"""Rekognition Video's answers as the local video timeline: the same result and moments a video analyzed
keyframe by keyframe gets, so search ("seen at 0:12–0:20"), ``show`` and the player's timeline take a
cloud-analyzed video unchanged.

A ``Get*`` response lists what was seen at each sampled time (``Timestamp``, ms), and inside each entry
the shape an image call answers with (a ``Label`` is DetectLabels' label, a ``TextDetection`` DetectText's,
a ``Face`` a FaceDetail): each sampled time becomes a keyframe converted by the Rekognition converters,
and ``timeline.combine`` joins them into ranges exactly as it joins local keyframes. A ``Get*`` lists only
the times something was seen, so a keyframe stands for one sampling interval (the job's most common gap
between times), not up to the next entry: a dog seen at 0:02 and again at 0:40 is two ranges, not one.

Faces: a face search names the collection faces each face in the video matched (``FaceMatches``); the
video's face keeps the best match in its attributes (``matched_face_id``, ``similarity``), never as its
own FaceId, because the FaceId belongs to the photo it was indexed from (forgetting the video must not
delete that photo's face from the collection).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from photosorter.core.analysis.rekognition import convert
from photosorter.core.analysis.types import AnalysisResult, Face, Feature
from photosorter.core.analysis.video.timeline import FrameResult, Moment, VideoResult, combine
from photosorter.core.catalog import cloud as cloud_rows

BACKEND = cloud_rows.BACKEND
DEFAULT_SAMPLE_MS = 1000  # a job that saw something at one time only: that second


def _labels(entries: Sequence[Mapping[str, Any]]) -> AnalysisResult:
    labels = convert.labels({"Labels": [e["Label"] for e in entries if "Label" in e]})
    return AnalysisResult(BACKEND, frozenset({Feature.LABELS}), labels=labels)


def _text(entries: Sequence[Mapping[str, Any]]) -> AnalysisResult:
    lines = convert.text_lines(
        {"TextDetections": [e["TextDetection"] for e in entries if "TextDetection" in e]}
    )
    return AnalysisResult(BACKEND, frozenset({Feature.TEXT}), text=lines)


def _moderation(entries: Sequence[Mapping[str, Any]]) -> AnalysisResult:
    labels = convert.moderation_labels(
        {"ModerationLabels": [e["ModerationLabel"] for e in entries if "ModerationLabel" in e]}
    )
    return AnalysisResult(BACKEND, frozenset({Feature.MODERATION}), moderation=labels)


def _face(entry: Mapping[str, Any]) -> Face | None:
    """A ``GetFaceSearch`` person (``Person.Face``, ``FaceMatches``) or a ``GetFaceDetection`` face; None
    for a person seen without a face (from behind)."""
    if "Person" in entry:
        detail = entry["Person"].get("Face")
        if not detail:
            return None
        matches = sorted(entry.get("FaceMatches", ()), key=lambda m: -float(m.get("Similarity", 0.0)))
        best = next((m for m in matches if m.get("Face", {}).get("FaceId")), None)
        if best is None:
            return convert.face(detail)
        return convert.face(
            detail, matched_face_id=best["Face"]["FaceId"], similarity=float(best.get("Similarity", 0.0))
        )
    detail = entry.get("Face")
    return convert.face(detail) if detail else None


def _faces(entries: Sequence[Mapping[str, Any]]) -> AnalysisResult:
    faces = tuple(face for face in map(_face, entries) if face is not None)
    return AnalysisResult(BACKEND, frozenset({Feature.FACES}), faces=faces)


# feature -> (the list a Get* response holds, how one sampled time's entries convert)
_CONVERTERS: dict[
    Feature, tuple[tuple[str, ...], Callable[[Sequence[Mapping[str, Any]]], AnalysisResult]]
] = {
    Feature.LABELS: (("Labels",), _labels),
    Feature.FACES: (("Persons", "Faces"), _faces),  # GetFaceSearch, or GetFaceDetection without a collection
    Feature.TEXT: (("TextDetections",), _text),
    Feature.MODERATION: (("ModerationLabels",), _moderation),
}
VIDEO_FEATURES = frozenset(_CONVERTERS)


def _frames(response: Mapping[str, Any], lists: tuple[str, ...], convert_one: Callable) -> list[FrameResult]:
    """One keyframe per sampled time; a gap longer than the sampling interval is an empty keyframe, so that
    what was seen before and after it are two ranges."""
    entries: dict[int, list[Mapping[str, Any]]] = {}
    for name in lists:
        for entry in response.get(name) or ():
            entries.setdefault(int(entry.get("Timestamp", 0)), []).append(entry)
    times = sorted(entries)
    if not times:
        return []
    gaps = Counter(b - a for a, b in itertools.pairwise(times))
    sample = gaps.most_common(1)[0][0] if gaps else DEFAULT_SAMPLE_MS
    duration = int(response.get("VideoMetadata", {}).get("DurationMillis", 0) or 0)
    frames: list[FrameResult] = []
    for index, t in enumerate(times):
        following = times[index + 1] if index + 1 < len(times) else max(duration, t + sample)
        until = min(following, t + sample)
        frames.append(FrameResult(t, until, convert_one(entries[t])))
        if until < following and index + 1 < len(times):
            empty = AnalysisResult(BACKEND, frames[-1].result.features)
            frames.append(FrameResult(until, following, empty))
    return frames


def video_result(responses: Mapping[Feature, Mapping[str, Any]]) -> VideoResult:
    """The video's result and moments from each feature's joined ``Get*`` response."""
    found: dict[Feature, VideoResult] = {}
    for feature, response in responses.items():
        if feature not in _CONVERTERS:
            continue
        lists, convert_one = _CONVERTERS[feature]
        frames = _frames(response, lists, convert_one)
        combined = combine(BACKEND, frozenset({feature}), frames)
        metadata = response.get("VideoMetadata", {})
        summary = {"video": metadata, "samples": sum(map(_seen, frames))}
        found[feature] = replace(combined, result=replace(combined.result, raw={feature.value: summary}))
    moments: list[Moment] = []
    for kind in (Feature.LABELS, Feature.FACES, Feature.TEXT, Feature.MODERATION):
        if kind in found:
            moments.extend(found[kind].moments)

    def part(feature: Feature, field: str) -> tuple:
        return getattr(found[feature].result, field) if feature in found else ()

    result = AnalysisResult(
        backend=BACKEND,
        features=frozenset(found),
        labels=part(Feature.LABELS, "labels"),
        faces=part(Feature.FACES, "faces"),
        text=part(Feature.TEXT, "text"),
        moderation=part(Feature.MODERATION, "moderation"),
        raw={f.value: v.result.raw[f.value] for f, v in found.items()},
    )
    return VideoResult(result, tuple(moments), max((v.keyframes for v in found.values()), default=0))


def _seen(frame: FrameResult) -> bool:
    result = frame.result
    return bool(result.labels or result.faces or result.text or result.moderation)
