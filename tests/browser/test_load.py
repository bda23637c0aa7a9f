"""Load (issue 12 item 4), sized down for CI: several browser contexts upload files of
mixed sizes at once to one server that fails 2 % of requests (a seeded 503 or reset).
Every object's MD5 is checked; the server's memory stays flat, and no temporary file
or blob nobody uses is left; the figures (p50/p99 request latency, faults fired, RSS
growth) are printed. ``COS_WEB_LOAD_FULL=1`` runs the full size of the issue: 8 contexts
x 20 uploads, 1 KB to 16 MB (also the bench's row 8, ``bash bench/run.sh``). The driver
and its figures live in bench/load.py, shared with the bench."""

from __future__ import annotations

import os

import pytest

from bench.load import CI, FULL, run_load, summary

pytestmark = pytest.mark.browser


@pytest.mark.slow
def test_load_with_two_percent_faults(new_harness, tmp_path):
    from tests.conftest import CosServer

    size = FULL if os.environ.get("COS_WEB_LOAD_FULL") == "1" else CI
    server = CosServer(data_dir=tmp_path / "cos-data").start()
    try:
        figures = run_load(new_harness, server, tmp_path, size)
    finally:
        server.stop()
    print(summary(figures))
    assert figures["uploads"] == size.uploads and figures["wrong"] == []
    assert figures["faults"] > 0  # the faults did fire
    assert figures["tmp_left"] == 0
    # every blob belongs to an object: one per simple object, one per part of a multipart one
    assert figures["blobs"] == figures["parts"]
    assert figures["rss_growth_mb"] < 100
