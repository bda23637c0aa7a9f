"""The aiohttp application: one entry handler and the cross-cutting rules around it.

Per request: request id → context (bucket from Host, key, sub-resource) →
CORS preflight (never authenticated) → authentication (signature, or an
anonymous caller the ACL lets in) → the route's handler. Errors of any kind
become COS ``<Error>`` documents; every response gets ``x-cos-request-id``,
``Date``, ``Server: tencent-cos`` and, when the bucket has a matching rule,
Access-Control-* headers; one log line per request goes to stderr.
"""

from __future__ import annotations

import base64
import dataclasses
import logging
import os
import sys
import time

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from . import acl as acls
from . import authz, bucket_policy, context, cors, fault_wire, lifecycle, permissions, routes, website, xmlio
from .context import Ctx
from .errors import CosServerError, NotModified
from .state import CosServer, ServerConfig

log = logging.getLogger("cos_web.server")
SERVER_KEY = web.AppKey("cos_server", CosServer)
QUIET_KEY = web.AppKey("cos_quiet", bool)
_RequestKey = getattr(web, "RequestKey", None)
CTX_KEY = _RequestKey("cos_ctx", object) if _RequestKey else "cos_ctx"
REQUEST_ID_KEY = _RequestKey("cos_request_id", str) if _RequestKey else "cos_request_id"
CORS_DONE_KEY = _RequestKey("cos_cors_done", bool) if _RequestKey else "cos_cors_done"
CORS_RULES_KEY = _RequestKey("cos_cors_rules", object) if _RequestKey else "cos_cors_rules"


# Errors after which the connection is closed rather than kept alive (the body was not read to its end).
CLOSE_AFTER = {"RequestTimeout", "SlowDown"}


class ConnectionLog(logging.LoggerAdapter):
    """The logger aiohttp's connection handler gets: a client's malformed HTTP (a control
    character in a header, a line too long) is one info line, not an error with a traceback.
    Any other exception still logs as one."""

    def exception(self, msg, *args, exc_info=True, **kwargs) -> None:  # type: ignore[override]
        if isinstance(exc_info, HttpProcessingError):
            self.logger.info("malformed HTTP from a client: %s", exc_info.message)
            return
        self.logger.exception(msg, *args, exc_info=exc_info, **kwargs)


CONNECTION_LOG = ConnectionLog(logging.getLogger("aiohttp.server"), {})


def new_request_id() -> str:
    return base64.b64encode(os.urandom(18)).decode().replace("+", "-").replace("/", "_")


def error_response(request: web.Request, error: CosServerError, ctx: Ctx | None) -> web.Response:
    request_id = request.get(REQUEST_ID_KEY, "")
    resource = ctx.resource if ctx else (request.headers.get("Host", "") + request.path)
    children = [("Code", error.code), ("Message", error.message), ("Resource", resource),
                ("RequestId", request_id), ("TraceId", request_id)]
    children += list(error.extra.items())
    headers = {"x-cos-trace-id": request_id, **error.headers}
    return web.Response(status=error.status, body=xmlio.render("Error", children), content_type="application/xml",
                        headers=headers)


def preflight(ctx: Ctx, request: web.Request) -> web.Response:
    origin = request.headers.get("Origin")
    method = request.headers.get("Access-Control-Request-Method")
    if not origin or not method:
        raise CosServerError("AccessForbidden", "Origin and Access-Control-Request-Method are required.")
    bucket = ctx.storage.find_bucket(ctx.bucket) if ctx.bucket else None
    wanted = cors.split_header_list(request.headers.get("Access-Control-Request-Headers"))
    rule = cors.match(_rules(ctx, bucket, method), origin, method, wanted)
    if rule is None:
        raise CosServerError("AccessForbidden")
    request[CORS_DONE_KEY] = True
    return web.Response(status=200, headers=cors.response_headers(rule, origin, True, wanted))


def _rules(ctx: Ctx, bucket, method: str) -> list[dict] | None:
    """The bucket's CORS rules; for creating a bucket that does not exist yet, the open rule.

    (A browser can then create buckets; every other request on a missing bucket has no rule.)
    The service host (list buckets, temporary keys) has the open rule: its calls need the key.
    """
    if ctx.bucket is None:
        return [cors.OPEN_RULE]
    if bucket is None and ctx.level == "bucket" and ctx.sub is None and method.upper() == "PUT":
        return [cors.OPEN_RULE]
    return bucket.cors if bucket else None


def authenticate(ctx: Ctx, request: web.Request, route: routes.Route) -> None:
    signed = authz.SignedRequest(request.method, ctx.path, ctx.query, request.headers)
    fields = authz.auth_fields(signed)
    if fields is not None:
        canonical = (f"{ctx.bucket}.cos.{ctx.region}.myqcloud.com",) if ctx.bucket else ()
        ctx.credential = authz.verify(signed, fields, ctx.server.lookup, ctx.now(), canonical)
        permissions.check_bucket_policy(ctx, request, route.name)  # the bucket policy's explicit deny
        permissions.authorize(ctx, request, route.name)  # a temporary key's policy
        return
    denied = CosServerError("AccessDenied", ServerTime=context.iso_date(ctx.now(), False))
    if ctx.bucket is None:
        raise denied
    said = permissions.bucket_verdict(ctx, request, route.name, anonymous=True)  # the bucket policy on "*"
    if said is False:
        raise denied
    if route.permission != "owner" and _acl_allows(ctx, route):
        return
    if said is True:
        bucket_policy.admit(request)
        return
    raise denied


def _acl_allows(ctx: Ctx, route: routes.Route) -> bool:
    """Does the ACL let an anonymous caller do this (public-read / public-read-write, object ACLs)?"""
    bucket = ctx.storage.bucket(ctx.bucket)
    if route.permission == "bucket-read":
        return acls.allows_anonymous(bucket.acl, "READ")
    if route.permission == "bucket-write":
        return acls.allows_anonymous(bucket.acl, "WRITE")
    if route.permission == "object-read":
        version = ctx.param("versionId")  # a version's own ACL decides a read of it
        record = (ctx.storage.find_version(ctx.bucket, ctx.key, version) if version
                  else ctx.storage.find_object(ctx.bucket, ctx.key))
        acl = record.meta.acl if record else {"canned": "default", "grants": []}
        return acls.object_public_read(acl, bucket.acl)
    return False


async def entry(request: web.Request) -> web.StreamResponse:
    server = request.app[SERVER_KEY]
    site = website.website_host(request)
    if site is not None:  # <bucket>.cos-website.<region>...: the bucket's static website, anonymous
        ctx = request[CTX_KEY] = website.build(server, request, request[REQUEST_ID_KEY], *site)
        return await website.serve(ctx, request)
    ctx = context.build(server, request, request[REQUEST_ID_KEY])
    request[CTX_KEY] = ctx
    if request.method == "OPTIONS":
        return preflight(ctx, request)
    if request.headers.get("Origin"):
        bucket = ctx.storage.find_bucket(ctx.bucket) if ctx.bucket else None
        request[CORS_RULES_KEY] = _rules(ctx, bucket, request.method)
    route = routes.find(ctx, request.method)
    if route is None:
        raise CosServerError("MethodNotAllowed")
    if ctx.server.faults is not None:
        return await fault_wire.apply(ctx.server.faults, ctx, request, route.name, lambda: serve(ctx, request, route))
    return await serve(ctx, request, route)


async def serve(ctx: Ctx, request: web.Request, route: routes.Route) -> web.StreamResponse:
    authenticate(ctx, request, route)
    return await route.handler(ctx, request)


@web.middleware
async def cos_middleware(request: web.Request, handler) -> web.StreamResponse:
    request[REQUEST_ID_KEY] = new_request_id()
    started = time.monotonic()
    response: web.StreamResponse | None = None
    try:
        response = await handler(request)
    except CosServerError as exc:
        response = error_response(request, exc, request.get(CTX_KEY))
        if exc.code in CLOSE_AFTER:
            response.force_close()  # the rest of the body is not read; do not wait for it
    except NotModified as exc:
        response = web.Response(status=304, headers=exc.headers)
    except web.HTTPException as exc:
        code = {404: "NoSuchResource", 405: "MethodNotAllowed", 413: "EntityTooLarge"}.get(exc.status, "InvalidRequest")
        response = error_response(request, CosServerError(code, status=exc.status), request.get(CTX_KEY))
    except (ConnectionError, OSError) as exc:
        if request.transport is None or request.transport.is_closing():
            return _client_gone(request, started)
        log.exception("internal error")
        response = error_response(request, CosServerError("InternalError"), request.get(CTX_KEY))
    except Exception as exc:  # noqa: BLE001 - anything else is a 500 in COS's shape
        if type(exc).__name__ in ("ClientPayloadError", "EofStream"):
            return _client_gone(request, started)
        log.exception("internal error")
        response = error_response(request, CosServerError("InternalError"), request.get(CTX_KEY))
    _log(request, response.status, started, response)
    return response


def _client_gone(request: web.Request, started: float) -> web.Response:
    """The client went away mid-request: one short log line (none with --quiet), no traceback.

    The connection is closed; the response returned is never sent (aiohttp finds
    the transport closed and drops it quietly, where a raised error would be
    logged with its traceback).
    """
    _log(request, 499, started)
    if request.transport is not None and not request.transport.is_closing():
        request.transport.close()
    return web.Response(status=499)


def _log(request: web.Request, status: int, started: float, response: web.StreamResponse | None = None) -> None:
    if request.app[QUIET_KEY]:
        return
    ctx: Ctx | None = request.get(CTX_KEY)
    out = getattr(response, "body_length", 0) or 0
    if isinstance(response, web.Response) and response.body is not None:
        out = len(response.body)
    sent = (ctx.bytes_in if ctx else 0) + out
    ms = (time.monotonic() - started) * 1000
    bucket = (ctx.bucket if ctx else None) or "-"
    key = (ctx.key if ctx else "") or "-"
    print(f"{request.method} {bucket} {key} {status} {sent}B {ms:.1f}ms", file=sys.stderr, flush=True)


async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
    request_id = request.get(REQUEST_ID_KEY) or new_request_id()
    response.headers["x-cos-request-id"] = request_id
    response.headers["Server"] = "tencent-cos"
    ctx: Ctx | None = request.get(CTX_KEY)
    if ctx is not None and ctx.clock_offset:  # a fault rule's clock: (aiohttp has set Date already)
        response.headers["Date"] = context.http_date(ctx.now())
    response.headers.setdefault("Date", context.http_date(time.time()))
    origin = request.headers.get("Origin")
    if origin and not request.get(CORS_DONE_KEY) and ctx is not None:
        rules = request.get(CORS_RULES_KEY)  # as they were when the request came in
        if rules is None and ctx.bucket:
            bucket = ctx.storage.find_bucket(ctx.bucket)
            rules = bucket.cors if bucket else None
        rule = cors.match(rules, origin, request.method, [])
        if rule is not None:
            response.headers.update(cors.response_headers(rule, origin, False, []))
            response.headers.add("Vary", "Origin")


def create_app(config: ServerConfig | CosServer | None = None, *, restore_delay: float | None = None
               ) -> web.Application:
    """The aiohttp Application for a config (or an existing CosServer state).

    ``restore_delay`` (seconds) overrides the config's: how long a restore of an archived object takes.
    """
    server = config if isinstance(config, CosServer) else CosServer(config or ServerConfig())
    if restore_delay is not None:
        server.config = dataclasses.replace(server.config, restore_delay=float(restore_delay))
    app = web.Application(middlewares=[cos_middleware], client_max_size=64 << 20)
    app[SERVER_KEY] = server
    app[QUIET_KEY] = server.config.quiet
    if server.config.faults is not None:
        fault_wire.install(app, server, entry)
    lifecycle.install(app, server, entry)
    app.router.add_route("*", "/{tail:[\\s\\S]*}", entry)  # every path, keys with a newline too
    app.on_response_prepare.append(on_prepare)

    async def close(_app: web.Application) -> None:
        server.close()

    app.on_cleanup.append(close)
    return app
