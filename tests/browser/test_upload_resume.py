"""Resume (断点续传) in Chromium: after a page reload, and in a Web Worker (no localStorage),
an upload finds the unfinished multipart upload on the server, checks its parts' MD5s
(onHashProgress) and uploads only the missing parts."""

from __future__ import annotations

import pytest

from tests.browser.upload_page import MB, PRELUDE, make_file, new_key

pytestmark = pytest.mark.browser

PARTIAL = """
wire.fail = lambda r: Response(403, {}, "<Error><Code>AccessDenied</Code></Error>") if int(r.url.split("partNumber=")[1].split("&")[0]) > 2 else None
try:
    await cos.slice_upload_file(**BR, Key=key, Body=js.testFiles.get(name))
    failed = False
except CosError:
    failed = True
[failed, sorted(wire.parts_done), await uploads_of(key)]
"""

RESUME = """
hashing = []
progress = []
data = await cos.slice_upload_file(**BR, Key=key, Body=js.testFiles.get(name),
                                   onHashProgress=lambda i: hashing.append(dict(i)),
                                   onProgress=lambda i: progress.append(dict(i)))
[data["UploadId"], sorted(wire.parts_started), wire.count("POST", "?uploads"), hashing[-1] if hashing else None,
 progress[0]["loaded"], await md5_of(key), await uploads_of(key)]
"""


def _check(first, second, md5):
    failed, done, left = first
    assert failed and done == [1, 2] and len(left) == 1
    upload_id, started, inits, last_hash, first_loaded, got, remaining = second
    assert upload_id == left[0], "did not resume the unfinished upload"
    assert started == [3, 4, 5, 6] and inits == 0
    assert last_hash["loaded"] == 2 * MB and last_hash["total"] == 6 * MB
    assert first_loaded >= 2 * MB  # parts already on the server count as loaded
    assert got == md5 and remaining == []


def test_resume_after_page_reload_uploads_only_missing_parts(new_harness, cos_vars, tmp_path):
    page = new_harness()
    path, md5 = make_file(tmp_path, 6 * MB)
    key = new_key("reload")
    name = page.add_file(path)
    first = page.run(PRELUDE + PARTIAL, timeout=90, name=name, key=key, OPTS={"ChunkParallelLimit": 1}, **cos_vars)
    page.reload()  # a fresh interpreter: nothing of the first upload is left in the page
    name = page.add_file(path)
    second = page.run(PRELUDE + RESUME, timeout=90, name=name, key=key, **cos_vars)
    _check(first, second, md5)


def test_resume_in_a_web_worker(worker, cos_vars, tmp_path):
    path, md5 = make_file(tmp_path, 6 * MB)
    key = new_key("worker")
    name = worker.add_file(path)
    first = worker.run(PRELUDE + PARTIAL, timeout=90, name=name, key=key, OPTS={"ChunkParallelLimit": 1}, **cos_vars)
    second = worker.run(PRELUDE + RESUME, timeout=90, name=name, key=key, **cos_vars)  # a new client
    _check(first, second, md5)


def test_a_changed_file_does_not_reuse_the_upload(harness, cos_vars, tmp_path):
    path, _ = make_file(tmp_path, 6 * MB)
    key = new_key("changed")
    name = harness.add_file(path)
    first = harness.run(PRELUDE + PARTIAL, timeout=90, name=name, key=key, OPTS={"ChunkParallelLimit": 1}, **cos_vars)
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF  # first part differs
    path.write_bytes(bytes(data))
    name = harness.add_file(path, name=name + "-changed")
    second = harness.run(PRELUDE + RESUME, timeout=90, name=name, key=key, **cos_vars)
    upload_id, started, inits, last_hash, *_ , remaining = second
    assert upload_id != first[2][0] and started == [1, 2, 3, 4, 5, 6] and inits == 1
    assert remaining == first[2]  # the other upload is left alone
