"""The analysis image of one content, made from whichever of its copies can be read now.

A content is its bytes; a path is only where those bytes were when the folder was scanned. A
copy that vanished (moved, deleted, its disk unplugged) or that the machine cannot read right
now (permissions, I/O error, no space, too many open files) says nothing about the content, so
it is never recorded against it: the content stays pending, and a rescan that finds it again
(moved) lets the next run analyze it. Only what the bytes themselves are (not an image, a
decompression bomb, undecodable data) is a property of the content.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from photosorter.core.catalog.paths import display
from photosorter.core.imaging import UnreadablePhoto

ImageLoader = Callable[[str], bytes]


class SourceUnavailable(Exception):
    """No copy can be read now, for a reason of the machine or the path; try again later."""


class SourceUnusable(Exception):
    """The content cannot become an analysis image (its bytes are not a usable image)."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


@dataclass(frozen=True, slots=True)
class SourceImage:
    path: str
    data: bytes


def environment_fault(error: BaseException) -> OSError | None:
    """The OSError with an errno behind ``error``, if any: the OS said no, not the image decoder.

    Pillow reports bad image data as OSError too, but without an errno; a failed ``open`` or
    ``read`` (ENOENT, EACCES, EIO, ENOSPC, ESTALE...) always carries one. ``UnreadablePhoto``
    hides its cause (``from None``) but keeps it as ``__context__``.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno is not None:
            return current
        current = current.__cause__ or current.__context__
    return None


def unavailable_reason(fault: OSError) -> str:
    """Why a copy cannot be read now, in the words the user sees."""
    if isinstance(fault, FileNotFoundError | NotADirectoryError):
        return "the file is gone (moved or deleted since the last scan)"
    return f"the file cannot be read now ({fault.strerror or fault})"


def load_source(paths: Sequence[str], load_image: ImageLoader) -> SourceImage:
    """The analysis image from the first copy that reads; the copies are the same bytes.

    Raises SourceUnusable when a copy was read and its bytes are not a usable image, and
    SourceUnavailable when no copy could be read for a reason outside the content.
    """
    unavailable: list[str] = []
    for path in paths:
        try:
            return SourceImage(path, load_image(path))
        except (UnreadablePhoto, OSError) as error:
            fault = environment_fault(error)
            if fault is None:
                raise SourceUnusable(str(error), path) from error
            unavailable.append(f"{display(path)}: {unavailable_reason(fault)}")
    raise SourceUnavailable("; ".join(unavailable) or "no copy of this photo is known")
