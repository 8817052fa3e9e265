"""Videos for tests, made from the real photos in tests/data with OpenCV's VideoWriter, and ISO-BMFF
boxes written or patched the way phones and cameras write them (rotation matrix, creation time, ©xyz,
Apple's keys), so the reader meets real files, never mocks."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

DATA = Path(__file__).parent / "data" / "photos"
SIZE = (320, 240)
FPS = 10
CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"udta", b"edts"}


def photo(name: str, size: tuple[int, int] = SIZE) -> np.ndarray:
    image = cv2.imread(str(DATA / name), cv2.IMREAD_COLOR)
    assert image is not None, name
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def write_video(
    path: Path,
    scenes: list[tuple[np.ndarray, float]],
    *,
    fourcc: str = "mp4v",
    fps: int = FPS,
    black_lead: float = 0.5,
) -> Path:
    """A video of ``scenes`` (image, seconds) after ``black_lead`` seconds of black (a fade-in's start)."""
    height, width = scenes[0][0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (width, height))
    assert writer.isOpened(), (path, fourcc)
    for _ in range(round(black_lead * fps)):
        writer.write(np.zeros((height, width, 3), np.uint8))
    for image, seconds in scenes:
        for _ in range(round(seconds * fps)):
            writer.write(image)
    writer.release()
    return path


def dog_video(path: Path, seconds: float = 3.0, **kwargs) -> Path:
    return write_video(path, [(photo("cat_and_dog.jpeg"), seconds)], **kwargs)


# -- boxes ------------------------------------------------------------------------------------------------
@dataclass
class Box:
    kind: bytes
    payload: bytes = b""
    children: list[Box] | None = None

    def find(self, kind: bytes) -> Box:
        return next(child for child in self.children or [] if child.kind == kind)

    def all(self, kind: bytes) -> list[Box]:
        return [child for child in self.children or [] if child.kind == kind]

    def bytes(self) -> bytes:
        body = self.payload if self.children is None else b"".join(c.bytes() for c in self.children)
        return struct.pack(">I4s", 8 + len(body), self.kind) + body


def parse(data: bytes, containers: set[bytes] = CONTAINERS) -> list[Box]:
    boxes, position = [], 0
    while position + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, position)
        size = size or len(data) - position
        body = data[position + 8 : position + size]
        boxes.append(Box(kind, children=parse(body)) if kind in containers else Box(kind, body))
        position += size
    return boxes


@dataclass
class Movie:
    """A file's top-level boxes; ``moov`` parsed into a tree that is written back with new sizes (the
    files OpenCV writes keep ``moov`` after ``mdat``, so chunk offsets stay valid)."""

    path: Path
    top: list[Box] = field(default_factory=list)

    @classmethod
    def open(cls, path: Path) -> Movie:
        return cls(path, parse(path.read_bytes(), {b"moov"}))

    @property
    def moov(self) -> Box:
        return next(box for box in self.top if box.kind == b"moov")

    def video_trak(self) -> Box:
        return next(
            t for t in self.moov.all(b"trak") if t.find(b"mdia").find(b"hdlr").payload[8:12] == b"vide"
        )

    def save(self, path: Path | None = None) -> Path:
        target = path or self.path
        target.write_bytes(b"".join(box.bytes() for box in self.top))
        return target


def set_matrix(movie: Movie, a: float, b: float, c: float, d: float) -> None:
    tkhd = movie.video_trak().find(b"tkhd")
    at = 52 if tkhd.payload[0] == 1 else 40
    values = [round(a * 65536), round(b * 65536), 0, round(c * 65536), round(d * 65536), 0, 0, 0, 1 << 30]
    tkhd.payload = tkhd.payload[:at] + struct.pack(">9i", *values) + tkhd.payload[at + 36 :]


def rotate(movie: Movie, degrees: int) -> None:
    """The matrix a phone writes for a video to be shown turned ``degrees`` clockwise."""
    a, b, c, d = {0: (1, 0, 0, 1), 90: (0, 1, -1, 0), 180: (-1, 0, 0, -1), 270: (0, -1, 1, 0)}[degrees]
    set_matrix(movie, a, b, c, d)


def set_created(movie: Movie, when: datetime) -> None:
    mvhd = movie.moov.find(b"mvhd")
    seconds = int(when.timestamp()) + 2_082_844_800
    assert mvhd.payload[0] == 0
    mvhd.payload = mvhd.payload[:4] + struct.pack(">II", seconds, seconds) + mvhd.payload[12:]


def quicktime_string(kind: bytes, text: str) -> Box:
    data = text.encode()
    return Box(kind, struct.pack(">HH", len(data), 0x15C7) + data)


def add_udta(movie: Movie, *boxes: Box) -> None:
    movie.moov.children.append(Box(b"udta", children=list(boxes)))


def add_apple_keys(movie: Movie, values: dict[str, str]) -> None:
    """QuickTime ``meta`` with ``keys`` and ``ilst``, as an iPhone writes its creation date and place."""
    hdlr = Box(b"hdlr", b"\x00" * 8 + b"mdta" + b"\x00" * 13)
    keys = struct.pack(">II", 0, len(values)) + b"".join(
        struct.pack(">I4s", 8 + len(k.encode()), b"mdta") + k.encode() for k in values
    )
    items = [
        Box(struct.pack(">I", i), children=[Box(b"data", struct.pack(">II", 1, 0) + v.encode())])
        for i, v in enumerate(values.values(), 1)
    ]
    movie.moov.children.append(
        Box(b"meta", children=[hdlr, Box(b"keys", keys), Box(b"ilst", children=items)])
    )


def stbl(movie: Movie) -> Box:
    return movie.video_trak().find(b"mdia").find(b"minf").find(b"stbl")


def set_codec(movie: Movie, fourcc: bytes) -> None:
    """The sample entry names ``fourcc``; its decoder configuration (esds, which FFmpeg would go by) is
    renamed to a box nobody reads."""
    stsd = stbl(movie).find(b"stsd")
    stsd.payload = (stsd.payload[:12] + fourcc + stsd.payload[16:]).replace(b"esds", b"zzzz")


def set_handler(movie: Movie, handler: bytes) -> None:
    hdlr = movie.video_trak().find(b"mdia").find(b"hdlr")
    hdlr.payload = hdlr.payload[:8] + handler + hdlr.payload[12:]


def set_variable_rate(movie: Movie) -> None:
    """Frame durations that change half-way (a phone dropping its rate in low light)."""
    box = stbl(movie).find(b"stts")
    count, delta = struct.unpack_from(">II", box.payload, 8)
    half = count // 2
    box.payload = box.payload[:4] + struct.pack(">IIIII", 2, half, delta, count - half, delta * 2)


def set_brand(path: Path, brand: bytes) -> None:
    data = bytearray(path.read_bytes())
    assert data[4:8] == b"ftyp"
    data[8:12] = brand
    path.write_bytes(bytes(data))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def set_matroska_date(path: Path, when: datetime | None, nanoseconds: int | None = None) -> None:
    """Writes a Matroska DateUTC into the Segment's Info in place of the WritingApp string FFmpeg puts
    there (plus an EBML Void for the bytes left over), so no other element moves."""
    data = bytearray(path.read_bytes())
    writing_app = data.find(b"\x57\x41\x8c")  # WritingApp, 12 bytes ("Lavf63.1.102")
    assert writing_app > 0 and data.find(b"\x15\x49\xa9\x66", 100) < writing_app
    if nanoseconds is None:
        assert when is not None
        nanoseconds = round((when - datetime(2001, 1, 1, tzinfo=UTC)).total_seconds()) * 1_000_000_000
    date = b"\x44\x61\x88" + nanoseconds.to_bytes(8, "big", signed=True)
    void = b"\xec\x82\x00\x00"
    assert len(date) + len(void) == 15
    data[writing_app : writing_app + 15] = date + void
    path.write_bytes(bytes(data))


def set_avi_chunk(path: Path, kind: bytes, text: bytes) -> None:
    """Puts an IDIT (or ICRD) chunk at the start of the JUNK padding OpenCV leaves in the hdrl list,
    the JUNK shrunk by as much, so no other chunk moves."""
    data = bytearray(path.read_bytes())
    junk = data.find(b"JUNK")
    assert 0 < junk < data.find(b"movi")
    length = int.from_bytes(data[junk + 4 : junk + 8], "little")
    body = text + (b"\0" if len(text) % 2 else b"")
    chunk = kind + len(text).to_bytes(4, "little") + body
    rest = length - len(chunk)
    data[junk : junk + 8 + length] = chunk + b"JUNK" + rest.to_bytes(4, "little") + bytes(rest)
    path.write_bytes(bytes(data))
