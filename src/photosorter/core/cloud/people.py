"""People across devices: this device's changes to named people become ``person#<user_id>`` items.

A named person with faces in the shared collection is a Rekognition user (``people.external_user_id``,
made by the rekognition face service); its item holds the name and the FaceIds of its faces. Rather
than hooking every action (name, rename, merge, split, move, undo, forget), the publisher compares
each person with the item as this device last wrote or read it (``cloud_people``) and writes what
differs, with ``seq = now``: whatever changed a person, the change goes out once, and an item just
read from another device is not echoed back. A person gone here (merged away, forgotten, undone)
becomes a tombstone (``deleted``). FaceIds of photos this device does not hold are kept in the
item: not having a photo is not taking its face away.
"""

from __future__ import annotations

from photosorter.cloud_function import items
from photosorter.core.catalog import Catalog
from photosorter.core.catalog import cloud as cloud_rows
from photosorter.core.catalog.people import all_external_face_ids
from photosorter.core.cloud.library import CloudLibrary


def publish(catalog: Catalog, library: CloudLibrary) -> int:
    """Writes the person items that differ from what this device holds; returns how many."""
    known = cloud_rows.known_people(catalog)
    here = set(all_external_face_ids(catalog, cloud_rows.BACKEND))
    local = {person.user_id: person for person in cloud_rows.local_people(catalog)}
    changed: list[cloud_rows.PersonState] = []
    for user_id, person in local.items():
        before = known.get(user_id)
        if before is not None and not before.deleted:
            elsewhere = {f for f in before.face_ids if f not in here}  # faces of photos not on this device
            if person.name == before.name and set(person.face_ids) == set(before.face_ids) - elsewhere:
                continue
            person = cloud_rows.PersonState(
                user_id, person.name, tuple(sorted(set(person.face_ids) | elsewhere))
            )
        changed.append(person)
    for user_id, before in known.items():
        if user_id not in local and not before.deleted:
            changed.append(cloud_rows.PersonState(user_id, before.name, (), deleted=True))
    return _write(catalog, library, changed)


def forget_everyone(catalog: Catalog, library: CloudLibrary) -> int:
    """ "Delete all face data": every person item this device knows becomes a tombstone, so the other
    devices forget the names at their next sync. Returns how many."""
    gone = [
        cloud_rows.PersonState(user_id, before.name, (), deleted=True)
        for user_id, before in cloud_rows.known_people(catalog).items()
        if not before.deleted
    ]
    return _write(catalog, library, gone)


def _write(catalog: Catalog, library: CloudLibrary, people: list[cloud_rows.PersonState]) -> int:
    written = []
    try:
        for person in people:
            seq = items.now_us()
            library.put_person(
                items.PersonItem(person.user_id, person.name, person.face_ids, seq, person.deleted)
            )
            written.append((person, items.person_pk(person.user_id), seq))
    finally:  # what was written is recorded even when a later write fails
        cloud_rows.record_people(catalog, written)
    return len(written)
