"""The upload queue of one client: FileParallelLimit, pause / restart / cancel, the task list, events.

At most ``FileParallelLimit`` tasks run at once, the rest wait in order. A running
task is one asyncio task (its *runner*, running a :class:`~.run.FileRun`): stopping
it (pause, cancel) is cancelling that runner, which cancels the part requests in
flight, whose transports abort their XHR/fetch: the one bridge between task control
and the network. The queue keeps each task's runner, outcome (the future a call
awaits) and progress reporter beside the plain task record.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from .. import _fastpath, _js
from ..errors import CosError
from ..events import Emitter
from ..pipeline import Pipeline
from ..request import Prepared
from .reporting import TaskProgress
from .run import FileRun, put_params
from .task import ACTIVE, RUNNING, UploadTask

__all__ = ["TaskQueue"]


def _canceled_error() -> CosError:
    return CosError("task canceled", code="Canceled")


@dataclass(slots=True, eq=False)
class _Control:
    """What runs a task (asyncio side), kept out of the task record."""

    outcome: asyncio.Future[Any]
    reporter: TaskProgress
    runner: asyncio.Task[Any] | None = None
    run: FileRun | None = None  # the runner's run (its init may outlive a stop)
    ready: Prepared | None = None  # a waiting putObject's request, made while it waits


class TaskQueue:
    """A client's upload tasks: at most FileParallelLimit run at once, the rest wait in order."""

    def __init__(self, pipeline: Pipeline, events: Emitter) -> None:
        self.pipeline = pipeline
        self.options = pipeline.options
        self.events = events
        self.tasks: dict[str, UploadTask] = {}  # insertion order = queue order
        self.controls: dict[str, _Control] = {}
        self.running: set[str] = set()
        self.waiting: set[str] = set()  # ids of the tasks in state "waiting": what pump may start
        self.order: dict[str, int] = {}  # each task's place in the queue
        self._placed = 0
        self.uploads_in_use: set[str] = set()  # UploadIds a task of this client holds
        self._emit_pending = False

    # queue ------------------------------------------------------------------

    def add(self, task: UploadTask, outcome: asyncio.Future[Any]) -> None:
        reporter = TaskProgress(task, self.options["ProgressInterval"], self.changed)
        self.tasks[task.id] = task
        self.controls[task.id] = _Control(outcome, reporter)
        self._placed += 1
        self.order[task.id] = self._placed
        self.waiting.add(task.id)
        self.changed()
        self.pump()
        near_head = len(self.waiting) <= 2 * self.options["FileParallelLimit"]  # a long queue holds no requests
        if task.state == "waiting" and task.api == "putObject" and near_head:
            self._prepare(task)
        self._trim()

    def _prepare(self, task: UploadTask) -> None:
        """Make a waiting putObject's request now (checked, laid out, signed if that calls nothing
        of the page's), so that when a slot frees only the send is left (Pipeline.ready; a
        signature made ahead goes out only if it is the one signing at send time would make)."""
        control = self.controls[task.id]
        try:
            # checked: Uploads._make_task checked these params (less the reporter's onHashProgress)
            control.ready = self.pipeline.ready("putObject", put_params(task, control.reporter), checked=True)
        except Exception:
            control.ready = None  # the send makes it again, and fails as it would have

    def pump(self) -> None:
        """Start waiting tasks, first in queue order, while fewer than FileParallelLimit run
        (only the waiting ones are looked at: a long list of finished tasks costs nothing)."""
        limit = self.options["FileParallelLimit"]
        while self.waiting and len(self.running) < limit:
            task_id = min(self.waiting, key=self.order.__getitem__) if len(self.waiting) > 1 else next(iter(self.waiting))
            self.waiting.discard(task_id)
            task = self.tasks.get(task_id)
            if task is not None and task.state == "waiting":
                self._start(task)

    def _start(self, task: UploadTask) -> None:
        control = self.controls[task.id]
        previous, previous_run = control.runner, control.run
        task.state = "checking"
        task.error = None
        self.running.add(task.id)
        on_start = task.param("onTaskStart")
        if on_start is not None:
            _js.call_user(on_start, task.to_dict())
        run = control.run = FileRun(self.pipeline, task, control.reporter, self.uploads_in_use, self.changed)
        run.ready, control.ready = control.ready, None
        # started eagerly (a lone putObject is on the wire before the call returns) and its
        # end seen from a microtask, as a call's task (cos_web._fastpath.start_call)
        control.runner = _fastpath.start_call(asyncio.get_running_loop(), self._run(task, run, previous, previous_run))
        self.changed()

    async def _run(
        self, task: UploadTask, run: FileRun, previous: asyncio.Task[Any] | None, previous_run: FileRun | None
    ) -> None:
        try:
            await self._run_task(task, run, previous, previous_run)
        finally:
            _fastpath.call_ending()

    async def _run_task(
        self, task: UploadTask, run: FileRun, previous: asyncio.Task[Any] | None, previous_run: FileRun | None
    ) -> None:
        if previous is not None and not previous.done():
            await asyncio.wait([previous])  # a paused run still winding down
        if previous_run is not None:
            await previous_run.wind_down()  # its multipartInit: the restart goes on with that upload
        try:
            data = await run.run()
        except asyncio.CancelledError:
            if task.state in ("paused", "canceled"):
                return  # pause/cancel stopped us; they did the bookkeeping
            raise
        except CosError as err:
            self._finish(task, err, None)
        except Exception as exc:  # a bug or a JS error: still a failed task, not a hang
            self._finish(task, CosError(f"{type(exc).__name__}: {exc}", code="ClientError"), None)
        else:
            self._finish(task, None, data)

    def _finish(self, task: UploadTask, err: CosError | None, data: dict[str, Any] | None) -> None:
        if task.state not in RUNNING:
            return
        self.running.discard(task.id)
        plan = task.plan
        if err is not None:
            self.controls[task.id].reporter.progress_now()
            task.state = "error"
            task.error = err
            if plan is not None and plan.upload_id:
                err.extra.setdefault("UploadId", plan.upload_id)
                self.uploads_in_use.discard(plan.upload_id)
        else:
            task.state = "success"
            task.loaded, task.percent = task.size, 1
            if plan is not None and plan.upload_id:
                self.uploads_in_use.discard(plan.upload_id)
        self.changed()
        self.pump()  # the next task first, then this one's callback (as the JS SDK's startNextTask)
        self._settle(task, err, data)
        if err is None:
            task.upload_id = plan.upload_id if plan is not None else None
            task.params = task.source = task.plan = None  # free the File and the plan
        self._trim()

    def _settle(self, task: UploadTask, err: CosError | None, data: Any) -> None:
        callback = task.callback
        file_finish = task.param("onFileFinish")  # uploadFile: onFileFinish(err, data, options)
        if file_finish is not None:
            info = {k: v for k, v in (task.params or {}).items() if isinstance(v, (str, int, float, bool))}
            info.update(TaskId=task.id, Bucket=task.Bucket, Region=task.Region, Key=task.Key)
            try:
                _js.call_user(file_finish, err, data, info)
            except Exception:
                pass
        if task.state == "success":
            task.callback = None
        if callback is not None:
            try:
                _js.call_user(callback, err, data)
            except Exception:
                pass
        fut = self.controls[task.id].outcome
        if not fut.done():
            if err is not None and callback is None:
                fut.set_exception(err)
                if file_finish is not None:
                    fut.exception()  # reported to onFileFinish: not "never retrieved"
            else:
                fut.set_result(data)

    # control ------------------------------------------------------------------

    def pause(self, task_id: str) -> asyncio.Future[Any]:
        task = self.tasks.get(task_id)
        if task is None or task.state not in ACTIVE:
            return _done_future()
        running = task.state in RUNNING
        task.state = "paused"
        self.waiting.discard(task.id)
        self.controls[task.id].ready = None
        self.changed()
        if running:
            self.running.discard(task.id)
            stopped = self._stop(task)
            self.pump()
            return stopped
        return _done_future()

    def cancel(self, task_id: str) -> asyncio.Future[Any]:
        task = self.tasks.get(task_id)
        if task is None or task.state in ("canceled", "success"):
            return _done_future()
        running = task.state in RUNNING
        task.state = "canceled"
        self.waiting.discard(task.id)
        self.controls[task.id].ready = None
        self.running.discard(task.id)
        self.changed()
        stopped = self._stop(task) if running else _done_future()
        cleanup = asyncio.get_running_loop().create_task(self._abort(task, stopped))
        self.pump()
        self._trim()
        return cleanup

    def restart(self, task_id: str) -> asyncio.Future[Any]:
        task = self.tasks.get(task_id)
        if task is None:
            return _done_future()
        control = self.controls[task.id]
        if task.state not in ("paused", "error"):
            return control.outcome
        if control.outcome.done():  # an error was reported: the restarted run gets a new outcome
            control.outcome = _fastpath.outcome_future(asyncio.get_running_loop())
        task.state = "waiting"
        task.error = None
        self.waiting.add(task.id)
        self.changed()
        self.pump()
        return control.outcome

    def _stop(self, task: UploadTask) -> asyncio.Future[Any]:
        """Cancel the task's runner (aborting its requests); the future ends when it has stopped."""
        runner = self.controls[task.id].runner
        if runner is None or runner.done():
            return _done_future()
        runner.cancel()
        return asyncio.ensure_future(asyncio.wait([runner]))

    async def _abort(self, task: UploadTask, stopped: asyncio.Future[Any]) -> None:
        had_callback = task.callback is not None
        await stopped
        run = self.controls[task.id].run
        if run is not None:
            await run.wind_down()  # cancel during init: abort the upload as soon as its UploadId arrives
        plan = task.plan
        if plan is not None and plan.upload_id:
            self.uploads_in_use.discard(plan.upload_id)
            try:
                await self.pipeline.send(
                    "multipartAbort",
                    {"Bucket": task.Bucket, "Region": task.Region, "Key": task.Key, "UploadId": plan.upload_id},
                )
            except CosError:
                pass  # already gone, or unreachable: nothing more a cancel can do
        task.params = task.source = task.plan = None
        task.callback = None
        outcome = self.controls[task.id].outcome
        if not outcome.done():
            if had_callback:
                outcome.set_result(None)
            else:
                outcome.set_exception(_canceled_error())
                outcome.exception()  # a canceled, never awaited call is not an error to log

    # page-visible state -------------------------------------------------------

    def task_list(self) -> list[dict[str, Any]]:
        return [t.to_dict() for t in self.tasks.values()]

    def task_dict(self, task_id: str) -> dict[str, Any] | None:
        task = self.tasks.get(task_id)
        return task.to_dict() if task is not None else None

    def is_running(self) -> bool:
        return any(t.state in ACTIVE for t in self.tasks.values())

    def changed(self) -> None:
        """Emit task-list-update once per loop turn (as the JS SDK's setTimeout)."""
        if self._emit_pending or not self.events.listening():
            return
        self._emit_pending = True
        try:
            asyncio.get_running_loop().call_soon(self._emit)
        except RuntimeError:
            self._emit()

    def _emit(self) -> None:
        self._emit_pending = False
        listing = {"list": self.task_list()}
        self.events.emit("task-list-update", listing)
        self.events.emit("list-update", listing)

    def _trim(self) -> None:
        """Forget finished tasks beyond UploadQueueSize (default 10000), oldest first."""
        limit = int(self.options.get("UploadQueueSize") or 10000)
        if len(self.tasks) <= limit:
            return
        for tid in list(self.tasks):
            if len(self.tasks) <= limit:
                break
            if self.tasks[tid].state not in ACTIVE and self.tasks[tid].state != "paused":
                del self.tasks[tid]
                del self.controls[tid]
                del self.order[tid]


def _done_future() -> Any:
    """An awaitable that is already done (None outside an event loop: nothing to wait for)."""
    try:
        fut = asyncio.get_running_loop().create_future()
    except RuntimeError:
        return None
    fut.set_result(None)
    return fut
