"""XMP and IPTC metadata rows: per photo as read, keywords as labels of the content, regions to name.

Sidecars belong to a path, so what was read is kept per photo row (``photo_metadata``,
``photo_regions``). Labels belong to content, so a photo's keywords become ``labels`` rows of its
content hash with backend ``'yours'``: the union of the keywords of every copy of that content.
That one table feeds search, the Labels list and ``photosorter labels``, without a second path.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from photosorter.core.catalog.database import Catalog
from photosorter.core.catalog.paths import from_db
from photosorter.core.records import FaceRegion, Keyword, PhotoMetadata

KEYWORD_BACKEND = "yours"  # labels a user gave in another tool: searchable as labels, said "your keyword"
KEYWORD_CONFIDENCE = 100.0
KEYWORD_CATEGORY = "Your keywords"
REGION_BACKEND = "xmp"  # a named region no detector found a face in: kept as a face of its own


def _keywords_json(keywords: Iterable[Keyword]) -> str:
    return json.dumps([[k.name, list(k.parents)] for k in keywords], ensure_ascii=False)


def _keywords(text: str | None) -> tuple[Keyword, ...]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return ()
    return tuple(Keyword(str(name), tuple(map(str, parents))) for name, parents in value)


def store(
    conn: sqlite3.Connection,
    photo_id: int,
    old_hash: str | None,
    new_hash: str,
    metadata: PhotoMetadata | None,
) -> bool:
    """Replaces what one photo's metadata says (``old_hash`` None: a new photo, nothing to replace) and
    derives its content's 'yours' labels again from every copy; returns True when it has named regions
    to apply. A new photo that is its content's only copy goes through ``store_new`` instead."""
    previous: list[tuple] = []
    if old_hash is not None:
        conn.execute("DELETE FROM photo_metadata WHERE photo_id = ?", (photo_id,))
        previous = conn.execute(
            "SELECT name, box_left, box_top, box_width, box_height, state FROM photo_regions"
            " WHERE photo_id = ? ORDER BY idx",
            (photo_id,),
        ).fetchall()
        conn.execute("DELETE FROM photo_regions WHERE photo_id = ?", (photo_id,))
    if metadata is not None:
        conn.execute(_INSERT_METADATA, _metadata_row(photo_id, metadata))
        if metadata.rating is not None and metadata.rating > 0:
            _seed_ratings(conn, [(photo_id, new_hash, metadata.rating)])
        unchanged = old_hash == new_hash and all(row[5] != "pending" for row in previous)
        same = [tuple(r[:5]) for r in previous] == [
            (r.name, r.left, r.top, r.width, r.height) for r in metadata.regions
        ]
        # a rescan with the same regions must not name faces again the user has renamed since
        state = "pending"
        if unchanged and same and previous:
            state = "waiting" if any(row[5] == "waiting" for row in previous) else "applied"
        conn.executemany(_INSERT_REGION, _region_rows(photo_id, metadata, state))
    refresh_keyword_labels(conn, {h for h in (old_hash, new_hash) if h})
    return metadata is not None and bool(metadata.regions)


_INSERT_METADATA = (
    "INSERT INTO photo_metadata (photo_id, keywords, rating, title, description, sources)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
# another tool's stars seed the photo's rating; one the user set here (even 0) is theirs
_SEED_RATING = (
    "INSERT INTO photo_marks (photo_id, favorite, rating, updated_at)"
    " VALUES (?, 0, ?, datetime('now')) ON CONFLICT (photo_id) DO NOTHING"
)
_INSERT_REGION = (
    "INSERT INTO photo_regions (photo_id, idx, name, box_left, box_top, box_width, box_height, state)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_DELETE_KEYWORD_LABELS = "DELETE FROM labels WHERE hash = ? AND backend = ?"
_MARK_SEARCH_STALE = "INSERT INTO search_stale (hash) VALUES (?)"
_INSERT_LABEL = (
    "INSERT INTO labels (hash, backend, name, confidence, parents, categories) VALUES (?, ?, ?, ?, ?, ?)"
)


def _metadata_row(photo_id: int, metadata: PhotoMetadata) -> tuple:
    return (
        photo_id,
        _keywords_json(metadata.keywords),
        metadata.rating,
        metadata.title,
        metadata.description,
        json.dumps(list(metadata.sources)),
    )


def _region_rows(photo_id: int, metadata: PhotoMetadata, state: str) -> list[tuple]:
    return [
        (photo_id, i, r.name, r.left, r.top, r.width, r.height, state) for i, r in enumerate(metadata.regions)
    ]


def store_new(conn: sqlite3.Connection, photos: Sequence[tuple[int, str, PhotoMetadata]]) -> None:
    """Stores the metadata of new photos, each (photo id, content hash, metadata) the only photo of its
    content, with one statement per table for all of them.

    A first scan of a library is almost all such photos, and per-photo statements cost more there than
    the rows they write. With no other copy, a photo's keywords are its content's 'yours' labels as they
    are: nothing to merge. The caller must not store another copy of one of these contents before this.
    Search needs no mark for these labels (step v16 marks none for 'yours' labels): each photo's row,
    inserted in this transaction, is marked already, and it is its content's only photo.
    """
    if not photos:
        return
    conn.executemany(_INSERT_METADATA, [_metadata_row(pid, m) for pid, _, m in photos])
    _seed_ratings(conn, [(pid, h, m.rating) for pid, h, m in photos if m.rating is not None and m.rating > 0])
    conn.executemany(_INSERT_REGION, [row for pid, _, m in photos for row in _region_rows(pid, m, "pending")])
    # a content's old 'yours' labels with no photo left to hold them are not this photo's keywords
    conn.execute(
        "DELETE FROM labels WHERE backend = ? AND hash IN (SELECT value FROM json_each(?))",
        (KEYWORD_BACKEND, json.dumps([h for _, h, _ in photos])),
    )
    conn.executemany(
        _INSERT_LABEL,
        [
            (content_hash, KEYWORD_BACKEND, name, KEYWORD_CONFIDENCE, _parents_json(parents), _CATEGORIES)
            for _, content_hash, m in photos
            for name, parents in {k.name: k.parents for k in m.keywords}.items()
        ],
    )


_CATEGORIES = json.dumps([KEYWORD_CATEGORY])


def _seed_ratings(conn: sqlite3.Connection, rated: Sequence[tuple[int, str, int]]) -> None:
    """Seeds each (photo id, content hash, stars read) photo's rating. The marks trigger then says the
    content's sidecars are stale, but the stars came from them (or from the photo): nothing to write back."""
    if not rated:
        return
    hashes = {content_hash for _, content_hash, _ in rated}
    stale_before = stale_among(conn, hashes)
    conn.executemany(_SEED_RATING, [(photo_id, min(5, stars)) for photo_id, _, stars in rated])
    _unmark_stale(conn, hashes - stale_before)


def stale_among(conn: sqlite3.Connection, hashes: Iterable[str]) -> set[str]:
    """Those of these contents whose sidecars are marked stale now."""
    rows = conn.execute(
        "SELECT hash FROM sidecar_stale WHERE hash IN (SELECT value FROM json_each(?))",
        (json.dumps(list(hashes)),),
    )
    return {r[0] for r in rows}


def _unmark_stale(conn: sqlite3.Connection, hashes: Iterable[str]) -> None:
    conn.execute(
        "DELETE FROM sidecar_stale WHERE hash IN (SELECT value FROM json_each(?))",
        (json.dumps(list(hashes)),),
    )


def unmark_named_as_read(conn: sqlite3.Connection, hashes: Iterable[str]) -> None:
    """Takes back the stale marks of these contents (marked by naming their faces from the regions read)
    when every name their faces have is a name their photos' regions hold: the sidecars say it already.
    A name given some other way (a cluster mate, propagation) leaves the mark for the sidecar to get it."""
    hashes = list(hashes)
    wanted = json.dumps(hashes)
    named: dict[str, set[str]] = {}
    for content_hash, name in conn.execute(
        "SELECT f.hash, p.name FROM faces f JOIN people p ON p.id = f.person_id"
        " WHERE f.hash IN (SELECT value FROM json_each(?))",
        (wanted,),
    ):
        named.setdefault(content_hash, set()).add(name.casefold())
    held: dict[str, set[str]] = {}
    for content_hash, name in conn.execute(
        "SELECT p.hash, r.name FROM photo_regions r JOIN photos p ON p.id = r.photo_id"
        " WHERE p.hash IN (SELECT value FROM json_each(?))",
        (wanted,),
    ):
        held.setdefault(content_hash, set()).add(name.casefold())
    _unmark_stale(conn, [h for h in hashes if named.get(h, set()) <= held.get(h, set())])


@lru_cache(maxsize=1024)  # a library's keywords share a few hierarchies: encoded once, not once per label
def _parents_json(parents: tuple[str, ...]) -> str:
    return json.dumps(list(parents))


def _put_keyword_labels(
    conn: sqlite3.Connection, content_hash: str, merged: dict[str, list[str]], replace: bool
) -> None:
    if replace:
        conn.execute(_DELETE_KEYWORD_LABELS, (content_hash, KEYWORD_BACKEND))
    conn.executemany(
        _INSERT_LABEL,
        [
            (content_hash, KEYWORD_BACKEND, name, KEYWORD_CONFIDENCE, json.dumps(parents), _CATEGORIES)
            for name, parents in merged.items()
        ],
    )
    if merged:  # inserting 'yours' labels marks nothing (step v16): the content once, for all of them
        conn.execute(_MARK_SEARCH_STALE, (content_hash,))


def refresh_keyword_labels(conn: sqlite3.Connection, hashes: Iterable[str]) -> None:
    """Derives the 'yours' labels of these contents again from their photos' keywords."""
    for content_hash in hashes:
        merged: dict[str, list[str]] = {}
        for (text,) in conn.execute(
            "SELECT m.keywords FROM photo_metadata m JOIN photos p ON p.id = m.photo_id WHERE p.hash = ?"
            " ORDER BY p.id",
            (content_hash,),
        ):
            for keyword in _keywords(text):
                parents = merged.setdefault(keyword.name, [])
                parents += [p for p in keyword.parents if p not in parents]
        current = {
            name: parents
            for name, parents in conn.execute(
                "SELECT name, parents FROM labels WHERE hash = ? AND backend = ?",
                (content_hash, KEYWORD_BACKEND),
            )
        }
        wanted = {name: json.dumps(parents) for name, parents in merged.items()}
        if current == wanted:
            continue  # a rescan that changed nothing leaves the search index alone
        _put_keyword_labels(conn, content_hash, merged, replace=bool(current))


# -- reading ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class StoredMetadata:
    photo_id: int
    keywords: tuple[Keyword, ...]
    rating: int | None
    title: str | None
    description: str | None
    regions: tuple[FaceRegion, ...]
    sources: tuple[str, ...]


def metadata_of(catalog: Catalog, photo_id: int) -> StoredMetadata | None:
    conn = catalog.connection()
    row = conn.execute(
        "SELECT keywords, rating, title, description, sources FROM photo_metadata WHERE photo_id = ?",
        (photo_id,),
    ).fetchone()
    if row is None:
        return None
    regions = tuple(
        FaceRegion(*r)
        for r in conn.execute(
            "SELECT name, box_left, box_top, box_width, box_height FROM photo_regions WHERE photo_id = ?"
            " ORDER BY idx",
            (photo_id,),
        )
    )
    return StoredMetadata(
        photo_id, _keywords(row[0]), row[1], row[2], row[3], regions, tuple(json.loads(row[4]))
    )


# -- regions to faces ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PendingRegion:
    photo_id: int
    idx: int
    content_hash: str
    region: FaceRegion
    looked: bool = False  # some backend finished looking for faces in the content


@dataclass(frozen=True, slots=True)
class DetectedFace:
    id: int
    backend: str
    idx: int
    box: tuple[float, float, float, float]
    person_id: int | None
    person_name: str | None
    assigned_by: str | None


def pending_regions(catalog: Catalog, waiting: bool = True) -> list[PendingRegion]:
    """Regions to apply: new ones, and (``waiting``) those kept waiting whose content's faces have been
    looked for since. A scan changes no analysis, so it asks only for the new ones."""
    looked = (
        "EXISTS (SELECT 1 FROM analyses a WHERE a.hash = p.hash"
        " AND a.feature = 'faces' AND a.status = 'done')"
    )
    states = "('pending', 'waiting')" if waiting else "('pending')"
    rows = catalog.connection().execute(
        f"SELECT * FROM (SELECT r.photo_id, r.idx, p.hash, r.name, r.box_left, r.box_top, r.box_width,"
        f"  r.box_height, r.state, {looked} AS looked"
        f" FROM photo_regions r JOIN photos p ON p.id = r.photo_id"
        f" WHERE r.state IN {states} AND p.hash IS NOT NULL)"
        " WHERE state = 'pending' OR looked ORDER BY hash, photo_id, idx"
    )
    return [PendingRegion(r[0], r[1], r[2], FaceRegion(*r[3:8]), bool(r[9])) for r in rows]


def faces_of(catalog: Catalog, content_hash: str) -> list[DetectedFace]:
    return faces_of_contents(catalog, [content_hash]).get(content_hash, [])


def faces_of_contents(catalog: Catalog, hashes: Iterable[str]) -> dict[str, list[DetectedFace]]:
    """The faces of each of these contents (those with none are left out), in one query: applying the
    regions of a first scan asked once per content before."""
    rows = catalog.connection().execute(
        "SELECT f.hash, f.id, f.backend, f.idx, f.box_left, f.box_top, f.box_width, f.box_height,"
        " f.person_id, p.name, f.assigned_by FROM faces f LEFT JOIN people p ON p.id = f.person_id"
        " WHERE f.hash IN (SELECT value FROM json_each(?)) ORDER BY f.id",
        (json.dumps(list(hashes)),),
    )
    found: dict[str, list[DetectedFace]] = {}
    for r in rows:
        found.setdefault(r[0], []).append(
            DetectedFace(r[1], r[2], r[3], (r[4], r[5], r[6], r[7]), r[8], r[9], r[10])
        )
    return found


def add_region_faces(
    conn: sqlite3.Connection, faces: Sequence[tuple[str, FaceRegion, int, int]]
) -> list[int]:
    """Faces for named regions no detector found (yet), each (content hash, region, idx, person id), born
    named by hand; returns their ids. No embedding, so they never join clustering. ``idx``: unused among
    the content's 'xmp' faces.

    Inserting them marks nothing (step v16): each content is marked stale for search once here, and
    their names are the regions' own, so the sidecars hold them already."""
    if not faces:
        return []
    conn.executemany(
        "INSERT INTO faces (hash, backend, idx, box_left, box_top, box_width, box_height, confidence,"
        " person_id, assigned_by) VALUES (?, ?, ?, ?, ?, ?, ?, 100.0, ?, 'manual')",
        [
            (content_hash, REGION_BACKEND, idx, *_box(region), person)
            for content_hash, region, idx, person in faces
        ],
    )
    # by (hash, backend, idx), unique: the ids in the order asked, in one statement
    ids = [
        row[0]
        for row in conn.execute(
            "SELECT f.id FROM json_each(?) j JOIN faces f ON f.hash = json_extract(j.value, '$[0]')"
            " AND f.backend = ? AND f.idx = json_extract(j.value, '$[1]') ORDER BY j.key",
            (json.dumps([[content_hash, idx] for content_hash, _, idx, _ in faces]), REGION_BACKEND),
        )
    ]
    conn.execute(_MARK_CONTENTS_STALE, (json.dumps(list(dict.fromkeys(f[0] for f in faces))),))
    return ids


_MARK_CONTENTS_STALE = "INSERT INTO search_stale (hash) SELECT value FROM json_each(?)"


def _box(region: FaceRegion) -> tuple[float, float, float, float]:
    return region.left, region.top, region.width, region.height


def delete_face(conn: sqlite3.Connection, face_id: int) -> None:
    conn.execute("DELETE FROM faces WHERE id = ? AND backend = ?", (face_id, REGION_BACKEND))


def mark_regions(conn: sqlite3.Connection, regions: Iterable[PendingRegion], state: str) -> None:
    """'applied', or 'waiting' (a face of its own for now, matched once faces are looked for)."""
    conn.executemany(
        "UPDATE photo_regions SET state = ? WHERE photo_id = ? AND idx = ?",
        [(state, r.photo_id, r.idx) for r in regions],
    )


# -- writing sidecars ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ExportPhoto:
    """What a sidecar of one photo is written from."""

    id: int
    path: str
    hash: str
    width: int  # as displayed
    height: int
    orientation: int | None


def export_photos(catalog: Catalog, photo_ids: Iterable[int] | None = None) -> list[ExportPhoto]:
    """Readable photos (all, or these), in path order."""
    conn = catalog.connection()
    query = (
        "SELECT id, path, hash, width, height, orientation FROM photos"
        " WHERE state = 'ok' AND hash IS NOT NULL"
    )
    if photo_ids is None:
        rows = conn.execute(query + " ORDER BY path")
    else:
        rows = conn.execute(
            query + " AND id IN (SELECT value FROM json_each(?)) ORDER BY path",
            (json.dumps(list(photo_ids)),),
        )
    return [ExportPhoto(r[0], from_db(r[1]), r[2], r[3], r[4], r[5]) for r in rows]


def photo_ids_under(catalog: Catalog, path: str) -> list[int]:
    """Readable photos at ``path`` or below it."""
    root = path.rstrip("/")
    rows = catalog.connection().execute(
        "SELECT id FROM photos WHERE state = 'ok' AND (path = ? OR (path >= ? AND path < ?))",
        (root, root + "/", root + "0"),
    )
    return [r[0] for r in rows]


def labels_for_export(
    catalog: Catalog, content_hash: str, min_confidence: float
) -> tuple[list[Keyword], list[str]]:
    """The user's own keywords and analysis labels at least this confident, once each; and the names of
    those an analyzer gave (not the user)."""
    found: dict[str, Keyword] = {}
    machine: list[str] = []
    for name, backend, confidence, parents in catalog.connection().execute(
        "SELECT name, backend, confidence, parents FROM labels WHERE hash = ?"
        " ORDER BY backend = ? DESC, confidence DESC, name",
        (content_hash, KEYWORD_BACKEND),
    ):
        yours = backend == KEYWORD_BACKEND
        if (not yours and confidence < min_confidence) or name.casefold() in found:
            continue
        keyword_parents: tuple[str, ...] = ()
        if yours:  # a hierarchy the user built; an analyzer's parents are no path
            try:
                keyword_parents = tuple(str(p) for p in json.loads(parents))
            except ValueError:
                keyword_parents = ()
        else:
            machine.append(name)
        found[name.casefold()] = Keyword(name, keyword_parents)
    return list(found.values()), machine


def sidecar_signature(catalog: Catalog, photo_id: int) -> str | None:
    row = catalog.connection().execute("SELECT sidecars FROM photos WHERE id = ?", (photo_id,)).fetchone()
    return row[0] if row else None


def set_sidecars(conn: sqlite3.Connection, photo_id: int, signature: str | None) -> None:
    """After we wrote a sidecar: its new size and mtime are no change the next scan must read."""
    conn.execute("UPDATE photos SET sidecars = ? WHERE id = ?", (signature, photo_id))


def stale_sidecar_contents(catalog: Catalog) -> tuple[list[str], list[int]]:
    """Contents whose sidecars may be out of date, and the readable photos holding them."""
    conn = catalog.connection()
    hashes = [r[0] for r in conn.execute("SELECT hash FROM sidecar_stale")]
    if not hashes:
        return [], []
    rows = conn.execute(
        "SELECT id FROM photos WHERE state = 'ok' AND hash IN (SELECT value FROM json_each(?))",
        (json.dumps(hashes),),
    )
    return hashes, [r[0] for r in rows]


def clear_stale_sidecars(catalog: Catalog, hashes: Iterable[str]) -> None:
    with catalog.transaction() as conn:
        conn.executemany("DELETE FROM sidecar_stale WHERE hash = ?", [(h,) for h in hashes])
