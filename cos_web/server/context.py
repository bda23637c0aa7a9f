"""What a handler knows about its request: bucket, region, key, query, caller.

Built once per request by the app; handlers take ``(ctx, request)``.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from urllib.parse import quote, unquote

from aiohttp import web

from ..values import BUCKET_NAME_PATTERN, MAX_KEY_BYTES
from ..auth import camsafe_encode
from . import xmlio
from .authz import Credential, parse_query
from .configs import KINDS
from .digits import uint
from .errors import CosServerError
from .state import CosServer

HOST_RE = re.compile(r"^(?P<bucket>[^.]+)\.cos\.(?P<region>[a-z0-9-]+)\.")
BUCKET_RE = re.compile(BUCKET_NAME_PATTERN, re.ASCII)  # used with fullmatch (no "$" before a newline)
SERVICE_RE = re.compile(r"^cos\.(?P<region>[a-z0-9-]+)\.")
# Sub-resources COS has that this server does not implement.
UNSUPPORTED = {
    "tagging", "referer", "logging",
    "replication", "inventory", "domain", "encryption", "intelligenttiering",
    "object-lock", "retention", "accelerate", "origin", "symlink", "rename",
}
SUBRESOURCES = ("acl", "cors", "location", "uploads", "delete", "partNumber", "uploadId", "append", "restore", "policy",
                "lifecycle", "select", "versioning", "versions", *KINDS)


@dataclass
class Ctx:
    server: CosServer
    request_id: str
    host: str
    bucket: str | None
    region: str | None
    path: str  # decoded, leading "/"
    key: str  # path without the leading "/"
    query: list[tuple[str, str]]
    params: dict[str, str] = field(default_factory=dict)  # by `param_name`: the names the signature covers
    sub: str | None = None
    credential: Credential | None = None
    started: float = field(default_factory=time.monotonic)
    bytes_in: int = 0
    clock_offset: float = 0.0  # seconds added to the server's clock (a fault rule's clock:)
    fail_fsync: bool = False  # a fault rule's fsync:eio: the body's fsync fails with EIO

    def now(self) -> float:
        """The server's clock as this request sees it."""
        return time.time() + self.clock_offset

    @property
    def storage(self):
        return self.server.storage

    @property
    def level(self) -> str:
        if self.bucket is None:
            return "service"
        return "object" if self.key else "bucket"

    @property
    def resource(self) -> str:
        return self.host + (self.path if self.key else "")

    @property
    def appid(self) -> str:
        return (self.bucket or "").rsplit("-", 1)[-1]

    def param(self, name: str, default: str = "") -> str:
        """A query parameter's value, looked up the way the signature matched it (case-insensitively)."""
        return self.params.get(param_name(name), default)

    def has(self, name: str) -> bool:
        return param_name(name) in self.params

    def param_int(self, name: str, default: int, low: int, high: int | None = None) -> int:
        """An ASCII-digit parameter of at most 19 digits, at least ``low``; above ``high`` it is ``high``."""
        raw = self.param(name)
        if raw == "":
            return default
        value = uint(raw)
        if value is None or value < low:
            raise CosServerError("InvalidArgument", f"Invalid {name}.")
        return min(value, high) if high is not None else value


def param_name(name: str) -> str:
    """The one spelling of a parameter name for both the signature check and the handlers.

    The signature covers names as ``camsafe_encode(name).lower()``; the handlers look
    them up the same way, so ``?uploadid=A`` cannot be signed while ``?uploadId=B`` is used.
    """
    return camsafe_encode(name).lower()


def canonical_params(query: list[tuple[str, str]]) -> dict[str, str]:
    """Parameters by `param_name`; two that share it (``uploadId`` and ``uploadid``, or a repeat) are refused."""
    params: dict[str, str] = {}
    for name, value in query:
        canonical = param_name(name)
        if canonical in params:
            raise CosServerError("InvalidArgument", f"The parameter {name!r} is given more than once.")
        params[canonical] = value
    return params


def build(server: CosServer, request: web.Request, request_id: str) -> Ctx:
    host = (request.headers.get("Host") or "").strip().lower()
    raw_path, _, raw_query = request.raw_path.partition("?")
    try:
        path = unquote(raw_path, errors="strict")
    except UnicodeDecodeError:
        raise CosServerError("InvalidURI") from None
    if not path.startswith("/"):
        path = "/" + path
    query = parse_query(raw_query)
    params = canonical_params(query)
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    found = HOST_RE.match(hostname + ".")
    bucket = region = None
    if found and found.group("bucket") != "service":
        bucket, region = found.group("bucket"), found.group("region")
        if not BUCKET_RE.fullmatch(bucket):
            raise CosServerError("InvalidBucketName")
    else:
        service = SERVICE_RE.match(hostname + ".")
        region = service.group("region") if service else None
    ctx = Ctx(server, request_id, host, bucket, region, path, path[1:], query, params)
    ctx.sub = next((s for s in SUBRESOURCES if param_name(s) in params), None)
    unsupported = sorted(params.keys() & UNSUPPORTED)
    if ctx.sub is None and unsupported:
        raise CosServerError("NotImplemented", f"Sub-resource {unsupported[0]} is not supported.")
    return ctx


def check_key(key: str) -> None:
    """COS's object-name rules, plus no path tricks."""
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise CosServerError("KeyTooLong")
    if (
        not key
        or key.startswith(("/", "\\"))
        or any(c in key for c in "\x18\x19\x1a\x1b")  # COS refuses these four
        or not xmlio.xml_safe(key)  # stricter than COS: a listing could not carry the key (see docs/server.md)
        or any(part == ".." for part in key.replace("\\", "/").split("/"))
    ):
        raise CosServerError("InvalidObjectName")
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        raise CosServerError("InvalidObjectName") from None


_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def header_safe(value: str) -> bool:
    """True when ``value`` can go into a response header as is (no CR, LF or other control character)."""
    return _CONTROL.search(value) is None


def http_date(ts: float) -> str:
    return formatdate(ts, usegmt=True)


def iso_date(ts: float, millis: bool = True) -> str:
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts))
    return base + (".000Z" if millis else "Z")


def parse_http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def url_encode(value: str) -> str:
    return quote(value, safe="/-_.~")


def xml_response(name: str, children, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(status=status, body=xmlio.render(name, children), content_type="application/xml",
                        headers=headers)


def empty(status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(status=status, headers=headers)
