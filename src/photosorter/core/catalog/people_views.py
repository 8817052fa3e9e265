"""People listings, the undo log and forgetting: the read-heavy and the privacy side of People.

Undo stores, before each user action, the rows it is about to change (faces'
person/cluster/assignment, the people involved, rejections and suggestions of
those faces) as JSON; undoing writes them back.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any, NamedTuple

from photosorter.core.analysis.types import Box
from photosorter.core.analysis.video.keyframes import FrameRef
from photosorter.core.catalog.database import Catalog
from photosorter.core.catalog.paths import display, from_db
from photosorter.core.catalog.photos import now_iso


# -- listings ------------------------------------------------------------------------------------------------
class GroupKind(Enum):
    PERSON = "person"
    CLUSTER = "cluster"


@dataclass(frozen=True, slots=True)
class GroupRef:
    """A person or an unnamed cluster of faces. Printed (and in JSON) as the CLI spells it: p3, c5."""

    kind: GroupKind
    id: int

    @property
    def person_id(self) -> int | None:
        return self.id if self.kind is GroupKind.PERSON else None

    @property
    def cluster_id(self) -> int | None:
        return self.id if self.kind is GroupKind.CLUSTER else None

    def __str__(self) -> str:
        return f"{'p' if self.kind is GroupKind.PERSON else 'c'}{self.id}"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def _photo_paths(catalog: Catalog) -> dict[str, str]:
    """One path per content hash (the first by path), for visible photos."""
    rows = catalog.connection().execute(
        "SELECT hash, min(path) FROM photos WHERE state = 'ok' AND hash IS NOT NULL GROUP BY hash"
    )
    return {h: display(from_db(p)) for h, p in rows}


_FACE_FRAME = (
    "(SELECT min(m.best_ms) FROM video_moments m WHERE m.hash = f.hash AND m.backend = f.backend"
    " AND m.kind = 'face' AND m.key = CAST(f.idx AS TEXT))"
)


def _video_rotations(catalog: Catalog) -> dict[str, int | None]:
    """The display rotation of each video content, for cutting its faces out of its keyframes."""
    rows = catalog.connection().execute(
        "SELECT hash, max(rotation) FROM photos WHERE media = 'video' AND hash IS NOT NULL GROUP BY hash"
    )
    return dict(rows)


def _frame(content: str, at_ms: int | None, rotations: dict[str, int | None]) -> FrameRef | None:
    """Where a video's face is seen (None for a photo's face: the photo itself is shown)."""
    return FrameRef(at_ms, rotations.get(content)) if at_ms is not None else None


def _photo_counts(catalog: Catalog) -> dict[str, int]:
    rows = catalog.connection().execute(
        "SELECT hash, count(*) FROM photos WHERE state = 'ok' AND hash IS NOT NULL GROUP BY hash"
    )
    return dict(rows)


class FaceTile(NamedTuple):
    """A face to show: the photo (or a video's keyframe) it is cut from, and where.

    A named tuple rather than a frozen dataclass: a listing with every face makes 20,000 of them, and
    a frozen dataclass with its Box cost 3.7 us each against 0.8 us (bench_people's listing of every face:
    254 ms against 172-176 ms)."""

    id: int
    path: str | None  # None: its photo is no longer in the library
    left: float  # the box, relative to the picture as analysis saw it
    top: float
    width: float
    height: float
    assigned_by: str | None  # manual, auto, suggestion, ... ; None in a cluster
    frame: FrameRef | None = None  # a video's face: the keyframe it is cut from

    @property
    def box(self) -> Box:
        return Box(self.left, self.top, self.width, self.height)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "box": self.box.to_dict(),
            "assigned_by": self.assigned_by,
            "frame": None if self.frame is None else str(self.frame),
        }


@dataclass(frozen=True, slots=True)
class FaceGroup:
    """A named person or an unnamed cluster of faces, with (some of) its faces, most confident first."""

    ref: GroupRef
    name: str | None  # None for a cluster
    hidden: bool
    face_count: int
    photo_count: int
    faces: tuple[FaceTile, ...]

    @property
    def kind(self) -> GroupKind:
        return self.ref.kind

    def to_json(self) -> dict[str, Any]:
        """As ``people --json`` prints it."""
        return {
            "id": str(self.ref),
            "name": self.name,
            "kind": self.ref.kind.value,
            "hidden": self.hidden,
            "face_count": self.face_count,
            "photo_count": self.photo_count,
            "faces": [face.to_json() for face in self.faces],
        }


@dataclass(frozen=True, slots=True)
class FaceQuestion:
    """An open "is this X?" question: a face that may be a named person."""

    face: FaceTile
    person: GroupRef
    name: str
    score: float  # similarity, 0-1

    def to_json(self) -> dict[str, Any]:
        """As ``people suggestions --json`` prints it."""
        return {
            "face": self.face.id,
            "person": str(self.person),
            "name": self.name,
            "score": self.score,
            "path": self.face.path,
            "box": self.face.box.to_dict(),
            "frame": None if self.face.frame is None else str(self.face.frame),
        }


def overview(
    catalog: Catalog, *, include_hidden: bool = False, faces_per_entry: int | None = None
) -> list[FaceGroup]:
    """People (named) then unnamed clusters, largest first, each with its faces."""
    conn = catalog.connection()
    paths = _photo_paths(catalog)
    counts = _photo_counts(catalog)
    people = {
        pid: (name, bool(hidden))
        for pid, name, hidden in conn.execute("SELECT id, name, hidden FROM people")
        if include_hidden or not hidden
    }
    rotations = _video_rotations(catalog)
    # Rows are kept as tuples and only the faces shown become records: the GUI lists a face per person.
    groups: dict[tuple[GroupKind, int], list[tuple]] = {}
    rows = conn.execute(
        "SELECT f.id, f.hash, f.person_id, f.cluster_id, f.box_left, f.box_top, f.box_width, f.box_height,"
        f" f.assigned_by, {_FACE_FRAME} FROM faces f"
        " WHERE f.person_id IS NOT NULL OR f.cluster_id IS NOT NULL ORDER BY f.confidence DESC, f.id"
    )
    for row in rows:
        person, cluster = row[2], row[3]
        if person is not None and person not in people:
            continue
        key = (GroupKind.PERSON, person) if person is not None else (GroupKind.CLUSTER, cluster)
        groups.setdefault(key, []).append(row)
    entries = []
    for (kind, group_id), found in groups.items():
        name, hidden = people[group_id] if kind is GroupKind.PERSON else (None, False)
        shown = found if faces_per_entry is None else found[:faces_per_entry]
        entries.append(
            FaceGroup(
                GroupRef(kind, group_id),
                name,
                hidden,
                face_count=len(found),
                photo_count=sum(counts.get(h, 0) for h in {row[1] for row in found}),
                faces=tuple(
                    FaceTile(
                        fid,
                        paths.get(content),
                        left,
                        top,
                        width,
                        height,
                        by,
                        _frame(content, at_ms, rotations),
                    )
                    for fid, content, _, _, left, top, width, height, by, at_ms in shown
                ),
            )
        )
    for pid, (name, hidden) in people.items():  # a person whose faces were all moved away still exists
        if (GroupKind.PERSON, pid) not in groups:
            entries.append(FaceGroup(GroupRef(GroupKind.PERSON, pid), name, hidden, 0, 0, faces=()))
    entries.sort(key=lambda e: (e.kind is not GroupKind.PERSON, -e.face_count, e.name or "", str(e.ref)))
    return entries


def faces_of_group(catalog: Catalog, ref: GroupRef, limit: int) -> list[FaceTile]:
    """The first ``limit`` faces of one person or cluster, most confident first, as ``overview`` lists
    them, without reading every face of the library (the people page's face menus ask on a click)."""
    column = "person_id" if ref.kind is GroupKind.PERSON else "cluster_id"
    rows = catalog.connection().execute(
        "SELECT f.id, f.hash,"
        " (SELECT min(ph.path) FROM photos ph WHERE ph.hash = f.hash AND ph.state = 'ok'),"
        " f.box_left, f.box_top, f.box_width, f.box_height, f.assigned_by, "
        f"{_FACE_FRAME}, (SELECT max(v.rotation) FROM photos v WHERE v.hash = f.hash AND v.media = 'video')"
        f" FROM faces f WHERE f.{column} = ? ORDER BY f.confidence DESC, f.id LIMIT ?",
        (ref.id, limit),
    )
    return [
        FaceTile(
            fid,
            display(from_db(path)) if path is not None else None,
            left,
            top,
            width,
            height,
            by,
            FrameRef(at_ms, rotation) if at_ms is not None else None,
        )
        for fid, _, path, left, top, width, height, by, at_ms, rotation in rows
    ]


def open_suggestions(catalog: Catalog) -> list[FaceQuestion]:
    paths = _photo_paths(catalog)
    rotations = _video_rotations(catalog)
    rows = catalog.connection().execute(
        "SELECT s.face_id, s.person_id, p.name, s.score, f.hash, f.box_left, f.box_top, f.box_width,"
        f" f.box_height, f.assigned_by, {_FACE_FRAME} FROM face_suggestions s"
        " JOIN people p ON p.id = s.person_id JOIN faces f ON f.id = s.face_id"
        " WHERE p.hidden = 0 ORDER BY s.score DESC, s.face_id"
    )
    return [
        FaceQuestion(
            FaceTile(
                fid, paths.get(content), left, top, width, height, by, _frame(content, at_ms, rotations)
            ),
            GroupRef(GroupKind.PERSON, pid),
            name,
            round(score, 3),
        )
        for fid, pid, name, score, content, left, top, width, height, by, at_ms in rows
    ]


def photos_of_person(catalog: Catalog, person_id: int) -> list[str]:
    rows = catalog.connection().execute(
        "SELECT DISTINCT ph.path FROM faces f JOIN photos ph ON ph.hash = f.hash"
        " WHERE f.person_id = ? AND ph.state = 'ok' ORDER BY ph.path",
        (person_id,),
    )
    return [display(from_db(r[0])) for r in rows]


# -- undo ----------------------------------------------------------------------------------------------------
def snapshot(conn: sqlite3.Connection, face_ids: Iterable[int], person_ids: Iterable[int]) -> dict[str, Any]:
    faces = sorted({int(i) for i in face_ids})
    people = sorted({int(i) for i in person_ids})
    data: dict[str, Any] = {"faces": [], "people": [], "rejections": [], "suggestions": []}
    for start in range(0, len(faces), 500):
        chunk = faces[start : start + 500]
        marks = ",".join("?" * len(chunk))
        data["faces"] += conn.execute(
            f"SELECT id, person_id, cluster_id, assigned_by FROM faces WHERE id IN ({marks})", chunk
        ).fetchall()
        data["rejections"] += conn.execute(
            f"SELECT face_id, person_id FROM face_rejections WHERE face_id IN ({marks})", chunk
        ).fetchall()
        data["suggestions"] += conn.execute(
            f"SELECT face_id, person_id, score, created_at FROM face_suggestions WHERE face_id IN ({marks})",
            chunk,
        ).fetchall()
    data["face_ids"] = faces
    for pid in people:
        row = conn.execute(
            "SELECT id, name, hidden, external_user_id, created_at FROM people WHERE id = ?", (pid,)
        ).fetchone()
        data["people"].append(list(row) if row else [pid, None])
    return data


def push_undo(conn: sqlite3.Connection, action: str, description: str, state: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO people_undo (action, description, payload, created_at) VALUES (?, ?, ?, ?)",
        (action, description, json.dumps(state, separators=(",", ":")), now_iso()),
    )


def last_undo_state(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The state ``pop_undo`` would write back next, without writing it."""
    row = conn.execute("SELECT payload FROM people_undo ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else json.loads(row[0])


def last_undo_id(catalog: Catalog) -> int:
    """The newest people action's place in the log (0 when empty): the app's Undo compares it with its
    other changes to take back whichever came last."""
    return int(catalog.scalar("SELECT coalesce(max(id), 0) FROM people_undo") or 0)


def pop_undo(conn: sqlite3.Connection) -> tuple[str, str] | None:
    """Writes back the state saved before the last action; returns (action, description)."""
    row = conn.execute(
        "SELECT id, action, description, payload FROM people_undo ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    undo_id, action, description, payload = row
    state = json.loads(payload)
    for person in state["people"]:
        if person[1] is None:
            continue
        exists = conn.execute("SELECT 1 FROM people WHERE id = ?", (person[0],)).fetchone()
        if exists:  # UPDATE, not REPLACE: a REPLACE deletes first, which would unlink the faces
            conn.execute(
                "UPDATE people SET name = ?, hidden = ?, external_user_id = ?, created_at = ? WHERE id = ?",
                (*person[1:], person[0]),
            )
        else:
            conn.execute(
                "INSERT INTO people (id, name, hidden, external_user_id, created_at) VALUES (?, ?, ?, ?, ?)",
                person,
            )
    conn.executemany(
        "UPDATE faces SET person_id = ?, cluster_id = ?, assigned_by = ? WHERE id = ?",
        [(p, c, by, fid) for fid, p, c, by in state["faces"]],
    )
    ids = [(i,) for i in state["face_ids"]]
    conn.executemany("DELETE FROM face_rejections WHERE face_id = ?", ids)
    conn.executemany("DELETE FROM face_suggestions WHERE face_id = ?", ids)
    conn.executemany(
        "INSERT OR IGNORE INTO face_rejections (face_id, person_id) VALUES (?, ?)", state["rejections"]
    )
    conn.executemany(
        "INSERT OR REPLACE INTO face_suggestions (face_id, person_id, score, created_at) VALUES (?, ?, ?, ?)",
        state["suggestions"],
    )
    for person in state["people"]:
        if person[1] is None:  # created by the action: it goes again
            conn.execute("DELETE FROM people WHERE id = ?", (person[0],))
    conn.execute("DELETE FROM people_undo WHERE id = ?", (undo_id,))
    return action, description


# -- forgetting ----------------------------------------------------------------------------------------------
def forget_faces(conn: sqlite3.Connection, face_ids: Iterable[int]) -> None:
    """Drops what identifies these faces (embedding, service face id, name) but keeps their boxes."""
    ids = [(int(i),) for i in face_ids]
    conn.executemany(
        "UPDATE analyses SET raw = NULL WHERE feature = 'faces'"
        " AND hash = (SELECT hash FROM faces WHERE id = ?)",
        ids,
    )
    conn.executemany(
        "UPDATE faces SET embedding = NULL, external_id = NULL, person_id = NULL, cluster_id = NULL,"
        " assigned_by = NULL WHERE id = ?",
        ids,
    )


def clear_undo(conn: sqlite3.Connection) -> None:
    """The log holds names and ids: forgetting a person must not leave them here."""
    conn.execute("DELETE FROM people_undo")
