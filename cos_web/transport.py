"""The I/O seam: ``async send(request) -> response``.

The client holds policy (signing, retries, clock skew, result shapes); a
transport only moves one request and its response:

- :class:`FetchTransport`: the browser's ``fetch`` through ``pyodide.http.pyfetch``;
- :class:`XHRTransport`: ``XMLHttpRequest``, for request-body (upload) progress,
  which ``fetch`` cannot report, and download progress;
- :class:`BrowserTransport`: fetch, or XHR when the request asks for progress;
- :class:`MockTransport`: a handler function, for CPython unit tests;
- :class:`UrllibTransport`: plain CPython HTTP (stdlib), for tests against the
  local COS server without a browser.

A transport raises :class:`TransportError` when no HTTP response came (network
error, CORS refusal), and lets ``asyncio.CancelledError`` through after aborting
the request: cancelling the task that awaits ``send`` is how a request is
cancelled (the timeout is such a cancellation, see :func:`send_with_timeout`).
Request bodies that are JS objects (File, Blob, ArrayBuffer, Uint8Array) are
handed to the browser as they are, never copied into Python memory.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

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
    "default_transport",
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
        if request.response_type == "text":
            data: Any = raw.decode("utf-8", "replace")
        else:
            data = raw
        return Response(status, headers_out, data, getattr(resp, "reason", "") or "")


# ---------------------------------------------------------------- browser


def _request_headers(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.headers.items() if k.lower() not in FORBIDDEN_HEADERS}


class FetchTransport:
    """``fetch`` via ``pyodide.http.pyfetch``; cancelling the awaiting task aborts it."""

    async def send(self, request: Request) -> Response:
        from pyodide.http import pyfetch

        from ._js import to_js_body

        kwargs: dict[str, Any] = {"method": request.method, "headers": _request_headers(request)}
        if request.body is not None and request.method not in ("GET", "HEAD"):
            kwargs["body"] = to_js_body(request.body)
        try:
            resp = await pyfetch(request.url, **kwargs)
            rtype = request.response_type
            if rtype == "text":
                body: Any = await resp.text()
            elif rtype == "bytes":
                body = await resp.bytes()
            elif rtype == "blob":
                body = await resp.js_response.blob()
            else:
                body = await resp.buffer()
        except asyncio.CancelledError:
            raise
        except OSError as exc:  # pyodide.http.AbortError: fetch rejected (network / CORS)
            raise TransportError(f"CORS blocked or network error ({exc})", request.url) from None
        except Exception as exc:  # JsException from reading the body
            raise TransportError(f"CORS blocked or network error ({exc})", request.url) from None
        return Response(resp.status, resp.headers, body, resp.status_text)


_XHR_TYPES = {"text": "text", "bytes": "arraybuffer", "blob": "blob", "arraybuffer": "arraybuffer"}


def parse_raw_headers(raw: str | None) -> dict[str, str]:
    """``getAllResponseHeaders()`` -> dict, the way the JS SDK splits it."""
    headers: dict[str, str] = {}
    if raw:
        for line in raw.strip().split("\n"):
            if line:
                idx = line.find(":")
                headers[line[:idx].strip().lower()] = line[idx + 1 :].strip()
    return headers


class XHRTransport:
    """``XMLHttpRequest`` with upload/download progress; cancelling the awaiting task aborts it."""

    async def send(self, request: Request) -> Response:
        from js import XMLHttpRequest  # type: ignore[import-not-found]
        from pyodide.ffi import create_proxy  # type: ignore[import-not-found]

        from ._js import to_js_body

        loop = asyncio.get_running_loop()
        done: asyncio.Future[str] = loop.create_future()
        xhr = XMLHttpRequest.new()
        xhr.open(request.method, request.url, True)
        xhr.responseType = _XHR_TYPES.get(request.response_type, "text")
        for k, v in _request_headers(request).items():
            xhr.setRequestHeader(k, v)

        def finish(outcome: str) -> Callable[[Any], None]:
            def handler(_event: Any) -> None:
                if not done.done():
                    done.set_result(outcome)

            return handler

        proxies = [create_proxy(finish("load")), create_proxy(finish("error")), create_proxy(finish("abort"))]
        xhr.onload, xhr.onerror, xhr.onabort = proxies
        up, down = request.on_upload_progress, request.on_download_progress
        if up is not None:
            p = create_proxy(lambda e: up(int(e.loaded), int(e.total)))
            proxies.append(p)
            xhr.upload.onprogress = p
        if down is not None:
            p = create_proxy(lambda e: down(int(e.loaded), int(e.total)))
            proxies.append(p)
            xhr.onprogress = p
        try:
            body = request.body
            xhr.send(to_js_body(body) if body is not None and request.method not in ("GET", "HEAD") else None)
            outcome = await done
        except asyncio.CancelledError:
            xhr.abort()
            raise
        finally:
            xhr.onload = xhr.onerror = xhr.onabort = None
            if up is not None:
                xhr.upload.onprogress = None
            if down is not None:
                xhr.onprogress = None
            for p in proxies:
                p.destroy()
        status = int(xhr.status)
        if outcome != "load" or status == 0:
            raise TransportError("CORS blocked or network error", request.url)
        headers = parse_raw_headers(xhr.getAllResponseHeaders())
        rtype = request.response_type
        if rtype == "text":
            data: Any = xhr.responseText
        elif rtype == "bytes":
            data = xhr.response.to_bytes() if xhr.response is not None else b""
        else:
            data = xhr.response
        return Response(status, headers, data, xhr.statusText)


class BrowserTransport:
    """fetch for plain requests; XHR when a request wants progress events."""

    def __init__(self) -> None:
        self.fetch = FetchTransport()
        self.xhr = XHRTransport()

    async def send(self, request: Request) -> Response:
        if request.on_upload_progress is not None or request.on_download_progress is not None:
            return await self.xhr.send(request)
        return await self.fetch.send(request)


def default_transport() -> Transport:
    """BrowserTransport under Pyodide, UrllibTransport in CPython."""
    import sys

    if sys.platform == "emscripten":
        return BrowserTransport()
    return UrllibTransport()
