"""``cos.sliceCopyFile``: a server-side copy of any size, as cos-js-sdk-v5 1.10.1 does it.

The steps of src/advance.js ``sliceCopyFile``, every request through the pipeline:

1. ``headObject`` of the source (``CopySource`` parsed as ``util.getSourceParams``, or
   by the ``CopySourceParser`` option): its size, headers and metadata. A missing
   source fails with the 404 error plus ``ErrorStatus: "<key> Not Exist"``.
2. Size ``<= CopySliceSize``: one ``putObjectCopy`` (``x-cos-metadata-directive``
   ``Copy`` unless given).
3. Larger: ``multipartInit`` with the source's headers and ``x-cos-meta-*`` (or the
   call's own headers when ``x-cos-metadata-directive`` is ``Replaced``), the call's
   or the source's storage class; an unrestored ARCHIVE / DEEP_ARCHIVE source is
   refused. Then ``uploadPartCopy`` of ``CopyChunkSize`` ranges (raised along the
   part-size ladder above ``MaxPartNumber`` parts), ``CopyChunkParallelLimit`` in
   flight, each retried by the one policy (:func:`cos_web.retry.part_limits`:
   ``ChunkRetryTimes`` and ``RetryWindow``), then ``multipartComplete`` (retried alike).

``onProgress`` gets ``{loaded, total, speed, percent}`` (throttled by ``ProgressInterval``;
the last report at the end, immediately). As in the JS SDK, this is a call, not a queued
task: no TaskId, not in ``getTaskList``. A copy that failed keeps its UploadId in this
page's memory (keyed by the source's ETag, size and date, the chunk size, the target),
so the same call again goes on from the parts already copied (the JS SDK's
``session.getCopyFileId``). Cancelling the returned awaitable (``call.cancel()``) stops
the part copies in flight and aborts the multipart upload (the JS SDK has no cancel).
The saved UploadIds are the page's (shared by its clients, as the JS SDK's module-level
cache), at most ``UploadIdCacheLimit``, and not kept across reloads (the JS SDK's are in
localStorage).

Deliberate differences: ``loaded``/``total`` are numbers of bytes (the JS SDK reports
the header's string for ``total``, and counts each part one byte short while it runs).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from . import _js
from .errors import CosError, invalid_parameter
from .operations import OPERATIONS
from .params import check, copy_source_params
from .pipeline import Pipeline
from .progress import ProgressThrottle
from .request import format_headers
from .retry import NO_RETRY, RetryLimits, part_limits, retry_delay
from .upload import part_size_for
from .values import ARCHIVE_CLASSES

__all__ = ["slice_copy_file"]

# Params of sliceCopyFile that are not putObjectCopy's request params.
_COPY_ONLY = frozenset({"CopySliceSize", "CopyChunkSize", "onProgress", "Headers"})
# Headers that only a PUT-copy takes: never sent with multipartInit.
_COPY_HEADERS = ("x-cos-copy-source", "x-cos-metadata-directive", "x-cos-copy-source-if-modified-since",
                 "x-cos-copy-source-if-unmodified-since", "x-cos-copy-source-if-match",
                 "x-cos-copy-source-if-none-match")  # fmt: skip
_NO_LENGTH = (
    'get Content-Length error, please add "Content-Length" to CORS ExposeHeader setting.'
    "（ 获取Content-Length失败，请在CORS ExposeHeader设置中添加Content-Length，"
    "请参考文档：https://cloud.tencent.com/document/product/436/13318 ）"
)

# The page's unfinished copies (the JS SDK's session cache): (copy id, UploadId), newest first,
# at most UploadIdCacheLimit of them; UploadIds a copy of this page is using.
_SAVED: list[tuple[str, str]] = []
_IN_USE: set[str] = set()


async def slice_copy_file(pipeline: Pipeline, params: Mapping[str, Any]) -> dict[str, Any]:
    """Run one sliceCopyFile call; its result is putObjectCopy's or multipartComplete's data."""
    options = pipeline.options
    params = dict(params)
    on_progress = params.get("onProgress")
    if on_progress is not None and not callable(on_progress):
        raise invalid_parameter("onProgress", "must be a function")
    headers = format_headers(OPERATIONS["putObjectCopy"], params)
    request = {k: v for k, v in params.items() if k not in _COPY_ONLY}
    request["Headers"] = headers
    request = check(OPERATIONS["putObjectCopy"], request, options)  # Bucket, Region, Key, CopySource's form
    source = copy_source_params(params["CopySource"], options)
    assert source is not None
    source_key = unquote(str(source["Key"]))
    slice_size = max(0, _number("CopySliceSize", params.get("CopySliceSize"), options["CopySliceSize"]))
    chunk_size = _number("CopyChunkSize", params.get("CopyChunkSize") or None, options["CopyChunkSize"])

    try:
        head = await pipeline.send("headObject", {"Bucket": source["Bucket"], "Region": source["Region"],
                                                  "Key": source_key})  # fmt: skip
    except CosError as err:
        if err.statusCode == 404:
            err.extra["ErrorStatus"] = source_key + " Not Exist"
        raise
    source_headers: dict[str, str] = head.get("headers") or {}
    try:
        size = int(source_headers.get("content-length") or 0)
    except ValueError:
        size = 0
    if not size:
        raise CosError(_NO_LENGTH, code="NoContentLength")
    progress = ProgressThrottle(size, _user(on_progress), options["ProgressInterval"])

    if size <= slice_size:
        if not headers.get("x-cos-metadata-directive"):
            headers["x-cos-metadata-directive"] = "Copy"
        try:
            data = await pipeline.send("putObjectCopy", request)
        except BaseException:
            progress.update(immediately=True)
            raise
        progress.update(size, size, immediately=True)
        return data
    return await _CopyRun(pipeline, request, source_headers, size, chunk_size, progress).run()


class _CopyRun:
    """The multipart half: init (or a saved upload), part copies, complete."""

    def __init__(self, pipeline: Pipeline, request: dict[str, Any], source_headers: Mapping[str, str], size: int,
                 chunk_size: int, progress: ProgressThrottle) -> None:  # fmt: skip
        self.pipeline = pipeline
        self.options = pipeline.options
        self.request = request
        self.source_headers = source_headers
        self.size = size
        self.progress = progress
        self.part_size = part_size_for(size, chunk_size, self.options["MaxPartNumber"])
        self.target = {"Bucket": request["Bucket"], "Region": request["Region"], "Key": request["Key"]}
        self.copy_id = _copy_id(request["CopySource"], source_headers, self.part_size, request["Bucket"],
                                request["Key"])  # fmt: skip
        self.limits: RetryLimits = part_limits(self.options["ChunkRetryTimes"], self.options["RetryWindow"] / 1000.0)
        self.done = 0

    def _parts(self) -> list[tuple[int, int, int]]:
        """(PartNumber, first byte, last byte) of every part."""
        step = self.part_size
        return [(i + 1, start, min(start + step, self.size) - 1) for i, start in enumerate(range(0, self.size, step))]

    def _init_headers(self) -> dict[str, Any]:
        """The JS SDK's TargetHeader: the source's headers and metadata, or the call's (Replaced)."""
        given = self.request["Headers"]
        src = self.source_headers
        if given.get("x-cos-metadata-directive") == "Replaced":
            target = dict(given)
        else:
            target = {"Cache-Control": src.get("cache-control"), "Content-Disposition": src.get("content-disposition"),
                      "Content-Encoding": src.get("content-encoding"), "Content-Type": src.get("content-type"),
                      "Expires": src.get("expires"), "x-cos-storage-class": src.get("x-cos-storage-class")}  # fmt: skip
            target.update({k: v for k, v in src.items() if k.startswith("x-cos-meta-") and len(k) > 11})
        target["x-cos-storage-class"] = given.get("x-cos-storage-class") or src.get("x-cos-storage-class")
        for name in list(target):
            if target[name] is None or name.lower() in _COPY_HEADERS:
                del target[name]
        return target

    async def run(self) -> dict[str, Any]:
        target = self._init_headers()
        if self.source_headers.get("x-cos-storage-class") in ARCHIVE_CLASSES:
            restore = self.source_headers.get("x-cos-restore")
            if not restore or restore == 'ongoing-request="true"':
                raise CosError("Unrestored archive object is not allowed to be copied", code="InvalidObjectState")
        parts = self._parts()
        upload_id, etags = await self._saved_upload(parts)
        if upload_id is None:
            init = await self.pipeline.send("multipartInit", {**self.target, "Headers": target})
            upload_id = init.get("UploadId")
            if not upload_id:
                raise CosError("no such upload id", code="NoSuchUpload")
        _save(self.copy_id, upload_id, int(self.options["UploadIdCacheLimit"]))
        _IN_USE.add(upload_id)
        try:
            result = await self._copy_parts(upload_id, parts, etags)
        except asyncio.CancelledError:
            _IN_USE.discard(upload_id)
            _forget(upload_id)  # cancelled: nobody will go on with it
            await _abort(self.pipeline, self.target, upload_id)
            raise
        except BaseException:
            _IN_USE.discard(upload_id)  # kept: the same call again goes on from its parts (as the JS SDK)
            self.progress.update(immediately=True)
            raise
        _IN_USE.discard(upload_id)
        _forget(upload_id)
        self.progress.update(self.size, self.size, immediately=True)
        return result

    async def _saved_upload(self, parts: list[tuple[int, int, int]]) -> tuple[str | None, dict[int, str]]:
        """A saved UploadId of this very copy (not in use, still on the server) and its parts that fit."""
        for upload_id in [u for c, u in _SAVED if c == self.copy_id]:
            if upload_id in _IN_USE:
                continue
            try:
                listed = await _list_parts(self.pipeline, self.target, upload_id)
            except CosError:
                _forget(upload_id)
                continue
            if upload_id in _IN_USE:
                continue
            have: dict[tuple[int, int, int], str] = {}
            offset = 0
            for item in listed:
                length = int(item.get("Size") or 0)
                have[(int(item.get("PartNumber") or 0), offset, offset + length - 1)] = item.get("ETag") or ""
                offset += length
            return upload_id, {number: have[(number, first, last)] for number, first, last in parts
                               if have.get((number, first, last))}  # fmt: skip
        return None, {}

    async def _copy_parts(self, upload_id: str, parts: list[tuple[int, int, int]], etags: dict[int, str]) -> dict:
        self.done = sum(last - first + 1 for number, first, last in parts if number in etags)
        if self.done:
            self.progress.update(self.done, self.size)
        pending = iter([p for p in parts if p[0] not in etags])
        failures: list[BaseException] = []

        async def worker() -> None:
            for number, first, last in pending:  # one shared iterator: each part to one worker
                if failures:
                    return
                try:
                    etags[number] = await self._copy_part(upload_id, number, first, last, failures)
                except asyncio.CancelledError:
                    raise
                except Exception as err:
                    failures.append(err)
                    return
                self.done += last - first + 1
                self.progress.update(self.done, self.size)

        n = max(1, min(int(self.options["CopyChunkParallelLimit"]), len(parts) - len(etags)))
        workers = [asyncio.ensure_future(worker()) for _ in range(n)]
        try:
            await asyncio.gather(*workers)
        except BaseException:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            if not failures:
                raise
        if failures:
            raise failures[0]
        complete = {**self.target, "UploadId": upload_id,
                    "Parts": [{"PartNumber": n, "ETag": etags[n]} for n, _, _ in parts]}  # fmt: skip
        return await self._retried("multipartComplete", complete, [])

    async def _copy_part(self, upload_id: str, number: int, first: int, last: int, failures: list) -> str:
        data = await self._retried("uploadPartCopy", {**self.target, "UploadId": upload_id, "PartNumber": number,
                                                      "CopySource": self.request["CopySource"],
                                                      "CopySourceRange": f"bytes={first}-{last}"}, failures)  # fmt: skip
        return data.get("ETag") or ""

    async def _retried(self, op: str, request: dict[str, Any], failures: list) -> dict[str, Any]:
        """One request, retried by the one policy (part limits) unless another part already failed."""
        loop = asyncio.get_running_loop()
        started, waited, attempt = loop.time(), 0.0, 0
        while True:
            try:
                return await self.pipeline.send(op, request, retry=NO_RETRY)
            except CosError as err:
                elapsed = max(loop.time() - started, waited)
                delay = None if failures else retry_delay(err, attempt, self.limits, elapsed=elapsed)
                if delay is None:
                    raise
                attempt += 1
                waited += delay
                await self.pipeline.sleep(delay)


def _number(name: str, value: Any, default: Any) -> int:
    if value is None:
        return int(default)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid_parameter(name, f"must be a number, got {value!r}") from None


def _user(fn: Any) -> Any:
    return None if fn is None else (lambda info: _js.call_user(fn, info))


def _copy_id(copy_source: str, headers: Mapping[str, str], chunk: int, bucket: str, key: str) -> str:
    """The JS SDK's getCopyFileId: which saved uploads are this very copy."""
    parts = [copy_source, headers.get("content-length"), headers.get("etag") or "", headers.get("last-modified"),
             chunk, bucket, key]  # fmt: skip
    return hashlib.md5("::".join("" if p is None else str(p) for p in parts).encode("utf-8")).hexdigest()


def _save(copy_id: str, upload_id: str, limit: int) -> None:
    """The JS SDK's session.saveUploadId: newest first, the whole cache cut to ``limit``."""
    _SAVED[:] = [(copy_id, upload_id), *(e for e in _SAVED if e != (copy_id, upload_id))][: max(0, limit)]


def _forget(upload_id: str) -> None:
    _SAVED[:] = [e for e in _SAVED if e[1] != upload_id]


async def _list_parts(pipeline: Pipeline, target: Mapping[str, Any], upload_id: str) -> list[dict[str, Any]]:
    request: dict[str, Any] = {**target, "UploadId": upload_id}
    out: list[dict[str, Any]] = []
    while True:
        data = await pipeline.send("multipartListPart", request)
        out.extend(data.get("Part") or [])
        if str(data.get("IsTruncated")).lower() != "true":
            return out
        request["PartNumberMarker"] = data.get("NextPartNumberMarker")


async def _abort(pipeline: Pipeline, target: Mapping[str, Any], upload_id: str) -> None:
    try:
        await pipeline.send("multipartAbort", {**target, "UploadId": upload_id})
    except CosError:
        pass  # already gone, or unreachable: nothing more a cancel can do
