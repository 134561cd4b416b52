"""An inverted index of term keys with precomputed BM25 impacts, in flat numpy arrays.

Postings are term-major (CSR): the documents of the term at `keys[i]` are
`docs[starts[i]:starts[i+1]]`, each with its BM25 contribution in `impacts`. A query is scored by
adding each term's impacts, weighted, into one dense float32 array over the documents.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kb.terms import Keys

BM25_K1 = 1.2
"""Term-frequency saturation: the usual 1.2; provisions are short, repeats add little."""

BM25_B = 0.75
"""Length normalisation: the usual 0.75, so a long article does not win on sheer size."""

_DOC_BITS = 22  # term chars are < 2**18, so a key has < 39 bits and key << 22 fits in int64
MAX_DOCS = 1 << _DOC_BITS

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True, eq=False)
class Postings:
    keys: Keys  # sorted unique term keys
    starts: npt.NDArray[np.int64]  # len(keys) + 1 offsets into docs/impacts
    docs: npt.NDArray[np.int32]
    impacts: npt.NDArray[np.float16]
    doc_count: int

    @classmethod
    def build(
        cls, keys: Keys, owners: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]
    ) -> Postings:
        """From every term occurrence (key, owning document) and each document's length."""
        doc_count = len(lengths)
        if doc_count >= MAX_DOCS:
            raise ValueError(f"too many documents for one index: {doc_count}")
        packed, tf = np.unique((keys << _DOC_BITS) | owners, return_counts=True)
        term_keys = packed >> _DOC_BITS
        docs = (packed & (MAX_DOCS - 1)).astype(np.int32)
        boundaries = np.flatnonzero(np.diff(term_keys)) + 1
        starts = np.concatenate([[0], boundaries, [len(packed)]]).astype(np.int64)
        unique_keys = term_keys[starts[:-1]] if len(packed) else np.zeros(0, np.int64)
        impacts = _bm25(tf, docs, np.diff(starts), lengths)
        return cls(unique_keys, starts, docs, impacts.astype(np.float16), doc_count)

    def score(self, keys: Keys, weights: FloatArray) -> FloatArray:
        """Weighted sum of the impacts of `keys` for every document (unknown keys add 0)."""
        scores = np.zeros(self.doc_count, dtype=np.float32)
        found = np.searchsorted(self.keys, keys)
        for position, key, weight in zip(found, keys, weights, strict=True):
            if position < len(self.keys) and self.keys[position] == key:
                begin, end = self.starts[position], self.starts[position + 1]
                scores[self.docs[begin:end]] += weight * self.impacts[begin:end]
        return scores

    def document_frequency(self, key: int) -> int:
        position = int(np.searchsorted(self.keys, key))
        if position < len(self.keys) and self.keys[position] == key:
            return int(self.starts[position + 1] - self.starts[position])
        return 0

    def arrays(self, prefix: str) -> dict[str, npt.NDArray[np.generic]]:
        return {
            f"{prefix}keys": self.keys,
            f"{prefix}starts": self.starts,
            f"{prefix}docs": self.docs,
            f"{prefix}impacts": self.impacts,
            f"{prefix}doc_count": np.array([self.doc_count], dtype=np.int64),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, npt.NDArray[np.generic]], prefix: str) -> Postings:
        return cls(
            keys=arrays[f"{prefix}keys"].astype(np.int64, copy=False),
            starts=arrays[f"{prefix}starts"].astype(np.int64, copy=False),
            docs=arrays[f"{prefix}docs"].astype(np.int32, copy=False),
            impacts=arrays[f"{prefix}impacts"].astype(np.float16, copy=False),
            doc_count=int(arrays[f"{prefix}doc_count"][0]),
        )

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.keys, self.starts, self.docs, self.impacts))


def _bm25(
    tf: npt.NDArray[np.int64],
    docs: npt.NDArray[np.int32],
    df_per_term: npt.NDArray[np.int64],
    lengths: npt.NDArray[np.int64],
) -> FloatArray:
    doc_count = max(len(lengths), 1)
    average = max(float(lengths.mean()) if len(lengths) else 1.0, 1.0)
    idf = np.log1p((doc_count - df_per_term + 0.5) / (df_per_term + 0.5))
    idf_per_posting = np.repeat(idf, df_per_term)
    norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths[docs] / average)
    result: FloatArray = (idf_per_posting * tf * (BM25_K1 + 1) / (tf + norm)).astype(np.float32)
    return result


def idf(doc_count: int, df: int) -> float:
    return math.log1p((doc_count - df + 0.5) / (df + 0.5))
