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

    contexts = []
    wheel_url = f"/{wheel_path.relative_to(ROOT).as_posix()}"

    def make() -> WorkerHarness:
        context = browser.new_context()
        context.set_default_timeout(PWCONFIG.ACTION_TIMEOUT_MS)
        contexts.append(context)
        return WorkerHarness(context.new_page(), static_url, wheel_url, "/tests/browser/worker.html")

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def worker(new_worker) -> WorkerHarness:
    """The session's one Web Worker with Pyodide booted and cos_web installed."""
    return new_worker()
