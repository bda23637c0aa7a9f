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
upload widget needs, for the configured bucket and key prefix (``cos_web.demo_signing``):
the bucket's Host is always inside the signature; every ``x-cos-*`` header and
every query parameter the page names is signed (so none can be added to the
request later); sub-resources outside a fixed list, ACL and grant headers, copies
from elsewhere and bucket-level writes are refused; an upload (``PUT`` of an object
or a part) is signed only with its ``Content-MD5`` (the page's ``COS`` passes
``UploadCheckContentMd5=True``), so the signature is good for that one body; a
multi-delete is signed only with its body, every key under the prefix, and its
``Content-MD5``.

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

import json
import mimetypes
from pathlib import Path
from typing import Any

from .demo_signing import (  # noqa: F401 - the signing names are part of cos_web.demo's interface
    AUTH_EXPIRES,
    ROOT,
    DemoSettings,
    SigningRefused,
    check_delete_body,
    check_policy,
    check_scope,
    issue_sts,
    sign_request,
)
from .server.runner import BackgroundApp, serve_app

mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("application/zip", ".whl")
mimetypes.add_type("text/css", ".css")
mimetypes.add_type("application/json", ".json")


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
