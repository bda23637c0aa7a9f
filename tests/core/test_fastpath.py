"""cos_web/_fastpath.py in CPython: the switch, the reply future, eager call tasks, the asyncio
part of the internals check (the Pyodide part runs in tests/browser/test_fastpath.py)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from cos_web import _fastpath


@pytest.fixture
def restore_switch():
    was = _fastpath.enabled()
    yield
    _fastpath.set_enabled(was)


def test_asyncio_internals_are_as_verified():
    assert _fastpath.check_internals() == []


@pytest.mark.parametrize("value, on", [("0", False), ("off", False), ("false", False), ("1", True), (None, True)])
def test_environment_switch_read_at_import(value, on):
    env = {k: v for k, v in os.environ.items() if k != "COS_WEB_FASTPATH"}
    if value is not None:
        env["COS_WEB_FASTPATH"] = value
    out = subprocess.run([sys.executable, "-c", "import cos_web._fastpath as f; print(f.enabled())"],
                         capture_output=True, text=True, check=True, env=env)  # fmt: skip
    assert out.stdout.strip() == str(on)


def test_reply_future_follows_the_switch(restore_switch):
    async def main():
        loop = asyncio.get_running_loop()
        _fastpath.set_enabled(True)
        fast = _fastpath.reply_future(loop)
        _fastpath.set_enabled(False)
        plain = _fastpath.reply_future(loop)
        return type(fast), type(plain)

    fast, plain = asyncio.run(main())
    assert fast is _fastpath.InlineFuture and issubclass(plain, asyncio.Future)


def test_inline_future_wakes_its_awaiter_and_can_be_cancelled():
    async def main():
        loop = asyncio.get_running_loop()
        fut = _fastpath.InlineFuture(loop)
        waiter = asyncio.ensure_future(_await(fut))
        await asyncio.sleep(0)
        loop.call_soon(fut.set_result, "answer")
        got = await waiter
        fut.set_result("again")  # a second settle is ignored
        gone = _fastpath.InlineFuture(loop)
        cancelled = asyncio.ensure_future(_await(gone))
        await asyncio.sleep(0)
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        return got, fut.result(), gone.cancelled()

    assert asyncio.run(main()) == ("answer", "answer", True)


async def _await(fut):
    return await fut


def test_start_call_with_the_fast_path_off_is_a_plain_task(restore_switch):
    async def work():
        return 1

    async def main():
        _fastpath.set_enabled(False)
        task = _fastpath.start_call(asyncio.get_running_loop(), work())
        started = task.done()
        return type(task), started, await task

    kind, started, value = asyncio.run(main())
    assert kind is asyncio.Task and not started and value == 1
