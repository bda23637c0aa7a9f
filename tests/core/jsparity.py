"""Run cos-js-sdk-v5 in node (tests/core/js/sdk_harness.js) for parity checks."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
HARNESS = Path(__file__).with_name("js") / "sdk_harness.js"
SDK = ROOT / "node_modules" / "cos-js-sdk-v5" / "src" / "cos.js"


def node_available() -> bool:
    return shutil.which("node") is not None and SDK.exists()


needs_node = pytest.mark.skipif(not node_available(), reason="node or node_modules/cos-js-sdk-v5 missing")


def run_js(payload: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run(
        ["node", str(HARNESS)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"node harness failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def run_js_util(payload: dict[str, Any]) -> dict[str, Any]:
    """util.xml2json / util.json2xml of the JS SDK on lists of inputs."""
    return run_js(payload)
