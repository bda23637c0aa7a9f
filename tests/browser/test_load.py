"""Load (issue 12 item 4), sized down for CI: several browser contexts upload files of
mixed sizes at once to one server that fails 2 % of requests (a seeded 503 or reset).
Every object's MD5 is checked; the server's memory stays flat, and no temporary file
or blob nobody uses is left; the figures (p50/p99 request latency, faults fired, RSS
growth) are printed. ``COS_WEB_LOAD_FULL=1`` runs the full size of the issue: 8 contexts
x 20 uploads, 1 KB to 16 MB."""

from __future__ import annotations

import hashlib
import os
import statistics
import time
from pathlib import Path
from typing import Any

import pytest

from tests.browser.upload_page import KEEP, MB

pytestmark = pytest.mark.browser

FAULTS = "op=any p=0.01 seed=12 action=status:503\nop=any p=0.01 seed=21 action=reset"  # 2 % in all

START = KEEP + """
import js, time
from cos_web import COS
lat = []

class Timed:
    def __init__(self, inner):
        self.inner = inner
    async def send(self, request):
        t = time.perf_counter()
        try:
            return await self.inner.send(request)
        finally:
            lat.append(time.perf_counter() - t)

cos = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=DOMAIN, ChunkSize=1048576, SliceSize=1048576)
cos._pipeline.transport = Timed(cos._pipeline.transport)
calls = [cos.upload_file(Bucket=BUCKET, Region=REGION, Key=k, Body=js.testFiles.get(n)) for k, n in JOBS]
KEPT.update(calls=calls, lat=lat, cos=cos)
"""

FINISH = KEEP + """
import hashlib
cos = KEPT["cos"]
out = []
for (key, _), call in zip(JOBS, KEPT["calls"]):
    try:
        await call
        body = (await cos.get_object(Bucket=BUCKET, Region=REGION, Key=key))["Body"]
        head = await cos.head_object(Bucket=BUCKET, Region=REGION, Key=key)
        out.append([key, hashlib.md5(body).hexdigest(), head["ETag"]])
    except Exception as e:
        out.append([key, f"error: {e}", ""])
[out, KEPT["lat"]]
"""


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def run_load(new_harness, server, tmp: Path, contexts: int, per_context: int, sizes: list[int]) -> dict[str, Any]:
    """Run the load; returns the figures (uploads, faults fired, latencies, RSS, leftovers)."""
    pages = [new_harness() for _ in range(contexts)]
    server.faults.clear()
    rss_before = _rss_kb(server.proc.pid)
    # Fixed keys (each run has a server of its own): the seeded fault draw depends on op, key, part and
    # attempt, so the same keys meet the same faults every run; a random run name made the CI-sized
    # load (64 requests at 2 %) meet none about one run in four.
    run = "run"
    expected: dict[str, str] = {}
    jobs_of: list[list[tuple[str, str]]] = []
    for c, page in enumerate(pages):
        jobs = []
        for i in range(per_context):
            size = sizes[(c * per_context + i) % len(sizes)]
            data = os.urandom(size)
            path = tmp / f"load-{c}-{i}.bin"
            path.write_bytes(data)
            key = f"load/{run}/{c}/{i}.bin"
            expected[key] = hashlib.md5(data).hexdigest()
            jobs.append((key, page.add_file(path)))
        jobs_of.append(jobs)
    server.faults.add(FAULTS)
    started = time.monotonic()
    for page, jobs in zip(pages, jobs_of):
        page.run(START, JOBS=jobs, **server.vars)
    results, latencies = [], []
    for page, jobs in zip(pages, jobs_of):
        out, lat = page.run(FINISH, JOBS=jobs, timeout=600, **server.vars)
        results += out
        latencies += lat
    elapsed = time.monotonic() - started
    fired = server.faults.log()
    server.faults.clear()
    time.sleep(1)  # let the server finish closing reset connections
    lat_sorted = sorted(latencies)
    return {
        "uploads": len(results),
        "bytes": sum(os.path.getsize(tmp / f"load-{c}-{i}.bin") for c in range(contexts) for i in range(per_context)),
        "seconds": elapsed,
        "wrong": [key for key, md5, _ in results if expected[key] != md5],
        "etags": [etag for _, _, etag in results],
        "faults": len(fired),
        "requests": len(latencies),
        "p50_ms": statistics.median(lat_sorted) * 1000,
        "p99_ms": lat_sorted[min(len(lat_sorted) - 1, int(len(lat_sorted) * 0.99))] * 1000,
        "rss_growth_mb": (_rss_kb(server.proc.pid) - rss_before) / 1024,
        "tmp_left": len(_files(server.data_dir / "tmp")),
        "blobs": len(_files(server.data_dir / "blobs")),
    }


@pytest.mark.slow
def test_load_with_two_percent_faults(new_harness, tmp_path):
    from tests.conftest import CosServer

    full = os.environ.get("COS_WEB_LOAD_FULL") == "1"
    contexts, per_context = (8, 20) if full else (2, 6)
    sizes = ([1024, 64 * 1024, 1 * MB + 7, 3 * MB, 16 * MB, 700 * 1024, 5 * MB + 3, 256 * 1024, 9 * MB, 2 * MB]
             if full else [1024, 200 * 1024, 1 * MB + 7, 3 * MB, 700 * 1024, 2 * MB + 1])  # fmt: skip
    server = CosServer(data_dir=tmp_path / "cos-data").start()
    try:
        figures = run_load(new_harness, server, tmp_path, contexts, per_context, sizes)
    finally:
        server.stop()
    print({k: v for k, v in figures.items() if k != "etags"})
    assert figures["uploads"] == contexts * per_context and figures["wrong"] == []
    assert figures["faults"] > 0  # the faults did fire
    assert figures["tmp_left"] == 0
    # every blob belongs to an object: one per simple object, one per part of a multipart one
    parts = sum(int(e.strip('"').split("-")[1]) if "-" in e else 1 for e in figures["etags"])
    assert figures["blobs"] == parts
    assert figures["rss_growth_mb"] < 100
