"""Every use of Pyodide's and asyncio's internals in cos_web, in one place, with an off switch.

Verified against Pyodide :data:`VERIFIED_PYODIDE` (npm ``pyodide``, see package.json;
Python 3.14.2 there). What it relies on, each checked by :func:`check_internals`
(tests/browser/test_fastpath.py runs it in the page and fails if any changed):

- ``pyodide.webloop.PyodideTask`` (a Task subclass) counts done callbacks in
  ``_num_done_callbacks``, which ``WebLoop._decrement_in_progress`` reads;
- ``WebLoop.create_task`` does ``_in_progress += 1`` and
  ``add_done_callback(_decrement_in_progress)`` besides making the task;
- ``asyncio.Task(coro, loop=..., eager_start=True)`` (Python 3.12+);
- ``asyncio._get_running_loop`` / ``asyncio._set_running_loop`` (what WebLoop
  itself calls before running any handle);
- ``js.queueMicrotask`` and ``pyodide.ffi.create_proxy``.

What the fast path buys (BENCHMARKS.md, small headObject/putObject rows): a call's
task starts eagerly (:func:`start_call`: the request is on the wire when the call
returns), a request's reply wakes the awaiting task inside the XHR/fetch event
(:class:`InlineFuture`), and a call's awaiters are woken from a JS microtask as the
call ends (:func:`call_ending`): each saves one trip through the browser's event
loop (a MessageChannel task) per call. An upload task (a queued putObject) gets the
same: its runner is started as a call (:func:`start_call`) and the future its caller
awaits (:func:`outcome_future`) wakes its awaiters from a microtask too.

The switch: ``COS_WEB_FASTPATH=0`` in the environment when cos_web is imported
(under Pyodide: ``os.environ`` before the import), or :func:`set_enabled` at any
time, falls back to plain asyncio: ``loop.create_task``, ``loop.create_future``,
awaiters woken by ``call_soon``. Behaviour is the same, only slower. If the
internals check fails, the fast path turns itself off.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

__all__ = [
    "VERIFIED_PYODIDE",
    "enabled",
    "set_enabled",
    "check_internals",
    "start_call",
    "call_ending",
    "outcome_future",
    "reply_future",
    "InlineFuture",
    "no_task_running",
    "run_done_callback",
]

VERIFIED_PYODIDE = "314.0.7"

_ENABLED = os.environ.get("COS_WEB_FASTPATH", "1").strip().lower() not in ("0", "false", "off", "no")
_EAGER = sys.version_info >= (3, 12)  # asyncio.Task(eager_start=...)


def enabled() -> bool:
    """Whether the fast path is on (it is unless switched off)."""
    return _ENABLED


def set_enabled(flag: bool) -> None:
    """Turn the fast path on or off for the calls and requests started from now on."""
    global _ENABLED
    _ENABLED = bool(flag)


# ---------------------------------------------------------------- the guard


def check_internals() -> list[str]:
    """What of the internals above is missing or changed here (an empty list: all as verified).

    Under CPython only the asyncio parts apply; under Pyodide, WebLoop's too.
    """
    problems: list[str] = []
    for name in ("_get_running_loop", "_set_running_loop"):
        if not callable(getattr(asyncio, name, None)):
            problems.append(f"asyncio.{name} is gone")
    if _EAGER:
        import inspect

        try:
            params = inspect.signature(asyncio.Task).parameters
        except (TypeError, ValueError):
            params = {}
        if "eager_start" not in params:
            problems.append("asyncio.Task has no eager_start parameter")
    if sys.platform != "emscripten":
        return problems
    try:
        import pyodide  # type: ignore[import-not-found]
        from pyodide import webloop  # type: ignore[import-not-found]
    except ImportError as exc:
        return problems + [f"pyodide.webloop: {exc}"]
    version = getattr(pyodide, "__version__", "?")
    if version != VERIFIED_PYODIDE:
        problems.append(f"Pyodide {version}, verified against {VERIFIED_PYODIDE}")
    task_cls = getattr(webloop, "PyodideTask", None)
    loop_cls = getattr(webloop, "WebLoop", None)
    if task_cls is None or not issubclass(task_cls, asyncio.Task):
        return problems + ["pyodide.webloop.PyodideTask is not an asyncio.Task subclass"]
    future_cls = getattr(webloop, "PyodideFuture", None)
    if future_cls is None or not issubclass(future_cls, asyncio.Future):
        problems.append("pyodide.webloop.PyodideFuture is not an asyncio.Future subclass")
    if loop_cls is None or not callable(getattr(loop_cls, "_decrement_in_progress", None)):
        problems.append("WebLoop._decrement_in_progress is gone")
    loop = asyncio.get_event_loop()
    if not isinstance(getattr(loop, "_in_progress", None), int):
        problems.append("WebLoop._in_progress is not a counter")
    problems += _check_task_bookkeeping(loop, task_cls)
    return problems


def _check_task_bookkeeping(loop: Any, task_cls: Any) -> list[str]:
    """Make a task as WebLoop does and see that the counters we mirror behave as verified."""
    problems: list[str] = []

    async def nothing() -> None:
        return None

    before = getattr(loop, "_in_progress", None)
    task = loop.create_task(nothing())
    if type(task) is not task_cls:
        problems.append(f"WebLoop.create_task makes {type(task).__name__}, not PyodideTask")
    if not isinstance(before, int) or loop._in_progress != before + 1:
        problems.append("WebLoop.create_task no longer counts _in_progress")
    if getattr(task, "_num_done_callbacks", None) != 1:
        problems.append("PyodideTask._num_done_callbacks does not count done callbacks")
    task.cancel()
    return problems


# ---------------------------------------------------------------- a call's task


_CALL_TASK: Any = None
_OUTCOME: Any = None
_FLUSH: list[Any] = []  # call tasks / outcomes settled in this browser task: wake their awaiters
_FLUSH_PROXY: Any = None
_QUEUE_MICROTASK: Any = None


def _microtask_flush() -> None:
    """Make the JS microtask that wakes the awaiters of what is in ``_FLUSH`` (once)."""
    global _FLUSH_PROXY, _QUEUE_MICROTASK
    if _FLUSH_PROXY is None:
        import js  # type: ignore[import-not-found]
        from pyodide.ffi import create_proxy  # type: ignore[import-not-found]

        def flush() -> None:
            items = list(_FLUSH)
            _FLUSH.clear()
            for item in items:
                item._wake_waiters()

        _QUEUE_MICROTASK = js.queueMicrotask
        _FLUSH_PROXY = create_proxy(flush)


def _wake_soon(item: Any) -> None:
    """Wake ``item``'s awaiters from a microtask (one microtask for all settled in this turn)."""
    _FLUSH.append(item)
    if len(_FLUSH) == 1:
        _QUEUE_MICROTASK(_FLUSH_PROXY)


def _call_task_class() -> Any:
    """PyodideTask whose awaiters are woken by a JS microtask right after it finishes.

    A task's awaiters are normally woken through ``call_soon``: under Pyodide one more
    task of the browser's event loop (a MessageChannel message) per call, the largest
    cost left of a small request. Here the call's coroutine, as it ends, queues a
    microtask that runs the awaiters' wake-ups once the finishing step has returned,
    in the same browser task (where the JS SDK would run its callback).
    """
    global _CALL_TASK
    if _CALL_TASK is None:
        from pyodide.webloop import PyodideTask  # type: ignore[import-not-found]

        _microtask_flush()

        class CallTask(PyodideTask):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                self._waiters: list[tuple[Any, Any]] = []
                super().__init__(*args, **kwargs)

            def add_done_callback(self, fn: Any, *, context: Any = None) -> None:
                if self.done():
                    super().add_done_callback(fn, context=context)
                else:
                    self._num_done_callbacks += 1
                    self._waiters.append((fn, context))

            def remove_done_callback(self, fn: Any) -> int:
                before = len(self._waiters)
                self._waiters = [(f, c) for f, c in self._waiters if f != fn]
                removed = before - len(self._waiters)
                self._num_done_callbacks -= removed
                return removed + super().remove_done_callback(fn)

            def _wake_waiters(self) -> None:
                waiters, self._waiters = self._waiters, []
                loop = self.get_loop()
                inline = self.done() and no_task_running(loop)
                for fn, ctx in waiters:
                    if inline:
                        run_done_callback(loop, fn, ctx, self, "a call's awaiter")
                    else:  # not finished after all, or a task is running: the usual way
                        self._num_done_callbacks -= 1
                        super().add_done_callback(fn, context=ctx)

        _CALL_TASK = CallTask
    return _CALL_TASK


def _outcome_class() -> Any:
    """PyodideFuture whose awaiters are woken by a JS microtask once it is settled.

    An upload task's outcome is settled inside its runner's step (a task is running, so
    the awaiters cannot be stepped right there); instead of ``call_soon`` (one more
    browser task) they run from the microtask that follows that step, as a call's do.
    """
    global _OUTCOME
    if _OUTCOME is None:
        from pyodide.webloop import PyodideFuture  # type: ignore[import-not-found]

        _microtask_flush()

        class OutcomeFuture(PyodideFuture):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                self._waiters: list[tuple[Any, Any]] = []
                super().__init__(*args, **kwargs)

            def add_done_callback(self, fn: Any, *, context: Any = None) -> None:
                if self.done():
                    super().add_done_callback(fn, context=context)
                else:
                    self._waiters.append((fn, context))

            def remove_done_callback(self, fn: Any) -> int:
                before = len(self._waiters)
                self._waiters = [(f, c) for f, c in self._waiters if f != fn]
                return before - len(self._waiters) + super().remove_done_callback(fn)

            def set_result(self, result: Any) -> None:
                super().set_result(result)
                if self._waiters:
                    _wake_soon(self)

            def set_exception(self, exception: Any) -> None:
                super().set_exception(exception)
                if self._waiters:
                    _wake_soon(self)

            def cancel(self, msg: Any = None) -> bool:
                done = super().cancel(msg)
                if done and self._waiters:
                    _wake_soon(self)
                return done

            def _wake_waiters(self) -> None:
                waiters, self._waiters = self._waiters, []
                loop = self.get_loop()
                inline = no_task_running(loop)
                for fn, ctx in waiters:
                    if inline:
                        run_done_callback(loop, fn, ctx, self, "an upload's awaiter")
                    else:  # a task is running: the usual way (call_soon)
                        super().add_done_callback(fn, context=ctx)

        _OUTCOME = OutcomeFuture
    return _OUTCOME


def outcome_future(loop: asyncio.AbstractEventLoop) -> asyncio.Future[Any]:
    """The future an upload call's caller awaits: under Pyodide with the fast path on, an
    OutcomeFuture counted as ``WebLoop.create_future`` counts its futures; else
    ``loop.create_future()``."""
    if _ENABLED and type(loop).__module__ == "pyodide.webloop" and hasattr(loop, "_in_progress"):
        try:
            cls = _outcome_class()
        except Exception:
            return loop.create_future()
        fut = cls(loop=loop)
        loop._in_progress += 1  # type: ignore[attr-defined]
        fut.add_done_callback(loop._decrement_in_progress)  # type: ignore[attr-defined]
        return fut
    return loop.create_future()


def start_call(loop: asyncio.AbstractEventLoop, coro: Any) -> asyncio.Task[Any]:
    """The task of one call: started eagerly (3.12+; it runs synchronously up to its first
    real await, so the request is on the wire when the call returns) and, under Pyodide, a
    CallTask; plain ``loop.create_task`` when the fast path is off."""
    if _ENABLED and _EAGER:
        cls: Any = None
        counted = False
        if type(loop).__module__ == "pyodide.webloop":
            try:
                cls = _call_task_class()
            except Exception:
                cls = getattr(sys.modules["pyodide.webloop"], "PyodideTask", None)
            counted = hasattr(loop, "_in_progress") and hasattr(loop, "_decrement_in_progress")
        elif isinstance(loop, asyncio.BaseEventLoop) and loop.get_task_factory() is None:
            cls = asyncio.Task
        if cls is not None:
            task = cls(coro, loop=loop, eager_start=True)
            if counted:  # what WebLoop.create_task does besides making the task
                loop._in_progress += 1  # type: ignore[attr-defined]
                task.add_done_callback(loop._decrement_in_progress)  # type: ignore[attr-defined]
            return task
    return loop.create_task(coro)


def call_ending() -> None:
    """The call's coroutine is returning: wake its awaiters from a microtask (see above)."""
    if _CALL_TASK is None:
        return
    task = asyncio.current_task()
    if isinstance(task, _CALL_TASK):
        _wake_soon(task)


# ---------------------------------------------------------------- a request's reply


def no_task_running(loop: Any) -> bool:
    """Whether a done callback may run right here, inside a JS event or microtask, rather than
    one browser event-loop turn later: no task is running on ``loop`` (made the running loop
    first, as WebLoop does before running any handle)."""
    try:
        if asyncio._get_running_loop() is not loop:
            asyncio._set_running_loop(loop)
        return asyncio.current_task(loop) is None
    except Exception:
        return False


def run_done_callback(loop: Any, fn: Any, ctx: Any, fut: Any, what: str) -> None:
    """Run one done callback now, in its context; a failure goes to the loop's handler."""
    try:
        if ctx is None:
            fn(fut)
        else:
            ctx.run(fn, fut)
    except Exception as exc:  # a task step lets nothing out; be safe anyway
        loop.call_exception_handler({"message": f"cos_web: waking {what} failed", "exception": exc})


def reply_future(loop: asyncio.AbstractEventLoop) -> Any:
    """The future a transport's JS helper settles with ``set_result``: an :class:`InlineFuture`
    on the fast path, else a plain asyncio future."""
    return InlineFuture(loop) if _ENABLED else loop.create_future()


class InlineFuture:
    """A minimal asyncio future whose ``set_result`` wakes the awaiting task right there.

    A transport's JS helper settles it inside the browser's XHR/fetch event (as a JS SDK
    callback runs), instead of scheduling the wake-up as one more task of the browser's
    event loop, as an awaited JS Promise does; when that is not safe (a task is running:
    e.g. ``abort()`` settled it synchronously) it falls back to ``call_soon``. Cancelling it
    aborts its request (``handle``, set by the transport) at once, not when the awaiting task
    next runs: a request cancelled in the turn it was made is never sent.
    """

    __slots__ = ("_loop", "_asyncio_future_blocking", "_callbacks", "_state", "_result", "handle")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.handle: Any = None  # what .abort() aborts (the XHR or an AbortController)
        self._loop = loop
        self._asyncio_future_blocking = False
        self._callbacks: list[tuple[Any, Any]] = []
        self._state = 0  # 0 pending, 1 done, 2 cancelled
        self._result: Any = None

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def done(self) -> bool:
        return self._state != 0

    def cancelled(self) -> bool:
        return self._state == 2

    def result(self) -> Any:
        if self._state == 2:
            raise asyncio.CancelledError()
        if self._state == 0:
            raise asyncio.InvalidStateError("result is not set")
        return self._result

    def exception(self) -> BaseException | None:
        if self._state == 2:
            raise asyncio.CancelledError()
        return None

    def add_done_callback(self, fn: Any, *, context: Any = None) -> None:
        if self._state:
            self._loop.call_soon(fn, self, context=context)
        else:
            self._callbacks.append((fn, context))

    def remove_done_callback(self, fn: Any) -> int:
        before = len(self._callbacks)
        self._callbacks = [(f, c) for f, c in self._callbacks if f != fn]
        return before - len(self._callbacks)

    def cancel(self, msg: Any = None) -> bool:
        if self._state:
            return False
        self._state = 2
        if self.handle is not None:
            try:
                self.handle.abort()
            except Exception:
                pass  # the awaiting task aborts it again as it unwinds
        callbacks, self._callbacks = self._callbacks, []
        for fn, ctx in callbacks:
            self._loop.call_soon(fn, self, context=ctx)
        return True

    def set_result(self, result: Any) -> None:
        if self._state:
            return
        self._state = 1
        self._result = result
        callbacks, self._callbacks = self._callbacks, []
        loop = self._loop
        inline = no_task_running(loop)
        for fn, ctx in callbacks:
            if inline:
                run_done_callback(loop, fn, ctx, self, "a request's task")
            else:
                loop.call_soon(fn, self, context=ctx)

    def __await__(self) -> Any:
        if not self._state:
            self._asyncio_future_blocking = True
            yield self
        return self.result()

    __iter__ = __await__
