"""The clock the server's background work reads: lifecycle rules and the upload TTL sweep.

Real time plus an ``offset`` that only tests move (``/_cos_web/clock``, see `lifecycle`), so
"30 days later" takes no waiting. Requests never see it: signatures, ``Date`` and restores
keep the real clock, so a client's signed requests stay valid while the offset is days ahead.
"""

from __future__ import annotations

import time


class Clock:
    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> float:
        """Move the clock on (or back, with a negative number); the new time."""
        self.offset += seconds
        return self.now()
