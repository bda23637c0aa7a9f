"""The one retry policy of cos_web: a pure function of (error, attempt, limits).

Calls (through the request pipeline) and upload parts (and the complete call of a
multipart upload) retry the same errors the same way; only their limits differ:

- retried: no HTTP answer (``NetworkError``, ``Timeout``), 5xx, and 429 (COS's
  "slow down"); every other answer is final;
- the wait doubles from ``limits.base`` up to ``limits.cap`` and is jittered to
  50-100 % so parallel requests do not retry in lockstep;
- at most ``limits.retries`` retries after the first attempt.

Whether a request may be retried at all (a POST that is not idempotent) is the
caller's choice of limits (:data:`NO_RETRY`), not a property of the error.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from .errors import CosError

__all__ = ["RetryLimits", "CALL_LIMITS", "NO_RETRY", "part_limits", "is_retryable", "retry_delay"]


@dataclass(frozen=True, slots=True)
class RetryLimits:
    """How often and how long to retry: ``retries`` after the first attempt, waits from ``base`` to ``cap`` s."""

    retries: int
    base: float
    cap: float


CALL_LIMITS = RetryLimits(retries=3, base=0.2, cap=2.0)  # a call: up to 4 attempts, as the JS SDK
NO_RETRY = RetryLimits(retries=0, base=0.0, cap=0.0)  # a call that must not be sent twice (POST)


def part_limits(chunk_retry_times: int) -> RetryLimits:
    """The limits of an upload's parts and its complete call: ``ChunkRetryTimes`` retries, 0.5 s to 10 s."""
    return RetryLimits(retries=max(0, int(chunk_retry_times)), base=0.5, cap=10.0)


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
) -> float | None:
    """Seconds to wait before retry number ``attempt + 1`` (``attempt`` 0-based), or None: give up."""
    if attempt >= limits.retries or not is_retryable(err):
        return None
    delay = min(limits.cap, limits.base * (2**attempt))
    return delay * (0.5 + (rand or random.random)() / 2)
