"""The bench still runs: ``python -m bench --quick`` (8 MB files, 20 operations, one
repetition) end to end, every row present. Not a timed assertion: no figure is checked."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.browser


def test_bench_quick_runs(tmp_path):
    md, js = tmp_path / "BENCHMARKS.md", tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(md), "--json", str(js)],
        cwd=ROOT, capture_output=True, text=True, timeout=420,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads(js.read_text())
    rows = sorted({f["row"] for f in results["figures"]})
    assert rows == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    # rows 5 (heap growth) and 11 (frames not drawn) are lower-is-better: 0 is a real figure there
    assert all(f["ratio"] is not None and (f["ratio"] >= 0 if f["row"] in (5, 11) else f["ratio"] > 0)
               for f in results["figures"])  # fmt: skip
    table = md.read_text()
    assert table.count("\n| ") >= 12 and "cos-js-sdk-v5" in table
