"""A video's analysis: its finished keyframes while it runs, then its result and when things are seen.

The result goes where a photo's goes (``analysis.write_result``: labels, faces, text, moderation keyed
by content hash, backend and feature), in the same transaction as its moments and the removal of its
keyframe rows, so a kill leaves either the finished video or the keyframes to resume from.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

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
from photosorter.core.analysis.video.timeline import FrameResult, Moment, TimeRange, VideoResult
from photosorter.core.catalog.analysis import write_result
from photosorter.core.catalog.database import Catalog


def versions_key(versions: Mapping[Feature, str]) -> str:
    """The features and model versions a keyframe was analyzed for, as stored with it."""
    return json.dumps({f.value: versions[f] for f in sorted(versions)}, separators=(",", ":"))


# -- one keyframe's answer, kept until the video is finished -------------------------------------------
def _box(box: Box | None) -> list[float] | None:
    return [box.left, box.top, box.width, box.height] if box is not None else None


def _unbox(value: list[float] | None) -> Box | None:
    return Box(*value) if value else None


def frame_json(result: AnalysisResult) -> str:
    data: dict[str, Any] = {
        "features": sorted(f.value for f in result.features),
        "labels": [
            [x.name, x.confidence, x.parents, x.aliases, x.categories, [_box(b) for b in x.instances]]
            for x in result.labels
        ],
        "faces": [
            {
                "box": _box(x.box),
                "confidence": x.confidence,
                "landmarks": x.landmarks,
                "pose": x.pose,
                "quality": x.quality,
                "attributes": x.attributes,
                "embedding": x.embedding,
                "external_id": x.external_id,
            }
            for x in result.faces
        ],
        "text": [[x.text, x.confidence, _box(x.box), x.words] for x in result.text],
        "moderation": [[x.name, x.parent, x.confidence] for x in result.moderation],
        "celebrities": [
            [x.name, x.confidence, _box(x.box), x.external_id, x.urls] for x in result.celebrities
        ],
    }
    return json.dumps(data, separators=(",", ":"), default=list)


def frame_from_json(backend: str, text: str) -> AnalysisResult:
    data = json.loads(text)
    return AnalysisResult(
        backend=backend,
        features=frozenset(Feature(f) for f in data["features"]),
        labels=tuple(
            Label(n, c, tuple(p), tuple(a), tuple(k), tuple(Box(*b) for b in i))
            for n, c, p, a, k, i in data["labels"]
        ),
        faces=tuple(
            Face(
                box=Box(*f["box"]),
                confidence=f["confidence"],
                landmarks=tuple(tuple(x) for x in f["landmarks"]),
                pose=f["pose"],
                quality=f["quality"],
                attributes=f["attributes"],
                embedding=tuple(f["embedding"]) if f["embedding"] is not None else None,
                external_id=f["external_id"],
            )
            for f in data["faces"]
        ),
        text=tuple(TextLine(t, c, _unbox(b), tuple(w)) for t, c, b, w in data["text"]),
        moderation=tuple(ModerationLabel(n, p, c) for n, p, c in data["moderation"]),
        celebrities=tuple(Celebrity(n, c, _unbox(b), e, tuple(u)) for n, c, b, e, u in data["celebrities"]),
    )


def finished_frames(catalog: Catalog, content_hash: str, backend: str, versions: str) -> list[FrameResult]:
    """The keyframes of this video already analyzed for exactly these features and versions."""
    rows = catalog.connection().execute(
        "SELECT t_ms, until_ms, result FROM video_frames WHERE hash = ? AND backend = ? AND versions = ?"
        " ORDER BY t_ms",
        (content_hash, backend, versions),
    )
    return [FrameResult(t, until, frame_from_json(backend, result)) for t, until, result in rows]


def store_frame(catalog: Catalog, content_hash: str, versions: str, frame: FrameResult) -> None:
    with catalog.transaction() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO video_frames (hash, backend, t_ms, until_ms, versions, result)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                content_hash,
                frame.result.backend,
                frame.t_ms,
                frame.until_ms,
                versions,
                frame_json(frame.result),
            ),
        )


# -- the finished video ---------------------------------------------------------------------------------
_FEATURE_KINDS = {
    Feature.LABELS: "label",
    Feature.FACES: "face",
    Feature.TEXT: "text",
    Feature.MODERATION: "moderation",
    Feature.CELEBRITIES: "celebrity",
}


def store_video_result(
    catalog: Catalog, content_hash: str, video: VideoResult, versions: Mapping[Feature, str]
) -> None:
    """The video's result, its moments and the end of its keyframe rows, in one transaction."""
    with catalog.transaction() as conn:
        write_video_result(conn, content_hash, video, versions)


def write_video_result(
    conn: sqlite3.Connection, content_hash: str, video: VideoResult, versions: Mapping[Feature, str]
) -> None:
    """``store_video_result`` inside a caller's transaction (a cloud sync page imports many at once)."""
    backend = video.result.backend
    kinds = [_FEATURE_KINDS[f] for f in video.result.features]
    write_result(conn, content_hash, video.result, versions)
    conn.execute(
        "DELETE FROM video_moments WHERE hash = ? AND backend = ?"
        " AND kind IN (SELECT value FROM json_each(?))",
        (content_hash, backend, json.dumps(kinds)),
    )
    conn.executemany(
        "INSERT OR REPLACE INTO video_moments (hash, backend, kind, key, start_ms, end_ms, confidence,"
        " best_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (content_hash, backend, m.kind, m.key, r.start_ms, r.end_ms, m.confidence, m.best_ms)
            for m in video.moments
            if m.kind in kinds
            for r in m.ranges
        ],
    )
    conn.execute("DELETE FROM video_frames WHERE hash = ? AND backend = ?", (content_hash, backend))


def _grouped(rows) -> tuple[Moment, ...]:
    found: dict[tuple[str, str], tuple[float, list[TimeRange], int | None]] = {}
    for kind, key, start, end, confidence, best_ms in rows:
        best, ranges, _ = found.setdefault((kind, key), (confidence, [], best_ms))
        ranges.append(TimeRange(start, end))
        found[(kind, key)] = (max(best, confidence), ranges, best_ms)
    return tuple(
        Moment(kind, key, best, tuple(ranges), best_ms)
        for (kind, key), (best, ranges, best_ms) in found.items()
    )


def moments_for(catalog: Catalog, content_hash: str, backend: str | None = None) -> tuple[Moment, ...]:
    """When each thing analysis found in this video is seen (empty for a photo)."""
    rows = catalog.connection().execute(
        "SELECT kind, key, start_ms, end_ms, confidence, best_ms FROM video_moments WHERE hash = ?"
        " AND (? IS NULL OR backend = ?) ORDER BY kind, key, start_ms",
        (content_hash, backend, backend),
    )
    return _grouped(rows)


def face_frames(catalog: Catalog, face_ids: Sequence[int]) -> dict[int, int]:
    """For faces that come from videos: the time of the keyframe their box was found in."""
    return dict(
        catalog.connection().execute(
            "SELECT f.id, min(m.best_ms) FROM faces f JOIN video_moments m ON m.hash = f.hash"
            " AND m.backend = f.backend AND m.kind = 'face' AND m.key = CAST(f.idx AS TEXT)"
            " WHERE f.id IN (SELECT value FROM json_each(?)) AND m.best_ms IS NOT NULL GROUP BY f.id",
            (json.dumps(list(face_ids)),),
        )
    )


def face_moments(catalog: Catalog, face_ids: Sequence[int]) -> dict[int, tuple[TimeRange, ...]]:
    """When each of these faces is seen, for faces that come from videos."""
    found: dict[int, list[TimeRange]] = {}
    for face_id, start, end in catalog.connection().execute(
        "SELECT f.id, m.start_ms, m.end_ms FROM faces f JOIN video_moments m ON m.hash = f.hash"
        " AND m.backend = f.backend AND m.kind = 'face' AND m.key = CAST(f.idx AS TEXT)"
        " WHERE f.id IN (SELECT value FROM json_each(?)) ORDER BY m.start_ms",
        (json.dumps(list(face_ids)),),
    ):
        found.setdefault(face_id, []).append(TimeRange(start, end))
    return {face_id: tuple(ranges) for face_id, ranges in found.items()}


def photo_moments(
    catalog: Catalog, photo_ids: Sequence[int]
) -> dict[int, dict[tuple[str, str], tuple[TimeRange, ...]]]:
    """For the videos among these photos: the time ranges of each (kind, key) seen in them, every backend
    merged; a person's faces are listed under ``("person", person id)`` as well."""
    conn = catalog.connection()
    if not photo_ids or conn.execute("SELECT 1 FROM video_moments LIMIT 1").fetchone() is None:
        return {}  # a library without analyzed videos: search pays nothing for them
    wanted = (json.dumps(list(photo_ids)),)
    found: dict[int, dict[tuple[str, str], list[TimeRange]]] = {}
    for photo_id, kind, key, start, end in conn.execute(
        "SELECT p.id, m.kind, m.key, m.start_ms, m.end_ms FROM photos p"
        " JOIN video_moments m ON m.hash = p.hash"
        " WHERE p.id IN (SELECT value FROM json_each(?)) ORDER BY m.start_ms",
        wanted,
    ):
        found.setdefault(photo_id, {}).setdefault((kind, key), []).append(TimeRange(start, end))
    for photo_id, person, start, end in conn.execute(
        "SELECT p.id, f.person_id, m.start_ms, m.end_ms FROM photos p JOIN faces f ON f.hash = p.hash"
        " JOIN video_moments m ON m.hash = f.hash AND m.backend = f.backend AND m.kind = 'face'"
        " AND m.key = CAST(f.idx AS TEXT)"
        " WHERE p.id IN (SELECT value FROM json_each(?)) AND f.person_id IS NOT NULL ORDER BY m.start_ms",
        wanted,
    ):
        found.setdefault(photo_id, {}).setdefault(("person", str(person)), []).append(TimeRange(start, end))
    return {photo: {key: _merged(ranges) for key, ranges in keys.items()} for photo, keys in found.items()}


def _merged(ranges: list[TimeRange]) -> tuple[TimeRange, ...]:
    """Ranges of several backends or faces as one list: overlapping ones joined."""
    out: list[TimeRange] = []
    for r in sorted(ranges, key=lambda r: r.start_ms):
        if out and r.start_ms <= out[-1].end_ms:
            out[-1] = TimeRange(out[-1].start_ms, max(out[-1].end_ms, r.end_ms))
        else:
            out.append(r)
    return tuple(out)
