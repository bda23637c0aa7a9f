"""A lone ``putObject`` on the fast path (issue 17): its task's runner starts eagerly (the PUT is
sent before the call returns), its caller is woken from a microtask (an OutcomeFuture), and the
request leaves from a JS microtask. Still a task as in cos-js-sdk-v5: TaskReady, the task list and
its events, FileParallelLimit, cancel / pause / restart; and the same with the fast path off."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.browser

PRELUDE = """
import asyncio
from cos_web import COS, CosError, _fastpath, transport
cos = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=DOMAIN, **OPTS)
BR = {"Bucket": BUCKET, "Region": REGION}
loop = asyncio.get_running_loop()
replies = []
real_reply = _fastpath.reply_future
transport.reply_future = lambda loop: replies.append(real_reply(loop)) or replies[-1]

async def status_of(key):
    try:
        return (await cos.head_object(**BR, Key=key))["statusCode"]
    except CosError as err:
        return err.statusCode

async def settle():
    for _ in range(3):
        await asyncio.sleep(0)
"""


@pytest.fixture(params=["on", "off"])
def run(request, harness, sdk_vars):
    """Run page code with the fast path on, then off (restored afterwards)."""
    on = request.param == "on"

    def run(code: str, opts: dict | None = None):
        return harness.run(
            "from cos_web import _fastpath\n_was = _fastpath.enabled()\n_fastpath.set_enabled(ON)\ntry:\n"
            + "\n".join("    " + line for line in (PRELUDE + code).strip().splitlines())
            + "\nfinally:\n    transport.reply_future = real_reply\n    _fastpath.set_enabled(_was)\nout\n",
            ON=on, OPTS={"RetryWindow": 0, **(opts or {})}, P=f"putfast/{uuid.uuid4().hex[:8]}/", **sdk_vars,
        )  # fmt: skip

    run.on = on
    return run


def test_lone_put_is_sent_at_once_and_still_a_task(run):
    out = run(
        """
ready, events = [], []
cos.on("task-list-update", lambda info: events.append([t["state"] for t in info["list"]]))
before = loop._in_progress
call = cos.put_object(**BR, Key=P + "one", Body=b"x" * 1024, onTaskReady=ready.append)
on_wire = len(replies)
listed = cos.get_task_list()
data = await call
await settle()
after = cos.get_task(call.taskId)
out = [on_wire, ready == [call.taskId], [t["state"] for t in listed], type(call._future).__name__,
       data["statusCode"], bool(data["ETag"]), after["state"], after["loaded"], after["percent"],
       events[-1], cos.is_upload_running(), loop._in_progress - before, await status_of(P + "one")]
"""
    )
    on_wire, ready_ok, listed, future_type, status, etag, state, loaded, percent, last_event, running, balance, head = out
    assert ready_ok and len(listed) == 1 and listed[0] in ("checking", "uploading")
    assert status == 200 and etag and head == 200
    assert state == "success" and loaded == 1024 and percent == 1 and last_event == ["success"]
    assert running is False and balance == 0
    if run.on:
        assert on_wire == 1 and future_type == "OutcomeFuture"
    else:
        assert on_wire == 0 and future_type == "PyodideFuture"


def test_put_canceled_in_the_same_turn_never_reaches_the_server(run):
    out = run(
        """
got = []
call = cos.put_object(**BR, Key=P + "gone", Body=b"y" * 1024)
with_cb = cos.put_object(**BR, Key=P + "gone2", Body=b"z", callback=lambda err, data: got.append((err, data)))
stopping = [cos.cancel_task(call.taskId), cos.cancel_task(with_cb.taskId)]  # in the turn they were made
for stop in stopping:
    await stop
try:
    await call
    code = None
except CosError as err:
    code = err.code
second = await with_cb
await asyncio.sleep(0.3)
out = [code, second, got, cos.get_task(call.taskId)["state"], cos.get_task(with_cb.taskId)["state"],
       await status_of(P + "gone"), await status_of(P + "gone2")]
"""
    )
    assert out == ["Canceled", None, [], "canceled", "canceled", 404, 404]


def test_pause_then_restart_a_lone_put(run):
    out = run(
        """
call = cos.put_object(**BR, Key=P + "paused", Body=b"p" * 2048)
await cos.pause_task(call.taskId)
paused = cos.get_task(call.taskId)["state"]
await asyncio.sleep(0.2)
absent = await status_of(P + "paused")
again = cos.restart_task(call.taskId)
data = await call
out = [paused, absent, data["statusCode"], (await again)["statusCode"], cos.get_task(call.taskId)["state"],
       await status_of(P + "paused")]
"""
    )
    assert out == ["paused", 404, 200, 200, "success", 200]


def test_file_parallel_limit_and_order_with_eager_runners(run):
    out = run(
        """
order = []
calls = [cos.put_object(**BR, Key=P + str(i), Body=b"q" * 100, callback=lambda e, d, i=i: order.append((i, e)))
         for i in range(4)]
states = [t["state"] for t in cos.get_task_list()]
on_wire = len(replies)
for c in calls:
    await c
await settle()
out = [states, on_wire, order, [t["state"] for t in cos.get_task_list()]]
""",
        {"FileParallelLimit": 2},
    )
    states, on_wire, order, final = out
    assert states[2:] == ["waiting", "waiting"] and all(s in ("checking", "uploading") for s in states[:2])
    assert on_wire == (2 if run.on else 0)
    assert sorted(i for i, _ in order) == [0, 1, 2, 3] and all(e is None for _, e in order)
    assert final == ["success"] * 4


def test_a_failing_lone_put_settles_its_caller(run):
    out = run(
        """
call = cos.put_object(Bucket="no-such-bucket-1250000000", Region=REGION, Key=P + "x", Body=b"1")
try:
    await call
    code = None
except CosError as err:
    code = err.code
await settle()
out = [code, cos.get_task(call.taskId)["state"], cos.is_upload_running()]
"""
    )
    code, state, running = out
    assert code in ("NoSuchBucket", "NetworkError") and state == "error" and running is False  # (CORS: no such bucket)
