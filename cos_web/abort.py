"""``cos.abortUploadTask``: abort multipart uploads on the server, as cos-js-sdk-v5 does.

``Level`` says which (src/advance.js ``abortUploadTask``):

- ``task`` (default): the one upload ``Key`` + ``UploadId``;
- ``file``: every upload listed under the prefix ``Key`` whose key is exactly ``Key``;
- ``bucket``: every upload in the bucket.

Uploads are listed page by page (``multipartList``) and aborted ``AsyncLimit`` at a
time (default 1), each through the pipeline. The result is the JS SDK's:
``{"successList": [...], "errorList": [...]}`` of ``{Bucket, Region, Key, UploadId}``;
a failed abort lands in ``errorList``, it does not fail the call. Local upload tasks
are not touched (``cancelTask`` stops those).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from .errors import CosError, invalid_parameter

__all__ = ["abort_upload_task"]


async def abort_upload_task(pipeline: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    bucket, region, key = params.get("Bucket"), params.get("Region"), params.get("Key")
    level = params.get("Level") or "task"
    if level == "bucket":
        uploads = await _whole_list(pipeline, bucket, region, None)
    elif level == "file":
        if not key:
            raise invalid_parameter("Key", "abort_upload_task_no_key")
        uploads = await _whole_list(pipeline, bucket, region, key)
    elif level == "task":
        if not params.get("UploadId"):
            raise invalid_parameter("UploadId", "abort_upload_task_no_id")
        if not key:
            raise invalid_parameter("Key", "abort_upload_task_no_key")
        uploads = [{"Key": key, "UploadId": params["UploadId"]}]
    else:
        raise invalid_parameter("Level", "abort_unknown_level")

    limit = asyncio.Semaphore(max(1, int(params.get("AsyncLimit") or 1)))
    headers = params.get("Headers")

    async def abort(item: Mapping[str, Any]) -> tuple[dict[str, Any], bool] | None:
        if key and key != item.get("Key"):
            return None  # listed under the prefix, another file (the JS SDK's KeyNotMatch)
        upload_id = item.get("UploadId") or item.get("UploadID")
        task = {"Bucket": bucket, "Region": region, "Key": item.get("Key"), "UploadId": upload_id}
        async with limit:
            try:
                await pipeline.send(
                    "multipartAbort",
                    {"Bucket": bucket, "Region": region, "Key": item.get("Key"), "Headers": headers, "UploadId": upload_id},
                )
            except CosError:
                return task, False
        return task, True

    results = await asyncio.gather(*(abort(item) for item in uploads))
    return {
        "successList": [task for r in results if r is not None for task, ok in [r] if ok],
        "errorList": [task for r in results if r is not None for task, ok in [r] if not ok],
    }


async def _whole_list(pipeline: Any, bucket: Any, region: Any, prefix: str | None) -> list[dict[str, Any]]:
    """``wholeMultipartList``: every upload under ``prefix``, following the list's markers."""
    request: dict[str, Any] = {"Bucket": bucket, "Region": region, "Prefix": prefix}
    uploads: list[dict[str, Any]] = []
    while True:
        data = await pipeline.send("multipartList", request)
        uploads.extend(data.get("Upload") or [])
        if data.get("IsTruncated") != "true":
            return uploads
        request = dict(request, KeyMarker=data.get("NextKeyMarker"), UploadIdMarker=data.get("NextUploadIdMarker"))
