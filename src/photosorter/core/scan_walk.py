"""The scanner's walk: which files below a library folder are new or changed, decided by stat alone.

Unchanged files (same size and mtime as when last read) are never opened; what is found but cannot
be stat'ed (a broken link, a symlink loop) is a candidate with its reason, so the writer records it.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from photosorter.core.catalog import photos as photo_rows
from photosorter.core.media import has_media_extension
from photosorter.core.records import Folder
from photosorter.core.xmp.read import is_sidecar, sidecar_names


@dataclass(frozen=True, slots=True)
class Candidate:
    """A file found by the walk, with the stat that decided whether to read it."""

    folder_id: int
    path: str
    size: int | None
    mtime_ns: int | None
    walk_error: str | None = None  # broken symlink, permission denied, ...
    sidecars: tuple[str, ...] = ()  # its XMP sidecar files, the winner first
    sidecar_sig: str | None = None  # their sizes and mtimes: a changed sidecar is a changed photo


@dataclass(frozen=True, slots=True)
class WalkResult:
    to_read: list[Candidate]
    seen: set[str]
    unchanged: int


def is_unchanged(
    previous: photo_rows.KnownFile | None, info: os.stat_result, sidecar_sig: str | None = None
) -> bool:
    """Same size and mtime as when last read, sidecars too: the file is not opened again."""
    return (
        previous is not None
        and previous.state in ("ok", "error")
        and (previous.size, previous.mtime_ns, previous.sidecars)
        == (info.st_size, info.st_mtime_ns, sidecar_sig)
    )


def find_sidecars(name: str, sidecars: dict[str, os.DirEntry | str]) -> tuple[tuple[str, ...], str | None]:
    """A photo's sidecars among its folder's ``.xmp`` files (by lower-case name), and their signature.

    Names are matched case-insensitively: cameras write ``IMG_1.JPG``, tools ``IMG_1.jpg.xmp``.
    Called for every photo of a folder with sidecars, so a no-change rescan pays it per photo: two
    dictionary look-ups and one stat per sidecar found.
    """
    full, short = sidecar_names(name.lower())
    first, second = sidecars.get(full), (sidecars.get(short) if short != full else None)
    if second is None:
        if first is None:
            return (), None
        if isinstance(first, os.DirEntry):  # the usual case, one sidecar found by the walk: no lists
            try:
                info = first.stat()
            except OSError:
                return (), None  # vanished since the listing: as if it were not there
            return (first.path,), f"{first.name}:{info.st_size}:{info.st_mtime_ns}"
    paths: list[str] = []
    parts: list[str] = []
    for entry in (first, second):
        if entry is None:
            continue
        try:
            if isinstance(entry, os.DirEntry):
                info, path, base = entry.stat(), entry.path, entry.name
            else:
                info, path, base = os.stat(entry), entry, os.path.basename(entry)
        except OSError:
            continue  # vanished since the listing: as if it were not there
        paths.append(path)
        parts.append(f"{base}:{info.st_size}:{info.st_mtime_ns}")
    return tuple(paths), ("/".join(parts) or None)


def sidecars_in(directory: str) -> dict[str, str]:
    """The ``.xmp`` files of one folder by lower-case name (for a single path the watcher reports)."""
    try:
        return {e.name.lower(): e.path for e in os.scandir(directory) if is_sidecar(e.name)}
    except OSError:
        return {}


def walk_folder(folder: Folder, known: dict[str, photo_rows.KnownFile], skip: tuple[Path, ...]) -> WalkResult:
    """Stats every file below ``folder``; returns the ones that are new or changed."""
    to_read: list[Candidate] = []
    seen: set[str] = set()
    unchanged = 0
    skip_real = {os.path.realpath(p) for p in skip}
    visited_dirs: set[tuple[int, int]] = set()
    stack = [folder.path]
    while stack:
        directory = stack.pop()
        try:
            dir_stat = os.stat(directory)
        except OSError:
            continue
        key = (dir_stat.st_dev, dir_stat.st_ino)
        if key in visited_dirs:  # a symlink loop, or the same folder reached twice
            continue
        visited_dirs.add(key)
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        sidecars: dict[str, os.DirEntry | str] = {}
        others: list[os.DirEntry] = []
        for entry in entries:
            if is_sidecar(entry.name):
                sidecars[entry.name.lower()] = entry  # read with its photo, never as a photo of its own
            else:
                others.append(entry)
        for entry in others:
            name = entry.name
            if name.startswith("."):
                continue  # hidden files and folders, including our own temp files
            try:
                is_dir = entry.is_dir()  # follows symlinks; loops are caught by visited_dirs
            except OSError:
                is_dir = False
            if is_dir:
                if os.path.realpath(entry.path) not in skip_real:
                    stack.append(entry.path)
                continue
            path = entry.path
            try:
                info = entry.stat()
            except FileNotFoundError:
                if entry.is_symlink() and has_media_extension(name):
                    seen.add(path)
                    to_read.append(Candidate(folder.id, path, None, None, "broken symbolic link"))
                continue
            except OSError as error:
                if has_media_extension(name):
                    seen.add(path)
                    loop = error.errno == errno.ELOOP
                    reason = "symbolic link loop" if loop else f"cannot stat ({error.strerror})"
                    to_read.append(Candidate(folder.id, path, None, None, reason))
                continue
            if not stat.S_ISREG(info.st_mode):
                continue
            seen.add(path)
            found, signature = find_sidecars(name, sidecars) if sidecars else ((), None)
            if is_unchanged(known.get(path), info, signature):
                unchanged += 1
                continue
            to_read.append(Candidate(folder.id, path, info.st_size, info.st_mtime_ns, None, found, signature))
    return WalkResult(to_read, seen, unchanged)


@dataclass(frozen=True, slots=True)
class PathsWalk:
    to_read: list[Candidate]
    seen: set[str]
    unchanged: int
    roots: frozenset[str]  # the paths asked about: known rows below them that were not seen are gone


def under_any(path: str, roots: frozenset[str]) -> bool:
    """``path`` is one of ``roots`` or inside one (walks up the parents: cheap for thousands of roots)."""
    while True:
        if path in roots:
            return True
        parent = os.path.dirname(path)
        if parent == path:
            return False
        path = parent


def walk_paths(
    folder: Folder, paths: list[str], known: dict[str, photo_rows.KnownFile], skip: tuple[Path, ...]
) -> PathsWalk:
    """Stats only the given paths (walking the ones that are folders) with ``walk_folder``'s rules."""
    to_read: list[Candidate] = []
    seen: set[str] = set()
    unchanged = 0
    roots = frozenset(os.path.normpath(p) for p in paths)
    photos_of_sidecars = {photo for p in roots if is_sidecar(p) for photo in _photos_of_sidecar(p)}
    for path in sorted(roots | photos_of_sidecars):  # a folder before the paths inside it
        if any(part.startswith(".") for part in os.path.relpath(path, folder.path).split(os.sep)):
            continue  # hidden, like walk_folder
        if os.path.isdir(path):
            walk = walk_folder(Folder(folder.id, path, True), known, skip)
            to_read.extend(c for c in walk.to_read if c.path not in seen)
            seen |= walk.seen
            unchanged += walk.unchanged
            continue
        try:
            info = os.stat(path)
        except OSError:
            continue  # gone (or a broken link): the caller marks known rows below it missing
        if not stat.S_ISREG(info.st_mode) or path in seen or is_sidecar(path):
            continue
        seen.add(path)
        found, signature = find_sidecars(os.path.basename(path), sidecars_in(os.path.dirname(path)))
        if is_unchanged(known.get(path), info, signature):
            unchanged += 1
            continue
        to_read.append(Candidate(folder.id, path, info.st_size, info.st_mtime_ns, None, found, signature))
    return PathsWalk(to_read, seen, unchanged, roots)


def _photos_of_sidecar(sidecar: str) -> list[str]:
    """The photos a changed sidecar belongs to: ``IMG_1.jpg`` for ``IMG_1.jpg.xmp``, and every
    ``IMG_1.*`` photo for ``IMG_1.xmp``."""
    directory, name = os.path.split(sidecar)
    base = name[: -len(".xmp")].lower()
    try:
        names = [e.name for e in os.scandir(directory) if not is_sidecar(e.name)]
    except OSError:
        return []
    return [
        os.path.join(directory, n)
        for n in names
        if n.lower() == base or (has_media_extension(n) and os.path.splitext(n)[0].lower() == base)
    ]
