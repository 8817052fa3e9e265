"""``photosorter xmp write``: one XMP sidecar per photo with what we know, for other tools to read.

Never the photo itself: the sidecar that wins on reading (``IMG_1.jpg.xmp``, else an existing
``IMG_1.xmp``, else a new ``IMG_1.jpg.xmp``) is merged into (see write.py) and replaced
atomically. A sidecar that changed since the last scan is left alone until a scan has read it, so
nothing the user added in another tool is lost.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from photosorter.core.catalog import metadata as meta
from photosorter.core.catalog.database import Catalog
from photosorter.core.catalog.marks import marks_of
from photosorter.core.catalog.paths import display
from photosorter.core.errors import environment_fault
from photosorter.core.imaging import write_atomically
from photosorter.core.jobs import CancelToken, Job, Progress, run_to_end
from photosorter.core.records import FaceRegion
from photosorter.core.scan_walk import find_sidecars, sidecars_in
from photosorter.core.xmp.geometry import displayed_to_stored, overlap
from photosorter.core.xmp.parse import MAX_PACKET_BYTES, XmpError
from photosorter.core.xmp.write import PARTS, SidecarFields, merge_sidecar, new_sidecar

LABEL_MIN_CONFIDENCE = 80.0  # analysis labels less sure than this stay out of other tools' keywords


@dataclass(frozen=True, slots=True)
class SidecarMarks:
    rating: int  # 0 = not rated, -1 rejected, 1..5
    favorite: bool


def marks_for_sidecars(catalog: Catalog, photo_ids: Iterable[int]) -> dict[int, SidecarMarks]:
    """The rating and favourite each photo's sidecar gets: the ONE place they are read for writing.

    The photo's own marks (``catalog.marks``: the user's, or seeded at scan by the file's xmp:Rating);
    a photo without marks keeps the sidecar's rating as it is.
    """
    return {pid: SidecarMarks(m.rating, m.favorite) for pid, m in marks_of(catalog, photo_ids).items()}


def sidecar_rating(marks: SidecarMarks | None) -> int | None:
    """xmp:Rating to write; None leaves the file's own. A favourite without stars is written as 5 stars,
    the convention of tools without a favourite field (Apple Photos exports, Immich, Google Takeout)."""
    if marks is None:
        return None
    if marks.rating:
        return marks.rating
    return 5 if marks.favorite else None


@dataclass(slots=True)
class XmpWriteReport:
    written: int = 0
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (photo, why)
    sidecars: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "written": self.written,
            "unchanged": self.unchanged,
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            "sidecars": self.sidecars,
        }


def sidecar_fields(
    catalog: Catalog, photo: meta.ExportPhoto, marks: SidecarMarks | None, min_confidence: float
) -> SidecarFields:
    keywords, machine = meta.labels_for_export(catalog, photo.hash, min_confidence)
    turned = photo.orientation in (5, 6, 7, 8)
    stored_size = (photo.height, photo.width) if turned else (photo.width, photo.height)
    regions: list[FaceRegion] = []  # turned back to the image as stored
    kept: list[tuple[str, tuple[float, float, float, float]]] = []
    for face in meta.faces_of(catalog, photo.hash):
        if face.person_name is None:
            continue
        # the same person found by two backends (local and Rekognition) is one region
        if any(name == face.person_name and overlap(box, face.box) > 0.5 for name, box in kept):
            continue
        kept.append((face.person_name, face.box))
        regions.append(FaceRegion(face.person_name, *displayed_to_stored(face.box, photo.orientation)))
    return SidecarFields(tuple(keywords), tuple(machine), sidecar_rating(marks), tuple(regions), stored_size)


def _write_file(target: str, data: bytes) -> None:
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o644  # as other tools write sidecars (os.umask cannot be read without setting it)
    write_atomically(Path(target), data, mode)


def write_sidecars(
    catalog: Catalog,
    photo_ids: Iterable[int] | None,
    parts: Iterable[str] = PARTS,
    cancel: CancelToken | None = None,
    min_confidence: float = LABEL_MIN_CONFIDENCE,
) -> Job:
    """Generator: yields Progress, returns an XmpWriteReport. Raises EnvironmentFault on a full disk."""
    cancel = cancel or CancelToken()
    parts = tuple(parts)
    photos = meta.export_photos(catalog, photo_ids)
    marks = marks_for_sidecars(catalog, [p.id for p in photos])
    report = XmpWriteReport()
    yield Progress(0, len(photos), "Writing XMP sidecars")
    for done, photo in enumerate(photos, 1):
        cancel.check()
        _write_one(catalog, photo, marks.get(photo.id), parts, min_confidence, report)
        if done % 50 == 0 or done == len(photos):
            yield Progress(done, len(photos), "Writing XMP sidecars")
    return report


def _write_one(
    catalog: Catalog,
    photo: meta.ExportPhoto,
    marks: SidecarMarks | None,
    parts: tuple[str, ...],
    min_confidence: float,
    report: XmpWriteReport,
) -> None:
    folder, name = os.path.split(photo.path)
    found, signature = find_sidecars(name, sidecars_in(folder))
    shown = display(photo.path)
    if signature != meta.sidecar_signature(catalog, photo.id):
        report.skipped.append(
            (shown, "its sidecar changed since the last scan: scan first, so none of it is lost")
        )
        return
    target = found[0] if found else photo.path + ".xmp"
    fields = sidecar_fields(catalog, photo, marks, min_confidence)
    try:
        if found:
            existing = Path(target).read_bytes()
            if len(existing) > MAX_PACKET_BYTES:
                raise XmpError("the sidecar is over 4 MB")
            data = merge_sidecar(existing, fields, parts)
        else:
            existing = None
            if not fields.parts_with_values(parts):
                report.unchanged += 1
                return
            data = new_sidecar(fields, parts)
        if data == existing:
            report.unchanged += 1
            return
        _write_file(target, data)
    except XmpError as problem:
        report.skipped.append((shown, f"{os.path.basename(target)} left as it is: {problem}"))
        return
    except OSError as error:
        if fault := environment_fault(error, target):
            raise fault from error
        report.skipped.append((shown, f"cannot write {os.path.basename(target)}: {error.strerror or error}"))
        return
    report.written += 1
    report.sidecars.append(display(target))
    _, after = find_sidecars(name, sidecars_in(folder))
    with catalog.transaction() as conn:
        # what we wrote is no change the next scan must read again
        meta.set_sidecars(conn, photo.id, after)


def sync_sidecars(catalog: Catalog, parts: Iterable[str] = PARTS) -> XmpWriteReport:
    """ "Keep XMP sidecars up to date": rewrites the sidecars of photos whose labels or named faces
    changed since the last sync (the catalog marks them as they change, whoever changed them)."""
    hashes, photo_ids = meta.stale_sidecar_contents(catalog)
    if not hashes:
        return XmpWriteReport()
    report = run_to_end(write_sidecars(catalog, photo_ids, parts))
    # a photo skipped (its sidecar changed since the scan) is marked again when the scan reads it
    meta.clear_stale_sidecars(catalog, hashes)
    return report
