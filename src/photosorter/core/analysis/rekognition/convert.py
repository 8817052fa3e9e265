"""Rekognition responses turned into the backend-neutral records of ``types``.

Boxes are clipped to the image (a face at the edge may stick out of it);
attribute names become snake_case so stored results read the same whichever
backend wrote them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from photosorter.core.analysis.types import Box, Celebrity, Face, Label, ModerationLabel, TextLine

_VALUE_ATTRIBUTES = (
    ("Smile", "smile"),
    ("Eyeglasses", "eyeglasses"),
    ("Sunglasses", "sunglasses"),
    ("Gender", "gender"),
    ("Beard", "beard"),
    ("Mustache", "mustache"),
    ("EyesOpen", "eyes_open"),
    ("MouthOpen", "mouth_open"),
    ("FaceOccluded", "face_occluded"),
)


def _clamp01(value: float) -> float:
    return min(1.0, max(0.0, value))


def box(data: Mapping[str, Any] | None) -> Box | None:
    """A Rekognition ``BoundingBox`` as a Box clipped to the image; None when absent."""
    if not data:
        return None
    left, top = float(data.get("Left", 0.0)), float(data.get("Top", 0.0))
    width, height = float(data.get("Width", 0.0)), float(data.get("Height", 0.0))
    if left >= 0.0 and top >= 0.0 and left + width <= 1.0 and top + height <= 1.0:
        return Box(left, top, width, height)  # inside: exactly as reported
    right, bottom = _clamp01(left + width), _clamp01(top + height)
    left, top = _clamp01(left), _clamp01(top)
    return Box(left, top, max(0.0, right - left), max(0.0, bottom - top))


def labels(response: Mapping[str, Any]) -> tuple[Label, ...]:
    """DetectLabels: names with parents, aliases, categories and instance boxes."""
    out = []
    for item in response.get("Labels", ()):
        instances = (box(i.get("BoundingBox")) for i in item.get("Instances", ()))
        out.append(
            Label(
                name=item["Name"],
                confidence=float(item.get("Confidence", 0.0)),
                parents=tuple(p["Name"] for p in item.get("Parents", ())),
                aliases=tuple(a["Name"] for a in item.get("Aliases", ())),
                categories=tuple(c["Name"] for c in item.get("Categories", ())),
                instances=tuple(b for b in instances if b is not None),
            )
        )
    return tuple(out)


def face_attributes(detail: Mapping[str, Any]) -> dict[str, Any]:
    """A FaceDetail's attributes: age_range, smile, emotions (strongest first), eyeglasses, ..."""
    attributes: dict[str, Any] = {}
    if "AgeRange" in detail:
        attributes["age_range"] = {
            "low": detail["AgeRange"].get("Low"),
            "high": detail["AgeRange"].get("High"),
        }
    for key, name in _VALUE_ATTRIBUTES:
        if key in detail:
            value = detail[key]
            attributes[name] = {
                "value": value.get("Value"),
                "confidence": float(value.get("Confidence", 0.0)),
            }
    if "Emotions" in detail:
        emotions = [
            {"type": e.get("Type", "UNKNOWN"), "confidence": float(e.get("Confidence", 0.0))}
            for e in detail["Emotions"]
        ]
        attributes["emotions"] = sorted(emotions, key=lambda e: -e["confidence"])
    if "EyeDirection" in detail:
        eye = detail["EyeDirection"]
        attributes["eye_direction"] = {
            "yaw": float(eye.get("Yaw", 0.0)),
            "pitch": float(eye.get("Pitch", 0.0)),
            "confidence": float(eye.get("Confidence", 0.0)),
        }
    return attributes


def face(detail: Mapping[str, Any], face_id: str | None = None, **extra: Any) -> Face:
    """One FaceDetail (DetectFaces, IndexFaces) as a Face; ``face_id`` is the collection's FaceId."""
    pose = detail.get("Pose", {})
    quality = detail.get("Quality", {})
    return Face(
        box=box(detail.get("BoundingBox")) or Box(0.0, 0.0, 0.0, 0.0),
        confidence=float(detail.get("Confidence", 0.0)),
        landmarks=tuple(
            (str(lm.get("Type", "")), float(lm.get("X", 0.0)), float(lm.get("Y", 0.0)))
            for lm in detail.get("Landmarks", ())
        ),
        pose={k.lower(): float(v) for k, v in pose.items() if k in ("Roll", "Yaw", "Pitch")},
        quality={k.lower(): float(v) for k, v in quality.items() if k in ("Brightness", "Sharpness")},
        attributes=face_attributes(detail) | extra,
        external_id=face_id,
    )


def faces_detected(response: Mapping[str, Any]) -> tuple[Face, ...]:
    """DetectFaces (used when no collection is configured): faces without FaceIds."""
    return tuple(face(d) for d in response.get("FaceDetails", ()))


def faces_indexed(response: Mapping[str, Any]) -> tuple[Face, ...]:
    """IndexFaces: indexed faces carry their FaceId; faces the quality filter skipped come
    too, without one, with ``unindexed_reasons`` among their attributes."""
    out = []
    for record in response.get("FaceRecords", ()):
        stored = record.get("Face", {})
        detail = record.get("FaceDetail") or {
            "BoundingBox": stored.get("BoundingBox"),
            "Confidence": stored.get("Confidence", 0.0),
        }
        out.append(face(detail, stored.get("FaceId")))
    for skipped in response.get("UnindexedFaces", ()):
        out.append(face(skipped.get("FaceDetail", {}), unindexed_reasons=list(skipped.get("Reasons", ()))))
    return tuple(out)


def text_lines(response: Mapping[str, Any]) -> tuple[TextLine, ...]:
    """DetectText: each LINE detection with the WORD detections whose parent it is."""
    detections = response.get("TextDetections", ())
    words: dict[int, list[str]] = {}
    for d in detections:
        if d.get("Type") == "WORD" and "ParentId" in d:
            words.setdefault(d["ParentId"], []).append(d.get("DetectedText", ""))
    return tuple(
        TextLine(
            text=d.get("DetectedText", ""),
            confidence=float(d.get("Confidence", 0.0)),
            box=box(d.get("Geometry", {}).get("BoundingBox")),
            words=tuple(words.get(d.get("Id", -1), ())),
        )
        for d in detections
        if d.get("Type") == "LINE"
    )


def moderation_labels(response: Mapping[str, Any]) -> tuple[ModerationLabel, ...]:
    """DetectModerationLabels: name, parent ("" for a top-level category) and confidence."""
    return tuple(
        ModerationLabel(
            name=m.get("Name", ""),
            parent=m.get("ParentName", "") or "",
            confidence=float(m.get("Confidence", 0.0)),
        )
        for m in response.get("ModerationLabels", ())
    )


def celebrities(response: Mapping[str, Any]) -> tuple[Celebrity, ...]:
    """RecognizeCelebrities: recognized faces only (unrecognized ones are in the raw response)."""
    return tuple(
        Celebrity(
            name=c.get("Name", ""),
            confidence=float(c.get("MatchConfidence", 0.0)),
            box=box(c.get("Face", {}).get("BoundingBox")),
            external_id=c.get("Id"),
            urls=tuple(c.get("Urls", ())),
        )
        for c in response.get("CelebrityFaces", ())
    )
