"""People rows: faces as arrays for clustering, assignments, suggestions and rejections.

Faces belong to content (a hash), so one face may appear in several photos (copies);
counts of photos go through ``photos.hash``. Faces of one content never share a
cluster or a person (``FaceSet.photo`` carries the content as a small integer).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from photosorter.core.catalog.database import Catalog
from photosorter.core.catalog.photos import now_iso
from photosorter.core.errors import PhotosorterError

NO_ID = -1
FORGOTTEN = "forgotten"  # the model version of a faces analysis whose results the user deleted


@dataclass(frozen=True, slots=True)
class FaceSet:
    """Faces of one backend as parallel arrays: what clustering and matching work on."""

    ids: np.ndarray  # int64
    photo: np.ndarray  # int64: equal values = same content
    person: np.ndarray  # int64, NO_ID when unassigned
    cluster: np.ndarray  # int64, NO_ID when not in a cluster
    embeddings: np.ndarray  # float32 (n, d); (n, 0) when the backend has none
    external_ids: tuple[str | None, ...]

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, selector: np.ndarray) -> FaceSet:
        index = np.flatnonzero(selector) if selector.dtype == bool else selector
        return FaceSet(
            self.ids[index],
            self.photo[index],
            self.person[index],
            self.cluster[index],
            self.embeddings[index],
            tuple(self.external_ids[i] for i in index),
        )


@dataclass(frozen=True, slots=True)
class FaceRow:
    id: int
    backend: str
    hash: str
    person_id: int | None
    cluster_id: int | None
    assigned_by: str | None
    external_id: str | None


@dataclass(frozen=True, slots=True)
class PersonRow:
    id: int
    name: str
    hidden: bool
    external_user_id: str | None


class NotFound(PhotosorterError):
    pass


# -- reading ------------------------------------------------------------------------------------------------
def face_backends(catalog: Catalog) -> list[str]:
    return [r[0] for r in catalog.connection().execute("SELECT DISTINCT backend FROM faces ORDER BY backend")]


def face_set(catalog: Catalog, backend: str) -> FaceSet:
    """Every face of ``backend`` that has an embedding or a service face id."""
    rows = (
        catalog.connection()
        .execute(
            "SELECT id, hash, coalesce(person_id, -1), coalesce(cluster_id, -1), embedding, external_id"
            " FROM faces WHERE backend = ? AND (embedding IS NOT NULL OR external_id IS NOT NULL)"
            " ORDER BY id",
            (backend,),
        )
        .fetchall()
    )
    codes: dict[str, int] = {}
    blobs = [r[4] for r in rows]
    width = (
        len(blobs[0]) // 4 if blobs and blobs[0] and all(b and len(b) == len(blobs[0]) for b in blobs) else 0
    )
    embeddings = (
        np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(rows), width).astype(np.float32)
        if width
        else np.zeros((len(rows), 0), np.float32)
    )
    return FaceSet(
        np.fromiter((r[0] for r in rows), np.int64, len(rows)),
        np.fromiter((codes.setdefault(r[1], len(codes)) for r in rows), np.int64, len(rows)),
        np.fromiter((r[2] for r in rows), np.int64, len(rows)),
        np.fromiter((r[3] for r in rows), np.int64, len(rows)),
        embeddings,
        tuple(r[5] for r in rows),
    )


def unclustered_quality(catalog: Catalog, backend: str) -> list[tuple[int, float, float, dict]]:
    """(id, confidence, box width, quality) of faces neither in a cluster nor assigned to a person."""
    return _face_quality(
        catalog,
        "backend = ? AND person_id IS NULL AND cluster_id IS NULL"
        " AND (embedding IS NOT NULL OR external_id IS NOT NULL)",
        backend,
    )


def face_quality(catalog: Catalog, backend: str) -> list[tuple[int, float, float, dict]]:
    """(id, confidence, box width, quality) of every face the backend found."""
    return _face_quality(catalog, "backend = ?", backend)


def _face_quality(catalog: Catalog, where: str, backend: str) -> list[tuple[int, float, float, dict]]:
    rows = catalog.connection().execute(
        f"SELECT id, confidence, box_width, quality FROM faces WHERE {where}", (backend,)
    )
    return [(fid, conf, width, json.loads(quality or "{}")) for fid, conf, width, quality in rows]


def rejections(catalog: Catalog) -> set[tuple[int, int]]:
    return set(catalog.connection().execute("SELECT face_id, person_id FROM face_rejections"))


def suggested(catalog: Catalog) -> dict[int, tuple[int, float]]:
    """face id -> (person id, score) of open suggestions."""
    rows = catalog.connection().execute("SELECT face_id, person_id, score FROM face_suggestions")
    return {face: (person, score) for face, person, score in rows}


def hidden_people(catalog: Catalog) -> set[int]:
    return {r[0] for r in catalog.connection().execute("SELECT id FROM people WHERE hidden = 1")}


def user_ids(catalog: Catalog) -> dict[int, str]:
    rows = catalog.connection().execute(
        "SELECT id, external_user_id FROM people WHERE external_user_id IS NOT NULL"
    )
    return dict(rows)


def face(catalog: Catalog, face_id: int) -> FaceRow:
    row = (
        catalog.connection()
        .execute(
            "SELECT id, backend, hash, person_id, cluster_id, assigned_by, external_id FROM faces"
            " WHERE id = ?",
            (face_id,),
        )
        .fetchone()
    )
    if row is None:
        raise NotFound(f"no face with id {face_id}")
    return FaceRow(*row)


def _person(row: tuple | None) -> PersonRow | None:
    return PersonRow(row[0], row[1], bool(row[2]), row[3]) if row else None


def person_by_id(catalog: Catalog, person_id: int) -> PersonRow | None:
    return _person(
        catalog.connection()
        .execute("SELECT id, name, hidden, external_user_id FROM people WHERE id = ?", (person_id,))
        .fetchone()
    )


def person_by_name(catalog: Catalog, name: str) -> PersonRow | None:
    return _person(
        catalog.connection()
        .execute("SELECT id, name, hidden, external_user_id FROM people WHERE name = ?", (name,))
        .fetchone()
    )


def cluster_faces(catalog: Catalog, cluster_id: int) -> list[int]:
    return [
        r[0]
        for r in catalog.connection().execute(
            "SELECT id FROM faces WHERE cluster_id = ? AND person_id IS NULL ORDER BY id", (cluster_id,)
        )
    ]


def person_faces(catalog: Catalog, person_id: int) -> list[FaceRow]:
    rows = catalog.connection().execute(
        "SELECT id, backend, hash, person_id, cluster_id, assigned_by, external_id FROM faces"
        " WHERE person_id = ? ORDER BY id",
        (person_id,),
    )
    return [FaceRow(*r) for r in rows]


def faces_by_id(catalog: Catalog, face_ids: Iterable[int]) -> list[FaceRow]:
    ids = sorted({int(i) for i in face_ids})
    found: list[FaceRow] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found += [
            FaceRow(*r)
            for r in catalog.connection().execute(
                "SELECT id, backend, hash, person_id, cluster_id, assigned_by, external_id FROM faces"
                f" WHERE id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
        ]
    return found


def face_ids_of_person(catalog: Catalog, person_id: int) -> list[int]:
    return [f.id for f in person_faces(catalog, person_id)]


def all_external_face_ids(catalog: Catalog, backend: str) -> list[str]:
    rows = catalog.connection().execute(
        "SELECT external_id FROM faces WHERE backend = ? AND external_id IS NOT NULL", (backend,)
    )
    return [r[0] for r in rows]


# -- writing (inside a Catalog.transaction()) -------------------------------------------------------------
def next_cluster_id(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT coalesce(max(cluster_id), 0) + 1 FROM faces").fetchone()[0])


def set_clusters(conn: sqlite3.Connection, pairs: Iterable[tuple[int, int]]) -> None:
    """(cluster id, face id) pairs."""
    conn.executemany("UPDATE faces SET cluster_id = ? WHERE id = ?", list(pairs))


def assign(conn: sqlite3.Connection, face_ids: Iterable[int], person_id: int, assigned_by: str) -> None:
    """Gives faces to a person: they leave their cluster and any open question about them is closed."""
    ids = [(int(i),) for i in face_ids]
    conn.executemany(
        "UPDATE faces SET person_id = ?, assigned_by = ?, cluster_id = NULL WHERE id = ?",
        [(person_id, assigned_by, i) for (i,) in ids],
    )
    conn.executemany("DELETE FROM face_suggestions WHERE face_id = ?", ids)


def unassign(conn: sqlite3.Connection, face_id: int, cluster_id: int | None) -> None:
    conn.execute(
        "UPDATE faces SET person_id = NULL, assigned_by = NULL, cluster_id = ? WHERE id = ?",
        (cluster_id, face_id),
    )


def put_suggestions(conn: sqlite3.Connection, rows: Sequence[tuple[int, int, float]]) -> None:
    """(face, person, score) rows; a face has at most one open suggestion (the best)."""
    stamp = now_iso()
    conn.executemany(
        "INSERT OR REPLACE INTO face_suggestions (face_id, person_id, score, created_at) VALUES (?, ?, ?, ?)",
        [(int(f), int(p), float(s), stamp) for f, p, s in rows],
    )


def drop_suggestion(conn: sqlite3.Connection, face_id: int) -> tuple[int, float] | None:
    row = conn.execute(
        "SELECT person_id, score FROM face_suggestions WHERE face_id = ?", (face_id,)
    ).fetchone()
    conn.execute("DELETE FROM face_suggestions WHERE face_id = ?", (face_id,))
    return (row[0], row[1]) if row else None


def reject(conn: sqlite3.Connection, face_id: int, person_id: int) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO face_rejections (face_id, person_id) VALUES (?, ?)", (face_id, person_id)
    )


def reset_automatic(conn: sqlite3.Connection, backend: str) -> None:
    """For a full re-cluster: forget clusters, open suggestions and automatic assignments of ``backend``."""
    conn.execute(
        "DELETE FROM face_suggestions WHERE face_id IN (SELECT id FROM faces WHERE backend = ?)", (backend,)
    )
    conn.execute(
        "UPDATE faces SET person_id = NULL, assigned_by = NULL WHERE backend = ? AND assigned_by = 'auto'",
        (backend,),
    )
    conn.execute("UPDATE faces SET cluster_id = NULL WHERE backend = ? AND person_id IS NULL", (backend,))


def create_person(conn: sqlite3.Connection, name: str) -> int:
    try:
        cursor = conn.execute("INSERT INTO people (name, created_at) VALUES (?, ?)", (name, now_iso()))
    except sqlite3.IntegrityError:
        raise PhotosorterError(f"a person named {name!r} already exists") from None
    return int(cursor.lastrowid)


def rename_person(conn: sqlite3.Connection, person_id: int, name: str) -> None:
    try:
        conn.execute("UPDATE people SET name = ? WHERE id = ?", (name, person_id))
    except sqlite3.IntegrityError:
        raise PhotosorterError(f"a person named {name!r} already exists; merge them instead") from None


def set_hidden(conn: sqlite3.Connection, person_id: int, hidden: bool) -> None:
    conn.execute("UPDATE people SET hidden = ? WHERE id = ?", (int(hidden), person_id))


def set_user_id(conn: sqlite3.Connection, person_id: int, user_id: str | None) -> None:
    conn.execute("UPDATE people SET external_user_id = ? WHERE id = ?", (user_id, person_id))


def move_person_faces(conn: sqlite3.Connection, source: int, target: int) -> None:
    conn.execute("UPDATE faces SET person_id = ? WHERE person_id = ?", (target, source))
    conn.execute(
        "INSERT OR IGNORE INTO face_rejections (face_id, person_id)"
        " SELECT face_id, ? FROM face_rejections WHERE person_id = ?",
        (target, source),
    )


def delete_person(conn: sqlite3.Connection, person_id: int) -> None:
    conn.execute("DELETE FROM people WHERE id = ?", (person_id,))


@dataclass(frozen=True, slots=True)
class ForgottenFaces:
    """What "Forget all faces" deleted here, for the message that says so."""

    faces: int
    photos: int  # contents that had faces
    people: int


def forget_all_faces(conn: sqlite3.Connection) -> ForgottenFaces:
    """Deletes every face row (box, embedding, service id, attributes), person, suggestion, rejection
    and undo step, and the raw face answers kept with each analysis; the search index's face terms
    go with the rows (its triggers). The faces analyses stay marked done, so nothing analyzes
    faces again until the user asks (``analyze --refresh``, or ``allow_face_analysis_again``)."""
    faces, photos = conn.execute("SELECT count(*), count(DISTINCT hash) FROM faces").fetchone()
    people = conn.execute("SELECT count(*) FROM people").fetchone()[0]
    # kept as done (no run repeats them on its own), under a version no model has: `--refresh` redoes them
    conn.execute(
        "UPDATE OR REPLACE analyses SET raw = NULL, model_version = ? WHERE feature = 'faces'", (FORGOTTEN,)
    )
    conn.execute("DELETE FROM face_suggestions")
    conn.execute("DELETE FROM face_rejections")
    conn.execute("DELETE FROM people_undo")
    conn.execute("DELETE FROM faces")
    conn.execute("DELETE FROM people")
    return ForgottenFaces(int(faces), int(photos), int(people))


def allow_face_analysis_again(conn: sqlite3.Connection) -> int:
    """The user asked to find faces again: every forgotten faces analysis becomes pending.
    Returns how many contents that is."""
    return conn.execute(
        "DELETE FROM analyses WHERE feature = 'faces' AND model_version = ?", (FORGOTTEN,)
    ).rowcount
