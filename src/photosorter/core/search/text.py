"""Words as the index sees them, and FTS5 query strings built only from escaped tokens.

The index tokenizes with ``unicode61 remove_diacritics 2``; these helpers fold
the query the same way (case and accents ignored) and quote every token, so no
input can be read by FTS5 as an operator, a column filter or a syntax error.
"""

from __future__ import annotations

import re
import unicodedata

_TOKEN = re.compile(r"[^\W_]+")
_VOWELS = set("aeiou")


def fold(text: str) -> str:
    """Lower case without accents: ``Musée`` → ``musee``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(fold(text))


def variants(token: str) -> list[str]:
    """Singular and plural forms of an English word (``dogs`` ↔ ``dog``, ``berries`` ↔ ``berry``)."""
    out = [token]
    if token.isdigit() or len(token) < 3:
        return out
    if token.endswith("ies") and len(token) > 4:
        out.append(token[:-3] + "y")
    elif token.endswith(("ses", "xes", "zes", "ches", "shes")):
        out.append(token[:-2])
    if token.endswith("s") and not token.endswith("ss"):
        out.append(token[:-1])
    else:
        out.append(token + "s")
        if token.endswith(("x", "ch", "sh", "ss")):
            out.append(token + "es")
        if token.endswith("y") and token[-2] not in _VOWELS:
            out.append(token[:-1] + "ies")
    return list(dict.fromkeys(out))


def quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def fts_words(value: str, *, plurals: bool = True) -> str | None:
    """An FTS5 expression for one value: a single word with its plural forms, or an exact phrase."""
    words = tokens(value)
    if not words:
        return None
    if len(words) == 1 and plurals:
        return "(" + " OR ".join(quote(v) for v in variants(words[0])) + ")"
    return quote(" ".join(words))


def fts_any(values: tuple[str, ...], *, plurals: bool = True, columns: str | None = None) -> str | None:
    """``a|b``: any of the values; optionally limited to FTS columns like ``{folder name}``."""
    parts = [p for p in (fts_words(v, plurals=plurals) for v in values) if p]
    if not parts:
        return None
    expr = " OR ".join(parts)
    return f"{columns} : ({expr})" if columns else f"({expr})"


def prefix_query(prefix: str) -> str | None:
    """``ali`` → every indexed word starting with ``ali`` (the last word may be unfinished)."""
    words = tokens(prefix)
    if not words:
        return None
    return " ".join(quote(w) for w in words[:-1]) + (" " if len(words) > 1 else "") + quote(words[-1]) + "*"
