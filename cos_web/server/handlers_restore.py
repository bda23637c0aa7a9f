"""POST Object restore: ``POST /{key}?restore`` with a RestoreRequest document.

    <RestoreRequest>
      <Days>1</Days>
      <CASJobParameters><Tier>Standard</Tier></CASJobParameters>
    </RestoreRequest>

Days (1 to `MAX_RESTORE_DAYS`) is required; Tier defaults to Standard (Expedited,
Standard, Bulk for ARCHIVE; Standard, Bulk for DEEP_ARCHIVE). 202 when a restore
starts, 200 when it extends a restored copy; the rules are in `restore_store`.
The copy is ready after the server's restore delay (``--restore-delay``, 0 s by default).
"""

from __future__ import annotations

from aiohttp import web

from ..values import MAX_RESTORE_DAYS
from . import xmlio
from .context import Ctx, check_key, empty
from .digits import uint
from .errors import CosServerError
from .handlers_common import XML_LIMIT, check_body_md5, read_body


async def restore_object(ctx: Ctx, request: web.Request) -> web.Response:
    check_key(ctx.key)
    body = await read_body(ctx, request, XML_LIMIT)
    check_body_md5(request, body)
    root = xmlio.parse(body, XML_LIMIT)
    if root.tag != "RestoreRequest":
        raise CosServerError("MalformedXML")
    days_text = xmlio.text(root, "Days")
    if days_text is None:
        raise CosServerError("MalformedXML", "RestoreRequest needs Days.")
    days = uint(days_text)
    if days is None or not 1 <= days <= MAX_RESTORE_DAYS:
        raise CosServerError("InvalidArgument", f"Days must be an integer from 1 to {MAX_RESTORE_DAYS}.")
    tier = xmlio.text(root, "CASJobParameters/Tier") or "Standard"
    status = ctx.storage.restore_object(ctx.bucket, ctx.key, days, tier, ctx.server.config.restore_delay, ctx.now())
    return empty(status)
