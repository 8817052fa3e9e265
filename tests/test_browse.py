"""Browsing the library (core, no Qt): what a sidebar view shows with a search, and the sidebar's counts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from photosorter.core import browse
from photosorter.core.analysis.types import AnalysisResult, Box, Face, Feature, Label, TextLine
from photosorter.core.browse import CategoryGroup, LabelEntry, ViewFilter, ViewKind
from photosorter.core.catalog import Catalog
from photosorter.core.catalog import photos as photo_rows
from photosorter.core.catalog.analysis import store_result
from photosorter.core.catalog.browse import count_photos_with_text, folder_photo_ids
from photosorter.core.records import ImageFacts
from photosorter.core.search import search_ids

ANIMALS = ("Animals and Pets",)
LATIN1 = os.fsdecode(b"/a/b/caf\xe9.jpg")  # a file name that is not UTF-8: stored as a BLOB


def add(catalog: Catalog, folder_id: int, path: str, content_hash: str, taken_at: str) -> int:
    facts = ImageFacts(1, 1, content_hash, "JPEG", 10, 10, taken_at, "exif", None, None, None, None, None)
    with catalog.transaction() as conn:
        return photo_rows.insert_photo(conn, folder_id, path, Path(path).name, facts)


def store(catalog: Catalog, content_hash: str, labels=(), text=(), faces=()) -> None:
    features = frozenset({Feature.LABELS, Feature.TEXT, Feature.FACES})
    result = AnalysisResult("local", features, labels=tuple(labels), text=tuple(text), faces=tuple(faces))
    store_result(catalog, content_hash, result, dict.fromkeys(Feature, "1"))


@pytest.fixture
def catalog(tmp_path: Path):
    catalog = Catalog(tmp_path / "catalog.db")
    b = photo_rows.add_folder(catalog, "/a/b").id
    bc = photo_rows.add_folder(catalog, "/a/bc").id
    ids = {
        "cat": add(catalog, b, "/a/b/cat.jpg", "h-cat", "2020-01-01T00:00:00"),
        "deep": add(catalog, b, "/a/b/sub/dog.jpg", "h-dog", "2021-01-01T00:00:00"),
        "latin": add(catalog, b, LATIN1, "h-latin", "2019-01-01T00:00:00"),
        "bc": add(catalog, bc, "/a/bc/cat.jpg", "h-cat2", "2022-01-01T00:00:00"),
        "gone": add(catalog, b, "/a/b/gone.jpg", "h-gone", "2023-01-01T00:00:00"),
    }
    with catalog.transaction() as conn:
        photo_rows.mark_missing(conn, [ids["gone"]])  # a missing file leaves every view
    store(catalog, "h-cat", [Label("Cat", 97.0, ("Animal",), (), ANIMALS)], text=[TextLine("STOP", 90.0)])
    store(catalog, "h-cat2", [Label("Cat", 91.0, ("Animal",), (), ANIMALS)])
    store(catalog, "h-dog", [Label("Dog", 88.0, ("Animal",), (), ANIMALS), Label("Beach", 70.0)])
    store(catalog, "h-latin", text=[TextLine("café", 80.0)], faces=[Face(Box(0.1, 0.1, 0.2, 0.2), 99.0)])
    store(catalog, "h-gone", [Label("Cat", 99.0, (), (), ANIMALS)], text=[TextLine("gone", 99.0)])
    yield catalog, ids
    catalog.close()


def test_a_folder_holds_its_subfolders_but_not_a_sibling_whose_name_starts_the_same(catalog) -> None:
    catalog, ids = catalog
    assert folder_photo_ids(catalog, "/a/b") == [ids["deep"], ids["cat"], ids["latin"]]  # newest first
    assert folder_photo_ids(catalog, "/a/b/") == folder_photo_ids(catalog, "/a/b")
    assert folder_photo_ids(catalog, "/a/bc") == [ids["bc"]]
    assert folder_photo_ids(catalog, "/a/b/sub") == [ids["deep"]]
    assert folder_photo_ids(catalog, "/a") == [ids["bc"], ids["deep"], ids["cat"], ids["latin"]]
    assert folder_photo_ids(catalog, os.fsdecode(b"/a/b/caf\xe9")) == []  # a BLOB folder, nothing under it


def test_a_folder_view_with_a_search_keeps_the_search_order_inside_the_folder(catalog) -> None:
    catalog, ids = catalog
    folder = ViewFilter(ViewKind.FOLDER, "/a/b", "b")
    assert browse.photo_ids(catalog, folder) == [ids["deep"], ids["cat"], ids["latin"]]
    assert browse.photo_ids(catalog, folder, "cat") == [ids["cat"]]  # not /a/bc/cat.jpg
    assert browse.photo_ids(catalog, folder, " animal ") == [
        i for i in search_ids(catalog, "animal") if i != ids["bc"]
    ]


def test_a_category_is_its_labels_as_typed_terms_the_same_as_the_typed_search(catalog) -> None:
    catalog, _ = catalog
    category = ViewFilter(ViewKind.CATEGORY, "Animals and Pets", "Animals and Pets")
    assert browse.photo_ids(catalog, category) == search_ids(catalog, 'label:"Cat"|"Dog"')
    assert browse.photo_ids(catalog, category, "beach") == search_ids(catalog, 'label:"Cat"|"Dog" beach')
    assert browse.photo_ids(catalog, ViewFilter(ViewKind.CATEGORY, "Nothing", "Nothing")) == []
    hits = browse.best_hits(catalog, category, "beach", limit=10)
    assert [hit.photo_id for hit in hits] == search_ids(catalog, 'label:"Cat"|"Dog" beach')
    assert hits[0].why == ("label Dog 88%", "label Beach 70%")


@pytest.mark.parametrize(
    ("view", "typed"),
    [
        (ViewFilter(ViewKind.LABEL, "Cat", "Cat"), 'label:"Cat"'),
        (ViewFilter(ViewKind.TEXT, "", "Text"), "has:text"),
        (ViewFilter(ViewKind.UNNAMED, "", "Unnamed faces"), "is:unnamed"),
        (ViewFilter(), ""),
    ],
)
def test_each_view_shows_what_its_search_would(catalog, view, typed) -> None:
    catalog, _ = catalog
    assert browse.photo_ids(catalog, view) == search_ids(catalog, typed)


def test_sidebar_groups_and_counts_come_from_counts_not_id_lists(catalog) -> None:
    catalog, _ = catalog
    # a parent label (Animal) has no category of its own; Other counts the photos of its labels
    assert browse.category_groups(catalog) == (
        CategoryGroup("Animals and Pets", 3, (LabelEntry("Cat", 2), LabelEntry("Dog", 1))),
        CategoryGroup("Other", 4, (LabelEntry("Animal", 3), LabelEntry("Beach", 1))),
    )
    assert count_photos_with_text(catalog) == browse.text_count(catalog) == 2  # not the missing photo
    assert browse.text_count(catalog) == len(search_ids(catalog, "has:text"))
