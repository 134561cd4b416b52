"""Search terms as integer keys: character bigrams and single characters, vectorised.

A term is one or two characters of normalised text. Its key packs the code points,
`first << 21 | second` (second = 0 for a single character), so a vocabulary is a sorted int64
array searched with `numpy.searchsorted` instead of a dict of strings. Bigrams never span a break
(punctuation, spaces, symbols, emoji): a term is made of letters, digits and CJK ideographs only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

KEY_BITS = 21
"""Bits per code point in a key (Unicode needs 21)."""

Keys = npt.NDArray[np.int64]

_BMP = 0x10000
_CJK_EXTENSIONS = (0x20000, 0x323AF)  # CJK Unified Ideographs Extensions B..H


def _bmp_term_chars() -> npt.NDArray[np.bool_]:
    table = np.array([chr(code).isalnum() for code in range(_BMP)], dtype=np.bool_)
    table[0] = False
    return table


_TERM_CHAR = _bmp_term_chars()


def code_points(text: str) -> npt.NDArray[np.int64]:
    """The code points of `text` as an int64 array."""
    raw = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return raw.astype(np.int64)


def is_term_char(codes: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Which code points may be part of a term (letters, digits, ideographs)."""
    in_bmp = codes < _BMP
    result = np.zeros(codes.shape, dtype=np.bool_)
    result[in_bmp] = _TERM_CHAR[codes[in_bmp]]
    low, high = _CJK_EXTENSIONS
    result |= (codes >= low) & (codes <= high)
    return result


def unigram_key(char: str) -> int:
    return ord(char) << KEY_BITS


def bigram_key(pair: str) -> int:
    return (ord(pair[0]) << KEY_BITS) | ord(pair[1])


def key_text(key: int) -> str:
    """The characters a key stands for (for debugging and tests)."""
    first, second = key >> KEY_BITS, key & ((1 << KEY_BITS) - 1)
    return chr(first) + (chr(second) if second else "")


def positions(codes: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Start positions of the unigrams and of the bigrams in a code point array."""
    ok = is_term_char(codes)
    unigrams = np.flatnonzero(ok)
    bigrams = np.flatnonzero(ok[:-1] & ok[1:]) if len(codes) > 1 else np.zeros(0, np.intp)
    return unigrams, bigrams


def text_keys(text: str) -> tuple[Keys, Keys]:
    """The unigram keys and the bigram keys of one normalised text, in order, with repeats."""
    codes = code_points(text)
    unigrams, bigrams = positions(codes)
    return codes[unigrams] << KEY_BITS, (codes[bigrams] << KEY_BITS) | codes[bigrams + 1]


def corpus_terms(texts: Sequence[str]) -> tuple[Keys, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Every term occurrence of many texts: (keys, text numbers, term char counts per text).

    Texts are joined with a space (a break), so no bigram spans two texts.
    """
    lengths = np.fromiter((len(text) + 1 for text in texts), dtype=np.int64, count=len(texts))
    codes = code_points(" ".join(texts) + " ")
    owner = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    unigrams, bigrams = positions(codes)
    keys = np.concatenate(
        [codes[unigrams] << KEY_BITS, (codes[bigrams] << KEY_BITS) | codes[bigrams + 1]]
    )
    owners = np.concatenate([owner[unigrams], owner[bigrams]])
    term_chars = np.bincount(owner[unigrams], minlength=len(texts)).astype(np.int64)
    return keys, owners, term_chars
