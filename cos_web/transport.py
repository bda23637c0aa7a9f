"""The I/O seam: ``async send(request) -> response``.

The client holds policy (signing, retries, clock skew, result shapes); a
transport only moves one request and its response:

- :class:`XHRTransport`: ``XMLHttpRequest``, for request-body (upload) progress,
  which ``fetch`` cannot report, and download progress (pages and workers only);
- :class:`FetchTransport`: ``fetch``, wherever it exists (also Node.js and Deno):
  download progress from the response stream; upload progress as the body is sent
  under Node.js, once at the end elsewhere;
- :class:`BrowserTransport`: XHR, or fetch for Blob/ArrayBuffer downloads and for reads
  that must skip the HTTP cache (:class:`Freshness`), and fetch for everything where
  there is no ``XMLHttpRequest``;
- :class:`PyfetchTransport`: Pyodide's stock ``pyodide.http.pyfetch``;
- :class:`MockTransport`: a handler function, for CPython unit tests;
- :class:`UrllibTransport`: plain CPython HTTP (stdlib), for tests against the
  local COS server without a browser.

:mod:`cos_web.transport_choice` picks one by name (``COS(Transport="fetch")`` or
``COS(transport=...)``): "auto" (the default), "xhr", "fetch", "pyfetch", "urllib".

A transport raises :class:`TransportError` when no HTTP response came (network
error, CORS refusal), and lets ``asyncio.CancelledError`` through after aborting
the request: cancelling the task that awaits ``send`` is how a request is
cancelled (the timeout is such a cancellation, see :func:`send_with_timeout`).
Request bodies that are JS objects (File, Blob, ArrayBuffer, Uint8Array) are
handed to the platform as they are, never copied into Python memory.

The fetch and XHR transports hand the whole exchange to one small JS function (made
once): it sends, reads the body and calls back into Python once with the status,
the raw header text and the body, waking the awaiting task in that same JS event
(see :class:`cos_web._fastpath.InlineFuture`).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ._fastpath import InlineFuture, reply_future

__all__ = [
    "Request",
    "Response",
    "Transport",
    "TransportError",
    "MockTransport",
    "UrllibTransport",
    "FetchTransport",
    "XHRTransport",
    "BrowserTransport",
    "PyfetchTransport",
    "send_with_timeout",
    "FORBIDDEN_HEADERS",
]

# Headers a page may not set (the browser does); the JS SDK skips the same ones.
FORBIDDEN_HEADERS = frozenset({"content-length", "user-agent", "origin", "host"})

ProgressFn = Callable[[int, int], None]


@dataclass(slots=True)
class Request:
    """One HTTP request, as a plain value."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None  # None, bytes, str, or a JS File/Blob/ArrayBuffer/TypedArray
    response_type: str = "text"  # "text" | "bytes" | "blob" | "arraybuffer"
    on_upload_progress: ProgressFn | None = None  # (loaded, total) while the body is sent
    on_download_progress: ProgressFn | None = None  # (loaded, total) while the body arrives


@dataclass(slots=True)
class Response:
    """One HTTP response: status, lower-case headers (as readable), body per response_type."""

    status: int
    headers: dict[str, str]
    body: Any = None
    status_text: str = ""


class TransportError(Exception):
    """No HTTP response: network failure, DNS, refused connection, CORS block."""

    def __init__(self, message: str = "CORS blocked or network error", url: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url


class Transport(Protocol):
    async def send(self, request: Request) -> Response: ...


async def send_with_timeout(transport: Transport, request: Request, timeout: float | None) -> Response:
    """Send, bounded by ``timeout`` seconds: on expiry the request is aborted, TimeoutError raised."""
    if not timeout:
        return await transport.send(request)
    return await asyncio.wait_for(transport.send(request), timeout)


# ---------------------------------------------------------------- CPython


class MockTransport:
    """Answers requests with ``handler(request) -> Response`` (plain or async); records them."""

    def __init__(self, handler: Callable[[Request], Response | Awaitable[Response]]) -> None:
        self.handler = handler
        self.requests: list[Request] = []

    async def send(self, request: Request) -> Response:
        self.requests.append(request)
        result = self.handler(request)
        if inspect.isawaitable(result):
            result = await result
        if request.on_upload_progress and request.body is not None:
            size = len(request.body.encode() if isinstance(request.body, str) else request.body)
            request.on_upload_progress(size, size)
        return result


class UrllibTransport:
    """Blocking stdlib HTTP in a worker thread (CPython only; not cancellable mid-flight)."""

    progress_while_sending = progress_while_receiving = False  # no idle timeout (cos_web.watchdog)

    async def send(self, request: Request) -> Response:
        return await asyncio.to_thread(self._send, request)

    @staticmethod
    def _send(request: Request) -> Response:
        import urllib.error
        import urllib.parse
        import urllib.request

        body = request.body
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif isinstance(body, (bytearray, memoryview)):
            body = bytes(body)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        url = request.url
        parts = urllib.parse.urlsplit(url)
        if parts.hostname and parts.hostname.endswith(".localhost"):
            # *.localhost is loopback (RFC 6761), as browsers resolve it; glibc does not.
            headers["Host"] = parts.netloc
            url = urllib.parse.urlunsplit(parts._replace(netloc="127.0.0.1" + (f":{parts.port}" if parts.port else "")))
        req = urllib.request.Request(url, data=body, method=request.method, headers=headers)
        try:
            resp = urllib.request.urlopen(req, timeout=60)
        except urllib.error.HTTPError as exc:
            resp = exc
        except (urllib.error.URLError, OSError) as exc:
            raise TransportError(f"CORS blocked or network error ({exc})", request.url) from None
        with resp:
            raw = resp.read()
            status = resp.status if hasattr(resp, "status") else resp.code
            headers_out: dict[str, str] = {}
            for k, v in resp.headers.items():
                k = k.lower()
                headers_out[k] = headers_out[k] + ", " + v if k in headers_out else v
        if request.on_upload_progress and body:
            request.on_upload_progress(len(body), len(body))
        if request.on_download_progress:
            request.on_download_progress(len(raw), len(raw))
        if request.response_type == "text":
            data: Any = raw.decode("utf-8", "replace")
        else:
            data = raw
        return Response(status, headers_out, data, getattr(resp, "reason", "") or "")


# ---------------------------------------------------------------- browser


# Node.js's fetch sends Origin and User-Agent as given (no page to speak for); Host and
# Content-Length come from the URL and the body there too.
_NODE_SETS_ITSELF = frozenset({"content-length", "host"})


def _request_headers(request: Request) -> dict[str, str]:
    skipped = _NODE_SETS_ITSELF if _in_node() else FORBIDDEN_HEADERS
    return {k: v for k, v in request.headers.items() if k.lower() not in skipped}


@functools.cache
class Freshness:
    """Which object URLs the browser's HTTP cache may hold stale, so their next read skips it.

    COS answers reads with ``Last-Modified`` and no ``Cache-Control``, so a browser may answer
    a repeated GET from its cache, without asking, for a tenth of the object's age (RFC 9111
    4.2.2). A write to the object's own URL (PUT, DELETE) drops the kept answer; a write
    through another URL does not: a multipart upload's completion (``?uploadId=``), a delete by
    ``?versionId=``, an append, a multi-object delete (``POST /?delete``). After such a write
    from this page the object's next reads go by fetch with ``cache: "reload"``: from COS, and
    the kept answer replaced, until a whole-object GET has refreshed it. (Every read as
    ``no-store`` would also be fresh, but Chromium then skips its CORS preflight cache and sends
    an OPTIONS before each read: twice the round trips.) cos-js-sdk-v5 reads such an object
    stale (tests/browser/test_http_cache.py). A change made by another page or client is still
    seen only when the browser's kept answer expires, as with any cached resource.

    One per JS realm (the cache is the browser's, shared by every client in the page).
    """

    LIMIT = 4096  # paths remembered at most (oldest forgotten first)

    def __init__(self) -> None:
        self.stale: dict[str, None] = {}  # unquoted "scheme://host/path", in insertion order

    @staticmethod
    def _path(url: str) -> tuple[str, str]:
        from urllib.parse import unquote

        base, _, query = url.partition("?")
        return unquote(base), query

    def must_reload(self, request: Request) -> bool:
        if not self.stale or request.method not in ("GET", "HEAD"):
            return False
        return self._path(request.url)[0] in self.stale

    def answered(self, request: Request, status: int) -> None:
        """Note what a request that got ``status`` made stale, or refreshed."""
        method = request.method
        if method == "GET":
            if self.stale and (status < 300 or status == 404) and "range" not in {k.lower() for k in request.headers}:
                self.stale.pop(self._path(request.url)[0], None)
            return
        if method == "HEAD" or not 200 <= status < 300 or "?" not in request.url:
            return  # a write to the object's own URL: the browser drops its kept answer itself
        base, query = self._path(request.url)
        if base.endswith("/") and query.split("&", 1)[0].split("=", 1)[0] == "delete" and isinstance(request.body, str):
            import html
            import re

            for key in re.findall(r"<Key>(.*?)</Key>", request.body, re.S):
                self._mark(base + html.unescape(key))
        else:
            self._mark(base)

    def _mark(self, path: str) -> None:
        self.stale.pop(path, None)
        self.stale[path] = None
        if len(self.stale) > self.LIMIT:
            del self.stale[next(iter(self.stale))]


FRESHNESS = Freshness()


def _in_node() -> bool:
    """Whether Pyodide runs under Node.js (not a page, a worker, Deno or Bun): there fetch sends
    any header, and a streamed request body over HTTP/1.1 (browsers want HTTP/2 for that)."""
    try:
        import js  # type: ignore[import-not-found]

        g = js.globalThis
        process = getattr(g, "process", None)
        return bool(process is not None and getattr(process.versions, "node", None)) and not (
            hasattr(g, "Deno") or hasattr(g, "Bun")
        )
    except Exception:
        return False


_SEND: Any = None
_PENDING: dict[int, Any] = {}  # request id -> the future its JS helper settles
_IDS = iter(range(1, 1 << 62))


def _js_send() -> Any:
    global _SEND
    if _SEND is None:
        import js  # type: ignore[import-not-found]
        from pyodide.ffi import create_proxy  # type: ignore[import-not-found]

        from .transport_js import SEND_JS

        _SEND = js.Function.new(SEND_JS)(create_proxy(_on_done))  # one proxy, kept for the page's life
    return _SEND


def _on_done(req_id: int, status: int, status_text: str, headers: str, body: Any, error: Any, counted: bool) -> None:
    reply = _PENDING.pop(req_id, None)
    if reply is not None and not reply.done():
        reply.set_result((status, status_text, headers, body, error, counted))


def parse_raw_headers(raw: str | None) -> dict[str, str]:
    """``getAllResponseHeaders()`` -> dict, the way the JS SDK splits it."""
    headers: dict[str, str] = {}
    if raw:
        for line in raw.strip().split("\n"):
            if line:
                idx = line.find(":")
                headers[line[:idx].strip().lower()] = line[idx + 1 :].strip()
    return headers


def _js_request_parts(request: Request) -> tuple[dict[str, str], Any]:
    """The headers a page may set (checked) and the body as a JS value (None for GET/HEAD)."""
    headers = _request_headers(request)
    if any("\n" in k or "\n" in v for k, v in headers.items()):
        # a newline inside a name or value: fetch/XHR would refuse the header
        raise TransportError("CORS blocked or network error (invalid header)", request.url)
    body = request.body
    if body is None or request.method in ("GET", "HEAD"):
        return headers, None
    from ._js import to_js_body

    return headers, to_js_body(body)


# A body this small goes out in one piece: its one upload-progress event is not worth a JS
# listener (a proxy made and destroyed, a call into Python); it is reported when the answer comes.
_SMALL_BODY = 64 * 1024


def _small(body: Any) -> bool:
    from ._js import body_size

    return body_size(body) <= _SMALL_BODY


def _report_sent(request: Request) -> None:
    """The whole body as sent, once the response came (a browser's fetch gives no other)."""
    if request.on_upload_progress is not None and request.body is not None:
        from ._js import body_size

        size = body_size(request.body)
        request.on_upload_progress(size, size)


async def _send_js(request: Request, use_xhr: bool) -> Response:
    """One request through the JS helper: awaited once, aborted if the awaiting task is cancelled."""
    headers, body = _js_request_parts(request)
    joined = "\n".join(f"{k}\n{v}" for k, v in headers.items())
    rtype = request.response_type
    up = down = None
    if request.on_upload_progress is not None and (use_xhr or _in_node()) and not _small(request.body):
        from pyodide.ffi import create_proxy  # type: ignore[import-not-found]

        up = create_proxy(request.on_upload_progress)
    if request.on_download_progress is not None:
        from pyodide.ffi import create_proxy  # type: ignore[import-not-found]

        down = create_proxy(request.on_download_progress)
    req_id = next(_IDS)
    reply = _PENDING[req_id] = reply_future(asyncio.get_running_loop())
    try:
        reload = not use_xhr and FRESHNESS.must_reload(request)
        handle = _js_send()(req_id, request.method, request.url, joined, body, rtype, up, down, use_xhr, reload)
        if type(reply) is InlineFuture:
            reply.handle = handle  # a cancel aborts the request at once
        try:
            result = await reply
        except BaseException:  # cancelled (abort the request) or the interpreter's own failure
            if handle is not None:
                handle.abort()
            raise
    finally:
        _PENDING.pop(req_id, None)
        if up is not None:
            up.destroy()
        if down is not None:
            down.destroy()
    status, status_text, raw_headers, data, error, counted = result
    if not status:
        raise TransportError(f"CORS blocked or network error ({error})" if error else "CORS blocked or network error",
                             request.url)  # fmt: skip
    FRESHNESS.answered(request, status)
    if up is None and not counted:  # fetch, or a small body: reported once, as sent
        _report_sent(request)
    if rtype == "bytes":
        data = data.to_bytes() if data is not None else b""
    return Response(status, parse_raw_headers(raw_headers), data, status_text)


class FetchTransport:
    """``fetch`` (the whole exchange in JS, one call back); cancelling the awaiting task aborts it.

    Works wherever ``fetch`` does: pages, workers, Node.js, Deno. Download progress comes
    from reading the response stream. Upload progress: under Node.js the body is streamed in
    256 KiB pieces, each reported as Node takes it; a browser's fetch cannot stream a request
    body over HTTP/1.1 nor report one being sent, so there (and in Deno) the whole body is
    reported once, when the response arrives.
    """

    def __init__(self) -> None:
        self.progress_while_sending = _in_node()  # read by cos_web.watchdog (idle timeout)

    async def send(self, request: Request) -> Response:
        return await _send_js(request, False)


class XHRTransport:
    """``XMLHttpRequest`` with upload/download progress; cancelling the awaiting task aborts it.

    Only where ``XMLHttpRequest`` exists (pages and Web Workers; not Node.js or Deno).
    """

    async def send(self, request: Request) -> Response:
        return await _send_js(request, True)


class BrowserTransport:
    """XHR for requests (progress events; measured ~5 % less per small request than fetch),
    fetch for downloads into a Blob or ArrayBuffer with no progress asked (streams to the Blob)
    and for a read that must skip the HTTP cache (:class:`Freshness`, which XHR cannot).
    Where there is no ``XMLHttpRequest`` (Node.js, Deno, service workers) fetch does it all."""

    def __init__(self) -> None:
        self.fetch = FetchTransport()
        self.xhr: FetchTransport | XHRTransport = XHRTransport() if _has_xhr() else self.fetch
        self.progress_while_sending = getattr(self.xhr, "progress_while_sending", True)  # cos_web.watchdog

    async def send(self, request: Request) -> Response:
        wants_progress = request.on_upload_progress is not None or request.on_download_progress is not None
        if not wants_progress and request.response_type in ("blob", "arraybuffer"):
            return await self.fetch.send(request)
        if FRESHNESS.must_reload(request):
            return await self.fetch.send(request)
        return await self.xhr.send(request)


class PyfetchTransport:
    """Pyodide's own ``pyodide.http.pyfetch``: the stock path, for those who prefer it.

    Cancelling the awaiting task aborts the fetch (pyfetch's AbortController). Progress is
    reported once per direction, when the response (upload) and its body (download) are in.
    """

    progress_while_sending = progress_while_receiving = False  # no idle timeout (cos_web.watchdog)

    async def send(self, request: Request) -> Response:
        from pyodide.ffi import JsException  # type: ignore[import-not-found]
        from pyodide.http import AbortError, pyfetch  # type: ignore[import-not-found]

        headers, body = _js_request_parts(request)
        init: dict[str, Any] = {"method": request.method, "headers": headers}
        if FRESHNESS.must_reload(request):
            init["cache"] = "reload"  # see Freshness
        if body is not None:
            init["body"] = body
        rtype = request.response_type
        response = None
        try:
            response = await pyfetch(request.url, **init)
            if rtype == "text":
                data: Any = await response.text()
            elif rtype == "bytes":
                data = await response.bytes()
            elif rtype == "blob":
                data = await response.js_response.blob()
            else:
                data = await response.js_response.arrayBuffer()
        except (AbortError, JsException) as exc:
            raise TransportError(f"CORS blocked or network error ({exc})", request.url) from None
        except BaseException:
            if response is not None:
                response.abort()  # cancelled while the body was read
            raise
        FRESHNESS.answered(request, response.status)
        _report_sent(request)
        if request.on_download_progress is not None:
            from ._js import body_size

            size = body_size(data)
            request.on_download_progress(size, size)
        return Response(response.status, response.headers, data, response.status_text)


def _has_xhr() -> bool:
    """Whether this JS global scope has ``XMLHttpRequest`` (pages and workers do; Node and Deno not)."""
    try:
        import js  # type: ignore[import-not-found]

        return getattr(js.globalThis, "XMLHttpRequest", None) is not None
    except Exception:
        return False
