"""Static websites: a bucket's ``?website`` configuration served on its website host.

COS serves a bucket's website at ``<bucket>.cos-website.<region>.myqcloud.com``; this server at
``<bucket>.cos-website.<region>.localhost:PORT`` (any host whose name starts that way, as the API
host ``<bucket>.cos.<region>.…``). What happens to a ``GET``/``HEAD`` there, in order:

1. no such bucket: 404 NoSuchBucket; no website configuration: 404 NoSuchWebsiteConfiguration;
   any other method: 405 MethodNotAllowed;
2. ``RedirectAllRequestsTo``: 301 to the same host and path with its ``Protocol``;
3. a routing rule whose only condition is ``KeyPrefixEquals`` matching the key: 301 (below);
4. the key: ``/`` and ``prefix/`` mean ``prefix/`` + ``IndexDocument.Suffix``; a key that is
   missing while ``key/`` + suffix exists: 302 to ``/key/``;
5. the object is read as an anonymous ``GetObject`` (``HeadObject``): the bucket policy's deny,
   then the object's ACL (or the bucket's), then the policy's allow, as on the API host; refused:
   a rule on ``HttpErrorCodeReturnedEquals`` 403 redirects, else 403 AccessDenied;
6. missing: a rule on 404 (and its ``KeyPrefixEquals``, if it has one) redirects; else the
   ``ErrorDocument`` object (if it exists and may be read) with status 404 (200 when its
   ``OriginalHttpStatus`` is ``Disabled``); else 404 NoSuchKey.

A rule's redirect goes to ``<Protocol or http>://<same host>/<key>`` with the key replaced
(``ReplaceKeyWith``), its prefix replaced (``ReplaceKeyPrefixWith``) or kept. Query strings are
ignored and requests are never authenticated there (website hosts are for anonymous readers).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from aiohttp import web

from . import acl as acls
from . import bucket_policy, permissions
from . import handlers_object as ho
from . import policy as policies
from .configs import Tree, child_text, children
from .context import BUCKET_RE, Ctx
from .errors import CosServerError
from .records import ObjectRecord
from .state import CosServer
from .transfer import object_headers

WEBSITE_RE = re.compile(r"^(?P<bucket>[^.]+)\.cos-website\.(?P<region>[a-z0-9-]+)\.")
SUB = "website"
MAX_ERROR_DOCUMENT = 8 << 20  # the error document is answered from memory


def website_host(request: web.Request) -> tuple[str, str] | None:
    """(bucket, region) when the request came to a website host, else None."""
    host = (request.headers.get("Host") or "").strip().lower()
    found = WEBSITE_RE.match(host.rsplit(":", 1)[0] + ".")
    return (found.group("bucket"), found.group("region")) if found else None


def build(server: CosServer, request: web.Request, request_id: str, bucket: str, region: str) -> Ctx:
    """The request's context on a website host: the bucket from the host, the key from the path, no query."""
    raw_path = request.raw_path.partition("?")[0]
    try:
        path = unquote(raw_path, errors="strict")
    except UnicodeDecodeError:
        raise CosServerError("InvalidURI") from None
    path = path if path.startswith("/") else "/" + path
    host = (request.headers.get("Host") or "").strip().lower()
    ctx = Ctx(server, request_id, host, bucket, region, path, path[1:], [])
    if not BUCKET_RE.fullmatch(bucket):
        raise CosServerError("InvalidBucketName")
    return ctx


@dataclass(frozen=True)
class Rule:
    code: str  # HttpErrorCodeReturnedEquals, or ""
    prefix: str | None  # KeyPrefixEquals
    protocol: str
    replace_key: str | None
    replace_prefix: str | None

    def matches(self, key: str, code: str) -> bool:
        if self.code != code:
            return False
        return self.prefix is None or key.startswith(self.prefix)

    def target(self, key: str) -> str:
        if self.replace_key is not None:
            return self.replace_key
        if self.replace_prefix is not None and self.prefix is not None:
            return self.replace_prefix + key[len(self.prefix):]
        return key


@dataclass(frozen=True)
class Website:
    suffix: str
    redirect_all: str | None
    error_key: str | None
    error_status: int
    rules: tuple[Rule, ...]

    @classmethod
    def from_tree(cls, tree: Tree) -> "Website":
        rules = []
        for rule in [r for lst in children(tree, "RoutingRules") for r in children(lst, "RoutingRule")]:
            condition, redirect = children(rule, "Condition")[0], children(rule, "Redirect")[0]
            rules.append(Rule(
                child_text(condition, "HttpErrorCodeReturnedEquals"),
                child_text(condition, "KeyPrefixEquals") if children(condition, "KeyPrefixEquals") else None,
                child_text(redirect, "Protocol") or "",
                child_text(redirect, "ReplaceKeyWith") if children(redirect, "ReplaceKeyWith") else None,
                child_text(redirect, "ReplaceKeyPrefixWith") if children(redirect, "ReplaceKeyPrefixWith") else None,
            ))
        index = children(tree, "IndexDocument")
        everything = children(tree, "RedirectAllRequestsTo")
        error = children(tree, "ErrorDocument")
        return cls(
            child_text(index[0], "Suffix") if index else "",
            child_text(everything[0], "Protocol") if everything else None,
            child_text(error[0], "Key") if error else None,
            200 if error and child_text(error[0], "OriginalHttpStatus") == "Disabled" else 404,
            tuple(rules),
        )

    def rule(self, key: str, code: str) -> Rule | None:
        return next((r for r in self.rules if r.matches(key, code)), None)


def _redirect(status: int, location: str) -> web.Response:
    return web.Response(status=status, headers={"Location": location})


def _rule_redirect(ctx: Ctx, request: web.Request, rule: Rule, key: str) -> web.Response:
    protocol = rule.protocol or request.scheme
    return _redirect(301, f"{protocol}://{ctx.host}/{quote(rule.target(key), safe='/-_.~')}")


def readable(ctx: Ctx, request: web.Request, key: str, record: ObjectRecord) -> bool:
    """May an anonymous reader GET (HEAD) this object? The bucket policy's deny, the ACLs, its allow."""
    action = policies.ACTIONS["HeadObject" if request.method == "HEAD" else "GetObject"].action
    pairs = [(action, policies.resource(ctx.region, ctx.bucket, key))]
    said = bucket_policy.decide(bucket_policy.for_caller(ctx, request, True), pairs, permissions.facts(ctx, request))
    if said is False:
        return False
    bucket = ctx.storage.bucket(ctx.bucket)
    return acls.object_public_read(record.meta.acl, bucket.acl) or said is True


async def serve(ctx: Ctx, request: web.Request) -> web.StreamResponse:
    """Answer one request to the website host (the steps of the module docstring)."""
    if request.method not in ("GET", "HEAD"):
        raise CosServerError("MethodNotAllowed")
    ctx.storage.bucket(ctx.bucket)
    tree = ctx.storage.get_config(ctx.bucket, SUB)
    if tree is None:
        raise CosServerError("NoSuchWebsiteConfiguration")
    site = Website.from_tree(tree)
    if site.redirect_all:
        return _redirect(301, f"{site.redirect_all}://{ctx.host}{request.raw_path}")
    key = ctx.key
    rule = site.rule(key, "")
    if rule is not None:
        return _rule_redirect(ctx, request, rule, key)
    wanted = key + site.suffix if key == "" or key.endswith("/") else key
    record = ctx.storage.find_object(ctx.bucket, wanted)
    if record is None and wanted == key and ctx.storage.find_object(ctx.bucket, f"{key}/{site.suffix}"):
        return _redirect(302, f"/{quote(key, safe='/-_.~')}/")
    if record is not None:
        if not readable(ctx, request, wanted, record):
            rule = site.rule(key, "403")
            if rule is not None:
                return _rule_redirect(ctx, request, rule, key)
            raise CosServerError("AccessDenied")
        ctx.key, ctx.path = wanted, "/" + wanted  # an index document is served as its own key
        return await ho.get_object(ctx, request)
    rule = site.rule(key, "404")
    if rule is not None:
        return _rule_redirect(ctx, request, rule, key)
    return await _error_document(ctx, request, site)


async def _error_document(ctx: Ctx, request: web.Request, site: Website) -> web.Response:
    """The ErrorDocument object with the error's status, or COS's 404 NoSuchKey without one."""
    record = ctx.storage.find_object(ctx.bucket, site.error_key) if site.error_key else None
    if record is None or record.size > MAX_ERROR_DOCUMENT or not readable(ctx, request, site.error_key, record):
        raise CosServerError("NoSuchKey")
    found, fh = ctx.storage.open_object(ctx.bucket, site.error_key)
    try:
        body = await asyncio.to_thread(fh.read, found.size)
    finally:
        fh.close()
    headers = object_headers(found)
    headers.pop("Content-Length", None)
    return web.Response(status=site.error_status, body=body if request.method == "GET" else None, headers=headers)
