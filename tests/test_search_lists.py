"""Plans run on in-memory posting lists give exactly what the SQL plan gives, and follow every write."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from photosorter.core.analysis.types import Label, TextLine
from photosorter.core.catalog import Catalog, search_lists, search_plan
from photosorter.core.catalog import photos as photo_rows
from photosorter.core.search import engine, parse, search, search_ids
from test_search_catalog import add_photo, face, store

QUERIES = [
    "dog",
    "animal",
    "label:cat|dog",
    "dog beach",
    "animal -dog",
    "dog|cat beach -sea",
    "animal smiling",
    "label:cat|dog camera:canon",
    "camera:canon|nikon",
    "has:text dog",
    "stop",
    'text:"stop"',
    "stop dog",
    "folder:trips",
    "folder:trips dog",
    "trips",
    "beach -folder:trips",
    "dog -stop",
    "faces:>=2 person:alice",
    "is:unnamed|duplicate",
    "person:alice|bob animal",
    "smiling happy -is:unnamed",
]
LABELS = ["Dog", "Cat", "Beach", "Sea", "Tree"]
PARENTS = {"Dog": ("Animal",), "Cat": ("Animal",)}


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> Catalog:
    rng = random.Random(5)
    catalog = Catalog(tmp_path_factory.mktemp("lists") / "catalog.db")
    folder = photo_rows.add_folder(catalog, "/lib")
    with catalog.transaction() as conn:
        conn.executemany("INSERT INTO people (name, created_at) VALUES (?, 'now')", [("Alice",), ("Bob",)])
    for i in range(80):
        # few dates and one-decimal scores: many ties, so the date and id tie-breaks are exercised
        taken = None if i % 17 == 0 else f"20{rng.choice(('19', '20', '21'))}-0{rng.randint(1, 3)}-01"
        where = rng.choice(("trips", "home", "stop"))
        content = f"h{i if i % 9 else i - 1}"
        add_photo(catalog, folder, f"/lib/{where}/{i}.jpg", content, taken, rng.choice(("Canon", "Nikon")))
        labels = [
            Label(name, rng.choice((60.0, 75.5, 75.5, 90.0)), PARENTS.get(name, ()))
            for name in rng.sample(LABELS, rng.randint(0, 3))
        ]
        text = [TextLine("STOP", rng.choice((80.0, 95.5)))] * rng.randint(0, 1)
        faces = [face(smile={"value": rng.random() < 0.5}) for _ in range(rng.randint(0, 3))]
        store(catalog, content, labels, text, faces)
    with catalog.transaction() as conn:
        conn.execute("UPDATE faces SET person_id = 1 + (rowid % 3) WHERE rowid % 2 = 0 AND rowid % 3 < 2")
    yield catalog
    catalog.close()


def _both(catalog: Catalog, query: str) -> tuple[list[int] | None, list[int]]:
    plan, _ = engine._plan(catalog, parse(query))
    search_lists.run_ids(catalog.connection(), plan)  # the first read after a write may defer to SQL
    return search_lists.run_ids(catalog.connection(), plan), search_plan.run_plan_ids(catalog, plan)


@pytest.mark.parametrize("query", QUERIES)
def test_lists_give_what_sql_gives(catalog, query) -> None:
    ours, sql = _both(catalog, query)
    assert ours is not None
    assert ours == sql
    assert sql == [hit.photo_id for hit in search(catalog, query)]


def test_dates_and_empty_plans_stay_in_sql(catalog) -> None:
    for query in ("dog after:2020", "-dog", "faces:<2"):
        plan, _ = engine._plan(catalog, parse(query))
        assert search_lists.run_ids(catalog.connection(), plan) is None


def test_lists_follow_writes(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "catalog.db")
    folder = photo_rows.add_folder(catalog, "/lib")
    first = add_photo(catalog, folder, "/lib/a.jpg", "h-a", "2020-01-01")
    store(catalog, "h-a", [Label("Dog", 80.0)])
    assert search_ids(catalog, "dog") == search_ids(catalog, "dog") == [first]
    second = add_photo(catalog, folder, "/lib/b.jpg", "h-b", "2021-01-01")
    store(catalog, "h-b", [Label("Dog", 90.0), Label("Beach", 50.0)])
    assert search_ids(catalog, "dog") == [second, first]
    assert search_ids(catalog, "dog -beach") == [first]
    # a write from another connection: seen through PRAGMA data_version
    other = Catalog(tmp_path / "catalog.db")
    store(other, "h-a", [Label("Dog", 95.0)])
    other.close()
    assert search_ids(catalog, "dog") == [first, second]
    catalog.close()
