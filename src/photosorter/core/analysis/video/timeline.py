"""A video's analysis from its keyframes' analyses: what is seen, how sure, and when.

Each keyframe was analyzed like a photo. The video's result is one AnalysisResult, shaped exactly
like a photo's (so labels, people, search and the gallery take it unchanged), plus moments: for
each label, face, text line and moderation label, the time ranges where it is seen. A keyframe
stands for the stretch of video from its time to the next keyframe (see keyframes.py), so a label
seen in consecutive keyframes is one range ("Dog 0:12–0:31").

Faces: the same person in 40 keyframes is one face of the video (an appearance), not 40. Faces
with descriptors (the local backend) are grouped by distance, with the People threshold and its
rule that two faces of one picture are never one person (a face in the same place as one in the
previous keyframe may be a little farther: cut by the frame edge, it describes worse); faces
without descriptors (Rekognition's FaceIds) are followed from keyframe to keyframe by where they
are. Each appearance keeps its best view.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from photosorter.core.analysis.types import (
    AnalysisResult,
    Box,
    Celebrity,
    Face,
    Feature,
    Label,
    ModerationLabel,
    TextLine,
)
from photosorter.core.faces import thresholds

_Item = TypeVar("_Item", Label, TextLine, ModerationLabel, Celebrity)

TRACK_OVERLAP = 0.3  # a face box overlapping this much (IoU) of one in the previous keyframe is the same face


@dataclass(frozen=True, slots=True)
class TimeRange:
    start_ms: int
    end_ms: int

    @property
    def start_s(self) -> float:
        return self.start_ms / 1000

    @property
    def end_s(self) -> float:
        return self.end_ms / 1000

    def __str__(self) -> str:
        """``0:12–0:31``, or ``0:12`` when it is a single moment; hours when there are any."""
        start, end = clock(self.start_ms), clock(self.end_ms)
        return start if start == end else f"{start}–{end}"

    def to_json(self) -> dict[str, float]:
        return {"start_s": self.start_s, "end_s": self.end_s}


def clock(ms: int) -> str:
    seconds = max(0, ms) // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def ranges_text(ranges: Sequence[TimeRange]) -> str:
    return ", ".join(str(r) for r in ranges)


@dataclass(frozen=True, slots=True)
class Moment:
    """Where one thing is seen in a video: a label, a face (``key`` is its index), a text line..."""

    kind: str  # label, face, text, moderation, celebrity
    key: str
    confidence: float  # the best in any keyframe
    ranges: tuple[TimeRange, ...]
    best_ms: int | None = None  # the keyframe it is seen best in (a face: the view kept for it)


@dataclass(frozen=True, slots=True)
class FrameResult:
    """One keyframe's analysis; the keyframe stands for ``t_ms``..``until_ms`` of the video."""

    t_ms: int
    until_ms: int
    result: AnalysisResult


@dataclass(frozen=True, slots=True)
class VideoResult:
    result: AnalysisResult  # stored as a photo's result is
    moments: tuple[Moment, ...]
    keyframes: int
    # service face ids (Rekognition's FaceIds) of views not kept: one face per appearance stays indexed
    dropped_face_ids: tuple[str, ...] = ()


def _ranges(frames: Sequence[FrameResult], seen: Iterable[int]) -> tuple[TimeRange, ...]:
    """Consecutive keyframes merge into one range."""
    out: list[TimeRange] = []
    previous = -2
    for index in sorted(set(seen)):
        frame = frames[index]
        if index == previous + 1 and out:
            out[-1] = TimeRange(out[-1].start_ms, frame.until_ms)
        else:
            out.append(TimeRange(frame.t_ms, frame.until_ms))
        previous = index
    return tuple(out)


def _by_name(
    frames: Sequence[FrameResult],
    items_of: Callable[[AnalysisResult], tuple[_Item, ...]],
    kind: str,
    key_of: Callable[[_Item], str],
) -> tuple[list[_Item], list[Moment]]:
    """Per name, in the order first seen: the most confident item, and where it is seen (its best
    confidence, its ranges, the keyframe it is seen best in)."""
    best: dict[str, tuple[_Item, int]] = {}
    seen: dict[str, list[int]] = {}
    for index, frame in enumerate(frames):
        for item in items_of(frame.result):
            name = key_of(item)
            if not name:
                continue
            if name not in best or item.confidence > best[name][0].confidence:
                best[name] = (item, index)
            seen.setdefault(name, []).append(index)
    moments = [
        Moment(kind, name, float(item.confidence), _ranges(frames, seen[name]), frames[index].t_ms)
        for name, (item, index) in best.items()
    ]
    return [item for item, _ in best.values()], moments


def text_key(text: str) -> str:
    """What makes two detected lines the same line of a video (spacing and case aside)."""
    return " ".join(text.split()).casefold()


def _overlap(a: Box, b: Box) -> float:
    left, top = max(a.left, b.left), max(a.top, b.top)
    right = min(a.left + a.width, b.left + b.width)
    bottom = min(a.top + a.height, b.top + b.height)
    inner = max(0.0, right - left) * max(0.0, bottom - top)
    union = a.width * a.height + b.width * b.height - inner
    return inner / union if union > 0 else 0.0


def _distance(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b, strict=False)))


def _view_score(face: Face) -> float:
    """Which view of an appearance to keep: sure, large and frontal."""
    size = face.box.width * face.box.height
    yaw = abs(float(face.pose.get("yaw", 0.0) or 0.0)) if isinstance(face.pose, dict) else 0.0
    return face.confidence / 100 + 4 * math.sqrt(max(size, 0.0)) - yaw / 180


@dataclass(slots=True)
class _Appearance:
    faces: list[tuple[int, Face]]  # (keyframe index, face)

    @property
    def best(self) -> Face:
        return self.best_view[1]

    @property
    def best_view(self) -> tuple[int, Face]:
        return max(self.faces, key=lambda view: _view_score(view[1]))

    def frames(self) -> set[int]:
        return {index for index, _ in self.faces}


def _match(face: Face, index: int, appearances: list[_Appearance], taken: set[int]) -> int | None:
    """The appearance this face continues, if any; ``taken`` ones already have a face in this keyframe."""
    best: tuple[float, int] | None = None
    for number, appearance in enumerate(appearances):
        if number in taken:
            continue
        last_index, last = appearance.faces[-1]
        followed = last_index == index - 1 and _overlap(face.box, last.box) >= TRACK_OVERLAP
        if face.embedding is not None and appearance.faces[0][1].embedding is not None:
            distance = min(
                _distance(face.embedding, other.embedding)
                for _, other in appearance.faces
                if other.embedding is not None
            )
            # a face cut by the frame edge or turned away describes worse: where it is vouches for it
            limit = thresholds.SUGGEST_DISTANCE if followed else thresholds.CLUSTER_DISTANCE
            if distance < limit and (best is None or distance < best[0]):
                best = (distance, number)
        elif face.external_id is not None and any(
            other.external_id == face.external_id for _, other in appearance.faces
        ):
            return number
        elif followed:
            overlap = _overlap(face.box, last.box)
            if best is None or -overlap < best[0]:
                best = (-overlap, number)
    return best[1] if best else None


def _appearances(frames: Sequence[FrameResult]) -> tuple[tuple[Face, ...], list[Moment]]:
    appearances: list[_Appearance] = []
    for index, frame in enumerate(frames):
        taken: set[int] = set()  # two faces of one keyframe are two people
        for face in sorted(frame.result.faces, key=_view_score, reverse=True):
            number = _match(face, index, appearances, taken)
            if number is None:
                appearances.append(_Appearance([]))
                number = len(appearances) - 1
            appearances[number].faces.append((index, face))
            taken.add(number)
    faces = tuple(a.best for a in appearances)
    moments = [
        Moment(
            "face",
            str(number),
            max(f.confidence for _, f in a.faces),
            _ranges(frames, a.frames()),
            frames[a.best_view[0]].t_ms,
        )
        for number, a in enumerate(appearances)
    ]
    return faces, moments


def combine(backend: str, features: frozenset[Feature], frames: Sequence[FrameResult]) -> VideoResult:
    """The video's result from its keyframes' results, in time order."""
    frames = sorted(frames, key=lambda f: f.t_ms)
    labels, label_moments = _by_name(frames, lambda r: r.labels, "label", lambda x: x.name)
    text, text_moments = _by_name(frames, lambda r: r.text, "text", lambda x: text_key(x.text))
    moderation, moderation_moments = _by_name(frames, lambda r: r.moderation, "moderation", lambda x: x.name)
    celebrities, celebrity_moments = _by_name(frames, lambda r: r.celebrities, "celebrity", lambda x: x.name)
    faces, face_moments = _appearances(frames) if Feature.FACES in features else ((), [])
    summary = {"keyframes": [[f.t_ms, f.until_ms] for f in frames]}
    result = AnalysisResult(
        backend=backend,
        features=features,
        labels=tuple(sorted(labels, key=lambda label: -label.confidence)),
        faces=faces,
        text=tuple(text),  # in the order they appear
        moderation=tuple(sorted(moderation, key=lambda m: -m.confidence)),
        celebrities=tuple(celebrities),
        raw={f.value: summary for f in features},  # per-keyframe answers are summarized, not kept
    )
    moments = tuple(label_moments + face_moments + text_moments + moderation_moments + celebrity_moments)
    kept = {face.external_id for face in faces}
    dropped = tuple(
        dict.fromkeys(
            face.external_id
            for frame in frames
            for face in frame.result.faces
            if face.external_id is not None and face.external_id not in kept
        )
    )
    return VideoResult(result, moments, len(frames), dropped)
