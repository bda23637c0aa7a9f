"""The COS client: ``COS``, mirroring ``new COS({...})`` of cos-js-sdk-v5.

What this module does, and nothing more:

- options (:mod:`options`): the JS SDK's defaults, clamped as it clamps them; a JS
  option cos_web cannot honour is refused, an option neither SDK knows warned about;
- the calling convention: params as keywords or one dict, an optional
  ``callback(err, data)``; a call returns an awaitable (a task, started at once);
- the methods, generated from the operations table (:mod:`operations`), each a call
  through the request pipeline (:mod:`pipeline`), which owns signing
  (:mod:`credentials`), retries and the transport;
- the upload methods, delegating to the uploads component (:mod:`uploads`) the
  client owns, made (and imported) on first use;
- the tools: ``getAuthorization``, ``getAuth``, ``getObjectUrl``.
"""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from . import _fastpath, _js
from .auth import build_authorization
from .credentials import Credentials
from .errors import CosError, invalid_parameter
from .events import Emitter
from .operations import OPERATIONS, Op
from .options import DEFAULT_OPTIONS, checked_options
from .params import check_bucket_region
from .pipeline import Pipeline
from .transport import Transport
from .transport_choice import make_transport
from .urls import get_url, obj2str, url_host
from .version import VERSION

__all__ = ["COS", "ObjectUrl", "DEFAULT_OPTIONS"]


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


class _LazyModule:
    """A class attribute that is a cos_web submodule, imported on first access."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        import importlib

        return importlib.import_module(f"{__package__}.{self.name}")


class COS:
    """A COS client, mirroring ``new COS({...})`` of cos-js-sdk-v5."""

    #: ``COS.version``: cos_web's version (the JS SDK's is its package version).
    version = VERSION
    #: ``COS.util``: md5, xml2json, json2xml, encodeBase64 / encode_base64 (:mod:`cos_web.util`,
    #: imported on first access: it needs hashlib and base64, which a page's calls may never use).
    util = _LazyModule("util")

    def __init__(
        self,
        options: Mapping[str, Any] | None = None,
        /,
        *,
        transport: Transport | str | None = None,
        clock: Callable[[], float] | None = None,
        **kwargs: Any,
    ) -> None:
        given = dict(_js.to_py(options) or {})
        given.update(kwargs)
        self.options = checked_options(given)
        self._credentials = Credentials(self.options, clock or time.time)
        self._pipeline = Pipeline(
            self.options, self._credentials, make_transport(transport if transport is not None else self.options["Transport"])
        )
        self._events = Emitter()
        self._uploads: Any = None  # the uploads component (cos_web.uploads.Uploads), made on first use

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
        return self._start(lambda: self._pipeline.send(op, params), callback)

    def _start(self, send: Callable[[], Awaitable[Any]], callback: Any) -> Any:
        coro = self._run(send, callback)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return coro  # no loop yet: the caller runs it (asyncio.run(...))
        return _fastpath.start_call(loop, coro)

    async def _run(self, send: Callable[[], Awaitable[Any]], callback: Any) -> Any:
        try:
            return await _js.deliver(send(), callback)
        finally:
            _fastpath.call_ending()

    def request(self, *args: Any, **kwargs: Any) -> Any:
        """``cos.request``: a signed request of any method, for calls with no method of their own.

        Params as the JS SDK's (Method, Bucket, Region, Key, Url, Action, Query,
        Headers, Body, RawBody, DataType; see :mod:`cos_web.generic`); returns an
        awaitable of the parsed body's fields with statusCode and headers.
        """
        params, callback = self._split_args(args, kwargs)
        from .generic import send_request  # on first use, not with the client

        return self._start(lambda: send_request(self._pipeline, params), callback)

    # ------------------------------------------------------------ uploads (cos_web.uploads)

    def _upload_component(self) -> Any:
        if self._uploads is None:
            from .uploads import Uploads  # the upload modules load on first use, not with the client

            self._uploads = Uploads(self._pipeline, self.options, self._events)
        return self._uploads

    def slice_upload_file(self, *args: Any, **kwargs: Any) -> Any:
        """``cos.sliceUploadFile``: a multipart upload of a File/Blob, as a task.

        Params as the seed (Bucket, Region, Key, Body, SliceSize or ChunkSize,
        AsyncLimit, StorageClass, Headers, TaskReady / onTaskReady, onHashProgress,
        onProgress, ...) and an optional callback(err, data). Returns an awaitable
        of the result data (Location, Bucket, Key, ETag, UploadId, statusCode,
        headers, ...) whose ``taskId`` names the task for pause/restart/cancel.
        """
        params, callback = self._split_args(args, kwargs)
        return self._upload_component().call("sliceUploadFile", params, callback)

    def upload_file(self, *args: Any, **kwargs: Any) -> Any:
        """``cos.uploadFile``: putObject up to ``SliceSize`` bytes, sliceUploadFile above; the same task handling."""
        params, callback = self._split_args(args, kwargs)
        return self._upload_component().call("uploadFile", params, callback)

    def cancel_task(self, task_id: str) -> Any:
        """``cos.cancelTask``: stop the task and abort its multipart upload on the server.

        Returns an awaitable that ends once the requests are aborted and the
        upload is gone (multipartAbort); JS-style callers may ignore it.
        """
        return self._upload_component().queue.cancel(str(task_id))

    def pause_task(self, task_id: str) -> Any:
        """``cos.pauseTask``: stop starting parts and abort those in flight; awaitable ends when stopped."""
        return self._upload_component().queue.pause(str(task_id))

    def restart_task(self, task_id: str) -> Any:
        """``cos.restartTask``: a paused or failed task goes on from the parts on the server.

        Returns an awaitable of the task's result.
        """
        return self._upload_component().queue.restart(str(task_id))

    def get_task_list(self) -> list[dict[str, Any]]:
        """``cos.getTaskList``: every task as plain data (id, state, loaded, size, percent, ...)."""
        return self._uploads.queue.task_list() if self._uploads is not None else []

    def get_task(self, task_id: str) -> dict[str, Any] | None:
        """One task as plain data, or None."""
        return self._uploads.queue.task_dict(str(task_id)) if self._uploads is not None else None

    def is_upload_running(self) -> bool:
        """``cos.isUploadRunning``: some task is running or waiting."""
        return self._uploads is not None and self._uploads.queue.is_running()

    # events: task-list-update / list-update ------------------------------------

    def on(self, event: str, fn: Any) -> None:
        """``cos.on("task-list-update", fn)``: fn({"list": [task, ...]}) when tasks change."""
        self._events.on(event, fn)

    def off(self, event: str, fn: Any = None) -> None:
        """``cos.off(event, fn)``: stop calling fn (every listener of the event without fn)."""
        self._events.off(event, fn)

    def emit(self, event: str, data: Any = None) -> None:
        """``cos.emit(event, data)``: call the event's listeners."""
        self._events.emit(event, data)

    def put_object(self, *args: Any, **kwargs: Any) -> Any:
        """``cos.putObject``: one PUT of the Body, as a task (as the JS SDK does).

        The task is queued with the uploads (``FileParallelLimit``), named to
        ``onTaskReady`` / ``TaskReady``, listed by ``getTaskList`` and can be
        paused, restarted or cancelled; the result (``await``, or the callback) is
        putObject's data. ``SkipTask=True`` sends it at once, outside the queue.
        """
        params, callback = self._split_args(args, kwargs)
        if params.pop("SkipTask", False):
            return self._start(lambda: self._pipeline.send(OPERATIONS["putObject"], params), callback)
        return self._upload_component().call("putObject", params, callback)

    def abort_upload_task(self, *args: Any, **kwargs: Any) -> Any:
        """``cos.abortUploadTask``: abort multipart uploads on the server (:mod:`cos_web.abort`).

        ``Level`` ``task`` (Key + UploadId, the default), ``file`` (every upload of Key)
        or ``bucket`` (every upload); ``AsyncLimit`` aborts at a time. Returns an
        awaitable of ``{"successList": [...], "errorList": [...]}``.
        """
        params, callback = self._split_args(args, kwargs)
        from .abort import abort_upload_task  # on first use, not with the client

        return self._start(lambda: abort_upload_task(self._pipeline, params), callback)

    def slice_copy_file(self, *args: Any, **kwargs: Any) -> Any:
        """``cos.sliceCopyFile``: a server-side copy of any size (:mod:`cos_web.slice_copy`).

        Params: Bucket, Region, Key, CopySource, CopySliceSize, CopyChunkSize, Headers /
        header params, onProgress. One putObjectCopy up to CopySliceSize, else a
        multipart copy (CopyChunkParallelLimit part copies at a time). Returns an
        awaitable of the result data; cancelling it aborts the copy.
        """
        params, callback = self._split_args(args, kwargs)
        from .slice_copy import slice_copy_file  # on first use, not with the client

        return self._start(lambda: slice_copy_file(self._pipeline, params), callback)

    def upload_files(self, *args: Any, **kwargs: Any) -> Any:
        """``cos.uploadFiles``: many files, each as ``uploadFile`` (a task), FileParallelLimit at a time.

        Params: files (each uploadFile's params, with its own onProgress / onFileFinish /
        onTaskReady), SliceSize, onProgress (all files), onFileFinish(err, data, options).
        Returns an awaitable of ``{"files": [{"options", "error", "data"}, ...]}``.
        """
        params, callback = self._split_args(args, kwargs)
        from .uploads.files import upload_files  # on first use, not with the client

        return upload_files(self._upload_component(), params, callback)

    sliceUploadFile = slice_upload_file
    sliceCopyFile = slice_copy_file
    uploadFiles = upload_files
    putObject = put_object
    abortUploadTask = abort_upload_task
    uploadFile = upload_file
    cancelTask = cancel_task
    pauseTask = pause_task
    restartTask = restart_task
    getTaskList = get_task_list
    isUploadRunning = is_upload_running

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
            now=self._credentials.clock(),
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
        accelerate = params.get("UseAccelerate")
        if accelerate is None:
            accelerate = self.options["UseAccelerate"]
        url = get_url(
            bucket=params.get("Bucket") or "",
            region="accelerate" if accelerate else params.get("Region") or "",
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
            auth = self._credentials.sign_now(auth_params)
            sync_url += "?" + auth["Authorization"]
            if auth.get("SecurityToken"):
                sync_url += "&x-cos-security-token=" + auth["SecurityToken"]
            if query_str:
                sync_url += "&" + query_str
        elif query_str:
            sync_url += "?" + query_str
        result = ObjectUrl(sync_url)

        async def signed() -> dict[str, Any]:
            auth = await self._credentials.authorize(auth_params)
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
            return await _js.deliver(signed(), callback)

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


def _make_old_name(op: Op, old: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """The JS SDK's deprecated name of a method: the same call, with a warning the first time."""

    def deprecated(self: COS, *args: Any, **kwargs: Any) -> Any:
        if old not in _WARNED:
            _WARNED.add(old)
            warnings.warn(f"cos.{old} has been deprecated. Please Use cos.{op.name} instead.",
                          DeprecationWarning, stacklevel=2)
        return method(self, *args, **kwargs)

    deprecated.__name__ = deprecated.__qualname__ = old
    deprecated.__doc__ = f"Deprecated: ``cos.{op.name}``."
    return deprecated


_WARNED: set[str] = set()
for _op in OPERATIONS.values():
    if _op.name == "putObject":
        continue  # a task (COS.put_object above), as in the JS SDK
    _m = _make_method(_op)
    setattr(COS, _op.snake, _m)
    setattr(COS, _op.name, _m)
    for _old in _op.old_names:
        setattr(COS, _old, _make_old_name(_op, _old, _m))
del _op, _m
