"""UploadCheckContentMd5 on File uploads in Chromium: ``onHashProgress`` while a putObject body is
hashed (as the JS SDK's getFileMd5 reports it), and each part hashed once, even when resume
matching hashed it already or the part is sent again."""

from __future__ import annotations

import pytest

from tests.browser.upload_page import MB, make_file, new_key

pytestmark = pytest.mark.browser

COUNT_HASHES = """
from cos_web import upload as upload_module
hashed = []
_md5 = upload_module.BlobSource.md5
async def counting(self, start, end, on_progress=None):
    if (start, end) not in self.md5s:
        hashed.append((start, end))
    return await _md5(self, start, end, on_progress)
upload_module.BlobSource.md5 = counting
"""


def test_put_object_reports_hash_progress(upload_run, harness, tmp_path):
    path, md5 = make_file(tmp_path, 9 * MB + 3)
    name = harness.add_file(path)
    key = new_key("hashput")
    out = upload_run("""
events = []
data = await cos.put_object(**BR, Key=key, Body=js.testFiles.get(name), onHashProgress=lambda i: events.append(dict(i)))
task = cos.get_task_list()[-1]
{"events": events, "md5": await md5_of(key), "hashPercent": task["hashPercent"], "etag": data["ETag"]}
""", name=name, key=key, OPTS={"UploadCheckContentMd5": True})  # fmt: skip
    assert out["md5"] == md5 and out["etag"] == f'"{md5}"'
    events = out["events"]
    assert len(events) >= 3 and all(set(e) == {"loaded", "total", "percent"} for e in events)
    assert [e["loaded"] for e in events] == sorted(e["loaded"] for e in events)
    assert events[-1] == {"loaded": 9 * MB + 3, "total": 9 * MB + 3, "percent": 1}
    assert out["hashPercent"] == 1


def test_parts_are_hashed_once(upload_run, harness, tmp_path):
    path, md5 = make_file(tmp_path, 3 * MB)
    name = harness.add_file(path)
    key = new_key("hashonce")
    out = upload_run(COUNT_HASHES + """
# an unfinished upload of the same key whose part 1 is another file's: resume matching hashes
# our part 1, rejects it, and the new upload must not hash part 1 again for its Content-MD5
stale = await cos.multipart_init(**BR, Key=key)
await cos.multipart_upload(**BR, Key=key, UploadId=stale["UploadId"], PartNumber=1, Body=b"x" * 1048576)
tries = {}
def flaky(request):
    number = int(request.url.split("partNumber=")[1].split("&")[0])
    tries[number] = tries.get(number, 0) + 1
    if number == 2 and tries[number] == 1 and "uploadId=" + stale["UploadId"] not in request.url:
        return Response(503, {}, "<Error><Code>SlowDown</Code></Error>")
wire.fail = flaky
hash_events = []
await cos.slice_upload_file(**BR, Key=key, Body=js.testFiles.get(name),
                            onHashProgress=lambda i: hash_events.append(dict(i)))
await cos.multipart_abort(**BR, Key=key, UploadId=stale["UploadId"])
{"hashed": hashed, "md5": await md5_of(key), "tries": tries, "hash_events": len(hash_events)}
""", name=name, key=key, OPTS={"UploadCheckContentMd5": True, "RetryWindow": 0})  # fmt: skip
    assert out["md5"] == md5 and out["tries"]["2"] == 2  # part 2 was sent twice
    assert sorted(map(tuple, out["hashed"])) == [(0, MB), (MB, 2 * MB), (2 * MB, 3 * MB)]  # each once
    assert out["hash_events"] >= 1  # resume matching reported its hashing
