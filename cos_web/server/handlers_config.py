"""The stored bucket configurations of ``configs.KINDS``: PUT (and inventory's POST)
validates and stores the document, GET returns it as stored, DELETE removes it.
And an object's tags (``PUT/GET/DELETE /key?tagging``), kept with the object."""

from __future__ import annotations

import re

from aiohttp import web

from ..values import INVENTORY_ID_PATTERN
from . import object_tags, xmlio
from .configs import INVENTORY_PAGE, KINDS, OBJECT_TAGGING, Kind, read
from .context import Ctx, check_key, empty
from .errors import CosServerError
from .handlers_common import XML_LIMIT, check_body_md5, read_body

_ID_RE = re.compile(INVENTORY_ID_PATTERN)


def _kind(ctx: Ctx) -> Kind:
    return KINDS[ctx.sub or ""]


def _ident(ctx: Ctx, kind: Kind) -> str:
    if kind.keyed is None:
        return ""
    ident = ctx.param(kind.keyed)
    if not _ID_RE.fullmatch(ident):
        raise CosServerError("InvalidArgument", f"The {kind.keyed} parameter is missing or not valid.")
    return ident


def _document(tree: list) -> bytes:
    name, value = tree
    return xmlio.render(name, value if isinstance(value, list) else [])


async def put_config(ctx: Ctx, request: web.Request) -> web.Response:
    kind = _kind(ctx)
    ctx.storage.bucket(ctx.bucket)
    ident = _ident(ctx, kind)
    body = await read_body(ctx, request, XML_LIMIT)
    check_body_md5(request, body)
    if kind.clear_on_empty and not body.strip():
        ctx.storage.delete_config(ctx.bucket, kind.sub, ident)
        return empty()
    tree = read(xmlio.parse(body, XML_LIMIT), kind.schema)
    if kind.clear_on_empty and not tree[1]:
        ctx.storage.delete_config(ctx.bucket, kind.sub, ident)
        return empty()
    if kind.check is not None:
        kind.check(tree, {"storage": ctx.storage, "region": ctx.storage.bucket(ctx.bucket).region, "id": ident})
    ctx.storage.put_config(ctx.bucket, kind.sub, tree, ident, kind.extra.get("limit"))
    return empty()


async def get_config(ctx: Ctx, request: web.Request) -> web.Response:
    kind = _kind(ctx)
    if kind.keyed is not None and not ctx.has(kind.keyed):
        return await list_configs(ctx, request, kind)
    ctx.storage.bucket(ctx.bucket)
    tree = ctx.storage.get_config(ctx.bucket, kind.sub, _ident(ctx, kind))
    if tree is None:
        if not kind.empty:
            raise CosServerError(kind.missing or "NoSuchResource")
        tree = [kind.root, []]
    return web.Response(body=_document(tree), content_type="application/xml")


async def delete_config(ctx: Ctx, request: web.Request) -> web.Response:
    kind = _kind(ctx)
    ctx.storage.bucket(ctx.bucket)
    ctx.storage.delete_config(ctx.bucket, kind.sub, _ident(ctx, kind))
    return empty(204)


async def list_configs(ctx: Ctx, request: web.Request, kind: Kind) -> web.Response:
    """ListInventoryConfigurationResult: a page of configurations in id order; the token is the last id."""
    ctx.storage.bucket(ctx.bucket)
    token = ctx.param("continuation-token")
    found = ctx.storage.list_configs(ctx.bucket, kind.sub, token, INVENTORY_PAGE + 1)
    page, truncated = found[:INVENTORY_PAGE], len(found) > INVENTORY_PAGE
    nodes: list = [tuple(tree) for _, tree in page]
    if token:
        nodes.append(("ContinuationToken", token))
    nodes.append(("IsTruncated", truncated))
    if truncated:
        nodes.append(("NextContinuationToken", page[-1][0]))
    return web.Response(body=xmlio.render("ListInventoryConfigurationResult", nodes), content_type="application/xml")


# ---------------------------------------------------------------- object tags
async def put_object_tagging(ctx: Ctx, request: web.Request) -> web.Response:
    check_key(ctx.key)
    ctx.storage.get_object(ctx.bucket, ctx.key)
    body = await read_body(ctx, request, XML_LIMIT)
    check_body_md5(request, body)
    tags = object_tags.from_tree(read(xmlio.parse(body, XML_LIMIT), OBJECT_TAGGING.schema))
    object_tags.check(tags)
    ctx.storage.set_object_tags(ctx.bucket, ctx.key, tags)
    return empty()


async def get_object_tagging(ctx: Ctx, request: web.Request) -> web.Response:
    """The object's tags; an object without any has an empty TagSet (not an error)."""
    check_key(ctx.key)
    record = ctx.storage.get_object(ctx.bucket, ctx.key)
    tree = object_tags.to_tree(object_tags.stored(record.meta.headers))
    return web.Response(body=_document(tree), content_type="application/xml")


async def delete_object_tagging(ctx: Ctx, request: web.Request) -> web.Response:
    check_key(ctx.key)
    ctx.storage.set_object_tags(ctx.bucket, ctx.key, [])
    return empty(204)
