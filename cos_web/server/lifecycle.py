"""Incomplete multipart uploads expire: a periodic sweep aborts every upload initiated
more than ``multipart_ttl`` seconds ago (default 7 days), as COS's lifecycle rule
AbortIncompleteMultipartUpload does, so parts of abandoned uploads do not pile up.

The clock is an attribute (`UploadSweeper.clock`) so tests can move time on
instead of waiting for it.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable

from aiohttp import web

from .errors import CosServerError
from .state import CosServer

DEFAULT_TTL = 7 * 86400.0
MAX_INTERVAL = 3600.0


def interval_for(ttl: float) -> float:
    """How often to sweep: a quarter of the TTL, at most hourly, at least 20 times a second."""
    return min(max(ttl / 4, 0.05), MAX_INTERVAL)


class UploadSweeper:
    """Aborts uploads older than ``ttl``; ``sweep()`` once, ``run()`` forever."""

    def __init__(self, server: CosServer, ttl: float, clock: Callable[[], float] = time.time) -> None:
        self.server = server
        self.ttl = ttl
        self.clock = clock
        self.interval = interval_for(ttl)

    def sweep(self) -> list[tuple[str, str, str]]:
        """Abort every expired upload now; returns their (bucket, key, upload id)."""
        storage = self.server.storage
        aborted = []
        for bucket, key, upload_id in storage.uploads_initiated_before(self.clock() - self.ttl):
            try:
                storage.abort_upload(bucket, key, upload_id)
            except CosServerError:  # completed or aborted meanwhile
                continue
            aborted.append((bucket, key, upload_id))
            if not self.server.config.quiet:
                print(f"expired upload aborted: {bucket} {key} {upload_id} (older than {self.ttl:g} s)",
                      file=sys.stderr, flush=True)
        return aborted

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await asyncio.to_thread(self.sweep)


def install(app: web.Application, server: CosServer) -> None:
    """Sweep while the app runs (nothing when the TTL is 0); ``server.sweeper`` is the sweeper."""
    ttl = server.config.multipart_ttl
    if not ttl or ttl <= 0:
        return
    server.sweeper = UploadSweeper(server, ttl)

    async def sweeping(_app: web.Application):
        task = asyncio.get_running_loop().create_task(server.sweeper.run())
        yield
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass

    app.cleanup_ctx.append(sweeping)
