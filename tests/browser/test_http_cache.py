"""Reads never come from the browser's HTTP cache.

COS answers GET and HEAD with ``Last-Modified`` and no ``Cache-Control``, so a browser may keep
the answer and give it again without asking, for a tenth of the time since ``Last-Modified``
(heuristic freshness, RFC 9111 4.2.2). A write to the same URL drops the kept answer, but a
write through another URL does not: a multipart upload (``?uploadId=``), a delete by
``?versionId=``, another tab's or another client's write. An XHR cannot opt out, and
cos-js-sdk-v5 reads through the cache: such an object reads back stale. cos_web sends GET and
HEAD by fetch with ``cache: "no-store"`` (cos_web.transport.BrowserTransport), so it always asks
COS and keeps no copy (a large download is not written to the disk cache either).

The object read is ``AGED_KEY``, written when the session's server started, so its answer is
"fresh" for seconds after it is first read (the test waits for it to be 30 s old if need be).
"""

from __future__ import annotations

import time

import pytest

from tests.conftest import AGED_KEY

pytestmark = pytest.mark.browser

JS_GET = """async ([cfg, key]) => {
  const cos = new COS({SecretId: cfg.SECRET_ID, SecretKey: cfg.SECRET_KEY, Domain: cfg.DOMAIN});
  const data = await new Promise((res, rej) => cos.getObject({Bucket: cfg.BUCKET, Region: cfg.REGION, Key: key},
    (e, d) => e ? rej(e) : res(d)));
  return data.Body;
}"""

PY_OVERWRITE = """
from cos_web import COS
cos = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=DOMAIN)
p = {"Bucket": BUCKET, "Region": REGION, "Key": KEY}
upload_id = (await cos.multipartInit(p))["UploadId"]
part = await cos.multipartUpload({**p, "UploadId": upload_id, "PartNumber": 1, "Body": "two"})
done = await cos.multipartComplete({**p, "UploadId": upload_id, "Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
done["ETag"]
"""

PY_READS = """
from cos_web import COS
p = {"Bucket": BUCKET, "Region": REGION, "Key": KEY}
out = {}
for name in ("auto", "fetch", "pyfetch"):
    cos = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=DOMAIN, Transport=name)
    out[name] = [
        (await cos.getObject(p))["Body"],  # bytes, as Python reads a body
        await (await cos.getObject({**p, "DataType": "blob"}))["Body"].text(),
        bytes((await cos.getObject({**p, "DataType": "arraybuffer"}))["Body"].to_py()).decode(),
        (await cos.headObject(p))["ETag"],
    ]
out
"""


def test_reads_skip_the_http_cache_the_js_sdk_reads_through(harness, cos_server, cos_vars):
    time.sleep(max(0.0, cos_server.aged_at + 30 - time.time()))
    assert harness.js(JS_GET, [cos_vars, AGED_KEY]) == "one"  # the answer is in the cache now
    etag = harness.run(PY_OVERWRITE, KEY=AGED_KEY, **cos_vars)
    # the hazard is real in this browser: the JS SDK reads the overwritten object from the cache
    assert harness.js(JS_GET, [cos_vars, AGED_KEY]) == "one"
    out = harness.run(PY_READS, KEY=AGED_KEY, **cos_vars)
    assert out == {name: [b"two", "two", "two", etag] for name in ("auto", "fetch", "pyfetch")}
