"""Filling in what an older catalog, or another writer, left out: places by name for photos with GPS,
and perceptual hashes from the cached thumbnails (never by reading the originals again).

Both are cheap when there is nothing to do (one indexed query), so the app runs them on open and the
scanner after each batch it writes; a cancelled pass resumes where it stopped.
"""

from __future__ import annotations

from pathlib import Path

from PIL import UnidentifiedImageError

from photosorter.core import places
from photosorter.core.catalog import Catalog
from photosorter.core.catalog import duplicates as duplicate_rows
from photosorter.core.catalog import places as place_rows
from photosorter.core.imaging import thumbnail_path
from photosorter.core.jobs import CancelToken
from photosorter.core.near_duplicates import thumbnail_hash
from photosorter.core.records import Photo

_CHUNK = 20_000


def fill_places(catalog: Catalog, cancel: CancelToken | None = None) -> int:
    """Looks up the place of every photo with GPS that has none yet; returns how many were stored."""
    stored = 0
    while rows := place_rows.pending(catalog, _CHUNK):
        if cancel is not None:
            cancel.check()
        found = places.index().lookup([(lat, lon) for _, lat, lon in rows])
        done = place_rows.store(
            catalog, [(pid, lat, lon, p) for (pid, lat, lon), p in zip(rows, found, strict=True)]
        )
        stored += done
        if not done:  # every row moved under us: the next query finds them with their new position
            break
    return stored


def place_of(catalog: Catalog, photo: Photo) -> places.Place | None:
    """A photo's place: the stored one, or, for a position not looked up yet, looked up now (not stored:
    a reader such as ``show`` never writes)."""
    stored = place_rows.place_of(catalog, photo.id)
    if stored is not None or photo.gps is None or not place_rows.is_pending(catalog, photo.id):
        return stored
    return places.index().lookup([photo.gps])[0]


def fill_perceptual_hashes(catalog: Catalog, thumb_dir: Path, cancel: CancelToken | None = None) -> int:
    """Hashes the cached thumbnail of every visible content without a perceptual hash. A content whose
    thumbnail is not in the cache (yet) is left for a later pass."""
    stored, after = 0, ""
    while contents := duplicate_rows.unhashed_contents(catalog, after, 500):
        after = contents[-1]
        found = []
        for content in contents:
            if cancel is not None:
                cancel.check()
            try:
                found.append((content, thumbnail_hash(thumbnail_path(thumb_dir, content).read_bytes())))
            except (OSError, UnidentifiedImageError, ValueError):
                continue  # no thumbnail yet, or a damaged one: the thumbnail job rebuilds it
        duplicate_rows.store_hashes(catalog, found)
        stored += len(found)
    return stored
