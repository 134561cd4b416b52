"""Provisions stored compactly: repeated fields as codes, all texts in one UTF-16 buffer.

57,323 Provision objects with their strings cost ~80 MB of Python heap; this table holds the
same in ~25 MB and builds a Provision only when one is asked for.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from kb.corpus import Provision

CODED = (
    "law_id",
    "law_title",
    "category",
    "law_category",
    "domain",
    "level",
    "article_no",
    "chapter",
    "version_date",
    "effective_from",
    "effective_to",
)
_ENCODING = "utf-16-le"


class ProvisionTable:
    __slots__ = ("_codes", "_offsets", "_texts", "_values", "ids")

    def __init__(
        self,
        ids: list[str],
        values: dict[str, list[str]],
        codes: dict[str, npt.NDArray[np.int32]],
        texts: bytes,
        offsets: npt.NDArray[np.int64],
    ) -> None:
        if set(values) != set(CODED) or set(codes) != set(CODED):
            raise ValueError("provision table: unexpected columns")
        if (
            any(len(column) != len(ids) for column in codes.values())
            or len(offsets) != len(ids) + 1
        ):
            raise ValueError("provision table: columns of different lengths")
        self.ids = ids
        self._values = values
        self._codes = codes
        self._texts = texts
        self._offsets = offsets

    @classmethod
    def from_provisions(cls, provisions: Sequence[Provision]) -> ProvisionTable:
        values: dict[str, list[str]] = {}
        codes: dict[str, npt.NDArray[np.int32]] = {}
        for name in CODED:
            column = [_text(getattr(p, name)) for p in provisions]
            distinct = list(dict.fromkeys(column))
            numbers = {value: number for number, value in enumerate(distinct)}
            values[name] = distinct
            codes[name] = np.array([numbers[v] for v in column], dtype=np.int32)
        encoded = [p.text.encode(_ENCODING, "surrogatepass") for p in provisions]
        offsets = np.zeros(len(provisions) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        return cls([p.id for p in provisions], values, codes, b"".join(encoded), offsets)

    def __len__(self) -> int:
        return len(self.ids)

    def field(self, position: int, name: str) -> str:
        return self._values[name][int(self._codes[name][position])]

    def text(self, position: int) -> str:
        begin, end = int(self._offsets[position]), int(self._offsets[position + 1])
        return self._texts[begin:end].decode(_ENCODING, "surrogatepass")

    def provision(self, position: int) -> Provision:
        fields = {name: self.field(position, name) for name in CODED}
        effective_from, effective_to = fields.pop("effective_from"), fields.pop("effective_to")
        return Provision(
            id=self.ids[position],
            text=self.text(position),
            effective_from=date.fromisoformat(effective_from) if effective_from else None,
            effective_to=date.fromisoformat(effective_to) if effective_to else None,
            **fields,
        )

    def __iter__(self) -> Iterator[Provision]:
        return (self.provision(position) for position in range(len(self)))

    def arrays(self) -> dict[str, npt.NDArray[np.generic]]:
        result: dict[str, npt.NDArray[np.generic]] = {
            f"table_{name}": codes for name, codes in self._codes.items()
        }
        result["table_texts"] = np.frombuffer(self._texts, dtype=np.uint8)
        result["table_offsets"] = self._offsets
        return result

    def header(self) -> dict[str, Any]:
        """The JSON part: ids and the distinct values of each coded column."""
        return {"ids": self.ids, "values": self._values}

    @classmethod
    def from_saved(
        cls, header: dict[str, Any], arrays: dict[str, npt.NDArray[np.generic]]
    ) -> ProvisionTable:
        codes = {name: arrays[f"table_{name}"].astype(np.int32, copy=False) for name in CODED}
        return cls(
            list(header["ids"]),
            {name: list(header["values"][name]) for name in CODED},
            codes,
            arrays["table_texts"].tobytes(),
            arrays["table_offsets"].astype(np.int64, copy=False),
        )

    @property
    def nbytes(self) -> int:
        return len(self._texts) + sum(c.nbytes for c in self._codes.values()) + self._offsets.nbytes


def _text(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return str(value or "")
