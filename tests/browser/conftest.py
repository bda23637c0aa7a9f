"""Browser fixtures beyond the shared ones in tests/conftest.py.

Each section is self-contained; append new sections below rather than editing others.
"""

from __future__ import annotations

# --------------------------------------------------------------------------- Web Worker harness
# ``worker.run(code, **vars)`` runs Python in a plain dedicated Web Worker (no window,
# document or localStorage: the setting of a JupyterLite kernel), with the same
# contract as ``harness.run``. ``worker.add_file(path)`` hands a file-backed File to the
# worker as ``js.testFiles.get(name)``.

import pytest

from tests.conftest import Harness


class WorkerHarness(Harness):
    """A page (tests/browser/worker.html) that relays Python to worker_harness.js."""

    def add_file(self, path, name=None) -> str:
        name = super().add_file(path, name)
        self.page.evaluate("(name) => sendFileToWorker(name)", name)
        return name


@pytest.fixture(scope="session")
def new_worker(browser, static_url, wheel_path):
    """Factory for extra worker harnesses (each in its own browser context)."""
    from tests.conftest import PWCONFIG, ROOT

    import os
    import shutil

    contexts = []
    # A private copy: another test session or the demo in the same tree may rebuild build/wheel/.
    private = ROOT / "build" / "test-wheels" / str(os.getpid())
    private.mkdir(parents=True, exist_ok=True)
    shutil.copy2(wheel_path, private / wheel_path.name)
    wheel_url = f"/{(private / wheel_path.name).relative_to(ROOT).as_posix()}"

    def make() -> WorkerHarness:
        context = browser.new_context()
        context.set_default_timeout(PWCONFIG.ACTION_TIMEOUT_MS)
        contexts.append(context)
        return WorkerHarness(context.new_page(), static_url, wheel_url, "/tests/browser/worker.html")

    yield make
    for context in contexts:
        context.close()
    shutil.rmtree(private, ignore_errors=True)


@pytest.fixture(scope="session")
def worker(new_worker) -> WorkerHarness:
    """The session's one Web Worker with Pyodide booted and cos_web installed."""
    return new_worker()


# --------------------------------------------------------------------------- demo site (upload page, widget)
# ``demo_site``: cos_web.demo's server (pages, wheel, Pyodide, PyScript, signing endpoint)
# in a thread, signing for the session's ``cos_server`` with its keys, under a key prefix of
# its own. ``demo_site.cos(method, key, data)`` talks to the COS server directly (signed
# in Python), to check what the page did. ``open_demo_page(path, viewport)`` opens a page in
# a fresh context and records every response the page receives (``page.responses``).


class DemoSite:
    def __init__(self, server, cos_server, prefix: str) -> None:
        self.server = server
        self.cos_server = cos_server
        self.prefix = prefix
        self.url = server.url

    @property
    def settings(self):
        return self.server.settings

    def cos(self, method: str, key: str, data: bytes | None = None, query: dict | None = None) -> tuple[int, bytes]:
        """A signed request straight to the local COS server: (status, body)."""
        import urllib.error
        import urllib.parse
        import urllib.request

        from cos_web.auth import build_authorization

        cs = self.cos_server
        host = f"{cs.bucket}.cos.{cs.region}.localhost:{cs.port}"
        auth = build_authorization(SecretId=cs.secret_id, SecretKey=cs.secret_key, Method=method, Key=key,
                                   Query=query or {}, Headers={"Host": host})  # fmt: skip
        url = f"http://127.0.0.1:{cs.port}/{urllib.parse.quote(key)}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        req = urllib.request.Request(url, data=data, method=method.upper(), headers={"Host": host, "Authorization": auth})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()


@pytest.fixture(scope="session")
def served_pyodide():
    """build/pyodide (scripts/prepare_pyodide.py: npm pyodide plus micropip and the pinned wheels), made
    before any demo server starts: the demo serves it when present, so the pages install the wheel through
    PyScript's ``packages`` as ``scripts/demo.sh`` serves them (a fresh clone has no build/ yet)."""
    from scripts.prepare_pyodide import prepare_pyodide

    return prepare_pyodide()


@pytest.fixture(scope="session")
def demo_site(cos_server, wheel_path, served_pyodide):
    import uuid

    from cos_web.demo import DemoServer, DemoSettings

    prefix = f"demo-page-{uuid.uuid4().hex[:8]}/"
    settings = DemoSettings(bucket=cos_server.bucket, region=cos_server.region, secret_id=cos_server.secret_id,
                            secret_key=cos_server.secret_key, domain=cos_server.domain, mode="local", prefix=prefix)  # fmt: skip
    server = DemoServer(settings, wheel_dir=wheel_path.parent).start()
    yield DemoSite(server, cos_server, prefix)
    server.stop()


class RecordedPage:
    """A Playwright page plus everything it sent and received, kept after the page closes:
    ``requests`` (method, url, headers, body) and ``responses`` (url, status, headers, body)."""

    def __init__(self, context, page) -> None:
        self.context = context
        self.page = page
        self.responses: list[dict] = []
        self.requests: list[dict] = []
        self.console: list[str] = []
        page.on("console", lambda msg: self.console.append(f"[{msg.type}] {msg.text}"))
        page.on("pageerror", lambda err: self.console.append(f"[pageerror] {err}"))
        page.on("request", self._sent)
        page.on("requestfinished", self._record)

    def _sent(self, request) -> None:
        self.requests.append({"method": request.method, "url": request.url, "headers": request.headers,
                              "body": request.post_data_buffer or b""})  # fmt: skip

    def _record(self, request) -> None:
        try:
            response = request.response()
        except Exception:  # noqa: BLE001 - the page closed before its last request finished
            return
        if response is None:
            return
        try:
            body = response.body()
        except Exception as exc:  # noqa: BLE001 - e.g. a redirect has none, or the page has closed
            body = f"<no body: {exc}>".encode()
        self.responses.append({"url": response.url, "status": response.status, "headers": response.headers, "body": body})

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="session")
def open_demo_page(browser, demo_site):
    from tests.conftest import PWCONFIG

    opened: list[RecordedPage] = []

    def open_page(path: str = "/static/index.html", viewport: dict | None = None, base: str | None = None,
                  **context_args) -> RecordedPage:  # fmt: skip
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 800}, accept_downloads=True, **context_args)
        context.set_default_timeout(PWCONFIG.ACTION_TIMEOUT_MS)
        recorded = RecordedPage(context, context.new_page())
        opened.append(recorded)
        recorded.page.goto((base or demo_site.url) + path)
        return recorded

    open_page.opened = opened  # every page opened this session, closed ones included
    yield open_page
    for recorded in opened:
        try:
            recorded.close()
        except Exception:  # noqa: BLE001 - already closed
            pass


# --------------------------------------------------------------------------- SDK call tests
# A COS server of their own for tests/browser/test_sdk_*.py, with spare buckets (open CORS)
# whose ACL, CORS or existence those tests change without touching the shared bucket.

SDK_SPARE_BUCKETS = ("acl-1250000000", "cors-1250000000", "del-1250000000", "ex-1250000000", "conf-1250000000")


@pytest.fixture(scope="session")
def sdk_server(tmp_path_factory):
    from tests.conftest import CosServer

    args = [a for b in SDK_SPARE_BUCKETS for a in ("--bucket", b)]
    server = CosServer(data_dir=tmp_path_factory.mktemp("cos-sdk-data"), extra_args=args).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sdk_vars(sdk_server):
    return sdk_server.vars


@pytest.fixture()
def fresh_demo(wheel_path, tmp_path, served_pyodide):
    """The stack ``scripts/demo.sh`` runs (its own local COS server, the demo bucket, ``uploads/``,
    temporary keys), empty, on free ports: for screenshots of what a newcomer sees."""
    from cos_web.demo import DemoServer, DemoSettings
    from cos_web.server import start_in_thread

    defaults = DemoSettings.from_env({})
    cos = start_in_thread(port=0, data_dir=str(tmp_path / "cos-data"), quiet=True, durable=False, buckets=[defaults.bucket],
                          region=defaults.region, secret_id=defaults.secret_id, secret_key=defaults.secret_key)  # fmt: skip
    settings = DemoSettings.from_env({}, cos_port=cos.port, sts_issuer=cos.issue_temporary_credentials)
    server = DemoServer(settings, wheel_dir=wheel_path.parent).start()
    yield server
    server.stop()
    cos.stop()


# --------------------------------------------------------------------------- upload tests


@pytest.fixture
def upload_run(harness, cos_vars):
    """Run page code after tests/browser/upload_page.PRELUDE (``cos``, ``wire``, ``md5_of`` ...)."""
    from tests.browser.upload_page import PRELUDE

    def run(code: str, timeout: float = 90, **kw):
        return harness.run(PRELUDE + code, timeout=timeout, **cos_vars, **kw)

    return run
