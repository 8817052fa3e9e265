"""Keeping a backend's own people (Rekognition users) in step with what is done to people here.

A named person may be a user of the backend (``people.external_user_id``) holding
that person's faces. When faces leave a person (split, move, undo) they leave the
user too (``release_faces``: DisassociateFaces); a person that goes away (merged
into another, forgotten, or undone) takes its user along (``delete_user``); people
that gain faces learn them through ``sync`` (``sync_person``: CreateUser,
AssociateFaces). With the local backend every call is a no-op, so nothing is sent.

Callers tell the backend before changing the catalog: if the backend fails, the
catalog is unchanged and the action can be retried; if the catalog write fails
after the backend answered, the next sync puts the backend right again (a user
that is gone is created anew under the same id).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from photosorter.core.catalog import people as rows
from photosorter.core.catalog.database import Catalog
from photosorter.core.faces.service import FaceService


def release(
    services: Mapping[str, FaceService], faces: Iterable[rows.FaceRow], users: Mapping[int, str]
) -> None:
    """Each face leaves the user of the person it is recorded with in ``faces``."""
    held: dict[tuple[str, str], list[str]] = {}
    for face in faces:
        user = users.get(face.person_id) if face.person_id is not None else None
        if user and face.external_id and face.backend in services:
            held.setdefault((face.backend, user), []).append(face.external_id)
    for (backend, user), ids in held.items():
        services[backend].release_faces(user, ids)


def delete_users(services: Mapping[str, FaceService], user_ids: Iterable[str | None]) -> None:
    """Users of people that are gone; their faces stay in the collection, unassociated."""
    for user in dict.fromkeys(u for u in user_ids if u):
        for service in services.values():
            service.delete_user(user)


def sync(catalog: Catalog, service: FaceService, refs: rows.FaceSet) -> None:
    """Backends with their own notion of people learn who is who among ``refs`` (faces of people)."""
    users = rows.user_ids(catalog)
    for person_id in np.unique(refs.person).tolist():
        ids = [
            e for e, p in zip(refs.external_ids, refs.person.tolist(), strict=True) if p == person_id and e
        ]
        user = service.sync_person(person_id, users.get(person_id), ids)
        if user is not None and user != users.get(person_id):
            with catalog.transaction() as conn:
                rows.set_user_id(conn, person_id, user)


def sync_people(catalog: Catalog, services: Mapping[str, FaceService], person_ids: Iterable[int]) -> None:
    wanted = np.asarray(sorted(set(person_ids)), np.int64)
    if not len(wanted):
        return
    for backend, service in services.items():
        everyone = rows.face_set(catalog, backend)
        refs = everyone.take(np.isin(everyone.person, wanted))
        if len(refs):
            sync(catalog, service, refs)


def after_undo(
    catalog: Catalog,
    services: Mapping[str, FaceService],
    before: Iterable[rows.FaceRow],
    users_before: Mapping[int, str],
) -> None:
    """An undo just rewrote these faces and people: the backend's users follow.

    Faces that changed person leave the old person's user; users no person refers to
    any more are deleted; people that gained faces or got their old user back are synced
    (a user deleted by the undone merge is created again under its id).
    """
    before = list(before)
    now = {f.id: f.person_id for f in rows.faces_by_id(catalog, [f.id for f in before])}
    users_now = rows.user_ids(catalog)
    kept = set(users_now.values())
    moved = [f for f in before if now.get(f.id, f.person_id) != f.person_id]
    release(services, moved, {p: u for p, u in users_before.items() if u in kept})
    delete_users(services, [u for u in users_before.values() if u not in kept])
    gained = {p for p in (now.get(f.id) for f in moved) if p is not None}
    restored = {p for p, u in users_now.items() if users_before.get(p) != u}
    sync_people(catalog, services, gained | restored)
