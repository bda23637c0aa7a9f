"""cos_web/_fastpath.py in Chromium: the pinned Pyodide's internals are still the ones the fast
path was verified against, the fast path is the one taken, and WebLoop's bookkeeping stays right."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


def test_pinned_pyodide_internals_are_as_verified(harness):
    problems, version, verified = harness.run(
        """
import pyodide
from cos_web import _fastpath
[_fastpath.check_internals(), pyodide.__version__, _fastpath.VERIFIED_PYODIDE]
"""
    )
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["pyodide"]
    assert verified == pinned, "bump VERIFIED_PYODIDE only after checking cos_web/_fastpath.py against it"
    assert version == pinned
    assert problems == []


def test_internals_the_fast_path_uses_behave(harness):
    """What _fastpath copies by hand, checked against what Pyodide itself does."""
    out = harness.run(
        """
import asyncio, inspect
from pyodide.webloop import PyodideTask, WebLoop

loop = asyncio.get_running_loop()
async def nothing():
    return 1
before = loop._in_progress
task = loop.create_task(nothing())
counted = loop._in_progress - before
callbacks = task._num_done_callbacks
await task
await asyncio.sleep(0)
[type(loop).__name__, isinstance(loop, WebLoop), type(task) is PyodideTask, counted, callbacks,
 loop._in_progress - before, "eager_start" in inspect.signature(asyncio.Task).parameters,
 asyncio._get_running_loop() is loop, "fut" in inspect.signature(WebLoop._decrement_in_progress).parameters]
"""
    )
    assert out == ["WebLoop", True, True, 1, 1, 0, True, True, True]


def test_fast_path_taken_and_bookkeeping_balanced(harness, sdk_vars):
    """A call's task is a CallTask started eagerly, its reply an InlineFuture, and WebLoop's
    in-progress count is back where it was once the call is done (or plain asyncio when off)."""
    out = harness.run(
        """
import asyncio
from cos_web import COS, _fastpath, transport
cos = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=DOMAIN)
loop = asyncio.get_running_loop()
before = loop._in_progress
replies = []
real = _fastpath.reply_future
transport.reply_future = lambda loop: replies.append(real(loop)) or replies[-1]
try:
    task = cos.head_bucket(Bucket=BUCKET, Region=REGION)
    on_wire = len(replies)  # eager start: the request was sent before the call returned
    data = await task
finally:
    transport.reply_future = real
for _ in range(3):
    await asyncio.sleep(0)
[_fastpath.enabled(), type(task).__name__, on_wire, type(replies[0]).__name__, data["statusCode"],
 loop._in_progress - before]
""",
        **sdk_vars,
    )
    enabled, task_type, on_wire, reply_type, status, balance = out
    assert status == 200 and balance == 0
    if enabled:
        assert [task_type, on_wire, reply_type] == ["CallTask", 1, "InlineFuture"]
    else:
        assert [task_type, on_wire, reply_type] == ["PyodideTask", 0, "PyodideFuture"]
