"""Progress reports ``{loaded, total, speed, percent}`` throttled by ProgressInterval.

The same arithmetic as the JS SDK's ``util.throttleOnProgress``: speed in
bytes/s since the last report (2 decimals), percent as a fraction floored to
2 decimals (1 for an empty body). Reports are at most one per ``interval_ms``;
``update(..., immediately=True)`` reports at once (start and end of a transfer); every
owner reports the end that way, so reaching the total starts no timer.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Any

__all__ = ["ProgressThrottle"]


class ProgressThrottle:
    __slots__ = ("callback", "interval", "total", "loaded", "_loaded0", "_time0", "_timer", "_clock")

    def __init__(
        self,
        total: int | None,
        callback: Callable[[dict[str, Any]], Any] | None,
        interval_ms: float = 1000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.callback = callback
        self.interval = max(0.0, float(interval_ms)) / 1000.0
        self.total = total or 0
        self.loaded = 0
        self._loaded0 = 0
        self._clock = clock
        self._time0 = clock()
        self._timer: asyncio.TimerHandle | None = None

    def update(self, loaded: int | None = None, total: int | None = None, immediately: bool = False) -> None:
        if loaded is not None:
            self.loaded = loaded
        if total is not None:
            self.total = total
        if immediately:
            if self._timer is not None:
                self._timer.cancel()
            self._report()
        elif self._timer is None and self.callback is not None and not 0 < self.total <= self.loaded:
            # (all sent: every owner reports its end at once; no timer, i.e. no browser
            # setTimeout per small request, for a report the end makes anyway)
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self._report()
                return
            self._timer = loop.call_later(self.interval, self._report)

    def snapshot(self) -> dict[str, Any]:
        now = self._clock()
        elapsed = now - self._time0
        speed = 0.0
        if elapsed > 0:
            speed = max(0.0, round((self.loaded - self._loaded0) / elapsed * 100) / 100)
        if self.loaded == 0 and self.total == 0:
            percent: float = 1
        elif self.total:
            percent = math.floor(self.loaded / self.total * 100) / 100
        else:
            percent = 0
        self._time0 = now
        self._loaded0 = self.loaded
        return {"loaded": self.loaded, "total": self.total, "speed": speed, "percent": percent}

    def _report(self) -> None:
        self._timer = None
        if self.callback is None:
            return
        info = self.snapshot()
        try:
            self.callback(info)
        except Exception:  # a user's progress callback must not break the transfer
            pass
