"""cos_web in Chromium: the three credential modes, getObject DataType, getObjectUrl, upload
progress over XHR, a File body, result parity with cos-js-sdk-v5 in the same page, a Web Worker."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.browser

PRELUDE = """
import js
from cos_web import COS, CosError
B, R = BUCKET, REGION
BR = {"Bucket": B, "Region": R}
keys = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=DOMAIN)
"""


@pytest.fixture
def run(harness, sdk_vars):
    def run(code: str, **kw):
        return harness.run(PRELUDE + code, **sdk_vars, **kw)

    return run


@pytest.fixture
def key():
    return f"modes/{uuid.uuid4().hex[:8]}/f i+le.txt"


def test_get_authorization_js_function_answering_later(run, harness, sdk_vars, key):
    # a page-defined signer that answers after a fetch of its own (here: a timer and a fetch of the page);
    # it returns its promise, which resolves to a timer id: no answer, so the callback is awaited
    harness.js(
        """([id, key]) => { globalThis.pageSigner = (options, callback) => {
             globalThis.signerOptions = JSON.parse(JSON.stringify(options));
             return fetch(location.href).then(() => setTimeout(() => callback({Authorization: COS.getAuthorization({
                 SecretId: id, SecretKey: key, Method: options.Method, Key: options.Key,
                 Query: options.Query, Headers: options.Headers})}), 10));
           }; }""",
        [sdk_vars["SECRET_ID"], sdk_vars["SECRET_KEY"]],
    )
    data, opts = run(
        """
cos = COS(getAuthorization=js.pageSigner, Domain=DOMAIN)
await cos.put_object(**BR, Key=key, Body="signed by js")
data = await cos.get_object(**BR, Key=key, DataType="text")
[data["Body"], js.JSON.parse(js.JSON.stringify(js.signerOptions)).to_py()]
""",
        key=key,
    )
    assert data == "signed by js"
    assert opts["Method"] == "GET" and opts["Key"] == key and opts["Bucket"] == sdk_vars["BUCKET"]
    assert opts["Headers"]["Host"].startswith(f"{sdk_vars['BUCKET']}.cos.{sdk_vars['REGION']}.localhost:")
    assert set(opts) >= {"Method", "Key", "Query", "Headers", "Bucket", "Region"}


def test_get_authorization_python_callables(run, key):
    out = run(
        """
import asyncio
def sign(options):
    return COS.get_authorization(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Method=options["Method"],
                                 Key=options["Key"], Query=options["Query"], Headers=options["Headers"])
def by_return(options, callback):
    return sign(options)
async def by_async(options, callback):
    await asyncio.sleep(0.01)
    return {"Authorization": sign(options)}
def by_callback(options, callback):
    asyncio.get_running_loop().call_later(0.01, callback, sign(options))
out = []
for fn in (by_return, by_async, by_callback):
    cos = COS(getAuthorization=fn, Domain=DOMAIN)
    await cos.put_object(**BR, Key=key, Body=fn.__name__)
    out.append((await cos.get_object(**BR, Key=key))["Body"].decode())
bad = COS(getAuthorization=lambda o, cb: "nonsense", Domain=DOMAIN)
try:
    await bad.head_bucket(**BR)
except CosError as e:
    out.append(e.code)
out
""",
        key=key,
    )
    assert out == ["by_return", "by_async", "by_callback", "CredentialsError"]


def test_get_sts_temporary_keys_cached(run, harness, sdk_server, key):
    # the local server accepts only its own keys: hand them out as "temporary" ones with a token
    out = run(
        """
import time
calls = []
def get_sts(options, callback):
    calls.append(dict(options))
    callback({"SecretId": SECRET_ID, "SecretKey": SECRET_KEY, "XCosSecurityToken": "tmp-token",
              "ExpiredTime": int(time.time()) + 900})
sent = []
cos = COS(getSTS=get_sts, Domain=DOMAIN)
send = cos._pipeline.transport.send
async def spy(request):
    sent.append(request.headers.get("x-cos-security-token"))
    return await send(request)
cos._pipeline.transport.send = spy
await cos.put_object(**BR, Key=key, Body="sts")
body = (await cos.get_object(**BR, Key=key))["Body"]
await cos.head_object(**BR, Key=key)
[calls, sent, body]
""",
        key=key,
    )
    calls, sent, body = out
    assert calls == [{"Bucket": "test-1250000000", "Region": "ap-guangzhou"}]
    assert sent == ["tmp-token"] * 3 and body == b"sts"


def test_get_object_data_types(run, key):
    out = run(
        """
await keys.put_object(**BR, Key=key, Body=bytes(range(256)))
text = await keys.get_object(**BR, Key=key + "t", DataType="text") if False else None
await keys.put_object(**BR, Key=key + "t", Body="héllo")
t = (await keys.get_object(**BR, Key=key + "t", DataType="text"))["Body"]
blob = (await keys.get_object(**BR, Key=key, DataType="blob"))["Body"]
buf = (await keys.getObject(**BR, Key=key, DataType="arraybuffer"))["Body"]
raw = (await keys.get_object(**BR, Key=key))["Body"]
[t, blob.constructor.name, blob.size, buf.constructor.name, buf.byteLength, raw == bytes(range(256)),
 (await blob.arrayBuffer()).to_bytes() == raw]
""",
        key=key,
    )
    assert out == ["héllo", "Blob", 256, "ArrayBuffer", 256, True, True]


def test_get_object_url_signed_and_unsigned(run, key):
    out = run(
        """
await keys.put_object(**BR, Key=key, Body="via url")
signed = keys.get_object_url(**BR, Key=key, Expires=60)
unsigned = keys.getObjectUrl(**BR, Key=key, Sign=False)
awaited = (await keys.get_object_url(**BR, Key=key, Query={"response-content-type": "text/x-url"}))["Url"]
r1 = await js.fetch(signed)
r2 = await js.fetch(unsigned)
r3 = await js.fetch(awaited)
[str(signed), str(unsigned), r1.status, await r1.text(), r2.status, r3.status, r3.headers.get("content-type")]
""",
        key=key,
    )
    signed, unsigned, s1, body, s2, s3, ctype = out
    assert "q-signature=" in signed and "q-signature" not in unsigned
    assert (s1, body) == (200, "via url")
    assert s2 == 403  # private object, no signature
    assert (s3, ctype) == (200, "text/x-url")


def test_put_object_file_body_and_upload_progress(run, harness, tmp_path, key):
    path = tmp_path / "upload.bin"
    path.write_bytes(b"\x07" * (3 * 1024 * 1024 + 5))
    name = harness.add_file(path)
    out = run(
        """
reports = []
cos = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=DOMAIN, ProgressInterval=10)
f = js.testFiles.get(name)
data = await cos.put_object(**BR, Key=key, Body=f, onProgress=lambda info: reports.append(dict(info)))
head = await cos.head_object(**BR, Key=key)
[data["statusCode"], head["headers"]["content-length"], reports[0], reports[-1], len(reports)]
""",
        key=key,
        name=name,
    )
    status, length, first, last, count = out
    assert status == 200 and int(length) == path.stat().st_size
    assert first["loaded"] == 0 and first["percent"] == 0
    assert last["loaded"] == last["total"] == path.stat().st_size and last["percent"] == 1
    assert set(last) == {"loaded", "total", "speed", "percent"}
    assert count >= 2


def test_callback_style_js_callback(run, harness, key):
    harness.js("() => { globalThis.cbSeen = []; globalThis.cb = (err, data) => cbSeen.push([err && err.code, data && data.statusCode]); }")
    run(
        """
import asyncio
await keys.put_object(**BR, Key=key, Body="cb")
task = keys.head_object(BR | {"Key": key}, js.cb)
await task
await keys.head_object(BR | {"Key": key + ".missing"}, js.cb)
""",
        key=key,
    )
    assert harness.js("() => cbSeen") == [[None, 200], ["NotFound", None]]


JS_PARITY = """async ([domain, id, key, bucket, region, prefix]) => {
  const cos = new COS({SecretId: id, SecretKey: key, Domain: domain});
  const p = (api, params) => new Promise((resolve) => cos[api](Object.assign({Bucket: bucket, Region: region}, params),
      (err, data) => resolve(err ? {err: {code: err.code, statusCode: err.statusCode}} : JSON.parse(JSON.stringify(data)))));
  return {
    put: await p('putObject', {Key: prefix + 'a.txt', Body: 'parity'}),
    head: await p('headObject', {Key: prefix + 'a.txt'}),
    list: await p('getBucket', {Prefix: prefix}),
    acl: await p('getObjectAcl', {Key: prefix + 'a.txt'}),
    cors: await p('getBucketCors', {}),
    loc: await p('getBucketLocation', {}),
    init: await p('multipartInit', {Key: prefix + 'm.bin'}),
    uploads: await p('multipartList', {Prefix: prefix}),
    missing: await p('getObject', {Key: prefix + 'missing'}),
    del: await p('deleteMultipleObject', {Objects: [{Key: prefix + 'a.txt'}, {Key: prefix + 'none'}]}),
  };
}"""

PY_PARITY = """
cos = keys
async def p(api, **params):
    try:
        return await getattr(cos, api)(**BR, **params)
    except CosError as e:
        return {"err": {"code": e.code, "statusCode": e.statusCode}}
out = {
    "put": await p("putObject", Key=prefix + "a.txt", Body="parity"),
    "head": await p("headObject", Key=prefix + "a.txt"),
    "list": await p("getBucket", Prefix=prefix),
    "acl": await p("getObjectAcl", Key=prefix + "a.txt"),
    "cors": await p("getBucketCors"),
    "loc": await p("getBucketLocation"),
    "init": await p("multipartInit", Key=prefix + "m.bin"),
    "uploads": await p("multipartList", Prefix=prefix),
    "missing": await p("getObject", Key=prefix + "missing", DataType="text"),
    "del": await p("deleteMultipleObject", Objects=[{"Key": prefix + "a.txt"}, {"Key": prefix + "none"}]),
}
out
"""

VOLATILE = {"RequestId", "date", "x-cos-request-id", "x-cos-trace-id", "last-modified", "LastModified", "UploadId", "Initiated"}


def _strip(value):
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def test_result_parity_with_js_sdk_in_the_same_page(run, harness, sdk_vars):
    v = sdk_vars
    js_prefix = f"parity/{uuid.uuid4().hex[:6]}/"
    py_prefix = js_prefix  # same keys: run one after the other, cleaning up in between
    js_out = harness.js(JS_PARITY, [v["DOMAIN"], v["SECRET_ID"], v["SECRET_KEY"], v["BUCKET"], v["REGION"], js_prefix])
    run(f"await keys.multipart_abort(**BR, Key={js_prefix!r} + 'm.bin', UploadId={js_out['init']['UploadId']!r})")
    py_out = run(PY_PARITY, prefix=py_prefix)
    for name in js_out:
        want, got = _strip(js_out[name]), _strip(py_out[name])
        if name == "missing":
            assert got["err"]["statusCode"] == want["err"]["statusCode"] == 404
            assert got["err"]["code"] == want["err"]["code"] == "NoSuchKey"
            continue
        if name == "uploads":
            want["CommonPrefixes"] = want.get("CommonPrefixes", [])  # cos_web: always a list
            got.setdefault("CommonPrefixes", [])
        assert got == want, name


def test_in_a_web_worker(worker, sdk_vars, key):
    out = worker.run(
        PRELUDE
        + """
import sys
await keys.put_object(**BR, Key=key, Body="from a worker")
body = (await keys.get_object(**BR, Key=key, DataType="text"))["Body"]
listed = [c["Key"] for c in (await keys.get_bucket(**BR, Prefix=key))["Contents"]]
progress = []
await keys.put_object(**BR, Key=key + ".p", Body=b"x" * 100000, onProgress=progress.append)
[body, listed, hasattr(js, "document"), progress[-1]["percent"]]
""",
        **sdk_vars,
        key=key,
    )
    assert out == ["from a worker", [key], False, 1]
