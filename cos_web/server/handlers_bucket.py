"""Service and bucket operations: list buckets, create/head/list/delete, acl, cors, location, multi-delete."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiohttp import web

from ..values import MAX_BUCKET_HOST, MAX_DELETE_KEYS, MAX_LIST_BUCKETS
from . import acl as acls
from . import cors, object_tags, permissions, xmlio
from .context import BUCKET_RE, Ctx, check_key, empty, iso_date, url_encode, xml_response
from .errors import CosServerError
from .handlers_common import listing_params, DELETE_LIMIT, XML_LIMIT, acl_response, check_body_md5, owner, parse_acl, read_body
from .records import Bucket


# ---------------------------------------------------------------- service
_RANGES = {"lt": float.__lt__, "gt": float.__gt__, "lte": float.__le__, "gte": float.__ge__}


def _service_filter(ctx: Ctx) -> Callable[[Bucket], bool]:
    """GET Service's filters besides the region: one bucket tag (``tagkey`` with ``tagvalue``)
    and the creation time (``create-time``, Unix seconds, with ``range`` lt/gt/lte/gte)."""
    tag = None
    if ctx.has("tagkey") or ctx.has("tagvalue"):
        if not (ctx.has("tagkey") and ctx.has("tagvalue")):
            raise CosServerError("InvalidArgument", "tagkey and tagvalue go together.")
        tag = [ctx.param("tagkey"), ctx.param("tagvalue")]
    when = None
    if ctx.has("create-time") or ctx.has("range"):
        compare = _RANGES.get(ctx.param("range"))
        if compare is None or not ctx.param("create-time").isdigit() or len(ctx.param("create-time")) > 19:
            raise CosServerError("InvalidArgument", "create-time (Unix seconds) goes with range lt, gt, lte or gte.")
        when = (compare, float(ctx.param("create-time")))

    def keep(bucket: Bucket) -> bool:
        if when is not None and not when[0](float(int(bucket.created)), when[1]):
            return False
        if tag is not None:
            tree = ctx.storage.get_config(bucket.name, "tagging")
            return tree is not None and tag in object_tags.from_tree(tree)
        return True

    return keep


async def list_buckets(ctx: Ctx, request: web.Request) -> web.Response:
    region = ctx.param("region") or ctx.region
    marker = ctx.param("marker", "")
    max_keys = ctx.param_int("max-keys", MAX_LIST_BUCKETS, 1, MAX_LIST_BUCKETS)
    keep = _service_filter(ctx)
    buckets = [b for b in ctx.storage.list_buckets()
               if (not region or b.region == region) and b.name > marker and keep(b)]
    page, truncated = buckets[:max_keys], len(buckets) > max_keys
    items = [("Bucket", [("Name", b.name), ("Location", b.region), ("CreationDate", iso_date(b.created, False))])
             for b in page]
    children = [("Owner", owner(ctx)), ("Buckets", items)]
    if ctx.has("marker") or ctx.has("max-keys"):
        children += [("Marker", marker), ("MaxKeys", max_keys), ("IsTruncated", truncated)]
        if truncated:
            children.append(("NextMarker", page[-1].name))
    return xml_response("ListAllMyBucketsResult", children)


# ---------------------------------------------------------------- bucket
async def put_bucket(ctx: Ctx, request: web.Request) -> web.Response:
    name = ctx.bucket or ""
    if not BUCKET_RE.fullmatch(name):
        raise CosServerError("InvalidBucketName")
    if len(f"{name}.cos.{ctx.region}.myqcloud.com") > MAX_BUCKET_HOST:
        raise CosServerError("BucketNameTooLong")
    acl = acls.from_headers(request.headers, for_object=False) or {"canned": "private", "grants": []}
    await read_body(ctx, request, XML_LIMIT)  # CreateBucketConfiguration (MAZ) is accepted and ignored
    ctx.storage.create_bucket(name, ctx.region or ctx.server.config.region, acl)
    return empty()


async def head_bucket(ctx: Ctx, request: web.Request) -> web.Response:
    bucket = ctx.storage.bucket(ctx.bucket)
    return empty(headers={"x-cos-bucket-region": bucket.region})


async def delete_bucket(ctx: Ctx, request: web.Request) -> web.Response:
    ctx.storage.delete_bucket(ctx.bucket)
    return empty(204)


async def get_bucket(ctx: Ctx, request: web.Request) -> web.Response:
    encoding, delimiter, max_keys = listing_params(ctx)
    prefix, marker = ctx.param("prefix", ""), ctx.param("marker", "")
    bucket = ctx.storage.bucket(ctx.bucket)
    contents, prefixes, truncated, next_marker = ctx.storage.list_objects(
        ctx.bucket, prefix, delimiter, marker, max_keys
    )
    enc = url_encode if encoding else (lambda s: s)
    children: list[tuple] = [("Name", ctx.bucket)]
    if encoding:
        children.append(("EncodingType", encoding))
    children += [("Prefix", enc(prefix)), ("Marker", enc(marker)), ("MaxKeys", max_keys)]
    if delimiter:
        children.append(("Delimiter", enc(delimiter)))
    children.append(("IsTruncated", truncated))
    if truncated and next_marker is not None:
        children.append(("NextMarker", enc(next_marker)))
    children += [("CommonPrefixes", [("Prefix", enc(cp))]) for cp in prefixes]
    appid = ctx.appid
    for item in contents:
        children.append(("Contents", [
            ("Key", enc(item.key)),
            ("LastModified", iso_date(item.mtime)),
            ("ETag", item.etag),
            ("Size", item.size),
            ("Owner", [("ID", appid), ("DisplayName", appid)]),
            ("StorageClass", item.meta.storage_class),
        ]))
    return xml_response("ListBucketResult", children, headers={"x-cos-bucket-region": bucket.region})


async def get_location(ctx: Ctx, request: web.Request) -> web.Response:
    bucket = ctx.storage.bucket(ctx.bucket)
    body = (xmlio.DECLARATION + f"<LocationConstraint>{bucket.region}</LocationConstraint>").encode()
    return web.Response(body=body, content_type="application/xml")


# ---------------------------------------------------------------- acl
async def get_bucket_acl(ctx: Ctx, request: web.Request) -> web.Response:
    bucket = ctx.storage.bucket(ctx.bucket)
    return acl_response(ctx, bucket.acl, "private")


async def put_bucket_acl(ctx: Ctx, request: web.Request) -> web.Response:
    ctx.storage.bucket(ctx.bucket)
    ctx.storage.set_bucket_acl(ctx.bucket, await parse_acl(ctx, request, for_object=False))
    return empty()


# ---------------------------------------------------------------- cors
async def get_cors(ctx: Ctx, request: web.Request) -> web.Response:
    bucket = ctx.storage.bucket(ctx.bucket)
    if not bucket.cors:
        raise CosServerError("NoSuchCORSConfiguration")
    return xml_response("CORSConfiguration", cors.render(bucket.cors))


async def put_cors(ctx: Ctx, request: web.Request) -> web.Response:
    ctx.storage.bucket(ctx.bucket)
    body = await read_body(ctx, request, XML_LIMIT)
    check_body_md5(request, body)
    ctx.storage.set_bucket_cors(ctx.bucket, cors.parse(xmlio.parse(body, XML_LIMIT)))
    return empty()


async def delete_cors(ctx: Ctx, request: web.Request) -> web.Response:
    ctx.storage.set_bucket_cors(ctx.bucket, None)
    return empty(204)


# ---------------------------------------------------------------- multi-delete
async def delete_objects(ctx: Ctx, request: web.Request) -> web.Response:
    ctx.storage.bucket(ctx.bucket)
    body = await read_body(ctx, request, DELETE_LIMIT)
    check_body_md5(request, body)
    root = await xmlio.parse_async(body, DELETE_LIMIT)
    if root.tag != "Delete":
        raise CosServerError("MalformedXML")
    quiet = (xmlio.text(root, "Quiet", "false") or "false").lower() == "true"
    objects = root.findall("Object")
    if not objects or len(objects) > MAX_DELETE_KEYS:
        raise CosServerError("MalformedXML", f"The number of objects must be between 1 and {MAX_DELETE_KEYS}.")
    results: list[tuple] = []
    entries: list[tuple[str, str | None]] = []
    for node in objects:
        key = xmlio.text(node, "Key")
        if key is None:
            raise CosServerError("MalformedXML")
        version = xmlio.text(node, "VersionId") or None
        try:
            check_key(key)
            if not permissions.key_allowed(ctx, request, key):
                raise CosServerError("AccessDenied")
        except CosServerError as exc:
            named = [("VersionId", version)] if version else []
            results.append(("Error", [("Key", key), *named, ("Code", exc.code), ("Message", exc.message)]))
            continue
        entries.append((key, version))
    # One transaction for all of them, in a worker thread: the event loop keeps serving meanwhile.
    outcomes = await asyncio.to_thread(ctx.storage.delete_entries, ctx.bucket, entries)
    if not quiet:
        for (key, version), outcome in zip(entries, outcomes):
            item: list[tuple] = [("Key", key)]
            if version is not None:
                item.append(("VersionId", version))
            if outcome.marker:
                item += [("DeleteMarker", True), ("DeleteMarkerVersionId", outcome.version_id)]
            results.append(("Deleted", item))
    return xml_response("DeleteResult", results)
