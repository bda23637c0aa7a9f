"""JupyterLite: the site built by scripts/build_jupyterlite.py runs cos_web notebooks offline.

The site is built (incrementally) into build/jupyterlite-test/ with this session's wheel
and served on 127.0.0.1; Chromium opens a notebook in the Notebook app, runs all cells
through ``window.jupyterapp`` (``exposeAppInBrowser``) and reads the outputs from the
notebook model. Every request of the page and of its workers (the kernel runs in one) is
recorded, and none may leave the loopback interface. Service workers stay allowed: the
kernel's file access (``/drive``) goes through one.

Slow: a cold kernel start takes 10-15 s on two cores.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import PWCONFIG, ROOT, start_static_server

pytestmark = [pytest.mark.slow, pytest.mark.browser]

KERNEL_TIMEOUT_S = 180  # kernel boot + all cells, generous for a loaded 2-core machine


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    host = parts.hostname or ""
    return host in ("127.0.0.1", "localhost", "::1") or host.endswith(".localhost")


def notebook(*cells: str | tuple[str, str], parameters: int | None = None) -> dict:
    """A minimal nbformat-4 notebook from code (or ("markdown", text)) cells."""
    out = []
    for index, cell in enumerate(cells):
        kind, source = cell if isinstance(cell, tuple) else ("code", cell)
        entry = {"cell_type": kind, "metadata": {}, "source": source}
        if kind == "code":
            entry.update(execution_count=None, outputs=[])
            if index == parameters:
                entry["metadata"]["tags"] = ["parameters"]
        out.append(entry)
    return {
        "cells": out,
        "metadata": {"kernelspec": {"display_name": "Python (Pyodide)", "language": "python", "name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def with_parameters(nb: dict, values: dict) -> dict:
    """Papermill's convention: insert a cell setting ``values`` after the cell tagged "parameters"."""
    cells = nb["cells"]
    index = next(i for i, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", []))
    source = "# injected by the test\n" + "".join(f"{k} = {v!r}\n" for k, v in values.items())
    injected = {"cell_type": "code", "execution_count": None, "metadata": {"tags": ["injected-parameters"]}, "outputs": [], "source": source}
    return {**nb, "cells": [*cells[: index + 1], injected, *cells[index + 1 :]]}


class LiteNotebookPage:
    """One browser context on the JupyterLite site; records every request."""

    def __init__(self, browser, base_url: str) -> None:
        self.base_url = base_url
        self.requests: list[str] = []
        self.console: list[str] = []
        self.context = browser.new_context()  # service workers allowed (the default)
        self.context.set_default_timeout(PWCONFIG.ACTION_TIMEOUT_MS)
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.console.append(f"[{m.type}] {m.text}"))
        self.page.on("pageerror", lambda e: self.console.append(f"[pageerror] {e}"))

    def close(self) -> None:
        self.context.close()

    def open(self, path: str) -> None:
        self.page.goto(f"{self.base_url}/notebooks/index.html?path={path}")
        self.page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
            " && window.jupyterapp.shell.currentWidget.sessionContext",
            timeout=PWCONFIG.BOOT_TIMEOUT_MS,
        )
        # Wait for the kernel: session up, kernel idle (micropip, piplite, ipython loaded).
        self._wait_idle(KERNEL_TIMEOUT_S, "kernel did not become idle")

    def _kernel_status(self) -> str:
        return self.page.evaluate(
            "() => { const p = window.jupyterapp.shell.currentWidget;"
            " const k = p && p.sessionContext && p.sessionContext.session && p.sessionContext.session.kernel;"
            " return k ? k.status : 'none'; }"
        )

    def _wait_idle(self, timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        idle_since = None
        while time.monotonic() < deadline:
            busy_prompt = self.page.evaluate(
                "() => [...document.querySelectorAll('.jp-InputPrompt')].some(e => e.textContent.includes('*'))"
            )
            status = self._kernel_status()
            if status in ("dead", "autorestarting"):
                break
            if status == "idle" and not busy_prompt:
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > 1.0:  # idle for a second: nothing queued
                    return
            else:
                idle_since = None
            time.sleep(0.25)
        raise AssertionError(f"{what} within {timeout_s} s (kernel {self._kernel_status()})\n" + "\n".join(self.console[-40:]))

    def run_all(self, timeout_s: float = KERNEL_TIMEOUT_S) -> dict:
        """Run every cell; return the notebook (nbformat dict) with its outputs."""
        self.page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        time.sleep(0.5)
        self._wait_idle(timeout_s, "cells did not finish")
        return self.page.evaluate("() => window.jupyterapp.shell.currentWidget.context.model.toJSON()")

    def foreign_requests(self) -> list[str]:
        return [url for url in self.requests if not _is_local(url)]


def cell_text(cell: dict) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            parts.append("".join(out["text"]) if isinstance(out["text"], list) else out["text"])
        elif out["output_type"] in ("execute_result", "display_data"):
            text = out.get("data", {}).get("text/plain", "")
            parts.append("".join(text) if isinstance(text, list) else text)
        elif out["output_type"] == "error":
            parts.append(f"{out['ename']}: {out['evalue']}")
    return "".join(parts)


def assert_no_errors(nb: dict) -> None:
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        errors = [o for o in cell.get("outputs", []) if o["output_type"] == "error"]
        assert not errors, f"cell {index} raised {errors[0]['ename']}: {errors[0]['evalue']}\n{source}\n" + "\n".join(errors[0].get("traceback", []))
        assert cell.get("execution_count"), f"cell {index} did not run:\n{source}"


# --------------------------------------------------------------------------- fixtures

BOOT_NOTEBOOK = notebook(
    "%pip install cos-web",
    "import sys, js, cos_web\n"
    "print('cos_web', cos_web.__version__, cos_web.__file__)\n"
    "print('window' if hasattr(js, 'window') else 'no window', sys.platform)",
)


# The example notebook runs as written, with these values injected after its "parameters" cell.
DEMO_PARAMETERS = {"KEY": f"notebooks/test-{uuid.uuid4().hex[:8]}.bin", "SIZE": 2 * 1024 * 1024 + 4321}


@pytest.fixture(scope="module")
def lite_contents(tmp_path_factory) -> Path:
    """Test notebooks published beside the examples in notebooks/."""
    folder = tmp_path_factory.mktemp("lite-contents")
    (folder / "boot_smoke.ipynb").write_text(json.dumps(BOOT_NOTEBOOK, indent=1))
    example = json.loads((ROOT / "notebooks" / "cos_web_demo.ipynb").read_text())
    (folder / "cos_web_demo_test.ipynb").write_text(json.dumps(with_parameters(example, DEMO_PARAMETERS), indent=1))
    return folder


@pytest.fixture(scope="module")
def lite_site(wheel_path, lite_contents) -> Path:
    from scripts.build_jupyterlite import NOTEBOOKS, build_site

    return build_site(ROOT / "build" / "jupyterlite-test", wheel=wheel_path, contents=[NOTEBOOKS, lite_contents])


@pytest.fixture(scope="module")
def lite_url(lite_site) -> str:
    server = start_static_server(lite_site)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def add_lite_route(app, site: Path, prefix: str = "/lite") -> None:
    """Serve a built JupyterLite site under ``prefix`` of an aiohttp app (a folder answers with
    its index.html, as JupyterLite's links expect)."""
    from aiohttp import web

    site = site.resolve()

    async def lite_file(request):
        rel = request.match_info["tail"]
        path = (site / rel).resolve()
        if not path.is_relative_to(site):
            raise web.HTTPNotFound()
        if path.is_dir():
            if rel and not rel.endswith("/"):
                raise web.HTTPFound(f"{prefix}/{rel}/" + (f"?{request.query_string}" if request.query_string else ""))
            path = path / "index.html"
        if not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path)

    async def lite_root(request):
        raise web.HTTPFound(f"{prefix}/")

    app.router.add_get(prefix, lite_root)
    app.router.add_get(prefix + "/{tail:.*}", lite_file)


def lite_demo_server(settings, site: Path, wheel_dir: Path):
    """The demo application (cos_web.demo: /api/config, /api/authorization) with the site under /lite/,
    so a notebook's signing requests go to its own origin, as in ``scripts/demo.sh``; served by the
    demo's own background runner (cos_web.demo.DemoServer on server/runner.py)."""
    from cos_web.demo import DemoServer, create_app
    from cos_web.server.runner import serve_app

    class LiteDemoServer(DemoServer):
        name = "lite-demo"

        async def serve(self, ready, stop) -> None:
            app = create_app(self.settings, wheel_dir=self.wheel_dir)
            add_lite_route(app, site)
            await serve_app(app, self.host, self.port, ready, stop)

        @property
        def lite_url(self) -> str:
            return self.url + "/lite"

    return LiteDemoServer(settings, wheel_dir=wheel_dir)


@pytest.fixture(scope="module")
def lite_demo(cos_server, lite_site, wheel_path):
    from cos_web.demo import DemoSettings

    settings = DemoSettings(bucket=cos_server.bucket, region=cos_server.region, secret_id=cos_server.secret_id,
                            secret_key=cos_server.secret_key, domain=cos_server.domain, mode="local",
                            prefix="notebooks/")  # fmt: skip
    server = lite_demo_server(settings, lite_site, wheel_path.parent).start()
    yield server
    server.stop()


@pytest.fixture
def lite(browser, lite_url):
    session = LiteNotebookPage(browser, lite_url)
    yield session
    session.close()


# --------------------------------------------------------------------------- tests


def test_site_is_built_offline(lite_site, wheel_path):
    config = json.loads((lite_site / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert kernel["pyodideUrl"] == "./static/pyodide/pyodide.mjs"
    assert kernel["disablePyPIFallback"] is True
    assert (lite_site / "static" / "pyodide" / "pyodide.asm.wasm").exists()
    assert (lite_site / "pypi" / wheel_path.name).read_bytes() == wheel_path.read_bytes()
    assert "cos-web" in json.loads((lite_site / "pypi" / "all.json").read_text())
    assert (lite_site / "files" / "cos_web_demo.ipynb").exists()


def test_kernel_boots_and_installs_cos_web(lite):
    lite.open("boot_smoke.ipynb")
    nb = lite.run_all()
    assert_no_errors(nb)
    pip_out, import_out = cell_text(nb["cells"][0]), cell_text(nb["cells"][1])
    assert "cos_web 0.1.0" in import_out or "cos_web " in import_out, import_out
    assert "site-packages/cos_web" in import_out, import_out
    assert "no window" in import_out and "emscripten" in import_out, import_out
    assert "error" not in pip_out.lower(), pip_out
    assert not lite.foreign_requests(), lite.foreign_requests()
    assert any("/static/pyodide/pyodide.asm.wasm" in url for url in lite.requests)
    wheels = [urlsplit(url).path.rsplit("/", 1)[-1] for url in lite.requests if ".whl" in url]
    assert any(name.startswith("cos_web-") for name in wheels), wheels


def _official_client(cos_server):
    from qcloud_cos import CosConfig, CosS3Client

    config = CosConfig(Region=cos_server.region, SecretId=cos_server.secret_id, SecretKey=cos_server.secret_key,
                       IP="127.0.0.1", Port=cos_server.port, Scheme="http")  # fmt: skip
    return CosS3Client(config)


def test_example_notebook_runs_against_the_local_server(browser, lite_demo, cos_server):
    """notebooks/cos_web_demo.ipynb, unchanged but for its parameters, runs every cell without error;
    the object it uploaded is then what the official Python SDK reads."""
    from cos_web import COS

    if not hasattr(COS, "slice_upload_file"):
        pytest.skip("cos_web has no slice_upload_file yet (the upload issue)")
    key, size = DEMO_PARAMETERS["KEY"], DEMO_PARAMETERS["SIZE"]
    session = LiteNotebookPage(browser, lite_demo.lite_url)
    try:
        session.open("cos_web_demo_test.ipynb")
        nb = session.run_all()
        assert_no_errors(nb)
        outputs = "\n".join(cell_text(c) for c in nb["cells"] if c["cell_type"] == "code")
        assert f"uploaded {key}" in outputs, outputs
        assert "100.0%" in outputs, outputs  # the text progress bar reached the end
        assert "matches" in outputs and "CosError: HTTP 404, code NoSuchKey" in outputs, outputs
        assert not session.foreign_requests(), session.foreign_requests()
        # The signing endpoint answered the notebook's requests: no key in the notebook, none in its traffic.
        assert any(url.endswith("/api/authorization") for url in session.requests)
        assert not any(cos_server.secret_key in url for url in session.requests)
    finally:
        session.close()

    client = _official_client(cos_server)
    obj = client.get_object(Bucket=cos_server.bucket, Key=key)
    body = obj["Body"].get_raw_stream().read()
    assert len(body) == size
    head = client.head_object(Bucket=cos_server.bucket, Key=key)
    assert int(head["Content-Length"]) == size
    note = client.get_object(Bucket=cos_server.bucket, Key=key + ".txt")["Body"].get_raw_stream().read().decode()
    import hashlib

    assert hashlib.sha256(body).hexdigest() in note
