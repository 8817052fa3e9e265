"""When a search finds nothing: the labels closest to what was typed, so the user has somewhere to go."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from photosorter.core.catalog.database import Catalog
from photosorter.core.search.engine import LabelCount, label_counts, person_counts, search_ids
from photosorter.core.search.filters import SearchError
from photosorter.core.search.query import parse

CLOSE_ENOUGH = 0.65  # SequenceMatcher ratio: "dgo" → "Dog" (0.67) passes, "crossing" → "Clothing" (0.62) not
PART_OF = 0.8  # the typed word is part of a label ("bridge" → "Suspension Bridge"), or the other way


@dataclass(frozen=True, slots=True)
class NoMatchHelp:
    """What an empty result can tell the user: how many terms had to match, and labels and people to
    try instead."""

    words: tuple[str, ...]  # the positive words, label and person values typed
    terms: int  # positive terms in the query: every one must match the same photo
    analyzed: bool  # any label exists at all (if not, only file names and folders can match)
    closest: tuple[LabelCount, ...]  # labels to try instead, closest first
    closest_people: tuple[tuple[str, int], ...] = ()  # (name, photos) of people to try, closest first

    def sentences(self) -> list[str]:
        """The help as plain lines (``photosorter search``; the app shows the same with links)."""
        lines = []
        if self.terms > 1:
            lines.append("every word must match the same photo: try fewer words")
        if not self.analyzed:
            lines.append("no photo is analyzed yet, so only file names, folders and dates can match")
        if self.closest:
            lines.append(
                "closest labels: " + ", ".join(f"{label.name} ({label.count:,})" for label in self.closest)
            )
        if self.closest_people:
            lines.append("closest people: " + ", ".join(f"{n} ({c:,})" for n, c in self.closest_people))
        return lines


def no_match_help(catalog: Catalog, query: str, limit: int = 5) -> NoMatchHelp:
    """Why ``query`` may have found nothing, and the labels and people closest to its words."""
    try:
        terms = [t for t in parse(query).terms if not t.negated]
    except SearchError:
        terms = []
    words = tuple(value for term in terms if term.key in (None, "label") for value in term.values)
    names = tuple(value for term in terms if term.key in (None, "person") for value in term.values)
    labels = label_counts(catalog)
    people = _closest(person_counts(catalog), lambda pair: pair[0], lambda pair: pair[1], names, limit)
    return NoMatchHelp(
        words + tuple(n for n in names if n not in words),
        len(terms),
        bool(labels),
        tuple(closest_labels(labels, words, limit)),
        tuple(people),
    )


def closest_labels(labels: list[LabelCount], words: tuple[str, ...], limit: int = 5) -> list[LabelCount]:
    """The labels most like any of ``words``, closest first, then the most photos first."""
    return _closest(labels, lambda label: label.name, lambda label: label.count, words, limit)


def _closest(items, name_of, count_of, words: tuple[str, ...], limit: int) -> list:
    best: dict[str, tuple[float, object]] = {}
    for word in (w.lower() for w in words if w.strip()):
        for item in items:
            name = name_of(item).lower()
            # the whole name or one of its words: "alise" is close to "Alice Smith", "sing" to "Road Sign"
            ratio = max(SequenceMatcher(None, word, part).ratio() for part in (name, *name.split()))
            if len(word) >= 3 and (word in name or name in word):
                ratio = max(ratio, PART_OF)
            if ratio >= CLOSE_ENOUGH and ratio > best.get(name_of(item), (0.0, item))[0]:
                best[name_of(item)] = (ratio, item)
    ranked = sorted(best.values(), key=lambda pair: (-pair[0], -count_of(pair[1]), name_of(pair[1])))
    return [item for _ratio, item in ranked[:limit]]


@dataclass(frozen=True, slots=True)
class UnlabelledWord:
    """A searched word that names no label: what it found, it found in text or file names only."""

    word: str
    in_text: int  # photos whose detected text has the word
    in_names: int  # photos whose file or folder name has it

    def sentence(self) -> str:
        found = []
        if self.in_text:
            found.append(f"{self.in_text:,} mention{'s' if self.in_text == 1 else ''} it in their text")
        if self.in_names:
            found.append(f"{self.in_names:,} {'has' if self.in_names == 1 else 'have'} it in their file name")
        return f"no photo is labelled “{self.word}”" + (f"; {' and '.join(found)}" if found else "")


def unlabelled_words(catalog: Catalog, query: str) -> tuple[UnlabelledWord, ...]:
    """The bare words of ``query`` that no label answers (``mountain`` where nothing is labelled so):
    the results are then only photos that show the word as text or carry it in their name, and the
    user should be told rather than left to think the analyzer saw mountains."""
    try:
        terms = [t for t in parse(query).terms if t.key is None and not t.negated]
    except SearchError:
        return ()
    out = []
    for term in terms:
        value = term.values[0]  # as typed; the rest are its alternatives and synonyms
        quoted = f'"{value}"' if term.phrase or " " in value else value
        if any(search_ids(catalog, f"label:{v}") for v in (quoted, *term.values[1:])):
            continue
        in_text = len(search_ids(catalog, f"text:{quoted}"))
        out.append(UnlabelledWord(value, in_text, len(search_ids(catalog, f"folder:{quoted}"))))
    return tuple(out)
