"""UploadCheckContentMd5, UploadAddMetaMd5 and CopySourceParser: cos_web and cos-js-sdk-v5 in one
Chromium page against the local server, on File-like Blobs; the results compared field by field
(test_js_parity's normalisation) and the MD5 headers each SDK sent compared request by request."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import urllib.parse
import urllib.request
import uuid

import pytest

from .test_js_parity import _compare, _normalise

pytestmark = pytest.mark.browser

SETUP = """(size) => {
  globalThis.optionBlob = new Blob([new Uint8Array(size).map((_, i) => (i * 7 + (i >> 9)) % 251)], {type: 'application/x-test'});
  // copy sources on the local server's host: the default parser wants *.myqcloud.com
  globalThis.localParser = (source) => {
    const m = source.match(/^([^.]+-\\d+)\\.cos\\.([^.]+)\\.localhost(?::\\d+)?\\/(.+)$/);
    return m ? {Bucket: m[1], Region: m[2], Key: decodeURIComponent(m[3])} : null;
  };
}"""

JS_RUN = """async (cfg) => {
  const cos = new COS({SecretId: cfg.SECRET_ID, SecretKey: cfg.SECRET_KEY, Domain: cfg.DOMAIN,
                       UploadCheckContentMd5: true, UploadAddMetaMd5: true, CopySourceParser: localParser});
  const call = (api, p) => new Promise((res) => cos[api](Object.assign({Bucket: cfg.BUCKET, Region: cfg.REGION}, p),
    (err, data) => res(err ? {err: {code: err.code, statusCode: err.statusCode}} : JSON.parse(JSON.stringify(data)))));
  const out = {};
  for (const [name, api, params] of cfg.steps) {
    const p = JSON.parse(JSON.stringify(params).split('{P}').join(cfg.prefix));
    if (p.Body === '$blob') p.Body = optionBlob;
    out[name] = await call(api, p);
  }
  return out;
}"""

PY_RUN = """
import js, json
from cos_web import COS, CosError
cfg = json.loads(CFG)
cos = COS(SecretId=cfg["SECRET_ID"], SecretKey=cfg["SECRET_KEY"], Domain=cfg["DOMAIN"],
          UploadCheckContentMd5=True, UploadAddMetaMd5=True, CopySourceParser=js.localParser)
out = {}
for name, api, params in cfg["steps"]:
    p = json.loads(json.dumps(params).replace("{P}", cfg["prefix"]))
    if p.get("Body") == "$blob":
        p["Body"] = js.optionBlob
    try:
        data = await getattr(cos, api)(Bucket=cfg["BUCKET"], Region=cfg["REGION"], **p)
        out[name] = json.loads(json.dumps(data))
    except CosError as e:
        out[name] = {"err": {"code": e.code, "statusCode": e.statusCode}}
out
"""

SIZE = 2 * 1024 * 1024 + 12345  # three parts of the default 1 MiB ChunkSize


def _stored_meta(server, key: str) -> dict[str, str]:
    """The object's headers, from a signed HEAD sent from the test process (no CORS)."""
    from cos_web.auth import build_authorization

    host = f"{server.bucket}.cos.{server.region}.localhost:{server.port}"
    auth = build_authorization(SecretId=server.secret_id, SecretKey=server.secret_key, Method="HEAD", Key=key,
                               Headers={"Host": host})  # fmt: skip
    url = f"http://127.0.0.1:{server.port}/{urllib.parse.quote(key)}"
    req = urllib.request.Request(url, method="HEAD", headers={"Host": host, "Authorization": auth})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return {k.lower(): v for k, v in resp.headers.items()}


def _blob_bytes() -> bytes:
    return bytes((i * 7 + (i >> 9)) % 251 for i in range(SIZE))


def test_md5_options_and_copy_source_parser_match_the_js_sdk(harness, sdk_vars, sdk_server):
    harness.js(SETUP, SIZE)
    copy_from = f"{sdk_vars['BUCKET']}.cos.{sdk_vars['REGION']}.localhost:{sdk_vars['COS_PORT']}/{{P}}/put%20blob.bin"
    steps = [
        ("put", "putObject", {"Key": "{P}/put blob.bin", "Body": "$blob"}),
        ("put_text", "putObject", {"Key": "{P}/t.txt", "Body": "ascii text body"}),
        ("head_put", "headObject", {"Key": "{P}/put blob.bin"}),
        ("slice", "sliceUploadFile", {"Key": "{P}/slice.bin", "Body": "$blob"}),
        ("head_slice", "headObject", {"Key": "{P}/slice.bin"}),
        ("copy", "putObjectCopy", {"Key": "{P}/copy.bin", "CopySource": copy_from}),
        ("head_copy", "headObject", {"Key": "{P}/copy.bin"}),
    ]
    sent: list[tuple[str, str, dict]] = []

    def record(request):
        if request.method in ("PUT", "POST") and ".cos." in request.url:
            sent.append((request.method, request.url, request.headers))

    token = uuid.uuid4().hex[:8]
    js_prefix, py_prefix = f"op{token}j", f"op{token}p"
    harness.page.on("request", record)
    try:
        js_raw = harness.js(JS_RUN, {**sdk_vars, "prefix": js_prefix, "steps": steps})
        py_raw = harness.run(PY_RUN, CFG=json.dumps({**sdk_vars, "prefix": py_prefix, "steps": steps}), timeout=120)
    finally:
        harness.page.remove_listener("request", record)
    js_out, py_out = _normalise(js_raw, js_prefix), _normalise(py_raw, py_prefix)
    _compare(js_out, py_out)
    assert not [n for n, r in py_out.items() if "err" in r]

    whole = hashlib.md5(_blob_bytes()).hexdigest()
    for prefix in (js_prefix, py_prefix):  # x-cos-meta-* is not exposed to pages: HEAD from here
        assert _stored_meta(sdk_server, f"{prefix}/put blob.bin").get("x-cos-meta-md5") == whole
        assert _stored_meta(sdk_server, f"{prefix}/slice.bin").get("x-cos-meta-md5") == whole  # from multipartInit

    def md5_headers(prefix):
        rows = []
        for method, url, headers in sent:
            if prefix in url:
                path = re.sub(r"uploadId=[^&]*", "uploadId=*", url.split(prefix, 1)[1])
                rows.append((method, path, headers.get("content-md5"), headers.get("x-cos-meta-md5")))
        return sorted(rows, key=lambda r: (r[1], r[0]))

    js_rows, py_rows = md5_headers(js_prefix), md5_headers(py_prefix)
    assert py_rows == js_rows
    whole_b64 = base64.b64encode(bytes.fromhex(whole)).decode()
    assert ("PUT", "/put%20blob.bin", whole_b64, whole) in py_rows
    assert ("POST", "/slice.bin?uploads", None, whole) in py_rows
    parts = [r for r in py_rows if "partNumber=" in r[1]]
    data = _blob_bytes()
    assert len(parts) == 3
    for _, path, content_md5, _ in parts:
        n = int(path.split("partNumber=")[1].split("&")[0])
        piece = data[(n - 1) * 1024 * 1024 : n * 1024 * 1024]
        assert content_md5 == base64.b64encode(hashlib.md5(piece).digest()).decode()
