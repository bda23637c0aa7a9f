"""How cos_web's tests and benchmarks find and launch a browser: the one place that says it.

Read by tests/conftest.py and bench/ (it is loaded by path, since the file name
has a dot). Environment switches:

- ``COS_WEB_CHROMIUM``: a Chromium/Chrome binary (default ``/usr/bin/chromium``;
  when that is absent, Playwright's own browser is used, fine on a machine with network).
- ``COS_WEB_HEADED=1``: show the browser window (debugging); ``COS_WEB_SLOWMO=ms`` slows it.
"""

from __future__ import annotations

import os
import shutil

CHROMIUM = os.environ.get("COS_WEB_CHROMIUM", "/usr/bin/chromium")

# Without the background-networking switches Chromium keeps calling home, and on a
# machine with no network those calls fail noisily. --no-sandbox because CI runs as root.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

HEADLESS = os.environ.get("COS_WEB_HEADED", "") in ("", "0")
SLOW_MO = float(os.environ.get("COS_WEB_SLOWMO", "0") or 0)

# Timeouts in milliseconds.
BOOT_TIMEOUT_MS = 120_000  # Pyodide boot + wheel install in a fresh page
ACTION_TIMEOUT_MS = 60_000  # one run_py / evaluate call, one page action

# Fixed test identities of the local COS server (not secrets: they exist only on this machine).
SECRET_ID = "AKIDcosweblocaltest000000000000000"
SECRET_KEY = "coswebLocalTestSecretKey00000000"
APPID = "1250000000"
BUCKET = f"test-{APPID}"
REGION = "ap-guangzhou"


def launch_options() -> dict:
    """Keyword arguments for ``playwright.chromium.launch``."""
    opts: dict = {"headless": HEADLESS, "args": list(LAUNCH_ARGS), "slow_mo": SLOW_MO}
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        opts["executable_path"] = path
    return opts


def cos_domain(port: int) -> str:
    """The Domain option that sends a browser's requests to the local COS server."""
    return f"http://{{Bucket}}.cos.{{Region}}.localhost:{port}"
