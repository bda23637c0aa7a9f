"""What issue 17's small-call work changed, in CPython: the queue's pump (only waiting tasks, in
queue order, a restarted task back in its place), the idle clocks' one shared timer, and the
progress throttle starting no timer once a transfer is all sent."""

from __future__ import annotations

import asyncio

import pytest

from cos_web.progress import ProgressThrottle
from cos_web.transport import Request, Response
from cos_web.watchdog import IdleTimeout, _SWEEPERS, send_watched

from .fake_cos import B, FakeCos, R

BR = {"Bucket": B, "Region": R}


def test_pump_starts_waiting_tasks_in_queue_order_and_a_restarted_one_in_its_place():
    fake = FakeCos(delay=0.02)
    order: list[str] = []

    async def main():
        cos = fake.client(FileParallelLimit=1)
        queue = cos._upload_component().queue
        started = lambda info: order.append(info["Key"])  # noqa: E731
        calls = [cos.put_object(**BR, Key=f"k{i}", Body=b"x" * 10, onTaskStart=started) for i in range(4)]
        waiting_at_once = sorted(queue.tasks[c.taskId].Key for c in calls if c.taskId in queue.waiting)
        await cos.pause_task(calls[1].taskId)  # waiting: out of the queue's candidates
        paused_out = calls[1].taskId not in queue.waiting
        cos.restart_task(calls[1].taskId)  # back in, ahead of k2 / k3 (its place in the queue)
        for call in calls:
            await call
        return waiting_at_once, paused_out, queue.waiting, [t["state"] for t in cos.get_task_list()]

    waiting_at_once, paused_out, waiting_after, states = asyncio.run(main())
    assert waiting_at_once == ["k1", "k2", "k3"] and paused_out
    assert order == ["k0", "k1", "k2", "k3"]
    assert waiting_after == set() and states == ["success"] * 4
    assert sorted(fake.objects) == ["k0", "k1", "k2", "k3"]


def test_a_long_list_of_finished_tasks_is_not_scanned():
    fake = FakeCos()

    async def main():
        cos = fake.client(FileParallelLimit=2)
        for i in range(300):
            await cos.put_object(**BR, Key=f"n{i}", Body=b"y")
        queue = cos._upload_component().queue
        looked_at: list[str] = []
        counting = type("Tasks", (dict,), {"get": lambda self, k, d=None: looked_at.append(k) or dict.get(self, k, d),
                                           "values": lambda self: looked_at.extend(self) or dict.values(self)})
        queue.tasks = counting(queue.tasks)
        await cos.put_object(**BR, Key="last", Body=b"z")
        return len(looked_at), len(queue.tasks)

    looked, total = asyncio.run(main())
    assert total == 301 and looked == 1  # the one waiting task, not the 300 finished before it


class _Quiet:
    """A transport whose request makes ``steps`` progress events ``gap`` s apart, then waits ``tail`` s."""

    def __init__(self, steps: int, gap: float, tail: float) -> None:
        self.steps, self.gap, self.tail = steps, gap, tail

    async def send(self, request: Request) -> Response:
        for i in range(self.steps):
            await asyncio.sleep(self.gap)
            request.on_upload_progress(i + 1, self.steps)
        await asyncio.sleep(self.tail)
        return Response(200, {})


def test_idle_clocks_share_one_timer_that_stops_when_nothing_is_watched():
    body = Request("PUT", "http://x/k", body=b"x" * 10)

    async def main():
        loop = asyncio.get_running_loop()
        silent = asyncio.ensure_future(send_watched(_Quiet(1, 0.01, 5), body, None, 0.16))
        moving = asyncio.ensure_future(send_watched(_Quiet(12, 0.03, 0), body, None, 0.16))  # never 0.16 s quiet
        short = asyncio.ensure_future(send_watched(_Quiet(0, 0, 5), body, None, 0.08))  # a smaller idle: a shorter step
        await asyncio.sleep(0)
        sweeper = _SWEEPERS[loop]
        timers_while_running = (len(sweeper.watched), sweeper.step)
        results = await asyncio.gather(silent, moving, short, return_exceptions=True)
        await asyncio.sleep(sweeper.step * 2)
        return timers_while_running, results, sweeper.timer, sweeper.watched

    (watched, step), (silent, moving, short), timer, left = asyncio.run(main())
    assert watched == 3 and step == pytest.approx(0.01)
    assert isinstance(silent, IdleTimeout) and isinstance(short, IdleTimeout)
    assert isinstance(moving, Response) and moving.status == 200
    assert timer is None and left == set()


def test_an_outer_cancel_is_not_taken_for_an_idle_timeout():
    async def main():
        task = asyncio.ensure_future(send_watched(_Quiet(0, 0, 5), Request("PUT", "http://x/k", body=b"x"), None, 10))
        await asyncio.sleep(0.01)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            return "cancelled"
        except IdleTimeout:
            return "idle"

    assert asyncio.run(main()) == "cancelled"


def test_progress_throttle_starts_no_timer_once_all_is_sent():
    reports: list[dict] = []

    async def main():
        throttle = ProgressThrottle(100, reports.append, 1000)
        throttle.update(40, 100)
        timer_midway = throttle._timer is not None
        throttle.update(immediately=True)
        throttle.update(100, 100)  # all sent: the end is reported at once by its owner
        timer_at_end = throttle._timer
        throttle.update(100, 100, immediately=True)
        return timer_midway, timer_at_end

    midway, at_end = asyncio.run(main())
    assert midway and at_end is None
    assert [r["loaded"] for r in reports] == [40, 100] and reports[-1]["percent"] == 1


def test_the_next_task_starts_before_the_finished_ones_callback():
    """As the JS SDK's startNextTask: a slot that frees starts the next waiting task (its
    onTaskStart) before the finished task's callback runs."""
    fake = FakeCos()
    events: list[str] = []

    async def main():
        cos = fake.client(FileParallelLimit=1)
        done = []
        for i in range(3):
            fut = asyncio.get_running_loop().create_future()
            done.append(fut)
            cos.put_object(**BR, Key=f"o{i}", Body=b"x", onTaskStart=lambda info: events.append("start " + info["Key"]),
                           callback=lambda err, data, i=i, fut=fut: (events.append(f"done o{i}"), fut.set_result(err)))
        return [await f for f in done]

    errors = asyncio.run(main())
    assert errors == [None, None, None]
    assert events == ["start o0", "start o1", "done o0", "start o2", "done o1", "done o2"]
