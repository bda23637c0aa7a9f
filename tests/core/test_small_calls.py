"""What issue 17's small-call work changed, in CPython: the queue's pump (only waiting tasks, in
queue order, a restarted task back in its place), the idle clocks' one shared timer, and the
progress throttle starting no timer once a transfer is all sent."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cos_web.progress import ProgressThrottle
from cos_web.transport import Request, Response
from cos_web.watchdog import IdleTimeout, _SWEEPERS, send_watched

from .fake_cos import KEYS, B, FakeCos, R

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


# ---------------------------------------------------------------- a waiting putObject, made ready while it waits


def _auth_of(req: Request) -> str:
    return next(v for k, v in req.headers.items() if k.lower() == "authorization")


def test_a_waiting_put_is_signed_ahead_and_sends_what_signing_at_send_time_would():
    """Its request is made (and signed with the client's keys) while it waits; when its slot
    frees, that Authorization goes out only if signing then gives the very same one (same
    second of the signing clock), else it is signed afresh."""
    from cos_web.auth import parse_authorization

    def sent(ahead: bool) -> tuple[list[str], list[Any]]:
        now = [1_800_000_000.2]
        fake = FakeCos()

        def tick(info: Any) -> None:
            now[0] += 5.0  # c's slot frees 5 s on: what it made ahead is for another second

        async def main():
            cos = fake.client(FileParallelLimit=1)
            cos._credentials.clock = lambda: now[0]
            queue = cos._upload_component().queue
            if not ahead:
                queue._prepare = lambda task: None  # the same queue, each request made as it is sent
            calls = [cos.put_object(**BR, Key=k, Body=k.encode(), onTaskStart=tick if k == "c" else None) for k in "abc"]
            ready = [queue.controls[c.taskId].ready for c in calls]
            ready = [None if r is None else r.signed is not None for r in ready]  # (a send takes it)
            for call in calls:
                await call
            return ready

        ready = asyncio.run(main())
        puts = [r for r in fake.transport.requests if r.method == "PUT"]
        assert [r.url.rsplit("/", 1)[1] for r in puts] == ["a", "b", "c"]
        return [_auth_of(r) for r in puts], ready

    queued, ready = sent(True)  # b and c wait, and are made (and signed) ahead
    assert ready == [None, True, True]  # a started at once: nothing to make ahead
    at_send, ready = sent(False)
    assert ready == [None, None, None]
    assert queued == at_send  # byte for byte what signing at send time gives
    times = [parse_authorization(auth)["q-sign-time"] for auth in queued]
    assert times == ["1799999999;1800000899"] * 2 + ["1800000004;1800000904"]  # c signed again


def test_a_page_signer_is_not_called_ahead_nor_for_a_waiting_put_canceled():
    """With getAuthorization, nothing is signed ahead: the callback runs once per put, as each
    starts (the JS SDK's count), and never for a waiting put canceled before its turn."""
    fake = FakeCos()
    asked: list[str] = []

    def get_authorization(options, callback):
        asked.append(options["Key"])
        from cos_web import COS

        callback(COS.get_authorization(SecretId=KEYS["SecretId"], SecretKey=KEYS["SecretKey"], Method=options["Method"],
                                       Key=options["Key"], Headers=options["Headers"]))

    async def main():
        cos = fake.client(FileParallelLimit=1, getAuthorization=get_authorization, SecretId="", SecretKey="")
        queue = cos._upload_component().queue
        calls = [cos.put_object(**BR, Key=f"g{i}", Body=b"x") for i in range(4)]
        asked_while_queued = list(asked)
        ready = [queue.controls[c.taskId].ready for c in calls[1:]]
        ready = [r is None or r.signed is None for r in ready]
        await cos.cancel_task(calls[2].taskId)
        for c in (calls[0], calls[1], calls[3]):
            await c
        return asked_while_queued, ready

    asked_while_queued, ready = asyncio.run(main())
    assert asked_while_queued in ([], ["g0"])  # at most the one that started at once (eagerly on 3.12+)
    assert all(ready)
    assert asked == ["g0", "g1", "g3"]
    assert sorted(fake.objects) == ["g0", "g1", "g3"]


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
