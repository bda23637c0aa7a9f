"""Upload tasks: ``sliceUploadFile``, ``uploadFile`` and ``cancelTask`` / ``pauseTask`` / ``restartTask``.

One :class:`UploadTask` per file is plain data a page can read
(``cos.get_task_list()``, ``cos.on("task-list-update", fn)``):

    id, Bucket, Region, Key, state, loaded, size, speed, percent, hashPercent, error, UploadId

``state`` moves ``waiting -> checking -> uploading -> success | error``; ``pauseTask``
turns waiting/checking/uploading into ``paused``, ``restartTask`` turns paused/error
back into ``waiting``, ``cancelTask`` makes any unfinished task ``canceled``.

The :class:`TaskQueue` of a client starts at most ``FileParallelLimit`` tasks at a
time, in order. A running task is one asyncio task (its *runner*): stopping it
(pause, cancel) is cancelling that runner, which cancels the part requests in
flight, whose transports abort their XHR/fetch: the one bridge between task
control and the network.

A slice upload (:meth:`TaskQueue._run_slice`) finds or creates the multipart upload
(resume: the server's listing is the state, so it works after a reload and in a
Web Worker), then ``AsyncLimit`` / ``ChunkParallelLimit`` workers pull parts from
one shared iterator; each part retries per :func:`upload.part_retry_delay`;
progress is derived from the plan (:meth:`upload.Plan.loaded`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from . import _js
from .errors import CosError, invalid_parameter
from .operations import OPERATIONS
from .params import check
from .progress import ProgressThrottle
from .upload import Plan, make_source, match_server_parts, part_retry_delay, plan_upload, same_etag

__all__ = ["UploadTask", "TaskQueue", "UploadMixin", "UploadCall", "TASK_STATES"]

TASK_STATES = ("waiting", "checking", "uploading", "paused", "canceled", "error", "success")
_ACTIVE = frozenset({"waiting", "checking", "uploading"})
_RUNNING = frozenset({"checking", "uploading"})

# The part PUT without the client's own retries: parts retry per ChunkRetryTimes only.
_PART_OP = dataclasses.replace(OPERATIONS["multipartUpload"], idempotent=False)
_COMPLETE_OP = OPERATIONS["multipartComplete"]

# Params of a call that are not request params of multipartInit / putObject.
_TASK_ONLY = frozenset(
    {
        "Body",
        "onProgress",
        "onHashProgress",
        "TaskReady",
        "onTaskReady",
        "onTaskStart",
        "onFileFinish",
        "SliceSize",
        "ChunkSize",
        "AsyncLimit",
        "ContentLength",
        "UploadData",
        "TaskId",
        "SkipTask",
        "UploadId",
        "FilePath",
    }
)
# Part requests carry only these headers / params (SSE-C must be repeated on every part).
_PART_HEADERS = frozenset(
    {
        "x-cos-traffic-limit",
        "x-cos-mime-limit",
        "x-cos-server-side-encryption-customer-algorithm",
        "x-cos-server-side-encryption-customer-key",
        "x-cos-server-side-encryption-customer-key-md5",
    }
)
_PART_PARAMS = ("ServerSideEncryption", "SSECustomerAlgorithm", "SSECustomerKey", "SSECustomerKeyMD5", "TrafficLimit")
_COMPLETE_HEADERS = frozenset({"pic-operations", "x-cos-callback", "x-cos-callback-var", "x-cos-return-body"})
_NO_ETAG = (
    'get ETag error, please add "ETag" to CORS ExposeHeader setting.'
    "( 获取ETag失败，请在CORS ExposeHeader设置中添加ETag，请参考文档：https://cloud.tencent.com/document/product/436/13318 )"
)


def _canceled_error() -> CosError:
    return CosError("task canceled", code="Canceled")


# ---------------------------------------------------------------- the task


class UploadTask:
    """One file's upload: its params, its plan and its state (plain data)."""

    def __init__(self, task_id: str, api: str, params: dict[str, Any], callback: Any, source: Any, cos: Any) -> None:
        self.id = task_id
        self.api = api  # "sliceUploadFile" | "putObject"
        self.params: dict[str, Any] | None = params
        self.callback = callback
        self.source = source
        self.Bucket = params.get("Bucket")
        self.Region = params.get("Region")
        self.Key = params.get("Key")
        self.FilePath = params.get("FilePath") or ""
        self.state = "waiting"
        self.size = source.size
        self.loaded = 0
        self.speed = 0.0
        self.percent = 0.0
        self.hashPercent = 0.0
        self.error: CosError | None = None
        self.plan: Plan | None = None
        self.put_sent = 0  # bytes of a putObject body sent
        self.upload_id: str | None = None  # kept after the plan is freed
        self.reported = 0  # the largest loaded reported: progress never goes back
        self.runner: asyncio.Task[Any] | None = None
        self.outcome: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        opts = cos.options
        self.throttle = ProgressThrottle(self.size, self._on_progress, opts["ProgressInterval"])
        self.user_progress = params.get("onProgress")
        self.user_hash_progress = params.get("onHashProgress")
        self.on_change: Callable[[], None] = lambda: None
        self.file_finish = params.get("onFileFinish")  # uploadFile: onFileFinish(err, data, options)

    # progress, derived from the plan (or the single PUT) --------------------

    def current_loaded(self) -> int:
        return self.plan.loaded() if self.plan is not None else self.put_sent

    def progress(self) -> None:
        loaded = self.current_loaded()
        if loaded > self.reported:
            self.reported = min(loaded, self.size)
            self.throttle.update(self.reported, self.size)

    def progress_now(self, loaded: int | None = None) -> None:
        if loaded is not None:
            self.reported = max(self.reported, loaded)
        self.throttle.update(self.reported, self.size, immediately=True)

    def _on_progress(self, info: dict[str, Any]) -> None:
        if self.state not in _RUNNING:
            return
        self.loaded, self.speed, self.percent = info["loaded"], info["speed"], info["percent"]
        if self.user_progress is not None:
            _js.call_user(self.user_progress, info)
        self.on_change()

    def on_hash_progress(self, info: dict[str, Any]) -> None:
        if self.state not in _RUNNING:
            return
        self.hashPercent = info["percent"]
        if self.user_hash_progress is not None:
            _js.call_user(self.user_hash_progress, info)
        self.on_change()

    # what a page sees -------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The JS SDK's formatTask fields, plus UploadId and part counts."""
        err = self.error.to_dict() if isinstance(self.error, CosError) else self.error
        plan = self.plan
        return {
            "id": self.id,
            "Bucket": self.Bucket,
            "Region": self.Region,
            "Key": self.Key,
            "FilePath": self.FilePath,
            "state": self.state,
            "loaded": self.loaded,
            "size": self.size,
            "speed": self.speed,
            "percent": self.percent,
            "hashPercent": self.hashPercent,
            "error": err,
            "api": self.api,
            "UploadId": plan.upload_id if plan is not None else self.upload_id,
            "partCount": len(plan.parts) if plan is not None else 0,
            "partsDone": sum(1 for p in plan.parts if p.etag is not None) if plan is not None else 0,
        }


class UploadCall:
    """What ``slice_upload_file`` / ``upload_file`` return: awaitable result data, plus ``taskId``."""

    __slots__ = ("taskId", "_future")

    def __init__(self, task_id: str | None, future: asyncio.Future[Any]) -> None:
        self.taskId = task_id
        self._future = future

    @property
    def task_id(self) -> str | None:
        return self.taskId

    def done(self) -> bool:
        return self._future.done()

    def __await__(self):
        return self._future.__await__()


# ---------------------------------------------------------------- the queue


class TaskQueue:
    """A client's upload tasks: at most FileParallelLimit run at once, the rest wait in order."""

    def __init__(self, cos: Any) -> None:
        self.cos = cos
        self.tasks: dict[str, UploadTask] = {}  # insertion order = queue order
        self.running: set[str] = set()
        self.uploads_in_use: set[str] = set()  # UploadIds a task of this client holds
        self._emit_pending = False

    # queue ------------------------------------------------------------------

    def add(self, task: UploadTask) -> None:
        self.tasks[task.id] = task
        task.on_change = self.changed
        self.changed()
        self.pump()
        self._trim()

    def pump(self) -> None:
        limit = self.cos.options["FileParallelLimit"]
        for task in list(self.tasks.values()):
            if len(self.running) >= limit:
                break
            if task.state == "waiting":
                self._start(task)

    def _start(self, task: UploadTask) -> None:
        previous = task.runner
        task.state = "checking"
        task.error = None
        self.running.add(task.id)
        if task.params and task.params.get("onTaskStart") is not None:
            _js.call_user(task.params["onTaskStart"], task.to_dict())
        task.runner = asyncio.get_running_loop().create_task(self._run(task, previous))
        self.changed()

    async def _run(self, task: UploadTask, previous: asyncio.Task[Any] | None) -> None:
        if previous is not None and not previous.done():
            await asyncio.wait([previous])  # a paused run still winding down
        try:
            if task.api == "sliceUploadFile":
                data = await self._run_slice(task)
            else:
                data = await self._run_put(task)
        except asyncio.CancelledError:
            if task.state in ("paused", "canceled"):
                return  # pause/cancel stopped us; they did the bookkeeping
            raise
        except CosError as err:
            self._finish(task, err, None)
        except Exception as exc:  # a bug or a JS error: still a failed task, not a hang
            self._finish(task, CosError(f"{type(exc).__name__}: {exc}", code="ClientError"), None)
        else:
            self._finish(task, None, data)

    def _finish(self, task: UploadTask, err: CosError | None, data: dict[str, Any] | None) -> None:
        if task.state not in _RUNNING:
            return
        self.running.discard(task.id)
        plan = task.plan
        if err is not None:
            task.progress_now()
            task.state = "error"
            task.error = err
            if plan is not None and plan.upload_id:
                err.extra.setdefault("UploadId", plan.upload_id)
                self.uploads_in_use.discard(plan.upload_id)
        else:
            task.state = "success"
            task.loaded, task.percent = task.size, 1
            if plan is not None and plan.upload_id:
                self.uploads_in_use.discard(plan.upload_id)
        self.changed()
        self._settle(task, err, data)
        if err is None:
            task.upload_id = plan.upload_id if plan is not None else None
            task.params = task.source = task.plan = None  # free the File and the plan
        self.pump()
        self._trim()

    def _settle(self, task: UploadTask, err: CosError | None, data: Any) -> None:
        callback = task.callback
        if task.file_finish is not None:
            info = {k: v for k, v in (task.params or {}).items() if isinstance(v, (str, int, float, bool))}
            info.update(TaskId=task.id, Bucket=task.Bucket, Region=task.Region, Key=task.Key)
            try:
                _js.call_user(task.file_finish, err, data, info)
            except Exception:
                pass
        if task.state == "success":
            task.callback = None
        if callback is not None:
            try:
                _js.call_user(callback, err, data)
            except Exception:
                pass
        fut = task.outcome
        if not fut.done():
            if err is not None and callback is None:
                fut.set_exception(err)
                if task.file_finish is not None:
                    fut.exception()  # reported to onFileFinish: not "never retrieved"
            else:
                fut.set_result(data)

    # control ------------------------------------------------------------------

    def pause(self, task_id: str) -> asyncio.Future[Any]:
        task = self.tasks.get(task_id)
        if task is None or task.state not in _ACTIVE:
            return _done_future()
        running = task.state in _RUNNING
        task.state = "paused"
        self.changed()
        if running:
            self.running.discard(task.id)
            stopped = self._stop(task)
            self.pump()
            return stopped
        return _done_future()

    def cancel(self, task_id: str) -> asyncio.Future[Any]:
        task = self.tasks.get(task_id)
        if task is None or task.state in ("canceled", "success"):
            return _done_future()
        running = task.state in _RUNNING
        task.state = "canceled"
        self.running.discard(task.id)
        self.changed()
        stopped = self._stop(task) if running else _done_future()
        cleanup = asyncio.get_running_loop().create_task(self._abort(task, stopped))
        self.pump()
        self._trim()
        return cleanup

    def restart(self, task_id: str) -> asyncio.Future[Any]:
        task = self.tasks.get(task_id)
        if task is None or task.state not in ("paused", "error"):
            return task.outcome if task is not None else _done_future()
        if task.outcome.done():  # an error was reported: the restarted run gets a new outcome
            task.outcome = asyncio.get_running_loop().create_future()
        task.state = "waiting"
        task.error = None
        self.changed()
        self.pump()
        return task.outcome

    def _stop(self, task: UploadTask) -> asyncio.Future[Any]:
        """Cancel the task's runner (aborting its requests); the future ends when it has stopped."""
        runner = task.runner
        if runner is None or runner.done():
            return _done_future()
        runner.cancel()
        return asyncio.ensure_future(asyncio.wait([runner]))

    async def _abort(self, task: UploadTask, stopped: asyncio.Future[Any]) -> None:
        had_callback = task.callback is not None
        await stopped
        plan = task.plan
        if plan is not None and plan.upload_id:
            self.uploads_in_use.discard(plan.upload_id)
            try:
                await self.cos._request(
                    "multipartAbort",
                    {"Bucket": task.Bucket, "Region": task.Region, "Key": task.Key, "UploadId": plan.upload_id},
                )
            except CosError:
                pass  # already gone, or unreachable: nothing more a cancel can do
        task.params = task.source = task.plan = None
        task.callback = None
        if not task.outcome.done():
            if had_callback:
                task.outcome.set_result(None)
            else:
                task.outcome.set_exception(_canceled_error())
                task.outcome.exception()  # a canceled, never awaited call is not an error to log

    # page-visible state -------------------------------------------------------

    def task_list(self) -> list[dict[str, Any]]:
        return [t.to_dict() for t in self.tasks.values()]

    def changed(self) -> None:
        """Emit task-list-update once per loop turn (as the JS SDK's setTimeout)."""
        if self._emit_pending or not getattr(self.cos, "_listeners", None):
            return
        self._emit_pending = True
        try:
            asyncio.get_running_loop().call_soon(self._emit)
        except RuntimeError:
            self._emit()

    def _emit(self) -> None:
        self._emit_pending = False
        listing = {"list": self.task_list()}
        self.cos.emit("task-list-update", listing)
        self.cos.emit("list-update", listing)

    def _trim(self) -> None:
        """Forget finished tasks beyond UploadQueueSize (default 10000), oldest first."""
        limit = int(self.cos.options.get("UploadQueueSize") or 10000)
        if len(self.tasks) <= limit:
            return
        for tid in list(self.tasks):
            if len(self.tasks) <= limit:
                break
            if self.tasks[tid].state not in _ACTIVE and self.tasks[tid].state != "paused":
                del self.tasks[tid]

    # one file: putObject --------------------------------------------------------

    async def _run_put(self, task: UploadTask) -> dict[str, Any]:
        assert task.params is not None
        params = {k: v for k, v in task.params.items() if k not in _TASK_ONLY}
        params["Body"] = task.source.body() if task.size else ""
        task.put_sent = 0
        task.state = "uploading"
        task.progress_now()

        def sent(loaded: int, total: int) -> None:
            task.put_sent = loaded
            task.progress()

        data = await self.cos._request("putObject", params, on_progress=sent)
        task.progress_now(task.size)
        return data

    # one file: multipart ----------------------------------------------------------

    async def _run_slice(self, task: UploadTask) -> dict[str, Any]:
        assert task.params is not None
        params = task.params
        source = task.source
        if task.size == 0:
            return await self._run_put(task)  # as the JS SDK: an empty file is one putObject
        opts = self.cos.options
        if task.plan is None:
            chunk = params.get("ChunkSize") or params.get("SliceSize") or opts["ChunkSize"]
            task.plan = plan_upload(task.size, int(chunk), opts["MaxPartNumber"])
            task.reported = 0
        plan = task.plan
        if plan.upload_id:
            await self._refresh(task, plan)
        if not plan.upload_id:
            await self._find_or_init(task, plan)
        self.uploads_in_use.add(plan.upload_id)
        plan.recount()
        task.state = "uploading"
        task.progress_now(plan.loaded())
        self.changed()

        limit = params.get("AsyncLimit") or opts["ChunkParallelLimit"]
        pending = plan.pending()
        queue = iter(pending)
        failures: list[CosError] = []
        base = {"Bucket": task.Bucket, "Region": task.Region, "Key": task.Key, "UploadId": plan.upload_id}
        headers = {k: v for k, v in (params.get("Headers") or {}).items() if k.lower() in _PART_HEADERS}
        if headers:
            base["Headers"] = headers
        for name in _PART_PARAMS:
            if params.get(name) is not None:
                base[name] = params[name]
        retries = opts["ChunkRetryTimes"]

        async def worker() -> None:
            for part in queue:  # one shared iterator: each part goes to exactly one worker
                if failures:
                    return
                try:
                    await self._upload_part(task, source, part, base, retries)
                except CosError as err:
                    failures.append(err)
                    return

        n = max(1, min(int(limit), 256, len(pending)))
        workers = [asyncio.ensure_future(worker()) for _ in range(n)] if pending else []
        try:
            if workers:
                await asyncio.gather(*workers)
        except asyncio.CancelledError:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise
        if failures:
            if any(err.code == "NoSuchUpload" for err in failures):
                plan.forget_server()  # the upload was aborted elsewhere: a restart starts afresh
            raise failures[0]
        data = await self._complete(task, plan)
        task.progress_now(task.size)
        return data

    async def _upload_part(self, task: UploadTask, source: Any, part: Any, base: dict[str, Any], retries: int) -> None:
        attempt = 0

        plan = task.plan
        assert plan is not None

        def sent(loaded: int, total: int) -> None:
            plan.part_sent(part, loaded)
            task.progress()

        while True:
            body = source.slice(part.start, part.end)
            try:
                data = await self.cos._request(_PART_OP, dict(base, PartNumber=part.number, Body=body), on_progress=sent)
            except CosError as err:
                plan.part_failed(part)
                delay = part_retry_delay(err, attempt, retries)
                if delay is None:
                    raise
                attempt += 1
                await self.cos._sleep(delay)
                continue
            except BaseException:
                plan.part_failed(part)
                raise
            finally:
                source.release(body)
            etag = data.get("ETag") or (data.get("headers") or {}).get("etag")
            if not etag:
                plan.part_failed(part)
                raise CosError(_NO_ETAG, code="NoETag", statusCode=data.get("statusCode"))
            plan.part_done(part, etag)
            task.progress()
            return

    async def _complete(self, task: UploadTask, plan: Plan) -> dict[str, Any]:
        params = task.params or {}
        headers = {
            k: v
            for k, v in (params.get("Headers") or {}).items()
            if k.lower().startswith("x-cos-meta-") or k.lower() in _COMPLETE_HEADERS
        }
        request = {
            "Bucket": task.Bucket,
            "Region": task.Region,
            "Key": task.Key,
            "UploadId": plan.upload_id,
            "Parts": plan.complete_parts(),
        }
        if headers:
            request["Headers"] = headers
        attempt = 0
        retries = self.cos.options["ChunkRetryTimes"]
        while True:
            try:
                data = await self.cos._request(_COMPLETE_OP, request)
                break
            except CosError as err:
                if err.code == "NoSuchUpload":
                    plan.forget_server()
                delay = part_retry_delay(err, attempt, retries)
                if delay is None or err.code == "NoSuchUpload":
                    raise
                attempt += 1
                await self.cos._sleep(delay)
        result = {"UploadId": plan.upload_id}
        result.update(data)
        return result

    # resume -----------------------------------------------------------------------

    async def _refresh(self, task: UploadTask, plan: Plan) -> None:
        """A restart: the upload we had may have more parts (aborted replies) or be gone."""
        try:
            parts = await self._list_parts(task, plan.upload_id)
        except CosError as err:
            if err.statusCode == 404:
                self.uploads_in_use.discard(plan.upload_id or "")
                plan.forget_server()
                task.reported = 0
                return
            raise
        by_number = {p.number: p for p in plan.parts}
        for item in parts:
            part = by_number.get(int(item.get("PartNumber") or 0))
            if part is not None and part.etag is None and int(item.get("Size") or -1) == part.size and item.get("ETag"):
                part.etag = item["ETag"]  # our own PUT of this upload, whose answer we did not wait for

    async def _find_or_init(self, task: UploadTask, plan: Plan) -> None:
        params = task.params or {}
        storage_class = params.get("StorageClass")
        uploads = await self._list_uploads(task)
        candidates = [
            u
            for u in uploads
            if u.get("Key") == task.Key
            and (not storage_class or str(u.get("StorageClass") or "").upper() == storage_class.upper())
            and (u.get("UploadId") or u.get("UploadID")) not in self.uploads_in_use
        ]
        candidates = _newest_first(candidates)
        hash_throttle = ProgressThrottle(task.size, task.on_hash_progress, self.cos.options["ProgressInterval"])
        hashed = 0
        try:
            for upload in candidates:
                upload_id = upload.get("UploadId") or upload.get("UploadID")
                try:
                    server_parts = await self._list_parts(task, upload_id)
                except CosError as err:
                    if err.statusCode == 404:
                        continue  # finished or aborted since the listing
                    raise
                checks = match_server_parts(plan, server_parts)
                if checks is None:
                    continue
                ok = True
                for part, etag in checks:
                    md5 = await task.source.md5(part.start, part.end)
                    hashed += part.size
                    hash_throttle.update(hashed, task.size)
                    if not same_etag(md5, etag):
                        ok = False
                        break
                if ok:
                    for part, etag in checks:
                        part.etag = etag
                    plan.upload_id = upload_id
                    return
        finally:
            if candidates:
                hash_throttle.update(immediately=True)
        init = {k: v for k, v in params.items() if k not in _TASK_ONLY}
        headers = dict(init.get("Headers") or {})
        headers.pop("x-cos-mime-limit", None)
        init["Headers"] = headers
        content_type = getattr(task.source, "type", "")
        if content_type and not init.get("ContentType") and not any(k.lower() == "content-type" for k in headers):
            init["ContentType"] = content_type  # as the JS SDK: the object keeps the File's MIME type
        data = await self.cos._request("multipartInit", init)
        if not data.get("UploadId"):
            raise CosError("no such upload id", code="NoSuchUpload")
        plan.upload_id = data["UploadId"]

    async def _list_uploads(self, task: UploadTask) -> list[dict[str, Any]]:
        request: dict[str, Any] = {"Bucket": task.Bucket, "Region": task.Region, "Prefix": task.Key}
        out: list[dict[str, Any]] = []
        while True:
            data = await self.cos._request("multipartList", request)
            out.extend(data.get("Upload") or [])
            if not _truthy(data.get("IsTruncated")):
                return out
            request["KeyMarker"] = data.get("NextKeyMarker")
            request["UploadIdMarker"] = data.get("NextUploadIdMarker")

    async def _list_parts(self, task: UploadTask, upload_id: str | None) -> list[dict[str, Any]]:
        request: dict[str, Any] = {"Bucket": task.Bucket, "Region": task.Region, "Key": task.Key, "UploadId": upload_id}
        out: list[dict[str, Any]] = []
        while True:
            data = await self.cos._request("multipartListPart", request)
            out.extend(data.get("Part") or [])
            if not _truthy(data.get("IsTruncated")):
                return out
            request["PartNumberMarker"] = data.get("NextPartNumberMarker")


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _newest_first(uploads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def when(u: dict[str, Any]) -> float:
        try:
            return datetime.fromisoformat(str(u.get("Initiated")).replace("Z", "+00:00")).timestamp()
        except ValueError:
            return 0.0

    ordered = list(reversed(uploads))  # listings are oldest first for one key
    ordered.sort(key=when, reverse=True)  # stable: ties keep the reversed order
    return ordered


def _done_future() -> Any:
    """An awaitable that is already done (None outside an event loop: nothing to wait for)."""
    try:
        fut = asyncio.get_running_loop().create_future()
    except RuntimeError:
        return None
    fut.set_result(None)
    return fut


# ---------------------------------------------------------------- the public methods


class UploadMixin:
    """The task methods of :class:`cos_web.COS` (a mixin, so the client stays about requests)."""

    options: dict[str, Any]

    @property
    def _tasks(self) -> TaskQueue:
        queue = self.__dict__.get("_task_queue")
        if queue is None:
            queue = self.__dict__["_task_queue"] = TaskQueue(self)
        return queue

    # events (task-list-update / list-update) -------------------------------------

    def on(self, event: str, fn: Any) -> None:
        """``cos.on("task-list-update", fn)``: fn({"list": [task, ...]}) when tasks change."""
        self.__dict__.setdefault("_listeners", {}).setdefault(event, []).append(fn)

    def off(self, event: str, fn: Any = None) -> None:
        listeners = self.__dict__.get("_listeners", {}).get(event)
        if listeners is None:
            return
        if fn is None:
            listeners.clear()
        elif fn in listeners:
            listeners.remove(fn)

    def emit(self, event: str, data: Any = None) -> None:
        for fn in list(self.__dict__.get("_listeners", {}).get(event, ())):
            try:
                _js.call_user(fn, data)
            except Exception:
                pass

    # uploads ------------------------------------------------------------------------

    def slice_upload_file(self, *args: Any, **kwargs: Any) -> Any:
        """``cos.sliceUploadFile``: a multipart upload of a File/Blob, as a task.

        Params as the seed (Bucket, Region, Key, Body, SliceSize or ChunkSize,
        AsyncLimit, StorageClass, Headers, TaskReady / onTaskReady, onHashProgress,
        onProgress, ...) and an optional callback(err, data). Returns an awaitable
        of the result data (Location, Bucket, Key, ETag, UploadId, statusCode,
        headers, ...) whose ``taskId`` names the task for pause/restart/cancel.
        """
        return self._upload_call("sliceUploadFile", args, kwargs)

    def upload_file(self, *args: Any, **kwargs: Any) -> Any:
        """``cos.uploadFile``: putObject up to ``SliceSize`` bytes, sliceUploadFile above; the same task handling."""
        return self._upload_call("uploadFile", args, kwargs)

    def _upload_call(self, api: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        params, callback = self._split_args(args, kwargs)  # type: ignore[attr-defined]
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:

            async def later() -> Any:
                return await self._add_upload(api, params, callback)

            return later()  # no loop yet: the caller runs it (asyncio.run(...))
        return self._add_upload(api, params, callback, loop)

    def _add_upload(self, api: str, params: dict[str, Any], callback: Any, loop: Any = None) -> Any:
        if loop is None:  # called from later(): inside the loop now
            return self._add_upload(api, params, callback, asyncio.get_running_loop())
        future = loop.create_future()
        try:
            task = self._make_task(api, params, callback)
        except CosError as err:
            if callback is not None:
                _js.call_user(callback, err, None)
                future.set_result(None)
            else:
                future.set_exception(err)
            return UploadCall(None, future)
        task.outcome = future
        for name in ("onTaskReady", "TaskReady"):
            fn = params.get(name)
            if fn is not None:
                _js.call_user(fn, task.id)
        self._tasks.add(task)
        return UploadCall(task.id, future)

    def _make_task(self, api: str, params: dict[str, Any], callback: Any) -> UploadTask:
        """Check everything before any request; the task, not yet queued."""
        params = dict(params)
        for name in ("onProgress", "onHashProgress", "TaskReady", "onTaskReady", "onTaskStart", "onFileFinish"):
            if params.get(name) is not None and not callable(params[name]):
                raise invalid_parameter(name, "must be a function")
        if callback is not None and not callable(callback):
            raise invalid_parameter("callback", "must be a function")
        source = make_source(params.get("Body"))
        for name in ("SliceSize", "ChunkSize", "AsyncLimit"):
            value = params.get(name)
            if value is not None and value != "":
                try:
                    if int(value) <= 0:
                        raise ValueError
                except (TypeError, ValueError):
                    raise invalid_parameter(name, f"must be a positive number, got {value!r}") from None
                params[name] = int(value)
        if api == "uploadFile":
            threshold = params.get("SliceSize")
            if threshold is None:
                threshold = self.options["SliceSize"]
            kind = "sliceUploadFile" if source.size > int(threshold) else "putObject"
            params.pop("SliceSize", None)  # here a threshold, not a part size
        else:
            kind = "sliceUploadFile"
        op = OPERATIONS["putObject" if kind == "putObject" else "multipartInit"]
        request = {k: v for k, v in params.items() if k not in _TASK_ONLY}
        if kind == "putObject":
            request["Body"] = source.body() if source.size else ""
        checked = check(op, request, self.options)
        params["Key"] = checked["Key"]
        task_id = str(uuid.uuid4())
        params["TaskId"] = task_id
        return UploadTask(task_id, kind, params, callback, source, self)

    # control ------------------------------------------------------------------------

    def cancel_task(self, task_id: str) -> Any:
        """``cos.cancelTask``: stop the task and abort its multipart upload on the server.

        Returns an awaitable that ends once the requests are aborted and the
        upload is gone (multipartAbort); JS-style callers may ignore it.
        """
        return self._tasks.cancel(str(task_id))

    def pause_task(self, task_id: str) -> Any:
        """``cos.pauseTask``: stop starting parts and abort those in flight; awaitable ends when stopped."""
        return self._tasks.pause(str(task_id))

    def restart_task(self, task_id: str) -> Any:
        """``cos.restartTask``: a paused or failed task goes on from the parts on the server.

        Returns an awaitable of the task's result.
        """
        return self._tasks.restart(str(task_id))

    def get_task_list(self) -> list[dict[str, Any]]:
        """``cos.getTaskList``: every task as plain data (id, state, loaded, size, percent, ...)."""
        return self._tasks.task_list()

    def get_task(self, task_id: str) -> dict[str, Any] | None:
        """One task as plain data, or None."""
        task = self._tasks.tasks.get(str(task_id))
        return task.to_dict() if task is not None else None

    def is_upload_running(self) -> bool:
        """``cos.isUploadRunning``: some task is running or waiting."""
        return any(t.state in _ACTIVE for t in self._tasks.tasks.values())

    sliceUploadFile = slice_upload_file
    uploadFile = upload_file
    cancelTask = cancel_task
    pauseTask = pause_task
    restartTask = restart_task
    getTaskList = get_task_list
    isUploadRunning = is_upload_running

