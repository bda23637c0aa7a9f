"""What fault actions do to a live request: the aiohttp side of fault injection.

`apply` runs around a route's handler (app.entry calls it after routing, before
authentication, so CORS rules are known and errors carry them); `on_prepare`
acts when the response is about to go out (delay-after, drop); `TappedBody`
wraps the request body so a reset or a stall happens after exactly N body bytes
were read; `admin` is the loopback-only endpoint tests drive rules through.
Preflights (OPTIONS) are never faulted: browsers cache them and a failed
preflight is not a fault of the operation.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from .context import HOST_RE, Ctx
from .errors import CosServerError
from .transfer import reset as reset_connection  # a TCP RST, whatever is in flight
from .faults import COPY_OPS, OPS, Faults, FaultRuleError, Fired, Request, parse_rules
from .routes import ROUTES
from .state import CosServer

ADMIN_PATH = "/_cos_web/faults"
FAULTS_KEY = web.AppKey("cos_faults", Faults)
_RequestKey = getattr(web, "RequestKey", None)
AFTER_KEY = _RequestKey("cos_fault_after", object) if _RequestKey else "cos_fault_after"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def describe(ctx: Ctx, request: web.Request, route: str) -> Request:
    """The request as rules see it."""
    op = OPS.get(route, route.lower())
    if "x-cos-copy-source" in request.headers:
        op = COPY_OPS.get(op, op)
    part = ctx.param("partNumber")
    token = request.headers.get("x-cos-security-token") or ctx.param("x-cos-security-token") or None
    return Request(op=op, route=route, method=request.method, bucket=ctx.bucket, key=ctx.key,
                   part=int(part) if part.isdigit() else None, upload_id=ctx.param("uploadId") or None,
                   token=token, request_id=ctx.request_id)


@dataclass
class _After:
    delay: float = 0.0
    drop: bool = False


async def apply(faults: Faults, ctx: Ctx, request: web.Request, route: str,
                call: Callable[[], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """Run ``call`` (authenticate + handler) with the faults this request picks."""
    fired = faults.pick(describe(ctx, request, route))
    if not fired:
        return await call()
    after = _After()
    resets: list[int] = []
    stalls: list[tuple[int, float]] = []
    for f in fired:
        a = f.action
        if a.kind == "clock":
            ctx.clock_offset += a.seconds
        elif a.kind == "delay":
            await asyncio.sleep(a.seconds)
        elif a.kind == "delay-after":
            after.delay += a.seconds
        elif a.kind == "drop":
            after.drop = True
        elif a.kind == "reset":
            resets.append(a.after)
        elif a.kind == "stall":
            stalls.append((a.after, a.seconds))
        elif a.kind == "fsync":
            ctx.fail_fsync = True
    for f in fired:  # answers: the first one wins
        error = _error_for(f)
        if error is not None:
            raise error
    if 0 in resets:
        reset_connection(request)
        raise ConnectionResetError("fault: connection reset before the body")
    if resets or stalls:
        tap(request, TappedBody(request, min(resets) if resets else None, sorted(stalls)))
    if after.delay or after.drop:
        request[AFTER_KEY] = after
    return await call()


def _error_for(f: Fired) -> CosServerError | None:
    a = f.action
    if a.kind == "status":
        return CosServerError(a.code, a.message, status=a.status)
    if a.kind == "expire-token":
        return CosServerError("ExpiredToken")
    if a.kind == "invalid-token":
        return CosServerError("InvalidToken")
    return None


def tap(request: web.Request, body: "TappedBody") -> None:
    """Make ``request.content`` (and ``request.read()``) read through ``body``.

    aiohttp has no public way to wrap a request's payload: replace the stream it
    reads (``_payload``) and forget ``content``'s cached value. Tested in
    tests/server/test_faults.py, so an aiohttp change that breaks this shows there.
    """
    request._payload = body  # type: ignore[assignment]
    request._cache.pop("content", None)


class TappedBody:
    """The request body, reset or stalled once exactly N bytes of it were read.

    A stall stops reading the socket (``pause_reading``), so once the kernel's
    buffers fill the sender really stops; reading resumes after the stall. A reset
    at N fires when N bytes were read or the body ended first (N past the end
    means "after the whole body, before the handler used it").
    """

    def __init__(self, request: web.Request, reset_at: int | None, stalls: list[tuple[int, float]]) -> None:
        self._request = request
        self._inner = request._payload
        self._reset_at = reset_at
        self._stalls = stalls
        self.seen = 0

    def __getattr__(self, name: str):
        return getattr(self._inner, name)

    def _next_mark(self) -> int | None:
        marks = [n for n, _ in self._stalls]
        if self._reset_at is not None:
            marks.append(self._reset_at)
        return min(marks) if marks else None

    async def _stall(self, seconds: float) -> None:
        transport = self._request.transport
        paused = transport is not None and transport.is_reading()
        if paused:
            transport.pause_reading()
        try:
            await asyncio.sleep(seconds)
        finally:
            if paused and not transport.is_closing():
                transport.resume_reading()

    def _reset(self) -> None:
        reset_connection(self._request)
        raise ConnectionResetError(f"fault: connection reset after {self.seen} body bytes")

    async def readany(self) -> bytes:
        return await self._read(None)

    async def read(self, n: int = -1) -> bytes:
        if n >= 0:
            return await self._read(n)
        parts = []
        while chunk := await self._read(None):
            parts.append(chunk)
        return b"".join(parts)

    async def _read(self, limit: int | None) -> bytes:
        if limit == 0:
            return b""
        while self._stalls and self._stalls[0][0] <= self.seen:
            await self._stall(self._stalls.pop(0)[1])
        if self._reset_at is not None and self._reset_at <= self.seen:
            self._reset()
        mark = self._next_mark()
        if mark is not None:
            limit = mark - self.seen if limit is None else min(limit, mark - self.seen)
        chunk = await (self._inner.read(limit) if limit is not None else self._inner.readany())
        self.seen += len(chunk)
        if not chunk and self._reset_at is not None:
            self._reset()
        return chunk


async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
    """delay-after and drop: the operation is done; hold or lose its response."""
    after: _After | None = request.get(AFTER_KEY)
    if after is None:
        return
    request[AFTER_KEY] = None  # once: an error response made after a drop must not loop
    if after.delay:
        await asyncio.sleep(after.delay)
    if after.drop:
        reset_connection(request)
        raise ConnectionResetError("fault: response dropped after the operation")


def is_loopback(remote: str | None) -> bool:
    try:
        return ipaddress.ip_address((remote or "").split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _json(status: int, data: dict) -> web.Response:
    return web.Response(status=status, text=json.dumps(data), content_type="application/json")


def make_admin(fallback: Handler) -> Handler:
    async def admin(request: web.Request) -> web.StreamResponse:
        """GET: rules and log; POST (text body): add rules; DELETE: clear. Loopback peers only.

        On a bucket's host the path is an object key like any other: served as usual.
        """
        host = (request.headers.get("Host") or "").lower().rsplit(":", 1)[0]
        if HOST_RE.match(host + "."):
            return await fallback(request)
        if not is_loopback(request.remote):
            return _json(403, {"error": "fault injection is controlled from loopback only"})
        faults = request.app[FAULTS_KEY]
        if request.method == "GET":
            return _json(200, {"rules": faults.rules(), "log": faults.log()})
        if request.method == "POST":
            try:
                added = faults.add(await request.text())
            except FaultRuleError as exc:
                return _json(400, {"error": str(exc)})
            return _json(200, {"added": [r.to_json() for r in added]})
        if request.method == "DELETE":
            faults.clear()
            return _json(200, {"rules": [], "log": []})
        return _json(405, {"error": "GET, POST or DELETE"})

    return admin


ROUTE_NAMES = tuple(sorted({r.name for r in ROUTES.values()}))


def check_rules(text: str) -> None:
    """Raise FaultRuleError for rules the server would refuse (for the CLI, before starting)."""
    parse_rules(text, ROUTE_NAMES)


def install(app: web.Application, server: CosServer, fallback: Handler) -> Faults:
    """Turn fault injection on: the server's rules, the admin route (add it before the
    catch-all route) and the response hook."""
    faults = server.faults = Faults(server.config.faults or "", quiet=server.config.quiet, routes=ROUTE_NAMES)
    app[FAULTS_KEY] = faults
    app.router.add_route("*", ADMIN_PATH, make_admin(fallback))
    app.on_response_prepare.append(on_prepare)
    return faults
