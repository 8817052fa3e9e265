"""The gallery's order and date groups (core, no Qt): one read gives the ids in order with their days."""

from __future__ import annotations

from pathlib import Path

import pytest

from photosorter.core import browse
from photosorter.core.analysis.types import AnalysisResult, Feature, Label
from photosorter.core.browse import ViewFilter, ViewKind
from photosorter.core.catalog import Catalog
from photosorter.core.catalog import photos as photo_rows
from photosorter.core.catalog.analysis import store_result
from photosorter.core.records import ImageFacts
from photosorter.core.timeline import DayGroup, Sort, SortKey, day_groups, first, ordered


def add(catalog: Catalog, folder: int, name: str, taken_at: str, source: str = "exif", size: int = 1) -> int:
    facts = ImageFacts(size, 1, f"h-{name}", "JPEG", 10, 10, taken_at, source, None, None, None, None, None)
    with catalog.transaction() as conn:
        return photo_rows.insert_photo(conn, folder, f"/p/{name}", name, facts)


@pytest.fixture
def library(tmp_path: Path):
    catalog = Catalog(tmp_path / "catalog.db")
    folder = photo_rows.add_folder(catalog, "/p").id
    ids = {
        "b.jpg": add(catalog, folder, "b.jpg", "2024-03-02T10:00:00", size=30),
        "A.jpg": add(catalog, folder, "A.jpg", "2024-03-02T18:00:00", size=10),
        "c.jpg": add(catalog, folder, "c.jpg", "2024-03-01T09:00:00", "mtime", size=20),
        "d.jpg": add(catalog, folder, "d.jpg", "2023-12-31T23:59:59", size=40),
        "gone.jpg": add(catalog, folder, "gone.jpg", "2025-01-01T00:00:00"),
    }
    with catalog.transaction() as conn:
        photo_rows.mark_missing(conn, [ids["gone.jpg"]])
    yield catalog, ids
    catalog.close()


def test_newest_first_with_one_group_per_day_and_the_file_dated_day_marked(library) -> None:
    catalog, ids = library
    timeline = ordered(catalog, Sort())
    assert timeline.ids == [ids["A.jpg"], ids["b.jpg"], ids["c.jpg"], ids["d.jpg"]]  # the missing one left
    assert timeline.groups == (
        DayGroup(0, 2, 20240302, 0),
        DayGroup(2, 1, 20240301, 1),
        DayGroup(3, 1, 20231231, 0),
    )
    assert [g.file_dated for g in timeline.groups] == [False, True, False]
    assert (timeline.groups[2].year, timeline.groups[2].month) == (2023, 12)
    assert [timeline.group_at(row) for row in range(4)] == [0, 0, 1, 2]


def test_oldest_first_reverses_the_days_and_the_photos_within_them(library) -> None:
    catalog, ids = library
    timeline = ordered(catalog, Sort(SortKey.TAKEN, descending=False))
    assert timeline.ids == [ids["d.jpg"], ids["c.jpg"], ids["b.jpg"], ids["A.jpg"]]
    assert [g.day for g in timeline.groups] == [20231231, 20240301, 20240302]


@pytest.mark.parametrize(
    ("sort", "names"),
    [
        (Sort(SortKey.NAME, False), ["A.jpg", "b.jpg", "c.jpg", "d.jpg"]),  # case does not split the order
        (Sort(SortKey.NAME, True), ["d.jpg", "c.jpg", "b.jpg", "A.jpg"]),
        (Sort(SortKey.SIZE, True), ["d.jpg", "b.jpg", "c.jpg", "A.jpg"]),
        (Sort(SortKey.SIZE, False), ["A.jpg", "c.jpg", "b.jpg", "d.jpg"]),
        (Sort(SortKey.ADDED, True), ["d.jpg", "c.jpg", "A.jpg", "b.jpg"]),
        (Sort(SortKey.ADDED, False), ["b.jpg", "A.jpg", "c.jpg", "d.jpg"]),
    ],
)
def test_other_orders_have_no_day_groups(library, sort: Sort, names: list[str]) -> None:
    catalog, ids = library
    timeline = ordered(catalog, sort)
    assert timeline.ids == [ids[name] for name in names]
    assert timeline.groups == () and timeline.group_at(0) == -1


def test_search_results_are_ordered_and_grouped_like_the_library(library) -> None:
    catalog, ids = library
    features = frozenset({Feature.LABELS})
    for name in ("d.jpg", "b.jpg"):  # d is the better match, but b is newer
        score = 99.0 if name == "d.jpg" else 60.0
        result = AnalysisResult("local", features, labels=(Label("Dog", score),))
        store_result(catalog, f"h-{name}", result, dict.fromkeys(Feature, "1"))
    timeline = browse.timeline(catalog, ViewFilter(), "dog")
    assert timeline.ids == [ids["b.jpg"], ids["d.jpg"]]
    assert [(g.first, g.day) for g in timeline.groups] == [(0, 20240302), (1, 20231231)]
    by_name = browse.timeline(catalog, ViewFilter(), "dog", Sort(SortKey.NAME, False))
    assert by_name.ids == [ids["b.jpg"], ids["d.jpg"]] and by_name.groups == ()
    folder = browse.timeline(catalog, ViewFilter(ViewKind.FOLDER, "/p", "p"), "", Sort(SortKey.SIZE, False))
    assert folder.ids == [ids[name] for name in ("A.jpg", "c.jpg", "b.jpg", "d.jpg")]


def test_day_groups_count_the_file_dated_photos_of_a_mixed_day() -> None:
    groups = day_groups(["2024-01-01", "2024-01-01", "2024-01-01", None], [1, 0, 1, 0])
    assert groups == (DayGroup(0, 3, 20240101, 2), DayGroup(3, 1, 0, 0))
    assert not groups[0].file_dated
    assert day_groups([], []) == ()


@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("limit", [1, 2, 3, 4, 9])
def test_the_first_photos_are_the_order_cut_at_the_end_of_a_day(library, limit, descending) -> None:
    """What the gallery shows before the whole list is read: a prefix of it, whole days only (a cut day
    would head its photos with a wrong count)."""
    catalog, _ids = library
    folder = photo_rows.folders(catalog)[0].id
    for n in range(3):  # a third photo on 2 March, and two on a day of its own with equal times
        add(catalog, folder, f"e{n}.jpg", "2024-03-02T12:00:00" if n == 0 else "2024-02-10T08:00:00")
    sort = Sort(SortKey.TAKEN, descending)
    whole = ordered(catalog, sort)
    head = first(catalog, sort, limit)
    assert head.ids == whole.ids[: len(head.ids)] and len(head.ids) >= min(limit, len(whole.ids))
    assert head.groups == whole.groups[: len(head.groups)]  # each group whole, counts and all
    for size in (1, 3):
        assert (
            first(catalog, Sort(SortKey.SIZE, descending), size).ids
            == ordered(catalog, Sort(SortKey.SIZE, descending)).ids[:size]
        )
