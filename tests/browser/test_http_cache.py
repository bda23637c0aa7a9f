"""Reads never get a stale answer from the browser's HTTP cache after this page's writes.

COS answers GET and HEAD with ``Last-Modified`` and no ``Cache-Control``, so a browser may keep
the answer and give it again without asking, for a tenth of the time since ``Last-Modified``
(heuristic freshness, RFC 9111 4.2.2). A write to the object's own URL drops the kept answer;
a write through another URL does not: a multipart upload (``?uploadId=``), a delete by
``?versionId=``, a multi-object delete. cos-js-sdk-v5 (XHR) then reads the object stale.
cos_web notes such writes (cos_web.transport.Freshness) and reads those objects with fetch's
``cache: "reload"`` until a whole GET has refreshed the kept answer, which the JS SDK then reads
fresh too. Other reads keep the cache's default, so Chromium's CORS preflight cache still
serves them (``no-store`` or ``no-cache`` reads each cost an OPTIONS: counted below).

The objects read are ``AGED_KEYS``, written when the session's server started, so an answer is
"fresh" for seconds after it is first read (a test waits for them to be 30 s old if need be).
"""

from __future__ import annotations

import time
from collections import Counter

import pytest

from tests.conftest import AGED_KEYS

pytestmark = pytest.mark.browser

JS_GET = """async ([cfg, key]) => {
  const cos = new COS({SecretId: cfg.SECRET_ID, SecretKey: cfg.SECRET_KEY, Domain: cfg.DOMAIN});
  const data = await new Promise((res, rej) => cos.getObject({Bucket: cfg.BUCKET, Region: cfg.REGION, Key: key},
    (e, d) => e ? rej(e) : res(d)));
  return data.Body;
}"""

PY_WRITE = """
from cos_web import COS
cos = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=DOMAIN, Transport=TRANSPORT)
p = {"Bucket": BUCKET, "Region": REGION, "Key": KEY}
if HOW == "multipart":
    upload_id = (await cos.multipartInit(p))["UploadId"]
    part = await cos.multipartUpload({**p, "UploadId": upload_id, "PartNumber": 1, "Body": BODY})
    etag = (await cos.multipartComplete({**p, "UploadId": upload_id,
                                         "Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}))["ETag"]
else:  # gone through POST /?delete
    await cos.deleteMultipleObject({"Bucket": BUCKET, "Region": REGION, "Objects": [{"Key": "other"}, {"Key": KEY}]})
    etag = None
etag
"""

PY_READS = """
from cos_web import COS, CosError
cos = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=DOMAIN, Transport=TRANSPORT)
p = {"Bucket": BUCKET, "Region": REGION, "Key": KEY}
out = []
try:
    out.append((await cos.headObject(p))["ETag"])
    out.append((await cos.getObject(p))["Body"].decode())
    out.append(await (await cos.getObject({**p, "DataType": "blob"}))["Body"].text())
    out.append((await cos.headObject(p))["ETag"])
except CosError as exc:
    out.append(exc.statusCode)
out
"""


def _options_counter(harness):
    cdp = harness.page.context.new_cdp_session(harness.page)
    seen: Counter = Counter()
    cdp.on("Network.requestWillBeSent", lambda e: seen.update([e["request"]["method"]]))
    cdp.send("Network.enable")
    return cdp, seen


@pytest.mark.parametrize("transport", ["auto", "fetch", "pyfetch"])
def test_reads_after_a_write_through_another_url_are_fresh(harness, cos_server, cos_vars, transport):
    key = AGED_KEYS[("auto", "fetch", "pyfetch").index(transport)]
    time.sleep(max(0.0, cos_server.aged_at + 30 - time.time()))
    assert harness.js(JS_GET, [cos_vars, key]) == "one"  # the answer is kept in the cache now
    body = f"two {transport}"
    etag = harness.run(PY_WRITE, KEY=key, BODY=body, HOW="multipart", TRANSPORT=transport, **cos_vars)
    # the hazard is real in this browser: the JS SDK reads the overwritten object from the cache
    assert harness.js(JS_GET, [cos_vars, key]) == "one"
    out = harness.run(PY_READS, KEY=key, TRANSPORT=transport, **cos_vars)
    assert out == [etag, body, body, etag]
    # cos_web's GET refreshed what the cache keeps: the JS SDK reads the new object too
    assert harness.js(JS_GET, [cos_vars, key]) == body


def test_a_multi_object_delete_is_not_read_back(harness, cos_server, cos_vars):
    key = AGED_KEYS[3]
    time.sleep(max(0.0, cos_server.aged_at + 30 - time.time()))
    assert harness.js(JS_GET, [cos_vars, key]) == "one"
    harness.run(PY_WRITE, KEY=key, BODY="", HOW="delete", TRANSPORT="auto", **cos_vars)
    assert harness.js(JS_GET, [cos_vars, key]) == "one"  # the JS SDK: an object that is gone
    assert harness.run(PY_READS, KEY=key, TRANSPORT="auto", **cos_vars) == [404]


def test_plain_reads_keep_the_preflight_cache(harness, cos_vars):
    harness.run("""
from cos_web import COS
cos = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=DOMAIN)
p = {"Bucket": BUCKET, "Region": REGION, "Key": "cache/plain.txt"}
await cos.putObject({**p, "Body": "plain"})
await cos.headObject(p)
await cos.getObject(p)
""", **cos_vars)  # fmt: skip
    cdp, seen = _options_counter(harness)
    try:
        harness.run("""
from cos_web import COS
cos = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=DOMAIN)
p = {"Bucket": BUCKET, "Region": REGION, "Key": "cache/plain.txt"}
for _ in range(5):
    await cos.headObject(p)
    await cos.getObject(p)
""", **cos_vars)  # fmt: skip
    finally:
        cdp.detach()
    assert seen["HEAD"] == 5 and seen["GET"] == 5
    assert seen["OPTIONS"] == 0  # the preflights were cached; a no-store read would send one each
