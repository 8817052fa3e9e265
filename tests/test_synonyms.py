"""The words people type for a label under another name (core/search/synonyms.py)."""

from __future__ import annotations

import pytest

from photosorter.core.search.synonyms import synonyms_of


@pytest.mark.parametrize(
    ("typed", "labels"),
    [
        ("puppy", ("dog",)),
        ("puppies", ("dog",)),  # a plural finds its singular's entry
        ("Neckties", ("tie",)),
        ("tuxedo", ("suit",)),
        ("marketplace", ("market",)),
        ("stores", ("shop",)),
        ("villages", ("town",)),
        ("meadow", ("field",)),
        ("leaves", ("leaf",)),  # an irregular plural the plural rule cannot undo
        ("Children", ("child",)),
    ],
)
def test_a_typed_word_stands_for_its_label(typed: str, labels: tuple[str, ...]) -> None:
    assert synonyms_of(typed) == labels


@pytest.mark.parametrize("typed", ["dog", "bill", "city market", ""])
def test_labels_names_phrases_and_unknown_words_stand_for_nothing_else(typed: str) -> None:
    assert synonyms_of(typed) == ()
