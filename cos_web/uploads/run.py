"""One file's run: a single putObject, or a slice upload (find or init, parts, complete).

A slice upload finds or creates the multipart upload (resume: the server's listing
is the state, so it works after a reload and in a Web Worker), then ``AsyncLimit`` /
``ChunkParallelLimit`` workers pull parts from one shared iterator; each part and
the complete call retry per the one retry policy (:mod:`cos_web.retry`, the part
limits); progress is derived from the plan (:meth:`cos_web.upload.Plan.loaded`).

Every request goes through the pipeline's seam (``pipeline.send``); the bodies are
the source's already classified :class:`~cos_web._js.Body` values.

What a run does about faults (docs/reliability.md, client half): a part (and the
complete call) is retried by count and within ``RetryWindow``; when one fails for good
(or anything at all goes wrong in a worker) the other workers take no further part and
make no further retry, the task settles once they have stopped, and the error names
the part, its attempts and the UploadId. A complete whose answer was lost
(``NoSuchUpload`` on its retry) is recovered when the object's ETag is the multipart
ETag of our parts. Parts found on the server (resume, restart) are trusted only once
their MD5 matches the file's slice. A stopped init is awaited (:meth:`FileRun.wind_down`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ..errors import CosError
from ..pipeline import Pipeline
from ..progress import ProgressThrottle
from ..request import Prepared
from ..retry import NO_RETRY, RetryLimits, part_limits, retry_delay
from ..upload import Part, Plan, match_server_parts, multipart_etag, plan_upload, same_etag
from ..urls import get_url
from ..values import MIN_PART_SIZE
from .adaptive import Concurrency, Gate, auto_part_size, explicit, resumed_part_size
from .reporting import TaskProgress
from .run_helpers import keep_upload_id, newest_first, part_error, truthy
from .task import UploadTask

__all__ = ["FileRun", "TaskProgress", "TASK_ONLY", "put_params"]

# Params of a call that are not request params of multipartInit / putObject.
TASK_ONLY = frozenset(
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


def put_params(task: UploadTask, reporter: TaskProgress) -> dict[str, Any]:
    """A putObject task's request params (its run's one request)."""
    assert task.params is not None and task.source is not None
    params = {k: v for k, v in task.params.items() if k not in TASK_ONLY}
    params["Body"] = task.source.body() if task.size else ""
    params["onHashProgress"] = reporter.on_hash_progress  # UploadCheckContentMd5 / UploadAddMetaMd5 hashing
    return params


class FileRun:
    """One run of one task (a restart is a new run over the same task and plan)."""

    def __init__(
        self,
        pipeline: Pipeline,
        task: UploadTask,
        reporter: TaskProgress,
        uploads_in_use: set[str],
        on_change: Callable[[], None],
    ) -> None:
        self.pipeline = pipeline
        self.options = pipeline.options
        self.task = task
        self.reporter = reporter
        self.uploads_in_use = uploads_in_use  # UploadIds a task of this client holds
        self.on_change = on_change
        self._failures: list[BaseException] = []  # of the parts: the workers stop at the first
        self.init_call: asyncio.Future[dict[str, Any]] | None = None  # multipartInit, once sent
        self.gate = Gate(Concurrency(MIN_PART_SIZE, 1, 1))  # parts in flight (set per run of parts)
        self.ready: Prepared | None = None  # a putObject prepared while the task waited (TaskQueue)

    async def wind_down(self) -> None:
        """After the run was stopped: wait for a multipartInit still in flight (its UploadId lands in the plan)."""
        if self.init_call is not None and not self.init_call.done():
            await asyncio.wait([self.init_call])

    async def run(self) -> dict[str, Any]:
        if self.task.api == "sliceUploadFile":
            return await self._run_slice()
        return await self._run_put()

    # one file: putObject --------------------------------------------------------

    async def _run_put(self) -> dict[str, Any]:
        task, reporter = self.task, self.reporter
        ready, self.ready = self.ready, None
        params = put_params(task, reporter) if ready is None else None
        task.put_sent = 0
        task.state = "uploading"
        reporter.progress_now()

        def sent(loaded: int, total: int) -> None:
            task.put_sent = loaded
            reporter.progress()

        data = await self.pipeline.send("putObject", params or {}, on_progress=sent, ready=ready)
        reporter.progress_now(task.size)
        return data

    # one file: multipart ----------------------------------------------------------

    async def _run_slice(self) -> dict[str, Any]:
        task = self.task
        assert task.params is not None
        params = task.params
        if task.size == 0:
            return await self._run_put()  # as the JS SDK: an empty file is one putObject
        opts = self.options
        if task.plan is None:
            auto = not explicit(opts, params)  # tuned by the caller: the JS SDK's meaning, exactly
            chunk = params.get("ChunkSize") or params.get("SliceSize") or opts["ChunkSize"]
            size = auto_part_size(task.size, opts["MaxPartNumber"]) if auto else int(chunk)
            task.plan = plan_upload(task.size, size, opts["MaxPartNumber"])
            task.plan.auto = auto
            task.reported = 0
        plan = task.plan
        if plan.upload_id:
            await self._refresh(plan)
        if not plan.upload_id:
            await self._find_or_init(plan)
            plan = task.plan
            assert plan is not None
        assert plan.upload_id is not None
        self.uploads_in_use.add(plan.upload_id)
        plan.recount()
        task.state = "uploading"
        self.reporter.progress_now(plan.loaded())
        self.on_change()

        pending = plan.pending()
        queue = iter(pending)
        base: dict[str, Any] = {"Bucket": task.Bucket, "Region": task.Region, "Key": task.Key, "UploadId": plan.upload_id}
        headers = {k: v for k, v in (params.get("Headers") or {}).items() if k.lower() in _PART_HEADERS}
        if headers:
            base["Headers"] = headers
        for name in _PART_PARAMS:
            if params.get(name) is not None:
                base[name] = params[name]

        failures = self._failures = []
        fixed = None if plan.auto else params.get("AsyncLimit") or opts["ChunkParallelLimit"]
        gate = self.gate = Gate(Concurrency(plan.part_size, len(pending), fixed))

        async def worker() -> None:
            while not failures:  # another part failed: start no more (parts in flight finish, for a restart)
                await gate.acquire()
                try:
                    part = next(queue, None)  # one shared iterator: each part goes to exactly one worker
                    if part is None or failures:
                        return
                    await self._upload_part(plan, part, base)
                except asyncio.CancelledError:
                    raise
                except Exception as err:  # any failure (a CosError, the page's signer throwing ...)
                    failures.append(err)
                    return
                finally:
                    gate.release()

        n = gate.concurrency.cap  # workers; the gate lets concurrency.limit of them send at once
        workers = [asyncio.ensure_future(worker()) for _ in range(n)] if pending else []
        try:
            if workers:
                await asyncio.gather(*workers, return_exceptions=True)
        except asyncio.CancelledError:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise
        if failures:
            if any(isinstance(err, CosError) and err.code == "NoSuchUpload" for err in failures):
                plan.forget_server()  # the upload was aborted elsewhere: a restart starts afresh
            raise failures[0]
        data = await self._complete(plan)
        self.reporter.progress_now(task.size)
        return data

    def _limits(self) -> RetryLimits:
        """Of a part and of the complete call: ChunkRetryTimes retries, and more within RetryWindow."""
        return part_limits(self.options["ChunkRetryTimes"], self.options["RetryWindow"] / 1000.0)

    async def _upload_part(self, plan: Plan, part: Part, base: dict[str, Any]) -> None:
        source = self.task.source
        assert source is not None
        limits = self._limits()
        attempt = 0
        waited = 0.0  # back-off slept (counts even where sleep is replaced)
        loop = asyncio.get_running_loop()
        started = loop.time()

        # Called per upload progress event of the part (several a second per part in flight):
        # kept to the bookkeeping; the page hears of it through the reporter's throttle.
        reporter, gate = self.reporter, self.gate
        adapting = not gate.concurrency.fixed

        def sent(loaded: int, total: int) -> None:
            now_loaded = plan.part_sent(part, loaded)
            reporter.progress(now_loaded)
            if adapting:
                gate.progress(now_loaded, loop.time())

        request = dict(base, PartNumber=part.number)
        if self.options["UploadCheckContentMd5"]:  # hashed once (resume matching may have): not per attempt
            request["_BodyMd5"] = await source.md5(part.start, part.end)
        while True:
            body = source.slice(part.start, part.end)
            try:
                data = await self.pipeline.send("multipartUpload", dict(request, Body=body), on_progress=sent,
                                                retry=NO_RETRY)  # fmt: skip
            except CosError as err:
                plan.part_failed(part)
                elapsed = max(loop.time() - started, waited)
                delay = None if self._failures else retry_delay(err, attempt, limits, elapsed=elapsed)
                if delay is None:  # out of retries, or another part failed the task
                    raise part_error(err, part, attempt + 1, plan.upload_id) from None
                self.gate.failed()  # an error worth a retry: fewer parts in flight (when adapting)
                attempt += 1
                waited += delay
                await self.pipeline.sleep(delay)
                continue
            except asyncio.CancelledError:
                plan.part_failed(part)
                raise
            except Exception as exc:  # not a CosError (a bug, a JS error): still named after its part
                plan.part_failed(part)
                failure = CosError(f"{type(exc).__name__}: {exc}", code="ClientError")
                raise part_error(failure, part, attempt + 1, plan.upload_id) from exc
            finally:
                source.release(body)
            etag = data.get("ETag") or (data.get("headers") or {}).get("etag")
            if not etag:
                plan.part_failed(part)
                raise CosError(_NO_ETAG, code="NoETag", statusCode=data.get("statusCode"))
            plan.part_done(part, etag)
            self.reporter.progress()
            return

    async def _complete(self, plan: Plan) -> dict[str, Any]:
        task = self.task
        params = task.params or {}
        headers = {
            k: v
            for k, v in (params.get("Headers") or {}).items()
            if k.lower().startswith("x-cos-meta-") or k.lower() in _COMPLETE_HEADERS
        }
        request: dict[str, Any] = {
            "Bucket": task.Bucket,
            "Region": task.Region,
            "Key": task.Key,
            "UploadId": plan.upload_id,
            "Parts": plan.complete_parts(),
        }
        if headers:
            request["Headers"] = headers
        attempt = 0
        waited = 0.0
        limits = self._limits()
        loop = asyncio.get_running_loop()
        started = loop.time()
        while True:
            try:
                data = await self.pipeline.send("multipartComplete", request, retry=NO_RETRY)  # retried here
                break
            except CosError as err:
                if err.code == "NoSuchUpload":
                    # gone: maybe completed by an attempt whose answer was lost. Then the object
                    # is ours if its ETag is the multipart ETag of our parts.
                    recovered = await self._completed_already(plan)
                    if recovered is not None:
                        data = recovered
                        break
                    plan.forget_server()
                delay = retry_delay(err, attempt, limits, elapsed=max(loop.time() - started, waited))
                if delay is None or err.code == "NoSuchUpload":
                    raise
                attempt += 1
                waited += delay
                await self.pipeline.sleep(delay)
        result = {"UploadId": plan.upload_id}
        result.update(data)
        return result

    async def _completed_already(self, plan: Plan) -> dict[str, Any] | None:
        """The result of a multipartComplete whose answer was lost, read back from the object, or None."""
        expected = multipart_etag(part.etag or "" for part in plan.parts)
        task = self.task
        try:
            head = await self.pipeline.send("headObject", {"Bucket": task.Bucket, "Region": task.Region, "Key": task.Key})
        except CosError:
            return None
        etag = head.get("ETag") or (head.get("headers") or {}).get("etag") or ""
        if expected is None or etag.strip().strip('"').lower() != expected.strip('"'):
            return None
        location = get_url(bucket=task.Bucket or "", region=task.Region or "", key=task.Key,
                           domain=self.options.get("Domain"), protocol=self.options.get("Protocol"), is_location=True)  # fmt: skip
        return {"Location": location, "Bucket": task.Bucket, "Key": task.Key, "ETag": etag,
                "statusCode": head.get("statusCode"), "headers": head.get("headers") or {}}  # fmt: skip

    # resume -----------------------------------------------------------------------

    async def _refresh(self, plan: Plan) -> None:
        """A restart: the upload we had may have more parts (aborted replies) or be gone."""
        try:
            parts = await self._list_parts(plan.upload_id)
        except CosError as err:
            if err.statusCode == 404:
                self.uploads_in_use.discard(plan.upload_id or "")
                plan.forget_server()
                self.task.reported = 0
                return
            raise
        by_number = {p.number: p for p in plan.parts}
        source = self.task.source
        assert source is not None
        for item in parts:
            part = by_number.get(int(item.get("PartNumber") or 0))
            etag = item.get("ETag")
            if part is None or part.etag is not None or int(item.get("Size") or -1) != part.size or not etag:
                continue
            # a part we did not see answered: ours (an aborted reply) only if its bytes are our slice's
            if same_etag(await source.md5(part.start, part.end), etag):
                part.etag = etag

    async def _find_or_init(self, plan: Plan) -> None:
        task = self.task
        source = task.source
        assert source is not None
        params = task.params or {}
        storage_class = params.get("StorageClass")
        uploads = await self._list_uploads()
        candidates = [
            u
            for u in uploads
            if u.get("Key") == task.Key
            and (not storage_class or str(u.get("StorageClass") or "").upper() == storage_class.upper())
            and (u.get("UploadId") or u.get("UploadID")) not in self.uploads_in_use
        ]
        candidates = newest_first(candidates)
        hash_throttle = ProgressThrottle(task.size, self.reporter.on_hash_progress, self.options["ProgressInterval"])
        hashed = 0
        try:
            for upload in candidates:
                upload_id = upload.get("UploadId") or upload.get("UploadID")
                try:
                    server_parts = await self._list_parts(upload_id)
                except CosError as err:
                    if err.statusCode == 404:
                        continue  # finished or aborted since the listing
                    raise
                candidate, checks = plan, match_server_parts(plan, server_parts)
                if not checks and plan.auto:  # a part size of cos_web's choosing: take the upload's own
                    resumed = resumed_part_size(server_parts, task.size, self.options["MaxPartNumber"])
                    if resumed is not None and resumed != plan.part_size:
                        candidate = plan_upload(task.size, resumed, self.options["MaxPartNumber"])
                        checks = match_server_parts(candidate, server_parts)
                if not checks:
                    continue  # parts that cannot be ours, or none at all: nothing proves it is our file
                ok = True
                for part, etag in checks:
                    md5 = await source.md5(part.start, part.end)
                    hashed += part.size
                    hash_throttle.update(hashed, task.size)
                    if not same_etag(md5, etag):
                        ok = False
                        break
                if ok:
                    for part, etag in checks:
                        part.etag = etag
                    candidate.upload_id, candidate.auto = upload_id, plan.auto
                    task.plan = candidate  # (a resumed upload keeps its part size)
                    return
        finally:
            if candidates:
                hash_throttle.update(immediately=True)
        init = {k: v for k, v in params.items() if k not in TASK_ONLY}
        headers = dict(init.get("Headers") or {})
        headers.pop("x-cos-mime-limit", None)
        init["Headers"] = headers
        init["Body"] = source.body()  # as the JS SDK: not sent, hashed for UploadAddMetaMd5 (content_md5)
        init["onHashProgress"] = self.reporter.on_hash_progress
        content_type = source.type
        if content_type and not init.get("ContentType") and not any(k.lower() == "content-type" for k in headers):
            init["ContentType"] = content_type  # as the JS SDK: the object keeps the File's MIME type
        # A POST, retried as the JS SDK does. Shielded: a pause or cancel meanwhile lets it finish,
        # so its UploadId is known (kept for a restart, or aborted by a cancel; see wind_down).
        init_call = self.init_call = asyncio.ensure_future(
            self.pipeline.send("multipartInit", init)
        )
        init_call.add_done_callback(lambda call: keep_upload_id(plan, call))
        data = await asyncio.shield(init_call)
        if not data.get("UploadId"):
            raise CosError("no such upload id", code="NoSuchUpload")
        plan.upload_id = data["UploadId"]

    async def _list_uploads(self) -> list[dict[str, Any]]:
        task = self.task
        request: dict[str, Any] = {"Bucket": task.Bucket, "Region": task.Region, "Prefix": task.Key}
        out: list[dict[str, Any]] = []
        while True:
            data = await self.pipeline.send("multipartList", request)
            out.extend(data.get("Upload") or [])
            if not truthy(data.get("IsTruncated")):
                return out
            request["KeyMarker"] = data.get("NextKeyMarker")
            request["UploadIdMarker"] = data.get("NextUploadIdMarker")

    async def _list_parts(self, upload_id: str | None) -> list[dict[str, Any]]:
        task = self.task
        request: dict[str, Any] = {"Bucket": task.Bucket, "Region": task.Region, "Key": task.Key, "UploadId": upload_id}
        out: list[dict[str, Any]] = []
        while True:
            data = await self.pipeline.send("multipartListPart", request)
            out.extend(data.get("Part") or [])
            if not truthy(data.get("IsTruncated")):
                return out
            request["PartNumberMarker"] = data.get("NextPartNumberMarker")
