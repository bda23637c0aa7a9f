"""The server's background sweeps, and the test hooks that drive them.

1. Incomplete multipart uploads expire: a periodic sweep aborts every upload initiated
   more than ``multipart_ttl`` seconds ago (default 7 days), as COS's lifecycle rule
   AbortIncompleteMultipartUpload does, so parts of abandoned uploads do not pile up.
2. The buckets' own lifecycle rules (``PUT /?lifecycle``) are applied every
   ``lifecycle_interval`` seconds (default 1 h; 0: never on its own) by
   `lifecycle_run.LifecycleSweeper`.

Both read the server's background clock (`CosServer.clock`, a `clock.Clock`). With fault
injection on (``--faults`` / ``--faults-admin``, loopback servers only), two admin endpoints
on the service host (never on a bucket's host, where the path is an object key), loopback
peers only, let tests move time on instead of waiting for it:

    GET    /_cos_web/clock       {"now": <epoch seconds>, "offset": <seconds>}
    POST   /_cos_web/clock       body {"advance": 86400} or {"offset": 0}: move the clock; answers as GET
    DELETE /_cos_web/clock       the real time again (offset 0)
    POST   /_cos_web/lifecycle   run both sweeps now; {"expired": [[bucket, key]...],
                                 "transitioned": [[bucket, key, class]...], "aborted": [[bucket, key, id]...],
                                 "noncurrent_expired" / "markers_removed": [[bucket, key, version id]...],
                                 "noncurrent_transitioned": [[bucket, key, version id, class]...]}
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from .context import HOST_RE
from .errors import CosServerError
from .fault_wire import is_loopback
from .lifecycle_run import LifecycleSweeper
from .state import CosServer

DEFAULT_TTL = 7 * 86400.0
MAX_INTERVAL = 3600.0
CLOCK_PATH = "/_cos_web/clock"
RUN_PATH = "/_cos_web/lifecycle"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def interval_for(ttl: float) -> float:
    """How often to sweep: a quarter of the TTL, at most hourly, at least 20 times a second."""
    return min(max(ttl / 4, 0.05), MAX_INTERVAL)


class UploadSweeper:
    """Aborts uploads older than ``ttl``; ``sweep()`` once, ``run()`` forever."""

    def __init__(self, server: CosServer, ttl: float, clock: Callable[[], float] | None = None) -> None:
        self.server = server
        self.ttl = ttl
        self.clock = clock or server.clock.now
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


async def _every(interval: float, sweep: Callable[[], object]) -> None:
    while True:
        await asyncio.sleep(interval)
        await asyncio.to_thread(sweep)


def install(app: web.Application, server: CosServer, fallback: Handler | None = None) -> None:
    """Sweep while the app runs: ``server.sweeper`` (None when the TTL is 0) and ``server.lifecycle``;
    with fault injection on, the admin endpoints too (add them before the catch-all route)."""
    ttl = server.config.multipart_ttl
    server.sweeper = UploadSweeper(server, ttl) if ttl and ttl > 0 else None
    server.lifecycle = LifecycleSweeper(server)
    loops: list[tuple[float, Callable[[], object]]] = []
    if server.sweeper is not None:
        loops.append((server.sweeper.interval, server.sweeper.sweep))
    if server.config.lifecycle_interval > 0:
        loops.append((server.config.lifecycle_interval, server.lifecycle.sweep))

    async def sweeping(_app: web.Application):
        tasks = [asyncio.get_running_loop().create_task(_every(i, s)) for i, s in loops]
        yield
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass

    if loops:
        app.cleanup_ctx.append(sweeping)
    if server.config.faults is not None and fallback is not None:
        admin = make_admin(server, fallback)
        app.router.add_route("*", CLOCK_PATH, admin)
        app.router.add_route("*", RUN_PATH, admin)


def _json(status: int, data: dict) -> web.Response:
    return web.Response(status=status, text=json.dumps(data), content_type="application/json")


def run_sweeps(server: CosServer) -> dict[str, list]:
    """Both sweeps, now: the bucket rules, then the upload TTL (its aborts join "aborted")."""
    report = server.lifecycle.sweep()
    if server.sweeper is not None:
        report["aborted"] += [list(found) for found in server.sweeper.sweep()]
    return report


def make_admin(server: CosServer, fallback: Handler) -> Handler:
    async def admin(request: web.Request) -> web.StreamResponse:
        """The clock and run-now endpoints (module docstring); loopback peers only."""
        host = (request.headers.get("Host") or "").lower().rsplit(":", 1)[0]
        if HOST_RE.match(host + "."):
            return await fallback(request)
        if not is_loopback(request.remote):
            return _json(403, {"error": "the test clock is controlled from loopback only"})
        clock = server.clock
        if request.path == RUN_PATH:
            if request.method != "POST":
                return _json(405, {"error": "POST runs the sweeps"})
            return _json(200, await asyncio.to_thread(run_sweeps, server))
        if request.method == "POST":
            try:
                body = json.loads(await request.text() or "{}")
                if "advance" in body:
                    clock.advance(_seconds(body["advance"]))
                elif "offset" in body:
                    clock.offset = _seconds(body["offset"])
                else:
                    raise ValueError("give advance or offset (seconds)")
            except (ValueError, TypeError, AttributeError) as exc:
                return _json(400, {"error": str(exc)})
        elif request.method == "DELETE":
            clock.offset = 0.0
        elif request.method != "GET":
            return _json(405, {"error": "GET, POST or DELETE"})
        return _json(200, {"now": clock.now(), "offset": clock.offset, "real": time.time()})

    return admin


def _seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"seconds must be a number, got {value!r}")
    return float(value)
