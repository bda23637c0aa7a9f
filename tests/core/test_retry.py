"""The one retry policy (cos_web.retry): which errors are retried, how long to wait, how often."""

from __future__ import annotations

import pytest

from cos_web import CosError
from cos_web.retry import CALL_LIMITS, NO_RETRY, RetryLimits, is_retryable, part_limits, retry_delay


def err(status=None, code=None):
    return CosError("x", code=code, statusCode=status)


RETRIED = [err(None, "NetworkError"), err(None, "Timeout"), err(500), err(502), err(503, "SlowDown"), err(599), err(429)]
FINAL = [err(400), err(403, "AccessDenied"), err(404, "NoSuchUpload"), err(409), err(412), err(304),
         err(None, "InvalidParameter"), err(None, "CredentialsError"), err(None, "Canceled"),
         ValueError("not a CosError")]  # fmt: skip


@pytest.mark.parametrize("error", RETRIED)
def test_network_errors_timeouts_5xx_and_429_are_retried(error):
    assert is_retryable(error)
    for limits in (CALL_LIMITS, part_limits(2)):
        assert retry_delay(error, 0, limits) is not None


@pytest.mark.parametrize("error", FINAL)
def test_other_answers_are_final(error):
    assert not is_retryable(error)
    assert retry_delay(error, 0, RetryLimits(10, 1.0, 10.0)) is None


def test_retries_are_bounded():
    e = err(503)
    assert [retry_delay(e, a, CALL_LIMITS) is not None for a in range(5)] == [True, True, True, False, False]
    assert [retry_delay(e, a, part_limits(2)) is not None for a in range(3)] == [True, True, False]
    assert retry_delay(e, 0, part_limits(0)) is None
    assert retry_delay(e, 0, NO_RETRY) is None


def test_exponential_backoff_with_jitter_and_a_cap():
    e = err(500)
    high = [retry_delay(e, a, RetryLimits(10, 0.5, 10.0), rand=lambda: 1.0) for a in range(7)]
    low = [retry_delay(e, a, RetryLimits(10, 0.5, 10.0), rand=lambda: 0.0) for a in range(7)]
    assert high == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert low == [h / 2 for h in high]
    calls = [retry_delay(e, a, CALL_LIMITS, rand=lambda: 1.0) for a in range(3)]
    assert calls == [0.2, 0.4, 0.8]


def test_jitter_stays_within_half_to_full():
    e = err(None, "NetworkError")
    for a in range(6):
        full = min(10.0, 0.5 * 2**a)
        for _ in range(50):
            d = retry_delay(e, a, part_limits(10))
            assert d is not None and full / 2 <= d <= full


def test_calls_and_parts_share_the_policy_only_limits_differ():
    assert part_limits(3) == RetryLimits(3, 0.5, 10.0)
    assert part_limits(-1).retries == 0
    assert CALL_LIMITS == RetryLimits(3, 0.2, 2.0)
