"""Rows read for a page of hits: why each matched (labels, faces, text lines, paths) and its date."""

from __future__ import annotations

import json
from dataclasses import dataclass

from photosorter.core.catalog.database import Catalog
from photosorter.core.catalog.metadata import KEYWORD_BACKEND
from photosorter.core.catalog.paths import from_db
from photosorter.core.catalog.search_derive import TermKey, face_words, label_specs


@dataclass(frozen=True, slots=True)
class Reason:
    """A term a photo has, at its score, and the label row it came from (a parent names its child)."""

    kind: str
    key: str
    score: float
    origin: str | None
    display: str
    yours: bool = False  # a keyword the user gave in another tool (labels backend 'yours')


def reasons(catalog: Catalog, photo_ids: list[int], keys: set[TermKey]) -> dict[int, list[Reason]]:
    """Which of these label, person and face-word terms a page of photos has, to say why they matched."""
    kinds = {kind for kind, _ in keys}
    found: dict[int, list[Reason]] = {photo_id: [] for photo_id in photo_ids}
    wanted = (json.dumps(photo_ids),)
    labels = "" if kinds & {"label", "category"} else " AND 0"
    faces = "" if kinds & {"person", "face"} else " AND 0"
    conn = catalog.connection()
    for photo_id, name, confidence, parents, aliases, categories, backend in conn.execute(
        "SELECT p.id, l.name, l.confidence, l.parents, l.aliases, l.categories, l.backend FROM photos p"
        f" JOIN labels l ON l.hash = p.hash WHERE p.id IN (SELECT value FROM json_each(?)){labels}",
        wanted,
    ):
        found[photo_id] += [
            Reason(kind, key, confidence, name, display, backend == KEYWORD_BACKEND)
            for kind, key, display, _ in label_specs(name, parents, aliases, categories)
            if (kind, key) in keys
        ]
    for photo_id, person, attributes, confidence in conn.execute(
        "SELECT p.id, f.person_id, f.attributes, f.confidence FROM photos p JOIN faces f ON f.hash = p.hash"
        f" WHERE p.id IN (SELECT value FROM json_each(?)){faces}",
        wanted,
    ):
        if person is not None:
            found[photo_id].append(Reason("person", str(person), 100.0, None, str(person)))
        if "face" in kinds:
            found[photo_id] += [
                Reason("face", word, score, None, word)
                for word, score in face_words(attributes, float(confidence))
                if ("face", word) in keys
            ]
    return found


def text_lines(catalog: Catalog, photo_ids: list[int]) -> dict[int, list[tuple[str, float]]]:
    """Each photo's detected lines, most confident first."""
    found: dict[int, list[tuple[str, float]]] = {}
    for start in range(0, len(photo_ids), 20000):
        chunk = photo_ids[start : start + 20000]
        for photo_id, line, confidence in catalog.connection().execute(
            "SELECT p.id, t.text, t.confidence FROM photos p JOIN text_lines t ON t.hash = p.hash"
            " WHERE p.id IN (SELECT value FROM json_each(?)) ORDER BY t.confidence DESC",
            (str(chunk),),
        ):
            found.setdefault(photo_id, []).append((line, confidence))
    return found


def paths(catalog: Catalog, photo_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Each photo's (path, file name)."""

    found: dict[int, tuple[str, str]] = {}
    for start in range(0, len(photo_ids), 20000):
        chunk = photo_ids[start : start + 20000]
        for photo_id, path, name in catalog.connection().execute(
            "SELECT id, path, name FROM photos WHERE id IN (SELECT value FROM json_each(?))",
            (str(chunk),),
        ):
            found[photo_id] = (from_db(path), from_db(name))
    return found


def dates(catalog: Catalog, photo_ids: list[int]) -> dict[int, str | None]:
    found: dict[int, str | None] = {}
    for start in range(0, len(photo_ids), 20000):
        chunk = photo_ids[start : start + 20000]
        found.update(
            catalog.connection().execute(
                "SELECT id, taken_at FROM photos WHERE id IN (SELECT value FROM json_each(?))",
                (str(chunk),),
            )
        )
    return found


def label_categories(catalog: Catalog, names: list[str]) -> dict[str, tuple[str, ...]]:
    """The categories of each label name (from one of its rows)."""

    found: dict[str, tuple[str, ...]] = {}
    rows = catalog.connection().execute(
        "SELECT t.value, (SELECT l.categories FROM labels l WHERE l.name = t.value LIMIT 1)"
        " FROM json_each(?) t",
        (json.dumps(names),),
    )
    for name, categories in rows:
        try:
            value = json.loads(categories or "[]")
        except ValueError:
            value = []
        found[name] = tuple(c for c in value if isinstance(c, str)) if isinstance(value, list) else ()
    return found
