"""The search index as a reader holds it: posting lists as arrays, up to date with every committed write.

Per catalog, one ``SearchIndex`` (shared by its threads). It keeps the stored segments it has read
(they never change, so a write elsewhere costs nothing here) and, on top, the photos that went stale
since they were written, derived again in memory (``search_derive``). Once the stale photos are
``FLUSH_MARKS`` the reader writes them as a segment (``search_store.flush``). ``owner`` says for each
photo which segment derived it last: only that segment's postings of the photo count.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import weakref
from dataclasses import dataclass, field

import numpy as np

from photosorter.core.catalog import search_store
from photosorter.core.catalog.database import BUSY_TIMEOUT_MS, Catalog
from photosorter.core.catalog.search_derive import VISIBLE, Postings, derive
from photosorter.core.catalog.search_store import grouped, unpack
from photosorter.core.catalog.search_words import tokens
from photosorter.core.errors import CatalogError

_FLUSH_WAIT_MS = 50
_WAIT_OR_READ_ONLY = re.compile(r"locked|busy|read-only|readonly", re.IGNORECASE)
_FAR = int(np.iinfo(np.int64).max)  # the rank of a photo that is not shown
List = tuple[np.ndarray, np.ndarray]  # (photo ids, scores)
# a query term's lists: (term id, None) keeps the stored scores, (term id, x) gives every photo score x
Lists = tuple[tuple[int, float | None], ...]
_EMPTY: List = (np.zeros(0, np.int64), np.zeros(0))
# kinds with a small vocabulary, held whole: matched word by word without a query per word
VOCABULARY = ("label", "category", "face", "camera", "faces", "has", "is", "person", "type", "duration")


@dataclass(frozen=True, slots=True)
class TermInfo:
    id: int
    kind: str
    key: str
    display: str
    phrases: tuple[str, ...]


@dataclass(slots=True)
class _Segment:
    id: int  # stored segment id; 0 for one derived in memory
    photos: np.ndarray
    lists: dict[int, List] = field(default_factory=dict)  # in memory: all of them; stored: read so far


@dataclass(slots=True)
class _State:
    segment_ids: tuple[int, ...] = ()
    segments: list[_Segment] = field(default_factory=list)
    seq: int = 0
    owner: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    terms: dict[int, TermInfo] = field(default_factory=dict)  # the vocabulary kinds, and new terms
    by_key: dict[tuple[str, str], int] = field(default_factory=dict)
    by_word: dict[str, set[int]] = field(default_factory=dict)
    next_new: int = -1  # ids for terms the stored index does not know yet
    order: np.ndarray | None = None  # visible photos, newest first
    rank: np.ndarray | None = None  # photo id -> position in order, or a large number
    taken: np.ndarray | None = None  # taken_at of order's first photos (the rest have none)
    people: dict[int, str] = field(default_factory=dict)
    people_words: dict[int, list[str]] = field(default_factory=dict)
    # caches, each with the number of segments it has taken in (and the ranked ones, the date order's
    # version): brought up to date when next used, so a write costs each list only when it is read
    combined: dict[int, tuple[np.ndarray, np.ndarray, int]] = field(default_factory=dict)
    ranked: dict[Lists, tuple[np.ndarray, np.ndarray, int, int]] = field(default_factory=dict)
    dates: int = 0  # the date order's version
    counts: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    stamp: tuple[int, int, int] = (-1, -1, -1)


_INDEXES: weakref.WeakKeyDictionary[Catalog, SearchIndex] = weakref.WeakKeyDictionary()
_INDEXES_LOCK = threading.Lock()


def index_of(catalog: Catalog) -> SearchIndex:
    with _INDEXES_LOCK:
        found = _INDEXES.get(catalog)
        if found is None:
            found = _INDEXES[catalog] = SearchIndex(catalog)
        return found


class SearchIndex:
    @property
    def catalog(self) -> Catalog:
        catalog = self._catalog()
        assert catalog is not None, "the catalog was closed and dropped"
        return catalog

    def __init__(self, catalog: Catalog) -> None:
        # weak: the registry keys on the catalog, and a value holding it would keep it alive for good
        self._catalog = weakref.ref(catalog)
        self.lock = threading.RLock()
        self.state = _State()

    # -- staying up to date --------------------------------------------------------------------------------
    def refresh(self) -> _State:
        """The state as of the last commit; call with ``lock`` held."""
        conn = self.catalog.connection()
        stamp = self._stamp(conn)
        if stamp == self.state.stamp:
            return self.state
        pending = conn.execute("SELECT count(*) FROM search_stale").fetchone()[0]
        if pending >= search_store.FLUSH_MARKS and not conn.in_transaction:
            self._flush(conn)
            stamp = self._stamp(conn)
        # one snapshot for every read below: a segment written meanwhile elsewhere must not be half seen
        began = not conn.in_transaction
        if began:
            conn.execute("BEGIN")
        try:
            self._catch_up(conn)
        finally:
            if began:
                conn.execute("COMMIT")
        # taken before the reads: a commit made during them is read again next time
        self.state.stamp = stamp
        return self.state

    @staticmethod
    def _stamp(conn: sqlite3.Connection) -> tuple[int, int, int]:
        return id(conn), conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes

    def _catch_up(self, conn: sqlite3.Connection) -> None:
        state = self.state
        segment_ids = tuple(row[0] for row in conn.execute("SELECT id FROM search_segments ORDER BY id"))
        if segment_ids != state.segment_ids:
            state = self.state = self._load(conn, segment_ids)
        changed = search_store.stale(conn, state.seq)
        if changed.photos is None:  # nothing stored yet and nothing writable: all in memory
            everything = np.array([r[0] for r in conn.execute("SELECT id FROM photos")], np.int64)
            changed = search_store.Stale(everything, changed.last, True)
        if changed.photo_rows:
            state.order = state.rank = state.taken = None
            state.dates += 1
        if changed.photos.size:
            self._add(conn, state, derive(conn, changed.photos))
        state.seq = changed.last
        people = dict(conn.execute("SELECT id, name FROM people"))
        if people != state.people:
            state.people = people
            state.people_words = {person: tokens(name) for person, name in people.items()}

    def _flush(self, conn: sqlite3.Connection) -> None:
        """Writes the stale photos as a segment if the catalog can be written now; else they stay in memory.

        Never waits long for another writer (a scan's transaction): a later search writes them.
        """
        conn.execute(f"PRAGMA busy_timeout = {_FLUSH_WAIT_MS}")
        try:
            search_store.flush(self.catalog)
        except (sqlite3.Error, CatalogError) as error:
            if not _WAIT_OR_READ_ONLY.search(str(error)):
                raise
        finally:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def _load(self, conn: sqlite3.Connection, segment_ids: tuple[int, ...]) -> _State:
        old = {segment.id: segment for segment in self.state.segments if segment.id}
        state = _State(segment_ids=segment_ids)
        for segment_id in segment_ids:
            if segment_id in old:
                state.segments.append(old[segment_id])
                continue
            (blob,) = conn.execute(
                "SELECT photos FROM search_segments WHERE id = ?", (segment_id,)
            ).fetchone()
            state.segments.append(_Segment(segment_id, np.frombuffer(blob, "<i4").astype(np.int64)))
        for term_id, kind, key, display, words in conn.execute(
            # (a few thousand of the terms: without the index SQLite reads every path and text word)
            "SELECT id, kind, key, display, words FROM search_terms INDEXED BY search_terms_key WHERE kind IN"
            " ('label', 'category', 'face', 'camera', 'faces', 'has', 'is', 'person', 'type', 'duration')"
        ):
            self._know(state, TermInfo(term_id, kind, key, display, tuple(w for w in words.split("\n") if w)))
        self._owners(state)
        return state

    @staticmethod
    def _know(state: _State, info: TermInfo) -> None:
        state.terms[info.id] = info
        state.by_key[(info.kind, info.key)] = info.id
        for phrase in info.phrases if info.kind != "person" else ():
            for word in phrase.split(" "):
                state.by_word.setdefault(word, set()).add(info.id)

    def _owners(self, state: _State) -> None:
        size = 1 + max((int(s.photos.max()) for s in state.segments if s.photos.size), default=0)
        state.owner = np.full(size, -1, dtype=np.int32)
        for position, segment in enumerate(state.segments):
            state.owner[segment.photos] = position
        state.combined.clear()
        state.ranked.clear()
        state.counts.clear()

    def _follow(self, state: _State, segment: _Segment) -> None:
        """A new in-memory segment: the photos it derived are now its own."""
        position = len(state.segments) - 1
        size = max(state.owner.size, 1 + int(segment.photos.max(initial=0)))
        if size > state.owner.size:
            state.owner = np.concatenate([state.owner, np.full(size - state.owner.size, -1, np.int32)])
        state.owner[segment.photos] = position
        state.counts.clear()

    def _newer(self, state: _State, term_id: int, upto: int) -> List:
        """The term's postings in segments from ``upto`` on that are still their photos' newest."""
        parts = [
            (ids[keep], scores[keep])
            for position, segment in enumerate(state.segments[upto:], start=upto)
            for ids, scores in [segment.lists.get(term_id, _EMPTY)]
            if ids.size and (keep := state.owner[ids] == position).any()
        ]
        if len(parts) == 1:
            return parts[0]
        return (
            (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
            if parts
            else _EMPTY
        )

    def _insert(self, state: _State, ids, scores, new_ids, new_scores) -> List:
        """Ranked (ids, scores) with a few more visible photos put in their places."""
        rank = self.rank_of(state, new_ids)
        visible = rank < len(self.order(state))
        if not visible.any():
            return ids, scores
        places = []
        for score, r in zip(new_scores[visible].tolist(), rank[visible].tolist(), strict=True):
            low = int(np.searchsorted(-scores, -score, "left"))
            high = int(np.searchsorted(-scores, -score, "right"))
            places.append(low + int(np.searchsorted(self.rank_of(state, ids[low:high]), r)))
        new = np.lexsort((rank[visible], -new_scores[visible]))
        places_arr = np.array(places, dtype=np.int64)[new]
        return (
            np.insert(ids, places_arr, new_ids[visible][new]),
            np.insert(scores, places_arr, new_scores[visible][new]),
        )

    @staticmethod
    def _fixed(pair: List, score: float | None) -> List:
        return pair if score is None else (pair[0], np.full(pair[0].size, score))

    @staticmethod
    def union(lists: list[List]) -> List:
        """Photos in any list, each with its best score."""
        lists = [pair for pair in lists if pair[0].size]
        if len(lists) <= 1:
            return lists[0] if lists else _EMPTY
        size = 1 + max(int(ids.max()) for ids, _ in lists)
        best = np.full(size, -1.0)
        for ids, scores in lists:
            best[ids] = np.maximum(best[ids], scores)
        ids = np.flatnonzero(best >= 0)
        return ids, best[ids]

    def _add(self, conn: sqlite3.Connection, state: _State, postings: Postings) -> None:
        """Photos derived again in memory: a segment of their own, newest of all."""
        ids = np.zeros(len(postings.terms.keys), dtype=np.int64)
        unknown = [k for k in postings.terms.keys if k not in state.by_key and k[0] not in VOCABULARY]
        stored = (
            dict(
                ((kind, key), term_id)
                for term_id, kind, key in conn.execute(
                    "SELECT t.id, t.kind, t.key FROM json_each(?) j JOIN search_terms t"
                    " ON t.kind = json_extract(j.value, '$[0]') AND t.key = json_extract(j.value, '$[1]')",
                    (json.dumps(unknown),),
                )
            )
            if unknown
            else {}
        )
        for i, (kind, key) in enumerate(postings.terms.keys):
            known = state.by_key.get((kind, key), stored.get((kind, key)))
            phrases = tuple(sorted(postings.terms.words(i)))
            if known is None:
                known, state.next_new = state.next_new, state.next_new - 1
            info = state.terms.get(known)
            if kind in VOCABULARY and (info is None or not set(phrases) <= set(info.phrases)):
                merged = tuple(sorted(set(phrases) | set(info.phrases if info else ())))
                self._know(state, TermInfo(known, kind, key, postings.terms.displays[i], merged))
            elif known < 0:
                state.by_key[(kind, key)] = known
            ids[i] = known
        lists = {
            term: (photo, score)
            for term, photo, score in grouped(ids[postings.term], postings.photo, postings.score)
        }
        segment = _Segment(0, postings.photos, lists)
        state.segments.append(segment)
        self._follow(state, segment)

    # -- posting lists -------------------------------------------------------------------------------------
    def _stored(self, conn: sqlite3.Connection, state: _State, term_id: int) -> None:
        wanted = [s for s in state.segments if s.id and term_id not in s.lists]
        if not wanted or term_id < 0:
            return
        found = {
            segment: unpack(ids, scores)
            for segment, ids, scores in conn.execute(
                "SELECT segment, ids, scores FROM search_lists WHERE term_id = ?", (term_id,)
            )
        }
        for segment in wanted:
            segment.lists[term_id] = found.get(segment.id, _EMPTY)

    def postings(self, state: _State, term_id: int) -> List:
        """The term's photos and scores now: each photo's newest derivation only."""
        count = len(state.segments)
        found = state.combined.get(term_id)
        if found is not None and found[2] == count:
            return found[0], found[1]
        if found is None:
            self._stored(self.catalog.connection(), state, term_id)
            ids, scores = self._newer(state, term_id, 0)
        else:
            ids, scores, upto = found
            keep = state.owner[ids] < upto  # not derived again since
            new_ids, new_scores = self._newer(state, term_id, upto)
            ids = np.concatenate([ids[keep], new_ids])
            scores = np.concatenate([scores[keep], new_scores])
        state.combined[term_id] = (ids, scores, count)
        return ids, scores

    def ranked(self, state: _State, key: Lists) -> List:
        """Visible photos in any of the lists, each with its best score: best first, then newest first."""
        count = len(state.segments)
        found = state.ranked.get(key)
        if found is not None and found[2:] == (count, state.dates):
            return found[0], found[1]
        if found is not None and found[3] == state.dates:
            # photos derived again since: out of the list, and their new postings put in place
            ids, scores, upto, _ = found
            keep = state.owner[ids] < upto
            new = self.union([self._fixed(self._newer(state, t, upto), x) for t, x in key])
            ids, scores = self._insert(state, ids[keep], scores[keep], *new)
        else:
            ids, scores = self.union([self._fixed(self.postings(state, t), x) for t, x in key])
            rank = self.rank_of(state, ids)
            order = self.order(state)
            visible = rank < order.size
            # newest first by a pass over the date order (no sort), then best first (a stable sort)
            score_at = np.full(order.size, -1.0)
            score_at[rank[visible]] = scores[visible]
            at = np.flatnonzero(score_at >= 0)
            ids, scores = order[at], score_at[at]
            by_score = np.argsort(-scores, kind="stable")
            ids, scores = ids[by_score], scores[by_score]
        state.ranked[key] = (ids, scores, count, state.dates)
        return ids, scores

    # -- the date order ------------------------------------------------------------------------------------
    def order(self, state: _State) -> np.ndarray:
        if state.order is None:
            (text,) = (
                self.catalog.connection()
                .execute(
                    "SELECT json_group_array(id) FROM (SELECT id FROM photos WHERE state IN"
                    f" {VISIBLE} ORDER BY taken_at DESC, id DESC)"
                )
                .fetchone()
            )
            state.order = (
                np.fromstring(text[1:-1], dtype=np.int64, sep=",") if text != "[]" else np.zeros(0, np.int64)
            )
            size = max(state.owner.size, 1 + int(state.order.max(initial=0)))
            state.rank = np.full(size, _FAR, dtype=np.int64)
            state.rank[state.order] = np.arange(state.order.size)
        return state.order

    def rank(self, state: _State) -> np.ndarray:
        self.order(state)
        assert state.rank is not None
        return state.rank

    def rank_of(self, state: _State, ids: np.ndarray) -> np.ndarray:
        """Position in the date order; beyond the end for a photo not visible (or too new to be known)."""
        rank = self.rank(state)
        out = np.full(ids.size, _FAR, dtype=np.int64)
        known = ids < rank.size
        out[known] = rank[ids[known]]
        return out

    def date_span(self, state: _State, start: str | None, end: str | None) -> tuple[int, int]:
        """Positions [first, last) in the date order of photos taken in [start, end)."""
        order = self.order(state)
        if state.taken is None:
            (blob,) = (
                self.catalog.connection()
                .execute(
                    "SELECT CAST(group_concat(taken_at, char(31)) AS BLOB) FROM (SELECT taken_at FROM photos"
                    " WHERE"
                    f" state IN {VISIBLE} AND taken_at IS NOT NULL ORDER BY taken_at DESC, id DESC)"
                )
                .fetchone()
            )
            taken = bytes(blob).split(b"\x1f") if blob is not None else []
            state.taken = np.array(taken[::-1], dtype=bytes) if taken else np.zeros(0, dtype="S1")
        ascending = state.taken
        lo = 0 if start is None else int(np.searchsorted(ascending, start.encode(), "left"))
        hi = ascending.size if end is None else int(np.searchsorted(ascending, end.encode(), "left"))
        del order
        return ascending.size - hi, ascending.size - lo

    # -- words to terms --------------------------------------------------------------------------------------
    def vocabulary(self, state: _State) -> dict[int, TermInfo]:
        return state.terms

    def words(self, state: _State, word: str) -> set[int]:
        return state.by_word.get(word, set())

    def term(self, state: _State, kind: str, key: str) -> int | None:
        found = state.by_key.get((kind, key))
        if found is not None or kind in VOCABULARY:
            return found
        row = (
            self.catalog.connection()
            .execute("SELECT id FROM search_terms WHERE kind = ? AND key = ?", (kind, key))
            .fetchone()
        )
        return row[0] if row else None

    def count(self, state: _State, term_id: int) -> int:
        ids, _ = self.postings(state, term_id)
        return int(np.count_nonzero(self.rank_of(state, ids) < len(self.order(state)))) if ids.size else 0

    def counts(self, state: _State, kind: str) -> list[tuple[int, int]]:
        """(term id, visible photos) of every term of a kind (person: of every person) with photos."""
        found = state.counts.get(kind)
        if found is None:
            candidates = [i for i, info in state.terms.items() if info.kind == kind]
            if kind == "person":
                candidates = [i for i in candidates if int(state.terms[i].key) in state.people]
            found = [(t, n) for t in candidates if (n := self.count(state, t)) > 0]
            state.counts[kind] = found
        return found

    # -- what the hits' reasons are read from --------------------------------------------------------------


def snapshot(catalog: Catalog) -> set[tuple[str, str, int, float]]:
    """Every (kind, key, photo, score) the index answers with now, for tests that compare two indexes."""
    index = index_of(catalog)
    with index.lock:
        state = index.refresh()
        terms = dict(
            ((kind, key), term_id)
            for term_id, kind, key in catalog.connection().execute("SELECT id, kind, key FROM search_terms")
        )
        terms.update((key, term_id) for key, term_id in state.by_key.items() if term_id < 0)
        found = set()
        visible = len(index.order(state))
        for (kind, key), term_id in terms.items():
            ids, scores = index.postings(state, term_id)
            for photo, score, rank in zip(
                ids.tolist(), scores.tolist(), index.rank_of(state, ids).tolist(), strict=True
            ):
                if rank < visible:
                    found.add((kind, key, photo, score))
        return found
