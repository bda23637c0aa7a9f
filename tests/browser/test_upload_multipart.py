"""sliceUploadFile / uploadFile in Chromium against the local COS server: byte-exact results
shaped like the JS SDK's, progress, concurrency limits, bad input, wasm heap growth."""

from __future__ import annotations

import pytest

from tests.browser.upload_page import MB, make_file, new_key

pytestmark = pytest.mark.browser


def test_multipart_upload_is_byte_exact_with_progress(upload_run, harness, tmp_path):
    path, md5 = make_file(tmp_path, 5 * MB + 321)
    name = harness.add_file(path)
    key = new_key("exact")
    out = upload_run(
        """
progress, ready = [], []
file = js.testFiles.get(name)
call = cos.sliceUploadFile({**BR, "Key": key, "Body": file,
                            "TaskReady": lambda tid: ready.append(tid),
                            "onProgress": lambda info: progress.append(dict(info))})
data = await call
task = cos.get_task_list()[-1]
{"data": data, "md5": await md5_of(key), "progress": progress, "ready": ready, "taskId": call.taskId, "task": task,
 "puts": wire.parts_started, "left": await uploads_of(key)}
""",
        name=name,
        key=key,
    )
    data = out["data"]
    assert out["md5"] == md5
    assert data["Bucket"] == "test-1250000000" and data["Key"] == key
    assert data["ETag"].startswith('"') and data["ETag"].endswith('-6"') and data["UploadId"]
    assert data["statusCode"] == 200 and data["headers"]["x-cos-request-id"] == data["RequestId"]
    assert "/upload-tests/exact/" in data["Location"] and data["RequestId"]
    assert sorted(out["puts"]) == [1, 2, 3, 4, 5, 6]
    assert out["ready"] == [out["taskId"]] and out["task"]["id"] == out["taskId"]
    assert out["task"]["state"] == "success" and out["task"]["percent"] == 1 and out["task"]["size"] == 5 * MB + 321
    loaded = [p["loaded"] for p in out["progress"]]
    assert loaded == sorted(loaded), "progress went backwards"
    assert out["progress"][-1]["percent"] == 1 and out["progress"][-1]["loaded"] == 5 * MB + 321
    assert all(0 <= p["percent"] <= 1 and p["total"] == 5 * MB + 321 for p in out["progress"])
    assert out["left"] == []  # completed: no unfinished upload left


def test_upload_file_chooses_put_object_or_slices(upload_run, harness, tmp_path):
    small, small_md5 = make_file(tmp_path, 200 * 1024)
    big, big_md5 = make_file(tmp_path, 3 * MB)
    names = [harness.add_file(small), harness.add_file(big)]
    keys = [new_key("uf"), new_key("uf")]
    out = upload_run(
        """
finished = []
a = await cos.upload_file(**BR, Key=keys[0], Body=js.testFiles.get(names[0]), SliceSize=1048576,
                          onFileFinish=lambda err, data, info: finished.append(info["Key"]))
b = await cos.uploadFile(**BR, Key=keys[1], Body=js.testFiles.get(names[1]), SliceSize=1048576)
[await md5_of(keys[0]), await md5_of(keys[1]), "UploadId" in a, "UploadId" in b, finished,
 wire.count("POST", "?uploads"), [t["api"] for t in cos.get_task_list()]]
""",
        names=names,
        keys=keys,
    )
    assert out[:2] == [small_md5, big_md5]
    assert out[2:] == [False, True, [keys[0]], 1, ["putObject", "sliceUploadFile"]]


def test_chunk_parallel_limit_is_used_and_never_exceeded(upload_run, harness, tmp_path):
    path, md5 = make_file(tmp_path, 8 * MB)
    name = harness.add_file(path)
    key = new_key("cpl")
    out = upload_run(
        """
wire.delay = 0.15   # parts overlap for sure
await cos.slice_upload_file(**BR, Key=key, Body=js.testFiles.get(name))
[wire.max_in_flight, len(wire.parts_started), await md5_of(key)]
""",
        name=name,
        key=key,
        OPTS={"ChunkParallelLimit": 3},
    )
    assert out == [3, 8, md5]


def test_file_parallel_limit_queues_files(upload_run, harness, tmp_path):
    files = [make_file(tmp_path, 2 * MB) for _ in range(4)]
    names = [harness.add_file(p) for p, _ in files]
    keys = [new_key("fpl") for _ in files]
    out = upload_run(
        """
wire.delay = 0.15
calls = [cos.slice_upload_file(**BR, Key=k, Body=js.testFiles.get(n)) for k, n in zip(keys, names)]
states = [t["state"] for t in cos.get_task_list()[-4:]]
await asyncio.gather(*calls)
[wire.max_in_flight, states, [await md5_of(k) for k in keys]]
""",
        names=names,
        keys=keys,
        OPTS={"FileParallelLimit": 2, "ChunkParallelLimit": 1},
    )
    assert out[0] == 2
    assert out[1] == ["checking", "checking", "waiting", "waiting"]
    assert out[2] == [m for _, m in files]


@pytest.mark.parametrize(
    "body",
    ["None", "js.Object.new()", "123", "{'not': 'a file'}"],
)
def test_bad_body_fails_before_any_request(upload_run, body):
    out = upload_run(
        f"""
results = []
for method in (cos.slice_upload_file, cos.upload_file):
    call = method(**BR, Key="bad/body.bin", Body={body})
    try:
        await call
        results.append(None)
    except CosError as e:
        results.append([e.code, "Body" in e.message, call.taskId])
[results, wire.requests, cos.get_task_list()]
"""
    )
    assert out == [[["InvalidParameter", True, None]] * 2, [], []]


def test_bad_params_fail_before_any_request(upload_run, harness, tmp_path):
    path, _ = make_file(tmp_path, 10)
    name = harness.add_file(path)
    out = upload_run(
        """
file = js.testFiles.get(name)
errors = []
for params in ({"Region": REGION, "Key": "k", "Body": file}, {**BR, "Body": file},
               {"Bucket": "nobucketappid", "Region": REGION, "Key": "k", "Body": file},
               {**BR, "Key": "k", "Body": file, "StorageClass": "COLD"}):
    try:
        await cos.sliceUploadFile(params)
    except CosError as e:
        errors.append(e.code)
got = []
cos.slice_upload_file(**BR, Key="k", callback=lambda err, data: got.append(err.code))
await asyncio.sleep(0)
[errors, got, wire.requests]
""",
        name=name,
    )
    assert out == [["InvalidParameter"] * 4, ["InvalidParameter"], []]


def test_wasm_heap_growth_stays_below_the_part_budget(upload_run, harness, tmp_path):
    size = 48 * MB
    path, md5 = make_file(tmp_path, size)
    name = harness.add_file(path)
    key = new_key("mem")
    out = upload_run(
        """
from cos_web.upload import wasm_heap_bytes
import gc
gc.collect()
before = wasm_heap_bytes()
await cos.slice_upload_file(**BR, Key=key, Body=js.testFiles.get(name))
after = wasm_heap_bytes()
[before, after, await md5_of(key)]
""",
        name=name,
        key=key,
        OPTS={"ChunkParallelLimit": 3},
        timeout=180,
    )
    before, after, got = out
    assert isinstance(before, int) and before > 0
    assert after - before < 3 * MB + 32 * MB, f"heap grew {(after - before) / MB:.1f} MB"
    assert got == md5


def test_object_keeps_the_files_mime_type(upload_run, harness, tmp_path):
    path, _ = make_file(tmp_path, 2 * MB, name="picture.png")
    name = harness.add_file(path)
    key = new_key("mime")
    out = upload_run(
        """
file = js.testFiles.get(name)
await cos.slice_upload_file(**BR, Key=key, Body=file)
head = await cos.head_object(**BR, Key=key)
[file.type, head["headers"].get("content-type")]
""",
        name=name,
        key=key,
    )
    assert out == ["image/png", "image/png"]
