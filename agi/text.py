"""Text hygiene for caller-controlled strings (caller ID name, digits, variables)."""

from __future__ import annotations

import unicodedata

# Cc: C0/C1 controls (CR, LF, NUL, ESC...). Zl/Zp: Unicode line and paragraph separators, which
# some log viewers and terminals treat as line breaks. Cs: lone surrogates, which cannot be encoded.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def sanitize_text(s: str, max_len: int = 80) -> str:
    """Replace control characters with spaces and cut to `max_len` characters.

    Use it on every caller-controlled string before it is logged, stored or sent back to
    Asterisk: the result can never break a line or smuggle a second AGI command.
    """
    if max_len < 0:
        raise ValueError("max_len must not be negative")
    # Truncate first so a hostile megabyte costs no more than max_len category lookups.
    return "".join(
        " " if unicodedata.category(ch) in _UNSAFE_CATEGORIES else ch for ch in s[:max_len]
    )
