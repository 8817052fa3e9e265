"""Reads and writes of the rotation a user chose for showing a photo (never written into the file)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from photosorter.core.catalog.database import Catalog


def rotations(catalog: Catalog, photo_ids: Sequence[int]) -> dict[int, int]:
    """Quarter turns clockwise of those of ``photo_ids`` that the user turned (the others are 0)."""
    rows = catalog.connection().execute(
        "SELECT photo_id, quarter_turns FROM photo_rotation"
        " WHERE photo_id IN (SELECT value FROM json_each(?))",
        (json.dumps(list(photo_ids)),),
    )
    return dict(rows.fetchall())


def rotate(catalog: Catalog, photo_ids: Sequence[int], quarter_turns: int) -> dict[int, int]:
    """Turns photos by ``quarter_turns`` (negative: anticlockwise) more; returns each one's new rotation.
    Four turns are none, and then no row is kept. Ids of photos no longer in the catalog are left out."""
    wanted = (json.dumps(list(photo_ids)),)
    with catalog.transaction() as conn:
        rows = conn.execute(
            "SELECT p.id, coalesce(r.quarter_turns, 0) FROM photos p LEFT JOIN photo_rotation r"
            " ON r.photo_id = p.id WHERE p.id IN (SELECT value FROM json_each(?))",
            wanted,
        ).fetchall()
        turned = {photo_id: (turns + quarter_turns) % 4 for photo_id, turns in rows}
        conn.executemany(
            "DELETE FROM photo_rotation WHERE photo_id = ?", [(i,) for i, t in turned.items() if t == 0]
        )
        conn.executemany(
            "INSERT INTO photo_rotation (photo_id, quarter_turns) VALUES (?, ?)"
            " ON CONFLICT (photo_id) DO UPDATE SET quarter_turns = excluded.quarter_turns",
            [(i, t) for i, t in turned.items() if t],
        )
    return turned
