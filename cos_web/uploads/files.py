"""``cos.uploadFiles``: many files at once, each an ``uploadFile`` task, as cos-js-sdk-v5 1.10.1.

As src/advance.js ``uploadFiles``: every file of ``files`` becomes a task of the
client's queue (so ``FileParallelLimit`` of them run at once, and each is listed by
``getTaskList`` and can be paused, restarted or cancelled), a putObject up to the
call's ``SliceSize`` (or the option) and a sliceUploadFile above, made by the same
:meth:`Uploads._add` as ``uploadFile``. Per file: its own ``onTaskReady``,
``onProgress`` and ``onFileFinish(err, data)``; for the call: ``onProgress`` over all
files (``{loaded, total, speed, percent}``, throttled, reported at once when a file
ends) and ``onFileFinish(err, data, options)`` (``options``: the file's plain params,
``Index`` (a string, ``"0"``, as the JS SDK's) and ``TaskId``). The result (callback or ``await``) is
``{"files": [{"options", "error", "data"}, ...]}`` in the order of ``files``; a file
that failed has its ``error`` there, it does not fail the call.

Where the JS SDK is silent or stuck: an empty ``files`` gives ``{"files": []}`` at
once, and a file whose task is cancelled (``cancelTask``) ends with a ``Canceled``
error in its entry and in ``onFileFinish`` (the JS SDK never calls back in either
case); a ``files`` that is not a list is an InvalidParameter error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import _js
from ..errors import CosError, invalid_parameter
from ..progress import ProgressThrottle

if TYPE_CHECKING:
    from . import Uploads

__all__ = ["upload_files"]


def upload_files(uploads: Uploads, params: Mapping[str, Any], callback: Any) -> Any:
    """Queue every file; an awaitable of the call's result (a coroutine outside an event loop)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:

        async def later() -> Any:
            return await _start(uploads, params, callback, asyncio.get_running_loop())

        return later()
    return _start(uploads, params, callback, loop)


def _start(uploads: Uploads, params: Mapping[str, Any], callback: Any, loop: asyncio.AbstractEventLoop) -> Any:
    outcome: asyncio.Future[Any] = loop.create_future()
    try:
        files = _check(params, callback)
    except CosError as err:
        if callback is None:
            outcome.set_exception(err)
        else:
            _js.call_user(callback, err, None)
            outcome.set_result(None)
        return outcome
    options = uploads.options
    threshold = params.get("SliceSize")
    if threshold is None:
        threshold = options["SliceSize"]
    results: list[Any] = [None] * len(files)
    left = [len(files)]
    totals = {"size": 0, "done": 0}
    total_progress = ProgressThrottle(0, _user(params.get("onProgress")), options["ProgressInterval"])
    on_total_finish = params.get("onFileFinish")

    seen: set[int] = set()

    def finished(index: int, info: dict[str, Any], err: Any, data: Any) -> None:
        total_progress.update(immediately=True)
        if on_total_finish is not None:
            try:
                _js.call_user(on_total_finish, err, data, info)
            except Exception:
                pass
        results[index] = {"options": info, "error": err, "data": data}  # a restarted file's later outcome too
        if index in seen:
            return
        seen.add(index)
        left[0] -= 1
        if left[0] <= 0 and not outcome.done():
            result = {"files": results}
            if callback is not None:
                _js.call_user(callback, None, result)
            outcome.set_result(result)

    totals["size"] = sum(_size_of(given.get("Body")) for given in files)  # all known before any file starts
    for index, given in enumerate(files):
        _add_file(uploads, loop, index, dict(given), threshold, totals, total_progress, finished)
    if not files:
        result = {"files": []}
        if callback is not None:
            _js.call_user(callback, None, result)
        outcome.set_result(result)
    return outcome


def _add_file(uploads: Uploads, loop: asyncio.AbstractEventLoop, index: int, file: dict[str, Any], threshold: Any,
              totals: dict[str, int], total_progress: ProgressThrottle, finished: Any) -> None:  # fmt: skip
    """One file as an uploadFile task, its callbacks wrapped to feed the call's totals."""
    key = file.get("Key")
    if isinstance(key, str) and key.startswith("/") and not uploads.options.get("UseRawKey"):
        file["Key"] = key[1:]
    info: dict[str, Any] = {"Index": str(index), "TaskId": ""}  # a string, as the JS SDK's (util.each's key)
    info.update({k: v for k, v in file.items() if isinstance(v, (str, int, float, bool))})
    user_ready, user_progress, user_finish = file.get("onTaskReady"), file.get("onProgress"), file.get("onFileFinish")
    for name, fn in (("onTaskReady", user_ready), ("onProgress", user_progress), ("onFileFinish", user_finish)):
        if fn is not None and not callable(fn):
            finished(index, info, invalid_parameter(name, "must be a function"), None)
            return
    sent = [0]

    def on_ready(task_id: str) -> None:
        info["TaskId"] = task_id
        if user_ready is not None:
            _js.call_user(user_ready, task_id)

    def on_progress(progress: dict[str, Any]) -> None:
        totals["done"] += int(progress.get("loaded") or 0) - sent[0]
        sent[0] = int(progress.get("loaded") or 0)
        if user_progress is not None:
            _js.call_user(user_progress, progress)
        total_progress.update(totals["done"], totals["size"])

    def on_finish(err: Any, data: Any) -> None:
        if user_finish is not None:
            try:
                _js.call_user(user_finish, err, data)
            except Exception:
                pass
        finished(index, info, err, data)

    file.update(onTaskReady=on_ready, onProgress=on_progress)
    file.pop("onFileFinish", None)  # this file's is called by on_finish, with (err, data) as the JS SDK
    # the batch's SliceSize picks simple or slice only; a file's own SliceSize is its part size (JS SDK)
    call = uploads._add("uploadFile", file, on_finish, loop, threshold=threshold)
    # cancelTask drops a task's callback (as the JS SDK's): the file then ends here, as Canceled, so
    # the call still completes (the JS SDK's uploadFiles would never call back)
    call._future.add_done_callback(lambda _: finished(index, info, _canceled(), None) if call.taskId and
                                   uploads.queue.tasks.get(call.taskId) is not None and
                                   uploads.queue.tasks[call.taskId].state == "canceled" else None)


def _canceled() -> CosError:
    return CosError("task canceled", code="Canceled")


def _check(params: Mapping[str, Any], callback: Any) -> list[Mapping[str, Any]]:
    if callback is not None and not callable(callback):
        raise invalid_parameter("callback", "must be a function")
    for name in ("onProgress", "onFileFinish"):
        if params.get(name) is not None and not callable(params[name]):
            raise invalid_parameter(name, "must be a function")
    files = _js.to_py(params.get("files"))
    if not isinstance(files, (list, tuple)):
        raise invalid_parameter("files", "must be a list of uploadFile params")
    for i, item in enumerate(files):
        if not isinstance(item, Mapping):
            raise invalid_parameter("files", f"item {i} must be a dict of uploadFile params")
    return list(files)


def _size_of(body: Any) -> int:
    """``Body.size || Body.length || 0`` of the JS SDK (a str counts its UTF-8 bytes, as it is sent)."""
    if isinstance(body, str):
        return len(body.encode("utf-8", "surrogatepass"))
    if isinstance(body, (bytes, bytearray, memoryview)):
        return len(body)
    for name in ("size", "byteLength", "length"):
        value = getattr(body, name, None)
        if isinstance(value, (int, float)):
            return int(value)
    return 0


def _user(fn: Any) -> Any:
    return None if fn is None else (lambda info: _js.call_user(fn, info))
