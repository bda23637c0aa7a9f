"""The client's policy in CPython with a mock transport: calling convention, parameter
checks, credentials (keys, getAuthorization, getSTS), retries, clock skew, timeout, progress."""

from __future__ import annotations

import asyncio
import email.utils
from typing import Any

import pytest

from cos_web import COS, CosError
from cos_web.auth import parse_authorization
from cos_web.operations import OPERATIONS
from cos_web.transport import MockTransport, Response, TransportError

B, R = "test-1250000000", "ap-guangzhou"
KEYS = {"SecretId": "AKIDtest", "SecretKey": "k" * 32}
XML_LIST = "<ListBucketResult><Name>n</Name><Contents><Key>a</Key></Contents></ListBucketResult>"


def run(coro):
    return asyncio.run(coro)


def make(handler=None, **options: Any) -> tuple[COS, MockTransport]:
    transport = MockTransport(handler or (lambda req: Response(200, {"x-cos-request-id": "rid"}, "")))
    return COS({**KEYS, **options}, transport=transport), transport


# ------------------------------------------------------------------ calling convention


def test_every_operation_has_snake_and_camel_methods():
    for op in OPERATIONS.values():
        assert getattr(COS, op.name) is getattr(COS, op.snake)
    for name in ("get_object_url", "getObjectUrl", "get_auth", "getAuth", "get_authorization", "getAuthorization"):
        assert hasattr(COS, name)
    assert "put_bucket" in dir(COS) and "multipart_list_part" in dir(COS)


def test_kwargs_dict_and_callback_forms():
    cos, transport = make(lambda req: Response(200, {}, XML_LIST))
    seen: list[Any] = []

    async def main():
        a = await cos.get_bucket(Bucket=B, Region=R)
        b = await cos.getBucket({"Bucket": B, "Region": R})
        c = await cos.get_bucket({"Bucket": B}, lambda err, data: seen.append((err, data)), Region=R)
        d = await cos.get_bucket({"Bucket": B, "Region": R}, callback=lambda err, data: seen.append((err, data)))
        return a, b, c, d

    a, b, c, d = run(main())
    assert a == b == c == d
    assert a["Contents"] == [{"Key": "a"}] and a["CommonPrefixes"] == []
    assert [s[0] for s in seen] == [None, None] and seen[0][1] == a


def test_callback_gets_error_and_awaitable_does_not_raise():
    cos, _ = make(lambda req: Response(404, {}, "<Error><Code>NoSuchKey</Code><Message>gone</Message></Error>"))
    seen: list[Any] = []

    async def main():
        return await cos.get_object({"Bucket": B, "Region": R, "Key": "x"}, lambda err, data: seen.append((err, data)))

    assert run(main()) is None
    err, data = seen[0]
    assert data is None and isinstance(err, CosError)
    assert (err.code, err.message, err.statusCode) == ("NoSuchKey", "gone", 404)


def test_call_starts_without_await_when_loop_runs():
    cos, transport = make()

    async def main():
        done = asyncio.Event()
        cos.delete_object(Bucket=B, Region=R, Key="k", callback=lambda e, d: done.set())
        await asyncio.wait_for(done.wait(), 5)

    run(main())
    assert transport.requests[0].method == "DELETE"


def test_without_loop_returns_coroutine():
    cos, _ = make()
    coro = cos.head_bucket(Bucket=B, Region=R)
    assert asyncio.iscoroutine(coro)
    assert asyncio.run(coro)["statusCode"] == 200


# ------------------------------------------------------------------ parameter checks


@pytest.mark.parametrize(
    ("api", "params", "name"),
    [
        ("getBucket", {"Region": R}, "Bucket"),
        ("getBucket", {"Bucket": B}, "Region"),
        ("getObject", {"Bucket": B, "Region": R}, "Key"),
        ("getBucket", {"Bucket": "nodash", "Region": R}, "Bucket"),
        ("getBucket", {"Bucket": "Upper-1250000000", "Region": R}, "Bucket"),
        ("getBucket", {"Bucket": B, "Region": "cos.ap-guangzhou"}, "Region"),
        ("getBucket", {"Bucket": B, "Region": "ap guangzhou"}, "Region"),
        ("getBucket", {"Bucket": 123, "Region": R}, "Bucket"),
        ("getBucket", {"Bucket": B, "Region": R, "MaxKeys": [1]}, "MaxKeys"),
        ("putObject", {"Bucket": B, "Region": R, "Key": "a/", "Body": "x"}, "Key"),
        ("putObject", {"Bucket": B, "Region": R, "Key": "a"}, "Body"),
        ("putObject", {"Bucket": B, "Region": R, "Key": "a", "Body": 42}, "Body"),
        ("putObject", {"Bucket": B, "Region": R, "Key": "a", "Body": "x", "ACL": "public"}, "ACL"),
        ("putObject", {"Bucket": B, "Region": R, "Key": "a", "Body": "x", "StorageClass": "GOLD"}, "StorageClass"),
        ("putBucketAcl", {"Bucket": B, "Region": R, "ACL": "bucket-owner-read"}, "ACL"),
        ("putObject", {"Bucket": B, "Region": R, "Key": "a", "Body": "x", "onProgress": 3}, "onProgress"),
        ("getObject", {"Bucket": B, "Region": R, "Key": "../"}, "Key"),
        ("getObject", {"Bucket": B, "Region": R, "Key": "a", "DataType": "json"}, "DataType"),
        ("putObjectCopy", {"Bucket": B, "Region": R, "Key": "a"}, "CopySource"),
        ("putObjectCopy", {"Bucket": B, "Region": R, "Key": "a", "CopySource": "http://x/y"}, "CopySource"),
        ("deleteMultipleObject", {"Bucket": B, "Region": R}, "Objects"),
        ("deleteMultipleObject", {"Bucket": B, "Region": R, "Objects": [{"Key": ""}]}, "Objects"),
        ("multipartUpload", {"Bucket": B, "Region": R, "Key": "a", "UploadId": "u", "Body": "x"}, "PartNumber"),
        ("multipartUpload", {"Bucket": B, "Region": R, "Key": "a", "UploadId": "u", "PartNumber": 0, "Body": "x"}, "PartNumber"),
        ("multipartComplete", {"Bucket": B, "Region": R, "Key": "a", "UploadId": "u"}, "Parts"),
        ("multipartComplete", {"Bucket": B, "Region": R, "Key": "a", "UploadId": "u", "Parts": [{"PartNumber": 1}]}, "Parts"),
        ("multipartListPart", {"Bucket": B, "Region": R, "Key": "a"}, "UploadId"),
        ("multipartAbort", {"Bucket": B, "Region": R, "Key": "a"}, "UploadId"),
        ("putBucketCors", {"Bucket": B, "Region": R}, "CORSRules"),
        ("optionsObject", {"Bucket": B, "Region": R, "Key": "a", "Origin": "http://x"}, "AccessControlRequestMethod"),
        ("putObjectCopy", {"Bucket": B, "Region": R, "Key": "a", "CopySource": "test-1250000000.cos.ap-guangzhou.myqcloud.com/a", "MetadataDirective": "Move"}, "MetadataDirective"),
    ],
)
def test_bad_parameters_raise_before_any_request(api, params, name):
    cos, transport = make()
    with pytest.raises(CosError) as info:
        run(getattr(cos, api)(params))
    assert info.value.code == "InvalidParameter"
    assert info.value.statusCode is None
    assert name in info.value.message
    assert transport.requests == []


def test_folder_marker_and_leading_slash_are_fine():
    cos, transport = make()
    run(cos.put_object(Bucket=B, Region=R, Key="dir/", Body=""))
    run(cos.put_object(Bucket=B, Region=R, Key="/lead.txt", Body=b"\x00\x01"))
    assert transport.requests[0].url.endswith("/dir/")
    assert transport.requests[1].url.endswith(".myqcloud.com/lead.txt")
    assert transport.requests[1].headers["Content-Length"] == "2"


def test_domain_without_bucket_placeholder_skips_bucket_check():
    cos, transport = make(Domain="http://127.0.0.1:9000")
    run(cos.head_bucket(Region=R))
    assert transport.requests[0].url == "http://127.0.0.1:9000/"


# ------------------------------------------------------------------ endpoint and signing


def test_domain_template_with_port_signs_host_with_port():
    cos, transport = make(Domain="http://{Bucket}.cos.{Region}.localhost:9000", StartTime=1700000000, ExpiredTime=1700003600)
    run(cos.get_object(Bucket=B, Region=R, Key="a b/腾讯.txt"))
    req = transport.requests[0]
    assert req.url == "http://test-1250000000.cos.ap-guangzhou.localhost:9000/a%20b/%E8%85%BE%E8%AE%AF.txt"
    expected = COS.get_authorization(
        **KEYS,
        Method="GET",
        Key="a b/腾讯.txt",
        KeyTime="1700000000;1700003600",
        Headers={"Host": "test-1250000000.cos.ap-guangzhou.localhost:9000"},
    )
    assert req.headers["Authorization"] == expected


def test_protocol_option():
    cos, transport = make(Protocol="http")
    run(cos.head_bucket(Bucket=B, Region=R))
    assert transport.requests[0].url.startswith("http://test-1250000000.cos.ap-guangzhou.myqcloud.com/")


def test_get_object_url_signed_unsigned_and_awaited():
    cos, _ = make(StartTime=1700000000, ExpiredTime=1700003600)
    plain = cos.get_object_url(Bucket=B, Region=R, Key="1.jpg", Sign=False, Query={"b": "2", "A": "1 x"})
    assert plain == f"https://{B}.cos.{R}.myqcloud.com/1.jpg?A=1%20x&b=2"
    signed = cos.get_object_url(Bucket=B, Region=R, Key="1.jpg", Expires=60)
    fields = parse_authorization(signed.split("?", 1)[1])
    assert fields["q-header-list"] == "host" and fields["q-sign-time"] == "1700000000;1700000060"

    async def main():
        return await cos.getObjectUrl(Bucket=B, Region=R, Key="1.jpg", Query={"x": "1"})

    data = run(main())
    assert data["Url"].startswith(f"https://{B}.cos.{R}.myqcloud.com/1.jpg?q-sign-algorithm=sha1")
    assert "q-url-param-list=x&" in data["Url"] and data["Url"].endswith("&x=1")


# ------------------------------------------------------------------ credentials


def _ok(req):
    return Response(200, {}, "")


def test_get_authorization_python_sync_return_async_and_callback():
    seen = []

    def by_return(options, callback):
        seen.append(options)
        return "q-sign-algorithm=sha1&q-ak=a&q-sign-time=1;2&q-key-time=1;2&q-header-list=&q-url-param-list=&q-signature=x"

    async def by_async(options, callback):
        await asyncio.sleep(0)
        return {"Authorization": by_return(options, None), "XCosSecurityToken": "tok"}

    def by_callback(options, callback):
        asyncio.get_running_loop().call_later(0.01, callback, {"Authorization": by_return(options, None)})

    def by_callback_returning_a_handle(options, callback):
        # like `(o, cb) => setTimeout(...)` or `$.get(...)` in a page: the return value is no answer
        return asyncio.get_running_loop().call_later(0.01, callback, by_return(options, None))

    for fn in (by_return, by_async, by_callback, by_callback_returning_a_handle):
        transport = MockTransport(_ok)
        cos = COS(getAuthorization=fn, transport=transport)
        run(cos.put_object(Bucket=B, Region=R, Key="k", Body="x", ACL="private"))
        req = transport.requests[0]
        assert req.headers["Authorization"].startswith("q-sign-algorithm=sha1&q-ak=a")
        assert ("x-cos-security-token" in req.headers) == (fn is by_async)
    opts = seen[0]
    assert opts["Method"] == "PUT" and opts["Key"] == "k" and opts["Bucket"] == B and opts["Region"] == R
    assert opts["Headers"]["Host"] == f"{B}.cos.{R}.myqcloud.com" and opts["Headers"]["x-cos-acl"] == "private"
    assert "Content-Type" not in opts["Headers"] and opts["Query"] == {}
    assert opts["Scope"] == [{"action": "name/cos:PutObject", "bucket": B, "region": R, "prefix": "k"}]


def test_get_authorization_bad_answer_is_an_error():
    cos = COS(getAuthorization=lambda o, cb: "not a signature", transport=MockTransport(_ok))
    with pytest.raises(CosError) as info:
        run(cos.head_bucket(Bucket=B, Region=R))
    assert "format error" in info.value.message


def test_get_sts_is_cached_until_expired_time():
    now = [1_700_000_000.0]
    calls = []

    def get_sts(options, callback):
        calls.append(options)
        callback(
            {
                "SecretId": "tmpid",
                "SecretKey": "tmpkey",
                "XCosSecurityToken": f"token{len(calls)}",
                "ExpiredTime": int(now[0]) + 600,
            }
        )

    transport = MockTransport(_ok)
    cos = COS(getSTS=get_sts, transport=transport, clock=lambda: now[0])

    async def main():
        await asyncio.gather(*(cos.head_object(Bucket=B, Region=R, Key=f"k{i}") for i in range(5)))
        now[0] += 500  # 100 s left: still cached
        await cos.head_bucket(Bucket=B, Region=R)
        now[0] += 60  # 40 s left: refreshed
        await cos.head_bucket(Bucket=B, Region=R)

    run(main())
    assert calls == [{"Bucket": B, "Region": R}, {"Bucket": B, "Region": R}]
    tokens = [r.headers["x-cos-security-token"] for r in transport.requests]
    assert tokens == ["token1"] * 6 + ["token2"]
    assert all(parse_authorization(r.headers["Authorization"])["q-ak"] == "tmpid" for r in transport.requests)


def test_get_sts_missing_fields_error():
    cos = COS(getSTS=lambda o, cb: cb({"SecretId": "a", "SecretKey": "b"}), transport=MockTransport(_ok))
    with pytest.raises(CosError) as info:
        run(cos.head_bucket(Bucket=B, Region=R))
    assert "SecurityToken" in info.value.message


def test_anonymous_without_credentials():
    transport = MockTransport(_ok)
    run(COS(transport=transport).head_bucket(Bucket=B, Region=R))
    assert "Authorization" not in transport.requests[0].headers


# ------------------------------------------------------------------ retries, skew, timeout


def _sequence(*responses):
    it = iter(responses)

    def handler(req):
        item = next(it)
        if isinstance(item, Exception):
            raise item
        return item

    return handler


def test_idempotent_retry_on_5xx_and_network_then_success(monkeypatch):
    monkeypatch.setattr("cos_web.retry.random.random", lambda: 0.0)
    sleeps = []

    async def fake_sleep(delay):
        sleeps.append(delay)

    cos, transport = make(
        _sequence(
            Response(503, {}, "<Error><Code>ServiceUnavailable</Code></Error>"),
            TransportError(),
            Response(200, {}, XML_LIST),
        )
    )
    cos._pipeline.sleep = fake_sleep
    data = run(cos.get_bucket(Bucket=B, Region=R))
    assert data["Name"] == "n"
    assert len(transport.requests) == 3 and sleeps == [0.1, 0.2]
    assert "x-cos-sdk-retry" not in transport.requests[0].headers
    assert transport.requests[1].headers["x-cos-sdk-retry"] == "true"
    auths = [parse_authorization(r.headers["Authorization"])["q-header-list"] for r in transport.requests]
    assert auths == ["host", "host;x-cos-sdk-retry", "host;x-cos-sdk-retry"]


async def _no_sleep(delay):
    pass


def test_retries_stop_after_three():
    # RetryWindow 0: the JS SDK's count alone (4 attempts)
    cos, transport = make(lambda req: Response(500, {}, "<Error><Code>InternalError</Code></Error>"), RetryWindow=0)
    cos._pipeline.sleep = _no_sleep
    with pytest.raises(CosError) as info:
        run(cos.head_bucket(Bucket=B, Region=R))
    assert info.value.code == "InternalError" and len(transport.requests) == 4


def test_retries_go_on_within_the_retry_window():
    # by default failures are retried past the count for 20 s (of back-off here): an outage of
    # 10 s is ridden through, and the retries still end
    slept = []

    async def sleep(s):
        slept.append(s)

    cos, transport = make(lambda req: Response(503, {}, "<Error><Code>ServiceUnavailable</Code></Error>"))
    cos._pipeline.sleep = sleep
    with pytest.raises(CosError):
        run(cos.head_bucket(Bucket=B, Region=R))
    assert len(transport.requests) > 4 and 10 < sum(slept) < 20 + 2 and max(slept) <= 2
    answers = [Response(503, {}, "")] * 12 + [Response(200, {}, "")]
    cos, transport = make(lambda req: answers.pop(0))
    cos._pipeline.sleep = _no_sleep
    assert run(cos.head_bucket(Bucket=B, Region=R))["statusCode"] == 200


def test_no_retry_on_4xx():
    cos, transport = make(lambda req: Response(403, {}, "<Error><Code>AccessDenied</Code><Message>m</Message></Error>"))
    with pytest.raises(CosError):
        run(cos.head_bucket(Bucket=B, Region=R))
    assert len(transport.requests) == 1


def test_posts_are_retried_as_the_js_sdk_does():
    # multipartInit is a POST; the JS SDK retries every request on 5xx / network errors
    answers = [Response(503, {}, ""), Response(200, {}, "<InitiateMultipartUploadResult><UploadId>u1</UploadId>"
                                                        "</InitiateMultipartUploadResult>")]
    cos, transport = make(lambda req: answers.pop(0))
    cos._pipeline.sleep = _no_sleep
    data = run(cos.multipart_init(Bucket=B, Region=R, Key="k"))
    assert data["UploadId"] == "u1" and len(transport.requests) == 2
    assert transport.requests[1].headers.get("x-cos-sdk-retry") == "true"


def test_network_error_shape():
    def fail(req):
        raise TransportError()

    cos, transport = make(fail, RetryWindow=0)  # the JS SDK's 4 attempts
    cos._pipeline.sleep = _no_sleep
    with pytest.raises(CosError) as info:
        run(cos.head_bucket(Bucket=B, Region=R))
    assert info.value.statusCode is None and info.value.code == "NetworkError"
    assert len(transport.requests) == 4


def test_clock_skew_corrected_and_retried_once():
    server_time = 1_800_000_000
    date = email.utils.formatdate(server_time, usegmt=True)
    skewed = Response(
        403,
        {"date": date},
        "<Error><Code>RequestTimeTooSkewed</Code><Message>skew</Message></Error>",
    )
    cos, transport = make(_sequence(skewed, Response(200, {}, "")), CorrectClockSkew=True)
    cos._credentials.clock = lambda: 1_700_000_000.0
    run(cos.delete_object(Bucket=B, Region=R, Key="k"))
    assert len(transport.requests) == 2
    assert cos.options["SystemClockOffset"] == (server_time - 1_700_000_000) * 1000
    start = int(parse_authorization(transport.requests[1].headers["Authorization"])["q-sign-time"].split(";")[0])
    assert start == server_time - 1
    # a second skew answer is not retried again
    cos, transport = make(_sequence(skewed, skewed, skewed), CorrectClockSkew=True)
    cos._credentials.clock = lambda: 1_700_000_000.0
    with pytest.raises(CosError):
        run(cos.delete_object(Bucket=B, Region=R, Key="k"))
    assert len(transport.requests) == 2


def test_clock_skew_off():
    skewed = Response(403, {"date": "Thu, 01 Jan 2037 00:00:00 GMT"}, "<Error><Code>RequestTimeTooSkewed</Code></Error>")
    cos, transport = make(lambda req: skewed, CorrectClockSkew=False)
    with pytest.raises(CosError):
        run(cos.delete_object(Bucket=B, Region=R, Key="k"))
    assert len(transport.requests) == 1


def test_timeout_bounds_a_request(monkeypatch):
    monkeypatch.setattr("cos_web.pipeline.retry_delay", lambda *a, **k: None)

    async def slow(req):
        await asyncio.sleep(5)
        return Response(200, {}, "")

    cos, _ = make(slow, Timeout=50)
    with pytest.raises(CosError) as info:
        run(cos.head_bucket(Bucket=B, Region=R))
    assert info.value.code == "Timeout" and info.value.statusCode is None


def test_cancelling_the_task_cancels_the_send():
    cancelled = asyncio.Event()

    async def slow(req):
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return Response(200, {}, "")

    cos, _ = make(slow)

    async def main():
        task = cos.head_bucket(Bucket=B, Region=R)
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert cancelled.is_set()

    run(main())


# ------------------------------------------------------------------ results and progress


def test_tolerated_errors_become_results():
    cos, _ = make(lambda req: Response(304, {}, ""))
    assert run(cos.head_object(Bucket=B, Region=R, Key="k", IfModifiedSince="x")) == {"NotModified": True, "statusCode": 304}
    with pytest.raises(CosError) as info:
        run(cos.head_object(Bucket=B, Region=R, Key="k", IfNoneMatch='"e"'))
    assert info.value.statusCode == 304
    cos, _ = make(lambda req: Response(403, {}, ""))
    assert run(cos.options_object(Bucket=B, Region=R, Key="k", Origin="o", AccessControlRequestMethod="GET")) == {
        "OptionsForbidden": True,
        "statusCode": 403,
    }


def test_get_object_body_types():
    def handler(req):
        body = "héllo" if req.response_type == "text" else "héllo".encode()
        return Response(200, {"etag": '"e"'}, body)

    cos, transport = make(handler)
    data = run(cos.get_object(Bucket=B, Region=R, Key="k"))
    assert data["Body"] == "héllo".encode() and data["ETag"] == '"e"'
    assert run(cos.get_object(Bucket=B, Region=R, Key="k", DataType="text"))["Body"] == "héllo"
    assert [r.response_type for r in transport.requests] == ["bytes", "text"]


def test_put_object_progress_start_and_end():
    reports = []
    cos, transport = make(ProgressInterval=10)
    data = run(cos.put_object(Bucket=B, Region=R, Key="k", Body=b"x" * 1000, onProgress=reports.append))
    assert data["ETag"] == "" and data["Location"] == f"{B}.cos.{R}.myqcloud.com/k"
    assert reports[0]["loaded"] == 0 and reports[0]["percent"] == 0
    assert reports[-1]["loaded"] == 1000 and reports[-1]["total"] == 1000 and reports[-1]["percent"] == 1
    assert set(reports[-1]) == {"loaded", "total", "speed", "percent"}
    assert transport.requests[0].on_upload_progress is not None


def test_request_seam_for_other_modules():
    seen = []
    cos, transport = make(lambda req: Response(200, {"etag": '"p1"'}, ""))
    data = run(
        cos._pipeline.send(
            "multipartUpload",
            {"Bucket": B, "Region": R, "Key": "big", "UploadId": "u", "PartNumber": 3, "Body": b"abc"},
            on_progress=lambda loaded, total: seen.append((loaded, total)),
        )
    )
    assert data["ETag"] == '"p1"' and data["statusCode"] == 200
    assert transport.requests[0].url.endswith("/big?partNumber=3&uploadId=u")
    assert seen == [(3, 3)]


# ------------------------------------------------------------------ options


def test_unknown_options_are_warned_about():
    with pytest.warns(UserWarning, match="unknown option.*ChunkSzie"):
        cos = COS(SecretId="a", SecretKey="b", ChunkSzie=5)
    assert cos.options["ChunkSize"] == 1024 * 1024


def test_known_options_are_not_warned_about(recwarn):
    COS({**KEYS, "ChunkSize": 2 << 20, "UploadQueueSize": 5, "EnableLog": False, "Timeout": 10})
    assert not [w for w in recwarn if "unknown option" in str(w.message)]


def test_force_path_style_is_refused_as_the_js_sdk_does():
    with pytest.raises(CosError) as info:
        COS(SecretId="a", SecretKey="b", ForcePathStyle=True)
    assert info.value.code == "InvalidParameter" and "ForcePathStyle" in info.value.message
    COS(SecretId="a", SecretKey="b", ForcePathStyle=False)  # the default is fine


def test_calls_retry_429_like_parts():
    cos, transport = make(_sequence(Response(429, {}, "<Error><Code>SlowDown</Code></Error>"), Response(200, {}, "")))
    cos._pipeline.sleep = _no_sleep
    assert run(cos.head_bucket(Bucket=B, Region=R))["statusCode"] == 200
    assert len(transport.requests) == 2


# ------------------------------------------------------------------ issue 12: refused keys, ServerTime


def _sts_minting(calls, now):
    def get_sts(options, callback):
        calls.append(options)
        callback({"SecretId": "tmpid", "SecretKey": "tmpkey", "XCosSecurityToken": f"token{len(calls)}",
                  "ExpiredTime": int(now) + 600})  # fmt: skip

    return get_sts


@pytest.mark.parametrize("code", ["ExpiredToken", "InvalidToken"])
def test_refused_temporary_keys_are_renewed_once(code):
    calls: list = []
    refused = Response(400, {}, f"<Error><Code>{code}</Code><Message>m</Message></Error>")

    def handler(req):
        return refused if req.headers["x-cos-security-token"] == "token1" else Response(200, {}, "")

    transport = MockTransport(handler)
    cos = COS(getSTS=_sts_minting(calls, 1_700_000_000), transport=transport, clock=lambda: 1_700_000_000.0)
    assert run(cos.head_bucket(Bucket=B, Region=R))["statusCode"] == 200
    assert len(calls) == 2
    assert [r.headers["x-cos-security-token"] for r in transport.requests] == ["token1", "token2"]
    # refused again with the fresh keys: the error, after one renewal only
    transport = MockTransport(lambda req: refused)
    calls.clear()
    cos = COS(getSTS=_sts_minting(calls, 1_700_000_000), transport=transport, clock=lambda: 1_700_000_000.0)
    with pytest.raises(CosError) as info:
        run(cos.head_bucket(Bucket=B, Region=R))
    assert info.value.code == code and len(transport.requests) == 2 and len(calls) == 2


def test_refused_token_of_fixed_keys_is_not_retried():
    cos, transport = make(lambda req: Response(400, {}, "<Error><Code>ExpiredToken</Code></Error>"), SecurityToken="t")
    with pytest.raises(CosError) as info:
        run(cos.head_bucket(Bucket=B, Region=R))
    assert info.value.code == "ExpiredToken" and len(transport.requests) == 1


@pytest.mark.parametrize("server_time", ["2023-11-14T22:13:20Z", "2023-11-14T22:13:20.000Z", "2023-11-14T22:13:20+00:00"])
def test_clock_skew_corrected_from_server_time_when_date_is_hidden(server_time):
    server = 1_700_000_000  # 2023-11-14T22:13:20Z
    skewed = Response(403, {}, "<Error><Code>RequestTimeTooSkewed</Code><Message>skew</Message>"
                                f"<ServerTime>{server_time}</ServerTime></Error>")  # fmt: skip
    cos, transport = make(_sequence(skewed, Response(200, {}, "")))
    cos._credentials.clock = lambda: server - 3600.0  # the page clock 1 h slow
    run(cos.delete_object(Bucket=B, Region=R, Key="k"))
    assert len(transport.requests) == 2
    assert cos.options["SystemClockOffset"] == 3600 * 1000
    start = int(parse_authorization(transport.requests[1].headers["Authorization"])["q-sign-time"].split(";")[0])
    assert start == server - 1
