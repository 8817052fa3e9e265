"""A photo's metadata from every place it can be: sidecars, embedded XMP, IPTC-IIM.

Precedence, field by field (the first source that has a field gives all of it):
``IMG_1.jpg.xmp`` > ``IMG_1.xmp`` > XMP embedded in the photo > IPTC-IIM keywords (JPEG).
A sidecar is newer than the photo by nature (tools write it when the photo cannot be changed),
and the name with the extension wins over the short one because the short one may belong to a
RAW file of the same name too (``IMG_1.CR2`` + ``IMG_1.jpg``, as Lightroom and darktable keep them).

Never raises for the file's content: what cannot be read becomes a per-file warning.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from PIL import Image, IptcImagePlugin

from photosorter.core.records import FaceRegion, Keyword, PhotoMetadata
from photosorter.core.xmp.geometry import ASPECT_TOLERANCE, stored_to_displayed
from photosorter.core.xmp.parse import MAX_PACKET_BYTES, XmpError, XmpFields, clean_name, parse_packet

SIDECAR_SUFFIX = ".xmp"

# Sidecars parsed ahead of their photos (``parse_sidecars``), by path: each one's fields, or why not
ParsedSidecars = Mapping[str, XmpFields | XmpError]


def sidecar_names(photo_name: str) -> tuple[str, str]:
    """The two sidecar names of a photo, the winner first: ``IMG_1.jpg.xmp`` and ``IMG_1.xmp``."""
    dot = photo_name.rfind(".")
    # os.path.splitext's rule for a bare name, without its cost (called per photo by a no-change rescan):
    # the extension starts at the last dot, unless only dots come before it (".hidden" has none)
    stem = photo_name[:dot] if dot > 0 and photo_name[:dot].strip(".") else photo_name
    return photo_name + SIDECAR_SUFFIX, stem + SIDECAR_SUFFIX


def is_sidecar(name: str) -> bool:
    return name.lower().endswith(SIDECAR_SUFFIX)


# the fields merged, in the order ``sources`` names where they came from
_MERGED = ("keywords", "rating", "title", "description", "regions")


@dataclass(frozen=True, slots=True)
class _Source:
    label: str
    fields: XmpFields


def embedded_xmp(image: Image.Image) -> bytes | None:
    """The XMP packet Pillow found in a JPEG, PNG, WebP, TIFF or HEIF (pillow-heif) file."""
    for key in ("xmp", "XML:com.adobe.xmp"):
        value = image.info.get(key)
        if value:
            return value.encode("utf-8") if isinstance(value, str) else bytes(value)
    tags = getattr(image, "tag_v2", None)  # TIFF keeps XMP in tag 700
    if tags is not None and (value := tags.get(700)):
        return value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return None


def iptc_keywords(image: Image.Image) -> tuple[Keyword, ...] | None:
    """IPTC-IIM 2:25 keywords of a JPEG: UTF-8 when they decode as such, else Latin-1 (older tools)."""
    if image.format != "JPEG":
        return None
    try:
        info = IptcImagePlugin.getiptcinfo(image)
    except Exception:  # a malformed APP13 block is no reason to lose the photo
        return None
    if not info:
        return None
    values = info.get((2, 25))
    if values is None:
        return None
    if isinstance(values, bytes):
        values = [values]
    found: dict[str, Keyword] = {}
    for raw in values:
        try:
            text = raw.decode("utf-8")  # 1:90 says UTF-8 in new files; old ones are Latin-1 and fail this
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        name = clean_name(text)
        if name:
            found.setdefault(name.casefold(), Keyword(name))
    return tuple(found.values()) or None


def _read_sidecar(path: str) -> bytes:
    """The sidecar's bytes, at most one over the packet limit (so that parsing can say it is too big).

    Sized by the file: a read of up to the limit maps and unmaps a 4 MB buffer per sidecar (about four
    times the CPU of this read in a scan's reading threads). Read-only, four system calls."""
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        size = os.fstat(handle).st_size
        limit = min(size, MAX_PACKET_BYTES) + 1
        data = os.read(handle, limit)
        # a local disk returns it all at once; a network file system may return less
        while len(data) < min(size, limit) and (chunk := os.read(handle, limit - len(data))):
            data += chunk
    finally:
        os.close(handle)
    return data


def parse_sidecar(path: str) -> XmpFields:
    """One sidecar's fields; raises XmpError (its content) or OSError (reading it)."""
    return parse_packet(_read_sidecar(path))


def parse_sidecars(paths: list[str]) -> ParsedSidecars:
    """Many photos' sidecars parsed in a row, for ``read_metadata``: between two photos' images a
    sidecar's parse costs about twice its CPU (the decoders have pushed the parser's code and data out
    of the CPU's caches), one after another it does not. A sidecar that cannot be read is left out, for
    ``read_metadata`` to meet again and report."""
    parsed: dict[str, XmpFields | XmpError] = {}
    for path in paths:
        try:
            parsed[path] = parse_sidecar(path)
        except XmpError as problem:
            parsed[path] = problem
        except OSError:
            pass
    return parsed


def read_metadata(
    image: Image.Image,
    sidecars: tuple[str, ...],
    stored_size: tuple[int, int],
    orientation: int | None,
    parsed: ParsedSidecars | None = None,
) -> tuple[PhotoMetadata, tuple[str, ...]]:
    """Merges every source; returns the metadata and the per-file warnings (bad XML, odd regions).

    ``sidecars`` are existing sidecar paths, the winner first, and ``parsed`` those of them parsed
    already (``parse_sidecars``); ``stored_size`` is the image's pixel size as stored (before EXIF
    rotation). Raises only OSError (a sidecar that vanished or cannot be read): the caller decides
    whether that is the machine's fault.
    """
    warnings: list[str] = []
    sources: list[_Source] = []
    for path in sidecars:
        label = os.path.basename(path)
        fields = parsed.get(path) if parsed else None
        try:
            if fields is None:
                fields = parse_sidecar(path)
            elif isinstance(fields, XmpError):
                raise fields
            sources.append(_Source(label, fields))
        except XmpError as problem:
            warnings.append(f"sidecar {label}: {problem}")
    packet = embedded_xmp(image)
    if packet:
        try:
            sources.append(_Source("embedded XMP", parse_packet(packet)))
        except XmpError as problem:
            warnings.append(f"embedded XMP: {problem}")
    # IPTC gives only keywords, and comes last: behind a packet with keywords it would give nothing, and
    # reading its block costs as much as the rest of this function (about 60 us a photo)
    if all(s.fields.keywords is None for s in sources) and (keywords := iptc_keywords(image)):
        sources.append(_Source("IPTC keywords", XmpFields(keywords=keywords)))
    # each field from the first source that has it, in one pass over the sources
    picked: dict[str, tuple[str, object]] = {}
    for source in sources:
        fields = source.fields
        warnings += [f"{source.label}: {w}" for w in fields.warnings]
        for attribute in _MERGED:
            if attribute not in picked and (value := getattr(fields, attribute)) is not None:
                picked[attribute] = (source.label, value)
    values = {attribute: value for attribute, (_, value) in picked.items()}
    used = tuple(dict.fromkeys(picked[a][0] for a in _MERGED if a in picked))  # in field order, once each
    regions = ()
    if values.get("regions"):
        regions = _displayed_regions(
            values["regions"], stored_size, orientation, picked["regions"][0], warnings
        )
    metadata = PhotoMetadata(
        keywords=values.get("keywords") or (),
        rating=values.get("rating"),
        title=values.get("title"),
        description=values.get("description"),
        regions=regions,
        sources=used,
    )
    return metadata, tuple(warnings)


def _displayed_regions(
    raw: tuple, stored_size: tuple[int, int], orientation: int | None, label: str, warnings: list[str]
) -> tuple[FaceRegion, ...]:
    width, height = stored_size
    found: list[FaceRegion] = []
    for region in raw:
        turn = orientation
        if region.applied_to is not None:
            applied_w, applied_h = region.applied_to
            if abs(applied_w / applied_h - width / height) <= ASPECT_TOLERANCE * width / height:
                pass  # drawn on the image as stored, as MWG says: undo the EXIF rotation below
            elif orientation in (5, 6, 7, 8) and abs(applied_w / applied_h - height / width) <= (
                ASPECT_TOLERANCE * height / width
            ):
                turn = 1  # the writer measured the image as displayed (some tools do): already turned
            else:
                warnings.append(
                    f"{label}: face region {region.name!r} was drawn on a {applied_w:g}x{applied_h:g} image,"
                    f" this one is {width}x{height}: ignored"
                )
                continue
        left, top, right, bottom = (
            region.left,
            region.top,
            region.left + region.width,
            region.top + region.height,
        )
        if region.width <= 0 or region.height <= 0 or right <= 0 or bottom <= 0 or left >= 1 or top >= 1:
            warnings.append(f"{label}: face region {region.name!r} lies outside the image: ignored")
            continue
        left, top, right, bottom = max(0.0, left), max(0.0, top), min(1.0, right), min(1.0, bottom)
        box = stored_to_displayed((left, top, right - left, bottom - top), turn)
        found.append(FaceRegion(region.name, *box))
    return tuple(found)
