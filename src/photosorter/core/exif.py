"""Reading the EXIF facts we keep: when, which way up, where, with what camera."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from PIL import Image

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_ORIENTATION = 0x0112
_MAKE = 0x010F
_MODEL = 0x0110
_DATETIME = 0x0132
_DATETIME_ORIGINAL = 0x9003
_OFFSET_TIME_ORIGINAL = 0x9011

# Tolerates the malformed stamps cameras write, e.g. "2009:09:09 20:27:09.60:04:00" or "2019-07-14T10:32".
_DATE = re.compile(r"^\s*(\d{4})[:\-/](\d{1,2})[:\-/](\d{1,2})[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?")
_OFFSET = re.compile(r"^\s*([+-])(\d{2}):?(\d{2})\s*$")


@dataclass(frozen=True, slots=True)
class ExifFacts:
    taken_at: str | None = None  # ISO 8601, with offset when the camera recorded one
    orientation: int | None = None
    camera_make: str | None = None
    camera_model: str | None = None
    latitude: float | None = None
    longitude: float | None = None


def parse_exif_datetime(value: object, offset: object = None) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    match = _DATE.match(value)
    if not match:
        return None
    year, month, day, hour, minute = (int(g) for g in match.groups()[:5])
    second = int(match.group(6) or 0)
    try:
        stamp = datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return None
    if year < 1826:  # before the first photograph: a camera with an unset clock (0000:00:00 etc.)
        return None
    text = stamp.isoformat()
    if isinstance(offset, bytes):
        offset = offset.decode("ascii", "replace")
    if isinstance(offset, str) and (off := _OFFSET.match(offset)):
        text += f"{off.group(1)}{off.group(2)}:{off.group(3)}"
    return text


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", "").strip()
    return value or None


def _degrees(dms: object, ref: object) -> float | None:
    try:
        d, m, s = (float(x) for x in dms)  # type: ignore[union-attr]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = d + m / 60 + s / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if isinstance(ref, str) and ref.strip().upper() in ("S", "W"):
        value = -value
    return round(value, 7)


def read_exif(image: Image.Image) -> ExifFacts:
    """Never raises: a broken EXIF block yields whatever could be read."""
    try:
        exif = image.getexif()
    except Exception:  # Pillow raises many types on malformed EXIF; none of them should stop a scan
        return ExifFacts()
    try:
        details = exif.get_ifd(_EXIF_IFD)
    except Exception:
        details = {}
    try:
        gps = exif.get_ifd(_GPS_IFD)
    except Exception:
        gps = {}
    taken = parse_exif_datetime(details.get(_DATETIME_ORIGINAL), details.get(_OFFSET_TIME_ORIGINAL))
    if taken is None:
        taken = parse_exif_datetime(exif.get(_DATETIME))
    orientation = exif.get(_ORIENTATION)
    if not isinstance(orientation, int) or not 1 <= orientation <= 8:
        orientation = None
    lat = _degrees(gps.get(2), gps.get(1)) if gps else None
    lon = _degrees(gps.get(4), gps.get(3)) if gps else None
    if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        lat = lon = None
    if lat == 0 and lon == 0:  # "null island": a GPS without a fix
        lat = lon = None
    return ExifFacts(
        taken_at=taken,
        orientation=orientation,
        camera_make=_text(exif.get(_MAKE)),
        camera_model=_text(exif.get(_MODEL)),
        latitude=lat if lon is not None else None,
        longitude=lon if lat is not None else None,
    )
