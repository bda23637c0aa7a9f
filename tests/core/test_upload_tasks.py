"""sliceUploadFile / uploadFile and the task methods in CPython, against an in-memory COS
(tests/core/fake_cos.py) behind a MockTransport: results, concurrency limits, resume,
retry, pause/restart, cancel, progress, bad input."""

from __future__ import annotations

import asyncio
import hashlib
import os
from typing import Any

import pytest

from cos_web import COS, CosError
from cos_web.transport import Response, TransportError

from .fake_cos import MB, B, FakeCos, R, _error

BR = {"Bucket": B, "Region": R}


def run(coro):
    return asyncio.run(coro)


def data_of(size: int, seed: int = 0) -> bytes:
    return (hashlib.sha256(str(seed).encode()).digest() * (size // 32 + 1))[:size] if seed else os.urandom(size)


async def wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.001)


# ------------------------------------------------------------------ results


def test_multipart_upload_is_byte_exact_and_shaped_like_the_js_sdk():
    fake = FakeCos()
    data = os.urandom(3 * MB + 12345)
    ready: list[str] = []
    progress: list[dict[str, Any]] = []

    async def main():
        cos = fake.client()
        call = cos.slice_upload_file(**BR, Key="f/a.bin", Body=data, TaskReady=ready.append, onProgress=progress.append)
        assert call.taskId and ready == [call.taskId] and call.task_id == call.taskId
        result = await call
        return cos, call, result

    cos, call, result = run(main())
    assert fake.objects["f/a.bin"] == data
    assert fake.counts["multipartUpload"] == 4 and fake.counts["multipartInit"] == 1
    assert result["Bucket"] == B and result["Key"] == "f/a.bin" and result["ETag"] == '"x-4"'
    assert result["Location"] and result["UploadId"] and result["statusCode"] == 200 and "headers" in result
    loaded = [p["loaded"] for p in progress]
    assert loaded == sorted(loaded) and progress[-1]["percent"] == 1 and progress[-1]["loaded"] == len(data)
    assert all(p["total"] == len(data) for p in progress)
    (task,) = cos.get_task_list()
    assert task["id"] == call.taskId and task["state"] == "success" and task["percent"] == 1
    assert task["UploadId"] == result["UploadId"] and not fake.uploads


def test_camel_case_aliases_dict_params_and_callback():
    fake = FakeCos()
    data = os.urandom(2 * MB + 1)
    seen: list[Any] = []

    async def main():
        cos = fake.client()
        assert type(cos).sliceUploadFile is type(cos).slice_upload_file
        out = await cos.sliceUploadFile({**BR, "Key": "cb.bin", "Body": data}, lambda e, d: seen.append((e, d)))
        return out

    out = run(main())
    assert out["Key"] == "cb.bin" and seen == [(None, out)]


def test_slice_size_and_async_limit_params():
    fake = FakeCos(delay=0.01)
    data = os.urandom(6 * MB)

    async def main():
        cos = fake.client(ChunkParallelLimit=5)
        await cos.slice_upload_file(**BR, Key="s.bin", Body=data, SliceSize=2 * MB, AsyncLimit=2)

    run(main())
    assert fake.counts["multipartUpload"] == 3 and fake.max_in_flight == 2 and fake.objects["s.bin"] == data


def test_empty_file_is_one_put_object():
    fake = FakeCos()

    async def main():
        return await fake.client().slice_upload_file(**BR, Key="empty", Body=b"")

    out = run(main())
    assert fake.objects["empty"] == b"" and fake.counts["putObject"] == 1 and out["statusCode"] == 200


def test_upload_file_picks_put_object_or_multipart():
    fake = FakeCos()
    small, big = os.urandom(1000), os.urandom(2 * MB + 3)
    finished: list[Any] = []

    async def main():
        cos = fake.client()
        a = await cos.upload_file(**BR, Key="small", Body=small, onFileFinish=lambda e, d, o: finished.append(o["Key"]))
        b = await cos.uploadFile(**BR, Key="big", Body=big, SliceSize=MB)
        c = await cos.upload_file(**BR, Key="big2", Body=big, SliceSize=10 * MB)
        return cos, a, b, c

    cos, a, b, c = run(main())
    assert fake.counts["putObject"] == 2 and fake.counts["multipartInit"] == 1
    assert fake.objects == {"small": small, "big": big, "big2": big}
    assert a["ETag"] == f'"{hashlib.md5(small).hexdigest()}"' and b["UploadId"] and "UploadId" not in c
    assert finished == ["small"]
    assert [t["api"] for t in cos.get_task_list()] == ["putObject", "sliceUploadFile", "putObject"]


# ------------------------------------------------------------------ concurrency


def test_chunk_parallel_limit_is_reached_and_never_exceeded():
    fake = FakeCos(delay=0.01)

    async def main():
        await fake.client(ChunkParallelLimit=3).slice_upload_file(**BR, Key="p.bin", Body=os.urandom(10 * MB))

    run(main())
    assert fake.max_in_flight == 3 and sorted(fake.part_numbers) == list(range(1, 11))


def test_file_parallel_limit_queues_the_rest():
    fake = FakeCos(delay=0.01)
    files = [os.urandom(2 * MB) for _ in range(5)]

    async def main():
        cos = fake.client(FileParallelLimit=2, ChunkParallelLimit=1)
        calls = [cos.slice_upload_file(**BR, Key=f"q{i}", Body=d) for i, d in enumerate(files)]
        states = [t["state"] for t in cos.get_task_list()]
        await asyncio.gather(*calls)
        return states

    states = run(main())
    assert states[:2] == ["checking", "checking"] and states[2:] == ["waiting"] * 3
    assert fake.max_in_flight == 2
    assert all(fake.objects[f"q{i}"] == d for i, d in enumerate(files))


# ------------------------------------------------------------------ retry


def test_part_failures_are_retried_with_backoff():
    fake = FakeCos()
    data = os.urandom(4 * MB)
    failures = iter([_error(500, "InternalError"), TransportError("reset"), _error(503, "SlowDown")])

    def fail(op, req):
        if op == "multipartUpload":
            return next(failures, None)
        return None

    fake.fail = fail

    async def main():
        cos = fake.client(ChunkRetryTimes=3)
        await cos.slice_upload_file(**BR, Key="r.bin", Body=data)
        return cos.slept

    slept = run(main())
    assert fake.objects["r.bin"] == data
    assert fake.counts["multipartUpload"] == 4 + 3 and len(slept) == 3 and all(0 < s <= 10 for s in slept)


def test_retries_run_out_then_the_upload_stays_resumable():
    fake = FakeCos()
    data = os.urandom(4 * MB)
    bad = {"on": True}

    def fail(op, req):
        if op == "multipartUpload" and "partNumber=3" in req.url and bad["on"]:
            return _error(500, "InternalError")
        return None

    fake.fail = fail

    async def main():
        cos = fake.client(ChunkRetryTimes=2, ChunkParallelLimit=4, RetryWindow=0)  # retries by count only
        call = cos.slice_upload_file(**BR, Key="x.bin", Body=data)
        with pytest.raises(CosError) as info:
            await call
        task = cos.get_task(call.taskId)
        assert task["state"] == "error" and task["error"]["statusCode"] == 500
        assert info.value.extra["UploadId"] == task["UploadId"]
        puts_failed = fake.counts["multipartUpload"]
        bad["on"] = False
        out = await cos.restart_task(call.taskId)
        return puts_failed, out, cos.get_task(call.taskId)

    puts_failed, out, task = run(main())
    assert puts_failed == 3 + 3  # parts 1, 2, 4 once; part 3 tried 1 + ChunkRetryTimes times
    assert fake.counts["multipartUpload"] == puts_failed + 1  # the restart sent part 3 only
    assert fake.counts["multipartInit"] == 1 and fake.objects["x.bin"] == data
    assert task["state"] == "success" and out["Key"] == "x.bin"


@pytest.mark.parametrize("status", [400, 403, 404])
def test_client_errors_are_not_retried(status):
    fake = FakeCos()
    fake.fail = lambda op, req: _error(status, "Nope") if op == "multipartUpload" else None

    async def main():
        cos = fake.client(ChunkParallelLimit=1)
        with pytest.raises(CosError) as info:
            await cos.slice_upload_file(**BR, Key="n.bin", Body=os.urandom(2 * MB))
        return info.value, cos.slept

    error, slept = run(main())
    assert error.statusCode == status and slept == [] and fake.counts["multipartUpload"] == 1


def test_missing_etag_is_an_error():
    fake = FakeCos()
    fake.fail = lambda op, req: Response(200, {}, "") if op == "multipartUpload" else None

    async def main():
        with pytest.raises(CosError) as info:
            await fake.client().slice_upload_file(**BR, Key="e.bin", Body=os.urandom(2 * MB))
        return info.value

    assert "ETag" in run(main()).message


# ------------------------------------------------------------------ resume


def test_resume_uploads_only_missing_parts_after_checking_md5():
    fake = FakeCos()
    data = os.urandom(5 * MB)
    upload_id = fake.start_upload("res.bin", data, MB, [1, 2, 4])
    hashing: list[dict[str, Any]] = []
    progress: list[dict[str, Any]] = []

    async def main():
        return await fake.client().slice_upload_file(
            **BR, Key="res.bin", Body=data, onHashProgress=hashing.append, onProgress=progress.append
        )

    out = run(main())
    assert out["UploadId"] == upload_id and fake.counts["multipartInit"] == 0
    assert sorted(fake.part_numbers) == [3, 5] and fake.objects["res.bin"] == data
    assert hashing and hashing[-1]["loaded"] == 3 * MB and hashing[-1]["total"] == 5 * MB
    assert progress[0]["loaded"] >= 3 * MB  # parts on the server count as loaded
    assert fake.counts["multipartListPart"] == 2  # paged (2 parts a page in the fake)


def test_resume_skips_uploads_of_other_content_or_layout_or_key():
    fake = FakeCos()
    data = os.urandom(3 * MB)
    other = bytearray(data)
    other[10] ^= 0xFF
    fake.start_upload("k.bin", bytes(other), MB, [1])  # same layout, other bytes
    fake.start_upload("k.bin", data, 2 * MB, [1])  # other part size
    fake.start_upload("k.bin.old", data, MB, [1, 2])  # another key with the same prefix

    async def main():
        # ChunkSize given: the JS SDK's meaning (with none, cos_web resumes the 2 MB upload: test_adaptive)
        return await fake.client(ChunkSize=MB).slice_upload_file(**BR, Key="k.bin", Body=data)

    out = run(main())
    assert fake.counts["multipartInit"] == 1 and out["UploadId"] not in ("up0001", "up0002", "up0003")
    assert sorted(fake.part_numbers) == [1, 2, 3] and fake.objects["k.bin"] == data


def test_resume_prefers_the_newest_matching_upload():
    fake = FakeCos()
    data = os.urandom(3 * MB)
    fake.start_upload("n.bin", data, MB, [1])
    newer = fake.start_upload("n.bin", data, MB, [1, 2])

    async def main():
        return await fake.client().slice_upload_file(**BR, Key="n.bin", Body=data)

    assert run(main())["UploadId"] == newer and fake.part_numbers == [3]


# ------------------------------------------------------------------ pause, restart, cancel


def test_pause_aborts_in_flight_parts_and_restart_finishes():
    fake = FakeCos(delay=0.05)
    data = os.urandom(6 * MB)

    async def main():
        cos = fake.client(ChunkParallelLimit=2)
        call = cos.slice_upload_file(**BR, Key="pz.bin", Body=data)
        await wait_for(lambda: fake.in_flight == 2)
        await cos.pause_task(call.taskId)
        assert cos.get_task(call.taskId)["state"] == "paused"
        assert fake.in_flight == 0 and not call.done()
        sent_before = len(fake.part_numbers)
        await asyncio.sleep(0.1)
        assert len(fake.part_numbers) == sent_before  # nothing started while paused
        assert cos.restart_task(call.taskId) is not None
        out = await call
        return cos, call, out

    cos, call, out = run(main())
    assert cos.get_task(call.taskId)["state"] == "success" and fake.objects["pz.bin"] == data
    assert fake.counts["multipartInit"] == 1 and out["Key"] == "pz.bin"


def test_pausing_a_waiting_task_and_restarting_it():
    fake = FakeCos(delay=0.01)

    async def main():
        cos = fake.client(FileParallelLimit=1)
        first = cos.slice_upload_file(**BR, Key="w1", Body=os.urandom(2 * MB))
        second = cos.slice_upload_file(**BR, Key="w2", Body=os.urandom(2 * MB))
        cos.pause_task(second.taskId)
        await first
        await asyncio.sleep(0.05)
        assert cos.get_task(second.taskId)["state"] == "paused" and "w2" not in fake.objects
        cos.restart_task(second.taskId)
        await second
        return "w2" in fake.objects

    assert run(main())


def test_cancel_aborts_the_multipart_upload_and_frees_the_task():
    fake = FakeCos(delay=0.05)
    seen: list[Any] = []

    async def main():
        cos = fake.client()
        call = cos.slice_upload_file(**BR, Key="c.bin", Body=os.urandom(5 * MB))
        await wait_for(lambda: fake.in_flight > 0)
        await cos.cancel_task(call.taskId)
        with pytest.raises(CosError) as info:
            await call
        seen.append(info.value.code)
        cb = cos.slice_upload_file(**BR, Key="c2.bin", Body=os.urandom(2 * MB), callback=lambda e, d: seen.append(e))
        await wait_for(lambda: fake.in_flight > 0)
        cos.cancelTask(cb.taskId)
        assert await cb is None
        return cos, call

    cos, call = run(main())
    assert seen == ["Canceled"]  # the JS SDK never calls back a canceled task
    assert not fake.uploads and fake.counts["multipartAbort"] == 2 and "c.bin" not in fake.objects
    assert cos.get_task(call.taskId)["state"] == "canceled"
    assert cos._uploads.queue.tasks[call.taskId].source is None


def test_events_report_task_list_updates():
    fake = FakeCos()
    updates: list[list[str]] = []

    async def main():
        cos = fake.client()
        cos.on("task-list-update", lambda info: updates.append([t["state"] for t in info["list"]]))
        await cos.slice_upload_file(**BR, Key="ev", Body=os.urandom(2 * MB))
        await asyncio.sleep(0)

    run(main())
    assert updates[0] == ["checking"] or updates[0] == ["waiting"]
    assert updates[-1] == ["success"] and ["uploading"] in updates


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "params",
    [
        {**BR, "Key": "k"},  # no Body
        {**BR, "Key": "k", "Body": {"not": "a file"}},
        {**BR, "Key": "k", "Body": 42},
        {"Region": R, "Key": "k", "Body": b"x"},
        {"Bucket": "nobucket", "Region": R, "Key": "k", "Body": b"x"},
        {**BR, "Body": b"x"},
        {**BR, "Key": "k", "Body": b"x", "onProgress": "nope"},
        {**BR, "Key": "k", "Body": b"x", "SliceSize": "big"},
        {**BR, "Key": "k", "Body": b"x", "StorageClass": "COLD"},
    ],
)
@pytest.mark.parametrize("method", ["slice_upload_file", "upload_file"])
def test_bad_input_fails_before_any_request(params, method):
    fake = FakeCos()

    async def main():
        cos = fake.client()
        call = getattr(cos, method)(params)
        assert call.taskId is None
        with pytest.raises(CosError) as info:
            await call
        return info.value, cos.get_task_list()

    error, tasks = run(main())
    assert error.code == "InvalidParameter" and tasks == [] and not fake.transport.requests


def test_without_a_running_loop_the_call_is_a_coroutine():
    fake = FakeCos()
    cos = fake.client()
    out = asyncio.run(cos.slice_upload_file(**BR, Key="co", Body=os.urandom(MB + 1)))
    assert out["Key"] == "co" and len(fake.objects["co"]) == MB + 1


# ------------------------------------------------------------------ issue 12: faults the upload rides through


def test_init_is_retried_on_5xx_and_network_errors():
    fake = FakeCos()
    data = os.urandom(2 * MB)
    faults = iter([_error(503, "SlowDown"), TransportError("reset")])
    fake.fail = lambda op, req: next(faults, None) if op == "multipartInit" else None

    async def main():
        cos = fake.client()
        out = await cos.slice_upload_file(**BR, Key="i.bin", Body=data)
        return out, cos.slept

    out, slept = run(main())
    assert fake.counts["multipartInit"] == 3 and len(slept) == 2 and fake.objects["i.bin"] == data
    assert out["UploadId"] in ("up0001", "up0002", "up0003")


def test_any_failure_in_a_part_stops_every_worker():
    fake = FakeCos(delay=0.02)
    data = os.urandom(8 * MB)

    def fail(op, req):
        if op == "multipartUpload" and "partNumber=2&" in req.url:
            return ValueError("the page's signer threw")  # not a CosError
        return None

    fake.fail = fail
    seen: list = []

    async def main():
        cos = fake.client(ChunkParallelLimit=3)
        call = cos.slice_upload_file(**BR, Key="s.bin", Body=data)
        with pytest.raises(CosError) as info:
            await call
        puts = fake.counts["multipartUpload"]
        await asyncio.sleep(0.1)  # nothing more is sent once the task has settled
        seen.extend([puts, fake.counts["multipartUpload"], fake.in_flight])
        return info.value, cos.get_task(call.taskId)

    error, task = run(main())
    assert error.code == "ClientError" and "signer threw" in error.message and task["state"] == "error"
    assert seen[0] == seen[1] and seen[2] == 0 and seen[0] < 8


def test_exhausted_part_retries_name_the_part_attempts_and_upload():
    fake = FakeCos()
    fake.fail = lambda op, req: _error(503, "SlowDown") if op == "multipartUpload" and "partNumber=2&" in req.url else None

    async def main():
        cos = fake.client(ChunkRetryTimes=2, ChunkParallelLimit=1, RetryWindow=0)  # retries by count only
        with pytest.raises(CosError) as info:
            await cos.slice_upload_file(**BR, Key="x2.bin", Body=os.urandom(3 * MB))
        return info.value

    err = run(main())
    assert err.extra["PartNumber"] == 2 and err.extra["Attempts"] == 3 and err.extra["UploadId"] == "up0001"
    assert err.to_dict()["PartNumber"] == 2


def test_an_upload_with_no_parts_is_not_adopted():
    fake = FakeCos()
    data = os.urandom(2 * MB)
    empty = fake.start_upload("z.bin", data, MB, [])  # someone's (another tab's?) fresh upload

    async def main():
        return await fake.client().slice_upload_file(**BR, Key="z.bin", Body=data)

    out = run(main())
    assert out["UploadId"] != empty and fake.counts["multipartInit"] == 1 and fake.objects["z.bin"] == data


def test_restart_trusts_listed_parts_only_when_their_md5_matches():
    fake = FakeCos(delay=0.02)
    data = os.urandom(4 * MB)

    async def main():
        cos = fake.client(ChunkParallelLimit=1)
        call = cos.slice_upload_file(**BR, Key="m.bin", Body=data)
        await wait_for(lambda: len(fake.part_numbers) == 1)
        await cos.pause_task(call.taskId)
        upload_id = cos.get_task(call.taskId)["UploadId"]
        # meanwhile another writer put a part 3 of the same size but other bytes into this upload
        fake.uploads[upload_id]["parts"][3] = os.urandom(MB)
        await cos.restart_task(call.taskId)
        return upload_id

    run(main())
    assert fake.objects["m.bin"] == data
    assert fake.part_numbers.count(3) == 1  # part 3 was sent (again), not adopted


def test_two_clients_uploading_same_size_files_to_one_key_end_with_one_file():
    fake = FakeCos(delay=0.01)
    one, two = os.urandom(4 * MB), os.urandom(4 * MB)

    async def main():
        a, b = fake.client(ChunkParallelLimit=1), fake.client(ChunkParallelLimit=1)
        first = a.slice_upload_file(**BR, Key="same.bin", Body=one)
        await wait_for(lambda: fake.counts["multipartInit"] == 1)  # a's upload exists, with no part yet
        second = b.slice_upload_file(**BR, Key="same.bin", Body=two)
        await asyncio.gather(first, second)

    run(main())
    assert fake.objects["same.bin"] in (one, two)
    assert fake.counts["multipartInit"] == 2


def _slow_init(fake: FakeCos, seconds: float) -> None:
    """The fake's multipartInit answers after ``seconds`` (the request is on the server meanwhile)."""
    real = fake._multipartInit

    async def slow(key, query, req):
        await asyncio.sleep(seconds)
        return await real(key, query, req)

    fake._multipartInit = slow  # type: ignore[method-assign]


def test_cancel_during_init_aborts_the_upload_once_its_id_arrives():
    fake = FakeCos()
    _slow_init(fake, 0.05)

    async def main():
        cos = fake.client()
        call = cos.slice_upload_file(**BR, Key="ci.bin", Body=os.urandom(2 * MB))
        await wait_for(lambda: fake.counts["multipartInit"] == 1)
        await cos.cancel_task(call.taskId)
        with pytest.raises(CosError) as info:
            await call
        return info.value, cos.get_task(call.taskId)

    error, task = run(main())
    assert error.code == "Canceled" and task["state"] == "canceled"
    assert fake.uploads == {} and fake.counts["multipartAbort"] == 1 and fake.counts["multipartUpload"] == 0


def test_pause_during_init_then_restart_uses_that_upload():
    fake = FakeCos()
    _slow_init(fake, 0.05)
    data = os.urandom(2 * MB)

    async def main():
        cos = fake.client()
        call = cos.slice_upload_file(**BR, Key="pi.bin", Body=data)
        await wait_for(lambda: fake.counts["multipartInit"] == 1)
        await cos.pause_task(call.taskId)
        return await cos.restart_task(call.taskId)

    out = run(main())
    assert fake.counts["multipartInit"] == 1 and out["UploadId"] == "up0001" and fake.objects["pi.bin"] == data
    assert fake.uploads == {}


def test_a_signer_that_never_answers_fails_the_request():
    cos = COS(getAuthorization=lambda options, callback: None, transport=FakeCos().transport)
    cos._credentials.answer_timeout = 0.05

    async def main():
        return await asyncio.wait_for(cos.head_bucket(**BR), 5)  # (without the bound: a hang)

    with pytest.raises(CosError) as info:
        run(main())
    assert info.value.code == "CredentialsError" and "getAuthorization did not answer" in info.value.message


def _complete_then_lose_answer(fake: FakeCos, times: int = 1) -> None:
    """multipartComplete commits on the server, then its answer is lost ``times`` times."""
    real = fake._multipartComplete
    lost = {"left": times}

    async def commit_then_drop(key, query, req):
        response = await real(key, query, req)
        if lost["left"] > 0:
            lost["left"] -= 1
            raise TransportError("connection reset after the commit")
        return response

    fake._multipartComplete = commit_then_drop  # type: ignore[method-assign]


def test_a_lost_complete_answer_is_recovered_from_the_object():
    fake = FakeCos()
    data = os.urandom(3 * MB + 5)
    _complete_then_lose_answer(fake)

    async def main():
        return await fake.client().slice_upload_file(**BR, Key="lc.bin", Body=data)

    out = run(main())
    assert fake.objects["lc.bin"] == data
    assert out["ETag"] == fake.etags["lc.bin"] and out["Key"] == "lc.bin" and out["statusCode"] == 200
    assert out["UploadId"] == "up0001" and out["Location"].endswith("/lc.bin")
    # no whole-file restart: one init, each part once, the complete twice (commit, then NoSuchUpload)
    assert fake.counts["multipartInit"] == 1 and fake.counts["multipartUpload"] == 4
    assert fake.counts["multipartComplete"] == 2 and fake.counts["headObject"] == 1


def test_no_such_upload_on_complete_with_another_object_is_still_an_error():
    fake = FakeCos()
    data = os.urandom(2 * MB)
    real = fake._multipartComplete

    async def someone_else_won(key, query, req):
        fake.uploads.pop(query["uploadId"], None)
        fake.objects[key], fake.etags[key] = b"other", '"0123456789abcdef0123456789abcdef-2"'
        return await real(key, query, req)

    fake._multipartComplete = someone_else_won  # type: ignore[method-assign]

    async def main():
        with pytest.raises(CosError) as info:
            await fake.client().slice_upload_file(**BR, Key="ow.bin", Body=data)
        return info.value

    assert run(main()).code == "NoSuchUpload" and fake.objects["ow.bin"] == b"other"
