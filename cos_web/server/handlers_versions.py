"""Bucket versioning: ``PUT/GET ?versioning`` (the status) and ``GET ?versions`` (the listing).

What versioning does to object writes, reads and deletes is in `version_store`; the object
handlers pass ``versionId`` through and add ``x-cos-version-id`` / ``x-cos-delete-marker``.
"""

from __future__ import annotations

from aiohttp import web

from . import xmlio
from .context import Ctx, empty, iso_date, url_encode, xml_response
from .errors import CosServerError
from .handlers_common import listing_params, XML_LIMIT, check_body_md5, read_body
from .version_store import STATUSES


async def put_versioning(ctx: Ctx, request: web.Request) -> web.Response:
    ctx.storage.bucket(ctx.bucket)
    body = await read_body(ctx, request, XML_LIMIT)
    check_body_md5(request, body)
    root = xmlio.parse(body, XML_LIMIT)
    if root.tag != "VersioningConfiguration" or any(child.tag != "Status" for child in root):
        raise CosServerError("MalformedXML")
    status = xmlio.text(root, "Status")
    if status not in STATUSES:
        raise CosServerError("MalformedXML", "Status must be Enabled or Suspended.")
    ctx.storage.set_versioning(ctx.bucket, status)
    return empty()


async def get_versioning(ctx: Ctx, request: web.Request) -> web.Response:
    ctx.storage.bucket(ctx.bucket)
    status = ctx.storage.versioning(ctx.bucket)
    return xml_response("VersioningConfiguration", [("Status", status)] if status else [])


async def list_versions(ctx: Ctx, request: web.Request) -> web.Response:
    encoding, delimiter, max_keys = listing_params(ctx)
    prefix, key_marker, id_marker = ctx.param("prefix"), ctx.param("key-marker"), ctx.param("version-id-marker")
    if id_marker and not key_marker:
        raise CosServerError("InvalidArgument", "A version-id marker cannot be specified without a key marker.")
    entries, prefixes, truncated, next_key, next_id = ctx.storage.list_versions(
        ctx.bucket, prefix, delimiter, key_marker, id_marker, max_keys)
    enc = url_encode if encoding else (lambda s: s)
    children: list[tuple] = [("Name", ctx.bucket)]
    if encoding:
        children.append(("EncodingType", encoding))
    children += [("Prefix", enc(prefix)), ("KeyMarker", enc(key_marker)), ("VersionIdMarker", id_marker),
                 ("MaxKeys", max_keys)]
    if delimiter:
        children.append(("Delimiter", enc(delimiter)))
    children.append(("IsTruncated", truncated))
    if truncated and next_key is not None:
        children.append(("NextKeyMarker", enc(next_key)))
        if next_id is not None:
            children.append(("NextVersionIdMarker", next_id))
    children += [("CommonPrefixes", [("Prefix", enc(cp))]) for cp in prefixes]
    owner = [("ID", ctx.appid), ("DisplayName", ctx.appid)]
    for entry in entries:
        head = [("Key", enc(entry.key)), ("VersionId", entry.version_id), ("IsLatest", entry.latest),
                ("LastModified", iso_date(entry.mtime))]
        if entry.marker:
            children.append(("DeleteMarker", head + [("Owner", owner)]))
        else:
            children.append(("Version", head + [("ETag", entry.etag), ("Size", entry.size),
                                                ("StorageClass", entry.storage_class), ("Owner", owner)]))
    return xml_response("ListVersionsResult", children)
