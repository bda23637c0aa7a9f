"""The one retry policy of cos_web: a pure function of (error, attempt, limits).

Calls (through the request pipeline) and upload parts (and the complete call of a
multipart upload) retry the same errors the same way; only their limits differ:

- retried: no HTTP answer (``NetworkError``, ``Timeout``), 5xx, and 429 (COS's
  "slow down"); every other answer is final;
- the wait doubles from ``limits.base`` up to ``limits.cap`` and is jittered to
  50-100 % so parallel requests do not retry in lockstep;
- at least ``limits.retries`` retries after the first attempt, and more while the
  first attempt was less than ``limits.window`` seconds ago: a budget in time as
  well as in count, so an upload rides through the server being unreachable for a
  while (``RetryWindow``, 20 s by default) whatever ``ChunkRetryTimes`` says.

As the JS SDK, every request is retried, POSTs included (a retried complete that
finds ``NoSuchUpload`` is recovered by the uploads component); a caller with its
own retry loop passes :data:`NO_RETRY`.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from .errors import CosError

__all__ = ["RetryLimits", "CALL_LIMITS", "NO_RETRY", "call_limits", "part_limits", "is_retryable", "retry_delay"]


class RetryLimits:
    """How often and how long to retry: ``retries`` after the first attempt (more while less than
    ``window`` s have passed since it), waits from ``base`` to ``cap`` s.

    (A plain class, not a dataclass: it is made when ``cos_web`` is imported, where a
    dataclass costs 0.3 ms in CPython and more under Pyodide.)
    """

    __slots__ = ("retries", "base", "cap", "window")

    def __init__(self, retries: int, base: float, cap: float, window: float = 0.0) -> None:
        self.retries = retries
        self.base = base
        self.cap = cap
        self.window = window

    def _fields(self) -> tuple[int, float, float, float]:
        return (self.retries, self.base, self.cap, self.window)

    def __eq__(self, other: object) -> bool:
        return self._fields() == other._fields() if isinstance(other, RetryLimits) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return "RetryLimits(retries={}, base={}, cap={}, window={})".format(*self._fields())


CALL_LIMITS = RetryLimits(retries=3, base=0.2, cap=2.0)  # a call: up to 4 attempts, as the JS SDK
NO_RETRY = RetryLimits(retries=0, base=0.0, cap=0.0)  # a call that must not be sent twice (POST)


def call_limits(window: float = 0.0) -> RetryLimits:
    """A call's limits: 3 retries (4 attempts, as the JS SDK), and more within ``window`` s."""
    return RetryLimits(CALL_LIMITS.retries, CALL_LIMITS.base, CALL_LIMITS.cap, max(0.0, float(window)))


def part_limits(chunk_retry_times: int, window: float = 0.0) -> RetryLimits:
    """The limits of an upload's parts and its complete call: ``ChunkRetryTimes`` retries (and
    more within ``window`` s), 0.5 s to 10 s."""
    return RetryLimits(max(0, int(chunk_retry_times)), 0.5, 10.0, max(0.0, float(window)))


_NO_ANSWER_CODES = frozenset({"NetworkError", "Timeout"})


def is_retryable(err: BaseException) -> bool:
    """Network error / timeout (no response), 5xx, or 429: worth another try."""
    if not isinstance(err, CosError):
        return False
    status = err.statusCode
    if status is None:
        return err.code in _NO_ANSWER_CODES
    return 500 <= status < 600 or status == 429


def retry_delay(
    err: BaseException,
    attempt: int,
    limits: RetryLimits,
    rand: Callable[[], float] | None = None,
    elapsed: float = 0.0,
) -> float | None:
    """Seconds to wait before retry number ``attempt + 1`` (``attempt`` 0-based), or None: give up.

    ``elapsed``: seconds since the first attempt began (what ``limits.window`` is compared to).
    """
    if not is_retryable(err) or (attempt >= limits.retries and elapsed >= limits.window):
        return None
    delay = min(limits.cap, limits.base * (2 ** min(attempt, 30)))
    return delay * (0.5 + (rand or random.random)() / 2)
