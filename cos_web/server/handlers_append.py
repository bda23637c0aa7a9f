"""APPEND Object: ``POST /{key}?append&position=N``.

The first append (position 0 on a key with no object) creates an appendable
object with the request's metadata, ACL and storage class; each later append must
name the current length as its position. The body is stored (and fsynced) as a
new blob before the append is committed, as any write; the existing bytes are
never read or copied (`append_store`).

Answers, as COS: 409 ObjectNotAppendable on a normal object, 409
PositionNotEqualToLength when the position is not the length, 400 InvalidArgument
without a position, 411 without Content-Length, EntityTooLarge past 5 GB. The
response carries ``ETag`` (the object's, after the append), ``x-cos-next-append-position``,
``x-cos-hash-crc64ecma`` (the whole object) and ``x-cos-content-sha1``, which, as on
COS, holds the MD5 (hex) of the appended block: cos-go-sdk-v5 compares it with
the block's MD5.
"""

from __future__ import annotations

from aiohttp import web

from ..values import APPENDABLE_CLASSES, MAX_APPEND_SIZE
from .context import Ctx, check_key, empty
from .digits import uint
from .errors import CosServerError
from .handlers_common import object_acl
from .segments import is_appendable
from .transfer import meta_from_headers, receive


def _position(ctx: Ctx) -> int:
    if not ctx.has("position"):
        raise CosServerError("InvalidArgument", "The position parameter is required for append.")
    position = uint(ctx.param("position"))
    if position is None:
        raise CosServerError("InvalidArgument", "The position parameter must be a non-negative integer.")
    return position


async def append_object(ctx: Ctx, request: web.Request) -> web.Response:
    check_key(ctx.key)
    position = _position(ctx)
    ctx.storage.bucket(ctx.bucket)
    if ctx.storage.versioning(ctx.bucket):
        # Our choice (docs/server.md "Versioning"): an appendable object has one version only.
        raise CosServerError("InvalidRequest", "Append is not supported in a bucket with versioning enabled or suspended.")
    current = ctx.storage.find_object(ctx.bucket, ctx.key)
    # Refuse before storing a body that could not be appended (the store checks again, atomically).
    if current is not None and not is_appendable(current.blob):
        raise CosServerError("ObjectNotAppendable")
    length = current.size if current is not None else 0
    if position != length:
        raise CosServerError("PositionNotEqualToLength", headers={"x-cos-next-append-position": str(length)})
    if current is None:
        meta = meta_from_headers(request, ctx.key)
        if meta.storage_class not in APPENDABLE_CLASSES:
            raise CosServerError("InvalidArgument",
                                 f"An appendable object cannot be created in storage class {meta.storage_class}.")
        meta.acl = object_acl(request)
    else:
        meta = current.meta  # later appends keep the object's metadata, class and ACL
    room = MAX_APPEND_SIZE - position
    blob = await receive(ctx, request, room)
    record = ctx.storage.append_object(ctx.bucket, ctx.key, position, blob, meta)
    headers = {"ETag": record.etag, "x-cos-next-append-position": str(record.size), "x-cos-content-sha1": blob.md5}
    if record.crc64 is not None:
        headers["x-cos-hash-crc64ecma"] = record.crc64
    return empty(headers=headers)
