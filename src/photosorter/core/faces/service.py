"""What a face backend must answer for People, and the local (numpy, offline) answer.

A ``FaceService`` compares faces; the catalog decides what to do with the answers.
Scores are "higher is more alike" for every backend (local: 1 - euclidean
distance; Rekognition: similarity / 100), so the caller never needs to know which.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from photosorter.core.catalog.people import FaceSet
from photosorter.core.faces import thresholds

Band = Literal["auto", "suggestion"]
_BLOCK = 2048  # rows per distance block: 2048 x 20,000 float32 is 160 MB at most


@dataclass(frozen=True, slots=True)
class Match:
    """Face ``index`` (into the faces asked about) looks like ``person_id``."""

    index: int
    person_id: int
    score: float
    band: Band


class FaceService(Protocol):
    backend: str

    def match_people(self, faces: FaceSet, refs: FaceSet, users: Mapping[int, str]) -> list[Match]:
        """Every (face, person) pair alike enough to assign or suggest; ``refs`` are faces of people."""
        ...

    def neighbours(self, faces: FaceSet, pool: FaceSet, same: bool = False) -> list[tuple[int, int, float]]:
        """(index in faces, index in pool, score) pairs alike enough to share a cluster.

        ``same`` says pool is faces itself: each pair once, never a face with itself.
        """
        ...

    def sync_person(self, person_id: int, user_id: str | None, face_ids: Sequence[str]) -> str | None:
        """Makes the backend know this person's faces; returns its user id (None: nothing to keep)."""
        ...

    def release_faces(self, user_id: str, external_ids: Sequence[str]) -> None:
        """The backend's user ``user_id`` no longer holds these faces (moved, split or undone)."""
        ...

    def delete_user(self, user_id: str) -> None:
        """The backend's user is gone (person merged away or forgotten); its faces stay."""
        ...

    def forget_faces(self, external_ids: Sequence[str]) -> None: ...

    def forget_all(self) -> None: ...


def distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances between the rows of ``a`` and ``b`` (float32)."""
    a2 = np.einsum("ij,ij->i", a, a)[:, None]
    b2 = np.einsum("ij,ij->i", b, b)[None, :]
    squared = a2 + b2 - 2.0 * (a @ b.T)
    np.maximum(squared, 0.0, out=squared)
    return np.sqrt(squared, out=squared)


class LocalFaceService:
    """dlib embeddings compared with numpy; nothing leaves the machine."""

    backend = "local"

    def __init__(
        self,
        cluster_distance: float = thresholds.CLUSTER_DISTANCE,
        auto_distance: float = thresholds.AUTO_DISTANCE,
        suggest_distance: float = thresholds.SUGGEST_DISTANCE,
    ) -> None:
        self.cluster_distance = cluster_distance
        self.auto_distance = auto_distance
        self.suggest_distance = suggest_distance

    def match_people(self, faces: FaceSet, refs: FaceSet, users: Mapping[int, str]) -> list[Match]:
        if not len(faces) or not len(refs):
            return []
        order = np.argsort(refs.person, kind="stable")
        people, starts = np.unique(refs.person[order], return_index=True)
        ref_vectors = refs.embeddings[order]
        matches: list[Match] = []
        for start in range(0, len(faces), _BLOCK):
            block = distances(faces.embeddings[start : start + _BLOCK], ref_vectors)
            nearest = np.minimum.reduceat(block, starts, axis=1)  # (faces, people): closest face of each
            rows, cols = np.nonzero(nearest <= self.suggest_distance)
            for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
                d = float(nearest[row, col])
                band: Band = "auto" if d <= self.auto_distance else "suggestion"
                matches.append(Match(start + row, int(people[col]), 1.0 - d, band))
        return matches

    def neighbours(self, faces: FaceSet, pool: FaceSet, same: bool = False) -> list[tuple[int, int, float]]:
        if not len(faces) or not len(pool):
            return []
        pairs: list[tuple[int, int, float]] = []
        for start in range(0, len(faces), _BLOCK):
            block = distances(faces.embeddings[start : start + _BLOCK], pool.embeddings)
            close = block <= self.cluster_distance
            if same:  # upper triangle only: each pair once, no face with itself
                rows_index = np.arange(start, start + len(block))[:, None]
                close &= np.arange(len(pool))[None, :] > rows_index
            rows, cols = np.nonzero(close)
            scores = 1.0 - block[rows, cols]
            pairs.extend(
                zip((rows + start).tolist(), cols.tolist(), scores.tolist(), strict=True)  # type: ignore[arg-type]
            )
        return pairs

    def sync_person(self, person_id: int, user_id: str | None, face_ids: Sequence[str]) -> str | None:
        return None

    def release_faces(self, user_id: str, external_ids: Sequence[str]) -> None:
        return None

    def delete_user(self, user_id: str) -> None:
        return None

    def forget_faces(self, external_ids: Sequence[str]) -> None:
        return None

    def forget_all(self) -> None:
        return None
