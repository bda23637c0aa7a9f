"""COS.util and COS.version: cos_web and cos-js-sdk-v5 (global ``COS`` of harness.html) in one page.

The JS SDK's ``COS.util.md5`` hashes strings only (a Blob hashes as ""); cos_web's hashes a
File/Blob's content as an awaitable, compared here with the JS SDK's md5 of the same text.
"""

from __future__ import annotations

import hashlib
import json

import pytest

pytestmark = pytest.mark.browser

TEXTS = ["", "abc", "héllo wörld", "腾讯云 COS", "emoji 😀 pair", "<a>&</a>", "x" * 3000]
DOCS = [
    {"Tagging": {"TagSet": {"Tag": [{"Key": "a", "Value": "1"}, {"Key": "b&", "Value": "<2>"}]}}},
    {"Delete": {"Quiet": True, "Object": [{"Key": "1.jpg"}, {"Key": "x y"}]}},
]
XMLS = ["<a><b>1</b><b>2</b><c x='1'>t</c><d/></a>", "<?xml version='1.0'?><R><K> s </K><E></E></R>"]

JS = """([texts, docs, xmls]) => ({
  version: COS.version,
  names: Object.keys(COS.util).sort(),
  md5: texts.map((t) => COS.util.md5(t)),
  md5bin: texts.map((t) => COS.util.md5(t, true)),
  b64: texts.map((t) => COS.util.encodeBase64(t)),
  b64safe: texts.map((t) => COS.util.encodeBase64(t, true)),
  json2xml: docs.map((d) => COS.util.json2xml(d)),
  xml2json: xmls.map((x) => COS.util.xml2json(x)),
})"""

PY = """
import json, js
from cos_web import COS
texts, docs, xmls = json.loads(ARGS)
u = COS.util
out = {
  "version": COS.version,
  "names": sorted(n for n in ("md5", "xml2json", "json2xml", "encodeBase64") if callable(getattr(u, n, None))),
  "md5": [u.md5(t) for t in texts],
  "md5bin": [u.md5(t, True) for t in texts],
  "b64": [u.encodeBase64(t) for t in texts],
  "b64safe": [u.encode_base64(t, True) for t in texts],
  "json2xml": [u.json2xml(d) for d in docs],
  "xml2json": [u.xml2json(x) for x in xmls],
}
# Blob / File: awaitable; with a callback(err, hex) too; a big Blob read slice by slice
blob_md5 = [await u.md5(js.Blob.new([t])) for t in texts]
seen = []
await u.md5(js.Blob.new([texts[3]]), callback=lambda err, h: seen.append([err, h]))
big = js.Blob.new(["0123456789abcdef" * (1024 * 1024 // 4)])  # 4 MiB
out["blob"] = blob_md5
out["blob_callback"] = seen
out["big"] = await u.md5(big)
out["u8"] = u.md5(js.Uint8Array.new([1, 2, 3]))
out
"""


def test_util_statics_match_the_js_sdk(harness):
    js_out = harness.js(JS, [TEXTS, DOCS, [x for x in XMLS]])
    py_out = harness.run(PY, ARGS=json.dumps([TEXTS, DOCS, XMLS]), timeout=60)
    for name in ("names", "md5", "md5bin", "b64", "b64safe", "json2xml", "xml2json"):
        assert py_out[name] == js_out[name], name
    assert py_out["version"] == __import__("cos_web").__version__
    assert js_out["version"] == "1.10.1"
    # a Blob's md5 is its content's: the JS SDK's md5 of the same text
    assert py_out["blob"] == js_out["md5"]
    assert py_out["blob_callback"] == [[None, js_out["md5"][3]]]
    assert py_out["big"] == hashlib.md5(b"0123456789abcdef" * (1024 * 1024 // 4)).hexdigest()
    assert py_out["u8"] == hashlib.md5(bytes([1, 2, 3])).hexdigest()
