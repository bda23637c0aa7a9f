"""Uploads tuned for the file and the link when the caller tunes nothing.

cos-js-sdk-v5's defaults (1 MB parts, 3 in flight) leave most of a fast link idle:
every part pays a CORS preflight and a request round trip, so small parts spend
their time waiting. When the caller tunes nothing (no ``ChunkSize`` / ``SliceSize`` / ``AsyncLimit``
per call, no ``ChunkSize`` / ``ChunkParallelLimit`` client option: :func:`explicit`)
cos_web picks the part size from the file's size (:func:`auto_part_size`), and a
:class:`Concurrency` controller moves the number of parts in flight with the
throughput measured while uploading:

- it starts at :data:`START` parts in flight (all of them when the file has no more
  parts than the bounds below allow at once) and, one window at a time, tries one
  more; a try is kept while the rate grows by :data:`GAIN`, else undone and not
  retried for :data:`HOLD` windows (the link, not the concurrency, is the limit);
- a retryable error (the errors :func:`cos_web.retry.is_retryable` retries: no
  answer, 5xx, 429) halves it at once and holds it there;
- it stays within :data:`MAX_IN_FLIGHT` parts (a browser opens 6 connections to a
  host over HTTP/1.1: a 7th part would only wait, with its idle timer running) and
  :data:`MAX_BYTES_IN_FLIGHT` bytes of parts. Parts are ``Blob.slice`` views the
  browser streams from the file, never copied into Python, so the wasm heap stays
  flat whatever the part size; the byte bound keeps the browser's side bounded too.

What a caller sets keeps the JS SDK's meaning exactly (its part size or 1 MB, its
``ChunkParallelLimit`` or 3). Nothing here sends a request or reads a clock: the run
(:mod:`.run`) feeds it bytes and times, :class:`Gate` lets workers wait for a slot;
CPython tests drive it with a simulated link (tests/core/test_adaptive.py).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

from ..options import DEFAULT_OPTIONS
from ..values import MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE

__all__ = [
    "START",
    "MAX_IN_FLIGHT",
    "MAX_BYTES_IN_FLIGHT",
    "TARGET_PARTS",
    "MAX_AUTO_PART",
    "auto_part_size",
    "explicit",
    "resumed_part_size",
    "Concurrency",
    "Gate",
]

MB = 1024 * 1024
START = 4  # parts in flight at first: near the best fixed setting on loopback (bench row 2)
MAX_IN_FLIGHT = 6  # Chromium's connections per host over HTTP/1.1
MAX_BYTES_IN_FLIGHT = 256 * MB  # parts in flight at once, in bytes
TARGET_PARTS = 6  # a file is cut into about this many parts (each pays a preflight and a round trip) ...
MAX_AUTO_PART = 32 * MB  # ... of at most this size (more parts for bigger files), unless 10,000 parts need more
WINDOW = 0.25  # s: throughput is measured over windows of at least this long
GAIN = 0.05  # one more part in flight is kept if the rate grows by at least this much
HOLD = 8  # windows without a try after an undone try or an error


def auto_part_size(size: int, max_parts: int = MAX_PARTS) -> int:
    """The part size of a file of ``size`` bytes when the caller gives none.

    About ``size / TARGET_PARTS``, rounded up to a power of two MB, between 1 MB and
    :data:`MAX_AUTO_PART`: big parts for big files (fewer round trips per byte), enough
    parts for small ones to keep several in flight. Raised when ``max_parts`` parts of
    that size would not hold the file (COS allows 10,000), within COS's 5 GB per part.
    """
    max_parts = max(1, min(MAX_PARTS, int(max_parts)))
    part = MIN_PART_SIZE
    while part * TARGET_PARTS < size and part < MAX_AUTO_PART:
        part *= 2
    needed = -(-size // max_parts)  # the smallest part size that fits the file in max_parts parts
    while part < needed and part < MAX_PART_SIZE:
        part *= 2
    return max(MIN_PART_SIZE, min(max(part, needed), max(MAX_PART_SIZE, needed)))


def explicit(options: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
    """Whether the caller tuned this upload: then it runs exactly as in the JS SDK.

    Tuned means a part size or a concurrency given per call (``ChunkSize`` / ``SliceSize``,
    ``AsyncLimit``) or as a client option given to ``COS(...)`` or changed afterwards
    (``ChunkSize``, ``ChunkParallelLimit``), or ``AdaptiveUpload=False``. Either one set
    keeps both at the JS SDK's meaning (a page ported from the JS SDK that sets only
    ``ChunkParallelLimit`` still gets its 1 MB parts).
    """
    if not options.get("AdaptiveUpload", True):
        return True
    if any(params.get(name) for name in ("ChunkSize", "SliceSize", "AsyncLimit")):
        return True
    given = options.get("_given", ())
    return any(name in given or options.get(name) != DEFAULT_OPTIONS[name] for name in ("ChunkSize", "ChunkParallelLimit"))


def resumed_part_size(server_parts: Iterable[Mapping[str, Any]], size: int, max_parts: int = MAX_PARTS) -> int | None:
    """The part size an unfinished upload on the server was made with (its largest listed
    part), or None when that cannot be a part size of a file of ``size`` bytes: a resumed
    upload keeps its part size whatever the automatic choice would be now."""
    sizes = []
    for item in server_parts:
        try:
            sizes.append(int(item.get("Size")))
        except (TypeError, ValueError):
            return None
    if not sizes:
        return None
    part = max(sizes)
    if part < MIN_PART_SIZE or part > MAX_PART_SIZE or -(-size // part) > max(1, min(MAX_PARTS, int(max_parts))):
        return None
    return part


class Concurrency:
    """How many parts to have in flight, moved by measured throughput (see the module doc).

    ``fixed`` (the caller's ``ChunkParallelLimit`` / ``AsyncLimit``) turns adaptation off.
    The run calls :meth:`sample` with the bytes sent so far and the time, and
    :meth:`error` on a retryable part error; :attr:`limit` is read by the :class:`Gate`.
    """

    def __init__(self, part_size: int, parts: int, fixed: int | None = None, start: int = START) -> None:
        self.part_size = part_size
        bound = max(1, min(MAX_IN_FLIGHT, MAX_BYTES_IN_FLIGHT // max(1, part_size), parts))
        self.fixed = fixed is not None
        self.cap = max(1, min(256, int(fixed), parts)) if fixed is not None else bound
        # a file of at most `bound` parts sends them all at once (one round trip of waiting, not two)
        self.limit = self.cap if fixed is not None else bound if parts <= bound else max(1, min(start, bound))
        self._t0: float | None = None  # start of the window being measured
        self._b0 = 0
        self._settle = True  # the first window (and the one after each change) is not compared
        self._base: float | None = None  # the rate before the try in progress
        self._hold = 0
        # (time, limit, rate) of the last windows, for the bench: bounded, so an upload of hours keeps it small
        self.rates: deque[tuple[float, int, float]] = deque(maxlen=240)

    def sample(self, loaded: int, now: float) -> None:
        """Bytes sent so far (parts done plus parts in flight) at ``now`` (seconds)."""
        if self.fixed:
            return
        if self._t0 is None:
            self._t0, self._b0 = now, loaded
            return
        span = now - self._t0
        if span < WINDOW:
            return
        rate = max(0, loaded - self._b0) / span
        self._t0, self._b0 = now, loaded
        self.rates.append((now, self.limit, rate))
        if self._settle:  # the window after a change mixes two settings: not compared
            self._settle = False
            return
        if self._base is not None:  # a try (one more part in flight) has been measured
            if rate < self._base * (1 + GAIN):
                self.limit -= 1  # it bought nothing: the link (or the CPU) is the limit
                self._hold = HOLD
                self._settle = True
            self._base = None
            return
        if self._hold > 0:
            self._hold -= 1
            return
        if self.limit < self.cap:
            self._base = rate
            self.limit += 1
            self._settle = True

    def error(self) -> None:
        """A part failed with an error worth retrying (a busy or failing server or link): halve."""
        if self.fixed:
            return
        self.limit = max(1, self.limit // 2)
        self._base = None
        self._hold = HOLD
        self._settle = True


class Gate:
    """At most ``concurrency.limit`` holders at once; the limit may change while they wait."""

    def __init__(self, concurrency: Concurrency) -> None:
        self.concurrency = concurrency
        self.holders = 0
        self.most = 0  # the most holders at once (tests)
        self._waiters: list[asyncio.Future[None]] = []

    async def acquire(self) -> None:
        while self.holders >= self.concurrency.limit:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        self.holders += 1
        self.most = max(self.most, self.holders)

    def release(self) -> None:
        self.holders -= 1
        self.wake()

    def progress(self, loaded: int, now: float) -> None:
        """Bytes sent so far at ``now``: a throughput sample (more may go in flight)."""
        concurrency = self.concurrency
        if concurrency.fixed:
            return
        before = concurrency.limit
        concurrency.sample(loaded, now)
        if concurrency.limit > before:
            self.wake()

    def failed(self) -> None:
        """A part is about to be retried after an error worth a retry."""
        self.concurrency.error()

    def wake(self) -> None:
        """Let waiters re-check the limit (after a release, or after the limit grew)."""
        if self.holders < self.concurrency.limit:
            for waiter in self._waiters:  # a handful of workers: each re-checks, the extra ones wait again
                if not waiter.done():
                    waiter.set_result(None)
