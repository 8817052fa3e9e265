"""The one registry of search filters: what each key means, with examples for help and errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from photosorter.core.errors import PhotosorterError


class SearchError(PhotosorterError):
    """A query that cannot be understood; the message names the problem and what is valid."""


@dataclass(frozen=True, slots=True)
class Filter:
    key: str
    kind: str  # words | phrase | date | count | choice
    help: str
    examples: tuple[str, ...]
    choices: tuple[str, ...] = ()


FILTERS: dict[str, Filter] = {
    f.key: f
    for f in (
        Filter(
            "label",
            "words",
            "things and scenes found in the photo, with parents and aliases",
            ("label:dog", "label:cat|dog", "-label:car"),
        ),
        Filter(
            "text",
            "phrase",
            "text detected in the photo (case and accents ignored)",
            ('text:"stop"', 'text:"musée du louvre"'),
        ),
        Filter("person", "words", "a named person's faces", ('person:"Alice Smith"', "person:alice|bob")),
        Filter("folder", "words", "a folder (any part of the path) or file name", ("folder:trips",)),
        Filter("camera", "words", "camera make or model", ("camera:canon", "camera:iphone")),
        Filter("after", "date", "taken on or after (YYYY, YYYY-MM or YYYY-MM-DD)", ("after:2020-01",)),
        Filter("before", "date", "taken before the start of", ("before:2021",)),
        Filter("date", "date", "taken within that year, month or day", ("date:2019-07", "date:2019|2021")),
        Filter("faces", "count", "number of faces: N, =N, >N, >=N, <N, <=N", ("faces:>=3", "faces:0")),
        Filter(
            "has", "choice", "photos that have text or faces", ("has:text", "has:faces"), ("text", "faces")
        ),
        Filter(
            "is",
            "choice",
            "duplicates, or faces nobody named yet",
            ("is:duplicate", "is:unnamed"),
            ("duplicate", "unnamed"),
        ),
        Filter("type", "choice", "photos or videos", ("type:video", "type:photo"), ("photo", "video")),
        Filter(
            "duration",
            "duration",
            "a video's running time in whole seconds: >30s, <2m, >=1h, 1:30 (s, m, h; seconds if none)",
            ("duration:>30s", "duration:<1m", "duration:0:42"),
        ),
    )
}

BARE_HELP = "a bare word matches labels, text, people, face attributes (smiling, happy) and file names"


def valid_keys() -> str:
    return ", ".join(f"{key}:" for key in FILTERS)


def help_text() -> str:
    lines = [BARE_HELP + "; several words must all match; -word excludes; a|b means either", ""]
    for f in FILTERS.values():
        lines.append(f"  {f.key + ':':<8} {f.help}  e.g. {'  '.join(f.examples)}")
    return "\n".join(lines)


def unknown_key(key: str) -> SearchError:
    return SearchError(f"unknown search key {key + ':'!r}; valid keys: {valid_keys()}")


_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


def date_range(key: str, value: str) -> tuple[str, str]:
    """``2020-01`` → ("2020-01", "2020-02"): the period as [start, end) in ISO text."""
    match = _DATE.fullmatch(value.strip())
    problem = f"{key}: bad date {value!r}; use YYYY, YYYY-MM or YYYY-MM-DD, e.g. {FILTERS[key].examples[0]}"
    if not match:
        raise SearchError(problem)
    year, month, day = int(match[1]), match[2], match[3]
    try:
        if day is not None:
            start = date(year, int(month), int(day))
            end = date.fromordinal(start.toordinal() + 1)
            return start.isoformat(), end.isoformat()
        if month is not None:
            m = int(month)
            date(year, m, 1)
            end_text = f"{year + 1:04d}-01" if m == 12 else f"{year:04d}-{m + 1:02d}"
            return f"{year:04d}-{m:02d}", end_text
        if year < 1:
            raise ValueError(year)
        return f"{year:04d}", f"{year + 1:04d}"
    except (ValueError, OverflowError):
        raise SearchError(problem) from None


_COUNT = re.compile(r"(>=|<=|=|>|<)?(\d{1,6})")


def count_predicate(key: str, value: str) -> tuple[str, int]:
    match = _COUNT.fullmatch(value.strip())
    if not match:
        raise SearchError(f"{key}: bad count {value!r}; use N, =N, >N, >=N, <N or <=N, e.g. faces:>=3")
    return match[1] or "=", int(match[2])


def compare(op: str, left: float, right: float) -> bool:
    return {
        "=": left == right,
        ">": left > right,
        ">=": left >= right,
        "<": left < right,
        "<=": left <= right,
    }[op]


def check_choice(f: Filter, value: str) -> str:
    folded = value.strip().lower()
    if folded not in f.choices:
        valid = ", ".join(f"{f.key}:{c}" for c in f.choices)
        raise SearchError(f"unknown value {value!r} for {f.key}:; valid: {valid}")
    return folded


_DURATION = re.compile(
    r"(>=|<=|=|>|<)?(?:(?:(\d{1,3}):)?(\d{1,4}):(\d{2})|(\d{1,7}(?:\.\d+)?)\s*(s|sec|secs|m|min|mins|h|hr|hrs)?)"
)
_UNIT_SECONDS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
}


def duration_predicate(key: str, value: str) -> tuple[str, float]:
    """``>30s`` → (">", 30.0); ``1:30`` → ("=", 90.0); ``2m`` → ("=", 120.0). A video's duration is
    compared in whole seconds, as its badge shows it."""
    match = _DURATION.fullmatch(value.strip().lower())
    if not match:
        raise SearchError(
            f"{key}: bad duration {value!r}; use e.g. >30s, <2m, >=1h or 1:30 (minutes:seconds), "
            f"with =, >, >=, < or <= before it"
        )
    op = match[1] or "="
    if match[4] is not None:
        hours, minutes, seconds = int(match[2] or 0), int(match[3]), int(match[4])
        return op, float(hours * 3600 + minutes * 60 + seconds)
    return op, float(match[5]) * _UNIT_SECONDS[match[6] or "s"]
