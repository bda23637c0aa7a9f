"""Default-option uploads (cos_web.uploads.adaptive): the part size chosen from the file's size,
the parts in flight moved by throughput on a simulated link, what a caller sets kept as the JS
SDK's meaning, and a resumed upload keeping its part size (CPython, in-memory COS)."""

from __future__ import annotations

import asyncio
import os

import pytest

from cos_web.uploads import adaptive
from cos_web.uploads.adaptive import (
    HOLD,
    MAX_BYTES_IN_FLIGHT,
    MAX_IN_FLIGHT,
    START,
    Concurrency,
    Gate,
    auto_part_size,
    explicit,
    resumed_part_size,
)
from cos_web.options import checked_options
from cos_web.values import MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE

from .fake_cos import MB, B, FakeCos, R

BR = {"Bucket": B, "Region": R}
GB = 1024 * MB


# ------------------------------------------------------------------ part size


@pytest.mark.parametrize(
    "size, part",
    [(1, MB), (3 * MB, MB), (6 * MB, MB), (7 * MB, 2 * MB), (13 * MB, 4 * MB), (64 * MB, 16 * MB),
     (256 * MB, 32 * MB), (1 * GB, 32 * MB), (300 * GB, 32 * MB), (400 * GB, 64 * MB)],
)  # fmt: skip
def test_part_size_grows_with_the_file(size, part):
    assert auto_part_size(size) == part


def test_part_size_stays_within_cos_limits():
    sizes = [1, MB, 700 * GB, 640 * GB + 1, 5 * 1024 * GB, 48 * 1024 * GB, 10000 * 5 * GB]
    previous = 0
    for size in sizes:
        part = auto_part_size(size)
        assert MIN_PART_SIZE <= part <= MAX_PART_SIZE and -(-size // part) <= MAX_PARTS, (size, part)
        assert part >= previous  # never smaller parts for a bigger file
        previous = part
    # a client's MaxPartNumber (1024 at least) is honoured too
    assert -(-(200 * GB) // auto_part_size(200 * GB, 1024)) <= 1024


# ------------------------------------------------------------------ explicit settings


def test_what_the_caller_sets_is_explicit():
    defaults = checked_options({})
    assert not explicit(defaults, {})
    for params in ({"ChunkSize": MB}, {"SliceSize": 2 * MB}, {"AsyncLimit": 3}):
        assert explicit(defaults, params)
    for given in ({"ChunkSize": MB}, {"ChunkParallelLimit": 3}):  # the defaults' values, given: explicit
        assert explicit(checked_options(given), {})
    later = checked_options({})
    later["ChunkParallelLimit"] = 8  # cos.options changed after the client was made (as JS code does)
    assert explicit(later, {})
    assert explicit(checked_options({"AdaptiveUpload": False}), {})
    assert not explicit(checked_options({"ProgressInterval": 0, "ChunkRetryTimes": 5}), {})


def test_resumed_part_size():
    assert resumed_part_size([{"Size": 2 * MB}, {"Size": 2 * MB}], 5 * MB) == 2 * MB
    assert resumed_part_size([{"Size": MB - 1}], 5 * MB) is None  # not a part size COS allows
    assert resumed_part_size([{"Size": MB}], 20000 * MB) is None  # 20,000 parts: too many
    assert resumed_part_size([], 5 * MB) is None and resumed_part_size([{"Size": "x"}], 5 * MB) is None


# ------------------------------------------------------------------ the controller on a simulated link


class Link:
    """A link for the controller: ``rtt`` s per part before its bytes flow (preflight + request),
    ``bandwidth`` bytes/s shared by the parts sending, each part at most ``per_part`` bytes/s
    (one connection's share of the sender's CPU). ``fail_at``: seconds at which one part fails
    with a retryable error (it is sent again)."""

    def __init__(self, rtt: float, bandwidth: float, per_part: float = float("inf"), fail_at: tuple[float, ...] = ()):
        self.rtt, self.bandwidth, self.per_part, self.fail_at = rtt, bandwidth, per_part, list(fail_at)

    def upload(self, size: int, part: int, controller: Concurrency, dt: float = 0.005) -> tuple[float, list[int]]:
        """Simulate one upload; (seconds taken, limit after each step)."""
        todo = [min(part, size - s) for s in range(0, size, part)]
        active: list[list[float]] = []  # [latency left, bytes left]
        sent = 0.0
        t = 0.0
        limits = []
        while todo or active:
            while todo and len(active) < controller.limit:
                active.append([self.rtt, float(todo.pop(0))])
            flowing = [a for a in active if a[0] <= 0]
            share = min(self.per_part, self.bandwidth / len(flowing)) if flowing else 0.0
            for a in active:
                if a[0] > 0:
                    a[0] -= dt
                else:
                    step = min(a[1], share * dt)
                    a[1] -= step
                    sent += step
            if self.fail_at and t >= self.fail_at[0] and active:
                self.fail_at.pop(0)
                failed = active.pop()
                todo.insert(0, part)  # sent again from scratch
                sent -= part - failed[1]
                controller.error()
            active = [a for a in active if a[1] > 0]
            t += dt
            controller.sample(int(sent), t)
            limits.append(controller.limit)
            assert t < 600, "simulated upload did not finish"
        return t, limits


def test_latency_bound_link_gets_more_parts_in_flight():
    # 40 ms RTT (x2: preflight + PUT), fast link: each part spends much of its time waiting
    link = Link(rtt=0.08, bandwidth=400 * MB, per_part=60 * MB)
    size = 1 * GB
    part = auto_part_size(size)
    ctl = Concurrency(part, -(-size // part))
    auto_s, limits = link.upload(size, part, ctl)
    assert max(limits) == MAX_IN_FLIGHT  # climbed from START while the rate grew
    assert 0 < len(ctl.rates) <= 240  # the windows kept for the bench are bounded
    js_s, _ = Link(0.08, 400 * MB, 60 * MB).upload(size, MB, Concurrency(MB, 256, fixed=3))  # cos-js-sdk-v5 defaults
    assert js_s / auto_s >= 2.5


def test_bandwidth_bound_link_does_not_pile_up_parts():
    # 5 MB/s upload cap: more parts in flight cannot help; the controller tries one more, undoes it
    link = Link(rtt=0.3, bandwidth=5 * MB)
    size, part = 32 * MB, 2 * MB  # more parts than go in flight at once: the controller has room
    ctl = Concurrency(part, -(-size // part), start=2)
    seconds, limits = link.upload(size, part, ctl)
    assert max(limits) <= 4 and seconds < 32 / 5 * 1.3
    assert any(b < a for a, b in zip(limits, limits[1:]))  # a try was undone


def test_retryable_errors_halve_and_hold():
    ctl = Concurrency(8 * MB, 100, start=6)
    ctl.error()
    assert ctl.limit == 3
    t, loaded = 0.0, 0
    for _ in range(HOLD + 1):  # held: no try for HOLD windows (the first after the error is not compared)
        t += 0.3
        loaded += 30 * MB
        ctl.sample(loaded, t)
        assert ctl.limit == 3
    seen = []
    for _ in range(4):
        t += 0.3
        loaded += 30 * MB
        ctl.sample(loaded, t)
        seen.append(ctl.limit)
    assert seen == [3, 4, 4, 3]  # then it tries one more, and undoes it: the rate did not grow
    link = Link(rtt=0.08, bandwidth=400 * MB, per_part=60 * MB, fail_at=(0.6, 0.61))
    ctl = Concurrency(16 * MB, 16)
    _, limits = link.upload(256 * MB, 16 * MB, ctl)
    assert min(limits[limits.index(max(limits[:130])):]) <= 2  # two errors: a quarter of the peak, at most


def test_bounds_fixed_and_memory():
    assert Concurrency(64 * MB, 100).cap == MAX_BYTES_IN_FLIGHT // (64 * MB) == 4  # bytes in flight bounded
    assert Concurrency(MB, 2).cap == 2 and Concurrency(MB, 100).limit == START
    assert Concurrency(16 * MB, 4).limit == 4 and Concurrency(64 * MB, 4).limit == 4  # few parts: all at once
    assert Concurrency(8 * MB, 6).limit == 6 and Concurrency(8 * MB, 7).limit == START
    fixed = Concurrency(MB, 100, fixed=9)
    assert fixed.limit == fixed.cap == 9  # the caller's ChunkParallelLimit, exactly (beyond 6 too)
    fixed.sample(0, 0.0)
    fixed.sample(100 * MB, 1.0)
    fixed.error()
    assert fixed.limit == 9 and Concurrency(MB, 1000, fixed=999).limit == 256  # the JS SDK's clamp


def test_gate_follows_the_limit():
    ctl = Concurrency(MB, 100, start=2)
    gate = Gate(ctl)
    running = []

    async def holder(i):
        await gate.acquire()
        running.append(i)
        try:
            await asyncio.sleep(0.01)
        finally:
            gate.release()

    async def main():
        tasks = [asyncio.ensure_future(holder(i)) for i in range(10)]
        await asyncio.sleep(0.001)
        assert gate.holders == 2
        ctl.limit = 5
        gate.wake()
        await asyncio.sleep(0.001)
        assert gate.holders == 5
        await asyncio.gather(*tasks)

    asyncio.run(main())
    assert sorted(running) == list(range(10)) and gate.most == 5 and gate.holders == 0


# ------------------------------------------------------------------ uploads with the client


def test_default_upload_picks_its_part_size_and_explicit_keeps_the_js_meaning():
    data = os.urandom(40 * MB + 5)
    fake = FakeCos(delay=0.002)

    async def main():
        cos = fake.client()
        a = await cos.slice_upload_file(**BR, Key="auto.bin", Body=data)
        parts_auto, most_auto = fake.counts["multipartUpload"], fake.max_in_flight
        fake.max_in_flight = 0
        await cos.slice_upload_file(**BR, Key="chunk.bin", Body=data, ChunkSize=MB, AsyncLimit=2)
        parts_chunk, most_chunk = fake.counts["multipartUpload"] - parts_auto, fake.max_in_flight
        fake.max_in_flight = 0
        await cos.slice_upload_file(**BR, Key="limit.bin", Body=data, AsyncLimit=5)  # only one set: JS meaning for both
        return a, parts_auto, most_auto, parts_chunk, most_chunk

    a, parts_auto, most_auto, parts_chunk, most_chunk = asyncio.run(main())
    assert parts_auto == 6 and most_auto == 6  # 8 MB parts for 40 MB: 6 parts, all in flight at once
    assert parts_chunk == 41 and most_chunk == 2
    assert fake.counts["multipartUpload"] == 6 + 41 + 41 and fake.max_in_flight == 5
    assert fake.objects["auto.bin"] == data == fake.objects["chunk.bin"] == fake.objects["limit.bin"] and a["ETag"]


def test_client_options_keep_the_js_meaning():
    data = os.urandom(6 * MB)
    fake = FakeCos(delay=0.002)

    async def main():
        await fake.client(ChunkSize=MB, ChunkParallelLimit=3).slice_upload_file(**BR, Key="o.bin", Body=data)

    asyncio.run(main())
    assert fake.counts["multipartUpload"] == 6 and fake.max_in_flight == 3


def test_default_resume_keeps_the_upload_part_size():
    data = os.urandom(40 * MB)
    fake = FakeCos()
    upload_id = fake.start_upload("r.bin", data, 2 * MB, [1, 2, 3])  # made with 2 MB parts (auto would be 4 MB)

    async def main():
        return await fake.client().slice_upload_file(**BR, Key="r.bin", Body=data)

    out = asyncio.run(main())
    assert out["UploadId"] == upload_id and fake.counts["multipartInit"] == 0
    assert sorted(fake.part_numbers) == list(range(4, 21)) and fake.objects["r.bin"] == data


def test_module_is_pure():
    src = open(adaptive.__file__).read()
    assert "import js" not in src and "pyodide" not in src.split('"""', 2)[2]
