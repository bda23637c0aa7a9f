"""Multipart uploads: initiate, upload part (plain and copy), list parts, complete, abort, list uploads."""

from __future__ import annotations

import asyncio
import re

from aiohttp import web

from ..values import MAX_LIST_KEYS, MAX_PARTS, MAX_PUT_SIZE
from . import xmlio
from .context import Ctx, check_key, empty, iso_date, url_encode, xml_response
from .digits import uint
from .errors import CosServerError
from .handlers_common import DELETE_LIMIT, object_acl, open_source, owner, read_body, version_header
from .blobs import Blob
from .records import ObjectRecord, Part
from .transfer import meta_from_headers, receive

_PLAIN_ETAG = re.compile(r'"[0-9a-f]{32}"')


def _upload_id(ctx: Ctx) -> str:
    upload_id = ctx.param("uploadId", "")
    if not upload_id:
        raise CosServerError("NoSuchUpload")
    return upload_id


async def initiate(ctx: Ctx, request: web.Request) -> web.Response:
    check_key(ctx.key)
    meta = meta_from_headers(request, ctx.key)
    meta.acl = object_acl(request)
    upload = ctx.storage.create_upload(ctx.bucket, ctx.key, meta)
    return xml_response("InitiateMultipartUploadResult",
                        [("Bucket", ctx.bucket), ("Key", ctx.key), ("UploadId", upload.upload_id)])


def _part_number(ctx: Ctx) -> int:
    number = uint(ctx.param("partNumber"))
    if number is None or not 1 <= number <= MAX_PARTS:
        raise CosServerError("InvalidArgument", f"Part number must be an integer between 1 and {MAX_PARTS}, inclusive.")
    return number


async def upload_part(ctx: Ctx, request: web.Request) -> web.Response:
    check_key(ctx.key)
    number = _part_number(ctx)
    upload_id = _upload_id(ctx)
    ctx.storage.get_upload(ctx.bucket, ctx.key, upload_id)
    if "x-cos-copy-source" in request.headers:
        return await copy_part(ctx, request, upload_id, number)
    blob = await receive(ctx, request)
    part = ctx.storage.put_part(ctx.bucket, ctx.key, upload_id, number, blob)
    headers = {"ETag": part.etag}
    if part.crc64 is not None:
        headers["x-cos-hash-crc64ecma"] = part.crc64
    return empty(headers=headers)


async def copy_part(ctx: Ctx, request: web.Request, upload_id: str, number: int) -> web.Response:
    _, _, source, fh = await open_source(ctx, request)
    try:
        first, last = 0, source.size - 1
        spec = request.headers.get("x-cos-copy-source-range")
        if spec:
            found = re.fullmatch(r"bytes=([0-9]+)-([0-9]+)", spec.strip(), re.ASCII)
            first_n, last_n = (uint(found.group(1)), uint(found.group(2))) if found else (None, None)
            if first_n is None or last_n is None or first_n > last_n or last_n >= source.size:
                raise CosServerError("InvalidArgument", "The x-cos-copy-source-range value is not valid.")
            first, last = first_n, last_n
        if last - first + 1 > MAX_PUT_SIZE:
            raise CosServerError("EntityTooLarge")
        part = _share_part(ctx, upload_id, number, source, first, last)
        if part is None:  # a range, or the source changed since it was opened: copy the bytes opened
            blob = await asyncio.to_thread(ctx.storage.copy_blob, fh, first, last - first + 1)
    finally:
        fh.close()
    if part is None:
        part = ctx.storage.put_part(ctx.bucket, ctx.key, upload_id, number, blob)
    children = [("ETag", part.etag), ("LastModified", iso_date(part.mtime, False))]
    if part.crc64 is not None:
        children.append(("CRC64", part.crc64))
    return xml_response("CopyPartResult", children)


def _share_part(ctx: Ctx, upload_id: str, number: int, source: ObjectRecord, first: int, last: int) -> Part | None:
    """The whole of a source held in one blob, with a plain-MD5 ETag (the part's ETag): that blob
    becomes the part, no byte copied. None otherwise (ranges are copied)."""
    if first != 0 or last != source.size - 1 or not _PLAIN_ETAG.fullmatch(source.etag):
        return None
    name = ctx.storage.single_blob(source)
    if name is None:
        return None
    blob = Blob(name, source.size, source.etag.strip('"'), source.crc64)
    return ctx.storage.put_part(ctx.bucket, ctx.key, upload_id, number, blob,
                                shared_from=(source.bucket, source.key, source.blob))


async def list_parts(ctx: Ctx, request: web.Request) -> web.Response:
    check_key(ctx.key)
    upload_id = _upload_id(ctx)
    upload = ctx.storage.get_upload(ctx.bucket, ctx.key, upload_id)
    encoding = ctx.param("encoding-type", "")
    max_parts = ctx.param_int("max-parts", MAX_LIST_KEYS, 0, MAX_LIST_KEYS)
    marker = ctx.param_int("part-number-marker", 0, 0)
    parts, truncated = ctx.storage.list_parts(upload_id, marker, max_parts)
    enc = url_encode if encoding == "url" else (lambda s: s)
    children: list[tuple] = [("Bucket", ctx.bucket)]
    if encoding:
        children.append(("EncodingType", encoding))
    children += [
        ("Key", enc(ctx.key)), ("UploadId", upload_id), ("Initiator", owner(ctx)), ("Owner", owner(ctx)),
        ("PartNumberMarker", marker),
    ]
    if truncated and parts:
        children.append(("NextPartNumberMarker", parts[-1].number))
    children += [("MaxParts", max_parts), ("IsTruncated", truncated), ("StorageClass", upload.meta.storage_class)]
    for part in parts:
        children.append(("Part", [("PartNumber", part.number), ("LastModified", iso_date(part.mtime)),
                                  ("ETag", part.etag), ("Size", part.size)]))
    return xml_response("ListPartsResult", children)


async def complete(ctx: Ctx, request: web.Request) -> web.Response:
    check_key(ctx.key)
    upload_id = _upload_id(ctx)
    ctx.storage.get_upload(ctx.bucket, ctx.key, upload_id)
    root = await xmlio.parse_async(await read_body(ctx, request, DELETE_LIMIT), DELETE_LIMIT)
    if root.tag != "CompleteMultipartUpload":
        raise CosServerError("MalformedXML")
    listed = []
    for node in root.findall("Part"):
        number, etag = uint(xmlio.text(node, "PartNumber")), xmlio.text(node, "ETag")
        if number is None or etag is None:
            raise CosServerError("MalformedXML")
        listed.append((number, etag))
    record = await asyncio.to_thread(ctx.storage.complete_upload, ctx.bucket, ctx.key, upload_id, listed)
    location = f"http://{ctx.host}/{url_encode(ctx.key)}"
    headers = {"x-cos-hash-crc64ecma": record.crc64} if record.crc64 else {}
    headers.update(version_header(record))
    return xml_response("CompleteMultipartUploadResult",
                        [("Location", location), ("Bucket", ctx.bucket), ("Key", ctx.key), ("ETag", record.etag)],
                        headers=headers)


async def abort(ctx: Ctx, request: web.Request) -> web.Response:
    check_key(ctx.key)
    ctx.storage.abort_upload(ctx.bucket, ctx.key, _upload_id(ctx))
    return empty(204)


async def list_uploads(ctx: Ctx, request: web.Request) -> web.Response:
    encoding = ctx.param("encoding-type", "")
    delimiter = ctx.param("delimiter", "")
    if len(delimiter) > 1:
        raise CosServerError("InvalidDelimiter")
    max_uploads = ctx.param_int("max-uploads", MAX_LIST_KEYS, 1, MAX_LIST_KEYS)
    prefix, key_marker, id_marker = ctx.param("prefix"), ctx.param("key-marker"), ctx.param("upload-id-marker")
    uploads, prefixes, truncated, next_key, next_id = ctx.storage.list_uploads(
        ctx.bucket, prefix, delimiter, key_marker, id_marker, max_uploads
    )
    enc = url_encode if encoding == "url" else (lambda s: s)
    children: list[tuple] = [("Bucket", ctx.bucket)]
    if encoding:
        children.append(("Encoding-Type", encoding))
    children += [("KeyMarker", enc(key_marker)), ("UploadIdMarker", id_marker)]
    if truncated:
        children += [("NextKeyMarker", enc(next_key or "")), ("NextUploadIdMarker", next_id or "")]
    children += [("MaxUploads", max_uploads), ("IsTruncated", truncated), ("Prefix", enc(prefix)),
                 ("Delimiter", enc(delimiter) if delimiter else None)]
    for upload in uploads:
        children.append(("Upload", [
            ("Key", enc(upload.key)), ("UploadId", upload.upload_id), ("StorageClass", upload.meta.storage_class),
            ("Initiator", owner(ctx)), ("Owner", owner(ctx)), ("Initiated", iso_date(upload.initiated)),
        ]))
    children += [("CommonPrefixes", [("Prefix", enc(cp))]) for cp in prefixes]
    return xml_response("ListMultipartUploadsResult", children)
