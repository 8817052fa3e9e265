"""Reading photos (never writing them): format sniffing, facts, thumbnails and analysis images.

Thumbnails and analysis images use JPEG draft mode, so a 12-MP photo is decoded
at 1/2, 1/4 or 1/8 scale by libjpeg itself and never fully in memory.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import time
import warnings
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import pillow_heif
import xxhash
from PIL import Image, ImageFile, ImageOps

from photosorter.core.errors import environment_fault, storage_fault
from photosorter.core.exif import read_exif
from photosorter.core.headers import (
    MAX_PIXELS,
    HeaderProblem,
    NoImageData,
    check_header,
    format_name,
    no_image_after_header,
    too_large,
)
from photosorter.core.near_duplicates import thumbnail_hash
from photosorter.core.records import ImageFacts, PhotoMetadata
from photosorter.core.xmp.read import ParsedSidecars, read_metadata

pillow_heif.register_heif_opener()

# A truncated photo that Pillow can still decode is worth a thumbnail rather than an error.
ImageFile.LOAD_TRUNCATED_IMAGES = True

THUMB_SIZE = 320
ANALYSIS_SIZE = 1600
ANALYSIS_MAX_BYTES = 5 * 1024 * 1024
WHOLE_FILE_LIMIT = 64 * 1024 * 1024  # read smaller files once for both hashing and decoding
_HASH_CHUNK = 1 << 20
STALE_TEMP_SECONDS = 300  # a thumbnail is written in milliseconds: an older temp file's writer was killed

Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# Between MAX_PIXELS and twice that Pillow only warns: _open refuses those itself, naming the size (a filter
# set once, because warnings.catch_warnings around each open is not thread-safe and the scan reads on threads)
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xff\xd8\xff", "JPEG"),
    (0, b"\x89PNG\r\n\x1a\n", "PNG"),
    (0, b"GIF87a", "GIF"),
    (0, b"GIF89a", "GIF"),
    (0, b"II*\x00", "TIFF"),
    (0, b"MM\x00*", "TIFF"),
    (0, b"BM", "BMP"),
)
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif"}
IMAGE_EXTENSIONS = {
    ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".gif", ".tif", ".tiff", ".bmp", ".webp",
    ".heic", ".heif", ".hif", ".avif",
}  # fmt: skip


class UnreadablePhoto(Exception):
    """A file we cannot use as a photo, with a reason a user understands."""


class ChangedWhileRead(UnreadablePhoto):
    """The file changed under us: nothing is known about its content, so the next scan reads it again."""


class NotAnImage(UnreadablePhoto):
    """The content is no image at all: beside the photos (a .txt, a .mov) such a file is not reported."""


def sniff_format(head: bytes) -> str | None:
    """The image format from the first bytes of a file, or None: content decides, not the extension."""
    for offset, magic, name in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "HEIF"
    return None


def has_image_extension(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


def thumbnail_path(thumb_dir: Path, content_hash: str) -> Path:
    return Path(thumbnail_file(str(thumb_dir), content_hash))


def thumbnail_file(thumb_dir: str, content_hash: str) -> str:
    """``thumbnail_path`` as a string, made without pathlib: the gallery asks for one per cell it paints
    (pathlib took ~0.2 ms a path, 8 ms a screen, on the GUI thread)."""
    return os.path.join(thumb_dir, content_hash[:2], f"{content_hash}.jpg")


_TOO_LARGE_UNSEEN = (
    f"image too large: it declares more than {2 * MAX_PIXELS // 1_000_000} megapixels, the limit"
)
# Pillow's messages name a BytesIO object or a path; the user already knows which file it is
_OBJECT_NAMES = re.compile(r"\s*(<[^>]* at 0x[0-9a-f]+>|'[^']*')", re.IGNORECASE)


def pillow_reason(error: BaseException, kind: str) -> str:
    """What a Pillow failure means for the file, in the user's words rather than the decoder's."""
    text = str(error)
    lowered = text.lower()
    kind = format_name(kind)
    if isinstance(error, Image.UnidentifiedImageError):
        return f"not an image Pillow can read: {no_image_after_header(kind)}"
    if "truncated" in lowered or "ran out of data" in lowered or "end of file" in lowered:
        return "the file ends early (truncated)"
    if "could not create decoder object" in lowered or "broken data stream" in lowered:
        return f"the {kind} image data is damaged or cut short"
    detail = _OBJECT_NAMES.sub("", text).strip(" :") or type(error).__name__
    return f"damaged {kind} file: {detail}"


def _open(source: str | io.BytesIO, name: str, kind: str = "image") -> Image.Image:
    """Opens for reading the header; decoding waits for ``_reduced``. ``name`` is for messages only."""
    try:
        image = Image.open(source)
    except Image.DecompressionBombError:  # over twice the limit: Pillow refuses before saying the size
        raise UnreadablePhoto(f"{_TOO_LARGE_UNSEEN} is {MAX_PIXELS // 1_000_000}") from None
    except Image.UnidentifiedImageError as error:
        raise NotAnImage(pillow_reason(error, kind)) from None
    except (OSError, SyntaxError, ValueError, MemoryError) as error:
        if fault := environment_fault(error, name):
            raise fault from error
        raise UnreadablePhoto(pillow_reason(error, kind)) from None
    width, height = image.size
    if reason := too_large(width, height):
        image.close()
        raise UnreadablePhoto(reason)
    if width < 1 or height < 1:
        image.close()
        raise UnreadablePhoto("the image has no pixels (its header declares a width or height of 0)")
    return image


def _load(image: Image.Image, name: str) -> None:
    """Decodes (at the draft scale already chosen); a failure is the file's, unless the machine's."""
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, MemoryError) as error:
        if fault := environment_fault(error, name):
            raise fault from error
        reason = pillow_reason(error, image.format or "image")
        raise UnreadablePhoto(f"cannot decode the image: {reason}") from None


def _reduced(image: Image.Image, size: int, name: str) -> Image.Image:
    """Decodes at the smallest JPEG scale still >= ``size``, applies EXIF rotation, shrinks to ``size``."""
    image.draft("RGB", (size, size))
    _load(image, name)
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "L"):
        image = _flatten(image)
    # Grid thumbnails shrink by under 2x after draft decoding, where antialiased bilinear looks the same as
    # bicubic at 2/3 of the cost; analysis images keep bicubic.
    quality_filter = Image.Resampling.BILINEAR if size <= THUMB_SIZE else Image.Resampling.BICUBIC
    image.thumbnail((size, size), quality_filter, reducing_gap=2.0)
    return image


def _flatten(image: Image.Image) -> Image.Image:
    """RGB for JPEG output; transparency is composited on white rather than turning black."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        return image.point(lambda v: v / 256).convert("L")
    return image.convert("RGB")


def write_atomically(target: Path, data: bytes, mode: int | None = None) -> None:
    """Temp file + rename in the same folder: a reader sees the old file or the new one, never half.
    ``mode``: the permissions the file gets (a temp file is private; a sidecar keeps the old one's)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with _suppress_oserror():
            os.unlink(tmp)
        raise


def remove_stale_temp_files(thumb_dir: Path, older_than: float = STALE_TEMP_SECONDS) -> int:
    """Deletes the ``.tmp-*`` files a process killed mid-write left in the thumbnail cache; returns how many.

    Only old ones: a younger temp file may be another process's thumbnail being written right now.
    """
    cutoff = time.time() - older_than
    removed = 0
    try:
        shards = [entry.path for entry in os.scandir(thumb_dir) if entry.is_dir(follow_symlinks=False)]
    except OSError:
        return 0  # no cache yet, or unreadable: writing a thumbnail will say so
    for shard in shards:
        try:
            entries = [entry for entry in os.scandir(shard) if entry.name.startswith(".tmp-")]
        except OSError:
            continue
        for entry in entries:
            with _suppress_oserror():
                if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
    return removed


class _suppress_oserror:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, *rest: object) -> bool:
        return kind is not None and issubclass(kind, OSError)


def encode_jpeg(image: Image.Image, quality: int = 85) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=False)
    return out.getvalue()


@contextlib.contextmanager
def reading_file(path: str) -> Iterator[None]:
    """Turns what opening and reading ``path`` raises into the file's reason (UnreadablePhoto) or the
    machine's fault (EnvironmentFault: disk full, I/O error, no memory)."""
    try:
        yield
    except FileNotFoundError:
        raise UnreadablePhoto("file disappeared during the scan") from None
    except PermissionError:
        raise UnreadablePhoto("permission denied") from None
    except IsADirectoryError:
        raise UnreadablePhoto("is a directory") from None
    except (OSError, MemoryError) as error:
        if fault := environment_fault(error, path):
            raise fault from error
        raise UnreadablePhoto(f"cannot read file ({getattr(error, 'strerror', None) or error})") from None


def hash_stream(handle: BinaryIO) -> str:
    """xxh3-128 of everything from ``handle``'s position to its end: a file's content key.

    Read into one reused buffer: a new ``bytes`` object per megabyte (allocated, then copied into)
    cost a third of the CPU (300 MB of videos from the page cache: 0.04 s instead of 0.05-0.08 s).
    """
    digest = xxhash.xxh3_128()
    buffer = bytearray(_HASH_CHUNK)
    view = memoryview(buffer)
    while count := handle.readinto(buffer):
        digest.update(view[:count])
    return digest.hexdigest()


def check_unchanged(before: os.stat_result, after: os.stat_result) -> None:
    """Raises ChangedWhileRead when the file's size or mtime moved while we read it (still being copied)."""
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        raise ChangedWhileRead("file changed while it was being read; it will be read again next scan")


def read_photo(
    path: str,
    thumb_dir: Path,
    sidecars: tuple[str, ...] = (),
    sidecar_sig: str | None = None,
    parsed_sidecars: ParsedSidecars | None = None,
) -> ImageFacts:
    """Hashes, sniffs and reads one file's facts, writing its thumbnail if it has none yet.

    ``sidecars`` are the photo's XMP sidecar files (the winner first) and ``sidecar_sig`` their
    size and mtime as the walk saw them, kept with the photo for the next scan's change check;
    ``parsed_sidecars`` may hold them parsed already (xmp.read.parse_sidecars).

    Raises UnreadablePhoto with a specific reason for anything that is not a usable photo,
    including a file that changed or vanished while we read it, and EnvironmentFault when the
    machine failed (disk full, I/O error, no memory): that is never the photo's fault.
    """
    with reading_file(path):
        before = os.stat(path)
        with open(path, "rb") as handle:  # read-only: we never write a user's photo
            head = handle.read(32)
            if not head:
                raise UnreadablePhoto("empty file (0 bytes)")
            kind = sniff_format(head)
            if kind is None:
                raise NotAnImage("not an image (content is not JPEG, PNG, WebP, HEIC, TIFF, GIF or BMP)")
            try:  # before reading the whole file: junk behind a signature is refused in a few reads
                check_header(handle, kind, before.st_size)
            except NoImageData as problem:
                raise NotAnImage(f"not an image Pillow can read: {problem}") from None
            except HeaderProblem as problem:
                raise UnreadablePhoto(str(problem)) from None
            handle.seek(0)
            if before.st_size <= WHOLE_FILE_LIMIT:
                data = handle.read()
                content_hash = xxhash.xxh3_128_hexdigest(data)
                source: str | io.BytesIO = io.BytesIO(data)
            else:
                content_hash = hash_stream(handle)
                source = path
        after = os.stat(path)
    check_unchanged(before, after)

    image = _open(source, path, kind)
    with image:
        width, height = image.size
        facts = read_exif(image)
        metadata, metadata_warnings = _metadata(image, sidecars, facts.orientation, path, parsed_sidecars)
        if facts.orientation in (5, 6, 7, 8):
            width, height = height, width
        thumb = thumbnail_path(thumb_dir, content_hash)
        phash = None
        if thumbnail_exists(thumb, thumb_dir):
            _verify_decodes(image, path)
        else:
            thumb_data = encode_jpeg(_reduced(image, THUMB_SIZE, path), quality=82)
            write_thumbnail(thumb, thumb_data, thumb_dir)
            phash = thumbnail_hash(thumb_data)
    taken_at, source_name = facts.taken_at, "exif"
    if taken_at is None:
        taken_at = datetime.fromtimestamp(before.st_mtime).isoformat(timespec="seconds")
        source_name = "mtime"
    return ImageFacts(
        size=before.st_size,
        mtime_ns=before.st_mtime_ns,
        hash=content_hash,
        format=image.format or kind,
        width=width,
        height=height,
        taken_at=taken_at,
        taken_at_source=source_name,
        camera_make=facts.camera_make,
        camera_model=facts.camera_model,
        latitude=facts.latitude,
        longitude=facts.longitude,
        orientation=facts.orientation,
        warnings=facts.warnings + metadata_warnings,
        perceptual_hash=phash,
        metadata=metadata,
        sidecars=sidecar_sig,
    )


def _metadata(
    image: Image.Image,
    sidecars: tuple[str, ...],
    orientation: int | None,
    path: str,
    parsed_sidecars: ParsedSidecars | None,
) -> tuple[PhotoMetadata | None, tuple[str, ...]]:
    """XMP and IPTC: a problem with them is a warning on the photo, never the photo's error."""
    try:
        metadata, warned = read_metadata(image, sidecars, image.size, orientation, parsed_sidecars)
    except OSError as error:
        if fault := environment_fault(error, path):
            raise fault from error
        return None, (f"XMP sidecar could not be read ({getattr(error, 'strerror', None) or error})",)
    except Exception as error:  # a metadata bug on one odd file must not cost the photo
        return None, (f"metadata could not be read: {type(error).__name__}: {error}",)
    return (None if metadata.empty else metadata), warned


def thumbnail_exists(thumb: Path, thumb_dir: Path) -> bool:
    try:
        return thumb.exists()
    except OSError as error:  # an unreadable cache folder: ours to fix, not the photo's
        raise storage_fault(error, str(thumb_dir)) from error


def write_thumbnail(thumb: Path, data: bytes, thumb_dir: Path) -> None:
    try:
        write_atomically(thumb, data)
    except OSError as error:  # disk full, read-only, a cache folder that vanished or is not ours
        raise storage_fault(error, f"the thumbnail folder {thumb_dir}") from error


def _verify_decodes(image: Image.Image, name: str) -> None:
    """A duplicate of content we already thumbnailed still has to prove it decodes (cheaply)."""
    image.draft("RGB", (64, 64))
    _load(image, name)


def make_thumbnail(path: str, thumb: Path) -> None:
    """Rebuilds one thumbnail (the cache can be deleted at any time)."""
    with _open(path, path) as image:
        data = encode_jpeg(_reduced(image, THUMB_SIZE, path), quality=82)
    write_thumbnail(thumb, data, thumb.parent.parent)


def analysis_jpeg(path: str, size: int = ANALYSIS_SIZE, max_bytes: int = ANALYSIS_MAX_BYTES) -> bytes:
    """The image analyzers get: JPEG, EXIF-rotated, long side <= ``size``, at most ``max_bytes``."""
    with _open(path, path) as image:
        reduced = _reduced(image, size, path)
    quality = 88
    data = encode_jpeg(reduced, quality)
    while len(data) > max_bytes and quality > 40:
        quality -= 12
        data = encode_jpeg(reduced, quality)
    if len(data) > max_bytes:
        raise UnreadablePhoto(f"analysis image stays over {max_bytes} bytes")
    return data


GPS_IFD = 0x8825  # the EXIF tag pointing at the GPS block
ORIENTATION = 0x0112


def shared_jpeg(
    path: str, long_side: int, quality: int, quarter_turns: int = 0, keep_location: bool = True
) -> bytes:
    """A JPEG copy of a photo to share: long side <= ``long_side``, upright (its EXIF orientation and the
    user's display rotation applied, so the copy's orientation tag says 'as stored'), its colour profile
    and EXIF kept, the GPS block left out unless ``keep_location``. The photo itself is only read."""
    with _open(path, path) as image:
        exif = image.getexif()
        icc = image.info.get("icc_profile")
        reduced = _reduced(image, long_side, path)
    if quarter_turns % 4:
        reduced = reduced.rotate(-90 * (quarter_turns % 4), expand=True)  # PIL turns anticlockwise
    exif[ORIENTATION] = 1
    if not keep_location:
        exif.pop(GPS_IFD, None)
    out = io.BytesIO()
    options: dict[str, object] = {"quality": quality, "exif": exif.tobytes()}
    if icc:
        options["icc_profile"] = icc
    reduced.save(out, "JPEG", **options)
    return out.getvalue()
