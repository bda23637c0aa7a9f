"""The pure parts of riding through faults (issue 12): the retry budget in time, the
multipart ETag a lost complete is recognised by, the server clock read from an error,
and the idle timeout (cos_web.watchdog) against a transport that goes silent."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from cos_web import CosError
from cos_web.pipeline import server_clock_ms
from cos_web.retry import RetryLimits, call_limits, part_limits, retry_delay
from cos_web.transport import Request, Response
from cos_web.upload import multipart_etag
from cos_web.watchdog import IdleTimeout, send_watched


def test_the_retry_window_keeps_retrying_past_the_count_and_then_stops():
    e = CosError("down", code="NetworkError")
    limits = part_limits(2, window=20.0)
    assert retry_delay(e, 5, limits, elapsed=19.9) is not None  # past ChunkRetryTimes, within the window
    assert retry_delay(e, 5, limits, elapsed=20.0) is None
    assert retry_delay(e, 1, limits, elapsed=60.0) is not None  # the count still gives its retries
    assert retry_delay(CosError("no", code="AccessDenied", statusCode=403), 0, limits, elapsed=0) is None
    assert call_limits(20.0) == RetryLimits(3, 0.2, 2.0, 20.0)
    assert retry_delay(e, 10**6, RetryLimits(0, 0.5, 10.0, 1e9), rand=lambda: 1.0) == 10.0  # no overflow


def test_ten_seconds_of_failures_fit_in_the_default_budget():
    # the waits (at their shortest, jitter 50 %) of a part retried until 10 s have passed
    limits = part_limits(2, window=20.0)
    elapsed, attempt = 0.0, 0
    while elapsed < 10.0:
        delay = retry_delay(CosError("x", code="NetworkError"), attempt, limits, rand=lambda: 0.0, elapsed=elapsed)
        assert delay is not None
        elapsed += delay
        attempt += 1
    assert attempt < 10


def test_multipart_etag_is_the_md5_of_the_binary_part_md5s():
    parts = [b"a" * 10, b"b" * 7, b"c"]
    md5s = [hashlib.md5(p).hexdigest() for p in parts]
    expected = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    assert multipart_etag(f'"{m}"' for m in md5s) == f'"{expected}-3"'
    assert multipart_etag(md5s) == f'"{expected}-3"'
    assert multipart_etag(["not-an-md5"]) is None


def test_server_clock_from_server_time_or_date():
    iso = server_clock_ms(None, "2026-12-02T07:00:00Z")
    rfc = server_clock_ms("Wed, 02 Dec 2026 07:00:00 GMT", None)
    assert iso == rfc == 1796194800000.0
    assert server_clock_ms(None, "2026-12-02T07:00:00.000Z") == iso
    assert server_clock_ms("garbage", "2026-12-02T07:00:00Z") == iso  # whichever is readable
    assert server_clock_ms("Wed, 02 Dec 2026 07:00:00 GMT", "nonsense") == rfc
    assert server_clock_ms(None, None) is None and server_clock_ms("", "x") is None


class _Silent:
    """A transport that reports ``steps`` progress events ``gap`` s apart, then answers or goes silent."""

    def __init__(self, steps: int, gap: float, silent: bool) -> None:
        self.steps, self.gap, self.silent = steps, gap, silent
        self.aborted = False

    async def send(self, request: Request) -> Response:
        try:
            for i in range(self.steps):
                await asyncio.sleep(self.gap)
                request.on_upload_progress(i + 1, self.steps)
            if self.silent:
                await asyncio.sleep(3600)
            return Response(200, {})
        except asyncio.CancelledError:
            self.aborted = True
            raise


def test_idle_timeout_aborts_a_silent_request_but_not_a_slow_moving_one():
    async def main():
        body = Request("PUT", "http://x/k", body=b"x" * 10)
        moving = _Silent(steps=8, gap=0.05, silent=False)  # 0.4 s in all, never 0.2 s silent
        ok = await send_watched(moving, body, total=None, idle=0.2)
        silent = _Silent(steps=2, gap=0.01, silent=True)
        with pytest.raises(IdleTimeout):
            await send_watched(silent, body, total=None, idle=0.2)
        total = _Silent(steps=100, gap=0.05, silent=False)
        with pytest.raises(TimeoutError) as info:
            await send_watched(total, body, total=0.3, idle=0.2)  # moving, but over the total Timeout
        return ok.status, silent.aborted, type(info.value) is not IdleTimeout and total.aborted

    assert asyncio.run(main()) == (200, True, True)


def test_no_idle_timeout_where_the_transport_cannot_report_progress():
    class BodyAtTheEnd(_Silent):
        progress_while_sending = False

    async def main():
        slow = BodyAtTheEnd(steps=0, gap=0, silent=False)

        async def late(request):
            await asyncio.sleep(0.3)
            return Response(200, {})

        slow.send = late
        return (await send_watched(slow, Request("PUT", "http://x/k", body=b"x"), total=None, idle=0.1)).status

    assert asyncio.run(main()) == 200
