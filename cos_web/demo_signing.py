"""What the demo signs and which keys it hands out: its settings, the signing rules, the STS policy.

Functions and data, no HTTP: `cos_web.demo` serves these over HTTP. `sign_request` is the
server side of the SDK's ``getAuthorization``; `check_policy` / `check_scope` /
`check_delete_body` / `check_body_digest` are its refusals; `DemoSettings.sts_policy` scopes the keys of
``/api/sts`` (`issue_sts`). ``cos_web.demo``'s docstring says why each rule exists.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from .auth import build_authorization
from .server.state import DEFAULT_REGION as LOCAL_REGION
from .server.state import DEMO_BUCKET as LOCAL_BUCKET
from .server.state import DEMO_SECRET_ID as LOCAL_SECRET_ID
from .server.state import DEMO_SECRET_KEY as LOCAL_SECRET_KEY
from .values import RESPONSE_OVERRIDES

ROOT = Path(__file__).resolve().parent.parent

SIGNABLE_METHODS = frozenset({"get", "head", "put", "post", "delete", "options"})
# Sub-resources that change who may read or write; the demo never signs a write of them.
PROTECTED_SUBRESOURCES = frozenset({"acl", "policy", "cors", "lifecycle", "versioning", "replication", "website", "domain", "tagging"})
AUTH_EXPIRES = 900  # seconds an Authorization stays valid, as the JS SDK's default
# Query parameters the endpoint signs, per level; anything else is refused.
OBJECT_PARAMS = frozenset({"uploads", "uploadid", "partnumber", "max-parts", "part-number-marker", "encoding-type",
                           *RESPONSE_OVERRIDES})
BUCKET_PARAMS = frozenset({"prefix", "delimiter", "marker", "max-keys", "encoding-type", "uploads", "key-marker",
                           "upload-id-marker", "max-uploads", "delete"})
DELETE_BODY_LIMIT = 2 << 20
# What temporary keys from /api/sts may do under the prefix: the widget's object and multipart calls.
STS_OBJECT_ACTIONS = (
    "name/cos:PutObject", "name/cos:GetObject", "name/cos:HeadObject", "name/cos:DeleteObject",
    "name/cos:InitiateMultipartUpload", "name/cos:UploadPart", "name/cos:ListParts",
    "name/cos:CompleteMultipartUpload", "name/cos:AbortMultipartUpload",
)
STS_LIST_ACTIONS = ("name/cos:GetBucket", "name/cos:ListMultipartUploads")  # with a prefix under the demo's
STS_DURATION = 1800


class SigningRefused(Exception):
    """The signing endpoint will not sign this request; carries the HTTP status and a reason in words."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class DemoSettings:
    """What the demo serves and signs for. ``secret_key`` never appears in a response (nor in repr)."""

    bucket: str
    region: str
    secret_id: str
    secret_key: str = field(repr=False)
    # Host template of the COS endpoint as the page reaches it; None means real COS (the SDK's default).
    domain: str | None = None
    mode: str = "local"  # "local" (the local COS server) or "cos" (real Tencent Cloud COS)
    prefix: str = "uploads/"
    root: Path = ROOT
    # Mints temporary credentials: (duration_seconds, CAM policy) -> {SecretId, SecretKey, XCosSecurityToken, ExpiredTime, StartTime}.
    sts_issuer: Callable[[int, Mapping[str, Any]], Mapping[str, Any]] | None = field(default=None, repr=False)
    hosts: tuple[str, ...] = ()  # names the demo answers to besides IP addresses, localhost and *.localhost

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, cos_port: int = 9000, **overrides: Any) -> "DemoSettings":
        """Real COS when COS_SECRET_ID, COS_SECRET_KEY and COS_BUCKET are set; else the local server's defaults.

        Variables: COS_SECRET_ID, COS_SECRET_KEY, COS_BUCKET, COS_REGION (default ap-guangzhou),
        COS_DOMAIN (optional host template), COS_PREFIX (widget folder, default ``uploads/``),
        DEMO_HOSTS (comma-separated host names the demo is reached by, besides addresses and localhost).
        """
        env = os.environ if env is None else env
        real = all(env.get(name) for name in ("COS_SECRET_ID", "COS_SECRET_KEY", "COS_BUCKET"))
        values: dict[str, Any]
        if real:
            values = dict(
                bucket=env["COS_BUCKET"], region=env.get("COS_REGION") or LOCAL_REGION,
                secret_id=env["COS_SECRET_ID"], secret_key=env["COS_SECRET_KEY"],
                domain=env.get("COS_DOMAIN") or None, mode="cos",
            )  # fmt: skip
        else:
            values = dict(
                bucket=env.get("COS_BUCKET") or LOCAL_BUCKET, region=env.get("COS_REGION") or LOCAL_REGION,
                secret_id=LOCAL_SECRET_ID, secret_key=LOCAL_SECRET_KEY,
                domain=f"http://{{Bucket}}.cos.{{Region}}.localhost:{cos_port}", mode="local",
            )  # fmt: skip
        if "COS_PREFIX" in env:
            values["prefix"] = env["COS_PREFIX"]
        if env.get("DEMO_HOSTS"):
            values["hosts"] = tuple(h.strip().lower() for h in env["DEMO_HOSTS"].split(",") if h.strip())
        values.update(overrides)
        return cls(**values)

    # ------------------------------------------------------------------ hosts

    def bucket_hosts(self) -> set[str]:
        """Host header values that address the configured bucket (lower case)."""
        names = {"bucket": self.bucket, "region": self.region}
        hosts = {
            f"{self.bucket}.cos.{self.region}.myqcloud.com",
            f"{self.bucket}.cos.{self.region}.tencentcos.cn",
            f"{self.bucket}.cos.accelerate.myqcloud.com",
        }
        if self.domain:
            template = self.domain.replace("{Bucket}", "{bucket}").replace("{Region}", "{region}")
            host = template.format(**names).split("://", 1)[-1].split("/", 1)[0]
            hosts.add(host)
        return {h.lower() for h in hosts}

    def sign_host(self) -> str:
        """The Host put into a signature when the page sent none: the one the page's requests carry."""
        if self.domain:
            template = self.domain.replace("{Bucket}", "{bucket}").replace("{Region}", "{region}")
            return template.format(bucket=self.bucket, region=self.region).split("://", 1)[-1].split("/", 1)[0]
        return f"{self.bucket}.cos.{self.region}.myqcloud.com"

    def sts_policy(self) -> dict[str, Any]:
        """The CAM policy of the keys /api/sts hands out: the widget's calls, under the prefix, nothing else."""
        appid = self.bucket.rsplit("-", 1)[-1]
        bucket = f"qcs::cos:{self.region}:uid/{appid}:{self.bucket}/"
        return {
            "version": "2.0",
            "statement": [
                {"effect": "allow", "action": list(STS_OBJECT_ACTIONS), "resource": [bucket + self.prefix + "*"]},
                {"effect": "allow", "action": list(STS_LIST_ACTIONS), "resource": [bucket + "*"],
                 "condition": {"string_like": {"cos:prefix": self.prefix + "*"}}},
            ],
        }

    def answers_to(self, host_header: str | None) -> bool:
        """Is this ``Host`` one of the demo's own names (not a DNS-rebound name of some web page)?"""
        host = (host_header or "").strip().lower()
        name = host[1:].split("]", 1)[0] if host.startswith("[") else host.rsplit(":", 1)[0]
        if not name:
            return False
        if name == "localhost" or name.endswith(".localhost") or name in self.hosts:
            return True
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True

    def public_config(self) -> dict[str, Any]:
        """What the page may know: where the bucket is, never a key."""
        return {
            "Bucket": self.bucket,
            "Region": self.region,
            "Domain": self.domain,
            "Prefix": self.prefix,
            "Mode": self.mode,
            "Sts": self.sts_issuer is not None,
        }


# --------------------------------------------------------------------------- signing (pure)


def _as_str_dict(value: Any, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SigningRefused(400, "InvalidRequest", f"{what} must be an object")
    out: dict[str, str] = {}
    for name, val in value.items():
        if not isinstance(name, str) or isinstance(val, (dict, list)):
            raise SigningRefused(400, "InvalidRequest", f"{what} must map names to strings")
        out[name] = "" if val is None else str(val) if not isinstance(val, bool) else ("true" if val else "false")
    return out


def check_policy(method: str, key: str, query: Mapping[str, str]) -> None:
    """Refuse what the demo's page never needs: bucket-level writes and permission changes."""
    subresources = {name.lower() for name in query}
    if method not in SIGNABLE_METHODS:
        raise SigningRefused(403, "AccessDenied", f"the signing endpoint does not sign {method.upper()} requests")
    if method in ("put", "post", "delete") and subresources & PROTECTED_SUBRESOURCES:
        which = ", ".join(sorted(subresources & PROTECTED_SUBRESOURCES))
        raise SigningRefused(403, "AccessDenied", f"the signing endpoint does not sign changes to {which}")
    if not key:
        # The bucket itself: list it (GET), check it (HEAD), delete several objects (POST ?delete).
        if method in ("put", "delete") or (method == "post" and "delete" not in subresources):
            raise SigningRefused(403, "AccessDenied", f"the signing endpoint does not sign {method.upper()} on the bucket itself")
    allowed = OBJECT_PARAMS if key else BUCKET_PARAMS
    if subresources - allowed:
        which = ", ".join(sorted(subresources - allowed))
        raise SigningRefused(403, "AccessDenied", f"the signing endpoint does not sign the parameter(s) {which}")


def _under(settings: DemoSettings, key: str) -> bool:
    parts = key.replace("\\", "/").split("/")
    return key.startswith(settings.prefix) and ".." not in parts and "." not in parts


def check_scope(settings: DemoSettings, method: str, key: str, query: Mapping[str, str],
                headers: Mapping[str, str], body: Any) -> None:
    """Keys under the prefix only; no ACL, grant or foreign copy-source headers; a multi-delete only with its body."""
    lower = {name.lower(): value for name, value in headers.items()}
    if key and not _under(settings, key):
        raise SigningRefused(403, "AccessDenied", f"this endpoint signs only keys under {settings.prefix}")
    if not key and method == "get":
        prefix = next((v for n, v in query.items() if n.lower() == "prefix"), None)
        if prefix is None or not prefix.startswith(settings.prefix):
            raise SigningRefused(403, "AccessDenied", f"this endpoint signs only listings under {settings.prefix}")
    if "x-cos-acl" in lower or any(name.startswith("x-cos-grant-") for name in lower):
        raise SigningRefused(403, "AccessDenied", "the signing endpoint does not sign ACL or grant headers")
    if "x-cos-copy-source" in lower:
        source = lower["x-cos-copy-source"].split("://", 1)[-1]
        host, _, path = source.partition("/")
        if host.lower() not in settings.bucket_hosts() or not _under(settings, unquote(path.split("?", 1)[0])):
            raise SigningRefused(403, "AccessDenied", f"the signing endpoint signs copies only from {settings.bucket}/{settings.prefix}")
    if not key and method == "post":
        check_delete_body(settings, body, lower.get("content-md5"))
    if key and method == "put" and "x-cos-copy-source" not in lower:
        check_body_digest(lower.get("content-md5"))


def check_body_digest(content_md5: str | None) -> None:
    """A write with a body (putObject, a part) is signed only with a well-formed ``Content-MD5``.

    The signature then covers it and the server checks it against the bytes (``BadDigest``), so the
    signature is good for that one body: replayed with other bytes it fails. A copy (``x-cos-copy-source``)
    has no body and needs none; appendObject is not signed at all (``append`` is not in `OBJECT_PARAMS`).
    """
    if content_md5 is None:
        raise SigningRefused(400, "MissingContentMD5", "an upload (PUT of an object or a part) is signed only with "
                             "its Content-MD5 header: pass UploadCheckContentMd5=True to COS(...)")
    try:
        digest = base64.b64decode(content_md5, validate=True)
    except (ValueError, TypeError):
        digest = b""
    if len(digest) != 16:
        raise SigningRefused(400, "InvalidDigest", "Content-MD5 must be the base64 of the body's 16-byte MD5")


def check_delete_body(settings: DemoSettings, body: Any, content_md5: str | None) -> None:
    """A multi-delete is signed only with its XML body (``Body``), every key under the prefix, and a matching
    ``Content-MD5`` header, which the signature then covers (so the body cannot be swapped)."""
    if not isinstance(body, str) or not body:
        raise SigningRefused(403, "AccessDenied", "a multi-delete is signed only with its Body (the Delete XML)")
    raw = body.encode("utf-8")
    if len(raw) > DELETE_BODY_LIMIT:
        raise SigningRefused(400, "InvalidRequest", "the Delete body is too large")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError:
        raise SigningRefused(400, "InvalidRequest", "the Delete body is not XML") from None
    keys = [node.findtext("Key") for node in root.findall("Object")]
    if root.tag != "Delete" or not keys:
        raise SigningRefused(400, "InvalidRequest", "the body is not a Delete document")
    outside = [k for k in keys if not k or not _under(settings, k)]
    if outside:
        raise SigningRefused(403, "AccessDenied", f"this endpoint signs only keys under {settings.prefix}, not {outside[0]!r}")
    digest = base64.b64encode(hashlib.md5(raw).digest()).decode()
    if (content_md5 or "").strip() != digest:
        raise SigningRefused(403, "AccessDenied", "a multi-delete needs the Content-MD5 header of its Body")


def sign_request(settings: DemoSettings, body: Mapping[str, Any], *, now: float | None = None) -> dict[str, Any]:
    """Authorization for one request the page is about to send, or :class:`SigningRefused`."""
    if not isinstance(body, Mapping):
        raise SigningRefused(400, "InvalidRequest", "the request body must be a JSON object")
    method = str(body.get("Method") or "get").lower()
    key = body.get("Key")
    if key is None and body.get("Pathname"):
        key = str(body["Pathname"])
    key = str(key or "").lstrip("/")
    bucket = body.get("Bucket")
    region = body.get("Region")
    if bucket and bucket != settings.bucket:
        raise SigningRefused(403, "AccessDenied", f"this endpoint signs only for bucket {settings.bucket}, not {bucket}")
    if region and region != settings.region:
        raise SigningRefused(403, "AccessDenied", f"this endpoint signs only for region {settings.region}, not {region}")
    query = _as_str_dict(body.get("Query"), "Query")
    headers = _as_str_dict(body.get("Headers"), "Headers")
    check_policy(method, key, query)

    # The bucket's Host always goes into the signature, so it is good for this bucket only.
    host_names = [name for name in headers if name.lower() == "host"]
    if host_names:
        host = headers[host_names[0]]
        if host.lower() not in settings.bucket_hosts():
            raise SigningRefused(403, "AccessDenied", f"this endpoint signs only for bucket {settings.bucket}, not host {host}")
    else:
        headers["Host"] = settings.sign_host()
    check_scope(settings, method, key, query, headers, body.get("Body"))

    # Every x-cos-* header and every parameter given is signed (build_authorization signs them all).
    authorization = build_authorization(
        SecretId=settings.secret_id,
        SecretKey=settings.secret_key,
        Method=method,
        Key=key,
        Query=query,
        Headers=headers,
        Expires=AUTH_EXPIRES,
        ForceSignHost=False,
        now=now,
    )
    result: dict[str, Any] = {"Authorization": authorization}
    return result


def issue_sts(settings: DemoSettings, duration: int = STS_DURATION) -> dict[str, Any]:
    """Temporary keys from the configured issuer, scoped by `DemoSettings.sts_policy`, in the shape ``getSTS`` wants."""
    if settings.sts_issuer is None:
        raise SigningRefused(
            501,
            "NotImplemented",
            "temporary keys are not available here: against real COS this demo signs requests "
            "(POST /api/authorization) but does not call Tencent Cloud STS",
        )
    creds = dict(settings.sts_issuer(duration, settings.sts_policy()))
    out = {
        "SecretId": creds.get("SecretId") or creds.get("TmpSecretId"),
        "SecretKey": creds.get("SecretKey") or creds.get("TmpSecretKey"),
        "XCosSecurityToken": creds.get("XCosSecurityToken") or creds.get("SecurityToken") or creds.get("Token"),
        "ExpiredTime": int(creds["ExpiredTime"]),
        "StartTime": int(creds.get("StartTime") or time.time()),
        "Bucket": settings.bucket,
        "Region": settings.region,
    }
    if out["SecretKey"] == settings.secret_key:  # belt and braces: never the long-term key
        raise SigningRefused(500, "InternalError", "the issuer returned the long-term key")
    return out
