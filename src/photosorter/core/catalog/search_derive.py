"""What the search index derives from the catalog's rows: (term, photo, score) postings.

One derivation for every size: the whole catalog (a rebuild), the photos a write touched (a new
segment, or the in-memory tail a reader keeps until then), and the page of hits whose reasons are
shown. Analysis is keyed by content, so terms are derived per content hash and then given to each
visible photo holding it; paths, cameras and duplicates belong to the photo itself.
"""

from __future__ import annotations

import gc
import itertools
import json
import queue
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from photosorter.core.catalog.paths import from_db
from photosorter.core.catalog.search_words import phrase_of, tokens, tokens_of
from photosorter.core.durations import whole_seconds

VISIBLE = ("ok", "offline")
# face attribute values that become searchable words
FACE_WORDS = {
    ("smile", "1"): ("smiling", "smile"),
    ("eyeglasses", "1"): ("eyeglasses", "glasses"),
    ("sunglasses", "1"): ("sunglasses",),
    ("beard", "1"): ("beard",),
    ("mustache", "1"): ("mustache", "moustache"),
    ("gender", "female"): ("female",),
    ("gender", "male"): ("male",),
}
EMOTION_MIN_CONFIDENCE = 50.0

TermKey = tuple[str, str]


@dataclass(slots=True)
class Terms:
    """The terms one derivation names, by index, with what names them (a label's name and aliases)."""

    keys: list[TermKey] = field(default_factory=list)
    displays: list[str] = field(default_factory=list)
    phrases: dict[int, set[str]] = field(default_factory=dict)  # only terms named by phrases
    index: dict[TermKey, int] = field(default_factory=dict)

    def add(self, kind: str, key: str, display: str, *names: str) -> int:
        found = self.index.get((kind, key))
        if found is None:
            found = self.index[(kind, key)] = len(self.keys)
            self.keys.append((kind, key))
            self.displays.append(display)
        for name in names:
            phrase = phrase_of(name)
            if phrase:
                self.phrases.setdefault(found, set()).add(phrase)
        return found

    def add_phrases(self, kind: str, key: str, display: str, phrases: tuple[str, ...]) -> int:
        found = self.index.get((kind, key))
        if found is None:
            found = self.index[(kind, key)] = len(self.keys)
            self.keys.append((kind, key))
            self.displays.append(display)
        if phrases:  # never an empty phrase (``label_specs`` leaves them out)
            known = self.phrases.get(found)
            if known is None:
                self.phrases[found] = set(phrases)
            else:
                known.update(phrases)
        return found

    def add_keys(self, kind: str, keys: list[str]) -> list[int]:
        """``add(kind, key, key)`` of each of these keys (none twice): a million file names' words
        are added at a third of the cost of a call per word."""
        index = self.index
        new = [(kind, key) for key in keys if (kind, key) not in index]
        start = len(self.keys)
        self.keys += new
        self.displays += [key for _, key in new]
        index.update(zip(new, range(start, start + len(new)), strict=True))
        return [index[(kind, key)] for key in keys]

    def words(self, index: int) -> set[str]:
        return self.phrases.get(index, set())


@dataclass(frozen=True, slots=True)
class Postings:
    """Best score per (term, photo) for ``photos``, grouped by term."""

    photos: np.ndarray  # every photo derived, matched or not: their older postings are void
    term: np.ndarray
    photo: np.ndarray
    score: np.ndarray
    terms: Terms


def _json(text: object, empty: object) -> object:
    if not isinstance(text, str) or text in ("[]", "{}"):
        return empty
    try:
        return json.loads(text)
    except ValueError:
        return empty


def _strings(text: object) -> list[str]:
    value = _json(text, [])
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


@lru_cache(maxsize=1 << 16)
def label_specs(name: str, parents: str, aliases: str, categories: str) -> tuple[tuple, ...]:
    """(kind, key, display, phrases) of the terms one label row names: its name, parents, categories."""
    own = ("label", name.lower(), name, tuple(p for p in map(phrase_of, (name, *_strings(aliases))) if p))
    return (
        own,
        *(("label", p.lower(), p, _phrases(p)) for p in _strings(parents)),
        *(("category", c.lower(), c, _phrases(c)) for c in _strings(categories)),
    )


def _phrases(name: str) -> tuple[str, ...]:
    phrase = phrase_of(name)
    return (phrase,) if phrase else ()


def _label_terms(terms: Terms, name: str, parents: str, aliases: str, categories: str) -> list[int]:
    return [terms.add_phrases(*spec) for spec in label_specs(name, parents, aliases, categories)]


def _attribute_value(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("value", value.get("Value"))
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value).lower()


def _confidence(value: object, default: float) -> float:
    if isinstance(value, dict):
        for key in ("confidence", "Confidence"):
            if isinstance(value.get(key), int | float) and not isinstance(value.get(key), bool):
                return float(value[key])
    return default


def face_words(attributes: object, confidence: float) -> list[tuple[str, float]]:
    attrs = _json(attributes, {})
    if not isinstance(attrs, dict):
        return []
    found = []
    for key, value in attrs.items():
        name = str(key).lower()
        if name == "emotions" and isinstance(value, list):
            for emotion in value:
                if not isinstance(emotion, dict):
                    continue
                kind = emotion.get("type", emotion.get("Type"))
                score = _confidence(emotion, confidence)
                if isinstance(kind, str) and score >= EMOTION_MIN_CONFIDENCE:
                    found.append((kind.lower(), score))
            continue
        words = FACE_WORDS.get((name, _attribute_value(value) or ""))
        if words:
            found += [(word, _confidence(value, confidence)) for word in words]
    return found


def _runs(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``starts[i], starts[i] + 1, ...`` (``counts[i]`` of them) for each i, in one array."""
    offsets = np.cumsum(counts) - counts
    return np.repeat(starts - offsets, counts) + np.arange(int(counts.sum()), dtype=np.int64)


def sort_keys(key: np.ndarray, bound: int) -> tuple[np.ndarray, np.ndarray]:
    """``key`` sorted (ties in their order) and the order that sorts it, for keys in [0, bound).

    Sorting values is three times faster than ``argsort``: when a key and its position fit in 63 bits
    together, they are sorted as one number and taken apart again.
    """
    shift = max(1, int(key.size).bit_length())
    if int(bound).bit_length() + shift > 63:
        order = np.argsort(key, kind="stable")
        return key[order], order
    packed = np.sort((key << shift) | np.arange(key.size, dtype=np.int64))
    return packed >> shift, packed & ((1 << shift) - 1)


def _best(term: np.ndarray, owner: np.ndarray, score: np.ndarray, terms: int, contents: int):
    """(term, content, best score) once per (term, content), by term."""
    if not term.size:
        return term, owner, score
    span = max(1, contents)
    key, order = sort_keys(term * span + owner, max(1, terms) * span)
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    best = np.maximum.reduceat(score[order], first)
    key = key[first]
    return key // span, key % span, best


def _best_by_runs(sig_flat: np.ndarray, at: np.ndarray, owner: np.ndarray, score: np.ndarray):
    """``_best`` of the label postings (term ``sig_flat[at]``), or None when there are too many terms.

    A million photos have some fifty million label postings but a few thousand label terms: a stable
    16-bit sort (a radix sort) by term is several times faster than sorting (term, content) keys, and
    is enough, because a content's label rows are read together (grouped by hash) and so each
    (term, content) pair's postings end up next to each other."""
    if not sig_flat.size or not at.size:
        return None
    terms, local = np.unique(sig_flat, return_inverse=True)
    if terms.size > RADIX_TERMS:
        return None
    term = local.astype(np.uint16)[at]
    order = np.argsort(term, kind="stable")
    term, owner = term[order], owner[order]
    first = np.flatnonzero(np.r_[True, (term[1:] != term[:-1]) | (owner[1:] != owner[:-1])])
    return terms[term[first]], owner[first], np.maximum.reduceat(score[order], first)


def _camera(make: object, model: object) -> str:
    return f"{make or ''} {model or ''}".strip()


def _place_terms(
    terms: Terms, city: str | None, region: str | None, country: str | None, code: str
) -> list[int]:
    """A place is named by its town, region and country (``place:``); its country also by its code
    (``country:fr``). The key tells two towns of one name apart."""
    city, region, country = city or "", region or "", country or ""
    display = ", ".join(p for p in (city, region, country) if p)
    key = f"{code}/{region}/{city}".lower()
    return [
        terms.add("place", key, display, *(p for p in (city, region, country) if p)),
        terms.add("country", code.lower(), country or code, *(p for p in (country, code) if p)),
    ]


def _where(column: str, values: list | None) -> tuple[str, tuple]:
    if values is None:
        return "", ()
    return f" WHERE {column} IN (SELECT value FROM json_each(?))", (json.dumps(values),)


RADIX_TERMS = int(np.iinfo(np.uint16).max)  # label terms a 16-bit sort by term can tell apart
_CHUNK_CONTENTS = 20_000  # contents whose label rows (some 300,000) SQLite joins into one row of text
# A confidence leaves SQLite as an integer, c * 2**52: SQLite 3.40 turns a real into text at some
# 1.2 µs a value (a third of a whole rebuild's label reading), an integer at a tenth of that. For c in
# [1, 2048) the integer is exact (c's last bit is worth at least 2**-52, and the product stays below
# 2**63); any other value comes out below 2**52 or clamped to 2**63 - 1, and its row is read as is.
_SCALE = 1 << 52
_SCORE = f"CAST(l.confidence * {_SCALE} AS INTEGER)"
_CLAMPED = int(np.iinfo(np.int64).max)
_USUAL = "temp.search_usual_labels"
# The whole catalog, one row per content (SQLite reads a content's rows in key order: hash, backend,
# name): each label row as its signature's number in ``_USUAL`` when its name, parents, aliases and
# categories are the name's usual ones (nearly all rows), else 0 (read again as is). Joining every
# row's long strings cost SQLite 2.1-2.4 s of CPU per 100k photos, and Python then split and hashed
# them. The whole signature is the temporary table's key: one lookup per row both finds the number
# and checks the strings (10% less than a lookup by name and three comparisons after it).
_LABELS = (
    "SELECT l.hash, count(*) AS n, group_concat(ifnull(u.id, 0)) AS numbers,"
    f" group_concat({_SCORE}) AS scores FROM labels l"
    f" LEFT JOIN {_USUAL} u USING (name, parents, aliases, categories) {{where}} GROUP BY l.hash"
)
# ... a chunk of contents as one row: the thread that reads them takes the GIL once per chunk, not once
# per content (each time waiting for the other thread's turn to end)
_LABEL_CHUNK = (
    "SELECT json_group_array(hash), group_concat(n), group_concat(numbers), group_concat(scores)"
    f" FROM ({_LABELS})"
)
# rows as they are, in the order ``_LABELS`` joins them
_ROWS = (
    "SELECT hash, name, parents, aliases, categories, confidence FROM labels"
    " WHERE hash IN (SELECT value FROM json_each(?)) ORDER BY hash, backend, name"
)

LabelSpecs = tuple[str, object, object, object]  # a row's name, parents, aliases and categories


@dataclass(frozen=True, slots=True)
class _LabelRows:
    """Some label rows as columns (signature, confidence), read a content at a time: ``hashes[i]``'s
    rows are the next ``counts[i]``. A signature is the row's (name, parents, aliases, categories),
    numbered in the derivation's ``_Signatures``."""

    signature: np.ndarray
    score: np.ndarray
    hashes: list[str]
    counts: np.ndarray

    def owners(self, content: dict[str, int]) -> np.ndarray:
        """Each row's content number, or -1 for a content no visible photo holds."""
        found = np.fromiter((content.get(h, -1) for h in self.hashes), np.int64, count=len(self.hashes))
        return np.repeat(found, self.counts)


def _usual_labels(conn: sqlite3.Connection) -> list[LabelSpecs]:
    """One row's (name, parents, aliases, categories) of each label name, numbered from 1 in a
    temporary table too."""
    usual = []
    for (name,) in conn.execute("SELECT DISTINCT name FROM labels").fetchall():
        found = conn.execute(
            "SELECT parents, aliases, categories FROM labels WHERE name = ? LIMIT 1", (name,)
        ).fetchone()
        if found is not None and all(isinstance(value, str) for value in found):
            usual.append((name, *found))
    conn.execute(
        f"CREATE TABLE {_USUAL} (name TEXT, parents TEXT, aliases TEXT, categories TEXT, id INTEGER NOT NULL,"
        " PRIMARY KEY (name, parents, aliases, categories)) WITHOUT ROWID"
    )
    conn.executemany(
        f"INSERT INTO {_USUAL} VALUES (?, ?, ?, ?, ?)", [(*row, i) for i, row in enumerate(usual, start=1)]
    )
    return usual


class _Signatures:
    """Numbers of the (name, parents, aliases, categories) rows name; the usual ones first, in order."""

    def __init__(self, usual: list[LabelSpecs]) -> None:
        self.specs: list[LabelSpecs] = list(usual)
        self.number = {specs: i for i, specs in enumerate(self.specs)}

    def of(self, specs: LabelSpecs) -> int:
        found = self.number.get(specs)
        if found is None:
            found = self.number[specs] = len(self.specs)
            self.specs.append(specs)
        return found


def _label_rows(conn: sqlite3.Connection, hashes: list[str], signatures: _Signatures) -> list[tuple]:
    """(signature, hash, confidence) of these contents' rows, in ``_LABELS``'s order."""
    number = signatures.of
    return [
        (number((name, parents, aliases, categories)), h, float(confidence))
        for h, name, parents, aliases, categories, confidence in conn.execute(_ROWS, (json.dumps(hashes),))
    ]


def _some_labels(conn: sqlite3.Connection, hashes: list[str], signatures: _Signatures) -> _LabelRows:
    """The label rows of a few contents (a new segment), a row at a time."""
    rows = _label_rows(conn, hashes, signatures)
    return _LabelRows(
        np.array([row[0] for row in rows], dtype=np.int64),
        np.array([row[2] for row in rows], dtype=np.float64),
        [row[1] for row in rows],
        np.ones(len(rows), dtype=np.int64),
    )


def _label_chunks(conn: sqlite3.Connection) -> list[tuple[str, tuple]]:
    """``WHERE`` clauses that split the label rows by hash into chunks of about ``_CHUNK_CONTENTS``
    contents. The bounds are found in the photos' narrow hash index: stepping over the label rows
    themselves read the whole table once more (6% of a rebuild's label reading). A content no photo
    holds falls in a chunk all the same."""
    bounds: list[str] = []
    while found := conn.execute(
        "SELECT hash FROM photos WHERE hash > ? ORDER BY hash LIMIT 1 OFFSET ?",
        (bounds[-1] if bounds else "", _CHUNK_CONTENTS),
    ).fetchone():
        bounds.append(found[0])
    if not bounds:
        return [("", ())]
    return [
        ("WHERE l.hash < ?", (bounds[0],)),
        *(("WHERE l.hash >= ? AND l.hash < ?", pair) for pair in itertools.pairwise(bounds)),
        ("WHERE l.hash >= ?", (bounds[-1],)),
    ]


def _all_labels(conn: sqlite3.Connection, signatures: _Signatures, chunks: queue.SimpleQueue) -> None:
    """Every label row, a chunk at a time onto ``chunks`` (then None); runs on a thread of its own
    with a connection of its own (it touches no ``Terms``). The usual signatures are numbered first,
    into the empty ``signatures`` and into ``_USUAL`` on that connection.

    A rebuild reads some fifteen rows per photo: a row at a time in Python is most of its cost, so
    SQLite joins a chunk of contents' rows into strings of integers that numpy parses. A label's
    terms depend only on its signature: each is expanded once, by the caller. The few rows the query
    cannot give as integers are read again one at a time.
    """
    try:
        for specs in _usual_labels(conn):
            signatures.of(specs)
        for where, params in _label_chunks(conn):
            chunk_hashes, counts_text, numbers_text, scaled_text = conn.execute(
                _LABEL_CHUNK.format(where=where), params
            ).fetchone()
            if counts_text is None:
                continue
            grouped = json.loads(chunk_hashes)
            counts = np.fromstring(counts_text, dtype=np.int64, sep=",")
            numbers = np.fromstring(numbers_text, dtype=np.int64, sep=",")
            scaled = np.fromstring(scaled_text, dtype=np.int64, sep=",")
            sig = numbers - 1
            score = scaled.astype(np.float64) * (1.0 / _SCALE)
            odd = (numbers == 0) | (scaled < _SCALE) | (scaled == _CLAMPED)
            if odd.any():
                group = np.repeat(np.arange(len(grouped)), counts)
                again = np.flatnonzero(np.bincount(group[odd], minlength=len(grouped)))
                at = np.flatnonzero(np.isin(group, again))  # their rows, in the same order
                rows = _label_rows(conn, [grouped[i] for i in again.tolist()], signatures)
                sig[at] = [row[0] for row in rows]
                score[at] = [row[2] for row in rows]
            chunks.put(_LabelRows(sig, score, grouped, counts))
    finally:
        chunks.put(None)


class _LabelTerms:
    """The label postings of chunks of label rows: best score per (term, content), by term in each
    chunk (a content's rows are never split between chunks). Each signature is expanded into terms
    once, when a row of a visible content first has it (a term without photos would be stored)."""

    def __init__(self, terms: Terms, signatures: _Signatures, content: dict[str, int]) -> None:
        self.terms, self.signatures, self.content = terms, signatures, content
        self.expanded: list[list[int] | None] = []
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, chunk: _LabelRows) -> None:
        owner = chunk.owners(self.content)
        shown = owner >= 0
        sig, owner, score = chunk.signature[shown], owner[shown], chunk.score[shown]
        if not sig.size:
            return
        specs = self.signatures.specs
        self.expanded += [None] * (len(specs) - len(self.expanded))
        for number in np.unique(sig).tolist():
            if self.expanded[number] is None:
                self.expanded[number] = _label_terms(self.terms, *specs[number])
        sig_len = np.array([len(t) if t else 0 for t in self.expanded], dtype=np.int64)
        sig_flat = np.array([term for t in self.expanded if t for term in t], dtype=np.int64)
        named = sig_len[sig]
        at = _runs((np.cumsum(sig_len) - sig_len)[sig], named)
        owner, score = np.repeat(owner, named), np.repeat(score, named)
        found = _best_by_runs(sig_flat, at, owner, score)
        if found is None:  # more label terms than a 16-bit sort takes
            found = _best(sig_flat[at], owner, score, len(self.terms.keys), len(self.content))
        self.parts.append(found)

    def postings(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.parts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        term, owner, best = (np.concatenate(column) for column in zip(*self.parts, strict=True))
        return term, owner, best


def _photo_terms(visible: list[tuple], photo_content: list[int], copies: list[int], terms: Terms):
    """(term, photo) of what belongs to the photo itself, by term then photo (each pair once): its
    path's words, its camera, its place, its duplicates, photo or video, and a video's duration in
    whole seconds.

    A million photos lie in a few thousand folders and share a few cameras and places: photos alike
    in everything but their file name (a group) are given their group's terms at once, and the file
    names are split into words in one pass. A term per photo in Python was half a rebuild's time."""
    if not visible:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    ids, _, _, paths, names, makes, models, medias, durations, cities, regions, countries, codes = zip(
        *visible, strict=True
    )
    paths, names = list(paths), list(names)
    for i, (path, name) in enumerate(zip(paths, names, strict=True)):
        if path.__class__ is not str or name.__class__ is not str:
            paths[i], names[i] = from_db(path), from_db(name) if isinstance(name, bytes) else str(name)
    folders = [
        path[: -len(name)] if name and path.endswith(name) else path
        for path, name in zip(paths, names, strict=True)
    ]
    shared = [c >= 0 and copies[c] > 1 for c in photo_content]
    group_of: dict[tuple, int] = {}
    group = [
        group_of.setdefault(key, len(group_of))
        for key in zip(
            folders, makes, models, medias, durations, cities, regions, countries, codes, shared, strict=True
        )
    ]
    duplicate = terms.index[("is", "duplicate")]
    add = terms.add
    folder_words: dict[str, list[int]] = {}
    cameras: dict[tuple, list[int]] = {}
    places: dict[tuple, list[int]] = {}
    group_terms: list[list[int]] = []
    for folder, make, model, media, duration, *place, copied in group_of:
        words = folder_words.get(folder)
        if words is None:
            words = folder_words[folder] = terms.add_keys("path", list(dict.fromkeys(tokens(folder))))
        found = list(words)
        camera = cameras.get((make, model))
        if camera is None:
            phrase = _camera(make, model)
            camera = [add("camera", phrase.lower(), phrase, phrase)] if phrase else []
            cameras[(make, model)] = camera
        found += camera
        if place[3]:
            where = places.get(tuple(place))
            if where is None:
                where = places[tuple(place)] = _place_terms(terms, *place)
            found += where
        if copied:
            found.append(duplicate)
        found.append(add("type", str(media), f"type:{media}"))
        if duration is not None:
            seconds = whole_seconds(duration)
            found.append(add("duration", str(seconds), f"{seconds} s"))
        group_terms.append(found)
    # each photo's group's terms, then its file name's words
    group_len = np.array([len(found) for found in group_terms], dtype=np.int64)
    group_flat = np.array([term for found in group_terms for term in found], dtype=np.int64)
    photo_group = np.array(group, dtype=np.int64)
    named = group_len[photo_group]
    at = _runs((np.cumsum(group_len) - group_len)[photo_group], named)
    name_words, name_photo = tokens_of(names)
    word_number: dict[str, int] = {}
    numbers = [word_number.setdefault(w, len(word_number)) for w in name_words]
    word_term = np.array(terms.add_keys("path", list(word_number)), dtype=np.int64)
    term = np.concatenate([group_flat[at], word_term[np.array(numbers, dtype=np.int64)]])
    photo = np.concatenate([np.repeat(np.arange(len(visible), dtype=np.int64), named), name_photo])
    # a word of the name may also be the folder's (or twice in the name): each pair once
    span = len(visible)
    key = np.sort(term * span + photo)  # (np.unique hashes first: twice the time)
    key = key[np.r_[True, key[1:] != key[:-1]]]
    return key // span, np.array(ids, dtype=np.int64)[key % span]


def _mark_terms(rows: list[tuple], visible: list[tuple], terms: Terms):
    """(term, photo) of the photo's own marks: ``is:favorite`` and ``rating:N`` (N 1..5; none for 0)."""
    shown = {row[0] for row in visible}
    m_term: list[int] = []
    m_photo: list[int] = []
    for photo_id, favorite, rating in rows:
        if photo_id not in shown:
            continue
        if favorite:
            m_term.append(terms.add("is", "favorite", "is:favorite"))
            m_photo.append(photo_id)
        if rating:
            m_term.append(terms.add("rating", str(rating), f"rating:{rating}"))
            m_photo.append(photo_id)
    return m_term, m_photo


@dataclass(slots=True)
class _Found:
    """(term, content, score) rows, as columns."""

    term: list[int] = field(default_factory=list)
    content: list[int] = field(default_factory=list)
    score: list[float] = field(default_factory=list)

    def put(self, term: int, c: int, score: float) -> None:
        self.term.append(term)
        self.content.append(c)
        self.score.append(score)


def _text_terms(rows, content: dict[str, int], terms: Terms, found: _Found) -> None:
    has_text = terms.index[("has", "text")]
    line_words: dict[str, list[int]] = {}
    for h, text, confidence in rows:
        c = content.get(h)
        if c is None:
            continue
        found.put(has_text, c, 0.0)
        words = line_words.get(text)
        if words is None:
            words = line_words[text] = [terms.add("text", w, w) for w in dict.fromkeys(tokens(str(text)))]
        for word in words:
            found.put(word, c, float(confidence))


def _face_terms(rows, content: dict[str, int], terms: Terms):
    """(term, content, score) of the face rows, as columns: ``has:faces`` and who (a person, or
    ``is:unnamed``) per face, its attributes' words, and per content the most faces one backend found.

    A million photos have about a million faces but few people and few distinct attributes: each
    person's and each (attributes, confidence)'s terms are found once, then given to their rows."""
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    owner = np.array([content.get(row[0], -1) for row in rows], dtype=np.int64)
    shown = owner >= 0
    if not shown.all():  # no visible photo holds these (nor names their people: no term without photos)
        rows = [rows[i] for i in np.flatnonzero(shown).tolist()]
        owner = owner[shown]
    if not owner.size:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    _, backends, persons, attributes, confidences = zip(*rows, strict=True)
    has_faces, unnamed = terms.index[("has", "faces")], terms.index[("is", "unnamed")]
    person_of: dict[object, int] = {}
    person = np.array([person_of.setdefault(p, len(person_of)) for p in persons], dtype=np.int64)
    person_term = np.array(
        [unnamed if p is None else terms.add("person", str(p), str(p)) for p in person_of], dtype=np.int64
    )
    named = np.array([p is not None for p in person_of], dtype=bool)[person]
    words_of: dict[tuple, int] = {}
    words = np.array(
        [words_of.setdefault(key, len(words_of)) for key in zip(attributes, confidences, strict=True)],
        dtype=np.int64,
    )
    found = [
        [(terms.add("face", word, word, word), score) for word, score in face_words(text, float(confidence))]
        for text, confidence in words_of
    ]
    word_count = np.array([len(pairs) for pairs in found], dtype=np.int64)
    word_term = np.array([term for pairs in found for term, _ in pairs], dtype=np.int64)
    word_score = np.array([score for pairs in found for _, score in pairs], dtype=np.float64)
    at = _runs((np.cumsum(word_count) - word_count)[words], word_count[words])
    # the most faces one backend found in each content
    backend_of: dict[object, int] = {}
    backend = np.array([backend_of.setdefault(b, len(backend_of)) for b in backends], dtype=np.int64)
    pair, count = np.unique(owner * len(backend_of) + backend, return_counts=True)
    most = np.zeros(len(content), dtype=np.int64)
    np.maximum.at(most, pair // len(backend_of), count)
    with_faces = np.flatnonzero(most)
    count_term = {n: terms.add("faces", str(n), str(n)) for n in np.unique(most[with_faces]).tolist()}
    faces_term = np.array([count_term[n] for n in most[with_faces].tolist()], dtype=np.int64)
    term = np.concatenate([np.full(owner.size, has_faces), person_term[person], word_term[at], faces_term])
    owner_of = np.concatenate([owner, owner, np.repeat(owner, word_count[words]), with_faces])
    score = np.concatenate(
        [np.zeros(owner.size), np.where(named, 100.0, 0.0), word_score[at], np.zeros(with_faces.size)]
    )
    return term, owner_of, score


def derive(conn: sqlite3.Connection, photo_ids: np.ndarray | None) -> Postings:
    """Postings of ``photo_ids`` (None: every photo), from the photo rows and their content's analysis."""
    if photo_ids is not None:
        return _derive(conn, photo_ids)
    with _collector_paused():
        return _derive(conn, None)


@contextmanager
def _collector_paused():
    """Python's cycle collector off meanwhile: a whole derivation makes millions of row tuples and
    lists, none of them in a cycle, and each collection of the oldest generation walks all of them
    again (a million photos: some 10% of the derivation's CPU, measured with the collector off)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _derive(conn: sqlite3.Connection, photo_ids: np.ndarray | None) -> Postings:
    if photo_ids is None:
        return _derive_all(conn)
    # a few photos (a new segment): their label rows read here, a row at a time
    wanted = [int(i) for i in photo_ids]
    _, visible, content, marks, text, faces = _read_rows(conn, wanted)
    signatures = _Signatures([])
    chunks: queue.SimpleQueue[_LabelRows | None] = queue.SimpleQueue()
    chunks.put(_some_labels(conn, list(content), signatures))
    chunks.put(None)
    derived = np.array(wanted, dtype=np.int64)
    return _postings(derived, visible, content, marks, text, faces, signatures, chunks)


def _derive_all(conn: sqlite3.Connection) -> Postings:
    """Every photo. The label rows (most of the rows read) are read from the start on a second
    connection and thread (SQLite joins them without the GIL; it takes it once per chunk) while this
    one reads the photo, text and face rows and derives their terms, then the label postings of each
    chunk read (a quarter of a million photos' reading taken off the critical path, and on one
    connection SQLite would make each statement wait for the other's). ``conn`` must be in a
    transaction that has written nothing: the second connection sees only what is committed. Its
    snapshot begins after ``conn``'s, so it may hold a write committed in between: that write's stale
    marks come after any ``conn`` read, and its photos are derived again with them."""
    if not conn.in_transaction:
        raise ValueError("derive(conn, None) reads one snapshot: call it in a transaction")
    conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()  # this snapshot begins first
    chunks: queue.SimpleQueue[_LabelRows | None] = queue.SimpleQueue()
    signatures = _Signatures([])
    with _second_reader(conn) as reader, ThreadPoolExecutor(1, thread_name_prefix="search-derive") as pool:
        read = pool.submit(_all_labels, reader, signatures, chunks)
        try:
            derived, visible, content, marks, text, faces = _read_rows(conn, None)
            return _postings(derived, visible, content, marks, text, faces, signatures, chunks)
        finally:
            read.result()  # the thread's error, if it failed; and it is done with ``reader``


@contextmanager
def _second_reader(conn: sqlite3.Connection):
    """A read-only connection to ``conn``'s file, in a transaction (one snapshot) until closed."""
    path = next(file for _, name, file in conn.execute("PRAGMA database_list") if name == "main")
    if not path:
        raise ValueError("a whole derivation reads a catalog file on two connections")
    reader = sqlite3.connect(
        f"{Path(path).as_uri()}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
    )
    try:
        (timeout,) = conn.execute("PRAGMA busy_timeout").fetchone()
        reader.execute(f"PRAGMA busy_timeout = {int(timeout)}")
        reader.execute("BEGIN")
        yield reader
    finally:
        reader.close()  # its temporary tables with it


def _read_rows(conn: sqlite3.Connection, wanted: list[int] | None):
    """The ids of the photo rows of ``wanted`` (None: all), the visible ones' rows, their contents
    numbered, and the marks, text and faces rows."""
    where, params = _where("id", wanted)
    rows = conn.execute(
        "SELECT id, hash, state, path, name, camera_make, camera_model, media, duration_s,"
        f" place_city, place_region, place_country, place_code FROM photos{where}",
        params,
    ).fetchall()
    derived = np.array([row[0] for row in rows], dtype=np.int64)
    visible = [row for row in rows if row[2] in VISIBLE]
    content: dict[str, int] = {}
    for row in visible:
        if row[1] is not None:
            content.setdefault(row[1], len(content))
    hashes = None if wanted is None else list(content)
    where, params = _where("photo_id", wanted)
    marks = conn.execute(f"SELECT photo_id, favorite, rating FROM photo_marks{where}", params).fetchall()
    where, params = _where("hash", hashes)
    text = conn.execute(f"SELECT hash, text, confidence FROM text_lines{where}", params).fetchall()
    faces = conn.execute(
        f"SELECT hash, backend, person_id, attributes, confidence FROM faces{where}", params
    ).fetchall()
    return derived, visible, content, marks, text, faces


def _postings(
    derived: np.ndarray,
    visible: list[tuple],
    content: dict[str, int],
    marks: list[tuple],
    text: list[tuple],
    faces: list[tuple],
    signatures: _Signatures,
    chunks: queue.SimpleQueue,
) -> Postings:
    """The postings of rows read, and of the label rows on their way in ``chunks``."""
    terms = Terms()
    for kind, key in (("has", "text"), ("has", "faces"), ("is", "duplicate"), ("is", "unnamed")):
        terms.add(kind, key, f"{kind}:{key}")
    photo_content = [content[row[1]] if row[1] is not None else -1 for row in visible]
    copies = np.bincount(
        np.array([c for c in photo_content if c >= 0], dtype=np.int64), minlength=len(content)
    )
    visible_ids = np.array([row[0] for row in visible], dtype=np.int64)
    p_term, p_photo = _photo_terms(visible, photo_content, copies.tolist(), terms)
    m_term, m_photo = _mark_terms(marks, visible, terms)
    # content-level terms: text, faces, then labels (each row names its signature's terms, all at the
    # row's confidence); text and faces name other terms than labels: their postings never meet
    found = _Found()
    _text_terms(text, content, terms, found)
    face_term, face_content, face_score = _face_terms(faces, content, terms)
    other = _best(
        np.concatenate([np.array(found.term, np.int64), face_term]),
        np.concatenate([np.array(found.content, np.int64), face_content]),
        np.concatenate([np.array(found.score, np.float64), face_score]),
        len(terms.keys), len(content),
    )  # fmt: skip
    # what needs no label row is done before waiting for the first (or the next) chunk
    held = np.array(photo_content, dtype=np.int64)
    by_content = np.argsort(held, kind="stable")
    starts = np.searchsorted(held[by_content], np.arange(len(content)))
    p_term_arr = np.concatenate([p_term, np.array(m_term, dtype=np.int64)])
    by_term = np.argsort(p_term_arr, kind="stable")
    labels = _LabelTerms(terms, signatures, content)
    while (chunk := chunks.get()) is not None:
        labels.add(chunk)
    term, owner, best = (np.concatenate(pair) for pair in zip(labels.postings(), other, strict=True))
    # ... given to every visible photo holding the content
    held_by = copies[owner]
    photo = visible_ids[by_content][_runs(starts[owner], held_by)]
    term, best = np.repeat(term, held_by), np.repeat(best, held_by)
    return Postings(
        photos=derived,
        term=np.concatenate([term, p_term_arr[by_term]]),
        photo=np.concatenate([photo, np.concatenate([p_photo, np.array(m_photo, dtype=np.int64)])[by_term]]),
        score=np.concatenate([best, np.zeros(p_term_arr.size)]),
        terms=terms,
    )
