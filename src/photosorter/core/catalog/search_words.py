"""Words as the index sees them: folded (case and accents ignored), split on anything not a letter or digit.

The index and the query go through the same ``tokens``, so a word matches exactly when its folded
form is equal; a bare word also matches its English plural or singular (``dogs`` ↔ ``dog``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

_TOKEN = re.compile(r"[^\W_]+")
_SPACE, _NEWLINE = ord(" "), ord("\n")
# an ASCII byte as ``tokens`` sees it: a letter or digit (a token's), or a space (between tokens); line
# breaks stay, they part the texts ``tokens_of`` joins
_ASCII_SEPARATORS = bytes(c if chr(c).isalnum() or c == _NEWLINE else _SPACE for c in range(128)) + bytes(128)
_VOWELS = set("aeiou")


def fold(text: str) -> str:
    """Lower case without accents: ``Musée`` → ``musee``."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(fold(text))


def tokens_of(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """Every token of these texts (as ``tokens`` splits each) with the index of the text it is from,
    in no particular order. A million file names: ASCII ones (nearly all) are split in one pass of
    bytes, four times less than a regex call per name; the others one by one."""
    joined = "\n".join(texts)
    if joined.isascii() and joined.count("\n") == max(0, len(texts) - 1):
        return _ascii_tokens(joined)
    odd = [i for i, text in enumerate(texts) if not text.isascii() or "\n" in text]
    plain = list(texts)
    for i in odd:
        plain[i] = ""
    words, line = _ascii_tokens("\n".join(plain))
    odd_lines: list[int] = []
    for i in odd:  # gathered, then joined once: a library of accented or CJK names has a million of them
        found = tokens(texts[i])
        words += found
        odd_lines += [i] * len(found)
    return words, np.concatenate([line, np.array(odd_lines, dtype=np.int64)])


def _ascii_tokens(joined: str) -> tuple[list[str], np.ndarray]:
    """``tokens_of`` of ASCII texts joined by line breaks (and holding none)."""
    raw = joined.lower().encode("ascii").translate(_ASCII_SEPARATORS)
    code = np.frombuffer(raw, dtype=np.uint8)
    in_word = code > _SPACE
    starts = np.flatnonzero(in_word & ~np.r_[False, in_word[:-1]])
    return raw.decode("ascii").split(), np.searchsorted(np.flatnonzero(code == _NEWLINE), starts)


def phrase_of(text: str) -> str:
    """A name as the index keeps it: its words, folded, one space apart."""
    return " ".join(tokens(text))


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


@dataclass(frozen=True, slots=True)
class Words:
    """A query value: a single word (with its plural forms), or words that must follow in order."""

    words: tuple[str, ...]  # the single word's forms, or the phrase's words
    phrase: bool

    def in_words(self, found: list[str] | tuple[str, ...]) -> bool:
        """Whether a run of words (one text line, a folder, a name) matches."""
        if not self.phrase:
            return any(word in self.words for word in found)
        n = len(self.words)
        return any(tuple(found[i : i + n]) == self.words for i in range(len(found) - n + 1))

    def is_whole(self, found: list[str] | tuple[str, ...]) -> bool:
        """Whether the words are the whole run: a broad name (a category, "Text and Documents") is
        matched only by its full name, so a search for ``document`` does not bring every photo with text."""
        if not self.phrase:
            return len(found) == 1 and found[0] in self.words
        return tuple(found) == self.words

    def in_text(self, text: str) -> bool:
        return self.in_words(tokens(text))


def words_of(value: str, *, plurals: bool = True) -> Words | None:
    """A value as words: one word with its plural forms (``plurals``), or an exact phrase; None if no word."""
    found = tokens(value)
    if not found:
        return None
    if len(found) == 1:
        return Words(tuple(variants(found[0])) if plurals else (found[0],), phrase=False)
    return Words(tuple(found), phrase=True)


def prefix_words(prefix: str) -> tuple[tuple[str, ...], str] | None:
    """``ice cr`` → (("ice",), "cr"): whole words, then the unfinished last word."""
    found = tokens(prefix)
    if not found:
        return None
    return tuple(found[:-1]), found[-1]
