"""What analysis learned about one photo, as typed records for the GUI and the CLI.

Read from the catalog by ``catalog.analysis.results_for``; ``to_json()`` gives the shape ``show --json``
prints (kept stable: scripts read it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from photosorter.core.analysis.types import Box
from photosorter.core.analysis.video.timeline import Moment, TimeRange, text_key


def _box_json(box: Box | None) -> dict[str, float] | None:
    return box.to_dict() if box is not None else None


def _timed(data: dict[str, Any], seen_at: tuple[TimeRange, ...]) -> dict[str, Any]:
    """A video's row says when (``seen_at``: ranges in seconds); a photo's keeps its shape."""
    if seen_at:
        data["seen_at"] = [r.to_json() for r in seen_at]
    return data


@dataclass(frozen=True, slots=True)
class LabelRow:
    name: str
    confidence: float  # 0..100, rounded to one decimal
    parents: tuple[str, ...]
    categories: tuple[str, ...]
    aliases: tuple[str, ...]
    backend: str
    seen_at: tuple[TimeRange, ...] = ()  # videos: when it is seen

    def to_json(self) -> dict[str, Any]:
        return _timed(
            {
                "name": self.name,
                "confidence": self.confidence,
                "parents": list(self.parents),
                "categories": list(self.categories),
                "aliases": list(self.aliases),
                "backend": self.backend,
            },
            self.seen_at,
        )


@dataclass(frozen=True, slots=True)
class FaceRow:
    id: int
    box: Box  # relative to the image, 0..1
    confidence: float
    attributes: dict[str, Any]  # what the service reported (age_range, smile, emotions...), as it said it
    person: str | None  # the person the face is assigned to
    assigned_by: str | None  # manual, auto, suggestion...
    suggested: str | None  # the open "is this X?" question about the face, if any
    backend: str
    seen_at: tuple[TimeRange, ...] = ()  # videos: when this face (one appearance) is seen

    @property
    def asked(self) -> str | None:
        """The name the app asks about ("Alice?"): a suggestion for a face nobody named yet."""
        return self.suggested if not self.person else None

    @property
    def who(self) -> str:
        """``Alice``, ``Alice?`` (a suggestion) or ``unnamed``."""
        return self.person or (f"{self.suggested}?" if self.suggested else "unnamed")

    def to_json(self) -> dict[str, Any]:
        return _timed(
            {
                "id": self.id,
                "box": self.box.to_dict(),
                "confidence": self.confidence,
                "attributes": self.attributes,
                "person": self.person,
                "assigned_by": self.assigned_by,
                "suggested": self.suggested,
                "backend": self.backend,
            },
            self.seen_at,
        )


@dataclass(frozen=True, slots=True)
class TextRow:
    text: str
    confidence: float
    box: Box | None
    backend: str
    seen_at: tuple[TimeRange, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return _timed(
            {
                "text": self.text,
                "confidence": self.confidence,
                "box": _box_json(self.box),
                "backend": self.backend,
            },
            self.seen_at,
        )


@dataclass(frozen=True, slots=True)
class ModerationRow:
    name: str
    parent: str
    confidence: float
    backend: str
    seen_at: tuple[TimeRange, ...] = ()  # videos: moderation per stretch of the video

    def to_json(self) -> dict[str, Any]:
        return _timed(
            {
                "name": self.name,
                "parent": self.parent,
                "confidence": self.confidence,
                "backend": self.backend,
            },
            self.seen_at,
        )


@dataclass(frozen=True, slots=True)
class CelebrityRow:
    name: str
    confidence: float
    backend: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "confidence": self.confidence, "backend": self.backend}


@dataclass(frozen=True, slots=True)
class AnalysisState:
    """Whether one backend's feature is done (or failed, and why) for this content, with which model."""

    backend: str
    feature: str
    model_version: str | None
    status: str  # done, failed
    error: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "feature": self.feature,
            "model_version": self.model_version,
            "status": self.status,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class PhotoAnalysis:
    """Everything analysis learned about one content, from every backend (empty until it is analyzed)."""

    labels: tuple[LabelRow, ...] = ()  # most confident first
    faces: tuple[FaceRow, ...] = ()
    text: tuple[TextRow, ...] = ()
    moderation: tuple[ModerationRow, ...] = ()
    celebrities: tuple[CelebrityRow, ...] = ()
    states: tuple[AnalysisState, ...] | None = None  # None: the photo's content is not read yet (no hash)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "labels": [row.to_json() for row in self.labels],
            "faces": [row.to_json() for row in self.faces],
            "text": [row.to_json() for row in self.text],
            "moderation": [row.to_json() for row in self.moderation],
        }
        if self.celebrities:
            data["celebrities"] = [row.to_json() for row in self.celebrities]
        if self.states is not None:
            data["analyses"] = [row.to_json() for row in self.states]
        return data

    def with_times(
        self, moments: tuple[Moment, ...], faces: Mapping[int, tuple[TimeRange, ...]]
    ) -> PhotoAnalysis:
        """A video's analysis with when each row is seen (``moments`` of every backend; ``faces`` by id)."""
        ranges: dict[tuple[str, str], list[TimeRange]] = {}
        for m in moments:
            ranges.setdefault((m.kind, m.key), []).extend(m.ranges)

        def seen(kind: str, key: str) -> tuple[TimeRange, ...]:
            return tuple(sorted(set(ranges.get((kind, key), ())), key=lambda r: r.start_ms))

        return replace(
            self,
            labels=tuple(replace(row, seen_at=seen("label", row.name)) for row in self.labels),
            faces=tuple(replace(row, seen_at=faces.get(row.id, ())) for row in self.faces),
            text=tuple(replace(row, seen_at=seen("text", text_key(row.text))) for row in self.text),
            moderation=tuple(replace(row, seen_at=seen("moderation", row.name)) for row in self.moderation),
        )
