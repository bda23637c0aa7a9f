"""What a request signed with temporary keys may do: its policy, checked before the handler runs.

Requests signed with the permanent key (the owner), temporary keys issued without
a policy, and anonymous requests (the ACL decides, in ``app.authenticate``) pass
through untouched. For a key with a policy, the operation's action (``policy.ACTIONS``)
must be allowed on its resource, plus:

- ``x-cos-acl`` / ``x-cos-grant-*`` headers also need PutObjectACL (PutBucketACL on a bucket);
- ``x-cos-copy-source`` also needs GetObject on the source object;
- a multi-delete needs DeleteMultipleObjects *and* DeleteObject on every key in its
  body, checked by the handler through :func:`key_allowed` (a refused key is
  reported as ``AccessDenied`` in the ``DeleteResult``, the others are deleted).

Anything outside the policy is COS's ``AccessDenied`` (403).

The bucket's own policy (``bucket_policy.py``) is applied here too, to every caller: its
explicit deny wins over everything (:func:`check_bucket_policy`, :func:`key_allowed`), and
:func:`bucket_verdict` tells ``app.authenticate`` whether it lets an anonymous request in.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from aiohttp import web

from . import bucket_policy
from . import policy as policies
from .context import HOST_RE, Ctx
from .errors import CosServerError


def facts(ctx: Ctx, request: web.Request) -> dict[str, str]:
    """The values policy conditions are checked against (a key is absent when the request has no such thing)."""
    out = {"qcs:ip": request.remote or "", "cos:secure-transport": "true" if request.secure else "false"}
    if ctx.has("prefix"):
        out["cos:prefix"] = ctx.param("prefix")
    for header, key in (("Content-Type", "cos:content-type"), ("Content-Length", "cos:content-length")):
        if header in request.headers:
            out[key] = request.headers[header].strip()
    return out


def _copy_source(ctx: Ctx, raw: str) -> tuple[str | None, str, str]:
    """(region, bucket, key) of an ``x-cos-copy-source`` value; unparsable values name nothing this key may read."""
    raw = re.sub(r"^https?://", "", raw.strip())
    host, _, path = raw.partition("/")
    found = HOST_RE.match(host.lower().rsplit(":", 1)[0] + ".")
    if found is None:
        return None, "", ""
    bucket = found.group("bucket")
    known = ctx.storage.find_bucket(bucket)
    return (known.region if known else found.group("region")), bucket, unquote(path.split("?", 1)[0])


def needs(ctx: Ctx, request: web.Request, route_name: str) -> list[tuple[str, str]]:
    """The (action, resource) pairs this request needs; raises AccessDenied for an operation no token may do."""
    need = policies.ACTIONS.get(route_name)
    if need is None or need.scope == "owner":
        raise CosServerError("AccessDenied", f"{route_name} needs the permanent key.")
    if need.scope == "service":
        return [(need.action, "")]
    if need.scope == "keys":
        return []  # checked per key by the handler (key_allowed)
    key = ctx.key if need.scope == "object" else None
    target = policies.resource(ctx.region, ctx.bucket, key)
    pairs = [(need.action, target)]
    headers = request.headers
    if route_name in ("PutObject", "InitiateMultipartUpload", "PutBucket", "AppendObject") and (
        "x-cos-acl" in headers or any(name.lower().startswith("x-cos-grant-") for name in headers)
    ):
        pairs.append((policies.ACL_ACTION[need.scope], target))
    if route_name in ("PutObject", "UploadPart") and "x-cos-copy-source" in headers:
        region, bucket, source_key = _copy_source(ctx, headers["x-cos-copy-source"])
        pairs.append((policies.COPY_SOURCE_ACTION, policies.resource(region, bucket, source_key) or "-"))
    return pairs


def authorize(ctx: Ctx, request: web.Request, route_name: str) -> None:
    """Raise AccessDenied unless the request's temporary key's policy allows it (no-op for other callers)."""
    credential = ctx.credential
    if credential is None or credential.policy is None:
        return
    policy = policies.load(credential.policy)
    if not policy.allows_all(needs(ctx, request, route_name), facts(ctx, request)):
        raise CosServerError("AccessDenied", "The temporary key's policy does not allow this request.")


def key_allowed(ctx: Ctx, request: web.Request, key: str) -> bool:
    """May this request delete ``key`` as part of a multi-delete? (the bucket policy, then a key's policy)"""
    target = policies.resource(ctx.region, ctx.bucket, key)
    wanted = [(policies.ACTIONS["DeleteMultipleObjects"].action, target), (policies.ACTIONS["DeleteObject"].action, target)]
    anonymous = ctx.credential is None
    said = bucket_policy.decide(bucket_policy.for_caller(ctx, request, anonymous), wanted, facts(ctx, request))
    if said is False or (said is None and anonymous and bucket_policy.admitted(request)):
        return False  # denied, or let in by the bucket policy's allow, which does not cover this key
    credential = ctx.credential
    if credential is None or credential.policy is None:
        return True
    return policies.load(credential.policy).allows_all(wanted, facts(ctx, request))


# ---------------------------------------------------------------- the bucket's policy (bucket_policy.py)


def bucket_verdict(ctx: Ctx, request: web.Request, route_name: str, anonymous: bool) -> bool | None:
    """What the bucket's policy says of this request: False (denied), True (allowed), None (nothing)."""
    need = policies.ACTIONS.get(route_name)
    if ctx.bucket is None or need is None or need.scope in ("owner", "service"):
        return None
    policy = bucket_policy.for_caller(ctx, request, anonymous)
    if policy is None:
        return None
    if need.scope == "keys":  # a multi-delete: the bucket here, each key in the handler (key_allowed)
        pairs = [(need.action, policies.resource(ctx.region, ctx.bucket, None))]
    else:
        pairs = needs(ctx, request, route_name)
    return bucket_policy.decide(policy, pairs, facts(ctx, request))


def check_bucket_policy(ctx: Ctx, request: web.Request, route_name: str) -> None:
    """A signed request: AccessDenied when the bucket's policy denies the account this request."""
    if bucket_policy.exempt(ctx, route_name):
        return
    if bucket_verdict(ctx, request, route_name, anonymous=False) is False:
        raise CosServerError("AccessDenied", "The bucket policy denies this request.")
