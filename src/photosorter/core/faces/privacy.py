"""Forgetting: a person, or every face we know of.

Forgetting a person: their faces' embeddings, service face ids and name go, with the
undo log (which holds names); the boxes stay, so a photo still shows "a face here".
Forgetting all faces: every face row (box, embedding, attributes such as age and
gender), person and derived search term goes, and the faces analysis is not run again
on its own: only when the user asks (``analyze --refresh``, or ``analyze_faces_again``). Faces indexed into
Rekognition are deleted there too (the person's faces, or the whole collection).
With the local backend nothing is sent anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from photosorter.core.catalog import people as rows
from photosorter.core.catalog import people_views as views
from photosorter.core.catalog.database import Catalog
from photosorter.core.faces.clustering import default_services
from photosorter.core.faces.naming import person
from photosorter.core.faces.service import FaceService


def forget(catalog: Catalog, ref: str | int, services: Mapping[str, FaceService] | None = None) -> int:
    """Forgets one person and what identifies their faces; returns how many faces were forgotten."""
    services = default_services() if services is None else services
    found = person(catalog, ref)
    faces = rows.person_faces(catalog, found.id)
    for backend, service in services.items():
        remote = [f.external_id for f in faces if f.backend == backend and f.external_id]
        if remote:  # remote first: if it fails, the local ids are still there to retry with
            service.forget_faces(remote)
        if found.external_user_id:  # the (now empty) user goes too
            service.delete_user(found.external_user_id)
    with catalog.transaction() as conn:
        views.forget_faces(conn, [f.id for f in faces])
        rows.delete_person(conn, found.id)
        views.clear_undo(conn)
    return len(faces)


def forget_all(catalog: Catalog, services: Mapping[str, FaceService] | None = None) -> ForgottenFaces:
    """Forgets all face data: every face, name and embedding here, and the face collection in
    Rekognition (remote first: if that fails, nothing here is gone and the user can try again)."""
    services = default_services() if services is None else services
    backends = set(rows.face_backends(catalog))
    remote = []
    for backend, service in services.items():
        if backend in backends or backend != "local":
            service.forget_all()
            if backend != "local":
                remote.append(backend)
    with catalog.transaction() as conn:
        local = rows.forget_all_faces(conn)
    return ForgottenFaces(local.faces, local.photos, local.people, tuple(remote))


def analyze_faces_again(catalog: Catalog) -> int:
    """After forgetting, faces are found again only when the user asks: this makes every photo's
    faces analysis pending for the next analysis run. Returns how many photos that is."""
    with catalog.transaction() as conn:
        return rows.allow_face_analysis_again(conn)


@dataclass(frozen=True, slots=True)
class ForgottenFaces:
    """What forgetting all faces deleted, here and at the analysis services."""

    faces: int
    photos: int
    people: int
    services: tuple[str, ...]  # backends whose stored faces were deleted too (the Rekognition collection)

    def describe(self) -> str:
        what = f"Deleted {self.faces:,} face{'s' if self.faces != 1 else ''} on {self.photos:,} photo"
        what += "s" if self.photos != 1 else ""
        what += f" and {self.people:,} {'person' if self.people == 1 else 'people'}"
        if "rekognition" in self.services:
            what += ", and the face collection in Amazon Rekognition"
        return what + (
            ". Faces are not looked for again unless you ask"
            " (photosorter analyze --features faces --refresh)."
        )
