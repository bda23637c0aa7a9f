"""The COS client: policy around one seam.

``COS`` turns a call (``cos.get_bucket(Bucket=..., Region=...)``) into a checked
set of params (:mod:`params`), a plain request (:mod:`request`), an
Authorization (:mod:`auth`, or the user's ``getAuthorization`` / ``getSTS``),
one or more sends through a transport (:mod:`transport`: retries, clock-skew
correction, timeout), and the JS SDK's result ``data`` (:mod:`operations`).

Internal seam for other modules (e.g. the upload module)::

    data = await cos._request("multipartUpload", params, on_progress=fn)

runs one table operation with the seed's params and returns its ``data`` or
raises :class:`CosError`. Cancel it by cancelling the awaiting task: the
transport aborts the fetch/XHR.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from . import _js
from .auth import build_authorization, js_str
from .errors import CosError, invalid_parameter
from .operations import OPERATIONS, Op, Reply
from .params import check, check_bucket_region
from .progress import ProgressThrottle
from .request import Prepared, prepare, sign_headers
from .transport import (
    Request,
    Response,
    Transport,
    TransportError,
    no_task_running,
    run_done_callback,
    send_with_timeout,
)
from .transport_choice import make_transport
from .urls import get_url, obj2str, url_host
from .xml import XmlError, xml2json

__all__ = ["COS", "ObjectUrl", "DEFAULT_OPTIONS", "retry_delay", "MAX_RETRIES"]

DEFAULT_OPTIONS: dict[str, Any] = {
    "SecretId": "",
    "SecretKey": "",
    "SecurityToken": "",
    "StartTime": 0,
    "ExpiredTime": 0,
    "ChunkRetryTimes": 2,
    "FileParallelLimit": 3,
    "ChunkParallelLimit": 3,
    "ChunkSize": 1024 * 1024,
    "SliceSize": 1024 * 1024,
    "CopyChunkParallelLimit": 20,
    "CopyChunkSize": 1024 * 1024 * 10,
    "CopySliceSize": 1024 * 1024 * 10,
    "MaxPartNumber": 10000,
    "ProgressInterval": 1000,
    "Domain": "",
    "Protocol": "",
    "UseRawKey": False,
    "Timeout": 0,  # ms, 0 = none
    "CorrectClockSkew": True,
    "SystemClockOffset": 0,  # ms
    "UploadCheckContentMd5": False,
    "ForceSignHost": True,
    "ObjectKeySimplifyCheck": True,
    "getAuthorization": None,
    "getSTS": None,
    "Transport": "auto",  # or "xhr", "fetch", "pyfetch", "urllib" (cos_web.transport_choice)
}

MAX_RETRIES = 3  # as the JS SDK: up to 4 attempts
_ERROR_CODES = {304: "NotModified", 403: "AccessDenied", 404: "NotFound", 412: "PreconditionFailed"}


def retry_delay(op: Op, status: int | None, attempt: int, base: float = 0.2, cap: float = 2.0) -> float | None:
    """Back-off before retry ``attempt`` (0-based), or None for no retry.

    Idempotent calls are retried on network errors / timeouts (status None) and
    5xx, up to MAX_RETRIES times, with exponential back-off and jitter; never
    on other statuses.
    """
    if attempt >= MAX_RETRIES or not op.retryable:
        return None
    if status is not None and not 500 <= status < 600:
        return None
    delay = min(cap, base * (2**attempt))
    return delay * (0.5 + random.random() / 2)


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


def _http_date_ms(value: Any) -> float | None:
    try:
        if isinstance(value, str) and value.isdigit():
            return float(value) * 1000
        from email.utils import parsedate_to_datetime  # only on a clock-skew error

        return parsedate_to_datetime(value).timestamp() * 1000
    except Exception:
        return None


def _is_time_error(err: CosError) -> bool:
    return err.code == "RequestTimeTooSkewed" or (err.code == "AccessDenied" and err.message == "Request has expired")


def _check_auth_answer(answer: Mapping[str, Any]) -> str | None:
    """checkAuthError: what is wrong with a getAuthorization / getSTS answer, if anything."""
    auth = answer.get("Authorization")
    if auth:
        if not isinstance(auth, str) or " " in auth:
            return "getAuthorization callback params format error"
        needed = ("q-sign-algorithm=", "q-ak=", "q-sign-time=", "q-key-time=", "q-url-param-list=")
        if all(n in auth for n in needed):
            return None
        try:
            import base64

            decoded = base64.b64decode(auth).decode("latin-1")
            if all(n in decoded for n in ("a=", "k=", "t=", "r=", "b=")):
                return None
        except Exception:
            pass
        return "getAuthorization callback params format error"
    if not answer.get("TmpSecretId"):
        return 'getAuthorization callback params missing "TmpSecretId"'
    if not answer.get("TmpSecretKey"):
        return 'getAuthorization callback params missing "TmpSecretKey"'
    if not answer.get("SecurityToken") and not answer.get("XCosSecurityToken"):
        return 'getAuthorization callback params missing "SecurityToken"'
    if not answer.get("ExpiredTime"):
        return 'getAuthorization callback params missing "ExpiredTime"'
    if len(js_str(answer["ExpiredTime"])) != 10:
        return 'getAuthorization callback params "ExpiredTime" should be 10 digits'
    if answer.get("StartTime") and len(js_str(answer["StartTime"])) != 10:
        return 'getAuthorization callback params "StartTime" should be 10 StartTime'
    return None


def _credentials_error(message: str) -> CosError:
    return CosError(message, code="CredentialsError")


class ObjectUrl(str):
    """The URL ``getObjectUrl`` returns at once; ``await`` it for ``{"Url": signed}``.

    Like the JS SDK, the string is signed when the signature can be computed
    synchronously (SecretId/SecretKey); awaiting it also signs through
    ``getAuthorization`` / ``getSTS``.
    """

    _result: Any  # a factory of the coroutine giving {"Url": ...}, or the task already running it

    def __await__(self):  # type: ignore[override]
        pending = self._result
        if callable(pending):
            pending = pending()
        return pending.__await__()


# The upload-task methods of COS (cos_web/tasks.py's UploadMixin): the module (and
# upload.py) is imported on first use of any of them, not with the client.
_UPLOAD_ATTRS = (
    "_tasks", "on", "off", "emit", "slice_upload_file", "upload_file", "_upload_call", "_add_upload",
    "_make_task", "cancel_task", "pause_task", "restart_task", "get_task_list", "get_task",
    "is_upload_running", "sliceUploadFile", "uploadFile", "cancelTask", "pauseTask", "restartTask",
    "getTaskList", "isUploadRunning",
)  # fmt: skip


class _FromTasks:
    """A placeholder for one UploadMixin attribute: imports cos_web.tasks on first access
    and puts the real method (or property) on the class in place of every placeholder."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        from .tasks import UploadMixin

        for name in _UPLOAD_ATTRS:
            if isinstance(COS.__dict__.get(name), _FromTasks):
                setattr(COS, name, UploadMixin.__dict__[name])
        return UploadMixin.__dict__[self.name].__get__(obj, owner)


# Start a call's task eagerly (Python 3.12+): it runs synchronously up to its first real
# await (the request is on the wire when the call returns), saving one trip through the
# event loop per call; it still runs to completion if nobody awaits it.
_EAGER = sys.version_info >= (3, 12)


_CALL_TASK: Any = None
_FLUSH: list[Any] = []  # call tasks that finished in this browser task: wake their awaiters
_FLUSH_PROXY: Any = None
_QUEUE_MICROTASK: Any = None


def _call_task_class() -> Any:
    """PyodideTask whose awaiters are woken by a JS microtask right after it finishes.

    A task's awaiters are normally woken through ``call_soon``: under Pyodide one more
    task of the browser's event loop (a MessageChannel message) per call, the largest
    cost left of a small request. Here the call's coroutine, as it ends, queues a
    microtask that runs the awaiters' wake-ups once the finishing step has returned,
    in the same browser task (where the JS SDK would run its callback).
    """
    global _CALL_TASK, _FLUSH_PROXY, _QUEUE_MICROTASK
    if _CALL_TASK is None:
        import js  # type: ignore[import-not-found]
        from pyodide.ffi import create_proxy  # type: ignore[import-not-found]
        from pyodide.webloop import PyodideTask  # type: ignore[import-not-found]

        class CallTask(PyodideTask):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                self._waiters: list[tuple[Any, Any]] = []
                super().__init__(*args, **kwargs)

            def add_done_callback(self, fn: Any, *, context: Any = None) -> None:
                if self.done():
                    super().add_done_callback(fn, context=context)
                else:
                    self._num_done_callbacks += 1
                    self._waiters.append((fn, context))

            def remove_done_callback(self, fn: Any) -> int:
                before = len(self._waiters)
                self._waiters = [(f, c) for f, c in self._waiters if f != fn]
                removed = before - len(self._waiters)
                self._num_done_callbacks -= removed
                return removed + super().remove_done_callback(fn)

            def _wake_waiters(self) -> None:
                waiters, self._waiters = self._waiters, []
                loop = self.get_loop()
                inline = self.done() and no_task_running(loop)
                for fn, ctx in waiters:
                    if inline:
                        run_done_callback(loop, fn, ctx, self, "a call's awaiter")
                    else:  # not finished after all, or a task is running: the usual way
                        self._num_done_callbacks -= 1
                        super().add_done_callback(fn, context=ctx)

        def flush() -> None:
            tasks = list(_FLUSH)
            _FLUSH.clear()
            for task in tasks:
                task._wake_waiters()

        _QUEUE_MICROTASK = js.queueMicrotask
        _FLUSH_PROXY = create_proxy(flush)
        _CALL_TASK = CallTask
    return _CALL_TASK


def _call_ending() -> None:
    """The call's coroutine is returning: wake its awaiters from a microtask (see above)."""
    task = asyncio.current_task()
    if _CALL_TASK is not None and isinstance(task, _CALL_TASK):
        _FLUSH.append(task)
        if len(_FLUSH) == 1:
            _QUEUE_MICROTASK(_FLUSH_PROXY)


def _start_task(loop: asyncio.AbstractEventLoop, coro: Any) -> asyncio.Task[Any]:
    if _EAGER:
        cls: Any = None
        counted = False
        if type(loop).__module__ == "pyodide.webloop":
            try:
                cls = _call_task_class()
            except Exception:
                cls = getattr(sys.modules["pyodide.webloop"], "PyodideTask", None)
            counted = hasattr(loop, "_in_progress") and hasattr(loop, "_decrement_in_progress")
        elif isinstance(loop, asyncio.BaseEventLoop) and loop.get_task_factory() is None:
            cls = asyncio.Task
        if cls is not None:
            task = cls(coro, loop=loop, eager_start=True)
            if counted:  # what WebLoop.create_task does besides making the task
                loop._in_progress += 1  # type: ignore[attr-defined]
                task.add_done_callback(loop._decrement_in_progress)  # type: ignore[attr-defined]
            return task
    return loop.create_task(coro)


async def _deliver(call: Awaitable[Any], callback: Any) -> Any:
    """Await a call's result; with a ``callback(err, data)`` (JS or Python), hand it the
    JS-style outcome instead of raising, as the JS SDK's callback style does."""
    try:
        data = await call
    except CosError as err:
        if callback is None:
            raise
        _js.call_user(callback, err, None)
        return None
    if callback is not None:
        _js.call_user(callback, None, data)
    return data


class COS:
    """A COS client, mirroring ``new COS({...})`` of cos-js-sdk-v5."""

    def __init__(
        self,
        options: Mapping[str, Any] | None = None,
        /,
        *,
        transport: Transport | str | None = None,
        clock: Callable[[], float] | None = None,
        **kwargs: Any,
    ) -> None:
        opts = dict(DEFAULT_OPTIONS)
        opts.update(_js.to_py(options) or {})
        opts.update(kwargs)
        opts["FileParallelLimit"] = max(1, int(opts["FileParallelLimit"]))
        opts["ChunkParallelLimit"] = max(1, int(opts["ChunkParallelLimit"]))
        opts["ChunkRetryTimes"] = max(0, int(opts["ChunkRetryTimes"]))
        opts["ChunkSize"] = max(1024 * 1024, int(opts["ChunkSize"]))
        opts["MaxPartNumber"] = max(1024, min(10000, int(opts["MaxPartNumber"])))
        opts["Timeout"] = max(0, opts["Timeout"] or 0)
        for name in ("getAuthorization", "getSTS"):
            if opts[name] is not None and not callable(opts[name]):
                raise invalid_parameter(name, "must be a function")
        self.options = opts
        self._transport = make_transport(transport if transport is not None else opts["Transport"])
        self._clock = clock or time.time
        self._sleep = asyncio.sleep  # back-off between retries (tests replace it)
        self._sts_cache: list[dict[str, Any]] = []
        self._sts_pending: asyncio.Future[Any] | None = None

    # ------------------------------------------------------------ calling convention

    @staticmethod
    def _split_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[dict[str, Any], Any]:
        """(params, callback) from ``(dict?, callback?)`` and keyword params."""
        callback = kwargs.pop("callback", None)
        params: dict[str, Any] = {}
        rest = list(args)
        if rest and (isinstance(rest[0], Mapping) or (_js.is_js(rest[0]) and not callable(rest[0]))):
            first = _js.to_py(rest.pop(0))
            if not isinstance(first, Mapping):
                raise invalid_parameter("params", "must be a dict")
            params.update(first)
        elif rest and rest[0] is None:
            rest.pop(0)
        if rest:
            if callback is not None or len(rest) > 1 or not callable(rest[0]):
                raise invalid_parameter("callback", "expected (params, callback)")
            callback = rest[0]
        params.update(kwargs)
        return params, callback

    def _call(self, op: Op, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        params, callback = self._split_args(args, kwargs)
        coro = self._run(op, params, callback)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return coro  # no loop yet: the caller runs it (asyncio.run(...))
        return _start_task(loop, coro)

    async def _run(self, op: Op, params: dict[str, Any], callback: Any) -> Any:
        try:
            return await _deliver(self._request(op, params), callback)
        finally:
            if _CALL_TASK is not None:
                _call_ending()

    # ------------------------------------------------------------ the seam

    async def _request(
        self,
        op: str | Op,
        params: Mapping[str, Any],
        *,
        on_progress: Callable[[int, int], Any] | None = None,
    ) -> dict[str, Any]:
        """Run one operation of the table: check, build, sign, send (with retries), shape.

        ``params`` are the seed's params for the call (``Bucket``, ``Region``,
        ``Key``, ``Body``, ``Headers``, ``onProgress`` ...). ``on_progress``, if
        given, receives raw ``(loaded, total)`` byte counts of the request body
        as the browser sends it (XHR upload events), besides any ``onProgress``.
        """
        if isinstance(op, str):
            op = OPERATIONS[op]
        params = check(op, dict(params), self.options)
        prepared = prepare(op, params, self.options)
        user_progress = params.get("onProgress")
        throttle: ProgressThrottle | None = None
        upload_cb: Callable[[int, int], Any] | None = None
        download_cb: Callable[[int, int], Any] | None = None
        if op.upload_progress and (user_progress is not None or on_progress is not None):
            size = prepared.body_size
            if op.name == "putObject" and user_progress is not None:
                throttle = ProgressThrottle(size, self._user_fn(user_progress), self.options["ProgressInterval"])
                throttle.update(immediately=True)

            def upload_cb(loaded: int, total: int) -> None:
                if on_progress is not None:
                    on_progress(loaded, size)
                if throttle is not None:
                    throttle.update(loaded, size)
                elif user_progress is not None:
                    _js.call_user(user_progress, {"loaded": loaded, "total": size})

        elif op.name == "getObject" and user_progress is not None:
            throttle = ProgressThrottle(0, self._user_fn(user_progress), self.options["ProgressInterval"])

            def download_cb(loaded: int, total: int) -> None:
                throttle.update(loaded, total)

        try:
            response = await self._send(prepared, upload_cb, download_cb)
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

    def _user_fn(self, fn: Any) -> Callable[[dict[str, Any]], Any]:
        return lambda info: _js.call_user(fn, info)

    def _shape(self, prepared: Prepared, response: Response) -> dict[str, Any]:
        op = prepared.op
        parsed = {} if op.raw_response else _parse_body(response.body)
        reply = Reply(response.status, response.headers, parsed, response.body)
        data = op.shape(op, prepared.params, reply) if op.shape is not None else {}
        if op.etag:
            data["ETag"] = response.headers.get("etag", "")
        if op.location:
            data["Location"] = get_url(
                bucket=prepared.params.get("Bucket") or "",
                region=prepared.params.get("Region") or "",
                key=prepared.params.get("Key") if op.key else None,
                domain=self.options.get("Domain"),
                protocol=self.options.get("Protocol"),
                is_location=True,
            )
        data["statusCode"] = response.status
        data["headers"] = response.headers
        return _format_result(data)

    async def _send(
        self,
        prepared: Prepared,
        upload_cb: Callable[[int, int], Any] | None = None,
        download_cb: Callable[[int, int], Any] | None = None,
    ) -> Response:
        """Sign and send, retrying (re-signed) per :func:`retry_delay` and clock skew."""
        op = prepared.op
        timeout = self.options["Timeout"] / 1000.0 if self.options["Timeout"] else None
        attempt = 0
        skew_fixed = False
        while True:
            auth = await self._authorize(
                {
                    "Bucket": prepared.params.get("Bucket") or "",
                    "Region": prepared.params.get("Region") or "",
                    "Method": prepared.method,
                    "Key": prepared.params.get("Key") if op.key else "",
                    "Pathname": prepared.pathname,
                    "Query": prepared.query,
                    "Headers": prepared.headers,
                    "SignHost": prepared.sign_host,
                    "Scope": prepared.scope,
                }
            )
            headers = {k: js_str(v) for k, v in prepared.headers.items()}
            if auth.get("Authorization"):
                headers["Authorization"] = auth["Authorization"]
            if auth.get("SecurityToken"):
                headers["x-cos-security-token"] = auth["SecurityToken"]
            request = Request(
                prepared.method,
                prepared.url,
                headers,
                prepared.body,
                prepared.response_type,
                upload_cb,
                download_cb,
            )
            try:
                response = await send_with_timeout(self._transport, request, timeout)
            except TransportError as exc:
                err = CosError(exc.message, code="NetworkError", url=prepared.url, method=prepared.method)
            except (asyncio.TimeoutError, TimeoutError):
                err = CosError("timeout", code="Timeout", url=prepared.url, method=prepared.method)
            else:
                if 200 <= response.status < 300:
                    return response
                err = await self._error(prepared, response)
            if not skew_fixed and _is_time_error(err) and self._correct_clock(err):
                skew_fixed = True
                delay: float | None = 0.0
            else:
                delay = retry_delay(op, err.statusCode, attempt)
            if delay is None:
                raise err
            attempt += 1
            prepared.headers["x-cos-sdk-retry"] = True
            if delay:
                await self._sleep(delay)

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

    def _correct_clock(self, err: CosError) -> bool:
        """Take the server's Date as the signing clock if ours is off by 30 s or more."""
        if not self.options["CorrectClockSkew"]:
            return False
        server = err.headers.get("date") or (err.extra.get("error") or {}).get("ServerTime")
        server_ms = _http_date_ms(server) if server else None
        if server_ms is None:
            return False
        now_ms = self._clock() * 1000
        if abs(now_ms + self.options["SystemClockOffset"] - server_ms) < 30000:
            return False
        self.options["SystemClockOffset"] = server_ms - now_ms
        return True

    # ------------------------------------------------------------ credentials

    def _now(self) -> float:
        return self._clock() + self.options["SystemClockOffset"] / 1000.0

    async def _authorize(self, p: dict[str, Any]) -> dict[str, Any]:
        """getAuthorizationAsync: an Authorization (and token) for one request."""
        force = p.get("ForceSignHost", self.options["ForceSignHost"]) is not False
        headers = sign_headers(p["Headers"], p.get("SignHost") or "", force)
        key = p.get("Key") or ""
        pathname = "/" + key
        scope = p["Scope"]
        opts = self.options
        sts = self._cached_sts(scope)
        if sts is not None and float(sts["ExpiredTime"]) - self._now() > 60:
            return self._sign_with_tmp(sts, p, headers, pathname, force)
        if opts["getAuthorization"] is not None:
            answer = await _js.call_with_callback(
                opts["getAuthorization"],
                {
                    "Bucket": p["Bucket"],
                    "Region": p["Region"],
                    "Method": p["Method"],
                    "Key": key,
                    "Pathname": pathname,
                    "Query": p["Query"],
                    "Headers": headers,
                    "Scope": scope,
                    "SystemClockOffset": opts["SystemClockOffset"],
                    "ForceSignHost": force,
                },
            )
            if isinstance(answer, str):
                answer = {"Authorization": answer}
            if not isinstance(answer, Mapping):
                raise _credentials_error("getAuthorization callback params format error")
            answer = dict(answer)
            if not answer.get("Authorization"):
                answer.setdefault("TmpSecretId", answer.get("SecretId"))
                answer.setdefault("TmpSecretKey", answer.get("SecretKey"))
            problem = _check_auth_answer(answer)
            if problem:
                raise _credentials_error(problem)
            if answer.get("Authorization"):
                return {
                    "Authorization": answer["Authorization"],
                    "SecurityToken": answer.get("SecurityToken") or answer.get("XCosSecurityToken") or "",
                }
            answer["Scope"] = scope
            answer["ScopeKey"] = _scope_key(scope)
            self._sts_cache.append(answer)
            return self._sign_with_tmp(answer, p, headers, pathname, force)
        if opts["getSTS"] is not None:
            sts = await self._fetch_sts(p["Bucket"], p["Region"], scope)
            return self._sign_with_tmp(sts, p, headers, pathname, force)
        return self._sign_with_keys(p, headers, pathname, force)

    def _cached_sts(self, scope: list[dict[str, Any]]) -> dict[str, Any] | None:
        compare = round(self._now()) + 30
        scope_key: str | None = None
        for i in range(len(self._sts_cache) - 1, -1, -1):
            entry = self._sts_cache[i]
            start = entry.get("StartTime")
            if (start and compare < int(start)) or compare >= int(entry["ExpiredTime"]):
                del self._sts_cache[i]
                continue
            if not entry.get("ScopeLimit"):
                return entry
            scope_key = scope_key or _scope_key(scope)
            if entry.get("ScopeKey") == scope_key:
                return entry
        return None

    async def _fetch_sts(self, bucket: str, region: str, scope: list[dict[str, Any]]) -> dict[str, Any]:
        """Ask getSTS for temporary keys; concurrent requests share one call."""
        if self._sts_pending is not None:
            return await asyncio.shield(self._sts_pending)
        loop = asyncio.get_running_loop()
        self._sts_pending = fut = loop.create_future()
        try:
            answer = await _js.call_with_callback(self.options["getSTS"], {"Bucket": bucket, "Region": region})
            sts = dict(answer) if isinstance(answer, Mapping) else {}
            sts["Scope"] = scope
            sts["ScopeKey"] = _scope_key(scope)
            sts.setdefault("TmpSecretId", sts.get("SecretId"))
            sts.setdefault("TmpSecretKey", sts.get("SecretKey"))
            problem = _check_auth_answer({k: v for k, v in sts.items() if k != "Authorization"})
            if problem:
                raise _credentials_error(problem.replace("getAuthorization", "getSTS"))
            self._sts_cache.append(sts)
            fut.set_result(sts)
            return sts
        except BaseException as exc:
            if not fut.done():
                fut.set_exception(exc)
                fut.exception()  # mark retrieved
            raise
        finally:
            self._sts_pending = None

    def _sign_with_tmp(
        self, sts: Mapping[str, Any], p: Mapping[str, Any], headers: dict[str, Any], pathname: str, force: bool
    ) -> dict[str, Any]:
        authorization = self._sign(sts["TmpSecretId"], sts["TmpSecretKey"], sts.get("StartTime"),
                                   sts.get("ExpiredTime"), p, headers, pathname, force)  # fmt: skip
        return {
            "Authorization": authorization,
            "SecurityToken": sts.get("SecurityToken") or sts.get("XCosSecurityToken") or "",
        }

    def _sign_with_keys(
        self, p: Mapping[str, Any], headers: dict[str, Any], pathname: str, force: bool
    ) -> dict[str, Any]:
        opts = self.options
        secret_id = p.get("SecretId") or opts["SecretId"]
        secret_key = p.get("SecretKey") or opts["SecretKey"]
        if not secret_id and not secret_key:
            return {}  # no credentials configured: an anonymous request
        if not secret_id:
            raise invalid_parameter("SecretId", "missing param SecretId")
        if not secret_key:
            raise invalid_parameter("SecretKey", "missing param SecretKey")
        authorization = self._sign(secret_id, secret_key, opts["StartTime"], opts["ExpiredTime"],
                                   p, headers, pathname, force)  # fmt: skip
        return {"Authorization": authorization, "SecurityToken": opts["SecurityToken"] or ""}

    def _sign(
        self, secret_id: str, secret_key: str, start: Any, expired: Any,
        p: Mapping[str, Any], headers: dict[str, Any], pathname: str, force: bool,
    ) -> str:  # fmt: skip
        """One request's Authorization with these keys; a key's StartTime (and Expires or the
        keys' ExpiredTime) fixes the KeyTime window, as the JS SDK does."""
        key_time = None
        if start and p.get("Expires"):
            key_time = f"{int(start)};{int(start) + int(float(p['Expires']))}"
        elif start and expired:
            key_time = f"{int(start)};{int(expired)}"
        return build_authorization(
            SecretId=secret_id,
            SecretKey=secret_key,
            Method=p["Method"],
            Pathname=pathname,
            Query=p["Query"],
            Headers=headers,
            Expires=p.get("Expires"),
            KeyTime=key_time,
            UseRawKey=self.options["UseRawKey"],
            SystemClockOffset=self.options["SystemClockOffset"],
            ForceSignHost=force,
            now=self._clock(),
        )

    # ------------------------------------------------------------ tools

    @staticmethod
    def get_authorization(options: Mapping[str, Any] | None = None, /, **kwargs: Any) -> str:
        """``COS.getAuthorization``: the Authorization for the given keys and request."""
        opts = dict(_js.to_py(options) or {})
        opts.update(kwargs)
        for alias, name in (
            ("method", "Method"),
            ("params", "Query"),
            ("headers", "Headers"),
            ("pathname", "Pathname"),
            ("expires", "Expires"),
        ):
            if alias in opts and opts.get(name) is None:
                opts[name] = opts.pop(alias)
        try:
            return build_authorization(**opts)
        except ValueError as exc:
            raise invalid_parameter(str(exc).split()[-1], str(exc)) from None

    getAuthorization = get_authorization

    def get_auth(self, options: Mapping[str, Any] | None = None, /, **kwargs: Any) -> str:
        """``cos.getAuth``: getAuthorization with the instance's SecretId/SecretKey."""
        params = dict(_js.to_py(options) or {})
        params.update(kwargs)
        key = params.get("Key") or ""
        if not self.options["UseRawKey"] and key.startswith("/"):
            key = key[1:]
        return self.get_authorization(
            SecretId=params.get("SecretId") or self.options["SecretId"],
            SecretKey=params.get("SecretKey") or self.options["SecretKey"],
            Bucket=params.get("Bucket"),
            Region=params.get("Region"),
            Method=params.get("Method"),
            Key=key,
            Query=params.get("Query"),
            Headers=params.get("Headers"),
            Expires=params.get("Expires"),
            KeyTime=params.get("KeyTime"),
            UseRawKey=self.options["UseRawKey"],
            SystemClockOffset=self.options["SystemClockOffset"],
            now=self._clock(),
        )

    getAuth = get_auth

    def get_object_url(self, *args: Any, **kwargs: Any) -> ObjectUrl:
        """``cos.getObjectUrl``: the object's URL, signed (default) or not (``Sign=False``).

        Returns at once the URL the JS SDK returns (signed if SecretId/SecretKey
        allow it); ``await`` the result (or pass a callback) for ``{"Url": ...}``
        signed through whichever credentials the client has.
        """
        params, callback = self._split_args(args, kwargs)
        key = params.get("Key") or ""
        if not self.options["UseRawKey"] and key.startswith("/"):
            key = params["Key"] = key[1:]
        check_bucket_region(params, self.options, need=False)
        url = get_url(
            bucket=params.get("Bucket") or "",
            region=params.get("Region") or "",
            key=key,
            domain=params.get("Domain") or self.options["Domain"],
            protocol=params.get("Protocol") or self.options["Protocol"],
        )
        query_str = obj2str(params["Query"]) if params.get("Query") else ""
        if params.get("QueryString"):
            query_str += ("&" if query_str else "") + params["QueryString"]
        sign = params.get("Sign")
        if sign is not None and not sign:
            plain = url + ("?" + query_str if query_str else "")
            result = ObjectUrl(plain)
            result._result = lambda: _ready({"Url": plain})
            if callback is not None:
                _js.call_user(callback, None, {"Url": plain})
            return result
        auth_params = {
            "Bucket": params.get("Bucket") or "",
            "Region": params.get("Region") or "",
            "Method": params.get("Method") or "get",
            "Key": key,
            "Pathname": "/" + key,
            "Expires": params.get("Expires"),
            "Headers": params.get("Headers") or {},
            "Query": params.get("Query") or {},
            "SignHost": url_host(url),
            "ForceSignHost": False if params.get("ForceSignHost") is False else self.options["ForceSignHost"],
            "Scope": [
                {
                    "action": "name/cos:PutObject"
                    if (params.get("Method") or "").upper() == "PUT"
                    else "name/cos:GetObject",
                    "bucket": params.get("Bucket") or "",
                    "region": params.get("Region") or "",
                    "prefix": key,
                }
            ],
        }
        sync_url = url
        opts = self.options
        if opts["getAuthorization"] is None and opts["getSTS"] is None and (opts["SecretId"] or opts["SecretKey"]):
            force = auth_params["ForceSignHost"] is not False
            auth = self._sign_with_keys(
                auth_params, sign_headers(auth_params["Headers"], auth_params["SignHost"], force), "/" + key, force
            )
            sync_url += "?" + auth["Authorization"]
            if auth.get("SecurityToken"):
                sync_url += "&x-cos-security-token=" + auth["SecurityToken"]
            if query_str:
                sync_url += "&" + query_str
        elif query_str:
            sync_url += "?" + query_str
        result = ObjectUrl(sync_url)

        async def signed() -> dict[str, Any]:
            auth = await self._authorize(auth_params)
            signed_url = url
            authorization = auth.get("Authorization") or ""
            if "q-signature" in authorization:
                signed_url += "?" + _encode_param_list(authorization)
            else:
                signed_url += "?sign=" + _encode_uri(authorization)
            if auth.get("SecurityToken"):
                signed_url += "&x-cos-security-token=" + auth["SecurityToken"]
            if query_str:
                signed_url += "&" + query_str
            return {"Url": signed_url}

        async def run() -> dict[str, Any] | None:
            return await _deliver(signed(), callback)

        result._result = run
        if callback is not None:
            try:
                result._result = asyncio.get_running_loop().create_task(run())
            except RuntimeError:
                pass  # no event loop: the callback runs when the result is awaited
        return result

    getObjectUrl = get_object_url


def _encode_uri(value: str) -> str:
    from .urls import encode_uri_component

    return encode_uri_component(value)


def _encode_param_list(authorization: str) -> str:
    """The JS SDK re-encodes q-url-param-list (lower-case) in signed URLs."""
    start = authorization.find("q-url-param-list=")
    if start < 0:
        return authorization
    end = authorization.find("&", start)
    if end < 0:
        return authorization
    value = authorization[start + len("q-url-param-list=") : end]
    return authorization[:start] + "q-url-param-list=" + _encode_uri(value).lower() + authorization[end:]


async def _ready(value: Any) -> Any:
    return value


async def _js_text(body: Any) -> str:
    """Text of a JS Blob / ArrayBuffer error body."""
    try:
        if hasattr(body, "text"):
            return await body.text()
        return bytes(body.to_bytes()).decode("utf-8", "replace")
    except Exception:
        return ""


def _scope_key(scope: list[dict[str, Any]]) -> str:
    import hashlib

    return hashlib.md5(json.dumps(scope, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


def _make_method(op: Op) -> Callable[..., Any]:
    def method(self: COS, *args: Any, **kwargs: Any) -> Any:
        return self._call(op, args, kwargs)

    method.__name__ = op.snake
    method.__qualname__ = f"COS.{op.snake}"
    method.__doc__ = (
        f"``cos.{op.name}`` ({op.method}{' ?' + op.subresource if op.subresource else ''}): "
        "params as keyword arguments or one dict, optional callback(err, data) last; "
        "returns an awaitable of the result data (raises CosError)."
    )
    return method


for _name in _UPLOAD_ATTRS:
    setattr(COS, _name, _FromTasks(_name))
del _name

for _op in OPERATIONS.values():
    _m = _make_method(_op)
    setattr(COS, _op.snake, _m)
    setattr(COS, _op.name, _m)
del _op, _m
