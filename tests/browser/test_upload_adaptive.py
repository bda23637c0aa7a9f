"""Default-option uploads in Chromium (cos_web.uploads.adaptive): a file-backed File uploaded with
no ChunkSize / ChunkParallelLimit gets cos_web's part size and parts in flight, arrives byte-exact
with the multipart ETag of its parts, reports smooth progress (within parts, never backwards) on a
link Chromium throttles, leaves the wasm heap flat; an interrupted upload made with another part
size is resumed with that part size."""

from __future__ import annotations

import hashlib

import pytest

from tests.browser.upload_page import MB, PRELUDE, make_file, new_key

pytestmark = pytest.mark.browser

DEFAULTS = """
from cos_web.upload import wasm_heap_bytes
from cos_web.uploads.adaptive import auto_part_size
dcos = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=DOMAIN, ProgressInterval=0)  # no ChunkSize / ChunkParallelLimit
dwire = Wire(dcos._pipeline.transport)
dcos._pipeline.transport = dwire
"""

UPLOAD = DEFAULTS + """
progress = []
heap0 = wasm_heap_bytes()
body = js.testFiles.get(name)
data = await dcos.slice_upload_file(**BR, Key=key, Body=body, onProgress=lambda i: progress.append(dict(i)))
heap_growth = wasm_heap_bytes() - heap0  # (before md5_of reads the object into Python)
head = await cos.head_object(**BR, Key=key)
{"etag": data["ETag"], "head_etag": head["ETag"], "md5": await md5_of(key), "parts": sorted(dwire.parts_started),
 "most": dwire.max_in_flight, "auto": auto_part_size(int(body.size)), "progress": [p["loaded"] for p in progress],
 "total": progress[-1]["total"], "heap_growth": heap_growth}
"""

INTERRUPTED = """
wire.fail = lambda r: Response(403, {}, "<Error><Code>AccessDenied</Code></Error>") if int(r.url.split("partNumber=")[1].split("&")[0]) > 3 else None
try:
    await cos.slice_upload_file(**BR, Key=key, Body=js.testFiles.get(name), ChunkSize=1048576)
    failed = False
except CosError:
    failed = True
[failed, sorted(wire.parts_done), await uploads_of(key)]
"""

RESUME = DEFAULTS + """
data = await dcos.slice_upload_file(**BR, Key=key, Body=js.testFiles.get(name))
[data["UploadId"], data["ETag"], sorted(dwire.parts_started), dwire.count("POST", "?uploads"), await md5_of(key),
 await uploads_of(key), auto_part_size(int(js.testFiles.get(name).size))]
"""


def multipart_etag(data: bytes, part: int) -> str:
    digests = b"".join(hashlib.md5(data[i : i + part]).digest() for i in range(0, len(data), part))
    return f'"{hashlib.md5(digests).hexdigest()}-{-(-len(data) // part)}"'


def test_default_upload_is_exact_smooth_and_flat(new_harness, cos_vars, tmp_path):
    page = new_harness()
    path, md5 = make_file(tmp_path, 40 * MB + 12345)
    data = path.read_bytes()
    name = page.add_file(path)
    cdp = page.page.context.new_cdp_session(page.page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions",  # a 40 MB/s upload link: progress has time to show
             {"offline": False, "latency": 5, "downloadThroughput": -1, "uploadThroughput": 40 * MB})  # fmt: skip
    try:
        out = page.run(PRELUDE + UPLOAD, timeout=120, name=name, key=new_key("adaptive"), **cos_vars)
    finally:
        cdp.detach()
    part = out["auto"]
    assert part == 8 * MB  # chosen from the size (about 8 parts), not the JS SDK's 1 MB
    count = -(-len(data) // part)
    assert out["parts"] == list(range(1, count + 1)) and 2 <= out["most"] <= 6
    assert out["md5"] == md5
    assert out["etag"].replace("&quot;", '"') == out["head_etag"] == multipart_etag(data, part)
    loaded = out["progress"]
    assert loaded == sorted(loaded) and loaded[-1] == len(data) == out["total"]
    assert len(loaded) > 3 * count and any(x % part for x in loaded[:-1])  # reports within parts ...
    assert max(b - a for a, b in zip(loaded, loaded[1:])) < part  # ... never a whole part at once
    assert out["heap_growth"] <= 8 * MB  # parts are Blob slices: the wasm heap stays flat


def test_default_resume_keeps_the_uploads_part_size(new_harness, cos_vars, tmp_path):
    page = new_harness()
    path, md5 = make_file(tmp_path, 10 * MB + 7)
    data = path.read_bytes()
    key = new_key("adaptive-resume")
    name = page.add_file(path)
    failed, done, left = page.run(PRELUDE + INTERRUPTED, timeout=90, name=name, key=key,
                                  OPTS={"ChunkParallelLimit": 1}, **cos_vars)  # fmt: skip
    assert failed and done == [1, 2, 3] and len(left) == 1
    page.reload()  # a fresh interpreter: only the server knows the upload
    name = page.add_file(path)
    upload_id, etag, started, inits, got, remaining, auto = page.run(PRELUDE + RESUME, timeout=90, name=name, key=key, **cos_vars)
    assert auto == 2 * MB  # the automatic choice differs: only the upload's own part size can resume it
    assert upload_id == left[0] and inits == 0 and started == list(range(4, 12))  # 1 MB parts: 11 of them
    assert got == md5 and remaining == [] and etag.replace("&quot;", '"') == multipart_etag(data, MB)
