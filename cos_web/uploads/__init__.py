"""Uploads as a component of a client: ``sliceUploadFile`` / ``uploadFile`` and their tasks.

- :mod:`.task`: one task as plain data (what ``getTaskList`` shows);
- :mod:`.run`: one file's run (a putObject, or find-or-init, parts, complete);
- :mod:`.queue`: the queue (FileParallelLimit, pause / restart / cancel, events).

:class:`Uploads` is what a ``COS`` owns (made on first use of an upload method): it
checks a call's params, classifies its ``Body`` once (:func:`cos_web.upload.make_source`)
and queues the task. Requests go through the client's pipeline only.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from .. import _fastpath, _js
from ..errors import CosError, invalid_parameter
from ..events import Emitter
from ..operations import OPERATIONS
from ..params import check
from ..pipeline import Pipeline
from ..upload import make_source
from .queue import TaskQueue
from .run import TASK_ONLY
from .task import TASK_STATES, UploadCall, UploadTask

__all__ = ["Uploads", "UploadTask", "UploadCall", "TaskQueue", "TASK_STATES"]

_CALLBACK_PARAMS = ("onProgress", "onHashProgress", "TaskReady", "onTaskReady", "onTaskStart", "onFileFinish")


class Uploads:
    """A client's uploads: makes tasks from calls and hands them to its queue."""

    def __init__(self, pipeline: Pipeline, options: dict[str, Any], events: Emitter) -> None:
        self.options = options
        self.queue = TaskQueue(pipeline, events)

    def call(self, api: str, params: dict[str, Any], callback: Any) -> Any:
        """``sliceUploadFile`` / ``uploadFile`` with split params: an :class:`UploadCall`
        (or, outside an event loop, a coroutine giving one's result)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:

            async def later() -> Any:
                return await self._add(api, params, callback, asyncio.get_running_loop())

            return later()  # no loop yet: the caller runs it (asyncio.run(...))
        return self._add(api, params, callback, loop)

    def _add(self, api: str, params: dict[str, Any], callback: Any, loop: asyncio.AbstractEventLoop,
             threshold: int | None = None) -> UploadCall:  # fmt: skip
        """Queue one call's task; ``threshold``: uploadFiles' batch SliceSize (simple or slice only)."""
        future = _fastpath.outcome_future(loop)  # its awaiters woken as a call's (see _fastpath)
        try:
            task = self._make_task(api, params, callback, threshold)
        except CosError as err:
            if callback is not None:
                _js.call_user(callback, err, None)
                future.set_result(None)
            else:
                future.set_exception(err)
            return UploadCall(None, future)
        for name in ("onTaskReady", "TaskReady"):
            fn = params.get(name)
            if fn is not None:
                _js.call_user(fn, task.id)
        self.queue.add(task, future)
        return UploadCall(task.id, future)

    def _make_task(self, api: str, params: dict[str, Any], callback: Any, threshold: int | None = None) -> UploadTask:
        """Check everything before any request; the task, not yet queued."""
        params = dict(params)
        for name in _CALLBACK_PARAMS:
            if params.get(name) is not None and not callable(params[name]):
                raise invalid_parameter(name, "must be a function")
        if callback is not None and not callable(callback):
            raise invalid_parameter("callback", "must be a function")
        source = make_source(params.get("Body"))  # the one classification of the Body
        for name in ("SliceSize", "ChunkSize", "AsyncLimit"):
            value = params.get(name)
            if value is not None and value != "":
                params[name] = _positive(name, value)
        if api == "uploadFile":
            if threshold is not None:
                threshold = _positive("SliceSize", threshold)
            else:
                threshold = params.get("SliceSize") or self.options["SliceSize"]
            kind = "sliceUploadFile" if source.size > int(threshold) else "putObject"
            # a call's own SliceSize stays: as in cos-js-sdk-v5 (sliceUploadFile's ChunkSize ||
            # SliceSize), it is also the part size when no ChunkSize is given
        elif api == "putObject":
            kind = "putObject"  # cos.putObject: one PUT, as a task
        else:
            kind = "sliceUploadFile"
        op = OPERATIONS["putObject" if kind == "putObject" else "multipartInit"]
        request = {k: v for k, v in params.items() if k not in TASK_ONLY}
        if kind == "putObject":
            request["Body"] = source.body() if source.size else ""
        checked = check(op, request, self.options)
        params["Key"] = checked["Key"]
        task_id = str(uuid.uuid4())
        params["TaskId"] = task_id
        return UploadTask.new(task_id, kind, params, callback, source)


def _positive(name: str, value: Any) -> int:
    """A size or count param as an int, or InvalidParameter before anything is sent."""
    try:
        number = int(value)
        if number <= 0:
            raise ValueError
    except (TypeError, ValueError):
        raise invalid_parameter(name, f"must be a positive number, got {value!r}") from None
    return number
