"""Each transport by name in Chromium against the local COS server: the same calls, progress
that ends at 100 %, errors read through CORS, and fetch's download progress from the stream
(Node.js, without XMLHttpRequest, is tests/node)."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.browser

CODE = """
import js
from cos_web import COS, CosError
cos = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=DOMAIN, Transport=TRANSPORT, ProgressInterval=0)
BR = {"Bucket": BUCKET, "Region": REGION}
ups, downs = [], []
put = await cos.put_object(**BR, Key=KEY, Body=b"t" * SIZE, onProgress=lambda p: ups.append(p))
got = await cos.get_object(**BR, Key=KEY, onProgress=lambda p: downs.append(p))
blob = (await cos.get_object(**BR, Key=KEY, DataType="blob"))["Body"]
try:
    await cos.head_object(**BR, Key=KEY + ".missing")
    missing = None
except CosError as e:
    missing = [e.code, e.statusCode]
[type(cos._pipeline.transport).__name__, put["ETag"] == got["ETag"], len(got["Body"]), blob.size, ups[-1], downs[-1], missing]
"""

NAMES = {"auto": "BrowserTransport", "xhr": "XHRTransport", "fetch": "FetchTransport", "pyfetch": "PyfetchTransport"}


@pytest.mark.parametrize("transport", list(NAMES))
def test_calls_through_each_transport(harness, cos_vars, transport):
    size = 1536 * 1024
    key = f"transports/{transport}/{uuid.uuid4().hex[:8]}.bin"
    name, same, length, blob_size, up, down, missing = harness.run(
        CODE, **cos_vars, TRANSPORT=transport, KEY=key, SIZE=size
    )
    assert name == NAMES[transport] and same and length == blob_size == size
    assert up["loaded"] == up["total"] == size and up["percent"] == 1
    assert down["loaded"] == size and down["percent"] == 1
    assert missing == ["NotFound", 404]


def test_fetch_download_progress_comes_from_the_stream(harness, cos_vars):
    size = 3 * 1024 * 1024
    events = harness.run(
        """
from cos_web import COS
from cos_web.transport import FetchTransport, Request
cos = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=DOMAIN)
BR = {"Bucket": BUCKET, "Region": REGION}
await cos.put_object(**BR, Key=KEY, Body=b"s" * SIZE)
events = []
r = await FetchTransport().send(Request("GET", cos.get_object_url(**BR, Key=KEY, Sign=True), response_type="blob",
                                        on_download_progress=lambda l, n: events.append([l, n])))
assert r.status == 200 and r.body.size == SIZE, (r.status, r.body.size)
events
""",
        **cos_vars,
        KEY=f"transports/stream/{uuid.uuid4().hex[:8]}.bin",
        SIZE=size,
    )
    assert len(events) >= 2 and events[-1] == [size, size]
    assert [e[0] for e in events] == sorted(e[0] for e in events)
