"""One bench session: the wheel, a static server, the local COS server (data in a temp
dir, removed afterwards), one Chromium page with Pyodide + cos_web (tests.conftest's
Harness), the bench's JS and Python helpers loaded into it, and the big random files.

Everything talks to 127.0.0.1 / *.localhost only.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.conftest import PWCONFIG, ROOT, CosServer, Harness, build_wheel, start_static_server

BENCH = Path(__file__).resolve().parent
MB = 1 << 20
FILES_DIR = Path(os.environ.get("COS_WEB_BENCH_FILES", "/tmp/cos-web-bench-files"))


def random_file(size: int) -> Path:
    """A file of ``size`` random bytes under FILES_DIR, created once and reused."""
    FILES_DIR.mkdir(parents=True, exist_ok=True)
    path = FILES_DIR / f"random-{size // MB}M.bin"
    if path.exists() and path.stat().st_size == size:
        return path
    tmp = path.with_suffix(".part")
    with open(tmp, "wb") as fh:
        for i in range(0, size, 4 * MB):
            fh.write(os.urandom(min(4 * MB, size - i)))
    tmp.rename(path)
    return path


class Session:
    """Context manager holding every process and the page for one bench run."""

    def __init__(self, log=print) -> None:
        self.log = log
        self._pw = None
        self.browser = None
        self.static = None
        self.cos: CosServer | None = None
        self.data_dir: Path | None = None
        self.harness: Harness | None = None
        self.wheel: Path | None = None
        self.files: dict[str, str] = {}  # page file name -> path on disk
        self._extra: list[Any] = []  # browser contexts made by new_harness
        self.base_url = self.wheel_url = ""

    # ---------------------------------------------------------------- lifecycle

    def __enter__(self) -> "Session":
        try:
            return self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def _start(self) -> "Session":
        from playwright.sync_api import sync_playwright

        t0 = time.monotonic()
        self.wheel = build_wheel(ROOT / "build" / "bench-wheel")  # not build/wheel: a test session may be serving that
        self.static = start_static_server(ROOT)
        self.data_dir = Path(tempfile.mkdtemp(prefix="cos-web-bench-data-"))
        self.cos = CosServer(data_dir=self.data_dir).start()
        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(**PWCONFIG.launch_options())
        context = self.browser.new_context()
        context.set_default_timeout(PWCONFIG.ACTION_TIMEOUT_MS)
        base = f"http://127.0.0.1:{self.static.server_address[1]}"
        wheel_url = f"/{self.wheel.relative_to(ROOT).as_posix()}"
        self.base_url, self.wheel_url = base, wheel_url
        self.harness = Harness(context.new_page(), base, wheel_url)
        self.prepare_page()
        self.log(f"session ready in {time.monotonic() - t0:.1f} s (COS server on port {self.cos.port})")
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            if self.browser is not None:
                self.browser.close()
            if self._pw is not None:
                self._pw.stop()
        finally:
            if self.cos is not None:
                self.cos.stop()
            if self.static is not None:
                self.static.shutdown()
            if self.data_dir is not None:
                shutil.rmtree(self.data_dir, ignore_errors=True)

    def prepare_page(self) -> None:
        """Load the bench helpers into the (re)loaded page: JS ``bench.*`` and Python ``cos_web_bench``."""
        h = self.harness
        h.page.add_script_tag(url="/bench/page.js")
        h.js("(cfg) => bench.init(cfg)", self.page_config)
        h.run(
            "import sys, types\n"
            "m = types.ModuleType('cos_web_bench')\n"
            "exec(compile(SRC, '/bench/page_bench.py', 'exec'), m.__dict__)\n"
            "sys.modules['cos_web_bench'] = m\n"
            "m.init(CFG)\n",
            SRC=(BENCH / "page_bench.py").read_text(),
            CFG=self.page_config,
        )
        for name, path in self.files.items():
            h.add_file(path, name)

    def reload(self) -> None:
        """A fresh page and interpreter (cos_web not yet imported), helpers not loaded."""
        self.harness.reload()

    def new_harness(self) -> Harness:
        """Another booted page in a browser context of its own (the load's pages; see close_extra)."""
        context = self.browser.new_context()
        context.set_default_timeout(PWCONFIG.ACTION_TIMEOUT_MS)
        self._extra.append(context)
        return Harness(context.new_page(), self.base_url, self.wheel_url)

    def close_extra(self) -> None:
        """Close the contexts new_harness made (each holds a Pyodide of its own)."""
        while self._extra:
            self._extra.pop().close()

    @property
    def page_config(self) -> dict[str, Any]:
        return {**self.cos.vars}

    def add_file(self, path: Path) -> str:
        name = path.name
        self.files[name] = str(path)
        self.harness.add_file(path, name)
        return name

    def collect_garbage(self) -> None:
        """Drop what the page no longer references (Python proxies, then V8's heap), so the
        browser's blob store lets go of big downloaded Blobs between repetitions."""
        self.harness.run("import gc; gc.collect()")
        cdp = self.harness.page.context.new_cdp_session(self.harness.page)
        try:
            cdp.send("HeapProfiler.collectGarbage")
        finally:
            cdp.detach()

    # ---------------------------------------------------------------- running code

    def js(self, expression: str, arg: Any = None) -> Any:
        return self.harness.js(expression, arg)

    def py(self, code: str, timeout: float = 600, **variables: Any) -> Any:
        return self.harness.run("import cos_web_bench as B\n" + code, timeout=timeout, **variables)
