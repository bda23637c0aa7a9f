"""Bucket policies: ``PUT/GET/DELETE /?policy``, and their part in deciding who may do what.

A bucket policy is a CAM policy (the language of ``policy.py``, evaluated by it: no second
evaluator) whose statements also name *principals*::

    {"version": "2.0",
     "statement": [{"principal": {"qcs": ["*"]}, "effect": "allow",
                    "action": ["name/cos:GetObject"],
                    "resource": ["qcs::cos:ap-guangzhou:uid/1250000000:examplebucket-1250000000/public/*"]}]}

Principals: ``*`` and ``qcs::cam::anyone:anyone`` are everyone, anonymous callers included;
``qcs::cam::uin/<uin>:uin/<uin>`` (or ``qcs::cam::uin/<uin>``) is the server's one account, which
signs with its permanent key or with temporary keys. Other ``qcs::`` principals are accepted and
stored but match nobody here (this server has no sub-accounts). Every resource must name this
bucket (``…:<bucket>/<key pattern>``); anything else is ``MalformedPolicy``.

Enforcement (``app.authenticate``, ``permissions.key_allowed``, the website host), as COS does:

- an explicit deny that matches the caller wins over everything: ACLs, the bucket policy's own
  allows, a temporary key's policy; it applies to the account too, except the permanent key's
  own Put/Get/DeleteBucketPolicy (so the owner can always undo a policy that locks it out);
- an anonymous request is let in by the ACL (as before) or by an allow for ``*``: so one prefix of
  a private bucket can be public, and an owner-only operation can be opened to everyone;
- an allow does not widen what a temporary key's own policy grants (the key's policy is a limit).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from aiohttp import web

from .context import Ctx
from .errors import CosServerError
from .handlers_common import check_body_md5, read_body
from .policy import MAX_POLICY_BYTES, Policy, PolicyError

SUB = "policy"  # the stored configuration's name (config_store) and the sub-resource
OWNER_ROUTES = frozenset({"PutBucketPolicy", "GetBucketPolicy", "DeleteBucketPolicy"})
ANYONE = frozenset({"*", "qcs::cam::anyone:anyone"})
_PRINCIPAL = re.compile(r"^(\*|qcs::(cam|sts)::\S+)$")
_RESOURCE = re.compile(r"^qcs::cos:[^:]*:uid/(\d+):(?:prefix//\d+/([^/]+)/|([^/]+)/)", re.DOTALL)
_RequestKey = getattr(web, "RequestKey", None)
_ADMITTED = _RequestKey("cos_policy_admitted", bool) if _RequestKey else "cos_policy_admitted"
_RULES = _RequestKey("cos_bucket_policy", object) if _RequestKey else "cos_bucket_policy"


class Rules:
    """A bucket's policy split by whom it speaks of: everyone, and the server's account."""

    def __init__(self, anyone: Policy | None, account: Policy | None) -> None:
        self.anyone = anyone
        self.account = account

    def for_caller(self, anonymous: bool) -> Policy | None:
        return self.anyone if anonymous else self.account


def _lower(value: Any) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in value.items()} if isinstance(value, dict) else {}


def _principals(statement: dict[str, Any]) -> list[str]:
    principal = _lower(statement.get("principal"))
    if not principal:
        raise PolicyError("every statement needs a principal {\"qcs\": [...]}")
    names = principal.get("qcs")
    names = names if isinstance(names, list) else [names]
    if len(principal) != 1 or not names or not all(isinstance(n, str) and _PRINCIPAL.match(n) for n in names):
        raise PolicyError("a principal is {\"qcs\": [\"*\" | \"qcs::cam::...\", ...]}")
    return names


def _check_resources(statement: dict[str, Any], bucket: str) -> None:
    resources = statement.get("resource")
    for item in resources if isinstance(resources, list) else [resources]:
        found = _RESOURCE.match(item) if isinstance(item, str) else None
        named = (found.group(3) or f"{found.group(2)}-{found.group(1)}") if found else None
        if named != bucket:
            raise PolicyError(f"resource {item!r} is not in this bucket (qcs::cos:<region>:uid/<appid>:{bucket}/...)")


def parse(text: str | bytes, bucket: str, uin: str) -> tuple[Policy, Rules]:
    """Check a bucket policy document; :class:`PolicyError` says what is wrong with it."""
    whole = Policy.parse(text)  # JSON, version, effects, actions, resources, conditions
    document = _lower(json.loads(text))
    raw = document.get("statement")
    raw = raw if isinstance(raw, list) else [raw]
    account = ANYONE | {f"qcs::cam::uin/{uin}:uin/{uin}", f"qcs::cam::uin/{uin}"}
    anyone_statements, account_statements = [], []
    for statement in raw:
        fields = _lower(statement)
        names = set(_principals(fields))
        _check_resources(fields, bucket)
        if names & ANYONE:
            anyone_statements.append(statement)
        if names & account:
            account_statements.append(statement)
    return whole, Rules(_subset(anyone_statements), _subset(account_statements))


def _subset(statements: list) -> Policy | None:
    return Policy.parse({"version": "2.0", "statement": statements}) if statements else None


@lru_cache(maxsize=256)
def _rules(text: str, bucket: str, uin: str) -> Rules:
    return parse(text, bucket, uin)[1]


def for_caller(ctx: Ctx, request: web.Request, anonymous: bool) -> Policy | None:
    """The statements of the bucket's policy that speak of this caller (None: none do, or no policy).

    Looked up once per request (a multi-delete asks for each key) and parsed once per distinct text.
    """
    if not ctx.bucket:
        return None
    if _RULES in request:
        found = request[_RULES]
    else:
        stored = ctx.storage.get_config(ctx.bucket, SUB)
        found = request[_RULES] = _rules(stored[1], ctx.bucket, ctx.server.config.owner_uin) if stored else None
    return found.for_caller(anonymous) if found is not None else None


def decide(policy: Policy | None, pairs: list[tuple[str, str]], facts: dict[str, str]) -> bool | None:
    """A policy on (action, resource) pairs: False (a deny matches), True (each one is allowed), None."""
    if policy is None or not pairs:
        return None
    verdicts = [policy.verdict(action, name, facts) for action, name in pairs]
    if any(v is False for v in verdicts):
        return False
    return True if all(v is True for v in verdicts) else None


def exempt(ctx: Ctx, route_name: str) -> bool:
    """The permanent key can always manage the policy itself (so no policy can lock the owner out)."""
    credential = ctx.credential
    return credential is not None and credential.token is None and route_name in OWNER_ROUTES


def admit(request: web.Request) -> None:
    """Remember that the bucket policy (not the ACL) let this anonymous request in."""
    request[_ADMITTED] = True


def admitted(request: web.Request) -> bool:
    return bool(request.get(_ADMITTED, False))


# ---------------------------------------------------------------- the handlers


async def put_policy(ctx: Ctx, request: web.Request) -> web.Response:
    bucket = ctx.storage.bucket(ctx.bucket)
    if request.content_length is not None and request.content_length > MAX_POLICY_BYTES:
        raise CosServerError("MalformedPolicy", f"The policy is larger than {MAX_POLICY_BYTES} bytes.")
    try:
        body = await read_body(ctx, request, MAX_POLICY_BYTES)
    except CosServerError as exc:
        if exc.code != "XMLSizeLimit":
            raise
        raise CosServerError("MalformedPolicy", f"The policy is larger than {MAX_POLICY_BYTES} bytes.") from None
    check_body_md5(request, body)
    if not body.strip():
        raise CosServerError("MissingRequestBodyError")
    try:
        text = body.decode("utf-8")
        parse(text, bucket.name, ctx.server.config.owner_uin)
    except (PolicyError, UnicodeDecodeError) as exc:
        raise CosServerError("MalformedPolicy", f"Invalid policy: {exc}") from None
    ctx.storage.put_config(ctx.bucket, SUB, ["Policy", text])
    return web.Response(status=204)


async def get_policy(ctx: Ctx, request: web.Request) -> web.Response:
    ctx.storage.bucket(ctx.bucket)
    stored = ctx.storage.get_config(ctx.bucket, SUB)
    if not stored:
        raise CosServerError("NoSuchPolicy")
    return web.Response(body=stored[1].encode("utf-8"), content_type="application/json")


async def delete_policy(ctx: Ctx, request: web.Request) -> web.Response:
    ctx.storage.bucket(ctx.bucket)
    ctx.storage.delete_config(ctx.bucket, SUB)
    return web.Response(status=204)
