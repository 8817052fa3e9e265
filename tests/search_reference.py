"""A plain evaluator of the query language, over rows read straight from the catalog: what search must answer.

No index, no arrays: every visible photo's terms are derived from its rows, every query term is
tested against every photo, and the hits are sorted by the rule (summed score, then newest, then
highest id). The differential tests compare the engine with this.
"""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass, field

from photosorter.core.catalog.search_derive import EMOTION_MIN_CONFIDENCE, FACE_WORDS
from photosorter.core.catalog.search_words import Words, tokens, words_of
from photosorter.core.search.filters import compare, count_predicate, date_range, duration_predicate
from photosorter.core.search.query import parse

PATH_SCORE = 60.0


@dataclass
class Photo:
    id: int
    taken_at: str | None
    folder: list[str]
    name: list[str]
    camera: str
    duplicate: bool
    scores: dict[tuple[str, str], float] = field(default_factory=dict)  # term -> best score
    lines: list[tuple[list[str], float]] = field(default_factory=list)
    faces: int = 0
    unnamed: bool = False
    media: str = "photo"
    seconds: int | None = None  # a video's duration, in whole seconds


def round_half_up(seconds: float) -> int:
    """Whole seconds as the badge shows them (29.5 s is "0:30"), written out again on purpose."""
    return math.floor(seconds + 0.5)


def _load(text: str, empty):
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return empty
    return value if isinstance(value, type(empty)) else empty


def _value(value) -> str | None:
    if isinstance(value, dict):
        value = value.get("value", value.get("Value"))
    if isinstance(value, bool):
        return "1" if value else "0"
    return None if value is None or isinstance(value, dict | list) else str(value).lower()


def _conf(value, default: float) -> float:
    if isinstance(value, dict):
        for key in ("confidence", "Confidence"):
            if isinstance(value.get(key), int | float) and not isinstance(value.get(key), bool):
                return float(value[key])
    return default


class Reference:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.people = dict(conn.execute("SELECT id, name FROM people"))
        self.phrases: dict[tuple[str, str], set[tuple[str, ...]]] = {}
        rows = conn.execute(
            "SELECT id, hash, taken_at, path, name, camera_make, camera_model, media, duration_s FROM photos"
            " WHERE state IN ('ok', 'offline')"
        ).fetchall()
        copies: dict[str, int] = {}
        for row in rows:
            copies[row[1]] = copies.get(row[1], 0) + 1
        self.photos = []
        for photo_id, content, taken_at, path, name, make, model, media, duration in rows:
            folder = path[: -len(name)] if path.endswith(name) else path
            camera = f"{make or ''} {model or ''}".strip()
            photo = Photo(photo_id, taken_at, tokens(folder), tokens(name), camera, copies[content] > 1)
            photo.media = media
            photo.seconds = None if duration is None else round_half_up(duration)
            if camera:
                self._name("camera", camera.lower(), camera)
            self._content(conn, photo, content)
            self.photos.append(photo)

    def _name(self, kind: str, key: str, *names: str) -> None:
        self.phrases.setdefault((kind, key), set()).update(tuple(tokens(n)) for n in names if tokens(n))

    def _give(self, photo: Photo, kind: str, key: str, score: float) -> None:
        photo.scores[(kind, key)] = max(score, photo.scores.get((kind, key), -1.0))

    def _content(self, conn: sqlite3.Connection, photo: Photo, content: str | None) -> None:
        for name, confidence, parents, aliases, categories in conn.execute(
            "SELECT name, confidence, parents, aliases, categories FROM labels WHERE hash = ?", (content,)
        ):
            self._name("label", name.lower(), name, *[a for a in _load(aliases, []) if isinstance(a, str)])
            self._give(photo, "label", name.lower(), confidence)
            for parent in [p for p in _load(parents, []) if isinstance(p, str)]:
                self._name("label", parent.lower(), parent)
                self._give(photo, "label", parent.lower(), confidence)
            for category in [c for c in _load(categories, []) if isinstance(c, str)]:
                self._name("category", category.lower(), category)
                self._give(photo, "category", category.lower(), confidence)
        for text, confidence in conn.execute(
            "SELECT text, confidence FROM text_lines WHERE hash = ?", (content,)
        ):
            photo.lines.append((tokens(text), confidence))
        per_backend: dict[str, int] = {}
        for backend, person, attributes, confidence in conn.execute(
            "SELECT backend, person_id, attributes, confidence FROM faces WHERE hash = ?", (content,)
        ):
            per_backend[backend] = per_backend.get(backend, 0) + 1
            photo.unnamed |= person is None
            if person is not None:
                self._give(photo, "person", str(person), 100.0)
            for key, value in _load(attributes, {}).items():
                if key.lower() == "emotions" and isinstance(value, list):
                    for emotion in value:
                        kind = emotion.get("type", emotion.get("Type")) if isinstance(emotion, dict) else None
                        score = _conf(emotion, confidence)
                        if isinstance(kind, str) and score >= EMOTION_MIN_CONFIDENCE:
                            self._name("face", kind.lower(), kind.lower())
                            self._give(photo, "face", kind.lower(), score)
                for word in FACE_WORDS.get((key.lower(), _value(value) or ""), ()):
                    self._name("face", word, word)
                    self._give(photo, "face", word, _conf(value, confidence))
        photo.faces = max(per_backend.values(), default=0)

    # -- one query term against one photo: None when it does not match, else its score ----------------
    def _named(self, photo: Photo, kinds: tuple[str, ...], words: Words) -> float | None:
        best = None
        for (kind, key), score in photo.scores.items():
            if kind not in kinds:
                continue
            if kind == "person":
                named = words.in_words(tokens(self.people.get(int(key), "")))
            else:
                named = any(words.in_words(list(p)) for p in self.phrases.get((kind, key), ()))
            if named:
                best = score if best is None else max(best, score)
        return best

    def _match(self, photo: Photo, key: str | None, value: str, phrase: bool) -> float | None:
        if key in (None, "label", "person", "camera"):
            words = words_of(value, plurals=not phrase)
            if key == "camera":
                hit = words and any(
                    words.in_words(list(p)) for p in self.phrases.get(("camera", photo.camera.lower()), ())
                )
                return 0.0 if hit else None
            kinds = {"label": ("label", "category"), "person": ("person",)}.get(
                key, ("label", "category", "person", "face")
            )
            scores = [self._named(photo, kinds, words)]
            if key is None:
                scores += [c for line, c in photo.lines if words.in_words(line)]
                if words.in_words(photo.folder) or words.in_words(photo.name):
                    scores.append(PATH_SCORE)
            found = [s for s in scores if s is not None]
            return max(found) if found else None
        if key == "text":
            words = words_of(value, plurals=False)
            found = [c for line, c in photo.lines if words.in_words(line)]
            return max(found) if found else None
        if key == "folder":
            words = words_of(value, plurals=False)
            return 0.0 if words.in_words(photo.folder) or words.in_words(photo.name) else None
        if key in ("after", "before", "date"):
            start, end = date_range(key, value)
            low, high = {"after": (start, None), "before": (None, start)}.get(key, (start, end))
            taken = photo.taken_at
            ok = taken is not None and (low is None or taken >= low) and (high is None or taken < high)
            return 0.0 if ok else None
        if key == "faces":
            op, limit = count_predicate(key, value)
            return 0.0 if compare(op, photo.faces, limit) else None
        if key == "has":
            return 0.0 if (photo.lines if value == "text" else photo.faces) else None
        if key == "type":
            return 0.0 if photo.media == value else None
        if key == "duration":
            op, limit = duration_predicate(key, value)
            return 0.0 if photo.seconds is not None and compare(op, photo.seconds, limit) else None
        if key == "is":
            return 0.0 if (photo.duplicate if value == "duplicate" else photo.unnamed) else None
        raise AssertionError(key)

    def search(self, query: str) -> list[tuple[int, float]]:
        """(photo id, score as search() reports it), in result order."""
        terms = [t for t in parse(query).terms if t.key is not None or any(tokens(v) for v in t.values)]
        scoring = [t for t in terms if not t.negated and t.key in (None, "label", "person", "text")]
        hits = []
        for photo in self.photos:
            total, keep = 0.0, True
            for term in terms:
                values = [
                    v
                    for v in term.values
                    if term.key not in (None, "label", "person", "camera", "text", "folder") or tokens(v)
                ]
                scores = [
                    s for s in (self._match(photo, term.key, v, term.phrase) for v in values) if s is not None
                ]
                if term.negated:
                    keep &= not scores
                elif not scores:
                    keep = False
                elif term in scoring:
                    total += max(scores)
            if keep:
                hits.append((photo, total))
        hits.sort(key=lambda h: (h[0].taken_at is not None, h[0].taken_at or "", h[0].id), reverse=True)
        hits.sort(key=lambda h: -h[1])
        return [(photo.id, round(max(total, 0.0) / max(1, len(scoring)), 1)) for photo, total in hits]
