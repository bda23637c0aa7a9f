"""pauseTask / restartTask / cancelTask in Chromium against the local COS server."""

from __future__ import annotations

import pytest

from tests.browser.upload_page import MB, make_file, new_key

pytestmark = pytest.mark.browser


def test_pause_aborts_in_flight_parts_then_restart_finishes(upload_run, harness, tmp_path):
    path, md5 = make_file(tmp_path, 8 * MB)
    name = harness.add_file(path)
    key = new_key("pause")
    out = upload_run(
        """
wire.delay = 0.3
states = []
cos.on("task-list-update", lambda info: states.append(info["list"][-1]["state"]))
call = cos.slice_upload_file(**BR, Key=key, Body=js.testFiles.get(name))
await wait_until(lambda: len(wire.parts_done) >= 2 and wire.in_flight == 2)
await cos.pause_task(call.taskId)
paused = cos.get_task(call.taskId)
aborted, in_flight, done_at_pause = wire.parts_aborted, wire.in_flight, len(wire.parts_done)
started_at_pause = len(wire.parts_started)
await asyncio.sleep(0.8)
quiet = len(wire.parts_started) == started_at_pause
on_server = await cos.multipart_list_part(**BR, Key=key, UploadId=paused["UploadId"])
wire.delay = 0
again = cos.restart_task(call.taskId)
data = await call
[paused["state"], aborted, in_flight, quiet, call.done(), len(on_server["Part"]) >= done_at_pause,
 data["UploadId"] == paused["UploadId"], await md5_of(key), cos.get_task(call.taskId)["state"],
 wire.count("POST", "?uploads"), "paused" in states and states[-1]]
""",
        name=name,
        key=key,
        OPTS={"ChunkParallelLimit": 2},
    )
    state, aborted, in_flight, quiet, done, kept, same_upload, got, final, inits, seen = out
    assert state == "paused" and aborted == 2 and in_flight == 0 and quiet
    assert done and kept and same_upload and got == md5 and final == "success"
    assert inits == 1 and seen == "success"


def test_cancel_removes_the_upload_from_the_server(upload_run, harness, tmp_path):
    path, _ = make_file(tmp_path, 6 * MB)
    name = harness.add_file(path)
    key = new_key("cancel")
    out = upload_run(
        """
wire.delay = 0.3
call = cos.slice_upload_file(**BR, Key=key, Body=js.testFiles.get(name))
await wait_until(lambda: len(wire.parts_done) >= 1 and wire.in_flight > 0)
listed_before = await uploads_of(key)
await cos.cancel_task(call.taskId)
try:
    await call
    code = None
except CosError as e:
    code = e.code
task = cos.get_task(call.taskId)
[len(listed_before), await uploads_of(key), code, task["state"], wire.in_flight, wire.parts_aborted > 0,
 wire.count("DELETE", "uploadId=")]
""",
        name=name,
        key=key,
    )
    assert out == [1, [], "Canceled", "canceled", 0, True, 1]


def test_pause_and_cancel_of_waiting_tasks(upload_run, harness, tmp_path):
    files = [make_file(tmp_path, 2 * MB) for _ in range(3)]
    names = [harness.add_file(p) for p, _ in files]
    keys = [new_key("wait") for _ in files]
    out = upload_run(
        """
wire.delay = 0.1
calls = [cos.slice_upload_file(**BR, Key=k, Body=js.testFiles.get(n)) for k, n in zip(keys, names)]
cos.pauseTask(calls[1].taskId)
cos.cancelTask(calls[2].taskId)
await calls[0]
await asyncio.sleep(0.3)
states = [cos.get_task(c.taskId)["state"] for c in calls]
cos.restartTask(calls[1].taskId)
await calls[1]
canceled = None
try:
    await calls[2]
except CosError as e:
    canceled = e.code
[states, cos.get_task(calls[1].taskId)["state"], canceled, await md5_of(keys[1]), await uploads_of(keys[2])]
""",
        names=names,
        keys=keys,
        OPTS={"FileParallelLimit": 1},
    )
    assert out == [["success", "paused", "canceled"], "success", "Canceled", files[1][1], []]
