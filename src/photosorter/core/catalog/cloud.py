"""The cloud library's SQL: uploads waiting for the function, the change feed's cursor, imported items,
and the person items as this device last saw them.

A sync page is one transaction: its results, failures, people and the cursor after it are written
together, so a kill at any moment leaves the page either imported with its cursor or not at all, and
the seq recorded per item makes reading it again (the settle window, a rerun) a no-op.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from photosorter.core.analysis.types import AnalysisResult, Feature
from photosorter.core.analysis.video.timeline import VideoResult
from photosorter.core.catalog import people as people_rows
from photosorter.core.catalog.analysis import write_failure, write_result
from photosorter.core.catalog.database import Catalog
from photosorter.core.catalog.photos import now_iso
from photosorter.core.catalog.video_analysis import write_video_result

_FEATURES = frozenset(f.value for f in Feature)
BACKEND = "rekognition"  # a cloud result is a Rekognition result: stored as the direct backend stores it


@dataclass(frozen=True, slots=True)
class CloudResult:
    """A result the function finished: stored exactly as a direct Rekognition answer."""

    pk: str
    seq: int
    content_hash: str
    result: AnalysisResult
    versions: Mapping[Feature, str]


@dataclass(frozen=True, slots=True)
class CloudVideoResult:
    """A video the function's Rekognition Video jobs finished: stored as a video analyzed here is, with
    when each thing is seen."""

    pk: str
    seq: int
    content_hash: str
    video: VideoResult
    versions: Mapping[Feature, str]


@dataclass(frozen=True, slots=True)
class CloudFailure:
    """An image the function could not analyze: recorded against the content like a direct rejection."""

    pk: str
    seq: int
    content_hash: str
    features: frozenset[Feature]
    versions: Mapping[Feature, str]
    error: str


@dataclass(frozen=True, slots=True)
class CloudPerson:
    """A person named (renamed, merged, split, forgotten) on some device."""

    pk: str
    seq: int
    user_id: str
    name: str
    face_ids: tuple[str, ...]
    deleted: bool


Change = CloudResult | CloudVideoResult | CloudFailure | CloudPerson
Outcome = CloudResult | CloudVideoResult | CloudFailure  # what a result item tells about one content


@dataclass(frozen=True, slots=True)
class PageImport:
    results: int = 0
    failures: int = 0
    people: int = 0
    skipped: int = 0  # already imported at this seq, or about a content this catalog does not hold


@dataclass(frozen=True, slots=True)
class PersonState:
    """A person item's content: what this device holds, or last wrote or read."""

    user_id: str
    name: str
    face_ids: tuple[str, ...]  # sorted
    deleted: bool = False


# -- the feed --------------------------------------------------------------------------------------------
def cursor(catalog: Catalog, library: str) -> int:
    value = catalog.scalar("SELECT cursor FROM cloud_cursors WHERE library = ?", (library,))
    return int(value) if value is not None else 0


def unseen(catalog: Catalog, items: Iterable[tuple[str, int]]) -> set[str]:
    """The keys among ``(pk, seq)`` not yet imported at that seq or later."""
    conn = catalog.connection()
    return {pk for pk, seq in items if (_seen_seq(conn, pk) or -1) < seq}


def imported_seq(catalog: Catalog, pk: str) -> int | None:
    return _seen_seq(catalog.connection(), pk)


def _seen_seq(conn: sqlite3.Connection, pk: str) -> int | None:
    row = conn.execute("SELECT seq FROM cloud_items WHERE pk = ?", (pk,)).fetchone()
    return int(row[0]) if row else None


def held_hashes(catalog: Catalog, hashes: Iterable[str]) -> set[str]:
    """The contents among ``hashes`` this catalog knows a copy of (in any state: an unplugged disk's
    photos get their results too)."""
    conn = catalog.connection()
    return {
        h for h in set(hashes) if conn.execute("SELECT 1 FROM photos WHERE hash = ? LIMIT 1", (h,)).fetchone()
    }


def import_page(catalog: Catalog, library: str, new_cursor: int, changes: Sequence[Change]) -> PageImport:
    """One page of the feed and the cursor after it, in one transaction."""
    results = failures = people = skipped = 0
    with catalog.transaction() as conn:
        for change in changes:
            if (_seen_seq(conn, change.pk) or -1) >= change.seq:
                skipped += 1
                continue
            if isinstance(change, CloudPerson):
                _apply_person(conn, change)
                people += 1
            elif not conn.execute(
                "SELECT 1 FROM photos WHERE hash = ? LIMIT 1", (change.content_hash,)
            ).fetchone():
                # not ours (yet): not recorded, so a run that meets the content looks it up
                skipped += 1
                continue
            else:
                _write(conn, change)
                if isinstance(change, CloudResult | CloudVideoResult):
                    results += 1
                else:
                    failures += 1
            conn.execute(
                "INSERT OR REPLACE INTO cloud_items (pk, seq) VALUES (?, ?)", (change.pk, change.seq)
            )
        conn.execute(
            "INSERT INTO cloud_cursors (library, cursor) VALUES (?, ?)"
            " ON CONFLICT (library) DO UPDATE SET cursor = max(cursor, excluded.cursor)",
            (library, new_cursor),
        )
    return PageImport(results, failures, people, skipped)


def record_result(catalog: Catalog, change: Outcome) -> None:
    """A result looked up by a run (not read from the feed): stored with its seq, so the feed's copy
    of it is skipped."""
    with catalog.transaction() as conn:
        _write(conn, change)
        conn.execute("INSERT OR REPLACE INTO cloud_items (pk, seq) VALUES (?, ?)", (change.pk, change.seq))


def _write(conn: sqlite3.Connection, change: Outcome) -> None:
    done = _done_features(conn, change.content_hash)
    if isinstance(change, CloudVideoResult):
        wanted = change.video.result.features - done
        if wanted:
            result = replace(change.video.result, features=wanted)
            write_video_result(
                conn, change.content_hash, replace(change.video, result=result), change.versions
            )
            if Feature.FACES in wanted:
                _name_matched_faces(conn, change.content_hash)
    elif isinstance(change, CloudResult):
        wanted = change.result.features - done
        if wanted:
            write_result(conn, change.content_hash, replace(change.result, features=wanted), change.versions)
            if Feature.FACES in wanted:
                _name_known_faces(conn, change.content_hash)
    else:
        write_failure(
            conn, change.content_hash, BACKEND, change.features - done, change.versions, change.error
        )
    conn.execute("DELETE FROM cloud_uploads WHERE hash = ?", (change.content_hash,))


def _name_known_faces(conn: sqlite3.Connection, content_hash: str) -> None:
    """Faces of a result arriving after a person item named them (by FaceId) join that person."""
    conn.execute(
        "UPDATE faces SET person_id = (SELECT p.id FROM cloud_person_faces c"
        " JOIN people p ON p.external_user_id = c.user_id WHERE c.face_id = faces.external_id),"
        " assigned_by = 'manual', cluster_id = NULL"
        " WHERE hash = ? AND backend = ? AND person_id IS NULL AND EXISTS (SELECT 1 FROM cloud_person_faces c"
        " JOIN people p ON p.external_user_id = c.user_id WHERE c.face_id = faces.external_id)",
        (content_hash, BACKEND),
    )


def name_matched_faces(catalog: Catalog) -> None:
    """Once per sync: video faces whose matched face got a person since (named here, or by a person item
    this sync read) join that person."""
    with catalog.transaction() as conn:
        _name_matched_faces(conn)


def _name_matched_faces(conn: sqlite3.Connection, content_hash: str | None = None) -> None:
    """A video's faces Rekognition Video matched to a face of the collection (``matched_face_id``) join the
    person that face belongs to, here or in a person item another device wrote; as an automatic match,
    which the user may undo. ``content_hash`` None: every video face still without a person."""
    matched = "json_extract(f.attributes, '$.matched_face_id')"
    rows = conn.execute(
        f"SELECT f.id, coalesce((SELECT o.person_id FROM faces o WHERE o.backend = f.backend"
        f" AND o.external_id = {matched} AND o.person_id IS NOT NULL LIMIT 1),"
        f" (SELECT p.id FROM cloud_person_faces c JOIN people p ON p.external_user_id = c.user_id"
        f" WHERE c.face_id = {matched})) FROM faces f"
        f" WHERE f.backend = ? AND f.person_id IS NULL AND f.external_id IS NULL"
        f" AND (? IS NULL OR f.hash = ?)"
        f" AND f.attributes LIKE '%matched_face_id%' AND {matched} IS NOT NULL",
        (BACKEND, content_hash, content_hash),
    ).fetchall()
    for face_id, person_id in rows:
        rejected = conn.execute(
            "SELECT 1 FROM face_rejections WHERE face_id = ? AND person_id = ?", (face_id, person_id)
        ).fetchone()
        if person_id is not None and rejected is None:  # "not this person" said here stands
            people_rows.assign(conn, [face_id], int(person_id), "auto")


def _done_features(conn: sqlite3.Connection, content_hash: str) -> frozenset[Feature]:
    # a result made here directly (or imported before) is never replaced by the cloud's copy of it
    return frozenset(
        Feature(f)
        for (f,) in conn.execute(
            "SELECT feature FROM analyses WHERE hash = ? AND backend = ? AND status = 'done'",
            (content_hash, BACKEND),
        )
        if f in _FEATURES
    )


# -- uploads waiting for the function -------------------------------------------------------------------
def mark_waiting(catalog: Catalog, content_hash: str, features: Iterable[Feature]) -> None:
    with catalog.transaction() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO cloud_uploads (hash, features, uploaded_at) VALUES (?, ?, ?)",
            (content_hash, ",".join(sorted(f.value for f in features)), now_iso()),
        )


def waiting_hashes(catalog: Catalog) -> set[str]:
    return {h for (h,) in catalog.connection().execute("SELECT hash FROM cloud_uploads")}


def waiting_count(catalog: Catalog) -> int:
    """Visible contents waiting for the cloud library's function."""
    value = catalog.scalar(
        "SELECT count(*) FROM cloud_uploads u"
        " WHERE EXISTS (SELECT 1 FROM photos p WHERE p.hash = u.hash AND p.state = 'ok')"
    )
    return int(value or 0)


# -- people ----------------------------------------------------------------------------------------------
def local_people(catalog: Catalog) -> list[PersonState]:
    """Every person here that is a Rekognition user, with the FaceIds of their faces."""
    conn = catalog.connection()
    faces: dict[int, list[str]] = {}
    for person_id, external in conn.execute(
        "SELECT person_id, external_id FROM faces WHERE person_id IS NOT NULL AND backend = ?"
        " AND external_id IS NOT NULL",
        (BACKEND,),
    ):
        faces.setdefault(person_id, []).append(external)
    return [
        PersonState(user_id, name, tuple(sorted(set(faces.get(person_id, ())))))
        for person_id, name, user_id in conn.execute(
            "SELECT id, name, external_user_id FROM people WHERE external_user_id IS NOT NULL ORDER BY id"
        )
    ]


def known_people(catalog: Catalog) -> dict[str, PersonState]:
    """The person items as this device last wrote or read them."""
    conn = catalog.connection()
    faces: dict[str, list[str]] = {}
    for face_id, user_id in conn.execute("SELECT face_id, user_id FROM cloud_person_faces"):
        faces.setdefault(user_id, []).append(face_id)
    return {
        user_id: PersonState(user_id, name, tuple(sorted(faces.get(user_id, ()))), bool(deleted))
        for user_id, name, deleted in conn.execute("SELECT user_id, name, deleted FROM cloud_people")
    }


def record_people(catalog: Catalog, written: Iterable[tuple[PersonState, str, int]]) -> None:
    """Person items this device wrote: ``(state, pk, seq)``; their seq is recorded as imported too."""
    with catalog.transaction() as conn:
        for state, pk, seq in written:
            _remember_person(conn, state)
            conn.execute("INSERT OR REPLACE INTO cloud_items (pk, seq) VALUES (?, ?)", (pk, seq))


def _remember_person(conn: sqlite3.Connection, state: PersonState) -> None:
    conn.execute(
        "INSERT INTO cloud_people (user_id, name, deleted) VALUES (?, ?, ?) ON CONFLICT (user_id)"
        " DO UPDATE SET name = excluded.name, deleted = excluded.deleted",
        (state.user_id, state.name, int(state.deleted)),
    )
    conn.execute("DELETE FROM cloud_person_faces WHERE user_id = ?", (state.user_id,))
    conn.executemany(
        "INSERT OR REPLACE INTO cloud_person_faces (face_id, user_id) VALUES (?, ?)",
        [(face_id, state.user_id) for face_id in sorted(set(state.face_ids))],
    )


def _apply_person(conn: sqlite3.Connection, change: CloudPerson) -> None:
    """Another device's person: the local person with that Rekognition user gets the name and exactly
    the faces (by FaceId) the item lists; a tombstone removes the person here (the faces stay)."""
    _remember_person(conn, PersonState(change.user_id, change.name, change.face_ids, change.deleted))
    row = conn.execute("SELECT id, name FROM people WHERE external_user_id = ?", (change.user_id,)).fetchone()
    if change.deleted:
        if row is not None:
            conn.execute(
                "UPDATE faces SET person_id = NULL, assigned_by = NULL WHERE person_id = ?", (row[0],)
            )
            people_rows.delete_person(conn, row[0])
        return
    if row is None:
        same_name = conn.execute(
            "SELECT id, external_user_id FROM people WHERE name = ?", (change.name,)
        ).fetchone()
        if same_name is not None and same_name[1] is None:
            person_id = int(same_name[0])  # named the same here before any sync: one person
        else:
            name = change.name if same_name is None else f"{change.name} ({change.user_id[-8:]})"
            person_id = people_rows.create_person(conn, name)
        people_rows.set_user_id(conn, person_id, change.user_id)
    else:
        person_id = int(row[0])
        taken = conn.execute(
            "SELECT 1 FROM people WHERE name = ? AND id != ?", (change.name, person_id)
        ).fetchone()
        if row[1] != change.name and taken is None:
            people_rows.rename_person(conn, person_id, change.name)
    wanted = set(change.face_ids)
    held = conn.execute("SELECT id, external_id FROM faces WHERE person_id = ?", (person_id,)).fetchall()
    for face_id, external in held:
        if external not in wanted:  # split away (or moved) on the other device
            people_rows.unassign(conn, face_id, None)
    ids = sorted(wanted - {external for _, external in held})
    for start in range(0, len(ids), 500):  # under SQLite's limit of parameters per statement
        chunk = ids[start : start + 500]
        found = conn.execute(
            f"SELECT id FROM faces WHERE backend = ? AND external_id IN ({','.join('?' * len(chunk))})",
            (BACKEND, *chunk),
        )
        people_rows.assign(conn, [face_id for (face_id,) in found], person_id, "manual")
