"""`photosorter search` and `photosorter labels` on a scanned and analyzed library."""

from __future__ import annotations

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
