"""Shared page code and helpers of the upload browser tests (test_upload_*.py).

``PRELUDE`` runs in the page before each test's code. It makes ``cos`` (1 MB parts,
ProgressInterval 0, options from ``OPTS``), wraps its transport in ``Wire`` (counts
part PUTs started, finished and aborted, the most in flight at once, all requests;
can delay part PUTs so a test can act while they are in flight, and can fail part
PUTs via ``wire.fail = fn(request) -> Response | Exception | None``), and gives
``md5_of(key)`` of the stored object.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

PRELUDE = """
import asyncio, hashlib, js
from cos_web import COS, CosError
from cos_web.transport import Response, TransportError

class Wire:
    def __init__(self, inner):
        self.inner = inner
        self.requests = []          # (method, url) of every request sent
        self.parts_started = []     # PartNumber of each part PUT sent
        self.parts_done = []        # ... answered 2xx
        self.parts_aborted = 0      # ... cancelled in flight (XHR aborted)
        self.in_flight = 0
        self.max_in_flight = 0
        self.delay = 0.0
        self.fail = None

    async def send(self, request):
        self.requests.append((request.method, request.url))
        is_part = request.method == "PUT" and "uploadId=" in request.url
        if not is_part:
            return await self.inner.send(request)
        number = int(request.url.split("partNumber=")[1].split("&")[0])
        self.parts_started.append(number)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.fail is not None:
                outcome = self.fail(request)
                if isinstance(outcome, BaseException):
                    raise outcome
                if outcome is not None:
                    return outcome
            if self.delay:
                await asyncio.sleep(self.delay)
            response = await self.inner.send(request)
            if 200 <= response.status < 300:
                self.parts_done.append(number)
            return response
        except asyncio.CancelledError:
            self.parts_aborted += 1
            raise
        finally:
            self.in_flight -= 1

    def count(self, method, marker):
        return sum(1 for m, u in self.requests if m == method and marker in u)

options = dict(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=DOMAIN, ChunkSize=1048576, ProgressInterval=0)
options.update(globals().get("OPTS") or {})
cos = COS(options)
wire = Wire(cos._pipeline.transport)
cos._pipeline.transport = wire
BR = {"Bucket": BUCKET, "Region": REGION}

async def md5_of(key):
    data = await cos.get_object(**BR, Key=key)
    return hashlib.md5(data["Body"]).hexdigest()

async def wait_until(predicate, timeout=20.0):
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        if loop.time() > end:
            raise AssertionError("condition not reached in the page")
        await asyncio.sleep(0.005)

async def uploads_of(key):
    data = await cos.multipart_list(**BR, Prefix=key)
    return [u["UploadId"] for u in data["Upload"] if u["Key"] == key]
"""

# Page state kept between harness.run calls (each run has fresh globals): ``KEPT`` is a dict.
KEEP = """
import sys, types
KEPT = sys.modules.setdefault("kept_by_tests", types.ModuleType("kept_by_tests")).__dict__
"""

MB = 1024 * 1024


def make_file(directory: Path, size: int, name: str | None = None) -> tuple[Path, str]:
    """A file of ``size`` random bytes; returns (path, md5 hex)."""
    path = Path(directory) / (name or f"{uuid.uuid4().hex[:8]}.bin")
    data = os.urandom(size)
    path.write_bytes(data)
    return path, hashlib.md5(data).hexdigest()


def new_key(tag: str) -> str:
    return f"upload-tests/{tag}/{uuid.uuid4().hex[:8]}/文件 (1).bin"
