"""The records every analyzer returns, whichever backend produced them.

Names and shapes follow Rekognition's responses so that search, people and the
gallery never need to know which backend ran. Boxes are relative to the image
(0..1), like Rekognition's ``BoundingBox``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class Feature(StrEnum):
    LABELS = "labels"
    FACES = "faces"
    TEXT = "text"
    MODERATION = "moderation"
    CELEBRITIES = "celebrities"


ALL_FEATURES: tuple[Feature, ...] = tuple(Feature)


def parse_features(text: str) -> frozenset[Feature]:
    """Turns ``"labels,faces"`` into features; an unknown name is a ValueError naming the valid ones."""
    features = set()
    for part in (p.strip().lower() for p in text.split(",")):
        if not part:
            continue
        try:
            features.add(Feature(part))
        except ValueError:
            valid = ", ".join(f.value for f in Feature)
            raise ValueError(f"unknown feature {part!r}; valid features: {valid}") from None
    if not features:
        raise ValueError("no feature given")
    return frozenset(features)


@dataclass(frozen=True, slots=True)
class Box:
    left: float
    top: float
    width: float
    height: float

    def to_dict(self) -> dict[str, float]:
        return {"left": self.left, "top": self.top, "width": self.width, "height": self.height}

    @classmethod
    def from_dict(cls, data: dict[str, float]) -> Box:
        return cls(data["left"], data["top"], data["width"], data["height"])


@dataclass(frozen=True, slots=True)
class Label:
    name: str
    confidence: float  # 0..100, as Rekognition reports it
    parents: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    instances: tuple[Box, ...] = ()


@dataclass(frozen=True, slots=True)
class Face:
    box: Box
    confidence: float
    landmarks: tuple[tuple[str, float, float], ...] = ()  # (type, x, y), relative
    pose: dict[str, float] = field(default_factory=dict)  # roll, yaw, pitch
    quality: dict[str, float] = field(default_factory=dict)  # brightness, sharpness
    attributes: dict[str, Any] = field(default_factory=dict)  # age_range, smile, emotions, ...
    embedding: tuple[float, ...] | None = None  # local backend: 128-d descriptor
    external_id: str | None = None  # Rekognition FaceId when indexed into a collection


@dataclass(frozen=True, slots=True)
class TextLine:
    text: str
    confidence: float
    box: Box | None = None
    words: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ModerationLabel:
    name: str
    parent: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Celebrity:
    name: str
    confidence: float
    box: Box | None = None
    external_id: str | None = None
    urls: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    """What one analyzer learned about one image, for the features it was asked for.

    ``raw`` keeps each feature's backend output as JSON-able data so nothing is
    thrown away; ``features`` says which features were actually run (a feature
    that ran and found nothing is present with an empty tuple).
    """

    backend: str
    features: frozenset[Feature]
    labels: tuple[Label, ...] = ()
    faces: tuple[Face, ...] = ()
    text: tuple[TextLine, ...] = ()
    moderation: tuple[ModerationLabel, ...] = ()
    celebrities: tuple[Celebrity, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)


class AnalysisError(Exception):
    """The image could not be analyzed; recorded against the photo, the run goes on."""


class FatalAnalysisError(Exception):
    """The run cannot go on (bad credentials, access denied, unknown region): stop and say what to fix."""


class TransientAnalysisError(Exception):
    """Worth trying again later (timeouts, connection errors, throttling after retries)."""


class Analyzer(Protocol):
    """A backend that turns an analysis image into an AnalysisResult.

    Optional, read with ``getattr`` by the run: ``calls_per_feature`` (True when each feature
    is a separate billed call: the run then asks for one feature at a time and stores each
    answer as it arrives), ``budget_for(features)`` (a context that sets aside one photo's
    cost before its first call), ``prepare(features)`` (called once before a run's workers
    start), ``preferred_workers`` and ``meter`` (calls and cost so far). An analyzer that hands
    contents to a remote service (the cloud library) has ``offload(catalog, item, load)``, called
    instead of ``analyze``, and ``waiting(catalog)``, the contents it already handed over.
    """

    name: str
    default_features: frozenset[Feature]

    def model_version(self, feature: Feature) -> str:
        """Results are stored per (content hash, backend, feature, model version)."""
        ...

    def analyze(self, image: bytes, features: frozenset[Feature]) -> AnalysisResult:
        """``image`` is JPEG bytes, long side <= 1600 px, already EXIF-rotated."""
        ...
