"""Reading the EXIF facts we keep: when, which way up, where, with what camera.

A value no real camera could have written (a date in the future, a time zone of +99:99, a GPS
position with 999 minutes) is dropped rather than stored, and the reason is kept with the photo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

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
    warnings: tuple[str, ...] = ()  # what was dropped, and why


@dataclass(frozen=True, slots=True)
class ExifDate:
    text: str | None  # ISO 8601, with offset when the camera recorded a real one
    warning: str | None = None  # why (part of) the stamp was dropped


# A camera clock can be a day ahead of this machine's (time zones); further is not a date taken.
_FUTURE_TOLERANCE = timedelta(days=2)


def parse_exif_datetime(value: object, offset: object = None) -> ExifDate:
    """The stamp as ISO 8601; an unset clock gives nothing, an impossible date or offset a warning."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return ExifDate(None)
    match = _DATE.match(value)
    if not match:
        return ExifDate(None)
    year, month, day, hour, minute = (int(g) for g in match.groups()[:5])
    second = int(match.group(6) or 0)
    if year < 1826:  # before the first photograph: a camera with an unset clock (0000:00:00 etc.)
        return ExifDate(None)
    try:
        stamp = datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return ExifDate(None, f"date taken {value.strip()!r} dropped: not a real date")
    if stamp > datetime.now() + _FUTURE_TOLERANCE:
        return ExifDate(None, f"date taken {stamp.isoformat()} dropped: it is in the future")
    text = stamp.isoformat()
    if isinstance(offset, bytes):
        offset = offset.decode("ascii", "replace")
    if isinstance(offset, str) and (off := _OFFSET.match(offset)):
        hours, minutes = int(off.group(2)), int(off.group(3))
        # real offsets run from -12:00 to +14:00, in whole, half or three-quarter hours
        if hours * 60 + minutes > 14 * 60 or minutes not in (0, 15, 30, 45):
            return ExifDate(text, f"time zone {offset.strip()!r} dropped: not a real UTC offset")
        text += f"{off.group(1)}{off.group(2)}:{off.group(3)}"
    return ExifDate(text)


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", "").strip()
    return value or None


class _BadPosition(ValueError):
    """A GPS value no receiver writes; the message says which."""


def _degrees(dms: object, ref: object, axis: str, refs: str, limit: int) -> float | None:
    """Degrees from EXIF's (degrees, minutes, seconds) and N/S or E/W; None when absent or unreadable."""
    try:
        d, m, s = (float(x) for x in dms)  # type: ignore[union-attr]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not (0 <= m < 60 and 0 <= s < 60 and 0 <= d <= limit):
        raise _BadPosition(f"{axis} {d:g}° {m:g}′ {s:g}″ is not a position")
    value = d + m / 60 + s / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if isinstance(ref, str) and (ref := ref.replace("\x00", "").strip().upper()):
        if ref not in refs:
            raise _BadPosition(f"{axis} reference {ref!r} is not {refs[0]} or {refs[1]}")
        if ref == refs[1]:
            value = -value
    if value > limit or value < -limit:
        raise _BadPosition(f"{axis} {value:g}° is out of range")
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
    dates = [parse_exif_datetime(details.get(_DATETIME_ORIGINAL), details.get(_OFFSET_TIME_ORIGINAL))]
    if dates[0].text is None:  # no original stamp, or a dropped one: the file's own date may still do
        dates.append(parse_exif_datetime(exif.get(_DATETIME)))
    warnings = [date.warning for date in dates if date.warning]
    orientation = exif.get(_ORIENTATION)
    if not isinstance(orientation, int) or not 1 <= orientation <= 8:
        orientation = None
    try:
        lat = _degrees(gps.get(2), gps.get(1), "latitude", "NS", 90) if gps else None
        lon = _degrees(gps.get(4), gps.get(3), "longitude", "EW", 180) if gps else None
    except _BadPosition as problem:
        warnings.append(f"GPS position dropped: {problem}")
        lat = lon = None
    if lat == 0 and lon == 0:  # "null island": a GPS without a fix
        lat = lon = None
    return ExifFacts(
        taken_at=next((date.text for date in dates if date.text), None),
        warnings=tuple(warnings),
        orientation=orientation,
        camera_make=_text(exif.get(_MAKE)),
        camera_model=_text(exif.get(_MODEL)),
        latitude=lat if lon is not None else None,
        longitude=lon if lat is not None else None,
    )
