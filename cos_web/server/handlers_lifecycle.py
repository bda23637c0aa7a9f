"""``PUT/GET/DELETE /?lifecycle``: a bucket's lifecycle configuration, validated by
`lifecycle_rules`, stored with the other bucket configurations (``bucket_configs``, as sent)
and applied by the sweep (`lifecycle_run`). A bucket without one: GET is 404
NoSuchLifecycleConfiguration; DELETE is 204 either way. A PUT replaces the whole configuration.
"""

from __future__ import annotations

from aiohttp import web

from . import xmlio
from .context import Ctx, empty
from .errors import CosServerError
from .handlers_common import check_body_md5, read_body
from .lifecycle_rules import SUB, parse

LIMIT = 1 << 20  # a document of MAX_LIFECYCLE_RULES rules fits


async def put_lifecycle(ctx: Ctx, request: web.Request) -> web.Response:
    ctx.storage.bucket(ctx.bucket)
    body = await read_body(ctx, request, LIMIT)
    check_body_md5(request, body)
    root = await xmlio.parse_async(body, LIMIT)
    if root.tag != "LifecycleConfiguration":
        raise CosServerError("MalformedXML", f"Unexpected element {root.tag}.")
    tree, _rules = parse(root)
    ctx.storage.put_config(ctx.bucket, SUB, tree)
    return empty()


async def get_lifecycle(ctx: Ctx, request: web.Request) -> web.Response:
    ctx.storage.bucket(ctx.bucket)
    tree = ctx.storage.get_config(ctx.bucket, SUB)
    if tree is None:
        raise CosServerError("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist.", 404)
    return web.Response(body=xmlio.render(tree[0], tree[1]), content_type="application/xml")


async def delete_lifecycle(ctx: Ctx, request: web.Request) -> web.Response:
    ctx.storage.bucket(ctx.bucket)
    ctx.storage.delete_config(ctx.bucket, SUB)
    return empty(204)
