"""Plans made only of posting lists (labels, people, face words, flags, cameras), run on numpy arrays.

Reading 77,000 ids out of SQLite costs about 7 ms however they are packaged, and intersecting,
merging or excluding such lists in SQL costs a lookup per row on top. So each posting list is read
once as arrays (ids in rank order, exact scores) and kept for the connection while the database is
unchanged: ``PRAGMA data_version`` moves when another connection commits, ``total_changes()`` when
this one writes (triggers included). Any change drops every list: the next query reads them again.
Sets are then dense arrays indexed by photo id, and results come out in the order the SQL plan gives.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field

import numpy as np

from photosorter.core.catalog.search_derive import VISIBLE
from photosorter.core.catalog.search_plan import PATH_SCORE, Plan, Source, decode_ints

# scores cross as integers: x * 2**52 is an exact integer for 0 and for every double in [1, 2048)
_SCALE = float(2**52)
_MAX_BYTES = 24 * 2**20  # per connection; beyond this the cache starts again (far past 100k photos)
_MAX_CONNECTIONS = 4  # the GUI searches from a few threads: at most ~100 MB in all

_IDS_SQL = (
    "SELECT json_group_array(photo_id) FROM (SELECT photo_id FROM search_postings"
    " WHERE term_id = ? ORDER BY score DESC, taken_at DESC, photo_id DESC)"
)
_SCORES_SQL = (
    "SELECT json_group_array(CAST(score * ? AS INTEGER)), min(score = 0 OR (score >= 1 AND score < 2048))"
    " FROM (SELECT score FROM search_postings WHERE term_id = ?"
    " ORDER BY score DESC, taken_at DESC, photo_id DESC)"
)
_ORDER_SQL = (
    "SELECT json_group_array(id) FROM (SELECT id FROM photos"
    f" WHERE state IN {VISIBLE} ORDER BY taken_at DESC, id DESC)"
)

Posting = tuple[np.ndarray, np.ndarray]  # (photo ids, scores), best first then newest first


@dataclass(slots=True)
class _Lists:
    """What one connection has read since the database last changed."""

    conn: sqlite3.Connection
    stamp: tuple[int, int]
    ids: dict[int, np.ndarray] = field(default_factory=dict)  # term -> photo ids, in rank order
    scores: dict[int, np.ndarray | None] = field(default_factory=dict)  # None: not exact as integers
    order: np.ndarray | None = None  # visible photo ids, newest first
    queries: int = 0
    nbytes: int = 0


_STATES: dict[int, _Lists] = {}
_LOCK = threading.Lock()


def _lists(conn: sqlite3.Connection) -> _Lists:
    stamp = (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)
    with _LOCK:
        state = _STATES.get(id(conn))
        if state is None or state.conn is not conn or state.stamp != stamp or state.nbytes > _MAX_BYTES:
            if len(_STATES) >= _MAX_CONNECTIONS:
                _STATES.clear()
            state = _STATES[id(conn)] = _Lists(conn, stamp)
        state.queries += 1
        return state


def _term_ids(state: _Lists, term_id: int) -> np.ndarray:
    if term_id not in state.ids:
        state.ids[term_id] = decode_ints(state.conn.execute(_IDS_SQL, (term_id,)).fetchone()[0])
        state.nbytes += state.ids[term_id].nbytes
    return state.ids[term_id]


def _posting(state: _Lists, term_id: int) -> Posting | None:
    """A term's list with its scores, or None when a score could not cross exactly."""
    ids = _term_ids(state, term_id)
    if term_id not in state.scores:
        scores, exact = state.conn.execute(_SCORES_SQL, (_SCALE, term_id)).fetchone()
        state.scores[term_id] = decode_ints(scores) / _SCALE if exact is None or exact else None
        state.nbytes += ids.nbytes
    found = state.scores[term_id]
    return None if found is None else (ids, found)


def _order(state: _Lists) -> np.ndarray:
    if state.order is None:
        state.order = decode_ints(state.conn.execute(_ORDER_SQL).fetchone()[0])
        state.nbytes += state.order.nbytes
    return state.order


def _exact(column: str) -> str:
    return f"min({column} = 0 OR ({column} >= 1 AND {column} < 2048))"


def _text(state: _Lists, fts: str) -> Posting | None:
    """Photos whose detected text matches, with each matching line's confidence (a photo may repeat)."""
    ids, scores, exact = state.conn.execute(
        f"SELECT json_group_array(p.id), json_group_array(CAST(r.confidence * ? AS INTEGER)),"
        f" {_exact('r.confidence')} FROM search_text x JOIN search_text_rows r ON r.id = x.rowid"
        " JOIN photos p ON p.hash = r.hash WHERE search_text MATCH ?",
        (_SCALE, fts),
    ).fetchone()
    return (decode_ints(ids), decode_ints(scores) / _SCALE) if exact is None or exact else None


def _paths(state: _Lists, fts: str, score: float) -> Posting:
    ids = state.conn.execute(
        "SELECT json_group_array(rowid) FROM search_paths WHERE search_paths MATCH ?", (fts,)
    ).fetchone()[0]
    found = decode_ints(ids)
    return found, np.full(found.size, score)


def _postings(state: _Lists, source: Source, *, scores: bool = True) -> list[Posting] | None:
    """Everything a source matches, as (ids, scores) lists; None when some score cannot cross exactly."""
    if scores:
        found = [_posting(state, term_id) for term_id in source.term_ids]
    else:
        found = [(_term_ids(state, term_id), np.empty(0)) for term_id in source.term_ids]
    if source.text_fts is not None:
        found.append(_text(state, source.text_fts))
    if source.path_fts is not None:
        found.append(_paths(state, source.path_fts, PATH_SCORE if source.scoring else 0.0))
    return None if any(f is None for f in found) else found


def _best(postings: list[Posting], size: int) -> np.ndarray:
    """Per photo id, the best score among the lists; -1 where none has the photo."""
    best = np.full(size, -1.0)
    for ids, scores in postings:
        np.maximum.at(best, ids, scores)
    return best


def _one_list(source: Source) -> bool:
    return len(source.term_ids) == 1 and source.text_fts is None and source.path_fts is None


def run_ids(conn: sqlite3.Connection, plan: Plan) -> list[int] | None:
    """The plan's ids in result order, or None when the plan is better run in SQL."""
    if not plan.positive or any(source.dates for source in plan.positive + plan.negative):
        return None
    state = _lists(conn)
    # the driver and the score parts exactly as search_plan._plan_sql picks them
    positive = list(plan.positive)
    driver = min([s for s in positive if s.scoring] or positive, key=lambda s: s.estimate)
    positive.remove(driver)
    scored = [source for source in positive if source.scoring]
    ranked = not scored and _one_list(driver)  # one posting list already in result order
    if not ranked and state.queries == 1:
        # the first query since a write: scores and the date order would likely be read for nothing
        # (the next write drops them), and SQL gets there about as fast
        return None
    parts = [_postings(state, source, scores=not ranked) for source in (driver, *positive)]
    parts += [_postings(state, source, scores=False) for source in plan.negative]
    if any(part is None for part in parts):
        return None
    size = 1 + max((int(ids.max()) for part in parts for ids, _ in part if ids.size), default=0)
    keep = np.ones(size, dtype=bool)
    for source, part in zip(positive, parts[1 : 1 + len(positive)], strict=True):
        if not source.scoring:
            member = np.zeros(size, dtype=bool)
            for ids, _ in part:
                member[ids] = True
            keep &= member
    for part in parts[1 + len(positive) :]:
        for ids, _ in part:
            keep[ids] = False
    if ranked:
        ids = parts[0][0][0]
        return ids[keep[ids]].tolist() if len(parts) > 1 else ids.tolist()
    total = _best(parts[0], size)
    keep &= total >= 0
    for source, part in zip(positive, parts[1 : 1 + len(positive)], strict=True):
        if source.scoring:
            score = _best(part, size)
            keep &= score >= 0
            total = total + score
    order = _order(state)
    found = order[order < size]
    found = found[keep[found]]  # visible, newest first
    return found[np.argsort(-total[found], kind="stable")].tolist()
