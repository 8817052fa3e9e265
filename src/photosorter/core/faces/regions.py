"""Named face regions from other tools become named faces here.

A region read at scan is matched to a face a detector found in the same content, by box overlap
(both are fractions of the photo as displayed), and that face is named through ``naming`` as if
the user did it, so its group follows, propagation finds the person in the rest of the library and
Undo takes it back. Scan and analysis may come in either order: until the content's faces were
looked for, a region is kept as a face of its own (backend ``'xmp'``) so the person shows at once;
once faces were looked for, a region that matches a detected face hands its name over and its own
face goes; one that matches none stays a face of its own for good.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import groupby

from photosorter.core.catalog import metadata as meta
from photosorter.core.catalog.database import Catalog
from photosorter.core.faces import naming
from photosorter.core.faces.service import FaceService
from photosorter.core.faces.thresholds import REGION_MIN_OVERLAP
from photosorter.core.records import FaceRegion
from photosorter.core.xmp.geometry import same_face_score

_USER_PLACED = ("manual", "suggestion")  # what automation (and other tools' names) never change


@dataclass(frozen=True, slots=True)
class RegionReport:
    named: int = 0  # detected faces named from regions
    kept: int = 0  # regions kept as faces of their own
    waiting: int = 0  # regions of contents whose faces were not looked for yet


def apply_regions(
    catalog: Catalog,
    services: Mapping[str, FaceService] | Callable[[], Mapping[str, FaceService]] | None = None,
    waiting: bool = True,
) -> RegionReport:
    """Applies the new regions and (``waiting``: after analysis) the waiting ones whose content's faces
    were looked for since; cheap when there are none: one indexed query."""
    pending = meta.pending_regions(catalog, waiting)
    if not pending:
        return RegionReport()
    to_name: list[tuple[int | None, str]] = []  # None: a face of its own, created named by ``naming``
    to_create: list[tuple[str, FaceRegion, int]] = []  # (content, region, idx) of each of those
    applied: list[meta.PendingRegion] = []
    waiting: list[meta.PendingRegion] = []
    kept = 0
    contents = {r.content_hash for r in pending}
    with catalog.transaction() as conn:
        # naming faces from the regions read marks the contents' sidecars stale: those marks are undone
        # below, so only contents stale before (or named some other way) are written back
        stale_before = meta.stale_among(conn, contents)
        # read before any change: each content's changes below touch only its own faces
        faces_by_content = meta.faces_of_contents(catalog, contents)
        for content_hash, group in groupby(pending, key=lambda r: r.content_hash):
            regions = list(group)
            faces = faces_by_content.get(content_hash, [])
            detected = [f for f in faces if f.backend != meta.REGION_BACKEND]
            own = {(f.person_name or "").casefold(): f for f in faces if f.backend == meta.REGION_BACKEND}
            looked = regions[0].looked
            used: set[int] = set()
            next_idx = 1 + max((f.idx for f in faces if f.backend == meta.REGION_BACKEND), default=-1)
            for pending_region in regions:
                region = pending_region.region
                box = (region.left, region.top, region.width, region.height)
                key = region.name.casefold()

                def score(face: meta.DetectedFace, box=box) -> float:
                    return same_face_score(box, face.box, REGION_MIN_OVERLAP)

                best = max((f for f in detected if f.id not in used), key=score, default=None)
                if best is not None and score(best) >= REGION_MIN_OVERLAP:
                    used.add(best.id)
                    if best.assigned_by not in _USER_PLACED:
                        to_name.append((best.id, region.name))
                    if key in own and own[key].assigned_by in _USER_PLACED:
                        meta.delete_face(conn, own.pop(key).id)  # the detected face carries the name now
                    applied.append(pending_region)
                    continue
                if key not in own:
                    idx, next_idx = next_idx, next_idx + 1
                    to_create.append((content_hash, region, idx))
                    # no id yet: this pass only asks whether the content has a face of that name
                    own[key] = meta.DetectedFace(0, meta.REGION_BACKEND, idx, box, None, region.name, None)
                    to_name.append((None, region.name))
                    kept += 1
                (applied if looked else waiting).append(pending_region)
        meta.mark_regions(conn, applied, "applied")
        meta.mark_regions(conn, waiting, "waiting")
    if callable(services):
        services = services() if to_name else None  # built only when there is something to name

    def create(conn, person_ids: list[int]) -> list[int]:
        rows = [
            (h, region, idx, person) for (h, region, idx), person in zip(to_create, person_ids, strict=True)
        ]
        return meta.add_region_faces(conn, rows)

    named = naming.name_faces(
        catalog, to_name, f"name {len(to_name)} faces from XMP face regions", services, create
    )
    with catalog.transaction() as conn:
        meta.unmark_named_as_read(conn, contents - stale_before)
    return RegionReport(named - kept, kept, len(waiting))
