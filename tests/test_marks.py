"""Favourites and ratings: kept against the photo row, through moves and rescans, searchable."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from photosorter.core.catalog import Catalog
from photosorter.core.catalog import photos as photo_rows
from photosorter.core.catalog.marks import (
    PhotoMarks,
    RatingError,
    all_marks,
    marks_of,
    restore_marks,
    set_favorite,
    set_rating,
)
from photosorter.core.library import Library
from photosorter.core.search import SearchError, search, search_ids
from test_scanner import scan_folder
from test_search_catalog import add_photo


@pytest.fixture
def catalog(tmp_path: Path):
    catalog = Catalog(tmp_path / "catalog.db")
    folder = photo_rows.add_folder(catalog, "/lib")
    for i, (content, taken) in enumerate([("h1", "2021"), ("h1", "2022"), ("h2", "2023"), ("h3", None)]):
        add_photo(catalog, folder, f"/lib/p{i}.jpg", content, taken)
    yield catalog
    catalog.close()


def test_marks_are_set_read_and_cleared_per_photo(catalog) -> None:
    assert marks_of(catalog, [1, 2, 3]) == {}
    set_favorite(catalog, [1, 3], True)
    set_rating(catalog, [1, 2], 4)
    assert marks_of(catalog, [1, 2, 3, 4]) == {
        1: PhotoMarks(1, True, 4),
        2: PhotoMarks(2, False, 4),
        3: PhotoMarks(3, True, 0),
    }
    set_rating(catalog, [1, 2], 0)
    set_favorite(catalog, [3], False)
    # a photo with nothing left has no row: the table holds marked photos only
    assert all_marks(catalog) == {1: PhotoMarks(1, True, 0)}


def test_two_copies_of_one_content_are_marked_apart(catalog) -> None:
    set_rating(catalog, [1], 5)  # photos 1 and 2 hold the same content h1
    assert marks_of(catalog, [1, 2]) == {1: PhotoMarks(1, False, 5)}
    assert search_ids(catalog, "rating:5") == [1]


@pytest.mark.parametrize("bad", [-1, 6, 2.5, True, "3"])
def test_a_rating_outside_zero_to_five_is_refused(catalog, bad) -> None:
    with pytest.raises(RatingError, match=r"0 \(not rated\) to 5"):
        set_rating(catalog, [1], bad)
    assert all_marks(catalog) == {}


def test_a_photo_that_no_longer_exists_is_skipped(catalog) -> None:
    set_favorite(catalog, [1, 999], True)
    set_rating(catalog, [999], 3)
    assert all_marks(catalog) == {1: PhotoMarks(1, True, 0)}


def test_restore_puts_back_exactly_what_was_read(catalog) -> None:
    set_favorite(catalog, [1], True)
    set_rating(catalog, [2], 2)
    before = marks_of(catalog, [1, 2, 3])
    set_rating(catalog, [1, 2, 3], 5)
    set_favorite(catalog, [1, 2, 3], False)
    restore_marks(catalog, [1, 2, 3], before)
    assert marks_of(catalog, [1, 2, 3]) == before
    assert search_ids(catalog, "rating:>=1") == [2]


def test_search_finds_favourites_and_ratings_and_follows_changes(catalog) -> None:
    assert search_ids(catalog, "is:favorite") == []
    set_favorite(catalog, [1, 3], True)
    set_rating(catalog, [1], 4)
    set_rating(catalog, [3], 2)
    assert search_ids(catalog, "is:favorite") == [3, 1]  # newest first
    assert search_ids(catalog, "rating:>=4") == [1]
    assert search_ids(catalog, "rating:2") == [3]
    assert search_ids(catalog, "rating:0") == [2, 4]  # not rated
    assert search_ids(catalog, "-is:favorite") == [2, 4]
    assert [h.why for h in search(catalog, "is:favorite rating:>=1")] == [
        ("is:favorite", "rating:>=1"),
        ("is:favorite", "rating:>=1"),
    ]
    set_favorite(catalog, [3], False)
    assert search_ids(catalog, "is:favorite") == [1]


@pytest.mark.parametrize("query", ["rating:6", "rating:lots", "is:favourite"])
def test_a_bad_rating_or_flag_in_a_search_says_what_is_valid(catalog, query) -> None:
    with pytest.raises(SearchError, match=r"rating|favorite"):
        search_ids(catalog, query)


def test_marks_survive_a_move_a_rename_and_a_rescan(home: Path, photo_folder: Path) -> None:
    shutil.copy2(photo_folder / "cat_and_dog.jpeg", photo_folder / "copy.jpeg")
    scan_folder(home, photo_folder)
    with Library.open(home) as library:
        original = library.photo_by_path(str(photo_folder / "cat_and_dog.jpeg"))
        copy = library.photo_by_path(str(photo_folder / "copy.jpeg"))
        set_favorite(library.catalog, [original.id], True)
        set_rating(library.catalog, [original.id], 5)
    (photo_folder / "pets").mkdir()
    (photo_folder / "cat_and_dog.jpeg").rename(photo_folder / "pets" / "renamed.jpeg")
    scan_folder(home, photo_folder)
    scan_folder(home, photo_folder)
    with Library.open(home) as library:
        moved = library.photo_by_path(str(photo_folder / "pets" / "renamed.jpeg"))
        assert moved.id == original.id
        assert marks_of(library.catalog, [moved.id, copy.id]) == {moved.id: PhotoMarks(moved.id, True, 5)}
        assert search_ids(library.catalog, "is:favorite rating:5") == [moved.id]
