"""The walk's sidecar matching: which .xmp files belong to a photo, and the signature that makes a changed
sidecar a changed photo."""

from __future__ import annotations

import os
from pathlib import Path

from photosorter.core.scan_walk import find_sidecars, sidecars_in
from photosorter.core.xmp.read import is_sidecar


def _listing(folder: Path) -> dict[str, os.DirEntry | str]:
    """The folder's sidecars as the walk holds them: DirEntry objects by lower-case name."""
    return {e.name.lower(): e for e in os.scandir(folder) if is_sidecar(e.name)}


def _sig(path: Path) -> str:
    info = path.stat()
    return f"{path.name}:{info.st_size}:{info.st_mtime_ns}"


def test_one_sidecar_is_found_case_insensitively_with_its_size_and_mtime(tmp_path: Path) -> None:
    side = tmp_path / "IMG_1.jpg.xmp"
    side.write_bytes(b"<x/>")
    found, signature = find_sidecars("IMG_1.JPG", _listing(tmp_path))
    assert found == (str(side),)
    assert signature == _sig(side)
    # the watcher's listing holds paths, not DirEntry objects: the same answer
    assert find_sidecars("IMG_1.JPG", sidecars_in(str(tmp_path))) == (found, signature)


def test_both_conventions_are_found_the_long_name_first(tmp_path: Path) -> None:
    long, short = tmp_path / "IMG_2.jpg.xmp", tmp_path / "IMG_2.xmp"
    long.write_bytes(b"<a/>")
    short.write_bytes(b"<bb/>")
    found, signature = find_sidecars("IMG_2.jpg", _listing(tmp_path))
    assert found == (str(long), str(short))
    assert signature == f"{_sig(long)}/{_sig(short)}"
    only_short = find_sidecars("IMG_3.jpg", _listing(tmp_path))
    assert only_short == ((), None)  # IMG_2.xmp is not IMG_3's


def test_a_sidecar_gone_since_the_listing_counts_as_none(tmp_path: Path) -> None:
    side = tmp_path / "IMG_4.jpg.xmp"
    side.write_bytes(b"<x/>")
    listing = _listing(tmp_path)
    side.unlink()
    assert find_sidecars("IMG_4.jpg", listing) == ((), None)
