"""What the handlers share: small request bodies (read with a limit, Content-MD5
checked), the owner as COS shows it, the ACL a request asks for, and the source
object of a copy. Handlers import these from here, never from each other.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import BinaryIO
from urllib.parse import unquote

from aiohttp import web

from ..values import MAX_CORS_BYTES, MAX_LIST_KEYS
from . import acl as acls
from . import xmlio
from .context import HOST_RE, Ctx, check_key, xml_response
from .errors import CosServerError
from .records import ObjectRecord
from .restore_store import check_readable
from .transfer import check_conditions, read_chunk

XML_LIMIT = MAX_CORS_BYTES  # ACL and CORS bodies
DELETE_LIMIT = 2 << 20  # multi-delete and complete-multipart bodies
DEFAULT_ACL = {"canned": "default", "grants": []}


async def read_body(ctx: Ctx, request: web.Request, limit: int) -> bytes:
    """A small (XML) request body, whole; XMLSizeLimit past ``limit``, RequestTimeout if it stalls."""
    if request.content_length is not None and request.content_length > limit:
        raise CosServerError("XMLSizeLimit")
    body = bytearray()
    while True:
        chunk = await read_chunk(ctx, request)
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > limit:
            raise CosServerError("XMLSizeLimit")


def check_body_md5(request: web.Request, body: bytes) -> None:
    given = request.headers.get("Content-MD5")
    if given is not None and given.strip() != base64.b64encode(hashlib.md5(body).digest()).decode():
        raise CosServerError("BadDigest")


def listing_params(ctx: Ctx) -> tuple[str, str, int]:
    """encoding-type, delimiter and max-keys of a bucket or versions listing, checked as COS does."""
    encoding = ctx.param("encoding-type", "")
    if encoding not in ("", "url"):
        raise CosServerError("InvalidArgument", "Invalid Encoding Method specified in Request.")
    delimiter = ctx.param("delimiter", "")
    if len(delimiter) > 1:
        raise CosServerError("InvalidDelimiter")
    max_keys = ctx.param_int("max-keys", MAX_LIST_KEYS, 0, MAX_LIST_KEYS)
    return encoding, delimiter, max_keys


def owner(ctx: Ctx) -> list[tuple]:
    """The ``ID``/``DisplayName`` children of an Owner or Initiator element."""
    return [("ID", ctx.server.owner), ("DisplayName", ctx.server.config.owner_uin)]


# ---------------------------------------------------------------- ACLs
async def parse_acl(ctx: Ctx, request: web.Request, for_object: bool) -> dict:
    from_headers = acls.from_headers(request.headers, for_object)
    body = await read_body(ctx, request, XML_LIMIT)
    if from_headers is not None:
        return from_headers
    return acls.from_xml(xmlio.parse(body, XML_LIMIT), for_object)


def acl_response(ctx: Ctx, acl: dict, default_canned: str) -> web.Response:
    """GET ?acl: the AccessControlPolicy document, and the canned name in ``x-cos-acl``."""
    headers = {"x-cos-acl": acls.canned_name(acl, default_canned)}
    return xml_response("AccessControlPolicy", acls.render(acl, ctx.server.owner, ctx.server.config.owner_uin),
                        headers=headers)


def object_acl(request: web.Request) -> dict:
    return acls.from_headers(request.headers, for_object=True) or dict(DEFAULT_ACL)


# ---------------------------------------------------------------- copy sources
# ---------------------------------------------------------------- versions
def version_param(ctx: Ctx) -> str | None:
    """The request's ``versionId`` (None when absent or empty: the current version)."""
    value = ctx.param("versionId")
    if not value:
        return None
    if len(value) > 128 or not value.isascii() or not value.isprintable():
        raise CosServerError("InvalidArgument", "Invalid version id specified.")
    return value


def version_header(record: ObjectRecord, asked: str | None = None) -> dict[str, str]:
    """``x-cos-version-id`` for a version that has an id (or that was asked for by id: ``null`` too)."""
    if record.version is not None:
        return {"x-cos-version-id": record.version}
    return {"x-cos-version-id": "null"} if asked is not None else {}


def source_version(request: web.Request) -> str | None:
    """The ``versionId`` of the x-cos-copy-source value, if it names one."""
    _, _, query = request.headers.get("x-cos-copy-source", "").partition("?")
    for item in query.split("&"):
        name, _, value = item.partition("=")
        if name.lower() == "versionid" and value:
            return unquote(value)
    return None


def copy_source(ctx: Ctx, request: web.Request) -> tuple[str, str]:
    """(bucket, key) named by x-cos-copy-source: ``<bucket>.cos.<region>.<domain>/<url-encoded key>``."""
    raw = request.headers["x-cos-copy-source"].strip()
    raw = re.sub(r"^https?://", "", raw)
    host, slash, path = raw.partition("/")
    path = path.split("?", 1)[0]
    found = HOST_RE.match(host.lower().rsplit(":", 1)[0] + ".")
    if not slash or not path or found is None:
        raise CosServerError("InvalidArgument", "The x-cos-copy-source header is not valid.")
    key = unquote(path)
    check_key(key)
    return found.group("bucket"), key


async def open_source(ctx: Ctx, request: web.Request) -> tuple[str, str, ObjectRecord, BinaryIO]:
    bucket, key = copy_source(ctx, request)
    source_bucket = ctx.storage.bucket(bucket)
    if ctx.credential is None:
        found = ctx.storage.find_object(bucket, key)
        if found is None or not acls.object_public_read(found.meta.acl, source_bucket.acl):
            raise CosServerError("AccessDenied")
    version = source_version(request)
    try:
        record, fh = ctx.storage.open_object(bucket, key, version)
    except CosServerError as exc:
        if exc.code == "MethodNotAllowed":  # the source version is a delete marker
            raise CosServerError("InvalidRequest", "The copy source is a delete marker.") from None
        raise
    try:
        check_readable(ctx.storage, record, ctx.now(), "GET")  # an archived source must be restored first
        check_conditions(request.headers, record, prefix="x-cos-copy-source-")
    except BaseException:
        fh.close()
        raise
    return bucket, key, record, fh
