"""What a user does to people: name, rename, merge, split, move, hide, accept, reject, undo.

Every action but reject records the state it changes first, so ``undo`` can put
the last one back. Naming and accepting then propagate: unnamed faces close to
the person are assigned ('auto') or suggested. Faces a user placed ('manual',
'suggestion') are never changed by automation.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from photosorter.core.catalog import people as rows
from photosorter.core.catalog import people_views as views
from photosorter.core.catalog.database import Catalog
from photosorter.core.errors import PhotosorterError
from photosorter.core.faces import users
from photosorter.core.faces.clustering import choose_people, default_services
from photosorter.core.faces.service import FaceService


@dataclass(frozen=True, slots=True)
class NameResult:
    person_id: int
    named: int  # faces of the face's or cluster's group now with this person
    auto_assigned: int
    suggested: int


def _services(services: Mapping[str, FaceService] | None) -> Mapping[str, FaceService]:
    return default_services() if services is None else services


def _clean(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise PhotosorterError("a person's name cannot be empty")
    return name


def person(catalog: Catalog, ref: str | int) -> rows.PersonRow:
    """A person by id (``p3`` or 3) or by name (case-insensitive)."""
    text = str(ref).strip()
    found = None
    if (text[:1] in "pP" and text[1:].isdigit()) or text.isdigit():
        found = rows.person_by_id(catalog, int(text.lstrip("pP")))
    found = found or rows.person_by_name(catalog, text)
    if found is None:
        raise PhotosorterError(f"no person {text!r}")
    return found


def name_face(
    catalog: Catalog, face_id: int, name: str, services: Mapping[str, FaceService] | None = None
) -> NameResult:
    """Names a face and, with it, the rest of its cluster (those become 'auto')."""
    face = rows.face(catalog, face_id)
    mates = rows.cluster_faces(catalog, face.cluster_id) if face.cluster_id is not None else []
    return _name(catalog, [face_id], [m for m in mates if m != face_id], name, services)


def name_cluster(
    catalog: Catalog, cluster_id: int, name: str, services: Mapping[str, FaceService] | None = None
) -> NameResult:
    """Names a whole cluster the user looked at: every face counts as named by hand."""
    faces = rows.cluster_faces(catalog, cluster_id)
    if not faces:
        raise PhotosorterError(f"no unnamed cluster c{cluster_id}")
    return _name(catalog, faces, [], name, services)


def name_faces(
    catalog: Catalog,
    named: list[tuple[int | None, str]],
    description: str,
    services: Mapping[str, FaceService] | None = None,
    insert: Callable[[sqlite3.Connection, list[int]], list[int]] | None = None,
) -> int:
    """Names many faces at once as if the user did each (the names another tool stored with the photos):
    each face's unnamed cluster mates follow, as in ``name_face``. One undo step takes them all back;
    propagation runs once for every person. Returns how many faces were named.

    A face id None is a face to create already named: ``insert(conn, person_ids)`` inserts those, one per
    person id given in their order, as 'manual' faces of those people and returns their ids. One INSERT
    each instead of an insert and then an UPDATE per face (which also marked the face stale twice for
    search); undo leaves them unnamed, as it leaves faces that were there unnamed before."""
    if not named:
        return 0
    cleaned = [(face_id, _clean(name)) for face_id, name in named]
    chosen = {face_id for face_id, _ in cleaned if face_id is not None}
    mates: dict[int, list[int]] = {}
    for face in rows.faces_by_id(catalog, chosen):  # one query: a library's worth of regions at once
        if face.cluster_id is not None:
            mates[face.id] = [m for m in rows.cluster_faces(catalog, face.cluster_id) if m not in chosen]
    with catalog.transaction() as conn:
        names = {name.casefold(): name for _, name in cleaned}
        existing = {key: rows.person_by_name(catalog, name) for key, name in names.items()}
        touched = [
            m for face_id, _ in cleaned if face_id is not None for m in [face_id, *mates.get(face_id, [])]
        ]
        state = views.snapshot(conn, touched, [p.id for p in existing.values() if p is not None])
        people: dict[str, int] = {}
        manual: dict[int, list[int]] = {}
        auto: dict[int, list[int]] = {}
        new_people: list[int] = []  # the person of each face to create, in order
        for face_id, name in cleaned:
            key = name.casefold()
            if key not in people:
                found = existing[key]
                if found is None:
                    people[key] = rows.create_person(conn, name)
                    state["people"].append([people[key], None])  # undo removes the new person
                else:
                    people[key] = found.id
            if face_id is None:
                new_people.append(people[key])
                continue
            manual.setdefault(people[key], []).append(face_id)
            free = [m for m in mates.get(face_id, []) if m not in chosen]
            auto.setdefault(people[key], []).extend(free)
            chosen.update(free)  # a mate of two named faces follows the first
        for person_id, face_ids in manual.items():  # one statement per person, not per face
            rows.assign(conn, face_ids, person_id, "manual")
        for person_id, face_ids in auto.items():
            if face_ids:
                rows.assign(conn, face_ids, person_id, "auto")
        if new_people:
            if insert is None:
                raise ValueError("faces to create (id None) need an insert")
            created = insert(conn, new_people)
            state["faces"] += [[face_id, None, None, None] for face_id in created]  # undo: unnamed
            state["face_ids"] = sorted([*state["face_ids"], *created])
        views.push_undo(conn, "name", description, state)
    propagate(catalog, people.values(), services)
    return len(cleaned)


def _name(
    catalog: Catalog,
    manual: list[int],
    auto: list[int],
    name: str,
    services: Mapping[str, FaceService] | None,
) -> NameResult:
    name = _clean(name)
    existing = rows.person_by_name(catalog, name)
    with catalog.transaction() as conn:
        if existing is None:
            person_id = rows.create_person(conn, name)
            state = views.snapshot(conn, manual + auto, [person_id])
            state["people"] = [[person_id, None]]  # undo removes the new person
        else:
            person_id = existing.id
            state = views.snapshot(conn, manual + auto, [person_id])
        views.push_undo(conn, "name", f"name {len(manual) + len(auto)} faces {name!r}", state)
        rows.assign(conn, manual, person_id, "manual")
        rows.assign(conn, auto, person_id, "auto")
    assigned, suggested = propagate(catalog, [person_id], services)
    return NameResult(person_id, len(manual) + len(auto), assigned, suggested)


def propagate(
    catalog: Catalog, person_ids: Iterable[int], services: Mapping[str, FaceService] | None = None
) -> tuple[int, int]:
    """Matches unnamed clustered faces against these people; returns (auto-assigned, suggested)."""
    wanted = np.asarray(sorted(set(person_ids)), np.int64)
    assigned = suggested = 0
    for backend, service in _services(services).items():
        everyone = rows.face_set(catalog, backend)
        refs = everyone.take(np.isin(everyone.person, wanted))
        if not len(refs):
            continue
        users.sync(catalog, service, refs)
        open_faces = everyone.take((everyone.person < 0) & (everyone.cluster >= 0))
        chosen = choose_people(
            service.match_people(open_faces, refs, rows.user_ids(catalog)),
            open_faces,
            everyone.take(everyone.person >= 0),
            rows.rejections(catalog),
            rows.hidden_people(catalog),
        )
        current = rows.suggested(catalog)
        with catalog.transaction() as conn:
            for match in chosen.values():
                face_id = int(open_faces.ids[match.index])
                if match.band == "auto":
                    rows.assign(conn, [face_id], match.person_id, "auto")
                    assigned += 1
                elif face_id not in current or current[face_id][1] < match.score:
                    rows.put_suggestions(conn, [(face_id, match.person_id, match.score)])
                    suggested += 1
    return assigned, suggested


def rename(catalog: Catalog, ref: str | int, name: str) -> rows.PersonRow:
    found = person(catalog, ref)
    with catalog.transaction() as conn:
        views.push_undo(conn, "rename", f"rename {found.name!r}", views.snapshot(conn, [], [found.id]))
        rows.rename_person(conn, found.id, _clean(name))
    return rows.person_by_id(catalog, found.id)  # type: ignore[return-value]


def merge(
    catalog: Catalog, source: str | int, target: str | int, services: Mapping[str, FaceService] | None = None
) -> rows.PersonRow:
    """Moves every face of ``source`` to ``target`` and removes ``source``."""
    a, b = person(catalog, source), person(catalog, target)
    if a.id == b.id:
        raise PhotosorterError("cannot merge a person with itself")
    services = _services(services)
    users.delete_users(services, [a.external_user_id])  # its faces join b's user in propagate
    with catalog.transaction() as conn:
        faces = rows.face_ids_of_person(catalog, a.id)
        views.push_undo(
            conn, "merge", f"merge {a.name!r} into {b.name!r}", views.snapshot(conn, faces, [a.id, b.id])
        )
        rows.move_person_faces(conn, a.id, b.id)
        rows.delete_person(conn, a.id)
    propagate(catalog, [b.id], services)
    return b


def remove_face(catalog: Catalog, face_id: int, services: Mapping[str, FaceService] | None = None) -> None:
    """Takes a face away from its person (a split): it becomes its own cluster and is never given back.
    A face of an unnamed group becomes a group of its own."""
    face = rows.face(catalog, face_id)
    if face.person_id is None and face.cluster_id is None:
        raise PhotosorterError(f"face {face_id} belongs to no person or group")
    if face.person_id is None:
        with catalog.transaction() as conn:
            views.push_undo(
                conn, "split", f"take face {face_id} out of its group", views.snapshot(conn, [face_id], [])
            )
            rows.unassign(conn, face_id, rows.next_cluster_id(conn))
        return
    users.release(_services(services), [face], rows.user_ids(catalog))
    with catalog.transaction() as conn:
        views.push_undo(conn, "remove", f"remove face {face_id}", views.snapshot(conn, [face_id], []))
        rows.unassign(conn, face_id, rows.next_cluster_id(conn))
        rows.reject(conn, face_id, face.person_id)


def move_face(
    catalog: Catalog, face_id: int, target: str | int, services: Mapping[str, FaceService] | None = None
) -> rows.PersonRow:
    face = rows.face(catalog, face_id)
    dest = person(catalog, target)
    services = _services(services)
    if face.person_id != dest.id:  # it leaves the old person's user; propagate gives it to dest's
        users.release(services, [face], rows.user_ids(catalog))
    with catalog.transaction() as conn:
        views.push_undo(
            conn, "move", f"move face {face_id} to {dest.name!r}", views.snapshot(conn, [face_id], [])
        )
        if face.person_id is not None and face.person_id != dest.id:
            rows.reject(conn, face_id, face.person_id)
        rows.assign(conn, [face_id], dest.id, "manual")
    propagate(catalog, [dest.id], services)
    return dest


def set_hidden(catalog: Catalog, ref: str | int, hidden: bool = True) -> rows.PersonRow:
    found = person(catalog, ref)
    with catalog.transaction() as conn:
        action = "hide" if hidden else "unhide"
        views.push_undo(conn, action, f"{action} {found.name!r}", views.snapshot(conn, [], [found.id]))
        rows.set_hidden(conn, found.id, hidden)
    return rows.person_by_id(catalog, found.id)  # type: ignore[return-value]


def accept(catalog: Catalog, face_id: int, services: Mapping[str, FaceService] | None = None) -> int:
    """Confirms the open suggestion for a face; returns the person id."""
    open_ = rows.suggested(catalog).get(face_id)
    if open_ is None:
        raise PhotosorterError(f"no open suggestion for face {face_id}")
    with catalog.transaction() as conn:
        views.push_undo(conn, "accept", f"accept face {face_id}", views.snapshot(conn, [face_id], []))
        rows.assign(conn, [face_id], open_[0], "suggestion")
    propagate(catalog, [open_[0]], services)
    return open_[0]


def reject(catalog: Catalog, face_id: int) -> int:
    """Says no to the open suggestion for a face: that pair is never suggested again."""
    with catalog.transaction() as conn:
        dropped = rows.drop_suggestion(conn, face_id)
        if dropped is None:
            raise PhotosorterError(f"no open suggestion for face {face_id}")
        rows.reject(conn, face_id, dropped[0])
    return dropped[0]


def undo(catalog: Catalog, services: Mapping[str, FaceService] | None = None) -> str:
    """Puts back the state before the last action; returns what was undone.

    The backend's users follow afterwards (faces leave or rejoin them, users of people
    the undo removed go, a merged-away person's user comes back).
    """
    with catalog.transaction() as conn:
        state = views.last_undo_state(conn)
        if state is None:
            raise PhotosorterError("nothing to undo")
        before = rows.faces_by_id(catalog, state["face_ids"])
        users_before = rows.user_ids(catalog)
        done = views.pop_undo(conn)
    assert done is not None
    users.after_undo(catalog, _services(services), before, users_before)
    return done[1]
