"""Object operations: PUT (plain and copy), GET/HEAD (ranges, conditions, overrides), DELETE, acl."""

from __future__ import annotations

import asyncio

from aiohttp import web

from ..values import MAX_PUT_SIZE, METADATA_DIRECTIVES, RESPONSE_OVERRIDES
from . import object_tags, referer
from .context import Ctx, check_key, empty, header_safe, iso_date, xml_response
from .errors import CosServerError
from .handlers_common import (
    acl_response,
    object_acl,
    open_source,
    parse_acl,
    source_version,
    version_header,
    version_param,
)
from .records import ObjectMeta, ObjectRecord
from .restore_store import check_readable
from .transfer import (
    check_conditions,
    check_storage_class,
    meta_from_headers,
    object_headers,
    parse_range,
    receive,
    send_object,
)


async def put_object(ctx: Ctx, request: web.Request) -> web.Response:
    check_key(ctx.key)
    if "x-cos-copy-source" in request.headers:
        return await copy_object(ctx, request)
    meta = meta_from_headers(request, ctx.key)
    meta.acl = object_acl(request)
    ctx.storage.bucket(ctx.bucket)
    blob = await receive(ctx, request)
    record = ctx.storage.put_object(ctx.bucket, ctx.key, blob, meta)
    headers = {"ETag": record.etag, **version_header(record)}
    if record.crc64 is not None:
        headers["x-cos-hash-crc64ecma"] = record.crc64
    return empty(headers=headers)


async def copy_object(ctx: Ctx, request: web.Request) -> web.Response:
    directive = request.headers.get("x-cos-metadata-directive", "Copy")
    if directive not in METADATA_DIRECTIVES:
        raise CosServerError("InvalidArgument", "Invalid x-cos-metadata-directive.")
    tagging = request.headers.get("x-cos-tagging-directive", "Copy")
    if tagging not in object_tags.DIRECTIVES:
        raise CosServerError("InvalidArgument", "Invalid x-cos-tagging-directive.")
    ctx.storage.bucket(ctx.bucket)
    bucket, key, source, fh = await open_source(ctx, request)
    try:
        if (bucket, key) == (ctx.bucket, ctx.key) and directive == "Copy" and source_version(request) is None:
            raise CosServerError(
                "InvalidRequest",
                "This copy request is illegal because it is trying to copy an object to itself without "
                "changing the object's metadata.",
            )
        if source.size > MAX_PUT_SIZE:
            raise CosServerError("InvalidRequest", "The source object is larger than 5 GB; use part copy.")
        if directive == "Replaced":
            meta = meta_from_headers(request, ctx.key)
        else:
            meta = ObjectMeta(source.meta.content_type, dict(source.meta.headers), dict(source.meta.meta),
                              check_storage_class(request.headers.get("x-cos-storage-class")))
        # the tags: the source's (whatever the metadata directive), or the request's x-cos-tagging
        tags = (object_tags.stored(source.meta.headers) if tagging == "Copy"
                else object_tags.parse_header(request.headers.get("x-cos-tagging", "")))
        object_tags.store(meta.headers, tags)
        meta.acl = object_acl(request)
        # shares the source's blobs (no byte read); if the source changed since it was opened and
        # checked, the bytes of the version opened are copied instead
        record = ctx.storage.share_object(source, ctx.bucket, ctx.key, meta)
        if record is None:
            blob = await asyncio.to_thread(ctx.storage.copy_blob, fh, 0, source.size)
    finally:
        fh.close()
    if record is None:
        record = ctx.storage.put_object(ctx.bucket, ctx.key, blob, meta)
    children = [("ETag", record.etag), ("CRC64", record.crc64), ("LastModified", iso_date(record.mtime, False))]
    headers = {"x-cos-hash-crc64ecma": record.crc64} if record.crc64 else {}
    if record.version is not None:
        children.append(("VersionId", record.version))
        headers.update(version_header(record))
    if source.version is not None or source_version(request) is not None:
        headers["x-cos-copy-source-version-id"] = source_version(request) or source.version or "null"
    return xml_response("CopyObjectResult", children, headers=headers)


async def get_object(ctx: Ctx, request: web.Request) -> web.StreamResponse:
    check_key(ctx.key)
    overrides = {RESPONSE_OVERRIDES[n]: v for n, v in ctx.params.items() if n in RESPONSE_OVERRIDES}
    if not all(header_safe(v) for v in overrides.values()):
        raise CosServerError("InvalidArgument", "A response-* parameter holds a control character.")
    if overrides and ctx.credential is None:
        raise CosServerError("AccessDenied", "Anonymous requests cannot use response-* parameters.")
    referer.check(ctx, request)  # the bucket's hotlink protection
    record, fh = ctx.storage.open_object(ctx.bucket, ctx.key, version_param(ctx))
    try:
        restore = check_readable(ctx.storage, record, ctx.now(), request.method)  # archived objects
        check_conditions(request.headers, record)
        byte_range = parse_range(request.headers.get("Range"), record.size)
        headers = object_headers(record)
        headers.update(version_header(record, version_param(ctx)))
        headers.update(restore)
        headers["Accept-Ranges"] = "bytes"
        if request.method == "GET":
            headers.update(overrides)
    except BaseException:
        fh.close()
        raise
    return await send_object(request, record, fh, headers, byte_range, ctx.server.config.body_timeout)


async def delete_object(ctx: Ctx, request: web.Request) -> web.Response:
    check_key(ctx.key)
    ctx.storage.bucket(ctx.bucket)
    outcome = ctx.storage.delete_object(ctx.bucket, ctx.key, version_param(ctx))
    headers = {}
    if outcome.version_id is not None:
        headers["x-cos-version-id"] = outcome.version_id
    if outcome.marker:
        headers["x-cos-delete-marker"] = "true"
    return empty(204, headers=headers)


async def get_object_acl(ctx: Ctx, request: web.Request) -> web.Response:
    check_key(ctx.key)
    version = version_param(ctx)
    record: ObjectRecord = ctx.storage.get_object(ctx.bucket, ctx.key, version)
    response = acl_response(ctx, record.meta.acl, "default")
    response.headers.update(version_header(record, version))
    return response


async def put_object_acl(ctx: Ctx, request: web.Request) -> web.Response:
    check_key(ctx.key)
    version = version_param(ctx)
    ctx.storage.get_object(ctx.bucket, ctx.key, version)
    acl = await parse_acl(ctx, request, for_object=True)
    if version is None:
        ctx.storage.set_object_acl(ctx.bucket, ctx.key, acl)
    else:
        ctx.storage.set_version_acl(ctx.bucket, ctx.key, version, acl)
    return empty()
