"""The search index as stored: segments of packed posting lists, written from what went stale.

A write to the catalog only appends a row to ``search_stale`` (a trigger: a few microseconds). A
reader derives the stale photos in memory at once; once there are ``FLUSH_MARKS`` such rows (some
six hundred stored analysis results) it writes those photos as a new segment, whose photos void their
postings in older segments. Segments are merged like a log-structured tree (a run of newer segments
is merged once it is as large as the segment before it), so each posting is rewritten a logarithmic
number of times and a reader keeps the big old segments it has read across writes. ``rebuild``
derives everything into one segment.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from photosorter.core.catalog.database import BUSY_TIMEOUT_MS, Catalog
from photosorter.core.catalog.search_derive import Postings, Terms, derive

FLUSH_MARKS = 10_000  # stale rows (some 600 stored results): one per label, text line and face written
_MAX_SEGMENTS = 12
_WRITE_CACHE_KIB = -262_144  # SQLite's page cache while the whole index is written (negative: KiB)


@dataclass(frozen=True, slots=True)
class Stale:
    """What changed after seq ``after`` up to ``last``: photos to derive again (None: all of them)."""

    photos: np.ndarray | None
    last: int
    photo_rows: bool  # a photo row itself changed (its date, state or path): the date order moves


def stale(conn: sqlite3.Connection, after: int) -> Stale:
    rows = conn.execute(
        "SELECT seq, hash, photo_id FROM search_stale WHERE seq > ? ORDER BY seq", (after,)
    ).fetchall()
    if not rows:
        return Stale(np.zeros(0, np.int64), after, False)
    photos = {row[2] for row in rows if row[2] is not None}
    hashes = {row[1] for row in rows if row[1] is not None}
    last = rows[-1][0]
    if (
        after == 0
        and len(photos) >= conn.execute("SELECT count(*) FROM photos").fetchone()[0]
        and conn.execute("SELECT NOT EXISTS (SELECT 1 FROM search_segments)").fetchone()[0]
    ):
        return Stale(None, last, True)  # nothing derived yet: everything at once
    if hashes:
        photos.update(
            row[0]
            for row in conn.execute(
                "SELECT id FROM photos WHERE hash IN (SELECT value FROM json_each(?))", (_json(hashes),)
            )
        )
    return Stale(np.array(sorted(photos), dtype=np.int64), last, bool(photos and any(r[2] for r in rows)))


def _json(values: set[str]) -> str:
    return json.dumps(sorted(values))


def unpack(ids: bytes, scores: bytes) -> tuple[np.ndarray, np.ndarray]:
    found = np.frombuffer(ids, dtype="<i4").astype(np.int64)
    return found, (np.frombuffer(scores, dtype="<f8") if scores else np.zeros(found.size))


def _words(terms: Terms, index: int) -> str:
    return "\n".join(sorted(terms.words(index)))


def _term_ids(conn: sqlite3.Connection, terms: Terms, *, fresh: bool) -> np.ndarray:
    """Catalog ids for a derivation's terms, adding new terms and new names of known ones."""
    if fresh:
        count = len(terms.keys)
        words = [""] * count  # most terms (a path's words) are named by their key alone
        for i in terms.phrases:
            words[i] = _words(terms, i)
        kinds, keys = zip(*terms.keys, strict=True) if count else ((), ())
        conn.executemany(
            "INSERT INTO search_terms (id, kind, key, display, words) VALUES (?, ?, ?, ?, ?)",
            zip(range(1, count + 1), kinds, keys, terms.displays, words, strict=True),
        )
        return np.arange(1, count + 1, dtype=np.int64)
    found = np.zeros(len(terms.keys), dtype=np.int64)
    known_rows = {
        (kind, key): (term_id, words)
        for term_id, kind, key, words in conn.execute(
            "SELECT t.id, t.kind, t.key, t.words FROM json_each(?) j JOIN search_terms t"
            " ON t.kind = json_extract(j.value, '$[0]') AND t.key = json_extract(j.value, '$[1]')",
            (json.dumps(terms.keys),),
        )
    }
    # new terms (a new file name's words, most of them) numbered here and inserted in one go
    next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM search_terms").fetchone()[0]
    new_rows = []
    for i, (kind, key) in enumerate(terms.keys):
        row = known_rows.get((kind, key))
        if row is None:
            found[i] = next_id
            new_rows.append((next_id, kind, key, terms.displays[i], _words(terms, i)))
            next_id += 1
            continue
        found[i] = row[0]
        known = set(row[1].split("\n")) - {""}
        if not terms.words(i) <= known:
            words = "\n".join(sorted(known | terms.words(i)))
            conn.execute("UPDATE search_terms SET words = ? WHERE id = ?", (words, row[0]))
    conn.executemany(
        "INSERT INTO search_terms (id, kind, key, display, words) VALUES (?, ?, ?, ?, ?)", new_rows
    )
    return found


def grouped(term: np.ndarray, photo: np.ndarray, score: np.ndarray):
    """(term, ids, scores) per term; the derivation gives postings already grouped by term in runs."""
    order = np.argsort(term, kind="stable")
    term, photo, score = term[order], photo[order], score[order]
    starts = np.flatnonzero(np.r_[True, term[1:] != term[:-1]]) if term.size else np.zeros(0, np.int64)
    ends = np.r_[starts[1:], term.size].astype(np.int64) if term.size else starts
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        yield int(term[start]), photo[start:end], score[start:end]


@dataclass(frozen=True, slots=True)
class Packed:
    """A derivation's lists as stored, packed before the write lock: every list's photo ids one after
    another in ``ids``, its scores likewise in ``scores`` (none for a list of zeros)."""

    photos: np.ndarray
    terms: Terms
    term: np.ndarray  # each list's term, by the derivation's term index
    ids: bytes
    scores: bytes
    spans: np.ndarray  # per list: (first byte of its ids, their bytes, first byte of its scores, their bytes)
    postings: int


def _lay_out(term: np.ndarray, photo: np.ndarray, score: np.ndarray):
    """Postings grouped by term (in runs) as lists: each list's term, the packed ids and scores, and
    where each list's are in them. One pass of numpy for a million lists."""
    if not term.size:
        return np.zeros(0, np.int64), b"", b"", np.zeros((0, 4), np.int64)
    starts = np.flatnonzero(np.r_[True, term[1:] != term[:-1]])
    lengths = np.diff(np.r_[starts, term.size])
    scored = np.logical_or.reduceat(score != 0, starts)  # a list of zeros is stored without scores
    score_lengths = np.where(scored, lengths, 0)
    score_starts = np.cumsum(score_lengths) - score_lengths
    spans = np.stack([4 * starts, 4 * lengths, 8 * score_starts, 8 * score_lengths], axis=1)
    scores = score[np.repeat(scored, lengths)]
    return term[starts], photo.astype("<i4").tobytes(), scores.astype("<f8").tobytes(), spans


def packed(postings: Postings) -> Packed:
    """The lists packed in one go: two arrays' bytes and where each list is in them."""
    order = np.argsort(postings.term, kind="stable")  # runs already in term order: a merge
    term, photo, score = postings.term[order], postings.photo[order], postings.score[order]
    return Packed(postings.photos, postings.terms, *_lay_out(term, photo, score), int(term.size))


# A list of one photo without scores (a file name's word: most of a million lists) is cut out of the
# packed ids by SQLite (a blob's substr), all in one statement: a row bound from Python costs five
# times as much. The other lists are bound a row at a time.
_INSERT_SINGLES = (
    "INSERT INTO search_lists (term_id, segment, ids, scores)"
    " SELECT j.value, ?1, substr(?2, 4 * j.key + 1, 4), x'' FROM json_each(?3) j"
)


def _write(
    conn: sqlite3.Connection,
    photos: np.ndarray,
    term_ids: np.ndarray,
    ids: bytes,
    scores: bytes,
    spans: np.ndarray,
    postings: int,
) -> int:
    """A segment of lists: ``term_ids[i]``'s ids and scores are at ``spans[i]`` in ``ids`` and ``scores``."""
    segment = conn.execute(
        "INSERT INTO search_segments (photos, postings) VALUES (?, ?)",
        (photos.astype("<i4").tobytes(), postings),
    ).lastrowid
    single = (spans[:, 1] == 4) & (spans[:, 3] == 0)
    if single.any():
        photo = np.frombuffer(ids, dtype="<i4")[spans[single, 0] // 4]
        conn.execute(_INSERT_SINGLES, (segment, photo.tobytes(), json.dumps(term_ids[single].tolist())))
    conn.executemany(
        "INSERT INTO search_lists (term_id, segment, ids, scores) VALUES (?, ?, ?, ?)",
        (
            (term_id, segment, ids[id_at : id_at + id_bytes], scores[score_at : score_at + score_bytes])
            for term_id, (id_at, id_bytes, score_at, score_bytes) in zip(
                term_ids[~single].tolist(), spans[~single].tolist(), strict=True
            )
        ),
    )
    return segment


def write_segment(conn: sqlite3.Connection, lists: Packed, *, fresh: bool = False) -> int:
    ids = _term_ids(conn, lists.terms, fresh=fresh)
    return _write(conn, lists.photos, ids[lists.term], lists.ids, lists.scores, lists.spans, lists.postings)


def rebuild(catalog: Catalog) -> None:
    """The whole index derived again from the catalog's rows, as one segment. Call outside a transaction.

    Derived in a read snapshot like ``flush``'s, so writers wait only for the index's write. If
    another process wrote a segment meanwhile (its marks are gone), derived again holding the write
    lock, so that no other writer comes first.
    """
    if not _renew(catalog, everything=True):
        _renew(catalog, everything=True, locked=True)


def _replace(conn: sqlite3.Connection, postings: Packed, last: int) -> None:
    """Everything derived, as the only segment; the marks up to ``last`` are done with."""
    for table in ("search_lists", "search_segments", "search_terms"):
        conn.execute(f"DELETE FROM {table}")
    (cache,) = conn.execute("PRAGMA cache_size").fetchone()
    # a million new terms go into the (kind, key) index in no order: its pages stay in memory (-25% time)
    conn.execute(f"PRAGMA cache_size = {_WRITE_CACHE_KIB}")
    try:
        write_segment(conn, postings, fresh=True)
    finally:
        conn.execute(f"PRAGMA cache_size = {int(cache)}")
    if last == conn.execute("SELECT coalesce(max(seq), 0) FROM search_stale").fetchone()[0]:
        conn.execute("DELETE FROM search_stale")  # all of it: SQLite drops the pages whole
    else:
        conn.execute("DELETE FROM search_stale WHERE seq <= ?", (last,))


def _newest_segment(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT coalesce(max(id), 0) FROM search_segments").fetchone()[0]


def flush(catalog: Catalog) -> bool:
    """Writes what went stale as a new segment, then merges segments; False if another writer came first.

    The photos are derived in a read snapshot, without the write lock: the first search after the
    upgrade derives every photo (a minute for a million), and a scan or analysis writing meanwhile
    must not wait for it. Only the segment is written in a write transaction. Marks made after the
    snapshot stay, so what changed meanwhile is derived again next time. A segment written meanwhile by
    another process is newer than this derivation: then nothing is written (that one did the work).
    Call outside a transaction.
    """
    return _renew(catalog, everything=False)


def _renew(catalog: Catalog, *, everything: bool, locked: bool = False) -> bool:
    """``flush`` (``everything``: of every photo, as the only segment); ``locked``: derived holding the
    write lock, so nothing is written meanwhile and it always writes."""
    conn = catalog.connection()
    with catalog.transaction() if locked else _snapshot(conn):
        changed = stale(conn, 0)
        if everything:
            changed = Stale(None, changed.last, True)
        newest = _newest_segment(conn)
        derived = derive(conn, changed.photos) if changed.photos is None or changed.photos.size else None
        if locked:
            _write_derived(conn, changed, packed(derived) if derived is not None else None)
            return True
    postings = packed(derived) if derived is not None else None
    if changed.photos is None:  # a minute of work at a million photos: worth waiting for a scan's commit
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    with catalog.transaction() as write:
        if _newest_segment(write) != newest:
            return False
        _write_derived(write, changed, postings)
    return True


@contextmanager
def _snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """A read transaction: one snapshot of the catalog, taken at its first read."""
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")


def _write_derived(conn: sqlite3.Connection, changed: Stale, postings: Packed | None) -> None:
    if changed.photos is None:
        assert postings is not None
        _replace(conn, postings, changed.last)
        return
    if postings is not None:
        write_segment(conn, postings)
    conn.execute("DELETE FROM search_stale WHERE seq <= ?", (changed.last,))
    _merge(conn)


def _merge(conn: sqlite3.Connection) -> None:
    segments = conn.execute(
        "SELECT id, postings + length(photos) / 4 FROM search_segments ORDER BY id"
    ).fetchall()
    sizes = [size for _, size in segments]
    first = len(segments) - 1
    while first > 0 and sum(sizes[first:]) >= sizes[first - 1]:
        first -= 1
    first = min(first, len(segments) - 1 - max(0, len(segments) - _MAX_SEGMENTS))
    if len(segments) - first < 2:
        return
    merged = [segment for segment, _ in segments[first:]]
    photos = [np.frombuffer(blob, dtype="<i4").astype(np.int64) for (blob,) in _rows(conn, "photos", merged)]
    owner = np.full(1 + max((int(p.max()) for p in photos if p.size), default=0), -1, dtype=np.int64)
    for position, found in enumerate(photos):
        owner[found] = position
    position_of = {segment: position for position, segment in enumerate(merged)}
    rows = conn.execute(
        "SELECT term_id, segment, ids, scores FROM search_lists WHERE segment IN (SELECT value FROM"
        " json_each(?)) ORDER BY term_id, segment",
        (str(merged),),
    ).fetchall()
    # every list at once: a posting stays if its segment is the newest to have derived its photo
    counts = np.array([len(row[2]) // 4 for row in rows], dtype=np.int64)
    ids = np.frombuffer(b"".join(row[2] for row in rows), dtype="<i4").astype(np.int64)
    scored = np.array([bool(row[3]) for row in rows], dtype=bool)
    scores = np.zeros(ids.size)
    scores[np.repeat(scored, counts)] = np.frombuffer(b"".join(row[3] for row in rows), dtype="<f8")
    term = np.repeat(np.array([row[0] for row in rows], dtype=np.int64), counts)
    position = np.repeat(np.array([position_of[row[1]] for row in rows], dtype=np.int64), counts)
    keep = owner[ids] == position
    term, ids, scores = term[keep], ids[keep], scores[keep]
    union = np.unique(np.concatenate(photos)) if photos else np.zeros(0, np.int64)
    conn.execute("DELETE FROM search_lists WHERE segment IN (SELECT value FROM json_each(?))", (str(merged),))
    conn.execute("DELETE FROM search_segments WHERE id IN (SELECT value FROM json_each(?))", (str(merged),))
    _write(conn, union, *_lay_out(term, ids, scores), int(ids.size))


def _rows(conn: sqlite3.Connection, column: str, segments: list[int]):
    assert column == "photos"
    return conn.execute(
        "SELECT photos FROM search_segments WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
        (str(segments),),
    )
