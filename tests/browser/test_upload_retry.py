"""Part retries in Chromium: injected 5xx / network failures are retried ChunkRetryTimes times
with back-off; 4xx are not; when retries run out the upload stays resumable."""

from __future__ import annotations

import pytest

from tests.browser.upload_page import MB, make_file, new_key

pytestmark = pytest.mark.browser


def test_injected_part_failures_are_retried(upload_run, harness, tmp_path):
    path, md5 = make_file(tmp_path, 4 * MB)
    name = harness.add_file(path)
    key = new_key("retry")
    out = upload_run(
        """
slept = []
async def quick_sleep(s):
    slept.append(s)
    await asyncio.sleep(0.01)
cos._pipeline.sleep = quick_sleep
faults = [Response(500, {}, "<Error><Code>InternalError</Code></Error>"), TransportError("reset"),
          Response(503, {}, "<Error><Code>SlowDown</Code></Error>")]
wire.fail = lambda request: faults.pop(0) if faults else None
data = await cos.slice_upload_file(**BR, Key=key, Body=js.testFiles.get(name))
[await md5_of(key), len(wire.parts_started), sorted(set(wire.parts_done)), len(slept), all(0 < s <= 10 for s in slept)]
""",
        name=name,
        key=key,
        OPTS={"ChunkRetryTimes": 3},
    )
    assert out == [md5, 4 + 3, [1, 2, 3, 4], 3, True]


def test_retries_run_out_and_restart_resumes(upload_run, harness, tmp_path):
    path, md5 = make_file(tmp_path, 4 * MB)
    name = harness.add_file(path)
    key = new_key("exhaust")
    out = upload_run(
        """
async def quick_sleep(s):
    await asyncio.sleep(0)
cos._pipeline.sleep = quick_sleep
broken = {"on": True}
wire.fail = lambda r: Response(502, {}, "") if broken["on"] and "partNumber=2&" in r.url else None
call = cos.slice_upload_file(**BR, Key=key, Body=js.testFiles.get(name))
try:
    await call
    error = None
except CosError as e:
    error = [e.statusCode, e.extra.get("UploadId")]
task = cos.get_task(call.taskId)
tries_of_2 = wire.parts_started.count(2)
left = await uploads_of(key)
broken["on"] = False
started = len(wire.parts_started)
data = await cos.restart_task(call.taskId)
[error, task["state"], task["UploadId"] in left, tries_of_2, wire.parts_started[started:], await md5_of(key),
 data["UploadId"] == task["UploadId"]]
""",
        name=name,
        key=key,
        OPTS={"ChunkRetryTimes": 2, "ChunkParallelLimit": 4, "RetryWindow": 0},  # retries by count only
    )
    error, state, kept, tries, resent, got, same = out
    assert error[0] == 502 and error[1] and state == "error" and kept
    assert tries == 3 and resent == [2] and got == md5 and same


def test_client_errors_are_final(upload_run, harness, tmp_path):
    path, _ = make_file(tmp_path, 2 * MB)
    name = harness.add_file(path)
    out = upload_run(
        """
wire.fail = lambda r: Response(403, {}, "<Error><Code>AccessDenied</Code><Message>no</Message></Error>")
try:
    await cos.slice_upload_file(**BR, Key=key, Body=js.testFiles.get(name))
except CosError as e:
    result = [e.code, e.statusCode]
[result, len(wire.parts_started)]
""",
        name=name,
        key=new_key("final"),
        OPTS={"ChunkParallelLimit": 1},
    )
    assert out == [["AccessDenied", 403], 1]
