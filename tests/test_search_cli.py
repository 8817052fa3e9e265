"""`photosorter search` and `photosorter labels` on a scanned and analyzed library."""

from __future__ import annotations

from pathlib import Path

from photosorter.core.analysis.types import AnalysisResult, Feature, Label
from photosorter.core.catalog.analysis import store_result
from photosorter.core.library import Library


def test_search_and_labels(cli, home, photo_folder) -> None:
    assert cli("--home", home, "scan", photo_folder, "--json").code == 0
    with Library.open(home) as library:
        photo = library.photo_by_path(str((photo_folder / "cat_and_dog.jpeg").resolve()))
        result = AnalysisResult(
            "local",
            frozenset({Feature.LABELS}),
            labels=(Label("Cat", 97.0, ("Animal",), (), ("Animals and Pets",)),),
        )
        store_result(library.catalog, photo.hash, result, {Feature.LABELS: "1"})
    found = cli("--home", home, "search", "animal", "--json")
    assert found.code == 0, found.err
    (hit,) = found.json()
    assert hit["path"].endswith("cat_and_dog.jpeg")
    assert hit["why"] == ["label Cat 97%"]
    assert hit["score"] == 97.0
    assert len(cli("--home", home, "search", "after:1900", "--json", "--limit", "2").json()) == 2
    labels = cli("--home", home, "labels", "--json").json()
    assert {"name": "Cat", "count": 1, "categories": ["Animals and Pets"]} in labels
    bad = cli("--home", home, "search", "colour:red")
    assert bad.code == 2
    assert "unknown search key 'colour:'" in bad.err and "valid keys" in bad.err
    assert len(bad.err.strip().splitlines()) == 1


def _label_cat(home, photo_folder) -> None:
    with Library.open(home) as library:
        photo = library.photo_by_path(str((photo_folder / "cat_and_dog.jpeg").resolve()))
        result = AnalysisResult(
            "local",
            frozenset({Feature.LABELS}),
            labels=(Label("Cat", 97.0, ("Animal",), (), ("Animals and Pets",)),),
        )
        store_result(library.catalog, photo.hash, result, {Feature.LABELS: "1"})


def test_a_term_may_start_with_a_dash_without_double_dash(cli, home, photo_folder) -> None:
    assert cli("--home", home, "scan", photo_folder, "--json").code == 0
    _label_cat(home, photo_folder)
    without = cli("--home", home, "search", "-cat", "--json")
    assert without.code == 0, without.err
    assert len(without.json()) == 3  # not the photo labelled Cat, nor alpha_cat_cutout.png by its name
    assert all("cat" not in Path(hit["path"]).name for hit in without.json())
    mixed = cli("--home", home, "search", "--limit", "1", "-cat", "--json")  # options anywhere still work
    assert mixed.code == 0 and len(mixed.json()) == 1
    text = cli("--home", home, "search", "-cat", "animal")
    assert text.code == 0 and text.out.strip().splitlines() == ["0 photos", "closest labels: Animal (1)"]


def test_a_search_that_finds_nothing_says_why_and_what_to_try(cli, home, photo_folder) -> None:
    """The app's empty state, as lines: a word no photo is labelled with, and the closest labels."""
    assert cli("--home", home, "scan", photo_folder, "--json").code == 0
    _label_cat(home, photo_folder)
    typo = cli("--home", home, "search", "cta")
    assert typo.code == 0
    assert typo.out.strip().splitlines()[-3:] == [
        "0 photos",
        "no photo is labelled “cta”",
        "closest labels: Cat (1)",
    ]
    both = cli("--home", home, "search", "cat", "mountain")
    assert both.out.strip().splitlines()[-4:] == [
        "0 photos",
        "no photo is labelled “mountain”",
        "every word must match the same photo: try fewer words",
        "closest labels: Cat (1)",
    ]
    assert cli("--home", home, "search", "cta", "--json").json() == []  # JSON stays the results alone


def test_an_empty_search_is_refused_with_what_to_type(cli, home, photo_folder) -> None:
    assert cli("--home", home, "scan", photo_folder, "--json").code == 0
    for empty in ("", "   "):
        result = cli("--home", home, "search", empty)
        assert result.code == 2 and result.out == ""
        assert "the search is empty" in result.err and "photosorter search dog" in result.err


def test_a_bad_date_names_the_term_readably(cli, home, photo_folder) -> None:
    assert cli("--home", home, "scan", photo_folder, "--json").code == 0
    result = cli("--home", home, "search", "after:2020-13")
    assert result.code == 2
    assert result.err.strip() == (
        "photosorter: after: bad date '2020-13'; use YYYY, YYYY-MM or YYYY-MM-DD, e.g. after:2020-01"
    )


def test_a_word_found_only_in_file_names_says_no_photo_is_labelled_so(cli, home, photo_folder) -> None:
    assert cli("--home", home, "scan", photo_folder, "--json").code == 0
    _label_cat(home, photo_folder)
    text = cli("--home", home, "search", "cutout")  # alpha_cat_cutout.png, by its name only
    assert text.code == 0, text.err
    assert text.out.strip().endswith("no photo is labelled “cutout”; 1 has it in their file name")
    labelled = cli("--home", home, "search", "cat")
    assert "no photo is labelled" not in labelled.out
