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
import weakref
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


class _Watch:
    """One request under the idle clock: its task, when it last made progress, its limit."""

    __slots__ = ("task", "last", "idle", "expired")

    def __init__(self, task: asyncio.Task[Any], last: float, idle: float) -> None:
        self.task, self.last, self.idle, self.expired = task, last, idle, False


class _Sweeper:
    """The idle clocks of one event loop: one timer, every ``idle / 8`` s while any request is
    watched, cancels the task of each request silent for its ``idle``. (A timer per request
    cost a browser ``setTimeout`` and its proxy per small request, each firing 30 s later.)"""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.watched: set[_Watch] = set()
        self.timer: asyncio.Handle | None = None
        self.step = 0.0

    def add(self, watch: _Watch) -> None:
        self.watched.add(watch)
        step = watch.idle / 8
        if self.timer is None or step < self.step:
            if self.timer is not None:
                self.timer.cancel()
            self.step = step
            self.timer = self.loop.call_later(step, self.sweep)

    def sweep(self) -> None:
        self.timer = None
        now = self.loop.time()
        for watch in list(self.watched):
            if now - watch.last >= watch.idle:
                self.watched.discard(watch)
                watch.expired = True
                watch.task.cancel()
        if self.watched:
            self.step = min(w.idle for w in self.watched) / 8
            self.timer = self.loop.call_later(self.step, self.sweep)


_SWEEPERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Sweeper] = weakref.WeakKeyDictionary()


async def send_watched(transport: Transport, request: Request, total: float | None, idle: float | None) -> Response:
    """Send, aborted after ``total`` s in all (TimeoutError) or ``idle`` s without progress (IdleTimeout)."""
    task = asyncio.current_task()
    if not idle or task is None or not watches(transport, request):
        return await send_with_timeout(transport, request, total)
    loop = asyncio.get_running_loop()
    sweeper = _SWEEPERS.get(loop)
    if sweeper is None:
        sweeper = _SWEEPERS[loop] = _Sweeper(loop)
    watch = _Watch(task, loop.time(), idle)

    up, down = request.on_upload_progress, request.on_download_progress
    time = loop.time

    def on_up(loaded: int, total_: int) -> None:  # per progress event: progress resets the idle clock
        watch.last = time()
        if up is not None:
            up(loaded, total_)

    def on_down(loaded: int, total_: int) -> None:
        watch.last = time()
        down(loaded, total_)  # type: ignore[misc]

    watched = replace(
        request,
        on_upload_progress=on_up if request.body is not None else up,
        on_download_progress=on_down if down is not None else None,
    )
    cancelling = task.cancelling()
    sweeper.add(watch)
    try:
        if total:
            async with asyncio.timeout(total):
                return await transport.send(watched)
        return await transport.send(watched)
    except asyncio.CancelledError:
        if watch.expired and task.uncancel() <= cancelling:  # ours (as asyncio.timeout tells its own)
            raise IdleTimeout(f"no progress for {idle:g} s") from None
        raise
    finally:
        sweeper.watched.discard(watch)
