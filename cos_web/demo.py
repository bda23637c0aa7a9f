"""The demo web server: the upload pages, the wheel, Pyodide and PyScript, and the signing endpoint.

CPython only (aiohttp, from the ``server`` extra); nothing imports it from ``cos_web``.
``scripts/demo.py`` starts it beside the local COS server. Routes:

    GET  /                      redirect to /static/index.html
    GET  /static/...            static/ (the pages)
    GET  /wheel/...             the built cos_web wheel(s)
    GET  /pyodide/...           build/pyodide (micropip-patched) when prepared, else node_modules/pyodide
    GET  /pyscript/...          node_modules/@pyscript/core/dist
    GET  /pyscript.json         PyScript config installing the wheel (``packages`` or ``files``)
    GET  /api/config            bucket, region, Domain for the page (never a key)
    POST /api/authorization     {Method, Key, Query, Headers, Bucket, Region} -> {Authorization, XCosSecurityToken?}
    GET  /api/sts               temporary keys {SecretId, SecretKey, XCosSecurityToken, ExpiredTime, StartTime}
    GET  /jupyterlite/...       build/jupyterlite (the notebooks site), once ``bash scripts/jupyterlite.sh`` built it

The signing endpoint is the server side of the SDK's ``getAuthorization`` (the
``auth.php`` of the JS SDK's documentation): the page asks, the server signs
with the key it holds, and the secret key never leaves it. It signs only what the
upload widget needs, for the configured bucket and key prefix (`check_request`):
the bucket's Host is always inside the signature; every ``x-cos-*`` header and
every query parameter the page names is signed (so none can be added to the
request later); sub-resources outside a fixed list, ACL and grant headers, copies
from elsewhere and bucket-level writes are refused; a multi-delete is signed only
with its body, every key under the prefix, and its ``Content-MD5``.

A signature is not a policy: it is a permanent-key signature for one request,
valid for `AUTH_EXPIRES` seconds to anyone who holds it. The boundary is
``/api/sts``: temporary keys whose CAM policy (`DemoSettings.sts_policy`) allows
the widget's object and multipart actions under the prefix and nothing else, which
the local COS server enforces (as COS does, and as COS's documentation recommends
for direct uploads from a browser). ``/api/sts`` answers only when a
temporary-credential issuer is configured (the local COS server's, in the demo);
against real COS it answers 501, since minting real temporary keys needs Tencent
Cloud's STS service.

Every answer checks the ``Host`` the browser sent against the demo's own names
(an IP address, ``localhost``, ``*.localhost`` or ``DemoSettings.hosts``), so a
web page cannot reach the endpoints through a DNS-rebound name of its own.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import mimetypes
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
from .server.runner import BackgroundApp, serve_app
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

mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("application/zip", ".whl")
mimetypes.add_type("text/css", ".css")
mimetypes.add_type("application/json", ".json")


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


# --------------------------------------------------------------------------- assets


def pyodide_dir(root: Path = ROOT) -> tuple[Path, bool]:
    """The Pyodide folder to serve and whether it can install ``packages`` (has the micropip wheel)."""
    prepared = root / "build" / "pyodide"
    if (prepared / "pyodide.mjs").exists() and (prepared / "pyodide-lock.json").exists():
        try:
            lock = json.loads((prepared / "pyodide-lock.json").read_text())
            micropip = lock["packages"]["micropip"]["file_name"]
            if (prepared / micropip).exists():
                return prepared, True
        except (KeyError, ValueError, OSError):
            pass
    return root / "node_modules" / "pyodide", False


def find_wheel(wheel_dir: Path) -> Path | None:
    wheels = sorted(wheel_dir.glob("cos_web-*-py3-none-any.whl"), key=lambda p: p.stat().st_mtime)
    return wheels[-1] if wheels else None


def pyscript_config(wheel_name: str, use_packages: bool) -> dict[str, Any]:
    """The PyScript config that installs cos_web: ``packages`` through micropip when the served
    Pyodide has it, else ``files`` (PyScript unpacks a ``.whl`` into a folder on ``sys.path``)."""
    config: dict[str, Any] = {"interpreter": "/pyodide/pyodide.mjs"}
    if use_packages:
        config["packages"] = [f"/wheel/{wheel_name}"]
    else:
        config["files"] = {f"/wheel/{wheel_name}": "./*"}
    return config


# --------------------------------------------------------------------------- aiohttp application


def create_app(settings: DemoSettings, *, wheel_dir: Path | None = None, jupyterlite_dir: Path | None = None):
    """The aiohttp application serving the pages, assets and the signing endpoint."""
    from aiohttp import web

    root = settings.root
    wheel_dir = wheel_dir or root / "build" / "wheel"
    pyodide, has_micropip = pyodide_dir(root)
    app = web.Application(middlewares=[_own_host_middleware(web, settings), _no_store_middleware(web)])

    def error(exc: SigningRefused):
        return web.json_response({"code": exc.code, "message": exc.message}, status=exc.status)

    async def index(request):
        raise web.HTTPFound("/static/index.html")

    async def config(request):
        return web.json_response(settings.public_config())

    async def pyscript_json(request):
        wheel = find_wheel(wheel_dir)
        if wheel is None:
            return web.json_response({"code": "NoWheel", "message": f"no cos_web wheel in {wheel_dir}"}, status=503)
        return web.json_response(pyscript_config(wheel.name, has_micropip))

    async def authorization(request):
        try:
            try:
                body = await request.json()
            except ValueError:
                raise SigningRefused(400, "InvalidRequest", "the request body must be JSON") from None
            return web.json_response(sign_request(settings, body))
        except SigningRefused as exc:
            return error(exc)

    async def sts(request):
        try:
            return web.json_response(issue_sts(settings))
        except SigningRefused as exc:
            return error(exc)

    app.router.add_get("/", index)
    app.router.add_get("/api/config", config)
    app.router.add_get("/pyscript.json", pyscript_json)
    app.router.add_post("/api/authorization", authorization)
    app.router.add_get("/api/sts", sts)
    app.router.add_static("/static/", root / "static")
    wheel_dir.mkdir(parents=True, exist_ok=True)
    app.router.add_static("/wheel/", wheel_dir)
    app.router.add_static("/pyodide/", pyodide)
    app.router.add_static("/pyscript/", root / "node_modules" / "@pyscript" / "core" / "dist")
    # The JupyterLite site (bash scripts/jupyterlite.sh builds it), when built: its notebooks use
    # /api/config and /api/authorization on this same origin.
    lite = jupyterlite_dir or root / "build" / "jupyterlite"

    async def lite_root(request):
        raise web.HTTPFound("/jupyterlite/")

    app.router.add_get("/jupyterlite", lite_root)
    app.router.add_get("/jupyterlite/{tail:.*}", _directory_handler(web, lite, "build it with: bash scripts/jupyterlite.sh"))
    return app


def _directory_handler(web, directory: Path, missing: str):
    """Serve files under ``directory``; a folder serves its index.html (as a JupyterLite site needs)."""

    async def handler(request):
        base = directory.resolve()
        if not (base / "index.html").exists():
            return web.Response(status=404, text=f"{directory.name} is not built: {missing}\n")
        tail = request.match_info["tail"]
        path = (base / tail).resolve()
        if not path.is_relative_to(base):
            raise web.HTTPForbidden()
        if path.is_dir():
            if tail and not tail.endswith("/"):
                raise web.HTTPFound(request.path + "/")
            path = path / "index.html"
        if not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path)

    return handler


def _own_host_middleware(web, settings: DemoSettings):
    @web.middleware
    async def own_host(request, handler):
        if not settings.answers_to(request.headers.get("Host")):
            return web.json_response({"code": "InvalidHost", "message": "this demo answers only to its own names "
                                      "(an address, localhost, or DEMO_HOSTS)"}, status=421)
        return await handler(request)

    return own_host


def _no_store_middleware(web):
    @web.middleware
    async def no_store(request, handler):
        response = await handler(request)
        # Pages, the wheel and API answers change between runs; Pyodide itself may be cached.
        if not request.path.startswith(("/pyodide/", "/pyscript/")):
            response.headers["Cache-Control"] = "no-store"
        return response

    return no_store


class DemoServer(BackgroundApp):
    """The demo application in a background thread (tests, scripts/demo.py): ``url``, ``port``, ``stop()``."""

    name = "cos-web-demo"

    def __init__(self, settings: DemoSettings, host: str = "127.0.0.1", port: int = 0, wheel_dir: Path | None = None,
                 jupyterlite_dir: Path | None = None) -> None:  # fmt: skip
        super().__init__()
        self.settings = settings
        self.jupyterlite_dir = jupyterlite_dir
        self.host = host
        self.port = port
        self.wheel_dir = wheel_dir

    async def serve(self, ready, stop) -> None:
        app = create_app(self.settings, wheel_dir=self.wheel_dir, jupyterlite_dir=self.jupyterlite_dir)
        await serve_app(app, self.host, self.port, ready, stop)
