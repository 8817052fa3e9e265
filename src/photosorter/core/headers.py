"""What an image file declares about itself, read from its header before any decoder sees it.

Pillow's JPEG and GIF parsers skip unknown bytes one at a time in Python (about 70 s per GB), and its
WebP and HEIF openers read the whole file into memory; a multi-GB file of junk behind an image
signature would hold a scan for minutes. These checks look at a bounded number of bytes, so every file
is refused or passed on quickly, with a reason a user understands.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

MAX_PIXELS = 250_000_000  # larger than any camera; a declared 50,000 x 50,000 is a decompression bomb
JPEG_JUNK_LIMIT = 1 << 20  # stray bytes between JPEG segments that we (and Pillow) step over
JPEG_HEADER_LIMIT = 16 << 20  # segments before the image data: EXIF, ICC, previews are far smaller
# Compressed JPEG data stays well under 8 bytes per pixel and component even for noise at quality 100;
# PNG holds at most 8 (16-bit RGBA) per frame, a few frames for an animated one; BMP at most 4; GIF's
# LZW at most 1.5 per pixel and frame, allowing a thousand full-screen frames.
# The slack covers metadata and what cameras append (a second MPF picture, a motion photo's video clip).
JPEG_BYTES_PER_SAMPLE = 8
BYTES_PER_PIXEL = {"PNG": 64, "BMP": 8, "GIF": 2000}
TRAILER_SLACK = 64 << 20
IN_MEMORY_LIMIT = 512 << 20  # Pillow reads WebP and HEIF files whole: larger is no photo, and would not fit

_JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM and RSTn carry no length
_BMP_HEADER_SIZES = {12, 16, 40, 52, 56, 64, 108, 124}


class HeaderProblem(Exception):
    """What is wrong with a header, in words for the user."""


class NoImageData(HeaderProblem):
    """The signature is an image's, but what follows it is not."""


@dataclass(frozen=True, slots=True)
class Declared:
    """The pixel size a header declares (0 x 0 when the format's header is left to Pillow)."""

    width: int
    height: int

    @property
    def pixels(self) -> int:
        return self.width * self.height


def too_large(width: int, height: int) -> str | None:
    """The reason to refuse a declared size, or None when it is within MAX_PIXELS."""
    if width * height <= MAX_PIXELS:
        return None
    return (
        f"image too large: {width}×{height} = {width * height / 1e6:,.0f} megapixels, "
        f"the limit is {MAX_PIXELS // 1_000_000}"
    )


def format_name(kind: str) -> str:
    """A sniffed format as people write it ("WEBP" is Pillow's spelling)."""
    return {"WEBP": "WebP"}.get(kind, kind)


def no_image_after_header(kind: str) -> str:
    return f"the data after the {format_name(kind)} header is not a valid image"


def human_size(size: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def check_header(handle: BinaryIO, kind: str, file_size: int) -> Declared:
    """Reads ``kind``'s header from ``handle`` (positioned anywhere) within bounded bytes.

    Raises HeaderProblem when the header cannot belong to a real photo: junk after the signature,
    an absurd declared size, or a file far larger than what its header declares could fill.
    """
    if kind == "JPEG":
        declared = _jpeg(handle, file_size)
    elif kind == "PNG":
        handle.seek(12)
        chunk, width, height = struct.unpack(">4sII", _exactly(handle, 12, kind))
        if chunk != b"IHDR" or not width or not height:
            raise NoImageData(no_image_after_header(kind))
        declared = Declared(width, height)
    elif kind == "GIF":
        declared = _gif(handle)
    elif kind == "BMP":
        handle.seek(14)
        header_size, a, b = struct.unpack("<Iii", _exactly(handle, 12, kind))
        if header_size not in _BMP_HEADER_SIZES:
            raise NoImageData(no_image_after_header(kind))
        # the old OS/2 header has 16-bit sizes; every later one 32-bit, with a negative height for top-down
        declared = Declared(a & 0xFFFF, (a >> 16) & 0xFFFF) if header_size == 12 else Declared(abs(a), abs(b))
    else:
        declared = Declared(0, 0)
        if kind in ("WEBP", "HEIF") and file_size > IN_MEMORY_LIMIT:
            raise HeaderProblem(
                f"file too large for a {format_name(kind)} photo: {human_size(file_size)}, "
                f"the limit is {human_size(IN_MEMORY_LIMIT)}"
            )
    if reason := too_large(declared.width, declared.height):
        raise HeaderProblem(reason)
    if kind in BYTES_PER_PIXEL:
        _refuse_if_far_larger(file_size, declared.pixels * BYTES_PER_PIXEL[kind], declared, kind)
    return declared


def _refuse_if_far_larger(file_size: int, most: int, declared: Declared, kind: str) -> None:
    """A file far larger than its declared pixels could fill is junk behind a header (and would be
    hashed and parsed in full for nothing)."""
    if file_size > most + TRAILER_SLACK:
        raise HeaderProblem(
            f"the file is {human_size(file_size)}, far more than a {declared.width}×{declared.height} "
            f"{format_name(kind)} can hold: the rest is not image data"
        )


def _exactly(handle: BinaryIO, count: int, kind: str) -> bytes:
    data = handle.read(count)
    if len(data) < count:
        raise HeaderProblem(f"the file ends early (truncated inside the {format_name(kind)} header)")
    return data


def _gif(handle: BinaryIO) -> Declared:
    handle.seek(6)
    width, height, flags = struct.unpack("<HHB", _exactly(handle, 5, "GIF"))
    palette = 3 << ((flags & 7) + 1) if flags & 0x80 else 0
    handle.seek(13 + palette)
    first = handle.read(1)
    # an extension, an image or the end must follow: Pillow would skip anything else byte by byte
    if first and first not in b"!,;":
        raise NoImageData(no_image_after_header("GIF"))
    return Declared(width, height)


def _jpeg(handle: BinaryIO, file_size: int) -> Declared:
    """Walks the segments from SOI to the start of the image data, seeking over their contents."""
    position, junk = 2, 0
    declared: Declared | None = None
    components = 1
    while True:
        if position > JPEG_HEADER_LIMIT:
            raise NoImageData(no_image_after_header("JPEG"))
        handle.seek(position)
        byte = handle.read(1)
        if not byte and junk:
            raise NoImageData(no_image_after_header("JPEG"))
        if not byte:
            raise HeaderProblem("the file ends early (truncated before the JPEG image data)")
        if byte != b"\xff":  # stray bytes: find the next 0xFF a chunk at a time, not byte by byte
            chunk = handle.read(1 << 16)
            found = chunk.find(b"\xff")
            skipped = 1 + (found if found >= 0 else len(chunk))
            junk += skipped
            position += skipped
            if junk > JPEG_JUNK_LIMIT:
                raise NoImageData(no_image_after_header("JPEG"))
            continue
        marker = handle.read(1)
        if not marker:
            raise HeaderProblem("the file ends early (truncated before the JPEG image data)")
        code = marker[0]
        if code in (0x00, 0xFF):  # a padded marker or an escaped 0xFF: step on, as decoders do
            position += 1 if code == 0xFF else 2
            junk += 1
            continue
        if code in _JPEG_STANDALONE or code == 0xD8:
            position += 2
            continue
        if code == 0xD9:
            raise HeaderProblem("the JPEG ends before any image data")
        length = struct.unpack(">H", _exactly(handle, 2, "JPEG"))[0]
        if length < 2:
            raise NoImageData(no_image_after_header("JPEG"))
        if code in _JPEG_FRAMES:
            _precision, height, width, components = struct.unpack(">BHHB", _exactly(handle, 6, "JPEG"))
            declared = Declared(width, height)
        if code == 0xDA:
            if declared is None:
                raise HeaderProblem("the JPEG has image data but no frame header (no declared size)")
            samples = declared.pixels * max(1, components)
            _refuse_if_far_larger(file_size, position + samples * JPEG_BYTES_PER_SAMPLE, declared, "JPEG")
            return declared
        position += 2 + length
