"""Copies of photos for sharing: the originals byte for byte, or resized JPEGs, with or without their
location. Only the copies are written; a photo is only ever read. A job: yields progress, checks its
cancel token between files, and returns what it wrote and what it could not."""

from __future__ import annotations

import errno
import os
import shutil
import struct
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from photosorter.core.catalog import photos as photo_rows
from photosorter.core.catalog.database import Catalog
from photosorter.core.catalog.rotation import rotations
from photosorter.core.errors import PhotosorterError, environment_fault
from photosorter.core.imaging import GPS_IFD, UnreadablePhoto, shared_jpeg, write_atomically
from photosorter.core.jobs import CancelToken, Progress

LONG_SIDES = (1024, 1600, 2048, 3840)  # px: what the export dialog offers
QUALITY_RANGE = (40, 100)


@dataclass(frozen=True, slots=True)
class ExportOptions:
    folder: Path
    long_side: int | None = None  # None: the originals as they are; else a JPEG this long at most
    quality: int = 90  # JPEG quality of a resized copy
    keep_location: bool = True

    def check(self) -> None:
        """A clear message for options that cannot work, before anything is written."""
        if self.long_side is not None and self.long_side < 16:
            raise PhotosorterError(f"a long side of {self.long_side} px is too small (16 px at least)")
        if not QUALITY_RANGE[0] <= self.quality <= QUALITY_RANGE[1]:
            raise PhotosorterError(f"JPEG quality must be from {QUALITY_RANGE[0]} to {QUALITY_RANGE[1]}")
        if self.folder.exists() and not self.folder.is_dir():
            raise PhotosorterError(f"{self.folder} is a file, not a folder")


@dataclass(frozen=True, slots=True)
class ExportItem:
    path: str
    quarter_turns: int = 0  # the user's display rotation: resized copies are turned by it


@dataclass(frozen=True, slots=True)
class ExportFailure:
    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class ExportResult:
    written: tuple[Path, ...]
    failed: tuple[ExportFailure, ...]

    def summary(self) -> str:
        text = f"Exported {len(self.written):,} photo{'s' if len(self.written) != 1 else ''}"
        if self.failed:
            text += f"; {len(self.failed):,} could not be: {self.failed[0].path}: {self.failed[0].reason}"
        return text


def items_for(catalog: Catalog, photo_ids: Sequence[int]) -> list[ExportItem]:
    """The photos to export, in the order given, with the rotations the user chose for them."""
    found = photo_rows.photos_by_ids(catalog, list(photo_ids))
    turns = rotations(catalog, photo_ids)
    return [ExportItem(found[i].path, turns.get(i, 0)) for i in photo_ids if i in found]


def items_for_paths(catalog: Catalog, paths: Sequence[str]) -> list[ExportItem]:
    """Files named on the command line: a photo of the library keeps its display rotation."""
    items = []
    for path in paths:
        photo = photo_rows.photo_by_path(catalog, os.path.abspath(path))
        turns = rotations(catalog, [photo.id]).get(photo.id, 0) if photo else 0
        items.append(ExportItem(os.path.abspath(path), turns))
    return items


def export(
    items: Sequence[ExportItem], options: ExportOptions, cancel: CancelToken | None = None
) -> Generator[Progress, None, ExportResult]:
    """Writes a copy of each item into ``options.folder`` under a name no file there has yet (``a.jpg``,
    ``a (2).jpg``...). A file that cannot be read is skipped and reported; a full or unwritable target
    stops the export with an EnvironmentFault."""
    options.check()
    try:
        options.folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise environment_fault(error, str(options.folder)) or PhotosorterError(
            f"cannot make the folder {options.folder}: {error.strerror or error}"
        ) from error
    written: list[Path] = []
    failed: list[ExportFailure] = []
    taken: set[str] = set()
    total = len(items)
    for done, item in enumerate(items):
        if cancel is not None:
            cancel.check()
        name = os.path.basename(item.path)
        yield Progress(done, total, f"Exporting {name}")
        target = _free_name(options.folder, name if options.long_side is None else _as_jpeg(name), taken)
        try:
            _write_copy(item, options, target)
        except (UnreadablePhoto, OSError, ValueError) as error:
            fault = environment_fault(error, str(target))
            if fault is not None:  # a full or failing disk: every file after this one would fail too
                raise fault from error
            failed.append(ExportFailure(item.path, _reason(error)))
            continue
        written.append(target)
    yield Progress(total, total, "Export finished")
    return ExportResult(tuple(written), tuple(failed))


def _write_copy(item: ExportItem, options: ExportOptions, target: Path) -> None:
    """Through a temporary file in the folder (write_atomically), so a failed copy leaves no half file."""
    if not os.path.isfile(item.path):  # before the decoder, which would call it a damaged image
        raise FileNotFoundError(errno.ENOENT, "no such file", item.path)
    if options.long_side is not None:
        keep = options.keep_location
        write_atomically(
            target, shared_jpeg(item.path, options.long_side, options.quality, item.quarter_turns, keep)
        )
        return
    if options.keep_location:
        data = Path(item.path).read_bytes()
    else:
        data = without_location(Path(item.path).read_bytes(), item.path)
    write_atomically(target, data)
    shutil.copystat(item.path, target)  # the copy keeps the original's dates


def _free_name(folder: Path, name: str, taken: set[str]) -> Path:
    stem, suffix = os.path.splitext(name)
    candidate, n = name, 1
    while candidate.lower() in taken or (folder / candidate).exists():
        n += 1
        candidate = f"{stem} ({n}){suffix}"
    taken.add(candidate.lower())
    return folder / candidate


def _as_jpeg(name: str) -> str:
    return os.path.splitext(name)[0] + ".jpg"


def _reason(error: BaseException) -> str:
    if isinstance(error, FileNotFoundError):
        return "the file is gone"
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return str(error)


# -- location out of an original, without decoding it ---------------------------------------------------
_SOI, _SOS = b"\xff\xd8", 0xDA
_EXIF = b"Exif\x00\x00"
_XMP = b"http://ns.adobe.com/xap/1.0/\x00"


def without_location(data: bytes, name: str) -> bytes:
    """A JPEG's bytes with the GPS block left out of its EXIF and any XMP packet that names a GPS position
    dropped; the image data is copied as it is (no re-encoding). Other formats: a clear error."""
    if not data.startswith(_SOI):
        raise UnreadablePhoto(
            f"{os.path.basename(name)}: only JPEG originals can be copied without their location; "
            "export a resized copy instead"
        )
    out = [_SOI]
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise UnreadablePhoto(f"{os.path.basename(name)}: damaged JPEG structure")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == _SOS or 0xD0 <= marker <= 0xD7:
            out.append(data[pos:])  # the image data and everything after it, untouched
            return b"".join(out)
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        segment = data[pos : pos + 2 + length]
        body = segment[4:]
        if marker == 0xE1 and body.startswith(_EXIF):
            segment = _exif_segment(body)
        elif marker == 0xE1 and body.startswith(_XMP) and b"GPS" in body:
            segment = b""
        out.append(segment)
        pos += 2 + length
    raise UnreadablePhoto(f"{os.path.basename(name)}: the JPEG ends before its image data")


def _exif_segment(body: bytes) -> bytes:
    exif = Image.Exif()
    exif.load(body[len(_EXIF) :])
    if GPS_IFD not in exif:
        return b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    del exif[GPS_IFD]
    new = exif.tobytes()
    return b"\xff\xe1" + struct.pack(">H", len(new) + 2) + new
