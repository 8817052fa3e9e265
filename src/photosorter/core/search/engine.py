"""Running a parsed query against the catalog: ranked hits that say why they matched, and sidebar counts."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from photosorter.core.catalog import search_sql
from photosorter.core.catalog.database import Catalog
from photosorter.core.catalog.search_sql import Plan, Source
from photosorter.core.search import text
from photosorter.core.search.filters import FILTERS, SearchError, compare, count_predicate, date_range
from photosorter.core.search.query import Query, Term, parse

BARE_KINDS = ("label", "category", "person", "face")
_KINDS = {"label": ("label", "category"), "person": ("person",)}
_NOTHING = Source(estimate=0)


@dataclass(frozen=True, slots=True)
class SearchHit:
    photo_id: int
    path: str
    taken_at: str | None
    score: float
    why: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LabelCount:
    name: str
    categories: tuple[str, ...]
    count: int


@dataclass(frozen=True, slots=True)
class _Resolved:
    term: Term
    source: Source
    negated: bool


def _words_source(catalog: Catalog, term: Term, kinds: tuple[str, ...], *, bare: bool) -> Source:
    fts = text.fts_any(term.values, plurals=not term.phrase)
    if fts is None:
        if bare:
            return Source(estimate=-1)  # punctuation only: no constraint
        raise SearchError(f"{term.raw!r}: {term.key}: needs a word, e.g. {FILTERS[term.key].examples[0]}")
    matched = search_sql.match_terms(catalog, fts, kinds)
    ids = tuple(term_id for term_id, _ in matched)
    estimate = sum(count for _, count in matched)
    if not bare:
        return Source(term_ids=ids, estimate=estimate)
    text_fts = fts if search_sql.has_match(catalog, "search_text", fts) else None
    path_fts = f"{{folder name}} : {fts}"
    path_fts = path_fts if search_sql.has_match(catalog, "search_paths", path_fts) else None
    return Source(term_ids=ids, text_fts=text_fts, path_fts=path_fts, estimate=estimate)


def _faces_source(catalog: Catalog, term: Term) -> tuple[Source, bool]:
    """Face counts are terms ``faces:N``; a predicate true for 0 becomes the exclusion of its complement."""
    predicates = [count_predicate("faces", value) for value in term.values]

    def wanted(n: int) -> bool:
        return any(compare(op, n, limit) for op, limit in predicates) != term.negated

    counts = search_sql.terms_of_kind(catalog, "faces")
    if wanted(0):
        ids = tuple(term_id for term_id, key, _ in counts if not wanted(int(key)))
        return Source(term_ids=ids, scoring=False), True
    ids = tuple(term_id for term_id, key, _ in counts if wanted(int(key)))
    return Source(
        term_ids=ids, scoring=False, estimate=sum(n for _, key, n in counts if wanted(int(key)))
    ), False


def _resolve(catalog: Catalog, term: Term) -> _Resolved | None:
    key = term.key
    if key is None:
        source = _words_source(catalog, term, BARE_KINDS, bare=True)
        return None if source.estimate < 0 else _Resolved(term, source, term.negated)
    spec = FILTERS[key]
    if key in _KINDS:
        return _Resolved(term, _words_source(catalog, term, _KINDS[key], bare=False), term.negated)
    if key == "text":
        fts = text.fts_any(term.values, plurals=False)
        if fts is None:
            raise SearchError(f"{term.raw!r}: text: needs a word, e.g. {spec.examples[0]}")
        return _Resolved(term, Source(text_fts=fts, estimate=100), term.negated)
    if key == "camera":
        words = _words_source(catalog, term, ("camera",), bare=False)
        return _Resolved(
            term, Source(term_ids=words.term_ids, scoring=False, estimate=words.estimate), term.negated
        )
    if key == "folder":
        fts = text.fts_any(term.values, plurals=False, columns="{folder name}")
        if fts is None:
            raise SearchError(f"{term.raw!r}: {key}: needs a word, e.g. {spec.examples[0]}")
        return _Resolved(term, Source(path_fts=fts, scoring=False, estimate=1000), term.negated)
    if spec.kind == "date":
        ranges = []
        for value in term.values:
            start, end = date_range(key, value)
            ranges.append(
                (start, None) if key == "after" else (None, start) if key == "before" else (start, end)
            )
        return _Resolved(term, Source(dates=tuple(ranges), scoring=False, estimate=10**9), term.negated)
    if key == "faces":
        source, inverted = _faces_source(catalog, term)
        return _Resolved(term, source, inverted)
    ids, estimate = [], 0
    for value in term.values:
        found = search_sql.term_of(catalog, key, value)
        if found:
            ids.append(found[0])
            estimate += found[1]
    return _Resolved(term, Source(term_ids=tuple(ids), scoring=False, estimate=estimate), term.negated)


def _plan(catalog: Catalog, query: Query) -> tuple[Plan, list[_Resolved]]:
    resolved = [r for r in (_resolve(catalog, term) for term in query.terms) if r is not None]
    positive = tuple(r.source for r in resolved if not r.negated)
    negative = tuple(r.source for r in resolved if r.negated)
    return Plan(positive, negative), [r for r in resolved if not r.negated]


def _run(fn, *args):
    try:
        return fn(*args)
    except sqlite3.OperationalError as error:
        if search_sql.is_fts_error(error):
            raise SearchError(f"the search index cannot run this query ({error})") from None
        raise


def _parsed(query: str, extra: Sequence[Term]) -> Query:
    """The typed query, after terms the caller built already (a sidebar's filter: never text to parse)."""
    return Query((*extra, *parse(query).terms))


def search_ids(catalog: Catalog, query: str, *, extra: Sequence[Term] = ()) -> list[int]:
    """Photo ids, best first then newest first; an empty query gives every visible photo by date.
    ``extra`` terms must hold as well (e.g. ``Term("label", ("Cat", "Dog"))`` for a category)."""
    plan, _ = _run(_plan, catalog, _parsed(query, extra))
    return _run(search_sql.run_plan_ids, catalog, plan)


def search(
    catalog: Catalog, query: str, *, limit: int | None = None, extra: Sequence[Term] = ()
) -> list[SearchHit]:
    """Ranked hits, each saying why it matched (``label Cat 97%``, ``text "STOP"``, ``person Alice``)."""
    if limit is not None and limit < 1:
        return []
    plan, positives = _run(_plan, catalog, _parsed(query, extra))
    rows = _run(search_sql.run_plan, catalog, plan, limit)
    photo_ids = [row[0] for row in rows]
    paths = search_sql.photo_paths(catalog, photo_ids)
    reasons = _run(_why, catalog, photo_ids, positives)
    scoring = max(1, sum(1 for r in positives if r.source.scoring))
    return [
        SearchHit(
            photo_id,
            paths.get(photo_id, ""),
            taken_at,
            round(max(total or 0.0, 0.0) / scoring, 1),
            tuple(reasons[photo_id]),
        )
        for photo_id, total, taken_at in rows
    ]


def _posting_reason(kind: str, display: str, score: float, origin: str | None) -> str:
    if kind == "person":
        return f"person {display}"
    if kind == "face":
        return f"face {display} {score:.0f}%"
    return f"label {origin or display} {score:.0f}%"


def _why(catalog: Catalog, photo_ids: list[int], positives: list[_Resolved]) -> dict[int, list[str]]:
    """Why each photo matched: per query term, its best posting, else its text line, else its path."""
    reasons: dict[int, list[str]] = {photo_id: [] for photo_id in photo_ids}
    for resolved in positives:
        found: dict[int, str] = {}
        if not resolved.source.scoring:
            found = dict.fromkeys(photo_ids, resolved.term.raw)
        if resolved.source.scoring and resolved.source.term_ids:
            postings = search_sql.posting_reasons(catalog, photo_ids, resolved.source.term_ids)
            found = {photo_id: _posting_reason(*reason) for photo_id, reason in postings.items()}
        rest = [photo_id for photo_id in photo_ids if photo_id not in found]
        if rest and resolved.source.text_fts is not None:
            lines = search_sql.text_reasons(catalog, rest, resolved.source.text_fts)
            found.update((photo_id, f'text "{line}"') for photo_id, line in lines.items())
            rest = [photo_id for photo_id in rest if photo_id not in found]
        if rest and resolved.source.path_fts is not None:
            path = f"path {' '.join(resolved.term.values)}"
            found.update(
                (photo_id, path)
                for photo_id in search_sql.path_matches(catalog, rest, resolved.source.path_fts)
            )
        for photo_id, reason in found.items():
            if reason not in reasons[photo_id]:
                reasons[photo_id].append(reason)
    return reasons


# -- sidebar and search bar ------------------------------------------------------------------------------
def label_counts(catalog: Catalog) -> list[LabelCount]:
    """Every label (and parent label) with its count of visible photos, most photos first."""
    categories = search_sql.label_categories(catalog)
    result = []
    for name, count in search_sql.term_counts(catalog, "label"):
        try:
            cats = json.loads(categories.get(name, "[]"))
        except ValueError:
            cats = []
        result.append(LabelCount(name, tuple(c for c in cats if isinstance(c, str)), count))
    return result


def category_counts(catalog: Catalog) -> list[tuple[str, int]]:
    return search_sql.term_counts(catalog, "category")


def person_counts(catalog: Catalog) -> list[tuple[str, int]]:
    return search_sql.term_counts(catalog, "person")


def completions(catalog: Catalog, prefix: str, limit: int = 20) -> list[str]:
    """What the search bar can offer for the word being typed: keys, labels, people, face words."""
    head, _, word = prefix.rpartition(" ")
    lead = head + " " if head else ""
    negated = word.startswith("-")
    core = word[1:] if negated else word
    sign = "-" if negated else ""
    key, colon, value = core.partition(":")
    out: list[str] = []
    if colon:
        spec = FILTERS.get(key.lower())
        if spec is None:
            return []
        if spec.choices:
            out = [c for c in spec.choices if c.startswith(value.lower())]
        elif key.lower() in _KINDS:
            fts = text.prefix_query(value)
            found = search_sql.complete_terms(catalog, fts, _KINDS[key.lower()], limit) if fts else []
            out = [f'"{name}"' if " " in name else name for name in found]
        return [f"{lead}{sign}{key.lower()}:{v}" for v in out][:limit]
    out = [f"{k}:" for k in FILTERS if k.startswith(core.lower()) and core]
    fts = text.prefix_query(core)
    if fts:
        out += search_sql.complete_terms(catalog, fts, BARE_KINDS, limit)
    return [f"{lead}{sign}{v}" for v in dict.fromkeys(out)][:limit]
