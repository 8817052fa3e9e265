"""Running a parsed query against the catalog's search index: ranked hits that say why they matched.

Every query term becomes a source: photos with a score (the best of its posting lists), or a plain
set (dates, folders, flags). Photos must be in every positive source and in no negative one; they
rank by the sum of their scores, then newest first. Sets are dense arrays indexed by photo id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from photosorter.core.analysis.video.timeline import TimeRange, ranges_text, text_key
from photosorter.core.catalog import albums as album_rows
from photosorter.core.catalog import search_rows
from photosorter.core.catalog import video_analysis as video_rows
from photosorter.core.catalog.database import Catalog
from photosorter.core.catalog.search_index import SearchIndex, index_of
from photosorter.core.catalog.search_words import Words, prefix_words, tokens, words_of
from photosorter.core.search.filters import (
    FILTERS,
    SearchError,
    compare,
    count_predicate,
    date_range,
    duration_predicate,
)
from photosorter.core.search.query import Query, Term, parse

BARE_KINDS = ("label", "category", "person", "face")
_KINDS = {
    "label": ("label", "category"),
    "person": ("person",),
    "camera": ("camera",),
    "place": ("place",),
    "country": ("country",),
}
_UNSCORED = ("camera", "place", "country")  # facts of the photo: they filter, they do not rank
PATH_SCORE = 60.0


@dataclass(frozen=True, slots=True)
class SeenAt:
    """When the thing a video matched for is seen in it: ``reason`` is one of the hit's ``why``."""

    reason: str
    ranges: tuple[TimeRange, ...]

    def to_json(self) -> dict[str, object]:
        return {"reason": self.reason, "ranges": [r.to_json() for r in self.ranges]}


@dataclass(frozen=True, slots=True)
class SearchHit:
    photo_id: int
    path: str
    taken_at: str | None
    score: float
    why: tuple[str, ...]
    seen_at: tuple[SeenAt, ...] = ()  # videos: when each reason is seen, in the order of ``why``

    @property
    def start_s(self) -> float | None:
        """Where a player opens this hit: the first moment of its first timed reason (videos only)."""
        return self.seen_at[0].ranges[0].start_s if self.seen_at and self.seen_at[0].ranges else None


@dataclass(frozen=True, slots=True)
class LabelCount:
    name: str
    categories: tuple[str, ...]
    count: int


@dataclass(frozen=True, slots=True)
class _Source:
    """What one query term matches: photo ids with their best score (zeros when not scoring)."""

    term: Term
    ids: np.ndarray
    scores: np.ndarray
    scoring: bool
    negated: bool
    keys: frozenset[tuple[str, str]] = frozenset()  # the index terms behind it, for the reasons
    text: tuple[Words, ...] = ()  # detected text that may be the reason
    path: bool = False  # the file's path may be the reason
    ranked: tuple | None = None  # posting lists only: ids and scores are in the index's ranked order


class _Run:
    """One query against one state of the index."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index
        self.state = index.refresh()
        self.order = index.order(self.state)
        self.size = max(self.state.owner.size, self.index.rank(self.state).size)

    # -- lists ---------------------------------------------------------------------------------------------
    def lists(self, term_ids: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
        found = [self.index.postings(self.state, t) for t in term_ids]
        return [pair for pair in found if pair[0].size]

    def union(self, lists: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        return self.index.union(lists)

    def all_of(self, words: list[str], kind: str) -> np.ndarray:
        """Photos with every word (the candidates for a phrase)."""
        found: np.ndarray | None = None
        for word in words:
            term = self.index.term(self.state, kind, word)
            ids = self.index.postings(self.state, term)[0] if term is not None else np.zeros(0, np.int64)
            found = ids if found is None else np.intersect1d(found, ids, assume_unique=True)
            if not found.size:
                break
        return found if found is not None else np.zeros(0, np.int64)

    # -- words to terms --------------------------------------------------------------------------------------
    def vocabulary(self, kinds: tuple[str, ...], words: Words) -> list[int]:
        found: set[int] = set()
        for word in words.words if not words.phrase else words.words[:1]:
            found |= self.index.words(self.state, word)
        terms = self.index.vocabulary(self.state)
        return sorted(
            t
            for t in found
            if terms[t].kind in kinds
            and (
                any(words.is_whole(p.split(" ")) for p in terms[t].phrases)
                if terms[t].kind == "category"
                else not words.phrase or any(words.in_words(p.split(" ")) for p in terms[t].phrases)
            )
        )

    def people(self, words: Words) -> list[tuple[int, int]]:
        """(term id, person id) of the people whose name matches."""
        found = []
        for person_id, found_words in self.state.people_words.items():
            if words.in_words(found_words):
                term = self.index.term(self.state, "person", str(person_id))
                if term is not None:
                    found.append((term, person_id))
        return found

    def named(self, kinds: tuple[str, ...], words: Words) -> tuple[list[int], set[tuple[str, str]]]:
        terms = self.vocabulary(tuple(k for k in kinds if k != "person"), words)
        keys = {(self.state.terms[t].kind, self.state.terms[t].key) for t in terms}
        if "person" in kinds:
            for term, person_id in self.people(words):
                terms.append(term)
                keys.add(("person", str(person_id)))
        return terms, keys

    def word_terms(self, kind: str, words: Words) -> list[int]:
        """The index terms of a word's forms in detected text or paths."""
        return [t for w in words.words if (t := self.index.term(self.state, kind, w)) is not None]

    def scored(self, term: Term, lists, verified, keys, values, bare: bool) -> _Source:
        """A scoring source: posting lists (ranked and kept by the index) and phrases checked one by one."""
        verified = [pair for pair in verified if pair[0].size]
        ranked = self.index.ranked(self.state, lists) if lists else (np.zeros(0, np.int64), np.zeros(0))
        ids, scores = self.union([ranked, *verified]) if verified else ranked
        rankable = lists if not verified else None
        return _Source(term, ids, scores, True, term.negated, frozenset(keys), values, bare, rankable)

    def text(self, words: Words) -> tuple[np.ndarray, np.ndarray]:
        candidates = self.all_of(list(words.words), "text")
        lines = search_rows.text_lines(self.index.catalog, candidates.tolist())
        best = {
            p: max(c for line, c in found if words.in_text(line))
            for p, found in lines.items()
            if any(words.in_text(line) for line, _ in found)
        }
        ids = np.array(sorted(best), dtype=np.int64)
        return ids, np.array([best[p] for p in ids.tolist()], dtype=np.float64)

    def path(self, words: Words, score: float) -> tuple[np.ndarray, np.ndarray]:
        if not words.phrase:
            ids, _ = self.union(self.lists(self.word_terms("path", words)))
        else:
            candidates = self.all_of(list(words.words), "path")
            paths = search_rows.paths(self.index.catalog, candidates.tolist())
            ids = np.array(
                sorted(p for p, (path, name) in paths.items() if _path_matches(words, path, name)),
                dtype=np.int64,
            )
        return ids, np.full(ids.size, score)

    # -- query terms to sources ----------------------------------------------------------------------------
    def source(self, term: Term) -> _Source | None:
        key = term.key
        if key is None or key in _KINDS:
            kinds = BARE_KINDS if key is None else _KINDS[key]
            values = [w for w in (words_of(v, plurals=not term.phrase) for v in term.values) if w]
            if not values:
                if key is None:
                    return None  # punctuation only: no constraint
                raise SearchError(f"{term.raw!r}: {key}: needs a word, e.g. {FILTERS[key].examples[0]}")
            term_ids: list[int] = []
            keys: set[tuple[str, str]] = set()
            for words in values:
                found, found_keys = self.named(kinds, words)
                term_ids += found
                keys |= found_keys
            if key in _UNSCORED:
                ids, _ = self.union(self.lists(sorted(set(term_ids))))
                return _Source(term, ids, np.zeros(ids.size), False, term.negated)
            lists: list[tuple[int, float | None]] = [(t, None) for t in sorted(set(term_ids))]
            verified = []  # phrases in text or paths, checked photo by photo
            if key is None:
                for words in values:
                    if words.phrase:
                        verified += [self.text(words), self.path(words, PATH_SCORE)]
                    else:
                        lists += [(t, None) for t in self.word_terms("text", words)]
                        lists += [(t, PATH_SCORE) for t in self.word_terms("path", words)]
            return self.scored(term, tuple(sorted(set(lists))), verified, keys, tuple(values), key is None)
        spec = FILTERS[key]
        if key in ("text", "folder"):
            values = [w for w in (words_of(v, plurals=False) for v in term.values) if w]
            if not values:
                raise SearchError(f"{term.raw!r}: {key}: needs a word, e.g. {spec.examples[0]}")
            if key == "text":
                lists = tuple(
                    sorted({(t, None) for w in values if not w.phrase for t in self.word_terms("text", w)})
                )
                verified = [self.text(w) for w in values if w.phrase]
                return self.scored(term, lists, verified, set(), tuple(values), False)
            ids, _ = self.union([pair for w in values if (pair := self.path(w, 0.0))[0].size])
            return _Source(term, ids, np.zeros(ids.size), False, term.negated)
        if spec.kind == "date":
            spans = []
            for value in term.values:
                start, end = date_range(key, value)
                lo, hi = self.index.date_span(
                    self.state,
                    *(
                        (start, None)
                        if key == "after"
                        else (None, start)
                        if key == "before"
                        else (start, end)
                    ),
                )
                spans.append(self.order[lo:hi])
            ids = np.unique(np.concatenate(spans)) if len(spans) > 1 else spans[0]
            return _Source(term, ids, np.zeros(ids.size), False, term.negated)
        if key in ("faces", "rating"):
            return self.counted(term)
        if key == "album":
            return self.album(term)
        if key == "duration":
            return self.duration(term)
        found = [t for v in term.values if (t := self.index.term(self.state, key, v)) is not None]
        ids, _ = self.union(self.lists(found))
        return _Source(term, ids, np.zeros(ids.size), False, term.negated)

    def counted(self, term: Term) -> _Source:
        """Face counts and ratings are terms ``faces:N``/``rating:N`` (none for 0); a predicate true for 0
        becomes the exclusion of the rest."""
        kind = str(term.key)
        predicates = [count_predicate(kind, value) for value in term.values]

        def wanted(n: int) -> bool:
            return any(compare(op, n, limit) for op, limit in predicates) != term.negated

        counts = [(t, int(info.key)) for t, info in self.state.terms.items() if info.kind == kind]
        inverted = wanted(0)
        chosen = [t for t, n in counts if wanted(n) != inverted]
        ids, _ = self.union(self.lists(chosen))
        return _Source(term, ids, np.zeros(ids.size), False, inverted)

    def duration(self, term: Term) -> _Source:
        """Durations are terms ``duration:N`` (whole seconds), one per length present; photos have none."""
        predicates = [duration_predicate("duration", value) for value in term.values]
        chosen = [
            t
            for t, info in self.state.terms.items()
            if info.kind == "duration" and any(compare(op, int(info.key), limit) for op, limit in predicates)
        ]
        ids, _ = self.union(self.lists(chosen))
        return _Source(term, ids, np.zeros(ids.size), False, term.negated)

    def album(self, term: Term) -> _Source:
        """Albums are the user's own lists, read as they are now (not indexed): a name's words pick them."""
        values = [w for w in (words_of(v, plurals=False) for v in term.values) if w]
        if not values:
            raise SearchError(f"{term.raw!r}: album: needs a name, e.g. {FILTERS['album'].examples[0]}")
        catalog = self.index.catalog
        names = album_rows.album_names(catalog)
        chosen = [i for i, name in names.items() if any(w.in_words(tokens(name)) for w in values)]
        ids = np.array(album_rows.members_of_albums(catalog, chosen) if chosen else [], dtype=np.int64)
        ids = np.sort(ids[ids < self.size])  # a photo added since the index state was read is not in it
        return _Source(term, ids, np.zeros(ids.size), False, term.negated)

    # -- combining -------------------------------------------------------------------------------------------
    def member(self, source: _Source) -> np.ndarray:
        out = np.zeros(self.size, dtype=bool)
        out[source.ids] = True
        return out

    def run(self, query: Query, limit: int | None) -> tuple[np.ndarray, np.ndarray, list[_Source]]:
        """(photo ids, total scores) in result order, and the positive sources."""
        sources = [s for s in map(self.source, query.terms) if s is not None]
        positive = [s for s in sources if not s.negated]
        negative = [s for s in sources if s.negated]
        scoring = [s for s in positive if s.scoring]
        if len(scoring) == 1 and scoring[0].ranked is not None:
            # one query term's posting lists decide the order, and the index keeps them ranked
            ids, scores = scoring[0].ids, scoring[0].scores
            for source in positive:
                if source is not scoring[0]:
                    keep = self.member(source)[ids]
                    ids, scores = ids[keep], scores[keep]
            for source in negative:
                keep = ~self.member(source)[ids]
                ids, scores = ids[keep], scores[keep]
            return ids[:limit], scores[:limit], positive
        wanted = np.ones(self.size, dtype=bool)
        total = np.zeros(self.size)
        for source in positive:
            wanted &= self.member(source)
            if source.scoring:
                total[source.ids] += source.scores
        for source in negative:
            wanted[source.ids] = False
        ids = self.order[wanted[self.order]]  # newest first
        return (*_ordered(ids, total[ids], limit), positive)


def _path_matches(words: Words, path: str, name: str) -> bool:
    folder = path[: -len(name)] if name and path.endswith(name) else path
    return words.in_text(folder) or words.in_text(name)


def _ordered(ids: np.ndarray, total: np.ndarray, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Photos already newest first, best total first (a stable sort); with a limit, only the top ones."""
    if not ids.size or total.min() == total.max():
        return ids[:limit], total[:limit]
    if limit is not None and ids.size > limit:
        threshold = np.partition(total, ids.size - limit)[ids.size - limit]
        above = np.flatnonzero(total > threshold)
        tied = np.flatnonzero(total == threshold)[: limit - above.size]
        chosen = np.sort(np.concatenate([above, tied]))
        ids, total = ids[chosen], total[chosen]
    by_score = np.argsort(-total, kind="stable")
    return ids[by_score][:limit], total[by_score][:limit]


def _query(catalog: Catalog, query: str, limit: int | None, extra: Sequence[Term] = ()):
    parsed = Query((*extra, *parse(query).terms))  # a caller's terms (a sidebar filter) are never text
    index = index_of(catalog)
    with index.lock:
        run = _Run(index)
        ids, totals, positive = run.run(parsed, limit)
        return run, ids, totals, positive


def search_ids(catalog: Catalog, query: str, *, extra: Sequence[Term] = ()) -> list[int]:
    """Photo ids, best first then newest first; an empty query gives every visible photo by date.
    ``extra`` terms must hold as well (e.g. ``Term("label", ("Cat", "Dog"))`` for a category)."""
    _, ids, _, _ = _query(catalog, query, None, extra)
    return ids.tolist()


def search(
    catalog: Catalog, query: str, *, limit: int | None = None, extra: Sequence[Term] = ()
) -> list[SearchHit]:
    """Ranked hits, each saying why it matched (``label Cat 97%``, ``text "STOP"``, ``person Alice``)."""
    if limit is not None and limit < 1:
        return []
    run, ids, totals, positive = _query(catalog, query, limit, extra)
    photo_ids = ids.tolist()
    with run.index.lock:
        reasons = _why(run, photo_ids, positive)
        paths = search_rows.paths(run.index.catalog, photo_ids)
        dates = search_rows.dates(run.index.catalog, photo_ids)
    scoring = max(1, sum(1 for s in positive if s.scoring))
    hits = []
    for photo_id, total in zip(photo_ids, totals.tolist(), strict=True):
        found = reasons[photo_id]
        hits.append(
            SearchHit(
                photo_id,
                paths.get(photo_id, ("", ""))[0],
                dates.get(photo_id),
                round(max(total, 0.0) / scoring, 1),
                tuple(text for text, _ in found),
                tuple(SeenAt(text, ranges) for text, ranges in found if ranges),
            )
        )
    return hits


_Moment = tuple[str, str] | None  # the (kind, key) of a video moment a reason may have


def _why(
    run: _Run, photo_ids: list[int], positive: list[_Source]
) -> dict[int, list[tuple[str, tuple[TimeRange, ...]]]]:
    """Why each photo matched: per query term, its best posting, else its text line, else its path.
    A video's reason says when the thing is seen in it ("label Dog 97% at 0:12–0:31")."""
    reasons: dict[int, list[tuple[str, tuple[TimeRange, ...]]]] = {photo_id: [] for photo_id in photo_ids}
    if not photo_ids:
        return reasons
    keys = {key for s in positive for key in s.keys}
    derived = search_rows.reasons(run.index.catalog, photo_ids, keys) if keys else None
    lines = search_rows.text_lines(run.index.catalog, photo_ids) if any(s.text for s in positive) else {}
    paths = search_rows.paths(run.index.catalog, photo_ids) if any(s.path for s in positive) else {}
    timed = video_rows.photo_moments(run.index.catalog, photo_ids)
    people = run.state.people
    for source in positive:
        found: dict[int, tuple[str, _Moment]] = {}
        if not source.scoring:
            found = dict.fromkeys(photo_ids, (source.term.raw, None))
        if source.keys and derived is not None:
            best: dict[int, tuple[float, str, _Moment]] = {}
            for photo_id in photo_ids:
                for r in derived[photo_id]:
                    if (r.kind, r.key) not in source.keys or (
                        photo_id in best and best[photo_id][0] >= r.score + r.yours
                    ):
                        continue
                    moment: _Moment = None
                    if r.kind == "person":
                        text = f"person {people.get(int(r.key), r.key)}"
                        moment = ("person", r.key)
                    elif r.kind == "face":
                        text = f"face {r.display} {r.score:.0f}%"
                    elif r.yours:  # the user's own word: no percentage, they were sure
                        text = f"your keyword {r.origin or r.display}"
                    else:
                        text = f"label {r.origin or r.display} {r.score:.0f}%"
                        moment = ("label", r.origin or r.display)
                    best[photo_id] = (r.score, text, moment)
            found = {photo: (text, moment) for photo, (_, text, moment) in best.items()}
        for words in source.text:
            for photo_id in photo_ids:
                if photo_id in found:
                    continue
                line = next((line for line, _ in lines.get(photo_id, ()) if words.in_text(line)), None)
                if line is not None:
                    found[photo_id] = (f'text "{line}"', ("text", text_key(line)))
        if source.path:
            reason = f"path {' '.join(source.term.values)}"
            for photo_id in photo_ids:
                if (
                    photo_id not in found
                    and photo_id in paths
                    and any(_path_matches(w, *paths[photo_id]) for w in source.text)
                ):
                    found[photo_id] = (reason, None)
        for photo_id, (reason, moment) in found.items():
            ranges = timed.get(photo_id, {}).get(moment, ()) if moment else ()
            text = f"{reason} at {ranges_text(ranges)}" if ranges else reason
            if photo_id in reasons and all(text != known for known, _ in reasons[photo_id]):
                reasons[photo_id].append((text, ranges))
    return reasons


# -- sidebar and search bar ------------------------------------------------------------------------------
def _counts(catalog: Catalog, kind: str) -> list[tuple[str, int, int]]:
    index = index_of(catalog)
    with index.lock:
        state = index.refresh()
        rows = []
        for term_id, count in index.counts(state, kind):
            if kind == "person":
                display = state.people.get(int(state.terms[term_id].key), "")
            else:
                display = state.terms[term_id].display
            rows.append((display, count, term_id))
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def label_counts(catalog: Catalog) -> list[LabelCount]:
    """Every label (and parent label) with its count of visible photos, most photos first."""
    rows = _counts(catalog, "label")
    index = index_of(catalog)
    categories = search_rows.label_categories(index.catalog, [name for name, _, _ in rows])
    return [LabelCount(name, categories.get(name, ()), count) for name, count, _ in rows]


def category_counts(catalog: Catalog) -> list[tuple[str, int]]:
    return [(name, count) for name, count, _ in _counts(catalog, "category")]


def person_counts(catalog: Catalog) -> list[tuple[str, int]]:
    return [(name, count) for name, count, _ in _counts(catalog, "person")]


def unnamed_count(catalog: Catalog) -> int:
    """Visible photos with a face nobody has named: what ``is:unnamed`` (the sidebar's "Unnamed faces")
    finds, so the count beside it is the number of photos a click shows, like every other count there."""
    index = index_of(catalog)
    with index.lock:
        state = index.refresh()
        return next(
            (n for term_id, n in index.counts(state, "is") if state.terms[term_id].key == "unnamed"), 0
        )


def _complete(catalog: Catalog, prefix: str, kinds: tuple[str, ...], limit: int) -> list[str]:
    split = prefix_words(prefix)
    if split is None:
        return []
    whole, last = split
    found: list[tuple[int, str]] = []
    for kind in kinds:
        for name, count, _ in _counts(catalog, kind):
            words = tokens(name)
            if all(w in words for w in whole) and any(w.startswith(last) for w in words):
                found.append((count, name))
    found.sort(key=lambda row: (-row[0], row[1]))
    return [name for _, name in found][:limit]


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
        elif key.lower() in ("label", "person"):
            found = _complete(catalog, value, _KINDS[key.lower()], limit)
            out = [f'"{name}"' if " " in name else name for name in found]
        elif key.lower() == "album":
            names = sorted(album_rows.album_names(catalog).values(), key=str.lower)
            found = [n for n in names if any(w.startswith(value.lower().strip('"')) for w in tokens(n))]
            out = [f'"{name}"' if " " in name else name for name in found]
        return [f"{lead}{sign}{key.lower()}:{v}" for v in out][:limit]
    out = [f"{k}:" for k in FILTERS if k.startswith(core.lower()) and core]
    out += _complete(catalog, core, BARE_KINDS, limit)
    return [f"{lead}{sign}{v}" for v in dict.fromkeys(out)][:limit]
