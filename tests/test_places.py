"""Places: a GPS position to a town, region and country, offline; stored at scan, filled in for older
catalogs, searchable (place:, country:) and shown by `show` and `places`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photosorter.core import places
from photosorter.core.backfill import fill_places
from photosorter.core.catalog import Catalog
from photosorter.core.catalog import places as place_rows
from photosorter.core.places import CITY_KM, COUNTRY_KM, EARTH_KM, Place
from photosorter.core.search import search_ids


@pytest.fixture(scope="module")
def index() -> places.PlaceIndex:
    return places.index()


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return (float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 4))


def gps_photo(path: Path, lat: float, lon: float, color=(90, 140, 200)) -> Path:
    """A JPEG with an EXIF GPS position, as a phone writes it (degrees, minutes, seconds)."""
    exif = Image.Exif()
    exif.get_ifd(0x8825).update(
        {1: "N" if lat >= 0 else "S", 2: _dms(lat), 3: "E" if lon >= 0 else "W", 4: _dms(lon)}
    )
    Image.new("RGB", (64, 48), color).save(path, "JPEG", exif=exif)
    return path


# -- the lookup ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lat", "lon", "city", "region", "country"),
    [
        (48.8584, 2.2945, "Paris", "", "France"),  # the Eiffel Tower: in Paris, not "Paris 07 Palais-Bourbon"
        (35.6595, 139.7005, "Tokyo", "", "Japan"),  # Shibuya crossing: a district of Tokyo
        (48.8049, 2.1204, "Versailles", "", "France"),  # 17 km from Paris: a town of its own
        (40.7580, -73.9855, "New York City", "New York", "United States"),  # US states are named
        (37.8199, -122.4783, "Sausalito", "California", "United States"),  # the Golden Gate Bridge
        (-33.8568, 151.2153, "Sydney", "", "Australia"),
    ],
)
def test_a_position_is_named_by_its_town_region_and_country(index, lat, lon, city, region, country) -> None:
    assert index.lookup([(lat, lon)]) == [Place(city, region, country, Place_code(country))]


def Place_code(country: str) -> str:
    return {"France": "FR", "Japan": "JP", "United States": "US", "Australia": "AU"}[country]


def test_far_from_towns_a_photo_gets_its_country_or_nothing(index) -> None:
    outback, mid_atlantic, south_pole = (-28.0, 123.0), (30.0, -40.0), (-89.9, 0.0)  # 91 km from Laverton
    found = index.lookup([outback, mid_atlantic, south_pole])
    assert found[0] == Place("", "", "Australia", "AU")  # beyond CITY_KM of any town, within COUNTRY_KM
    assert found[1:] == [None, None]
    town, km = index.nearest(np.array([outback[0]]), np.array([outback[1]]))
    assert CITY_KM < km[0] <= COUNTRY_KM and town[0] >= 0


def test_impossible_positions_are_nowhere(index) -> None:
    assert index.lookup([(91.0, 0.0), (0.0, 181.0), (float("nan"), 3.0)]) == [None, None, None]
    assert index.lookup([]) == []


def test_the_grid_finds_the_same_nearest_town_as_comparing_every_town(index) -> None:
    rng = np.random.default_rng(7)
    # around towns (dense and sparse regions alike), near the poles and across the date line
    pick = rng.integers(0, len(index), 700)
    lat = np.degrees(np.arcsin(index.xyz[pick, 2])) + rng.normal(0, 0.4, pick.size)
    lon = np.degrees(np.arctan2(index.xyz[pick, 1], index.xyz[pick, 0])) + rng.normal(0, 0.4, pick.size)
    special_lat, special_lon = [89.5, -85.0, 64.0, -16.5], [10.0, 120.0, -179.99, 179.95]
    lat = np.concatenate([np.clip(lat, -90, 90), special_lat, rng.uniform(-80, 80, 200)])
    lon = np.concatenate([(lon + 180) % 360 - 180, special_lon, rng.uniform(-180, 180, 200)])
    town, km = index.nearest(lat, lon)
    truth, best = [], []
    for start in range(0, lat.size, 100):  # against every town, a hundred points at a time
        dots = places._unit(lat[start : start + 100], lon[start : start + 100]) @ index.xyz.T
        truth.append(dots.argmax(axis=1))
        best.append(dots.max(axis=1))
    truth = np.concatenate(truth)
    truth_km = 2 * np.arcsin(np.sqrt(np.maximum(0, 2 - 2 * np.concatenate(best))) / 2) * EARTH_KM
    near = truth_km <= COUNTRY_KM
    assert near.sum() > 500 and (~near).sum() > 50  # both cases are exercised
    assert np.array_equal(town[~near], np.full((~near).sum(), -1))
    # the same town, or one exactly as far (two towns at one spot)
    assert np.allclose(km[near], truth_km[near], atol=1e-6)
    assert (town[near] == truth[near]).mean() > 0.99


# -- in the catalog ----------------------------------------------------------------------------------------
@pytest.fixture
def gps_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "trip"
    folder.mkdir()
    gps_photo(folder / "eiffel.jpg", 48.8584, 2.2945, (200, 60, 60))
    gps_photo(folder / "texas.jpg", 33.6609, -95.5555, (60, 200, 60))  # Paris, Texas
    gps_photo(folder / "ocean.jpg", 30.0, -40.0, (60, 60, 200))
    Image.new("RGB", (64, 48), (10, 10, 10)).save(folder / "nogps.jpg", "JPEG")
    return folder


def test_a_scan_stores_each_photos_place_and_search_finds_it(cli, home: Path, gps_folder: Path) -> None:
    assert cli("--home", home, "scan", gps_folder).code == 0
    shown = cli("--home", home, "show", gps_folder / "eiffel.jpg", "--json").json()
    assert shown["place"] == {
        "city": "Paris",
        "region": "",
        "country": "France",
        "country_code": "FR",
        "label": "Paris, France",
    }
    texas = cli("--home", home, "show", gps_folder / "texas.jpg", "--json").json()
    assert texas["place"]["label"] == "Paris, Texas, United States"
    assert cli("--home", home, "show", gps_folder / "ocean.jpg", "--json").json()["place"] is None
    assert "Paris, France" in cli("--home", home, "show", gps_folder / "eiffel.jpg").out

    def names(query: str) -> set[str]:
        return {Path(h["path"]).name for h in cli("--home", home, "search", query, "--json").json()}

    assert names("place:paris") == {"eiffel.jpg", "texas.jpg"}
    assert names("place:paris country:france") == {"eiffel.jpg"}
    assert names("country:us") == names("place:texas") == names('place:"united states"') == {"texas.jpg"}
    assert names("-place:paris") == {"ocean.jpg", "nogps.jpg"}
    listed = cli("--home", home, "places", "--json").json()
    assert [(p["country"], p["city"], p["photos"]) for p in listed] == [
        ("France", "Paris", 1),
        ("United States", "Paris", 1),
    ]


def test_an_older_catalog_gets_its_places_filled_in(home: Path, tmp_path: Path) -> None:
    """A catalog scanned before places existed: positions, no places. They are filled in, once."""
    catalog = Catalog(tmp_path / "catalog.db")
    with catalog.transaction() as conn:
        conn.execute("INSERT INTO folders (id, path, added_at) VALUES (1, '/lib', 'now')")
        conn.executemany(
            "INSERT INTO photos (id, folder_id, path, name, hash, latitude, longitude, state, updated_at)"
            " VALUES (?, 1, ?, ?, ?, ?, ?, 'ok', 'now')",
            [
                (1, "/lib/a.jpg", "a.jpg", "ha", 51.5007, -0.1246),  # Big Ben
                (2, "/lib/b.jpg", "b.jpg", "hb", None, None),
                (3, "/lib/c.jpg", "c.jpg", "hc", 0.0, -30.0),  # the middle of the Atlantic
            ],
        )
    assert [r[0] for r in place_rows.pending(catalog, 100)] == [1, 3]
    assert search_ids(catalog, "country:gb") == []
    assert fill_places(catalog) == 2
    assert place_rows.pending(catalog, 100) == []
    assert fill_places(catalog) == 0
    assert place_rows.place_of(catalog, 1) == Place("London", "", "United Kingdom", "GB")
    assert place_rows.place_of(catalog, 3) is None
    assert search_ids(catalog, "country:gb") == search_ids(catalog, "place:london") == [1]
    catalog.close()


def _at_the_eiffel_tower(tmp_path: Path, name: str) -> Catalog:
    """A catalog with one item with a GPS position, written as a scan of the past (or of videos) does."""
    catalog = Catalog(tmp_path / "catalog.db")
    with catalog.transaction() as conn:
        conn.execute("INSERT INTO folders (id, path, added_at) VALUES (1, '/lib', 'now')")
        conn.execute(
            "INSERT INTO photos (id, folder_id, path, name, hash, latitude, longitude, state, updated_at)"
            " VALUES (1, 1, ?, ?, 'ha', 48.8584, 2.2945, 'ok', 'now')",
            (f"/lib/{name}", name),
        )
    return catalog


def test_a_new_position_from_any_writer_drops_the_old_place(tmp_path: Path) -> None:
    """The video scan (or a rescan) writes positions without knowing about places: the catalog itself
    forgets the old place, so nothing can keep naming the wrong town."""
    catalog = _at_the_eiffel_tower(tmp_path, "a.mp4")
    fill_places(catalog)
    assert search_ids(catalog, "place:paris") == [1]
    with catalog.transaction() as conn:
        conn.execute("UPDATE photos SET latitude = 41.8902, longitude = 12.4922 WHERE id = 1")  # Rome
    assert place_rows.place_of(catalog, 1) is None
    assert search_ids(catalog, "place:paris") == []
    fill_places(catalog)
    assert search_ids(catalog, "place:rome") == search_ids(catalog, "country:italy") == [1]
    catalog.close()


def test_a_place_stored_for_a_position_that_changed_meanwhile_is_not_kept(tmp_path: Path) -> None:
    catalog = _at_the_eiffel_tower(tmp_path, "a.jpg")
    read = place_rows.pending(catalog, 10)
    with catalog.transaction() as conn:  # the file was rescanned with another position in between
        conn.execute("UPDATE photos SET latitude = 41.8902, longitude = 12.4922 WHERE id = 1")
    assert place_rows.store(catalog, [(*read[0], Place("Paris", "", "France", "FR"))]) == 0
    assert place_rows.is_pending(catalog, 1)
    catalog.close()


def test_the_country_list_is_read_from_the_shipped_data(index) -> None:
    assert len(index) > 100_000  # GeoNames towns of 1,000 people or more
    assert index.countries["FR"] == "France" and index.regions[("US", "TX")] == "Texas"
