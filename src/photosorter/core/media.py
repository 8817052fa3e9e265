"""A library item is a photo or a video, told apart by the file's content: one entry point for both."""

from __future__ import annotations

import os
from pathlib import Path

from photosorter.core.imaging import IMAGE_EXTENSIONS, NotAnImage, make_thumbnail, read_photo
from photosorter.core.records import ImageFacts
from photosorter.core.video.containers import HEAD_BYTES, VIDEO_EXTENSIONS, Container, sniff_container
from photosorter.core.video.reading import make_poster, read_video
from photosorter.core.xmp.read import ParsedSidecars

MEDIA_EXTENSIONS = IMAGE_EXTENSIONS | VIDEO_EXTENSIONS


def has_media_extension(name: str) -> bool:
    """Named like a photo or a video: such a file is reported when it cannot be read, others are not."""
    return os.path.splitext(name)[1].lower() in MEDIA_EXTENSIONS


def video_container(path: str) -> Container | None:
    """The video container ``path`` holds, or None (a photo, anything else, or unreadable: the photo
    reader then says why)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError:
        return None
    return sniff_container(head)


def read_media(
    path: str,
    thumb_dir: Path,
    sidecars: tuple[str, ...] = (),
    sidecar_sig: str | None = None,
    parsed_sidecars: ParsedSidecars | None = None,
) -> ImageFacts:
    """Facts of a photo or a video, with its thumbnail written; raises as ``read_photo`` does.
    ``sidecars`` (a photo's XMP sidecars, some maybe ``parsed_sidecars`` already) and their
    signature are read with a photo."""
    container = video_container(path)
    if container is not None:
        return read_video(path, thumb_dir, container)
    try:
        return read_photo(path, thumb_dir, sidecars, sidecar_sig, parsed_sidecars)
    except NotAnImage:
        if os.path.splitext(path)[1].lower() in VIDEO_EXTENSIONS:  # the photo reader's words would mislead
            raise NotAnImage("not a video or photo: the content is no video or image format") from None
        raise


def make_media_thumbnail(path: str, thumb: Path) -> None:
    """Rebuilds one thumbnail, a photo's or a video's poster (the cache can be deleted at any time)."""
    container = video_container(path)
    if container is not None:
        make_poster(path, thumb, container)
    else:
        make_thumbnail(path, thumb)
