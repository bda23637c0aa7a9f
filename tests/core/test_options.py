"""The JS SDK's options: each honoured as cos-js-sdk-v5 honours it (requests compared with the JS
SDK in node on canned responses), or refused / warned about (cos_web.options.NOT_IMPLEMENTED)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import warnings
from pathlib import Path
from typing import Any

import pytest

from cos_web import COS, CosError
from cos_web.options import DEFAULT_OPTIONS, NOT_IMPLEMENTED
from cos_web.transport import MockTransport, Response

from .jsparity import needs_node, run_js
from .test_call_parity import OPTIONS, _jsonable, _norm_headers, ok

B, R = "test-1250000000", "ap-guangzhou"
WHERE = {"Bucket": B, "Region": R}
COMPLETE = ("<CompleteMultipartUploadResult><Location>x</Location><Bucket>test</Bucket><Key>k</Key>"
            "<ETag>\"e\"</Etag></CompleteMultipartUploadResult>").replace("</Etag>", "</ETag>")  # fmt: skip

CASES: list[tuple[dict[str, Any], str, dict[str, Any], dict[str, Any]]] = [
    ({"UploadCheckContentMd5": True}, "putObject", {"Key": "a.txt", "Body": "hello md5"}, ok()),
    ({"UploadCheckContentMd5": True}, "multipartUpload", {"Key": "a", "UploadId": "u", "PartNumber": 1, "Body": "part"}, ok()),
    ({"UploadAddMetaMd5": True}, "putObject", {"Key": "a.txt", "Body": "meta md5"}, ok()),
    ({}, "putObject", {"Key": "a.txt", "Body": "param md5", "UploadAddMetaMd5": True}, ok()),
    ({"UploadAddMetaMd5": True, "UploadCheckContentMd5": True}, "putObject", {"Key": "b", "Body": "both"}, ok()),
    ({"UploadAddMetaMd5": True}, "multipartInit", {"Key": "a", "Body": "whole file"},
     ok("<InitiateMultipartUploadResult><UploadId>u</UploadId></InitiateMultipartUploadResult>")),
    ({"UploadAddMetaMd5": True}, "multipartInit", {"Key": "a"},
     ok("<InitiateMultipartUploadResult><UploadId>u</UploadId></InitiateMultipartUploadResult>")),
    ({"UploadCheckContentMd5": True}, "multipartInit", {"Key": "a", "Body": "not for init"},
     ok("<InitiateMultipartUploadResult><UploadId>u</UploadId></InitiateMultipartUploadResult>")),
    ({"UseAccelerate": True}, "putObject", {"Key": "dir/a b.txt", "Body": "x"}, ok()),
    ({"UseAccelerate": True}, "getBucket", {"Prefix": "p"}, ok("<ListBucketResult><Name>x</Name></ListBucketResult>")),
    ({"UseAccelerate": True}, "multipartComplete", {"Key": "k", "UploadId": "u", "Parts": [{"PartNumber": 1, "ETag": "e"}]},
     ok(COMPLETE)),
    ({"UseAccelerate": True}, "putObjectCopy", {"Key": "k", "CopySource": f"{B}.cos.{R}.myqcloud.com/src"},
     ok("<CopyObjectResult><ETag>\"e\"</ETag></CopyObjectResult>")),
    ({"UseAccelerate": True, "Domain": "{Bucket}.cos.{Region}.example.com"}, "headObject", {"Key": "k"}, ok()),
    ({"UseAccelerate": True}, "getObjectUrl", {"Key": "k"}, ok()),
    ({"UseAccelerate": True}, "getObjectUrl", {"Key": "k", "UseAccelerate": False}, ok()),
    ({}, "getObjectUrl", {"Key": "k", "UseAccelerate": True}, ok()),
    ({"CompatibilityMode": True}, "headBucket", {"Region": "cos.ap-beijing"}, ok()),
    ({"CompatibilityMode": True}, "headBucket", {"Region": "ap.beijing-1"}, ok()),
]  # fmt: skip


async def _run_py(options: dict[str, Any], api: str, params: dict[str, Any], response: dict[str, Any]):
    def handler(request):
        return Response(response["statusCode"], dict(response["headers"]), response["body"])

    transport = MockTransport(handler)
    cos = COS({**OPTIONS, **options}, transport=transport)
    try:
        if api == "getObjectUrl":
            url = cos.getObjectUrl(dict(params))
            return [], None, {"sync": str(url), "async": (await url)["Url"]}
        return transport.requests, None, await getattr(cos, api)(dict(params))
    except CosError as exc:
        return transport.requests, exc, None


@needs_node
def test_options_change_requests_as_in_the_js_sdk():
    calls = [
        {"options": {**OPTIONS, **o}, "api": api, "params": {**WHERE, **p}, "response": r} for o, api, p, r in CASES
    ]
    js_results = run_js({"calls": calls})["calls"]
    problems = []
    for (options, api, params, response), js in zip(CASES, js_results, strict=True):
        requests, err, data = asyncio.run(_run_py(options, api, {**WHERE, **params}, response))
        label = f"{options} {api} {params}"
        if len(requests) != len(js["requests"]):
            problems.append(f"{label}: {len(requests)} requests vs JS {len(js['requests'])}")
            continue
        for got, want in zip(requests, js["requests"]):
            if got.url != want["url"]:
                problems.append(f"{label}: url {got.url} != {want['url']}")
            if _norm_headers(got.headers) != _norm_headers(want["headers"]):
                problems.append(f"{label}: headers\n  py {got.headers}\n  js {want['headers']}")
        if js["err"] or err:
            problems.append(f"{label}: errors py {err!r} js {js['err']}")
        elif _jsonable(data) != js["data"]:
            problems.append(f"{label}: data\n  py {_jsonable(data)}\n  js {js['data']}")
    assert not problems, "\n".join(problems)


def test_content_md5_is_of_the_utf8_bytes_sent():
    """The JS SDK hashes a string's low bytes (md5(Body, true)): COS refuses non-ASCII text then."""
    body = "héllo 腾讯"
    requests, err, _ = asyncio.run(
        _run_py({"UploadCheckContentMd5": True, "UploadAddMetaMd5": True}, "putObject", {**WHERE, "Key": "k", "Body": body}, ok())
    )
    digest = hashlib.md5(body.encode()).digest()
    assert err is None
    assert requests[0].headers["Content-MD5"] == base64.b64encode(digest).decode()
    assert requests[0].headers["x-cos-meta-md5"] == digest.hex()
    for data in (b"\x00\xffbytes", bytearray(b"ba"), memoryview(b"mv")):
        requests, err, _ = asyncio.run(_run_py({"UploadCheckContentMd5": True}, "putObject", {**WHERE, "Key": "k", "Body": data}, ok()))
        assert requests[0].headers["Content-MD5"] == base64.b64encode(hashlib.md5(bytes(data)).digest()).decode()


def test_copy_source_parser_names_the_source_for_signing_and_checks():
    seen: list[dict[str, Any]] = []

    def get_authorization(options, callback):
        seen.append(options)
        callback({"Authorization": "q-sign-algorithm=sha1&q-ak=a&q-sign-time=1;2&q-key-time=1;2&q-header-list=&q-url-param-list=&q-signature=s"})

    def parser(source):
        m = re.match(r"^https://files\.example\.com/([^/]+)/([^/]+)/(.+)$", source)
        return {"Bucket": m.group(1), "Region": m.group(2), "Key": m.group(3)} if m else None

    transport = MockTransport(lambda r: Response(200, {}, "<CopyObjectResult><ETag>e</ETag></CopyObjectResult>"))
    cos = COS(getAuthorization=get_authorization, CopySourceParser=parser, transport=transport)
    source = "https://files.example.com/src-1250000000/ap-beijing/a%20b.txt"
    asyncio.run(cos.put_object_copy(**WHERE, Key="k", CopySource=source))
    assert seen[0]["Scope"][0] == {"action": "name/cos:GetObject", "bucket": "src-1250000000", "region": "ap-beijing", "prefix": "a b.txt"}
    assert transport.requests[0].headers["x-cos-copy-source"] == source
    with pytest.raises(CosError) as info:  # the parser says no: as the JS SDK, CopySource format error
        asyncio.run(cos.put_object_copy(**WHERE, Key="k", CopySource=f"{B}.cos.{R}.myqcloud.com/x"))
    assert info.value.code == "InvalidParameter" and "CopySource format error" in info.value.message
    with pytest.raises(CosError):
        COS(CopySourceParser="not a function")


def test_every_js_sdk_option_is_honoured_or_has_a_rule():
    cos_js = Path(__file__).resolve().parents[2] / "node_modules" / "cos-js-sdk-v5" / "src" / "cos.js"
    if not cos_js.exists():
        pytest.skip("node_modules/cos-js-sdk-v5 missing")
    block = cos_js.read_text().split("var defaultOptions = {", 1)[1].split("};", 1)[0]
    js_options = set(re.findall(r"^\s*(\w+):", block, re.M)) | {"EnableReporter"}  # set by the constructor
    assert js_options, "no options found in cos.js"
    missing = sorted(js_options - set(DEFAULT_OPTIONS) - set(NOT_IMPLEMENTED))
    assert not missing, f"JS SDK options with no rule in cos_web: {missing}"
    assert not set(DEFAULT_OPTIONS) & set(NOT_IMPLEMENTED)


@pytest.mark.parametrize(
    "name, value",
    [("ForcePathStyle", True), ("AppId", "1250000000"), ("AutoSwitchHost", True),
     ("EnableLog", True), ("EnableLogcat", True), ("ClsLogger", object()), ("BeaconReporter", object()),
     ("ClsReporter", object())],
)  # fmt: skip
def test_options_cos_web_cannot_honour_are_refused(name, value):
    with pytest.raises(CosError) as info:
        COS(SecretId="a", SecretKey="b", **{name: value})
    assert info.value.code == "InvalidParameter" and name in info.value.message and "not supported" in info.value.message


def test_their_off_values_and_dependent_tuning_are_accepted_quietly():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cos = COS(SecretId="a", SecretKey="b", ForcePathStyle=False, AppId="", AutoSwitchHost=False, ServiceDomain="",
                  EnableLog=False, EnableLogcat=False, ClsLogger=None, BeaconReporter=None, ClsReporter=None,
                  LogLevel="INFO", LogExtras={"a": 1}, DeepTracker=True, TrackerDelay=0, CustomId="c",
                  UploadIdCacheLimit=50, UploadQueueSize=7, CompatibilityMode=True, UseAccelerate=True)  # fmt: skip
    assert cos.options["UploadQueueSize"] == 7 and cos.options["UseAccelerate"] is True
    assert "LogLevel" not in cos.options


def test_an_option_without_effect_is_warned_about(monkeypatch):
    # (UploadIdCacheLimit, the example before sliceCopyFile kept saved UploadIds, is honoured now)
    monkeypatch.setitem(NOT_IMPLEMENTED, "SomeJsOption", (lambda v: v == 1, False, "a reason"))
    with pytest.warns(UserWarning, match="SomeJsOption=10 has no effect"):
        COS(SecretId="a", SecretKey="b", SomeJsOption=10)
    assert COS(SecretId="a", SecretKey="b", UploadIdCacheLimit=10).options["UploadIdCacheLimit"] == 10


def test_copy_options_are_clamped_as_in_the_js_sdk():
    cos = COS(SecretId="a", SecretKey="b", CopyChunkParallelLimit=0, CopyChunkSize=5, CopySliceSize=-1)
    assert (cos.options["CopyChunkParallelLimit"], cos.options["CopyChunkSize"], cos.options["CopySliceSize"]) == (1, 1024 * 1024, 0)
