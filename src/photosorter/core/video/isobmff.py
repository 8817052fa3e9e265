"""What an ISO-BMFF file (MP4, MOV, M4V, 3GP) says about itself, read from its boxes without decoding.

Why a reader of our own: the fields we keep are spread over a dozen boxes (``mvhd`` duration and
creation time, ``tkhd`` display matrix, ``mdhd``/``stts`` frame timing, ``stsd`` codec, ``stss``
keyframes, QuickTime ``udta`` strings such as ``©xyz``, and Apple's ``meta``/``keys``/``ilst`` with
``com.apple.quicktime.creationdate`` and ``location.ISO6709``). ``pymp4`` (Apache-2.0) parses the
boxes it declares with ``construct`` and knows none of the QuickTime metadata ones, its last release
is from 2020 (1.4.0), and it pins ``construct`` to 2.8.8 of 2016; ``construct`` also parses every
table of a box (a 10-hour video's sample tables are megabytes) where we need a few numbers. The
layouts read here are fixed by ISO/IEC 14496-12 and Apple's QuickTime File Format reference, so a
bounded reader of ~250 lines is the smaller, faster and safer dependency.

Bounded: the top-level walk reads one box header at a time (seeking over ``mdat``), at most
MAX_TOP_BOXES of them, and only ``moov`` is read into memory, up to MOOV_LIMIT bytes. Every size is
checked against its parent, so a damaged file raises ContainerProblem with a reason, never loops.
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO

from photosorter.core.headers import human_size

MOOV_LIMIT = 64 << 20  # a 10-hour phone video's moov is ~20 MB (sample tables of video and audio)
MAX_TOP_BOXES = 100_000  # a fragmented MP4 has a moof/mdat pair per second or so
MAX_DEPTH = 12
_EPOCH_1904 = 2_082_844_800  # seconds from 1904-01-01 (QuickTime's epoch) to 1970-01-01
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"udta", b"edts", b"mvex"}


class ContainerProblem(Exception):
    """What is wrong with the file's structure, in words for the user."""


@dataclass(slots=True)
class Track:
    handler: bytes = b""
    width: float = 0.0  # tkhd: the display size, before the matrix is applied
    height: float = 0.0
    matrix: tuple[float, ...] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
    timescale: int = 0
    duration: int = 0  # in timescale units
    codec: bytes | None = None  # the first sample entry's format (avc1, hvc1, mp4v, ...)
    coded_width: int = 0
    coded_height: int = 0
    samples: int = 0
    sync_samples: tuple[int, ...] = ()  # numbers of the first keyframes (stss), for the poster
    timing: tuple[tuple[int, ...], tuple[int, ...]] = ((), ())  # stts: sample counts and their durations


@dataclass(slots=True)
class Movie:
    """The raw facts of one file; ``reading.py`` turns them into what the catalog keeps."""

    timescale: int = 0
    duration: int = 0
    created: int = 0  # seconds since 1904, UTC; 0 when unset
    fragment_duration: int = 0  # mvex/mehd, for a fragmented file whose moov holds no samples
    tracks: list[Track] = field(default_factory=list)
    strings: dict[str, str] = field(default_factory=dict)  # udta ©xyz/©mak/©mod, Apple keys
    index: tuple[int, int] | None = None  # where the moov box's payload lies in the file

    @property
    def video(self) -> Track | None:
        return next((t for t in self.tracks if t.handler == b"vide"), None)

    @property
    def has_audio(self) -> bool:
        return any(t.handler == b"soun" for t in self.tracks)

    @property
    def duration_s(self) -> float | None:
        duration = self.duration or self.fragment_duration
        if self.timescale > 0 and duration > 0:
            return duration / self.timescale
        track = self.video
        if track is not None and track.timescale > 0 and track.duration > 0:
            return track.duration / track.timescale
        return None

    @property
    def created_utc(self) -> datetime | None:
        if self.created <= 0:
            return None
        try:
            return datetime.fromtimestamp(self.created - _EPOCH_1904, UTC)
        except (OverflowError, OSError, ValueError):
            return None


def _truncated(where: str) -> ContainerProblem:
    return ContainerProblem(f"the file ends early (truncated inside {where})")


def read_movie(handle: BinaryIO, file_size: int) -> Movie:
    """Walks the top-level boxes and parses ``moov``. Raises ContainerProblem for a damaged or
    incomplete file: truncated data, no ``moov`` (an interrupted recording or a partial download)."""
    position, count = 0, 0
    moov: tuple[int, int] | None = None
    data_end = 0  # where the last mdat ends (as declared)
    while position < file_size:
        count += 1
        if count > MAX_TOP_BOXES:
            raise ContainerProblem(f"damaged MP4 structure: more than {MAX_TOP_BOXES:,} top-level boxes")
        handle.seek(position)
        header = handle.read(16)
        if len(header) < 8:
            raise _truncated("a box header")
        size, kind = struct.unpack(">I4s", header[:8])
        header_size = 8
        if size == 1:
            if len(header) < 16:
                raise _truncated("a box header")
            size = struct.unpack(">Q", header[8:16])[0]
            header_size = 16
        elif size == 0:
            size = file_size - position
        if size < header_size:
            raise ContainerProblem(f"damaged MP4 structure: a {_name(kind)} box of {size} bytes")
        end = position + size
        if kind == b"moov":
            if end > file_size:
                raise _truncated("the video's index (moov box)")
            moov = (position + header_size, end)
        elif kind == b"mdat":
            data_end = end
        elif end > file_size and moov is None:
            raise _truncated(f"a {_name(kind)} box")
        if end > file_size:
            break
        position = end
    if moov is None:
        if data_end > file_size:
            raise ContainerProblem(
                f"incomplete download or copy: the file stops at {human_size(file_size)} of "
                f"{human_size(data_end)}, before the video's index (moov box) that comes at its end"
            )
        raise ContainerProblem(
            "the video has no index (moov box): the recording was interrupted or the file is damaged"
        )
    if data_end > file_size:
        raise ContainerProblem(
            f"the file ends early: it is {human_size(file_size)} but its video data runs to "
            f"{human_size(data_end)}"
        )
    start, end = moov
    if end - start > MOOV_LIMIT:
        raise ContainerProblem(
            f"the video's index (moov box) is {human_size(end - start)}: damaged (too large)"
        )
    handle.seek(start)
    data = handle.read(end - start)
    if len(data) < end - start:
        raise _truncated("the video's index (moov box)")
    movie = Movie(index=moov)
    try:
        _parse(data, 0, len(data), movie, None, 0)
    except (struct.error, IndexError, ValueError) as error:  # a box cut short where we read a field
        raise ContainerProblem(f"damaged video index ({error})") from None
    return movie


def _name(kind: bytes) -> str:
    return repr(kind.decode("latin-1"))


def _children(data: bytes, start: int, end: int):
    """(type, payload start, payload end) of the boxes between ``start`` and ``end``."""
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, position)
        header = 8
        if size == 1:
            if position + 16 > end:
                raise _truncated("the video's index")
            size = struct.unpack_from(">Q", data, position + 8)[0]
            header = 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            raise ContainerProblem(f"damaged video index: the {_name(kind)} box does not fit in its parent")
        yield kind, position + header, position + size
        position += size


def _parse(data: bytes, start: int, end: int, movie: Movie, track: Track | None, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ContainerProblem("damaged video index: boxes nested too deep")
    for kind, begin, stop in _children(data, start, end):
        if kind == b"trak":
            track = Track()
            _parse(data, begin, stop, movie, track, depth + 1)
            movie.tracks.append(track)
            track = None
        elif kind in _CONTAINERS:
            _parse(data, begin, stop, movie, track, depth + 1)
        elif kind == b"meta":
            _meta(data, begin, stop, movie)
        elif kind.startswith(b"\xa9") and depth > 0:
            _quicktime_string(data, begin, stop, kind, movie)
        else:
            _leaf(data, kind, begin, stop, movie, track)


def _leaf(data: bytes, kind: bytes, begin: int, stop: int, movie: Movie, track: Track | None) -> None:
    try:
        if kind == b"mvhd":
            if data[begin] == 1:
                movie.created, _, movie.timescale, movie.duration = struct.unpack_from(
                    ">QQIQ", data, begin + 4
                )
            else:
                movie.created, _, movie.timescale, movie.duration = struct.unpack_from(
                    ">IIII", data, begin + 4
                )
        elif kind == b"mehd":
            fmt = ">Q" if data[begin] == 1 else ">I"
            movie.fragment_duration = struct.unpack_from(fmt, data, begin + 4)[0]
        elif track is None:
            return
        elif kind == b"tkhd":
            matrix_at = begin + (52 if data[begin] == 1 else 40)
            values = struct.unpack_from(">9i2I", data, matrix_at)
            # a, b, c, d, tx, ty in 16.16 fixed point; u, v, w in 2.30
            track.matrix = tuple(
                v / (1 << 30 if i in (2, 5, 8) else 1 << 16) for i, v in enumerate(values[:9])
            )
            track.width, track.height = values[9] / 65536, values[10] / 65536
        elif kind == b"mdhd":
            if data[begin] == 1:
                track.timescale, track.duration = struct.unpack_from(">IQ", data, begin + 20)
            else:
                track.timescale, track.duration = struct.unpack_from(">II", data, begin + 12)
        elif kind == b"hdlr" and data[begin + 4 : begin + 8] != b"dhlr":
            # QuickTime has a second hdlr in minf, a data handler ('dhlr'): not the track's kind
            track.handler = data[begin + 8 : begin + 12]
        elif kind == b"stsd":
            (entries,) = struct.unpack_from(">I", data, begin + 4)
            if entries and begin + 16 <= stop:
                track.codec = data[begin + 12 : begin + 16]
                if begin + 44 <= stop:  # a visual sample entry's coded size
                    track.coded_width, track.coded_height = struct.unpack_from(">HH", data, begin + 40)
        elif kind == b"stts":
            _timing(data, begin, stop, track)
        elif kind == b"stss":
            _keyframes(data, begin, stop, track)
    except (struct.error, IndexError):
        raise ContainerProblem(f"damaged video index: the {_name(kind)} box is cut short") from None


_STTS_LIMIT = 1 << 20  # entries read: a variable-rate hour has ~100,000


def _timing(data: bytes, begin: int, stop: int, track: Track) -> None:
    (entries,) = struct.unpack_from(">I", data, begin + 4)
    entries = min(entries, (stop - begin - 8) // 8, _STTS_LIMIT)
    table = struct.unpack_from(f">{2 * entries}I", data, begin + 8)
    counts, deltas = table[0::2], table[1::2]
    track.samples = sum(counts)  # over the track's duration: the average rate, variable or not
    track.timing = (counts, deltas)


def _keyframes(data: bytes, begin: int, stop: int, track: Track) -> None:
    """The times of the first keyframes (at most 64): a poster decoded at a keyframe costs one frame."""
    (entries,) = struct.unpack_from(">I", data, begin + 4)
    entries = min(entries, (stop - begin - 8) // 4, 64)
    samples = struct.unpack_from(f">{entries}I", data, begin + 8)
    track.sync_samples = tuple(samples)


def keyframe_times(track: Track, limit_s: float) -> tuple[float, ...]:
    """Seconds of the track's first keyframes up to ``limit_s`` (from stss and stts); () when unknown."""
    counts, deltas = track.timing
    if not track.sync_samples or not counts or track.timescale <= 0:
        return ()
    times, sample, ticks = [], 1, 0
    wanted = iter(track.sync_samples)
    target = next(wanted, None)
    for count, delta in zip(counts, deltas, strict=True):
        while target is not None and target < sample + count:
            at = (ticks + (target - sample) * delta) / track.timescale
            if at > limit_s:
                return tuple(times)
            times.append(at)
            target = next(wanted, None)
        sample += count
        ticks += count * delta
        if target is None:
            break
    return tuple(times)


def _meta(data: bytes, begin: int, stop: int, movie: Movie) -> None:
    """QuickTime ``meta`` (keys + ilst, Apple's metadata) or MP4 ``meta`` (a full box, iTunes ilst)."""
    if data[begin + 4 : begin + 8] != b"hdlr" and data[begin + 8 : begin + 12] == b"hdlr":
        begin += 4  # the MP4 form carries a version and flags first
    keys: list[str] = []
    for kind, b, s in _children(data, begin, stop):
        if kind == b"keys":
            (entries,) = struct.unpack_from(">I", data, b + 4)
            position = b + 8
            for _ in range(min(entries, 1000)):
                if position + 8 > s:
                    break
                (size,) = struct.unpack_from(">I", data, position)
                if size < 8 or position + size > s:
                    break
                keys.append(data[position + 8 : position + size].decode("utf-8", "replace"))
                position += size
        elif kind == b"ilst":
            for item, ib, istop in _children(data, b, s):
                index = int.from_bytes(item, "big")
                name = keys[index - 1] if 0 < index <= len(keys) else _ilst_name(item)
                value = _data_value(data, ib, istop)
                if name and value is not None:
                    movie.strings.setdefault(name, value)


def _ilst_name(item: bytes) -> str | None:
    return {b"\xa9xyz": "xyz", b"\xa9mak": "make", b"\xa9mod": "model", b"\xa9day": "day"}.get(item)


def _data_value(data: bytes, begin: int, stop: int) -> str | None:
    for kind, b, s in _children(data, begin, stop):
        if kind == b"data" and s - b >= 8:
            type_code = int.from_bytes(data[b + 1 : b + 4], "big")
            if type_code in (1, 4):  # UTF-8, UTF-16 text
                codec = "utf-8" if type_code == 1 else "utf-16-be"
                return data[b + 8 : s].decode(codec, "replace").strip("\x00 ")
    return None


def _quicktime_string(data: bytes, begin: int, stop: int, kind: bytes, movie: Movie) -> None:
    """A udta ``©xxx`` atom: 16-bit length, 16-bit language, text (or, in MP4 files, a data box)."""
    name = _ilst_name(kind)
    if name is None:
        return
    if data[begin + 4 : begin + 8] == b"data":
        value = _data_value(data, begin, stop)
    else:
        if begin + 4 > stop:
            return
        (length,) = struct.unpack_from(">H", data, begin)
        value = data[begin + 4 : min(stop, begin + 4 + length)].decode("utf-8", "replace").strip("\x00 ")
    if value:
        movie.strings.setdefault(name, value)


# -- turning raw values into facts -----------------------------------------------------------------------
def rotation_of(matrix: tuple[float, ...]) -> int | None:
    """Degrees clockwise the display matrix turns the frames (0, 90, 180, 270), or None when the matrix
    is no quarter turn (mirrored, sheared, or a value no camera writes)."""
    a, b, _u, c, d, _v = matrix[:6]
    if not all(math.isfinite(x) for x in (a, b, c, d)):
        return None
    near = 1e-3
    if abs(b) < near and abs(c) < near and a > 0 and d > 0:
        return 0
    if abs(a) < near and abs(d) < near and b > 0 and c < 0:
        return 90
    if abs(b) < near and abs(c) < near and a < 0 and d < 0:
        return 180
    if abs(a) < near and abs(d) < near and b < 0 and c > 0:
        return 270
    return None


_ISO6709 = re.compile(r"^\s*([+-]\d{1,3}(?:\.\d+)?)([+-]\d{1,3}(?:\.\d+)?)")


def iso6709(text: str) -> tuple[float, float] | None:
    """Latitude and longitude in degrees from "+37.7858-122.4064+012.000/"; None when not that form,
    ValueError when out of range (the caller says so)."""
    match = _ISO6709.match(text)
    if not match:
        return None
    latitude, longitude = float(match[1]), float(match[2])
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError(f"{text.strip()!r} is not a position")
    return latitude, longitude


CODECS = {
    b"avc1": "H.264", b"avc3": "H.264", b"hvc1": "HEVC", b"hev1": "HEVC", b"dvh1": "HEVC (Dolby Vision)",
    b"dvhe": "HEVC (Dolby Vision)", b"av01": "AV1", b"vp09": "VP9", b"vp08": "VP8", b"mp4v": "MPEG-4",
    b"s263": "H.263", b"h263": "H.263", b"jpeg": "Motion JPEG", b"mjpa": "Motion JPEG",
    b"apch": "ProRes 422 HQ", b"apcn": "ProRes 422", b"apcs": "ProRes 422 LT", b"apco": "ProRes 422 Proxy",
    b"ap4h": "ProRes 4444", b"ap4x": "ProRes 4444 XQ",
    # OpenCV's names for the streams of other containers
    b"h264": "H.264", b"x264": "H.264", b"hevc": "HEVC", b"h265": "HEVC", b"fmp4": "MPEG-4",
    b"xvid": "MPEG-4", b"divx": "MPEG-4", b"dx50": "MPEG-4", b"mjpg": "Motion JPEG", b"vp80": "VP8",
    b"vp90": "VP9", b"mpg2": "MPEG-2", b"mp2v": "MPEG-2", b"mpg1": "MPEG-1",
}  # fmt: skip


def codec_name(fourcc: bytes | None) -> str | None:
    if not fourcc:
        return None
    known = CODECS.get(fourcc) or CODECS.get(fourcc.lower())
    return known or fourcc.decode("latin-1").strip() or None
