"""Analysis results, stored per (content hash, backend, feature, model version).

Keyed by content, never by path: a moved, renamed or duplicated photo shares
what was learned about its bytes, so nothing is ever paid for twice. A result
and its bookkeeping row are written in one transaction, so a kill at any moment
leaves either the whole result or none of it.
"""

from __future__ import annotations

import json
import sqlite3
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar

from photosorter.core.analysis.types import AnalysisResult, Box, Feature
from photosorter.core.catalog.database import Catalog
from photosorter.core.catalog.paths import from_db
from photosorter.core.catalog.photos import now_iso
from photosorter.core.photo_analysis import (
    AnalysisState,
    CelebrityRow,
    FaceRow,
    LabelRow,
    ModerationRow,
    PhotoAnalysis,
    TextRow,
)
from photosorter.core.records import MediaKind


class _NamedScore(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def confidence(self) -> float: ...


_Named = TypeVar("_Named", bound=_NamedScore)

# Which table holds each feature's rows (faces keep their ids: people hang on them).
_FEATURE_TABLES = {
    Feature.LABELS: "labels",
    Feature.TEXT: "text_lines",
    Feature.MODERATION: "moderation",
    Feature.CELEBRITIES: "celebrities",
    Feature.FACES: "faces",
}


@dataclass(frozen=True, slots=True)
class VideoFacts:
    """What the analysis of a video needs from its scan: how long it runs and how it is turned."""

    duration_s: float | None
    rotation: int | None


@dataclass(frozen=True, slots=True)
class PendingContent:
    """One distinct content that still lacks some features; ``paths`` are its copies, best first."""

    hash: str
    paths: tuple[str, ...]
    features: frozenset[Feature]
    video: VideoFacts | None = None  # None: a photo


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=list)


def _box(box: Box | None) -> str | None:
    return _dumps(box.to_dict()) if box else None


def pack_embedding(values: Iterable[float] | None) -> bytes | None:
    if values is None:
        return None
    values = tuple(values)
    return struct.pack(f"<{len(values)}f", *values)


def unpack_embedding(blob: bytes | None) -> tuple[float, ...] | None:
    if not blob:
        return None
    return struct.unpack(f"<{len(blob) // 4}f", blob)


# -- what still needs doing ------------------------------------------------------------------------------
def pending(
    catalog: Catalog,
    backend: str,
    versions: Mapping[Feature, str],
    *,
    refresh: bool = False,
    limit: int | None = None,
) -> tuple[list[PendingContent], int]:
    """Distinct contents of visible photos lacking a result for some feature, and how many need nothing.

    A feature counts as done for any model version unless ``refresh`` asks for the current one:
    a new model never silently re-bills a library. A recorded failure counts as done too,
    so an image that cannot be analyzed is not retried forever.
    """
    conn = catalog.connection()
    features = sorted(versions)
    done_sql = "SELECT hash, feature FROM analyses WHERE backend = ? AND feature = ?" + (
        " AND model_version = ?" if refresh else ""
    )
    done: dict[str, set[Feature]] = {}
    for feature in features:
        params = (backend, feature.value, versions[feature]) if refresh else (backend, feature.value)
        for content_hash, _ in conn.execute(done_sql, params):
            done.setdefault(content_hash, set()).add(feature)
    wanted = set(features)
    work: list[PendingContent] = []
    needs_nothing = 0
    rows = conn.execute(
        "SELECT hash, path, media, duration_s, rotation FROM photos WHERE state = 'ok' AND hash IS NOT NULL"
        " ORDER BY taken_at DESC, id"
    )
    seen: dict[str, int] = {}
    for content_hash, path, media, duration_s, rotation in rows:
        if content_hash in seen:
            index = seen[content_hash]
            if index >= 0:
                item = work[index]
                work[index] = replace(item, paths=(*item.paths, from_db(path)))
            continue
        missing = wanted - done.get(content_hash, set())
        if not missing or (limit is not None and len(work) >= limit):
            seen[content_hash] = -1
            needs_nothing += not missing
            continue
        seen[content_hash] = len(work)
        video = VideoFacts(duration_s, rotation) if media == MediaKind.VIDEO else None
        work.append(PendingContent(content_hash, (from_db(path),), frozenset(missing), video))
    return work, needs_nothing


# -- writing -------------------------------------------------------------------------------------------
def store_result(
    catalog: Catalog, content_hash: str, result: AnalysisResult, versions: Mapping[Feature, str]
) -> None:
    """Replaces this backend's rows for each feature the result covers, and marks them done."""
    with catalog.transaction() as conn:
        write_result(conn, content_hash, result, versions)


def write_result(
    conn: sqlite3.Connection, content_hash: str, result: AnalysisResult, versions: Mapping[Feature, str]
) -> None:
    """``store_result`` inside a transaction the caller holds (a video's result and its moments are one)."""
    stamp = now_iso()
    for feature in result.features:
        _replace_rows(conn, content_hash, result.backend, feature, result)
        conn.execute(
            "INSERT OR REPLACE INTO analyses (hash, backend, feature, model_version, status, error, raw,"
            " analyzed_at) VALUES (?, ?, ?, ?, 'done', NULL, ?, ?)",
            (
                content_hash,
                result.backend,
                feature.value,
                versions[feature],
                _dumps(result.raw.get(feature.value)),
                stamp,
            ),
        )


def store_failure(
    catalog: Catalog,
    content_hash: str,
    backend: str,
    features: Iterable[Feature],
    versions: Mapping[Feature, str],
    error: str,
) -> None:
    """Records that this content cannot be analyzed (too small, unsupported) so it is not retried."""
    with catalog.transaction() as conn:
        write_failure(conn, content_hash, backend, features, versions, error)


def write_failure(
    conn: sqlite3.Connection,
    content_hash: str,
    backend: str,
    features: Iterable[Feature],
    versions: Mapping[Feature, str],
    error: str,
) -> None:
    """``store_failure`` inside a transaction the caller holds (a cloud sync page is one)."""
    stamp = now_iso()
    for feature in features:
        conn.execute(
            "INSERT OR REPLACE INTO analyses (hash, backend, feature, model_version, status, error, raw,"
            " analyzed_at) VALUES (?, ?, ?, ?, 'failed', ?, NULL, ?)",
            (content_hash, backend, feature.value, versions[feature], error, stamp),
        )


def _most_confident(items: Sequence[_Named]) -> list[_Named]:
    """One item per name, the most confident.

    A backend can list a name twice; with INSERT OR REPLACE the later row would
    win in the table while the search index, whose delete trigger REPLACE skips,
    kept the earlier score.
    """
    best: dict[str, _Named] = {}
    for item in items:
        if item.name not in best or item.confidence > best[item.name].confidence:
            best[item.name] = item
    return list(best.values())


def _replace_rows(
    conn: sqlite3.Connection, content_hash: str, backend: str, feature: Feature, result: AnalysisResult
) -> None:
    if feature is Feature.FACES:
        _replace_faces(conn, content_hash, backend, result)
        return
    table = _FEATURE_TABLES[feature]
    conn.execute(f"DELETE FROM {table} WHERE hash = ? AND backend = ?", (content_hash, backend))
    if feature is Feature.LABELS:
        conn.executemany(
            "INSERT OR REPLACE INTO labels (hash, backend, name, confidence, parents, aliases, categories,"
            " instances) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    content_hash,
                    backend,
                    label.name,
                    label.confidence,
                    _dumps(label.parents),
                    _dumps(label.aliases),
                    _dumps(label.categories),
                    _dumps([box.to_dict() for box in label.instances]),
                )
                for label in _most_confident(result.labels)
            ],
        )
    elif feature is Feature.TEXT:
        conn.executemany(
            "INSERT INTO text_lines (hash, backend, line, text, confidence, box, words)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (content_hash, backend, index, line.text, line.confidence, _box(line.box), _dumps(line.words))
                for index, line in enumerate(result.text)
            ],
        )
    elif feature is Feature.MODERATION:
        conn.executemany(
            "INSERT OR REPLACE INTO moderation (hash, backend, name, parent, confidence)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (content_hash, backend, m.name, m.parent, m.confidence)
                for m in _most_confident(result.moderation)
            ],
        )
    elif feature is Feature.CELEBRITIES:
        conn.executemany(
            "INSERT INTO celebrities (hash, backend, idx, name, confidence, box, external_id, urls)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    content_hash,
                    backend,
                    index,
                    c.name,
                    c.confidence,
                    _box(c.box),
                    c.external_id,
                    _dumps(c.urls),
                )
                for index, c in enumerate(result.celebrities)
            ],
        )


def _replace_faces(conn: sqlite3.Connection, content_hash: str, backend: str, result: AnalysisResult) -> None:
    # Re-analysis keeps the face rows (and any name given to them) when the count is unchanged; a face the
    # new model no longer sees goes, with its name, since nothing in the photo is left to carry it.
    existing = dict(
        conn.execute("SELECT idx, id FROM faces WHERE hash = ? AND backend = ?", (content_hash, backend))
    )
    for index, face in enumerate(result.faces):
        values = (
            face.box.left,
            face.box.top,
            face.box.width,
            face.box.height,
            face.confidence,
            _dumps(face.landmarks),
            _dumps(face.pose),
            _dumps(face.quality),
            _dumps(face.attributes),
            pack_embedding(face.embedding),
            face.external_id,
        )
        if index in existing:
            conn.execute(
                "UPDATE faces SET box_left = ?, box_top = ?, box_width = ?, box_height = ?, confidence = ?,"
                " landmarks = ?, pose = ?, quality = ?, attributes = ?, embedding = ?, external_id = ?"
                " WHERE id = ?",
                (*values, existing[index]),
            )
        else:
            conn.execute(
                "INSERT INTO faces (hash, backend, idx, box_left, box_top, box_width, box_height, confidence,"
                " landmarks, pose, quality, attributes, embedding, external_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (content_hash, backend, index, *values),
            )
    conn.execute(
        "DELETE FROM faces WHERE hash = ? AND backend = ? AND idx >= ?",
        (content_hash, backend, len(result.faces)),
    )


# -- reading -------------------------------------------------------------------------------------------
def _names(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


def results_for(catalog: Catalog, content_hash: str) -> PhotoAnalysis:
    """Everything analysis learned about one content, from every backend."""
    conn = catalog.connection()
    labels = tuple(
        LabelRow(name, round(confidence, 1), _names(parents), _names(categories), _names(aliases), backend)
        for backend, name, confidence, parents, categories, aliases in conn.execute(
            "SELECT backend, name, confidence, parents, categories, aliases FROM labels WHERE hash = ?"
            " ORDER BY confidence DESC, name",
            (content_hash,),
        )
    )
    faces = tuple(
        FaceRow(
            face_id,
            Box(left, top, width, height),
            round(confidence, 1),
            json.loads(attributes),
            person,
            assigned_by,
            suggested,
            backend,
        )
        for (
            face_id,
            backend,
            left,
            top,
            width,
            height,
            confidence,
            attributes,
            person,
            assigned_by,
            suggested,
        ) in conn.execute(
            "SELECT f.id, f.backend, f.box_left, f.box_top, f.box_width, f.box_height, f.confidence,"
            " f.attributes, p.name, f.assigned_by, sp.name FROM faces f"
            " LEFT JOIN people p ON p.id = f.person_id"
            " LEFT JOIN face_suggestions s ON s.face_id = f.id"
            " LEFT JOIN people sp ON sp.id = s.person_id AND sp.hidden = 0"
            " WHERE f.hash = ? ORDER BY f.backend, f.idx",
            (content_hash,),
        )
    )
    text = tuple(
        TextRow(line, round(confidence, 1), Box.from_dict(json.loads(box)) if box else None, backend)
        for backend, line, confidence, box in conn.execute(
            "SELECT backend, text, confidence, box FROM text_lines WHERE hash = ? ORDER BY backend, line",
            (content_hash,),
        )
    )
    moderation = tuple(
        ModerationRow(name, parent, round(confidence, 1), backend)
        for backend, name, parent, confidence in conn.execute(
            "SELECT backend, name, parent, confidence FROM moderation WHERE hash = ?"
            " ORDER BY confidence DESC",
            (content_hash,),
        )
    )
    celebrities = tuple(
        CelebrityRow(name, round(confidence, 1), backend)
        for backend, name, confidence in conn.execute(
            "SELECT backend, name, confidence FROM celebrities WHERE hash = ? ORDER BY idx", (content_hash,)
        )
    )
    states = tuple(
        AnalysisState(*row)
        for row in conn.execute(
            "SELECT backend, feature, model_version, status, error FROM analyses WHERE hash = ?"
            " ORDER BY backend, feature",
            (content_hash,),
        )
    )
    return PhotoAnalysis(labels, faces, text, moderation, celebrities, states)


def analysis_counts(catalog: Catalog) -> dict[str, int]:
    conn = catalog.connection()
    return {
        "analyzed": conn.execute(
            "SELECT count(DISTINCT a.hash) FROM analyses a JOIN photos p ON p.hash = a.hash"
            " WHERE a.status = 'done' AND p.state = 'ok'"
        ).fetchone()[0],
        "analysis_failures": conn.execute(
            "SELECT count(DISTINCT hash) FROM analyses WHERE status = 'failed'"
        ).fetchone()[0],
    }
