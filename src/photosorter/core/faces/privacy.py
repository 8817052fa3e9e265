"""Forgetting: a person, or every face we know of.

Locally: embeddings, service face ids, names, suggestions, rejections and the undo
log (which holds names) go; face boxes stay, so a photo still shows "a face here".
Faces indexed into Rekognition are deleted there too (the person's faces, or the
whole collection). With the local backend nothing is sent anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping

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


def forget_all(catalog: Catalog, services: Mapping[str, FaceService] | None = None) -> None:
    """Forgets all face data: every name and embedding here, and the face collection in Rekognition."""
    services = default_services() if services is None else services
    backends = set(rows.face_backends(catalog))
    for backend, service in services.items():
        if backend in backends or backend != "local":
            service.forget_all()
    with catalog.transaction() as conn:
        views.forget_everything(conn)
