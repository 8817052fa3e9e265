"""When a Matroska/WebM or AVI video was recorded, from the few header bytes that say so.

ISO-BMFF files carry their dates in ``mvhd`` and QuickTime keys (isobmff.py). The other containers
we read have one place each:

- Matroska and WebM: ``DateUTC`` (ID 0x4461) in the Segment's ``Info``: a signed 8-byte count of
  nanoseconds since 2001-01-01T00:00:00 UTC (Matroska specification, RFC 9559, section 5.1.2.5).
  ``Info`` comes before the first ``Cluster`` in every file a muxer writes, so the walk stops there
  and never reads the frames.
- AVI: the ``IDIT`` chunk cameras (Canon, Nikon, Fujifilm, Casio, Pentax) write in the ``hdrl`` list,
  the camera's local time as text, usually C's ``ctime`` form ("SAT OCT 22 08:59:31 2011"), sometimes
  EXIF's ("2011:10:22 08:59:31"); else ``ICRD`` in an ``INFO`` list (RIFF's "creation date", often
  only "2011-10-22"). AVI's text has no time zone, like EXIF without an offset.

A header that is damaged or cut short gives no date: the decoder (frames.py) decides whether the file
is readable, and says why when it is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

# Matroska element IDs (kept with their length marker, as the specification writes them)
_EBML_HEADER = 0x1A45DFA3
_SEGMENT = 0x18538067
_INFO = 0x1549A966
_CLUSTER = 0x1F43B675
_DATE_UTC = 0x4461
_MATROSKA_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
_MAX_ELEMENTS = 64  # top-level elements looked at before Info: SeekHead, Void, Tags... never this many
_MAX_INFO_BYTES = 1 << 16  # Info holds a few short fields; larger is damage

_MAX_CHUNKS = 256  # RIFF chunks looked at in a header list, and lists at the top level
_MAX_LIST_BYTES = 1 << 20  # hdrl is a few kB (an OpenDML index can make it larger: not read then)
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}
# "SAT OCT 22 08:59:31 2011", as C's ctime writes it (spelt out by hand: strptime's month names follow the
# locale, and Qt sets it from the user's environment)
_CTIME = re.compile(r"^[A-Z]{3}\s+([A-Z]{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+(\d{4})$")
# "2011:10:22 08:59:31", "2011-10-22T08:59", "2011/10/22", "2011-10-22"
_NUMERIC = re.compile(r"^(\d{4})[:\-/](\d{1,2})[:\-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")


@dataclass(frozen=True, slots=True)
class _Element:
    id: int
    start: int  # file offset of its data
    size: int | None  # None: "unknown size" (a live recording's Segment)


def matroska_date(handle: BinaryIO, size: int) -> datetime | None:
    """The Segment's DateUTC, or None when the file has none (or its header is damaged).

    An unset clock is the caller's to judge; DateUTC 0 (exactly the epoch) is what some muxers write
    for "unknown", so it counts as none."""
    header = _element_at(handle, 0)
    if header is None or header.id != _EBML_HEADER or header.size is None:
        return None
    segment = _element_at(handle, header.start + header.size)
    if segment is None or segment.id != _SEGMENT:
        return None
    end = size if segment.size is None else min(size, segment.start + segment.size)
    position = segment.start
    for _ in range(_MAX_ELEMENTS):
        element = _element_at(handle, position)
        if element is None or element.size is None or element.id == _CLUSTER:
            return None
        if element.id == _INFO:
            return _date_in_info(handle, element) if element.size <= _MAX_INFO_BYTES else None
        position = element.start + element.size
        if position >= end:
            return None
    return None


def _date_in_info(handle: BinaryIO, info: _Element) -> datetime | None:
    assert info.size is not None
    handle.seek(info.start)
    data = handle.read(info.size)
    position = 0
    while position < len(data):
        parsed = _vint(data, position, keep_marker=True)
        if parsed is None:
            return None
        element_id, position = parsed
        parsed = _vint(data, position, keep_marker=False)
        if parsed is None:
            return None
        length, position = parsed
        if element_id == _DATE_UTC:
            if length != 8 or position + 8 > len(data):
                return None
            nanoseconds = int.from_bytes(data[position : position + 8], "big", signed=True)
            if nanoseconds == 0:
                return None
            try:
                return _MATROSKA_EPOCH + timedelta(microseconds=nanoseconds // 1000)
            except OverflowError:
                return None
        position += length
    return None


def _element_at(handle: BinaryIO, offset: int) -> _Element | None:
    handle.seek(offset)
    head = handle.read(12)  # a 4-byte ID and an 8-byte size at most
    parsed = _vint(head, 0, keep_marker=True)
    if parsed is None:
        return None
    element_id, position = parsed
    width = _width(head, position)
    parsed = _vint(head, position, keep_marker=False)
    if parsed is None or width is None:
        return None
    length, end = parsed
    unknown = length == (1 << (7 * width)) - 1  # every value bit set
    return _Element(element_id, offset + end, None if unknown else length)


def _width(data: bytes, position: int) -> int | None:
    if position >= len(data) or data[position] == 0:
        return None
    return 9 - data[position].bit_length()


def _vint(data: bytes, position: int, keep_marker: bool) -> tuple[int, int] | None:
    """EBML's variable-length integer at ``position``: (value, position after it), or None if cut short.
    IDs keep their length marker bit (that is how the specification names them); sizes drop it."""
    width = _width(data, position)
    if width is None or position + width > len(data):
        return None
    first = data[position] if keep_marker else data[position] & (0xFF >> width)
    value = int.from_bytes(bytes((first,)) + data[position + 1 : position + width], "big")
    return value, position + width


def avi_date(handle: BinaryIO, size: int) -> str | None:
    """The camera's recording time from an AVI's IDIT (or else ICRD) chunk, as EXIF writes dates
    ("2011:10:22 08:59:31", no time zone), or None when it has neither or their text is no date."""
    handle.seek(0)
    head = handle.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"AVI ":
        return None
    end = min(size, 8 + int.from_bytes(head[4:8], "little"))
    found: dict[bytes, bytes] = {}
    position = 12
    for _ in range(_MAX_CHUNKS):
        if position + 12 > end:
            break
        handle.seek(position)
        chunk = handle.read(12)
        if len(chunk) < 12:
            break
        kind, length = chunk[:4], int.from_bytes(chunk[4:8], "little")
        if kind == b"LIST" and chunk[8:12] in (b"hdrl", b"INFO") and length <= _MAX_LIST_BYTES:
            _find_chunks(handle.read(length - 4), found)
        elif kind == b"IDIT" and length <= 64:
            found.setdefault(b"IDIT", chunk[8:12] + handle.read(max(0, length - 4)))
        elif kind == b"LIST" and chunk[8:12] == b"movi":
            break  # the frames: the header lists come before them
        position += 8 + length + (length & 1)  # chunks are padded to an even size
    for kind in (b"IDIT", b"ICRD"):
        if kind in found and (text := _exif_text(found[kind])):
            return text
    return None


def _find_chunks(data: bytes, found: dict[bytes, bytes]) -> None:
    """Collects IDIT and ICRD chunks from a list's data, looking into the lists inside it."""
    position = 0
    for _ in range(_MAX_CHUNKS):
        if position + 8 > len(data):
            return
        kind = data[position : position + 4]
        length = int.from_bytes(data[position + 4 : position + 8], "little")
        body = data[position + 8 : position + 8 + length]
        if kind == b"LIST" and len(body) >= 4:
            _find_chunks(body[4:], found)
        elif kind in (b"IDIT", b"ICRD") and length <= 64:
            found.setdefault(kind, body)
        position += 8 + length + (length & 1)


def _exif_text(raw: bytes) -> str | None:
    text = raw.split(b"\0", 1)[0].decode("latin-1").strip().upper()
    if match := _CTIME.match(text):
        month = _MONTHS.get(match.group(1))
        if month is None:
            return None
        day, hour, minute, second, year = (int(g) for g in match.groups()[1:])
        return f"{year:04d}:{month:02d}:{day:02d} {hour:02d}:{minute:02d}:{second:02d}"
    if match := _NUMERIC.match(text):
        year, month, day = (int(g) for g in match.groups()[:3])
        hour, minute, second = (int(g or 0) for g in match.groups()[3:])
        return f"{year:04d}:{month:02d}:{day:02d} {hour:02d}:{minute:02d}:{second:02d}"
    return None
