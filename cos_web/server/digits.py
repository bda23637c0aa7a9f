"""Integers from request text: ASCII digits only, and never more digits than a 64-bit value has.

``str.isdigit`` and ``int`` accept Unicode digits (``"١٢"``) and, past 4300
digits, ``int`` raises ValueError; both would let odd input reach a 500. Every
number the server reads from a URL, a header or an XML body goes through here.
"""

from __future__ import annotations

MAX_DIGITS = 19  # 9_223_372_036_854_775_807 has 19
HUGE = 1 << 63  # what an ASCII number with more digits stands for, where "very large" has a meaning


def is_ascii_digits(text: str) -> bool:
    return bool(text) and text.isascii() and text.isdigit()


def uint(text: str | None) -> int | None:
    """A non-negative integer of at most 19 ASCII digits, else None."""
    if text is None or not is_ascii_digits(text) or len(text) > MAX_DIGITS:
        return None
    return int(text)


def uint_or_huge(text: str) -> int | None:
    """Like `uint`, but ASCII digits beyond 19 give `HUGE` (for ranges, where that means "past the end")."""
    if not is_ascii_digits(text):
        return None
    return int(text) if len(text) <= MAX_DIGITS else HUGE
