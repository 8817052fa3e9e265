"""When a search finds nothing: the labels closest to what was typed, so the user has somewhere to go."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from photosorter.core.catalog.database import Catalog
from photosorter.core.search.engine import LabelCount, label_counts
from photosorter.core.search.filters import SearchError
from photosorter.core.search.query import parse

CLOSE_ENOUGH = 0.65  # SequenceMatcher ratio: "dgo" → "Dog" (0.67) passes, "crossing" → "Clothing" (0.62) not
PART_OF = 0.8  # the typed word is part of a label ("bridge" → "Suspension Bridge"), or the other way


@dataclass(frozen=True, slots=True)
class NoMatchHelp:
    """What an empty result can tell the user: how many words had to match, and labels to try."""

    words: tuple[str, ...]  # the positive words and label values typed
    terms: int  # positive terms in the query: every one must match the same photo
    analyzed: bool  # any label exists at all (if not, only file names and folders can match)
    closest: tuple[LabelCount, ...]  # labels to try instead, closest first


def no_match_help(catalog: Catalog, query: str, limit: int = 5) -> NoMatchHelp:
    """Why ``query`` may have found nothing and the labels closest to its words."""
    try:
        terms = [t for t in parse(query).terms if not t.negated]
    except SearchError:
        terms = []
    words = tuple(value for term in terms if term.key in (None, "label") for value in term.values)
    labels = label_counts(catalog)
    return NoMatchHelp(words, len(terms), bool(labels), tuple(closest_labels(labels, words, limit)))


def closest_labels(labels: list[LabelCount], words: tuple[str, ...], limit: int = 5) -> list[LabelCount]:
    """The labels most like any of ``words``, closest first, then the most photos first."""
    best: dict[str, tuple[float, LabelCount]] = {}
    for word in (w.lower() for w in words if w.strip()):
        for label in labels:
            name = label.name.lower()
            ratio = SequenceMatcher(None, word, name).ratio()
            if len(word) >= 3 and (word in name or name in word):
                ratio = max(ratio, PART_OF)
            if ratio >= CLOSE_ENOUGH and ratio > best.get(label.name, (0.0, label))[0]:
                best[label.name] = (ratio, label)
    ranked = sorted(best.values(), key=lambda pair: (-pair[0], -pair[1].count, pair[1].name))
    return [label for _ratio, label in ranked[:limit]]
