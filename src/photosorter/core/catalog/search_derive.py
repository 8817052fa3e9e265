"""What the search index derives from the catalog's rows: (term, photo, score) postings.

One derivation for every size: the whole catalog (a rebuild), the photos a write touched (a new
segment, or the in-memory tail a reader keeps until then), and the page of hits whose reasons are
shown. Analysis is keyed by content, so terms are derived per content hash and then given to each
visible photo holding it; paths, cameras and duplicates belong to the photo itself.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

import numpy as np

from photosorter.core.catalog.paths import from_db
from photosorter.core.catalog.search_words import phrase_of, tokens

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
    phrases: list[set[str]] = field(default_factory=list)
    index: dict[TermKey, int] = field(default_factory=dict)

    def add(self, kind: str, key: str, display: str, *names: str) -> int:
        found = self.index.get((kind, key))
        if found is None:
            found = self.index[(kind, key)] = len(self.keys)
            self.keys.append((kind, key))
            self.displays.append(display)
            self.phrases.append(set())
        for name in names:
            phrase = phrase_of(name)
            if phrase:
                self.phrases[found].add(phrase)
        return found


@dataclass(frozen=True, slots=True)
class Postings:
    """Best score per (term, photo) for ``photos``: grouped by term; ``sources`` name the label behind it."""

    photos: np.ndarray  # every photo derived, matched or not: their older postings are void
    term: np.ndarray
    photo: np.ndarray
    score: np.ndarray
    terms: Terms
    sources: list[str | None] | None = None


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


def _label_terms(terms: Terms, name: str, parents: str, aliases: str, categories: str) -> list[int]:
    found = [terms.add("label", name.lower(), name, name, *_strings(aliases))]
    found += [terms.add("label", parent.lower(), parent, parent) for parent in _strings(parents)]
    found += [terms.add("category", c.lower(), c, c) for c in _strings(categories)]
    return found


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


def _face_words(attributes: object, confidence: float) -> list[tuple[str, float]]:
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


def _ragged(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows repeated ``counts`` times: (row of each copy, index of the copy within its row)."""
    total = int(counts.sum())
    rows = np.repeat(np.arange(counts.size), counts)
    within = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return rows, within


def _camera(make: object, model: object) -> str:
    return f"{make or ''} {model or ''}".strip()


def _folder(path: str, name: str) -> str:
    return path[: -len(name)] if name and path.endswith(name) else path


def _where(column: str, values: list | None) -> tuple[str, tuple]:
    if values is None:
        return "", ()
    return f" WHERE {column} IN (SELECT value FROM json_each(?))", (json.dumps(values),)


def derive(conn: sqlite3.Connection, photo_ids: np.ndarray | None, *, sources: bool = False) -> Postings:
    """Postings of ``photo_ids`` (None: every photo), from the photo rows and their content's analysis."""
    terms = Terms()
    for kind, key in (("has", "text"), ("has", "faces"), ("is", "duplicate"), ("is", "unnamed")):
        terms.add(kind, key, f"{kind}:{key}")
    wanted = None if photo_ids is None else [int(i) for i in photo_ids]
    where, params = _where("id", wanted)
    rows = conn.execute(
        f"SELECT id, hash, state, path, name, camera_make, camera_model FROM photos{where}", params
    ).fetchall()
    derived = np.array([row[0] for row in rows] if photo_ids is None else wanted, dtype=np.int64)
    visible = [row for row in rows if row[2] in VISIBLE]
    content: dict[str, int] = {}
    photo_content = []
    for row in visible:
        photo_content.append(content.setdefault(row[1], len(content)) if row[1] is not None else -1)
    # photo-level terms: path words, camera, duplicates
    p_term: list[int] = []
    p_photo: list[int] = []
    folder_words: dict[str, list[int]] = {}
    copies = np.bincount(
        np.array([c for c in photo_content if c >= 0], dtype=np.int64), minlength=len(content)
    )
    duplicate = terms.index[("is", "duplicate")]
    for row, c in zip(visible, photo_content, strict=True):
        photo_id, _, _, path, name, make, model = row
        path, name = from_db(path), from_db(name) if isinstance(name, bytes) else str(name)
        folder = _folder(path, name)
        words = folder_words.get(folder)
        if words is None:
            words = folder_words[folder] = [terms.add("path", w, w) for w in dict.fromkeys(tokens(folder))]
        found = set(words)
        found.update(terms.add("path", w, w) for w in tokens(name))
        camera = _camera(make, model)
        if camera:
            found.add(terms.add("camera", camera.lower(), camera, camera))
        if c >= 0 and copies[c] > 1:
            found.add(duplicate)
        p_term += found
        p_photo += [photo_id] * len(found)
    # content-level terms: labels, text, faces
    c_term: list[int] = []
    c_content: list[int] = []
    c_score: list[float] = []
    c_source: list[str | None] = []
    hashes = list(content) if photo_ids is not None else None
    where, params = _where("hash", hashes)
    expansions: dict[tuple, list[int]] = {}
    row_sig: list[int] = []
    row_content: list[int] = []
    row_score: list[float] = []
    row_name: list[str] = []
    signatures: list[list[int]] = []
    for h, name, confidence, parents, aliases, categories in conn.execute(
        f"SELECT hash, name, confidence, parents, aliases, categories FROM labels{where}", params
    ):
        c = content.get(h)
        if c is None:
            continue
        signature = (name, parents, aliases, categories)
        sig = expansions.get(signature)
        if sig is None:
            sig = expansions[signature] = len(signatures)
            signatures.append(_label_terms(terms, name, parents, aliases, categories))
        row_sig.append(sig)
        row_content.append(c)
        row_score.append(confidence)
        if sources:
            row_name.append(name)
    has_text, has_faces = terms.index[("has", "text")], terms.index[("has", "faces")]
    unnamed = terms.index[("is", "unnamed")]

    def put(term: int, c: int, score: float, source: str | None = None) -> None:
        c_term.append(term)
        c_content.append(c)
        c_score.append(score)
        if sources:
            c_source.append(source)

    for h, text, confidence in conn.execute(f"SELECT hash, text, confidence FROM text_lines{where}", params):
        c = content.get(h)
        if c is None:
            continue
        put(has_text, c, 0.0)
        for word in dict.fromkeys(tokens(str(text))):
            put(terms.add("text", word, word), c, float(confidence))
    face_counts: dict[tuple[int, str], int] = {}
    for h, backend, person, attributes, confidence in conn.execute(
        f"SELECT hash, backend, person_id, attributes, confidence FROM faces{where}", params
    ):
        c = content.get(h)
        if c is None:
            continue
        face_counts[(c, backend)] = face_counts.get((c, backend), 0) + 1
        put(has_faces, c, 0.0)
        if person is None:
            put(unnamed, c, 0.0)
        else:
            put(terms.add("person", str(person), str(person)), c, 100.0)
        for word, score in _face_words(attributes, float(confidence)):
            put(terms.add("face", word, word, word), c, score)
    most: dict[int, int] = {}
    for (c, _), n in face_counts.items():
        most[c] = max(most.get(c, 0), n)
    for c, n in most.items():
        put(terms.add("faces", str(n), str(n)), c, 0.0)
    # labels: each row names its signature's terms, all at the row's confidence
    sig_flat = np.array([t for sig in signatures for t in sig], dtype=np.int64)
    sig_len = np.array([len(sig) for sig in signatures], dtype=np.int64)
    sig_start = np.cumsum(sig_len) - sig_len
    row_sig_arr = np.array(row_sig, dtype=np.int64)
    rows_of, within = _ragged(sig_len[row_sig_arr]) if row_sig else (np.zeros(0, np.int64),) * 2
    term = np.concatenate([sig_flat[sig_start[row_sig_arr][rows_of] + within], np.array(c_term, np.int64)])
    owner = np.concatenate([np.array(row_content, np.int64)[rows_of], np.array(c_content, np.int64)])
    score = np.concatenate([np.array(row_score, np.float64)[rows_of], np.array(c_score, np.float64)])
    source_of = [row_name[r] for r in rows_of.tolist()] + c_source if sources else None
    # the best score per (term, content); for ties the first row, as it was read
    key = term * max(1, len(content)) + owner
    order = np.lexsort((-score, key)) if sources else np.argsort(key, kind="stable")
    key, score = key[order], score[order]
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if key.size else np.zeros(0, np.int64)
    best = np.maximum.reduceat(score, first) if key.size else score
    key = key[first]
    term, owner = key // max(1, len(content)), key % max(1, len(content))
    picked = [source_of[i] for i in order[first].tolist()] if source_of is not None else None
    # ... given to every visible photo holding the content
    visible_ids = np.array([row[0] for row in visible], dtype=np.int64)
    held = np.array(photo_content, dtype=np.int64)
    by_content = np.argsort(held, kind="stable")
    held_sorted = held[by_content]
    starts = np.searchsorted(held_sorted, np.arange(len(content)))
    posting_of, copy = _ragged(copies[owner]) if owner.size else (np.zeros(0, np.int64),) * 2
    photo = visible_ids[by_content][starts[owner[posting_of]] + copy]
    term, best = term[posting_of], best[posting_of]
    picked = [picked[i] for i in posting_of.tolist()] if picked is not None else None
    p_term_arr = np.array(p_term, dtype=np.int64)
    by_term = np.argsort(p_term_arr, kind="stable")
    return Postings(
        photos=derived,
        term=np.concatenate([term, p_term_arr[by_term]]),
        photo=np.concatenate([photo, np.array(p_photo, dtype=np.int64)[by_term]]),
        score=np.concatenate([best, np.zeros(len(p_term))]),
        terms=terms,
        sources=picked + [None] * len(p_term) if picked is not None else None,
    )
