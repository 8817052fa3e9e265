"""One XMP sidecar file, read and parsed into a small frozen record the photo's reader merges.

Kept apart from ``read`` (which needs Pillow for what the photo itself holds) so that a helper process
parsing a big scan's sidecars imports only the XML side.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from photosorter.core.xmp.parse import MAX_PACKET_BYTES, XmpError, XmpFields, parse_packet


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


@dataclass(frozen=True, slots=True)
class ParsedSidecar:
    """One sidecar file read and parsed, ready to merge with what the photo holds.

    Made apart from the photo (in a helper process during a big scan), so it carries what went wrong
    instead of raising it: ``read_metadata`` raises ``error`` where the photo is read, as if the
    sidecar were read there."""

    label: str  # the file's name, as warnings and sources say it
    fields: XmpFields | None = None
    problem: str | None = None  # why the packet cannot be read at all (bad XML, a bomb): a warning
    error: BaseException | None = None  # the sidecar vanished or cannot be read (OSError), or a bug


def parse_sidecar(path: str) -> ParsedSidecar:
    """Reads and parses one sidecar; never raises for the file (see ``ParsedSidecar.error``)."""
    label = os.path.basename(path)
    try:
        return ParsedSidecar(label, parse_packet(_read_sidecar(path)))
    except XmpError as problem:
        return ParsedSidecar(label, problem=str(problem))
    except Exception as error:  # raised again by read_metadata, in the photo's reader
        return ParsedSidecar(label, error=error)


def parse_sidecars(groups: Sequence[tuple[str, ...]]) -> list[tuple[ParsedSidecar, ...]]:
    """``parse_sidecar`` for each photo's sidecar paths (the winner first): a helper process's task."""
    return [tuple(parse_sidecar(path) for path in group) for group in groups]
