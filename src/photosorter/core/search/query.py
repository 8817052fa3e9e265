"""Parsing a query string into terms, the way beets and PhotoPrism do: ``[-]key:value`` or a bare word."""

from __future__ import annotations

import re
from dataclasses import dataclass

from photosorter.core.search.filters import (
    FILTERS,
    SearchError,
    check_choice,
    count_predicate,
    date_range,
    duration_predicate,
    unknown_key,
)

MAX_QUERY = 2000
MAX_TERMS = 32
_KEY = re.compile(r"([A-Za-z_]+):(.*)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Term:
    """One part of a query. ``key`` None is a bare word; ``values`` are alternatives (``a|b``)."""

    key: str | None
    values: tuple[str, ...]
    negated: bool = False
    phrase: bool = False  # quoted: match the words in order, no plural forms
    raw: str = ""


@dataclass(frozen=True, slots=True)
class Query:
    terms: tuple[Term, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.terms


def _split(text: str) -> list[str]:
    """Whitespace-separated parts; double quotes group (shell-like), an unclosed quote is an error."""
    parts, current, quoted, in_part = [], [], False, False
    for char in text:
        if char == '"':
            quoted = not quoted
            in_part = True
            current.append(char)
        elif char.isspace() and not quoted:
            if in_part:
                parts.append("".join(current))
            current, in_part = [], False
        else:
            current.append(char)
            in_part = True
    if quoted:
        raise SearchError(f'unbalanced quote in {text.strip()!r}: close it with another "')
    if in_part:
        parts.append("".join(current))
    return parts


def _alternatives(value: str) -> tuple[tuple[str, ...], bool]:
    """``"a b"|c`` → (("a b", "c"), quoted); ``|`` inside quotes is literal."""
    alternatives, current, quoted, any_quote = [], [], False, False
    for char in value:
        if char == '"':
            quoted = not quoted
            any_quote = True
        elif char == "|" and not quoted:
            alternatives.append("".join(current))
            current = []
        else:
            current.append(char)
    alternatives.append("".join(current))
    return tuple(a.strip() for a in alternatives if a.strip()), any_quote


def _term(part: str) -> Term | None:
    negated = part.startswith("-") and len(part) > 1
    body = part[1:] if negated else part
    match = _KEY.fullmatch(body)
    if match is None:
        values, phrase = _alternatives(body)
        return Term(None, values, negated, phrase, part) if values else None
    key = match[1].lower()
    spec = FILTERS.get(key)
    if spec is None:
        raise unknown_key(match[1])
    values, phrase = _alternatives(match[2])
    if not values:
        raise SearchError(f"{key}: needs a value, e.g. {spec.examples[0]}")
    if spec.kind == "date":
        for value in values:
            date_range(key, value)
    elif spec.kind == "count":
        for value in values:
            count_predicate(key, value)
    elif spec.kind == "duration":
        for value in values:
            duration_predicate(key, value)
    elif spec.kind == "choice":
        values = tuple(check_choice(spec, value) for value in values)
    return Term(key, values, negated, phrase or spec.kind == "phrase", part)


def parse(query: str) -> Query:
    """A query string as terms; raises SearchError naming the problem and the valid keys."""
    if not isinstance(query, str):
        raise SearchError("a search query must be text")
    if len(query) > MAX_QUERY:
        raise SearchError(f"the query is too long ({len(query)} characters; at most {MAX_QUERY})")
    if "\x00" in query:
        raise SearchError("the query contains a NUL character")
    terms = [t for t in (_term(part) for part in _split(query)) if t is not None]
    if len(terms) > MAX_TERMS:
        raise SearchError(f"too many search terms ({len(terms)}; at most {MAX_TERMS})")
    return Query(tuple(terms))
