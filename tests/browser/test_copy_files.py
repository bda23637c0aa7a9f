"""sliceCopyFile and uploadFiles in Chromium on file-backed Files (``set_input_files``) against the
local COS server: byte-exact results, progress, limits, retries, resume, cancel."""

from __future__ import annotations

import pytest

from tests.browser.upload_page import MB, make_file, new_key

pytestmark = pytest.mark.browser

# A File uploaded (sliceUploadFile: a multipart source), then copied.
SOURCE = """
MB = 1048576
src_key = key + ".src"
await cos.slice_upload_file(**BR, Key=src_key, Body=js.testFiles.get(name))
from urllib.parse import quote
SRC = f"{BUCKET}.cos.{REGION}.myqcloud.com/{quote(src_key)}"  # a header: the key URL-encoded
wire.requests.clear(); wire.parts_started.clear(); wire.parts_done.clear(); wire.max_in_flight = 0
"""


def test_slice_copy_file_in_parts_with_progress_and_limit(upload_run, harness, tmp_path):
    path, md5 = make_file(tmp_path, 5 * MB + 99)
    name = harness.add_file(path)
    key = new_key("copy")
    out = upload_run(SOURCE + """
wire.delay = 0.1  # part copies overlap for sure
progress = []
data = await cos.slice_copy_file(**BR, Key=key, CopySource=SRC, CopySliceSize=MB, CopyChunkSize=MB,
                                 onProgress=lambda info: progress.append(dict(info)))
{"data": data, "md5": await md5_of(key), "progress": progress, "parts": sorted(wire.parts_started),
 "max": wire.max_in_flight, "left": await uploads_of(key),
 "tasks": [t["api"] for t in cos.get_task_list()]}
""", name=name, key=key, OPTS={"CopyChunkParallelLimit": 2})  # fmt: skip
    assert out["md5"] == md5
    assert out["data"]["ETag"].endswith('-6"') and out["data"]["Key"] == key and out["data"]["statusCode"] == 200
    assert out["parts"] == [1, 2, 3, 4, 5, 6] and out["max"] == 2  # CopyChunkParallelLimit, used and kept
    assert out["left"] == [] and out["tasks"] == ["sliceUploadFile"]  # not a task (as the JS SDK)
    loaded = [p["loaded"] for p in out["progress"]]
    assert loaded == sorted(loaded) and loaded[-1] == 5 * MB + 99 and out["progress"][-1]["percent"] == 1
    assert all(p["total"] == 5 * MB + 99 for p in out["progress"]) and len(loaded) >= 2  # throttled (ProgressInterval)


def test_slice_copy_file_retries_a_part_and_resumes_after_a_failure(upload_run, harness, tmp_path):
    path, md5 = make_file(tmp_path, 4 * MB)
    name = harness.add_file(path)
    key = new_key("copyretry")
    out = upload_run(SOURCE + """
tries = {}
def flaky(request):
    number = int(request.url.split("partNumber=")[1].split("&")[0])
    tries[number] = tries.get(number, 0) + 1
    if number == 2 and tries[number] == 1:
        return Response(503, {}, "<Error><Code>SlowDown</Code></Error>")  # retried by the policy
    if number == 4 and FAIL_4:
        return Response(400, {}, "<Error><Code>InvalidArgument</Code><Message>no</Message></Error>")
FAIL_4 = True
wire.fail = flaky
args = dict(BR, Key=key, CopySource=SRC, CopySliceSize=MB, CopyChunkSize=MB)
try:
    await cos.slice_copy_file(**args)
    first = None
except CosError as err:
    first = err.code
kept = await uploads_of(key)
FAIL_4 = False
wire.parts_started.clear()
data = await cos.slice_copy_file(**args)
{"first": first, "tries": tries, "kept": kept, "again": sorted(wire.parts_started), "md5": await md5_of(key),
 "left": await uploads_of(key), "etag": data["ETag"]}
""", name=name, key=key, OPTS={"CopyChunkParallelLimit": 1, "ChunkRetryTimes": 1, "RetryWindow": 0})  # fmt: skip
    assert out["first"] == "InvalidArgument" and out["tries"]["2"] == 2  # a 503 retried; a 400 final
    assert len(out["kept"]) == 1  # a failed copy keeps its upload: the same call goes on with it
    assert out["again"] == [4] and out["md5"] == md5 and out["left"] == []
    assert out["etag"].endswith('-4"')


def test_slice_copy_file_cancel_aborts_it(upload_run, harness, tmp_path):
    path, _ = make_file(tmp_path, 6 * MB)
    name = harness.add_file(path)
    key = new_key("copycancel")
    out = upload_run(SOURCE + """
wire.delay = 0.5
progress = []
call = cos.slice_copy_file(**BR, Key=key, CopySource=SRC, CopySliceSize=MB, CopyChunkSize=MB,
                           onProgress=lambda info: progress.append(info["loaded"]))
await wait_until(lambda: len(wire.parts_started) >= 2)
call.cancel()
await asyncio.wait([call])
try:
    await cos.head_object(**BR, Key=key)
    exists = True
except CosError:
    exists = False
{"cancelled": call.cancelled(), "aborted": wire.parts_aborted, "left": await uploads_of(key), "exists": exists,
 "aborts": wire.count("DELETE", "uploadId="), "done": len(wire.parts_done)}
""", name=name, key=key, OPTS={"CopyChunkParallelLimit": 2})  # fmt: skip
    assert out["cancelled"] and out["aborted"] >= 1  # the part copies in flight were aborted
    assert out["aborts"] == 1 and out["left"] == [] and not out["exists"]  # and the upload aborted
    assert out["done"] < 6


def test_upload_files_tasks_progress_and_results(upload_run, harness, tmp_path):
    small, small_md5 = make_file(tmp_path, 300 * 1024)
    big, big_md5 = make_file(tmp_path, 3 * MB + 5)
    names = [harness.add_file(small), harness.add_file(big)]
    keys = [new_key("files"), new_key("files")]
    out = upload_run("""
MB = 1048576
total, per_file, finished, file_finished, ready, in_flight = [], {0: [], 1: []}, [], [], [], []
def watch(event):
    in_flight.append(sum(1 for t in event["list"] if t["state"] in ("checking", "uploading")))
cos.on("task-list-update", watch)
files = [dict(BR, Key=k, Body=js.testFiles.get(n), onTaskReady=ready.append,
              onProgress=lambda info, i=i: per_file[i].append(dict(info)),
              onFileFinish=lambda err, data, i=i: file_finished.append((i, err, data["ETag"])))
         for i, (k, n) in enumerate(zip(keys, names))]
result = await cos.upload_files(files=files, SliceSize=MB, onProgress=lambda info: total.append(dict(info)),
                                onFileFinish=lambda err, data, options: finished.append(options))
tasks = cos.get_task_list()
{"result": [{"options": e["options"], "error": e["error"], "etag": e["data"]["ETag"]} for e in result["files"]],
 "md5s": [await md5_of(k) for k in keys], "total": total, "per_file": per_file, "finished": finished,
 "file_finished": file_finished, "ready": ready, "apis": [t["api"] for t in tasks],
 "states": [t["state"] for t in tasks], "max_running": max(in_flight or [0])}
""", names=names, keys=keys, OPTS={"FileParallelLimit": 1})  # fmt: skip
    assert out["md5s"] == [small_md5, big_md5]
    assert out["apis"] == ["putObject", "sliceUploadFile"] and out["states"] == ["success", "success"]
    assert out["max_running"] == 1  # FileParallelLimit
    entries = out["result"]
    assert [e["options"]["Index"] for e in entries] == ["0", "1"] and all(e["error"] is None for e in entries)
    assert [e["options"]["TaskId"] for e in entries] == out["ready"]
    assert [e["options"]["Key"] for e in entries] == keys and entries[1]["etag"].endswith('-4"')
    assert sorted(o["Index"] for o in out["finished"]) == ["0", "1"]
    assert sorted(i for i, _, _ in out["file_finished"]) == [0, 1]  # each file's own, with (err, data)
    size = 300 * 1024 + 3 * MB + 5
    loaded = [t["loaded"] for t in out["total"]]
    assert loaded == sorted(loaded) and loaded[-1] == size and out["total"][-1]["total"] == size
    assert out["total"][-1]["percent"] == 1 and set(out["total"][-1]) == {"loaded", "total", "speed", "percent"}
    assert out["per_file"]["1"][-1]["loaded"] == 3 * MB + 5 and out["per_file"]["0"][-1]["percent"] == 1


def test_upload_files_cancel_one_file(upload_run, harness, tmp_path):
    first, first_md5 = make_file(tmp_path, 4 * MB)
    second, _ = make_file(tmp_path, 4 * MB)
    names = [harness.add_file(first), harness.add_file(second)]
    keys = [new_key("filescancel"), new_key("filescancel")]
    out = upload_run("""
MB = 1048576
wire.delay = 0.2
ready = []
files = [dict(BR, Key=k, Body=js.testFiles.get(n), onTaskReady=ready.append) for k, n in zip(keys, names)]
call = cos.upload_files(files=files, SliceSize=MB)
await wait_until(lambda: len(wire.parts_started) >= 1)
await cos.cancel_task(ready[1])   # the second, still waiting (FileParallelLimit 1)
result = await call
e = result["files"]
{"errors": [x["error"].code if x["error"] else None for x in e], "md5": await md5_of(keys[0]),
 "states": [cos.get_task(t)["state"] for t in ready], "left": await uploads_of(keys[1])}
""", names=names, keys=keys, OPTS={"FileParallelLimit": 1})  # fmt: skip
    assert out["errors"] == [None, "Canceled"] and out["md5"] == first_md5
    assert out["states"] == ["success", "canceled"] and out["left"] == []


def test_upload_files_refuses_bad_input(upload_run):
    out = upload_run("""
codes = []
for params in ({"files": "a.txt"}, {"files": [1]}, {"files": [], "onProgress": 3}):
    try:
        await cos.upload_files(**params)
    except CosError as err:
        codes.append(err.code)
bad_body = await cos.upload_files(files=[dict(BR, Key="x", Body=12)])
{"codes": codes, "empty": await cos.upload_files(files=[]), "bad": bad_body["files"][0]["error"].code,
 "requests": len(wire.requests)}
""")
    assert out == {"codes": ["InvalidParameter"] * 3, "empty": {"files": []}, "bad": "InvalidParameter",
                   "requests": 0}  # fmt: skip
