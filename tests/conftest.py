"""Session fixtures shared by every test: the wheel, a static server, the local COS
server, and one Chromium page where Pyodide has booted with cos_web installed.

A browser test is short:

    def test_thing(harness, cos_vars):
        assert harness.run("import cos_web; cos_web.__version__") == "0.1.0"

``harness.run(code, **vars)`` runs Python (top-level ``await`` allowed) in the page
and returns the value of its last expression (JSON; bytes come back as bytes); a
Python exception in the page raises ``PageError`` carrying the Python traceback.
"""

from __future__ import annotations

import base64
import functools
import http.server
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from scripts.wheel import build_wheel

ROOT = Path(__file__).resolve().parent.parent


def _load_playwright_config():
    spec = importlib.util.spec_from_file_location("cos_web_playwright_config", ROOT / "playwright.config.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PWCONFIG = _load_playwright_config()


class PageError(AssertionError):
    """Python code run in the page failed; the message is its traceback."""


_BROWSER_FIXTURES = {"browser", "harness", "new_harness"}


def pytest_collection_modifyitems(config, items):
    """Run CPython tests before browser tests.

    Playwright's sync API keeps an event loop running on the main thread for the
    rest of the session once the browser has started, and ``asyncio.run`` refuses
    to start under it; so everything that needs no browser goes first.
    """
    items.sort(key=lambda item: bool(_BROWSER_FIXTURES & set(getattr(item, "fixturenames", ()))))


# --------------------------------------------------------------------------- wheel


@pytest.fixture(scope="session")
def wheel_path() -> Path:
    return build_wheel()


# --------------------------------------------------------------------------- static server


class _StaticHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".wasm": "application/wasm",
        ".whl": "application/zip",
        ".py": "text/plain; charset=utf-8",
        ".json": "application/json",
    }

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


def start_static_server(directory: Path = ROOT, port: int = 0) -> http.server.ThreadingHTTPServer:
    """Serve ``directory`` on 127.0.0.1 in a daemon thread (Pyodide, pages, the wheel)."""
    handler = functools.partial(_StaticHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="session")
def static_url() -> str:
    server = start_static_server()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


# --------------------------------------------------------------------------- local COS server


class FaultControl:
    """Fault rules of a running server, set through its loopback-only admin endpoint.

    The grammar is in docs/reliability.md. ``add`` returns the new rules' ids; ``log``
    lists fired faults (``rule``, ``action``, ``request_id``, ``op``, ``key``, ``part``,
    ``upload_id`` …) oldest first; ``clear`` drops rules, log and expired tokens.
    """

    PATH = "/_cos_web/faults"

    def __init__(self, base_url: str) -> None:
        self.url = base_url.rstrip("/") + self.PATH

    def _call(self, method: str, body: str | None = None) -> dict:
        import urllib.error
        import urllib.request

        data = body.encode() if body is not None else None
        request = urllib.request.Request(self.url, data=data, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                return json.loads(reply.read())
        except urllib.error.HTTPError as exc:
            raise ValueError(json.loads(exc.read()).get("error", str(exc))) from None

    def add(self, rules: str) -> list[int]:
        """Add rules (``;`` or newlines between them); a bad rule raises ValueError and adds none."""
        return [r["id"] for r in self._call("POST", rules)["added"]]

    def clear(self) -> None:
        self._call("DELETE")

    def rules(self) -> list[dict]:
        return self._call("GET")["rules"]

    def log(self) -> list[dict]:
        return self._call("GET")["log"]

    def wait_log(self, count: int = 1, timeout: float = 30) -> list[dict]:
        """The log once it has at least ``count`` entries (polling; TimeoutError after ``timeout`` s)."""
        deadline = time.monotonic() + timeout
        while True:
            fired = self.log()
            if len(fired) >= count:
                return fired
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(fired)} faults fired, waited for {count}: {fired}")
            time.sleep(0.05)


def signed_request(server: Any, method: str, bucket: str, key: str = "", query: dict | None = None, body: bytes = b"",
                   headers: dict | None = None) -> tuple[int, bytes]:  # fmt: skip
    """A signed request to ``server`` (anything with port, region, secret_id, secret_key) from the
    test process, to 127.0.0.1 with the bucket's Host header: (status, body)."""
    import urllib.error
    import urllib.parse
    import urllib.request

    from cos_web.auth import build_authorization

    host = f"{bucket}.cos.{server.region}.localhost:{server.port}"
    headers = {"Host": host, **(headers or {})}
    auth = build_authorization(SecretId=server.secret_id, SecretKey=server.secret_key, Method=method, Key=key,
                               Query=query or {}, Headers=headers)  # fmt: skip
    url = f"http://127.0.0.1:{server.port}/{urllib.parse.quote(key)}"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    req = urllib.request.Request(url, data=body or None, method=method, headers={**headers, "Authorization": auth})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@dataclass
class CosServer:
    """A local COS server running as a subprocess (``python -m cos_web.server``).

    Started with ``--faults-admin``: ``cos_server.faults`` (a FaultControl) injects
    faults at run time; use the ``cos_faults`` fixture to have them cleared after a test.
    """

    data_dir: Path
    bucket: str = PWCONFIG.BUCKET
    region: str = PWCONFIG.REGION
    secret_id: str = PWCONFIG.SECRET_ID
    secret_key: str = PWCONFIG.SECRET_KEY
    port: int = 0
    proc: subprocess.Popen | None = None
    aged_at: float = 0.0  # when AGED_KEYS were written (the cos_server fixture)
    extra_args: list[str] = field(default_factory=list)

    def start(self) -> "CosServer":
        cmd = [
            sys.executable, "-m", "cos_web.server",
            "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(self.data_dir),
            "--secret-id", self.secret_id, "--secret-key", self.secret_key,
            "--bucket", self.bucket, "--quiet", "--faults-admin", *self.extra_args,
        ]  # fmt: skip
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"cos_web.server exited with {self.proc.wait()} before listening")
            if line.startswith("listening on http://"):
                self.port = int(line.strip().rsplit(":", 1)[1])
                return self
        raise RuntimeError("cos_web.server did not print 'listening on' within 30 s")

    def stop(self, kill: bool = False) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill() if kill else self.proc.terminate()
            self.proc.wait(timeout=15)

    def signed(self, method: str, bucket: str = "", key: str = "", query: dict | None = None, body: bytes = b"",
               headers: dict | None = None) -> tuple[int, bytes]:  # fmt: skip
        """A signed request from the test process (no browser, no CORS): (status, body)."""
        return signed_request(self, method, bucket or self.bucket, key, query, body, headers)

    @property
    def faults(self) -> FaultControl:
        """Run-time fault injection on this server (docs/reliability.md)."""
        return FaultControl(f"http://127.0.0.1:{self.port}")

    @property
    def domain(self) -> str:
        """The SDK ``Domain`` option reaching this server from Chromium."""
        return PWCONFIG.cos_domain(self.port)

    @property
    def bucket_url(self) -> str:
        return f"http://{self.bucket}.cos.{self.region}.localhost:{self.port}"

    @property
    def vars(self) -> dict[str, Any]:
        """Names handed to page code by ``harness.run(code, **cos_server.vars)``."""
        return {
            "SECRET_ID": self.secret_id,
            "SECRET_KEY": self.secret_key,
            "BUCKET": self.bucket,
            "REGION": self.region,
            "DOMAIN": self.domain,
            "COS_PORT": self.port,
        }


AGED_KEYS = ("aged/a.txt", "aged/b.txt", "aged/c.txt", "aged/d.txt")  # written ("one") as the server starts


@pytest.fixture(scope="session")
def cos_server(tmp_path_factory) -> CosServer:
    server = CosServer(data_dir=tmp_path_factory.mktemp("cos-data")).start()
    for key in AGED_KEYS:  # old by the time a test reads them (tests/browser/test_http_cache.py)
        status, body = server.signed("PUT", key=key, body=b"one")
        assert status == 200, body
    server.aged_at = time.time()
    yield server
    server.stop()


@pytest.fixture
def cos_faults(cos_server) -> FaultControl:
    """The session server's fault rules, empty at the start of the test and cleared after it."""
    faults = cos_server.faults
    faults.clear()
    yield faults
    faults.clear()


@pytest.fixture(scope="session")
def cos_vars(cos_server) -> dict[str, Any]:
    return cos_server.vars


# --------------------------------------------------------------------------- browser


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$bytes"}:
            return base64.b64decode(value["$bytes"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


class Harness:
    """One booted page: run Python or JavaScript in it, hand it files from disk."""

    def __init__(self, page, base_url: str, wheel_url: str, path: str = "/tests/browser/harness.html") -> None:
        self.page = page
        self.base_url = base_url
        self.console: list[str] = []
        self._cdp = None  # a CDP session, made on first use (expose_cache_clear)
        page.on("console", lambda msg: self.console.append(f"[{msg.type}] {msg.text}"))
        page.on("pageerror", lambda err: self.console.append(f"[pageerror] {err}"))
        self.url = f"{base_url}{path}?wheel={wheel_url}"
        if os.environ.get("COS_WEB_FASTPATH") is not None:  # the page honours the switch too
            self.url += f"&fastpath={os.environ['COS_WEB_FASTPATH']}"
        self.reload()

    def reload(self) -> None:
        """(Re)load the page and wait for Pyodide and cos_web; a fresh interpreter."""
        self.page.goto(self.url)
        try:
            self.page.wait_for_function("!!(globalThis.harnessError || globalThis.runPy)", timeout=PWCONFIG.BOOT_TIMEOUT_MS)
        except Exception as exc:  # pragma: no cover - shown only when boot breaks
            raise PageError(f"harness did not boot: {exc}\n" + "\n".join(self.console[-30:])) from exc
        error = self.page.evaluate("globalThis.harnessError || null")
        if error:
            raise PageError(f"harness failed to boot: {error}\n" + "\n".join(self.console[-30:]))

    def run(self, code: str, timeout: float | None = None, **variables: Any) -> Any:
        """Run Python in the page; return its last expression's value."""
        ms = timeout * 1000 if timeout else PWCONFIG.ACTION_TIMEOUT_MS
        raw = self.page.evaluate(
            """([src, vars, ms]) => Promise.race([runPy(src, vars), new Promise((_, reject) =>
                 setTimeout(() => reject(new Error(`page code still running after ${ms} ms`)), ms))])""",
            [code, json.dumps(variables), ms],
        )
        result = json.loads(raw)
        if not result["ok"]:
            raise PageError("Python in the page raised:\n" + result["error"])
        return _decode(result["value"])

    def js(self, expression: str, arg: Any = None) -> Any:
        """Evaluate JavaScript in the page (a function expression gets ``arg``)."""
        return self.page.evaluate(expression, arg)

    def expose_cache_clear(self) -> None:
        """Give the page ``await clearHttpCache()``: empties this context's HTTP cache (over CDP).

        For cos-js-sdk-v5, which reads through the cache and so may read an object changed
        through another URL stale (tests/browser/test_http_cache.py); cos_web never reads from
        it. (CDP's cache-disabled mode would also add ``Cache-Control: no-cache`` to every
        request, which a PUT stores as the object's header.)
        """
        if self._cdp is not None:
            return
        self._cdp = self.page.context.new_cdp_session(self.page)
        self.page.expose_function("clearHttpCache", lambda: self._cdp.send("Network.clearBrowserCache") and None)

    def add_file(self, path: str | os.PathLike, name: str | None = None) -> str:
        """Put a file-backed ``File`` from disk into the Map ``globalThis.testFiles`` (``js.testFiles.get(name)`` in Python), as a user's pick would."""
        name = name or Path(path).name
        input_id = f"file-input-{abs(hash(name))}"
        self.page.evaluate(
            """(id) => { if (!document.getElementById(id)) { const i = document.createElement('input');
                 i.type = 'file'; i.id = id; document.getElementById('files').appendChild(i); } }""",
            input_id,
        )
        self.page.set_input_files(f"#{input_id}", str(path))
        self.page.evaluate(
            "([id, name]) => { (globalThis.testFiles ||= new Map()).set(name, document.getElementById(id).files[0]); }",
            [input_id, name],
        )
        return name


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(**PWCONFIG.launch_options())
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def new_harness(browser, static_url, wheel_path):
    """Factory for extra booted pages (a second tab, a reload test); closed at session end."""
    contexts = []
    wheel_url = f"/{wheel_path.relative_to(ROOT).as_posix()}"

    def make(path: str = "/tests/browser/harness.html") -> Harness:
        context = browser.new_context()
        context.set_default_timeout(PWCONFIG.ACTION_TIMEOUT_MS)
        contexts.append(context)
        return Harness(context.new_page(), static_url, wheel_url, path)

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def harness(new_harness) -> Harness:
    """The session's one page with Pyodide booted and cos_web installed."""
    return new_harness()


@pytest.fixture(scope="session")
def tmp_session_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="cos-web-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
