"""A request's two clocks: the JS SDK's total ``Timeout``, and an idle timeout.

``Timeout`` (ms, 0 = none) bounds a request from start to end, as in cos-js-sdk-v5.
The idle timeout (``IdleTimeout``, ms, on by default) bounds *silence*: a request
whose body stops going out (no upload progress event) and whose answer does not
come (no response bytes) for that long is aborted, so a stalled connection costs
one idle period and a retry instead of hanging the upload for ever. Progress
resets the idle clock; a slow but moving transfer is never cut.

Silence is only meaningful where the transport reports progress as it goes:
a browser's ``fetch`` reports a request body once, when it has all been sent, and
a Blob download through ``fetch`` without a progress callback reports nothing, so
for those the idle clock is off and only ``Timeout`` applies (a transport says so
with ``progress_while_sending = False`` / ``progress_while_receiving = False``).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from .transport import Request, Response, Transport, send_with_timeout

__all__ = ["IdleTimeout", "send_watched", "watches"]


class IdleTimeout(TimeoutError):
    """No progress for the idle timeout: the request was aborted."""


def watches(transport: Any, request: Request) -> bool:
    """Whether silence on this request means something (see the module docstring)."""
    if not getattr(transport, "progress_while_receiving", True):
        return False
    if request.body is not None and request.method not in ("GET", "HEAD"):
        if not getattr(transport, "progress_while_sending", True):
            return False
    if request.on_download_progress is None and request.response_type in ("blob", "arraybuffer"):
        return False  # may go through fetch, which then reports nothing until the end
    return True


async def send_watched(transport: Transport, request: Request, total: float | None, idle: float | None) -> Response:
    """Send, aborted after ``total`` s in all (TimeoutError) or ``idle`` s without progress (IdleTimeout)."""
    if not idle or not watches(transport, request):
        return await send_with_timeout(transport, request, total)
    loop = asyncio.get_running_loop()
    idle_clock = asyncio.timeout(idle)
    renewed = loop.time()
    step = idle / 8  # renew the deadline at most this often: progress events come every few ms

    def touch() -> None:
        nonlocal renewed
        now = loop.time()
        if now - renewed >= step:
            renewed = now
            idle_clock.reschedule(now + idle)

    up, down = request.on_upload_progress, request.on_download_progress

    def on_up(loaded: int, total_: int) -> None:
        touch()
        if up is not None:
            up(loaded, total_)

    def on_down(loaded: int, total_: int) -> None:
        touch()
        down(loaded, total_)  # type: ignore[misc]

    watched = replace(
        request,
        on_upload_progress=on_up if request.body is not None else up,
        on_download_progress=on_down if down is not None else None,
    )
    try:
        async with asyncio.timeout(total or None):
            async with idle_clock:
                return await transport.send(watched)
    except TimeoutError:
        if idle_clock.expired():
            raise IdleTimeout(f"no progress for {idle:g} s") from None
        raise
