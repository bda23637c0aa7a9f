"""The pure parts of multipart upload: planning, the retry policy, resume matching, sources."""

from __future__ import annotations

import pytest

from cos_web import CosError
from cos_web.retry import part_limits, retry_delay
from cos_web.upload import (
    MB,
    BytesSource,
    Plan,
    make_source,
    match_server_parts,
    multipart_etag,
    part_size_for,
    plan_upload,
    same_etag,
)


def part_retry_delay(err, attempt, retries, rand=None):
    """The retry policy with the limits of parts (ChunkRetryTimes = retries)."""
    return retry_delay(err, attempt, part_limits(retries), rand=rand)


def err(status=None, code=None):
    return CosError("x", code=code, statusCode=status)


# ------------------------------------------------------------------ planning


def test_part_size_is_chunk_size_when_parts_fit():
    assert part_size_for(5 * MB, MB) == MB
    assert part_size_for(5 * MB, 3 * MB) == 3 * MB


def test_part_size_never_below_the_cos_minimum():
    assert part_size_for(5 * MB, 1000) == MB
    assert part_size_for(5 * MB, 0) == MB


@pytest.mark.parametrize(
    ("size", "max_parts", "expected"),
    [
        (10000 * MB, 10000, MB),
        (10000 * MB + 1, 10000, 2 * MB),
        (20 * 1024 * MB, 10000, 4 * MB),  # 20 GB: 2 MB would need 10240 parts
        (1024 * MB, 1000, 2 * MB),  # MaxPartNumber lowers the count
        (48 * 1024 * 1024 * MB, 10000, 5120 * MB),  # 48 TB: the ladder's top
    ],
)
def test_part_size_raised_along_the_js_ladder(size, max_parts, expected):
    assert part_size_for(size, MB, max_parts) == expected
    assert -(-size // expected) <= max_parts


def test_plan_covers_the_file_with_contiguous_parts():
    plan = plan_upload(3 * MB + 5, MB)
    assert [(p.number, p.start, p.end) for p in plan.parts] == [
        (1, 0, MB),
        (2, MB, 2 * MB),
        (3, 2 * MB, 3 * MB),
        (4, 3 * MB, 3 * MB + 5),
    ]
    assert plan.part_size == MB and plan.size == 3 * MB + 5 and plan.upload_id is None


def test_plan_exact_multiple_has_no_empty_last_part():
    plan = plan_upload(2 * MB, MB)
    assert [p.size for p in plan.parts] == [MB, MB]


def test_plan_of_a_huge_file_stays_within_max_parts():
    plan = plan_upload(30 * 1024 * MB, MB)
    assert len(plan.parts) <= 10000 and plan.parts[-1].end == 30 * 1024 * MB


def test_loaded_is_derived_from_part_state():
    plan = plan_upload(3 * MB, MB)
    assert plan.loaded() == 0
    plan.part_done(plan.parts[0], '"a"')
    plan.part_sent(plan.parts[1], 100)
    assert plan.loaded() == MB + 100
    plan.part_sent(plan.parts[1], 300)
    assert plan.loaded() == MB + 300
    plan.part_failed(plan.parts[1])
    assert plan.loaded() == MB
    plan.part_sent(plan.parts[1], 100)
    plan.parts[2].etag = '"c"'  # marked directly (resume): recount re-derives the totals
    plan.recount()
    assert plan.loaded() == 2 * MB + 100 == sum(p.size if p.etag else p.sent for p in plan.parts)
    plan.parts[2].etag = None
    plan.recount()
    assert [p.number for p in plan.pending()] == [2, 3]
    assert plan.complete_parts()[0] == {"PartNumber": 1, "ETag": '"a"'}
    plan.upload_id = "u"
    plan.forget_server()
    assert plan.loaded() == 0 and plan.upload_id is None


def test_loaded_keeps_a_running_total_of_parts_in_flight():
    """Plan.loaded is O(1) (called per progress event): the running total matches the parts' state
    through sends, a retry, parts done, a failure and a forgotten upload."""
    plan = plan_upload(4 * MB, MB)
    a, b, c, d = plan.parts

    def derived() -> int:
        return sum(p.size if p.etag else p.sent for p in plan.parts)

    assert plan.part_sent(a, 10) == 10 == plan.loaded()
    assert plan.part_sent(b, 20) == 30 == plan.loaded()
    assert plan.part_sent(a, 500) == 520 == plan.loaded() == derived()
    plan.part_failed(b)
    assert plan.loaded() == 500 == derived() and b.sent == 0
    plan.part_failed(b)  # twice: no double subtraction
    assert plan.loaded() == 500
    assert plan.part_sent(b, 7) == 507  # the retry starts from 0 again
    plan.part_done(a, '"a"')
    assert plan.loaded() == MB + 7 == derived()
    plan.part_done(a, '"a"')  # answered twice: counted once
    assert plan.loaded() == MB + 7
    plan.part_sent(c, MB)
    plan.part_sent(d, 3)
    assert plan.loaded() == 2 * MB + 10 == derived()
    plan.forget_server()
    assert plan.loaded() == 0 == derived()
    assert plan.part_sent(c, 5) == 5


def test_plan_to_dict_is_plain_data():
    plan = plan_upload(2 * MB + 1, MB)
    plan.parts[0].etag = '"e"'
    d = plan.to_dict()
    assert d["partCount"] == 3 and d["doneCount"] == 1 and d["parts"][0]["ETag"] == '"e"'


# ------------------------------------------------------------------ retry policy


@pytest.mark.parametrize(
    "error",
    [err(None, "NetworkError"), err(None, "Timeout"), err(500, "InternalError"), err(503, "SlowDown"), err(429, "x")],
)
def test_retried_errors(error):
    assert part_retry_delay(error, 0, 2) is not None
    assert part_retry_delay(error, 1, 2) is not None
    assert part_retry_delay(error, 2, 2) is None  # ChunkRetryTimes used up


@pytest.mark.parametrize(
    "error",
    [err(400, "EntityTooSmall"), err(403, "AccessDenied"), err(404, "NoSuchUpload"), err(None, "InvalidParameter"),
     err(None, "Canceled"), ValueError("x")],  # fmt: skip
)
def test_final_errors_are_not_retried(error):
    assert part_retry_delay(error, 0, 5) is None


def test_backoff_doubles_with_jitter_and_a_cap():
    e = err(500)
    low = [part_retry_delay(e, a, 10, rand=lambda: 0.0) for a in range(6)]
    high = [part_retry_delay(e, a, 10, rand=lambda: 1.0) for a in range(6)]
    assert high == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0]
    assert low == [h / 2 for h in high]


def test_zero_retries():
    assert part_retry_delay(err(500), 0, 0) is None


# ------------------------------------------------------------------ resume matching


def test_same_etag():
    assert same_etag("abc", '"ABC"') and same_etag("abc", "abc")
    assert not same_etag("abc", '"abd"') and not same_etag("abc", None)


def test_server_parts_matching_the_plan():
    plan = plan_upload(3 * MB + 10, MB)
    listed = [
        {"PartNumber": "4", "Size": "10", "ETag": '"d"'},
        {"PartNumber": "1", "Size": str(MB), "ETag": '"a"'},
    ]
    pairs = match_server_parts(plan, listed)
    assert [(p.number, e) for p, e in pairs] == [(1, '"a"'), (4, '"d"')]
    assert match_server_parts(plan, []) == []


@pytest.mark.parametrize(
    "listed",
    [
        [{"PartNumber": "1", "Size": str(2 * MB), "ETag": '"a"'}],  # another part size
        [{"PartNumber": "5", "Size": "10", "ETag": '"a"'}],  # beyond our parts (a bigger file)
        [{"PartNumber": "4", "Size": "11", "ETag": '"a"'}],  # last part of another size
        [{"PartNumber": "x", "Size": "10", "ETag": '"a"'}],
    ],
)
def test_server_parts_that_cannot_be_ours(listed):
    assert match_server_parts(plan_upload(3 * MB + 10, MB), listed) is None


# ------------------------------------------------------------------ sources


def test_bytes_source_slices_and_hashes():
    import asyncio
    import hashlib

    src = make_source(b"0123456789")
    assert isinstance(src, BytesSource) and src.size == 10
    assert src.slice(2, 5).value == b"234" and src.slice(2, 5).size == 3
    assert asyncio.run(src.md5(2, 5)) == hashlib.md5(b"234").hexdigest()
    assert make_source("腾讯").size == 6
    assert make_source(bytearray(b"ab")).slice(0, 2).value == b"ab"


@pytest.mark.parametrize("body", [None, {"a": 1}, 12, [b"a"], object()])
def test_bad_bodies(body):
    with pytest.raises(CosError) as info:
        make_source(body)
    assert info.value.code == "InvalidParameter" and "Body" in info.value.message


def test_plan_is_a_dataclass_value():
    assert Plan(0, MB).parts == []


def test_multipart_etag_is_md5_of_part_md5s():
    import hashlib

    parts = [b"a" * 10, b"b" * 7]
    etags = [f'"{hashlib.md5(p).hexdigest()}"' for p in parts]
    want = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    assert multipart_etag(etags) == f'"{want}-2"'
    assert multipart_etag(['"not-an-md5"']) is None
