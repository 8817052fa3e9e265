"""Reads behind browsing the library by folder and by what analysis found (the sidebar's counts)."""

from __future__ import annotations

import os

from photosorter.core.catalog.database import Catalog
from photosorter.core.catalog.paths import to_db

_VISIBLE = "state IN ('ok', 'offline')"  # missing and unreadable files leave every view


def folder_photo_ids(catalog: Catalog, folder: str) -> list[int]:
    """The visible photos under ``folder`` (its subfolders too), newest first.

    A path prefix that ends in a separator, so ``/a/b`` never takes in ``/a/bc``. Text paths are a range
    over the path index (``/`` + 1 is ``0``); a path stored as raw bytes (not UTF-8) is a BLOB, which
    sorts after every text, so it is compared by its bytes.
    """
    prefix = folder.rstrip(os.sep) + os.sep
    stored = to_db(prefix)
    raw = stored if isinstance(stored, bytes) else stored.encode()
    blob_match = "(typeof(path) = 'blob' AND substr(path, 1, ?) = ?)"
    if isinstance(stored, bytes):  # a folder whose name is not UTF-8 holds no text path
        where, params = blob_match, (len(raw), raw)
    else:
        upper = stored[:-1] + chr(ord(os.sep) + 1)
        where, params = f"((path >= ? AND path < ?) OR {blob_match})", (stored, upper, len(raw), raw)
    rows = catalog.connection().execute(
        f"SELECT id FROM photos WHERE {_VISIBLE} AND {where} ORDER BY taken_at DESC, id DESC", params
    )
    return [row[0] for row in rows]


def count_photos_with_text(catalog: Catalog) -> int:
    """Visible photos in which some backend read text (what ``has:text`` finds), counted in SQL."""
    return (
        catalog.connection()
        .execute(
            f"SELECT count(*) FROM photos p WHERE {_VISIBLE}"
            " AND EXISTS (SELECT 1 FROM text_lines t WHERE t.hash = p.hash)"
        )
        .fetchone()[0]
    )
