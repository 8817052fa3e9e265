"""Photos' places by name: the ones still to look up, storing what was found, and the sidebar's counts."""

from __future__ import annotations

from dataclasses import dataclass

from photosorter.core.catalog.database import Catalog
from photosorter.core.places import Place

_VISIBLE = "state IN ('ok', 'offline')"


@dataclass(frozen=True, slots=True)
class PlaceCount:
    """Visible photos taken at one place (a town, or only a country far from any town)."""

    place: Place
    count: int


def pending(catalog: Catalog, limit: int) -> list[tuple[int, float, float]]:
    """(photo id, latitude, longitude) of photos with GPS whose place was not looked up yet."""
    rows = catalog.connection().execute(
        "SELECT id, latitude, longitude FROM photos INDEXED BY photos_place_pending"
        " WHERE place_code IS NULL AND latitude IS NOT NULL AND longitude IS NOT NULL ORDER BY id LIMIT ?",
        (limit,),
    )
    return [(r[0], float(r[1]), float(r[2])) for r in rows]


def is_pending(catalog: Catalog, photo_id: int) -> bool:
    row = (
        catalog.connection()
        .execute("SELECT place_code IS NULL AND latitude IS NOT NULL FROM photos WHERE id = ?", (photo_id,))
        .fetchone()
    )
    return bool(row and row[0])


def store(catalog: Catalog, found: list[tuple[int, float, float, Place | None]]) -> int:
    """Stores each photo's place (None: no town near); returns how many rows took it.

    A row whose position changed since it was read keeps its NULL: the trigger that reset it wins, and
    the next pass looks the new position up.
    """
    with catalog.transaction() as conn:
        cursor = conn.executemany(
            "UPDATE photos SET place_city = ?, place_region = ?, place_country = ?, place_code = ?"
            " WHERE id = ? AND latitude = ? AND longitude = ? AND place_code IS NULL",
            [
                (
                    p.city if p else "",
                    p.region if p else "",
                    p.country if p else "",
                    p.country_code if p else "",
                    photo_id,
                    lat,
                    lon,
                )
                for photo_id, lat, lon, p in found
            ],
        )
        return cursor.rowcount  # the rows updated (total_changes would count the triggers' rows too)


def place_of(catalog: Catalog, photo_id: int) -> Place | None:
    row = (
        catalog.connection()
        .execute(
            "SELECT place_city, place_region, place_country, place_code FROM photos WHERE id = ?",
            (photo_id,),
        )
        .fetchone()
    )
    if row is None or not row[3]:
        return None
    return Place(row[0] or "", row[1] or "", row[2] or "", row[3])


def counts(catalog: Catalog) -> list[PlaceCount]:
    """Every place with visible photos, by country then town (a country's town-less photos first)."""
    rows = catalog.connection().execute(
        "SELECT place_city, place_region, place_country, place_code, count(*) FROM photos"
        f" WHERE place_code <> '' AND {_VISIBLE}"
        " GROUP BY place_code, place_region, place_city ORDER BY place_country, place_city, place_region"
    )
    return [PlaceCount(Place(r[0] or "", r[1] or "", r[2] or "", r[3]), r[4]) for r in rows]
