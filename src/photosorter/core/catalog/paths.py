"""Storing file paths that may not be valid UTF-8.

A POSIX file name is bytes. Names that decode as UTF-8 are stored as TEXT (so
LIKE and the search index work on them); the rare others are stored as a BLOB
of their raw bytes so the file can always be found again.
"""

from __future__ import annotations

import os


def to_db(path: str) -> str | bytes:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path)
    return path


def from_db(value: str | bytes) -> str:
    return os.fsdecode(value) if isinstance(value, bytes) else value


def display(path: str) -> str:
    """A printable form for messages and JSON (undecodable bytes become U+FFFD)."""
    return os.fsencode(path).decode("utf-8", "replace")
