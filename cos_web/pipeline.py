"""The request pipeline: one table operation in, the JS SDK's result ``data`` out.

    params ─► check (params) ─► prepare (request) ─► sign (credentials) ─► send (transport)
                                       ▲                                        │
                                       └── retry (retry policy, clock skew) ◄───┤
                                                                                ▼
                                                       shape (operations) / CosError

:meth:`Pipeline.send` is the one seam the rest of cos_web uses (the client's
generated methods, and the uploads component for its init/part/complete/list
requests)::

    data = await pipeline.send("multipartUpload", params, on_progress=fn)

It raises :class:`CosError`; cancel a request by cancelling the awaiting task (the
transport aborts the fetch/XHR). :meth:`Pipeline.sleep` is the back-off wait
(tests replace it).

:meth:`Pipeline._attempt` is one signed send, bounded by the total ``Timeout`` and the
idle timeout (:mod:`cos_web.watchdog`); :meth:`Pipeline._send` decides what an error
leads to: our clock corrected from the answer's ``ServerTime`` or ``Date`` (whichever
is readable), refused temporary keys (``ExpiredToken`` / ``InvalidToken``) dropped and
asked for again once, otherwise the one retry policy (:mod:`cos_web.retry`: every
request, bounded by count and by ``RetryWindow``, re-signed each time).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from . import _js
from .auth import js_str
from .content_md5 import add_body_md5, wants_body_md5
from .credentials import Credentials
from .errors import CosError
from .operations import OPERATIONS, Op, Reply
from .params import check
from .progress import ProgressThrottle
from .request import Prepared, prepare
from .retry import NO_RETRY, RetryLimits, call_limits, retry_delay
from .transport import Request, Response, Transport, TransportError
from .watchdog import IdleTimeout, send_watched
from .urls import get_url
from .xml import XmlError, xml2json

__all__ = ["Pipeline", "ProgressFn", "server_clock_ms"]

ProgressFn = Callable[[int, int], Any]
_ERROR_CODES = {304: "NotModified", 403: "AccessDenied", 404: "NotFound", 412: "PreconditionFailed"}
_REFUSED_KEYS = frozenset({"ExpiredToken", "InvalidToken"})


class Pipeline:
    """A client's way to COS: options, credentials and a transport (see the module docstring)."""

    def __init__(self, options: dict[str, Any], credentials: Credentials, transport: Transport) -> None:
        self.options = options
        self.credentials = credentials
        self.transport = transport
        self.sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep  # back-off between retries

    async def send(
        self,
        op: str | Op,
        params: Mapping[str, Any],
        on_progress: ProgressFn | None = None,
        *,
        retry: RetryLimits | None = None,
        ready: Prepared | None = None,
    ) -> dict[str, Any]:
        """Run one operation of the table: check, build, sign, send (with retries), shape.

        ``params`` are the seed's params for the call (``Bucket``, ``Region``,
        ``Key``, ``Body``, ``Headers``, ``onProgress`` ...). ``on_progress``, if
        given, receives raw ``(loaded, total)`` byte counts of the request body
        as the browser sends it (XHR upload events), besides any ``onProgress``.
        ``retry`` overrides the call's retry limits (a caller with its own retry
        loop passes :data:`~cos_web.retry.NO_RETRY`). ``ready``: what :meth:`ready` made of
        this call ahead (then ``op`` and ``params`` are not looked at).
        """
        if ready is not None:
            prepared = ready
            op, params = prepared.op, prepared.params
        else:
            if isinstance(op, str):
                op = OPERATIONS[op]
            params = check(op, dict(params), self.options)
            if wants_body_md5(op, params, self.options):  # UploadCheckContentMd5 / UploadAddMetaMd5
                params = await add_body_md5(op, params, self.options)
            prepared = prepare(op, params, self.options)
        user_progress = params.get("onProgress")
        throttle: ProgressThrottle | None = None
        upload_cb: ProgressFn | None = None
        download_cb: ProgressFn | None = None
        if op.upload_progress and (user_progress is not None or on_progress is not None):
            size = prepared.body_size
            if op.name == "putObject" and user_progress is not None:
                throttle = ProgressThrottle(size, _user_fn(user_progress), self.options["ProgressInterval"])
                throttle.update(immediately=True)

            if user_progress is None:  # a caller's raw counts only (an upload's part): per event, no more

                def upload_cb(loaded: int, total: int) -> None:
                    on_progress(loaded, size)  # type: ignore[misc]

            else:

                def upload_cb(loaded: int, total: int) -> None:
                    if on_progress is not None:
                        on_progress(loaded, size)
                    if throttle is not None:
                        throttle.update(loaded, size)
                    else:
                        _js.call_user(user_progress, {"loaded": loaded, "total": size})

        elif op.name == "getObject" and user_progress is not None:
            throttle = ProgressThrottle(0, _user_fn(user_progress), self.options["ProgressInterval"])

            def download_cb(loaded: int, total: int) -> None:
                throttle.update(loaded, total)

        if retry is None:
            retry = call_limits(self.options["RetryWindow"] / 1000.0) if op.retryable else NO_RETRY
        try:
            response = await self._send(prepared, retry, upload_cb, download_cb)
        except CosError as err:
            if throttle is not None:
                throttle.update(immediately=True)
            if op.tolerate is not None and err.statusCode is not None:
                tolerated = op.tolerate(params, err)
                if tolerated is not None:
                    return _format_result(tolerated)
            raise
        if throttle is not None:
            if op.name == "putObject":
                throttle.update(prepared.body_size, prepared.body_size, immediately=True)
            else:
                throttle.update(immediately=True)
        return self._shape(prepared, response)

    def ready(self, op: str | Op, params: Mapping[str, Any], *, checked: bool = False) -> Prepared | None:
        """The synchronous half of :meth:`send`, done ahead of it (a queued putObject while it
        waits for a slot): checked, laid out, and signed when signing asks nothing of the page
        (:meth:`Credentials.sign_ahead`). None when the body must be hashed first (``send``
        then does it all). Pass the result to ``send(..., ready=...)`` once. ``checked``: the
        caller has had these very params through :func:`~cos_web.params.check` already."""
        if isinstance(op, str):
            op = OPERATIONS[op]
        params = dict(params) if checked else check(op, dict(params), self.options)
        if wants_body_md5(op, params, self.options):
            return None
        prepared = prepare(op, params, self.options)
        prepared.signed = self.credentials.sign_ahead(self._sign_params(prepared))
        return prepared

    # ------------------------------------------------------------ sign, send, retry

    async def _send(
        self,
        prepared: Prepared,
        limits: RetryLimits,
        upload_cb: ProgressFn | None = None,
        download_cb: ProgressFn | None = None,
    ) -> Response:
        """Sign and send, retrying (re-signed) per the retry policy, clock skew and refused keys."""
        attempt = 0
        skew_fixed = keys_renewed = False
        started = asyncio.get_running_loop().time()
        waited = 0.0  # back-off slept so far (counts even where sleep is replaced)
        while True:
            sent: dict[str, str] = {}
            try:
                response = await self._attempt(prepared, upload_cb, download_cb, sent)
            except CosError as exc:
                err = exc
            else:
                if 200 <= response.status < 300:
                    return response
                err = await self._error(prepared, response)
            if not skew_fixed and _is_time_error(err) and self._correct_clock(err):
                skew_fixed = True
                delay: float | None = 0.0
            elif not keys_renewed and err.code in _REFUSED_KEYS and self.credentials.invalidate(sent.get("token")):
                keys_renewed = True  # cached temporary keys refused: fresh ones, once
                delay = 0.0
            else:
                elapsed = max(asyncio.get_running_loop().time() - started, waited)
                delay = retry_delay(err, attempt, limits, elapsed=elapsed)
            if delay is None:
                raise err
            attempt += 1
            prepared.headers["x-cos-sdk-retry"] = True
            if delay:
                waited += delay
                await self.sleep(delay)

    async def _attempt(
        self,
        prepared: Prepared,
        upload_cb: ProgressFn | None,
        download_cb: ProgressFn | None,
        sent: dict[str, str] | None = None,
    ) -> Response:
        """One signed send: the response (any status), or CosError NetworkError / Timeout.
        ``sent["token"]``: the temporary key's token it carried, if any."""
        signed, prepared.signed = prepared.signed, None
        auth = self.credentials.signed_still(signed) if signed is not None else None
        if auth is None:
            auth = await self.credentials.authorize(self._sign_params(prepared))
        headers = {k: js_str(v) for k, v in prepared.headers.items()}
        if auth.get("Authorization"):
            headers["Authorization"] = auth["Authorization"]
        if auth.get("SecurityToken"):
            headers["x-cos-security-token"] = auth["SecurityToken"]
            if sent is not None:
                sent["token"] = auth["SecurityToken"]
        request = Request(
            prepared.method, prepared.url, headers, prepared.body, prepared.response_type, upload_cb, download_cb
        )
        timeout = self.options["Timeout"] / 1000.0 if self.options["Timeout"] else None
        idle = self.options["IdleTimeout"] / 1000.0 if self.options["IdleTimeout"] else None
        try:
            return await send_watched(self.transport, request, timeout, idle)
        except TransportError as exc:
            raise CosError(exc.message, code="NetworkError", url=prepared.url, method=prepared.method) from None
        except IdleTimeout as exc:
            raise CosError(f"timeout ({exc})", code="Timeout", url=prepared.url, method=prepared.method) from None
        except (asyncio.TimeoutError, TimeoutError):
            raise CosError("timeout", code="Timeout", url=prepared.url, method=prepared.method) from None

    @staticmethod
    def _sign_params(prepared: Prepared) -> dict[str, Any]:
        """What :meth:`Credentials.authorize` signs of a prepared request."""
        return {
            "Bucket": prepared.params.get("Bucket") or "",
            "Region": prepared.params.get("Region") or "",
            "Method": prepared.method,
            "Key": prepared.params.get("Key") if prepared.op.path_key else "",
            "Pathname": prepared.pathname,
            "Query": prepared.query,
            "Headers": prepared.headers,
            "SignHost": prepared.sign_host,
            "Scope": prepared.scope,
        }

    def _correct_clock(self, err: CosError) -> bool:
        """Take the server's clock (ServerTime or Date) as the signing clock if ours is off by 30 s or more."""
        if not self.options["CorrectClockSkew"]:
            return False
        body = err.extra.get("error")
        server_ms = server_clock_ms(err.headers.get("date"), body.get("ServerTime") if isinstance(body, dict) else None)
        if server_ms is None:
            return False
        now_ms = self.credentials.clock() * 1000
        if abs(now_ms + self.options["SystemClockOffset"] - server_ms) < 30000:
            return False
        self.options["SystemClockOffset"] = server_ms - now_ms
        return True

    # ------------------------------------------------------------ results and errors

    def _shape(self, prepared: Prepared, response: Response) -> dict[str, Any]:
        op = prepared.op
        parsed = {} if op.raw_response else _parse_body(response.body)
        reply = Reply(response.status, response.headers, parsed, response.body)
        data = op.shape(op, prepared.params, reply) if op.shape is not None else {}
        if op.etag:
            data["ETag"] = response.headers.get("etag", "")
        if op.location:
            accelerate = self.options.get("UseAccelerate") and op.name in ("putObject", "multipartComplete")
            data["Location"] = get_url(
                bucket=prepared.params.get("Bucket") or "",
                region="accelerate" if accelerate else prepared.params.get("Region") or "",
                key=prepared.params.get("Key") if op.key else None,
                domain=self.options.get("Domain"),
                protocol=self.options.get("Protocol"),
                is_location=True,
            )
        data["statusCode"] = response.status
        data["headers"] = response.headers
        return _format_result(data)

    async def _error(self, prepared: Prepared, response: Response) -> CosError:
        body = response.body
        if prepared.op.raw_response and body is not None and not isinstance(body, (str, bytes)):
            body = await _js_text(body)
        parsed = _parse_body(body)
        error_body = parsed.get("Error") if isinstance(parsed.get("Error"), dict) else parsed
        code = error_body.get("Code") if isinstance(error_body, dict) else None
        message = error_body.get("Message") if isinstance(error_body, dict) else None
        status = response.status
        request_id = response.headers.get("x-cos-request-id") or (
            error_body.get("RequestId") if isinstance(error_body, dict) else None
        )
        return CosError(
            message or response.status_text or f"HTTP {status}",
            code=code or _ERROR_CODES.get(status, str(status)),
            statusCode=status,
            headers=response.headers,
            requestId=request_id,
            resource=error_body.get("Resource") if isinstance(error_body, dict) else None,
            error=error_body,
            url=prepared.url,
            method=prepared.method,
        )


def _user_fn(fn: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda info: _js.call_user(fn, info)


def _format_result(data: dict[str, Any]) -> dict[str, Any]:
    """RequestId / VersionId / DeleteMarker lifted from the headers, as apiWrapper does."""
    headers = data.get("headers")
    if headers:
        if headers.get("x-ci-request-id"):
            data["RequestId"] = headers["x-ci-request-id"]
        if headers.get("x-cos-request-id"):
            data["RequestId"] = headers["x-cos-request-id"]
        if headers.get("x-cos-version-id"):
            data["VersionId"] = headers["x-cos-version-id"]
        if headers.get("x-cos-delete-marker"):
            data["DeleteMarker"] = headers["x-cos-delete-marker"]
    return data


def _parse_body(text: Any) -> dict[str, Any]:
    """parseResBody: XML or JSON text -> dict; anything else -> {}."""
    if not text:
        return {}
    if not isinstance(text, str):
        try:
            text = bytes(text).decode("utf-8", "replace")
        except Exception:
            return {}
    stripped = text.lstrip()
    if stripped.startswith("<"):
        try:
            return xml2json(text)
        except XmlError:
            return {}
    if stripped.startswith("{"):
        try:
            value = json.loads(text.replace("\n", " "))
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}
    return {}


def server_clock_ms(date: Any, server_time: Any) -> float | None:
    """The server's clock (ms since the epoch) from an error answer: its ``ServerTime``
    (ISO 8601, in the body, always readable) or its ``Date`` header (RFC 1123, readable
    only where the bucket's CORS rule exposes it); None if neither can be read."""
    for value in (server_time, date):
        if not isinstance(value, str) or not value.strip():
            continue
        value = value.strip()
        if value.isdigit():
            return float(value) * 1000
        try:
            from datetime import datetime, timezone  # only on a clock-skew error

            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            return when.timestamp() * 1000
        except ValueError:
            pass
        try:
            from email.utils import parsedate_to_datetime

            return parsedate_to_datetime(value).timestamp() * 1000
        except (TypeError, ValueError, IndexError):
            pass
    return None


def _is_time_error(err: CosError) -> bool:
    return err.code == "RequestTimeTooSkewed" or (err.code == "AccessDenied" and err.message == "Request has expired")


async def _js_text(body: Any) -> str:
    """Text of a JS Blob / ArrayBuffer error body."""
    try:
        if hasattr(body, "text"):
            return await body.text()
        return bytes(body.to_bytes()).decode("utf-8", "replace")
    except Exception:
        return ""
