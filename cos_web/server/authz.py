"""Request authentication: the q-sign signature in the Authorization header or the query.

Pure functions with the clock passed in. The signature is recomputed from
exactly the header and parameter names the request lists (whichever SDK made
it), with the signed ``host`` accepted with or without its port.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote, unquote_plus

from ..auth import camsafe_encode, canonical_pairs, format_string, parse_authorization, signature
from .digits import uint
from .errors import CosServerError

SKEW = 15 * 60


@dataclass(frozen=True)
class Credential:
    secret_id: str
    secret_key: str
    token: str | None = None  # temporary keys must present this token
    expires: float | None = None
    policy: str | None = None  # temporary keys' CAM policy (canonical JSON); None: the owner's full access


@dataclass(frozen=True)
class SignedRequest:
    method: str
    path: str  # decoded, with the leading "/"
    query: list[tuple[str, str]]  # decoded (name, value) pairs, in order
    headers: Mapping[str, str]  # case-insensitive


def parse_query(raw: str) -> list[tuple[str, str]]:
    """Split a raw query string on ``&`` only (``;`` is data) and decode it (``+`` is a space, as requests sends it)."""
    pairs = []
    for item in raw.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        pairs.append((unquote_plus(name), unquote_plus(value)))
    return pairs


def auth_fields(req: SignedRequest) -> dict[str, str] | None:
    """The q-* fields from the Authorization header, the query, or a ``sign=`` parameter."""
    header = (req.headers.get("Authorization") or "").strip()
    if header:
        return parse_authorization(header)
    query = {}
    for name, value in req.query:
        query.setdefault(name.lower(), value)
    if "q-signature" in query or "q-ak" in query:
        return {k: v for k, v in query.items() if k.startswith("q-")}
    if query.get("sign"):
        return parse_authorization(query["sign"])
    return None


def _window(value: str | None) -> tuple[int, int]:
    """``start;end`` in ASCII digits, start not after end."""
    start_s, _, end_s = (value or "").partition(";")
    start, end = uint(start_s), uint(end_s)
    if start is None or end is None or start > end:
        raise CosServerError("AccessDenied", "Invalid q-sign-time.")
    return start, end


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison that any header text can go through (compare_digest refuses non-ASCII str)."""
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def _signed_params(req: SignedRequest, names: list[str]) -> str:
    wanted = set(names)
    seen: dict[str, tuple[str, str]] = {}
    for name, value in req.query:
        encoded = camsafe_encode(name).lower()
        if encoded in wanted and encoded not in seen:
            seen[encoded] = (name, value)
    return canonical_pairs(seen.values(), sort_by_encoded=True)


def _signed_headers(req: SignedRequest, names: list[str], host: str | None) -> str:
    pairs = []
    for name in names:
        value = host if name == "host" and host is not None else req.headers.get(name)
        if value is not None:
            pairs.append((name, value.strip()))
    return canonical_pairs(pairs, sort_by_encoded=True)


# What selects the operation or widens what it touches: a signature must cover these when the
# request carries them (sub-resources, ACL and copy-source headers). COS does not require it; the
# official SDKs always sign them, so requiring it costs nothing and keeps a signature from being
# replayed as another operation (``PUT key`` as ``PUT key?acl`` + ``x-cos-acl``).
MUST_SIGN_PARAMS = frozenset({
    "acl", "cors", "location", "uploads", "delete", "partnumber", "uploadid", "policy", "tagging", "versioning",
    "lifecycle", "website", "referer", "logging", "replication", "inventory", "domain", "encryption", "restore",
    "append", "select", "versionid", "position",
})
MUST_SIGN_HEADERS = frozenset({"x-cos-acl", "x-cos-copy-source"})
MUST_SIGN_HEADER_PREFIX = "x-cos-grant-"


def unsigned_parts(req: SignedRequest, header_names: list[str], param_names: list[str]) -> list[str]:
    """The sub-resources and ACL / copy-source headers of the request that its signature does not cover."""
    signed_params = set(param_names)
    signed_headers = set(header_names)
    missing = [name for name, _ in req.query
               if name.lower() in MUST_SIGN_PARAMS and name.lower() not in signed_params]
    missing += [name for name in req.headers
                if (name.lower() in MUST_SIGN_HEADERS or name.lower().startswith(MUST_SIGN_HEADER_PREFIX))
                and name.lower() not in signed_headers]
    return missing


def _host_variants(host: str) -> list[str]:
    variants = [host]
    if ":" in host and not host.endswith("]"):
        variants.append(host.rsplit(":", 1)[0])
    return variants


def verify(req: SignedRequest, fields: Mapping[str, str], lookup: Callable[[str], Credential | None],
           now: float, alt_hosts: tuple[str, ...] = ()) -> Credential:
    """Check a signed request; return the credential it was signed with or raise CosServerError.

    A signed ``host`` may be the Host header with or without its port, or one of
    ``alt_hosts`` (the bucket's canonical ``{bucket}.cos.{region}.myqcloud.com``,
    which the SDKs sign when they are given a bucket but no Host).
    """
    if fields.get("q-sign-algorithm", "sha1").lower() != "sha1" or not fields.get("q-signature"):
        raise CosServerError("AccessDenied", "Invalid authorization.")
    credential = lookup(fields.get("q-ak", ""))
    if credential is None:
        raise CosServerError("InvalidAccessKeyId")
    sign_time = fields.get("q-sign-time", "")
    key_time = fields.get("q-key-time") or sign_time
    start, end = _window(sign_time)
    key_start, key_end = _window(key_time)
    server_time = _iso(now)
    if start > now + SKEW or key_start > now + SKEW:  # not valid yet (beyond COS's 15-minute clock skew)
        raise CosServerError("RequestTimeTooSkewed", ServerTime=server_time)
    if now > end or now > key_end:
        raise CosServerError("AccessDenied", "Request has expired", ServerTime=server_time)
    if credential.token is not None:
        token = req.headers.get("x-cos-security-token") or dict(req.query).get("x-cos-security-token")
        if not token or not _same(token, credential.token):
            raise CosServerError("InvalidToken")
        if credential.expires is not None and now > credential.expires:
            raise CosServerError("ExpiredToken")
    header_names = [unquote(n).lower() for n in fields.get("q-header-list", "").split(";") if n]
    param_names = [unquote(n).lower() for n in fields.get("q-url-param-list", "").split(";") if n]
    params = _signed_params(req, param_names)
    hosts = [*_host_variants(req.headers.get("host", "")), *alt_hosts] if "host" in header_names else [None]
    given = fields["q-signature"].lower()
    for host in hosts:
        http_string = format_string(req.method, req.path, params, _signed_headers(req, header_names, host))
        if _same(given, signature(credential.secret_key, key_time, sign_time, http_string)):
            break
    else:
        raise CosServerError("SignatureDoesNotMatch")
    extra = unsigned_parts(req, header_names, param_names)
    if extra:
        raise CosServerError("AccessDenied", f"The signature does not cover {extra[0]}: sub-resources and ACL, "
                                             "grant and copy-source headers must be signed.")
    return credential


def _iso(now: float) -> str:
    import time as _time

    return _time.strftime("%Y-%m-%dT%H:%M:%SZ", _time.gmtime(now))
