"""No input string makes search fail with anything but a SearchError (never an SQL error)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from photosorter.core.analysis.types import AnalysisResult, Feature, Label, TextLine
from photosorter.core.catalog import Catalog
from photosorter.core.catalog import photos as photo_rows
from photosorter.core.catalog.analysis import store_result
from photosorter.core.records import ImageFacts
from photosorter.core.search import SearchError, completions, parse, search, search_ids

PIECES = st.sampled_from(
    [
        '"',
        "'",
        "-",
        "|",
        ":",
        "*",
        "^",
        "(",
        ")",
        "NEAR",
        "AND",
        "OR",
        "NOT",
        "label:",
        "text:",
        "after:",
        "faces:>=",
        "has:",
        "is:",
        "person:",
        "folder:",
        "camera:",
        "date:",
        "{",
        "}",
        ";",
        "--",
        "%",
        "_",
        "\\",
        "'; DROP TABLE photos; --",
        "cat",
        "Musée",
        " ",
        "\t",
        "\x00",
        "\u0301",
        "0",
        "2020-01",
    ]
)
QUERIES = st.one_of(
    st.text(max_size=60), st.lists(st.one_of(PIECES, st.text(max_size=5)), max_size=12).map("".join)
)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory):
    catalog = Catalog(Path(tmp_path_factory.mktemp("fuzz")) / "catalog.db")
    folder = photo_rows.add_folder(catalog, "/lib")
    facts = ImageFacts(1, 1, "h1", "JPEG", 1, 1, "2020-01-01", "exif", "Canon", None, None, None, None)
    with catalog.transaction() as conn:
        photo_rows.insert_photo(conn, folder.id, "/lib/a (1).jpg", "a (1).jpg", facts)
    result = AnalysisResult(
        "local",
        frozenset({Feature.LABELS, Feature.TEXT}),
        labels=(Label('Cat "quoted"', 90.0, ("Animal",)),),
        text=(TextLine('NEAR(a b) OR "x"', 80.0),),
    )
    store_result(catalog, "h1", result, dict.fromkeys(Feature, "1"))
    yield catalog
    catalog.close()


@settings(max_examples=3000, deadline=None)
@given(QUERIES)
def test_parser_raises_only_search_errors(query: str) -> None:
    with contextlib.suppress(SearchError):
        parse(query)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=QUERIES)
def test_catalog_search_raises_only_search_errors(catalog: Catalog, query: str) -> None:
    try:
        ids = search_ids(catalog, query)
        hits = search(catalog, query, limit=5)
    except SearchError:
        return
    assert [h.photo_id for h in hits] == ids[:5]
    completions(catalog, query)
    assert catalog.scalar("SELECT count(*) FROM photos") == 1
