"""Moving object bytes and object headers: request bodies to blobs, blobs to responses.

Bodies are read in large chunks; each chunk is written (with its CRC-64) on a
blob worker thread while its MD5 runs on a hashing thread, and the event loop
keeps receiving the next chunk meanwhile (double buffering), so ingest is
bounded by the slower of disk and MD5, not their sum, nor by Python overhead;
memory stays at a few MiB per upload whatever the size. Content-MD5 and
x-cos-content-sha1 are compared before the blob is made durable: a bad body
stores nothing.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import errno
import hashlib
import mimetypes
import socket
import struct
from typing import BinaryIO

from aiohttp import web

from ..values import DEFAULT_STORAGE_CLASS, MAX_METADATA_BYTES, MAX_PUT_SIZE, STORAGE_CLASSES
from . import object_tags
from .blobs import Blob
from .context import Ctx, http_date
from .digits import uint_or_huge
from .errors import CosServerError, NotModified
from .records import ObjectMeta, ObjectRecord
from .segments import is_appendable

CHUNK = 1 << 20
STORED_HEADERS = ("Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires")
_MIME = mimetypes.MimeTypes(filenames=())


def guess_type(key: str) -> str:
    return _MIME.guess_type(key, strict=False)[0] or "application/octet-stream"


def expected_md5(request: web.Request) -> str | None:
    raw = request.headers.get("Content-MD5")
    if raw is None:
        return None
    try:
        digest = base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise CosServerError("InvalidDigest") from None
    if len(digest) != 16:
        raise CosServerError("InvalidDigest")
    return digest.hex()


def expected_sha1(request: web.Request) -> str | None:
    """``x-cos-content-sha1`` as 40 hex digits (lower-cased), None when absent, InvalidDigest when malformed."""
    raw = request.headers.get("x-cos-content-sha1")
    if raw is None:
        return None
    raw = raw.strip().lower()
    if len(raw) != 40 or not raw.isascii() or any(c not in "0123456789abcdef" for c in raw):
        raise CosServerError("InvalidDigest", "The x-cos-content-sha1 you specified is not valid.")
    return raw


def check_length(request: web.Request, limit: int = MAX_PUT_SIZE) -> None:
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if request.content_length is None and not chunked:
        raise CosServerError("MissingContentLength")
    if request.content_length is not None and request.content_length > limit:
        raise CosServerError("EntityTooLarge")


async def read_chunk(ctx: Ctx, request: web.Request) -> bytes:
    """The next piece of the request body; RequestTimeout when none comes within the body timeout."""
    try:
        return await asyncio.wait_for(request.content.readany(), ctx.server.config.body_timeout)
    except asyncio.TimeoutError:
        raise CosServerError("RequestTimeout") from None


def _eio(fd: int) -> None:
    raise OSError(errno.EIO, "Input/output error (injected fault fsync:eio)")


async def receive(ctx: Ctx, request: web.Request, limit: int = MAX_PUT_SIZE) -> Blob:
    """Stream the request body into a durable blob, checking length, Content-MD5 and x-cos-content-sha1.

    At most ``max_uploads`` bodies are stored at once (503 SlowDown beyond); a body that
    stalls for ``body_timeout`` is cut off (RequestTimeout) and its temporary file removed.
    """
    check_length(request, limit)
    server = ctx.server
    if server.uploads_in_flight >= server.config.max_uploads:
        raise CosServerError("SlowDown")
    server.uploads_in_flight += 1
    try:
        return await _receive(ctx, request, limit)
    finally:
        server.uploads_in_flight -= 1


async def _receive(ctx: Ctx, request: web.Request, limit: int) -> Blob:
    md5 = expected_md5(request)
    sha1 = expected_sha1(request)
    writer = ctx.storage.writer()
    if ctx.fail_fsync:  # a fault rule's fsync:eio
        writer.sync = writer.datasync = _eio
    sha1_hash = hashlib.sha1() if sha1 is not None else None
    update_md5 = writer.update_md5
    if sha1_hash is not None:
        def update_md5(data: bytes) -> None:  # noqa: F811 - the SHA-1 rides along on the hashing thread
            writer.update_md5(data)
            sha1_hash.update(data)
    loop = asyncio.get_running_loop()
    pending: asyncio.Future | None = None
    chunks: list[bytes] = []
    buffered = 0
    try:
        while True:
            chunk = await read_chunk(ctx, request)
            if chunk:
                chunks.append(chunk)
                buffered += len(chunk)
                ctx.bytes_in += len(chunk)
                if ctx.bytes_in > limit:
                    raise CosServerError("EntityTooLarge")
            if buffered >= CHUNK or (not chunk and buffered):
                if pending is not None:
                    await pending
                data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
                # write + CRC-64 on a blob worker, MD5 (+ SHA-1) on a hashing thread, at once;
                # the next chunk is received meanwhile (double buffering), chunks stay in order.
                pending = asyncio.gather(
                    loop.run_in_executor(ctx.storage.pool, writer.write_data, data),
                    loop.run_in_executor(ctx.storage.hash_pool, update_md5, data),
                )
                chunks, buffered = [], 0
            if not chunk:
                break
        if pending is not None:
            await pending
            pending = None
        if request.content_length is not None and writer.size != request.content_length:
            raise CosServerError("IncompleteBody")
        if md5 is not None and md5 != writer.md5_hex:
            raise CosServerError("BadDigest")
        if sha1_hash is not None and sha1 != sha1_hash.hexdigest():
            raise CosServerError("BadDigest", "The x-cos-content-sha1 you specified did not match what we received.")
        return await loop.run_in_executor(None, writer.finish)
    except BaseException:
        if pending is not None:
            try:
                await asyncio.shield(pending)
            except BaseException:
                pass
        writer.discard()
        raise


def check_storage_class(value: str | None) -> str:
    """The storage class an ``x-cos-storage-class`` header names (STANDARD if none), or InvalidArgument."""
    storage_class = (DEFAULT_STORAGE_CLASS if value is None else value).upper()
    if storage_class not in STORAGE_CLASSES:
        raise CosServerError("InvalidArgument", "The storage class you specified is not valid.")
    return storage_class


def meta_from_headers(request: web.Request, key: str) -> ObjectMeta:
    """Content-Type, stored standard headers, x-cos-meta-*, storage class (ACL is set by the caller)."""
    headers = request.headers
    meta = {}
    for name, value in headers.items():
        if name.lower().startswith("x-cos-meta-"):
            meta[name.lower()] = value
    if sum(len(n) + len(v) for n, v in meta.items()) > MAX_METADATA_BYTES:
        raise CosServerError("MetadataTooLarge")
    storage_class = check_storage_class(headers.get("x-cos-storage-class"))
    stored = {h: headers[h] for h in STORED_HEADERS if headers.get(h)}  # an empty header stores nothing
    if "x-cos-tagging" in headers:
        object_tags.store(stored, object_tags.parse_header(headers["x-cos-tagging"]))
    content_type = headers.get("Content-Type") or guess_type(key)
    return ObjectMeta(content_type, stored, meta, storage_class)


def object_headers(record: ObjectRecord) -> dict[str, str]:
    """What HEAD and GET say about an object (minus Content-Length/Range)."""
    headers = {
        "Content-Type": record.meta.content_type,
        "ETag": record.etag,
        "Last-Modified": http_date(record.mtime),
        "x-cos-object-type": "normal",
    }
    if is_appendable(record.blob):
        headers["x-cos-object-type"] = "appendable"
        headers["x-cos-next-append-position"] = str(record.size)
    if record.crc64 is not None:
        headers["x-cos-hash-crc64ecma"] = record.crc64
    if record.meta.storage_class != DEFAULT_STORAGE_CLASS:
        headers["x-cos-storage-class"] = record.meta.storage_class
    headers.update(object_tags.public_headers(record.meta.headers))
    headers.update(record.meta.meta)
    return headers


def _etag_in(value: str, etag: str) -> bool:
    tags = [t.strip() for t in value.split(",")]
    return "*" in tags or any(t.strip('"').removeprefix("W/").strip('"') == etag.strip('"') for t in tags)


def check_conditions(headers, record: ObjectRecord, prefix: str = "") -> None:
    """If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since, in RFC 7232 order.

    With ``prefix`` ("x-cos-copy-source-") every failure is a 412, as COS does for copy sources.
    """
    from .context import parse_http_date

    mtime = int(record.mtime)
    if_match = headers.get(prefix + "If-Match")
    if if_match is not None and not _etag_in(if_match, record.etag):
        raise CosServerError("PreconditionFailed")
    ius = parse_http_date(headers.get(prefix + "If-Unmodified-Since"))
    if if_match is None and ius is not None and mtime > ius:
        raise CosServerError("PreconditionFailed")
    not_modified = {"ETag": record.etag, "Last-Modified": http_date(record.mtime)}
    if record.crc64 is not None:
        not_modified["x-cos-hash-crc64ecma"] = record.crc64
    inm = headers.get(prefix + "If-None-Match")
    if inm is not None and _etag_in(inm, record.etag):
        if prefix:
            raise CosServerError("PreconditionFailed")
        raise NotModified(not_modified)
    ims = parse_http_date(headers.get(prefix + "If-Modified-Since"))
    if inm is None and ims is not None and mtime <= ims:
        if prefix:
            raise CosServerError("PreconditionFailed")
        raise NotModified(not_modified)


def parse_range(value: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) for one satisfiable byte range, None to send everything, or InvalidRange."""
    if not value or not value.strip().lower().startswith("bytes="):
        return None
    spec = value.strip()[6:].strip()
    if "," in spec or "-" not in spec:
        return None
    first_s, _, last_s = spec.partition("-")
    first_s, last_s = first_s.strip(), last_s.strip()
    first_n = uint_or_huge(first_s) if first_s else None
    last_n = uint_or_huge(last_s) if last_s else None
    if (first_s and first_n is None) or (last_s and last_n is None) or (not first_s and not last_s):
        return None  # not a byte range we read (Unicode digits too): the whole object, as for any bad Range
    if first_n is None:
        assert last_n is not None
        if last_n == 0 or size == 0:
            raise CosServerError("InvalidRange", headers={"Content-Range": f"bytes */{size}"})
        return max(0, size - last_n), size - 1
    first = first_n
    last = last_n if last_n is not None else size - 1
    if last_n is not None and last < first:
        return None
    if first >= size:
        raise CosServerError("InvalidRange", headers={"Content-Range": f"bytes */{size}"})
    return first, min(last, size - 1)


def reset(request: web.Request) -> None:
    """Close the connection at once with a TCP reset, discarding what is queued for the client."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()


async def send_object(request: web.Request, record: ObjectRecord, fh: BinaryIO, headers: dict[str, str],
                      byte_range: tuple[int, int] | None, timeout: float) -> web.StreamResponse:
    """Stream a blob (or a range of it) from an already open file.

    A client that stops reading for ``timeout`` seconds is disconnected (the file and the
    handler are not held open forever).
    """
    first, last = byte_range if byte_range else (0, record.size - 1)
    response = web.StreamResponse(status=206 if byte_range else 200, headers=headers)
    if byte_range:
        response.headers["Content-Range"] = f"bytes {first}-{last}/{record.size}"
    response.content_length = max(0, last - first + 1)
    try:
        await response.prepare(request)
        if request.method != "HEAD":
            loop = asyncio.get_running_loop()
            fh.seek(first)
            remaining = last - first + 1
            while remaining > 0:
                chunk = await loop.run_in_executor(None, fh.read, min(CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                try:
                    await asyncio.wait_for(response.write(chunk), timeout)
                except asyncio.TimeoutError:
                    reset(request)  # the client stopped reading: drop it
                    return response
        await response.write_eof()
    finally:
        fh.close()
    return response
