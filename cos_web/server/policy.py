"""CAM-style access policies for temporary keys (and, with principals, bucket policies:
``bucket_policy.py``): parse once, evaluate per request.

A policy is what Tencent Cloud's STS attaches to temporary keys::

    {"version": "2.0",
     "statement": [{"effect": "allow",
                    "action": ["name/cos:PutObject", "name/cos:GetObject"],
                    "resource": ["qcs::cos:ap-guangzhou:uid/1250000000:examplebucket-1250000000/uploads/*"],
                    "condition": {"string_like": {"cos:prefix": "uploads/*"}}}]}

Evaluation: a request needs one or more (action, resource) pairs (`ACTIONS` says
which for each server operation); each pair is denied by any matching ``deny``
statement, else allowed by a matching ``allow`` statement, else denied (deny by
default). Element names are matched case-insensitively (COS's own examples use
both ``Statement`` and ``statement``); action names are case-sensitive, as in COS.

Resources: ``qcs::cos:<region>:uid/<appid>:<bucket>/<key>`` for an object,
``…:<bucket>/`` for the bucket itself (so ``<bucket>/*`` covers both and
``<bucket>/uploads/*`` only objects), ``*`` for the service; ``*`` in a pattern
matches any run of characters, an empty region matches every region, and the
older ``…:prefix//<appid>/<short bucket>/<key>`` form is understood.

Conditions (a request missing the key never satisfies a positive operator, and
always satisfies a negated one):

    string_equal, string_not_equal, string_like, string_not_like
        cos:prefix (the ``prefix`` of GetBucket / ListMultipartUploads), cos:content-type
    numeric_equal, numeric_not_equal, numeric_less_than, numeric_less_than_equal,
    numeric_greater_than, numeric_greater_than_equal
        cos:content-length
    ip_equal, ip_not_equal
        qcs:ip (the client address, CIDR ranges allowed)
    bool_equal
        cos:secure-transport ("true" / "false"; this server speaks plain HTTP)

Anything else is refused when the policy is issued, rather than ignored.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

MAX_POLICY_BYTES = 16 << 10
COS = "name/cos:"


class Need(NamedTuple):
    """What one server operation asks of a policy: the action and where its resource is."""

    action: str
    scope: str  # "service", "bucket", "object", or "keys" (each key of a multi-delete body)


# The one table: every server operation (the route names of routes.py) -> COS's action name.
ACTIONS: dict[str, Need] = {
    "GetService": Need(COS + "GetService", "service"),
    "GetFederationToken": Need("", "owner"),  # the STS endpoint: the permanent key only, never a token
    "PutBucket": Need(COS + "PutBucket", "bucket"),
    "HeadBucket": Need(COS + "HeadBucket", "bucket"),
    "GetBucket": Need(COS + "GetBucket", "bucket"),
    "DeleteBucket": Need(COS + "DeleteBucket", "bucket"),
    "GetBucketAcl": Need(COS + "GetBucketACL", "bucket"),
    "PutBucketAcl": Need(COS + "PutBucketACL", "bucket"),
    "GetBucketCors": Need(COS + "GetBucketCORS", "bucket"),
    "PutBucketCors": Need(COS + "PutBucketCORS", "bucket"),
    "DeleteBucketCors": Need(COS + "DeleteBucketCORS", "bucket"),
    "GetBucketLocation": Need(COS + "GetBucketLocation", "bucket"),
    "ListMultipartUploads": Need(COS + "ListMultipartUploads", "bucket"),
    "DeleteMultipleObjects": Need(COS + "DeleteMultipleObjects", "keys"),
    "PutObject": Need(COS + "PutObject", "object"),
    "GetObject": Need(COS + "GetObject", "object"),
    "HeadObject": Need(COS + "HeadObject", "object"),
    "DeleteObject": Need(COS + "DeleteObject", "object"),
    "GetObjectAcl": Need(COS + "GetObjectACL", "object"),
    "PutObjectAcl": Need(COS + "PutObjectACL", "object"),
    "InitiateMultipartUpload": Need(COS + "InitiateMultipartUpload", "object"),
    "UploadPart": Need(COS + "UploadPart", "object"),
    "ListParts": Need(COS + "ListParts", "object"),
    "CompleteMultipartUpload": Need(COS + "CompleteMultipartUpload", "object"),
    "AbortMultipartUpload": Need(COS + "AbortMultipartUpload", "object"),
    "PutObjectTagging": Need(COS + "PutObjectTagging", "object"),
    "GetObjectTagging": Need(COS + "GetObjectTagging", "object"),
    "DeleteObjectTagging": Need(COS + "DeleteObjectTagging", "object"),
    # stored bucket configurations (configs.KINDS): the route name is COS's action name
    **{name: Need(COS + name, "bucket") for name in (
        "PutBucketTagging", "GetBucketTagging", "DeleteBucketTagging", "PutBucketReferer", "GetBucketReferer",
        "PutBucketLogging", "GetBucketLogging", "PutBucketAccelerate", "GetBucketAccelerate",
        "PutBucketEncryption", "GetBucketEncryption", "DeleteBucketEncryption",
        "PutBucketDomain", "GetBucketDomain", "DeleteBucketDomain", "PutBucketOrigin", "GetBucketOrigin",
        "DeleteBucketOrigin", "PutBucketReplication", "GetBucketReplication", "DeleteBucketReplication",
        "PutBucketInventory", "PostBucketInventory", "GetBucketInventory", "ListBucketInventory",
        "DeleteBucketInventory",
        "PutBucketWebsite", "GetBucketWebsite", "DeleteBucketWebsite",  # policyweb
    )},
    # bucket policies (policyweb): the owner's permanent key may always call these (bucket_policy.py)
    "PutBucketPolicy": Need(COS + "PutBucketPolicy", "bucket"),
    "GetBucketPolicy": Need(COS + "GetBucketPolicy", "bucket"),
    "DeleteBucketPolicy": Need(COS + "DeleteBucketPolicy", "bucket"),
    "PutBucketVersioning": Need(COS + "PutBucketVersioning", "bucket"),
    "GetBucketVersioning": Need(COS + "GetBucketVersioning", "bucket"),
    "GetBucketObjectVersions": Need(COS + "GetBucketObjectVersions", "bucket"),
    "AppendObject": Need(COS + "AppendObject", "object"),
    "PostObjectRestore": Need(COS + "PostObjectRestore", "object"),
    # lifecycle rules (handlers_lifecycle)
    **{name: Need(COS + name, "bucket") for name in (
        "PutBucketLifecycle", "GetBucketLifecycle", "DeleteBucketLifecycle")},
    "SelectObjectContent": Need(COS + "GetObject", "object"),  # COS: select needs cos:GetObject
}

# What else a request needs when it carries these headers.
ACL_ACTION = {"bucket": COS + "PutBucketACL", "object": COS + "PutObjectACL"}  # x-cos-acl / x-cos-grant-*
COPY_SOURCE_ACTION = COS + "GetObject"  # on the source object of x-cos-copy-source

_STRING_OPS = {"string_equal", "string_not_equal", "string_like", "string_not_like"}
_NUMERIC_OPS = {"numeric_equal", "numeric_not_equal", "numeric_less_than", "numeric_less_than_equal",
                "numeric_greater_than", "numeric_greater_than_equal"}
_IP_OPS = {"ip_equal", "ip_not_equal"}
_BOOL_OPS = {"bool_equal"}
CONDITION_KEYS = {
    "cos:prefix": _STRING_OPS,
    "cos:content-type": _STRING_OPS,
    "cos:content-length": _NUMERIC_OPS,
    "qcs:ip": _IP_OPS,
    "cos:secure-transport": _BOOL_OPS,
}


class PolicyError(ValueError):
    """The policy document is not one this server can enforce; the message says why."""


def resource(region: str | None, bucket: str | None, key: str | None = None) -> str:
    """The qcs resource name of the service (``""``), a bucket (``…/``) or an object."""
    if not bucket:
        return ""
    appid = bucket.rsplit("-", 1)[-1]
    return f"qcs::cos:{region or ''}:uid/{appid}:{bucket}/{key or ''}"


@lru_cache(maxsize=1024)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if part == "*" else re.escape(part) for part in re.split(r"(\*)", pattern)),
                      re.DOTALL)


def _like(pattern: str, value: str) -> bool:
    return _glob(pattern).fullmatch(value) is not None


_LEGACY = re.compile(r"^qcs::cos:([^:]*):uid/(\d+):prefix//\d+/([^/]+)/(.*)$", re.DOTALL)
_QCS = re.compile(r"^qcs::cos:([^:]*):(.*)$", re.DOTALL)


def _resource_pattern(text: str) -> str:
    legacy = _LEGACY.match(text)
    if legacy:
        region, appid, short, rest = legacy.groups()
        text = f"qcs::cos:{region}:uid/{appid}:{short}-{appid}/{rest}"
    found = _QCS.match(text)
    if found and found.group(1) == "":
        text = f"qcs::cos:*:{found.group(2)}"
    return text


def _as_list(value: Any, what: str) -> list:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, str) and item for item in items):
        raise PolicyError(f"{what} must be a non-empty string or list of strings")
    return items


def _lower_keys(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise PolicyError(f"{what} must be an object")
    return {str(k).lower(): v for k, v in value.items()}


@dataclass(frozen=True)
class Condition:
    operator: str
    key: str
    values: tuple[str, ...]

    def holds(self, facts: Mapping[str, str]) -> bool:
        value = facts.get(self.key)
        negated = "_not_" in self.operator
        if value is None:
            return negated
        if self.operator in _STRING_OPS:
            hit = any((_like(v, value) if "like" in self.operator else v == value) for v in self.values)
        elif self.operator in _IP_OPS:
            try:
                address = ipaddress.ip_address(value)
            except ValueError:
                return negated
            hit = any(address in ipaddress.ip_network(v, strict=False) for v in self.values)
        elif self.operator in _BOOL_OPS:
            hit = value.lower() in (v.lower() for v in self.values)
        else:
            return _numeric(self.operator, value, self.values)
        return hit != negated


def _numeric(operator: str, value: str, values: tuple[str, ...]) -> bool:
    if not value.isascii() or not value.isdigit():
        return operator == "numeric_not_equal"
    number = int(value)
    tests = {
        "numeric_equal": lambda limit: number == limit,
        "numeric_not_equal": lambda limit: number != limit,
        "numeric_less_than": lambda limit: number < limit,
        "numeric_less_than_equal": lambda limit: number <= limit,
        "numeric_greater_than": lambda limit: number > limit,
        "numeric_greater_than_equal": lambda limit: number >= limit,
    }[operator]
    if operator == "numeric_not_equal":
        return all(tests(int(v)) for v in values)
    return any(tests(int(v)) for v in values)


def _conditions(value: Any) -> tuple[Condition, ...]:
    out = []
    for operator, pairs in _lower_keys(value, "condition").items():
        for key, raw in _lower_keys(pairs, f"condition {operator}").items():
            allowed = CONDITION_KEYS.get(key)
            if allowed is None:
                raise PolicyError(f"condition key {key!r} is not supported (supported: {', '.join(sorted(CONDITION_KEYS))})")
            if operator not in allowed:
                raise PolicyError(f"condition operator {operator!r} does not apply to {key!r}")
            values = tuple(_as_list(raw, f"values of {operator} {key}"))
            for item in values:
                if operator in _NUMERIC_OPS and not (item.isascii() and item.isdigit() and len(item) <= 20):
                    raise PolicyError(f"{item!r} is not a number")
                if operator in _IP_OPS:
                    try:
                        ipaddress.ip_network(item, strict=False)
                    except ValueError:
                        raise PolicyError(f"{item!r} is not an IP address or range") from None
            out.append(Condition(operator, key, values))
    return tuple(out)


@dataclass(frozen=True)
class Statement:
    allow: bool
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: tuple[Condition, ...] = ()

    def matches(self, action: str, resource_name: str, facts: Mapping[str, str]) -> bool:
        if not any(_like(pattern, action) for pattern in self.actions):
            return False
        if not any(_like(pattern, resource_name) for pattern in self.resources):
            return False
        return all(condition.holds(facts) for condition in self.conditions)


def _action_pattern(text: str) -> str:
    if text == "*" or text.startswith("name/"):
        return text
    if text.startswith("cos:"):  # the preset policies' short form
        return "name/" + text
    raise PolicyError(f"action {text!r} is not a COS action (name/cos:...)")


@dataclass(frozen=True)
class Policy:
    """A parsed policy: statements, each allow or deny."""

    statements: tuple[Statement, ...]
    text: str  # canonical JSON, as stored

    @classmethod
    def parse(cls, document: str | bytes | Mapping[str, Any]) -> "Policy":
        """Parse and check a policy (JSON text or an already-decoded object); :class:`PolicyError` if unusable."""
        if isinstance(document, (str, bytes)):
            if len(document) > MAX_POLICY_BYTES:
                raise PolicyError(f"the policy is larger than {MAX_POLICY_BYTES} bytes")
            try:
                document = json.loads(document)
            except ValueError as exc:
                raise PolicyError(f"the policy is not JSON: {exc}") from None
        top = _lower_keys(document, "the policy")
        if str(top.get("version", "")) != "2.0":
            raise PolicyError('the policy needs "version": "2.0"')
        raw_statements = top.get("statement")
        if isinstance(raw_statements, Mapping):
            raw_statements = [raw_statements]
        if not isinstance(raw_statements, list) or not raw_statements:
            raise PolicyError("the policy needs a non-empty statement list")
        statements = []
        for raw in raw_statements:
            fields = _lower_keys(raw, "a statement")
            effect = str(fields.get("effect", "")).lower()
            if effect not in ("allow", "deny"):
                raise PolicyError('a statement\'s effect must be "allow" or "deny"')
            actions = tuple(_action_pattern(a) for a in _as_list(fields.get("action"), "action"))
            resources = tuple(_resource_pattern(r) for r in _as_list(fields.get("resource"), "resource"))
            conditions = _conditions(fields["condition"]) if fields.get("condition") else ()
            statements.append(Statement(effect == "allow", actions, resources, conditions))
        text = json.dumps(document, sort_keys=True, separators=(",", ":"))
        if len(text) > MAX_POLICY_BYTES:
            raise PolicyError(f"the policy is larger than {MAX_POLICY_BYTES} bytes")
        return cls(tuple(statements), text)

    def verdict(self, action: str, resource_name: str, facts: Mapping[str, str] | None = None) -> bool | None:
        """False: a deny statement matches (it wins); True: only allow statements match; None: none does."""
        facts = facts or {}
        found: bool | None = None
        for statement in self.statements:
            if statement.matches(action, resource_name, facts):
                if not statement.allow:
                    return False
                found = True
        return found

    def allows(self, action: str, resource_name: str, facts: Mapping[str, str] | None = None) -> bool:
        """Deny by default; an explicit deny wins over any allow."""
        return self.verdict(action, resource_name, facts) is True

    def allows_all(self, needs: Iterable[tuple[str, str]], facts: Mapping[str, str] | None = None) -> bool:
        return all(self.allows(action, name, facts) for action, name in needs)


@lru_cache(maxsize=256)
def load(text: str) -> Policy:
    """A stored policy (canonical JSON), parsed once per distinct text."""
    return Policy.parse(text)
