"""Text normalisation shared by the index and queries: one script, one width, no control chars.

Traditional characters become simplified with OpenCC (the reference converter, maintained, with
phrase-level dictionaries and a compiled core: the whole corpus converts in a fraction of a
second). Full-width letters, digits and punctuation fold to half-width, then NFKC; casefold lowers
Latin. Control, format, private-use and unassigned characters are removed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import opencc

MAX_QUERY_CHARS = 200
"""Queries are cut to this many characters after cleaning: a caller's question is a sentence or
two; longer input (a pasted document, a 10 kB paste) would only add noise and latency."""

MAX_RAW_QUERY_CHARS = 4 * MAX_QUERY_CHARS
"""Raw input is cut before any work, so a huge query costs no more than a long one."""

# Control (Cc), format (Cf: zero-width, bidi marks), surrogate, private-use and unassigned.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_WHITESPACE = "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029\u3000"
_TO_SPACE = str.maketrans(dict.fromkeys(_WHITESPACE, " "))
_SPACES = np.array([ord(char) for char in _WHITESPACE], dtype=np.uint32)
_JOIN = "\uffff"  # a noncharacter: texts are joined with it, then split at newlines
_FULL_WIDTH_FIRST, _FULL_WIDTH_LAST = 0xFF01, 0xFF5E
_FULL_TO_HALF = 0xFEE0


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalise_text(text: str) -> str:
    """Simplified script, half-width, casefolded; control characters become spaces or go."""
    return normalise_texts([text])[0]


def normalise_texts(texts: Sequence[str]) -> list[str]:
    """`normalise_text` over many texts with one pass per step (fast for a whole corpus)."""
    if not texts:
        return []
    joined = _JOIN.join(text.replace(_JOIN, "") for text in texts)
    folded = _fold_width(joined).split("\n")
    composed = [_nfkc(_clean(text)) for text in folded]
    converted: list[str] = str(_converter().convert("\n".join(composed))).casefold().split("\n")
    if len(converted) != len(texts):  # the converter's dictionaries hold no newline
        raise AssertionError("script conversion changed the number of texts")
    return converted


def normalise_query(query: str) -> str:
    """Like `normalise_text`, with runs of spaces collapsed and the length capped."""
    cleaned = normalise_text(query[:MAX_RAW_QUERY_CHARS])
    return " ".join(cleaned.split())[:MAX_QUERY_CHARS]


def _clean(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(char for char in text if unicodedata.category(char) not in _DROPPED_CATEGORIES)


_FOLD = str.maketrans(
    {
        **{
            chr(code): chr(code - _FULL_TO_HALF)
            for code in range(_FULL_WIDTH_FIRST, _FULL_WIDTH_LAST + 1)
        },
        **dict.fromkeys(_WHITESPACE, " "),
        _JOIN: "\n",
    }
)
_SHORT = 2048  # below this many characters a translate table beats numpy's fixed cost


def _fold_width(text: str) -> str:
    if len(text) < _SHORT:
        return text.translate(_FOLD)
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).copy()
    full = (codes >= _FULL_WIDTH_FIRST) & (codes <= _FULL_WIDTH_LAST)
    codes[full] -= _FULL_TO_HALF
    codes[np.isin(codes, _SPACES)] = ord(" ")
    codes[codes == ord(_JOIN)] = ord("\n")
    return codes.tobytes().decode("utf-32-le", "surrogatepass")


def _nfkc(text: str) -> str:
    if unicodedata.is_normalized("NFKC", text):
        return text
    return unicodedata.normalize("NFKC", text).translate(_TO_SPACE)
