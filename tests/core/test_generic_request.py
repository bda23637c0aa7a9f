"""``cos.request`` against cos-js-sdk-v5's ``request`` (node, its Request hook): the same request
(method, URL, headers incl. Authorization, body) and the same data, on canned responses."""

from __future__ import annotations

import asyncio

import pytest

from cos_web import COS, CosError
from cos_web.transport import MockTransport, Response

from .jsparity import needs_node, run_js
from .test_call_parity import OPTIONS, _jsonable, _norm_headers, _run_py, ok

B, R = "test-1250000000", "ap-guangzhou"
WHERE = {"Bucket": B, "Region": R}

CASES = [
    ({**WHERE, "Method": "GET", "Key": "a b/c.txt", "Action": "tagging", "Query": {"x": "1 2"},
      "Headers": {"x-cos-meta-a": "1"}, "ContentType": "text/plain"},
     ok("<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>")),
    ({**WHERE, "Method": "PUT", "Key": "k", "Body": "hello", "x-cos-meta-z": "9"}, ok()),
    ({**WHERE, "Method": "POST", "Key": "k", "Action": "restore",
      "Body": "<RestoreRequest><Days>1</Days></RestoreRequest>"}, ok(status=202)),
    ({**WHERE, "Method": "GET", "Key": "k", "RawBody": True}, ok("plain text body")),
    ({**WHERE, "Method": "DELETE"}, ok(status=204)),
    ({**WHERE, "Method": "GET", "Action": "inventory", "Query": {"id": "list1"}}, ok('{"a": {"b": "1"}, "n": 2}')),
    ({"Url": "https://example.com/p/x", "Method": "PUT", "Key": "p/x", "Body": "zz"}, ok("<R><A>1</A><A>2</A></R>")),
    ({**WHERE, "Method": "GET", "Key": "k", "Action": "acl"},
     ok("<Error><Code>NoSuchKey</Code><Message>none</Message></Error>", status=404)),
    ({**WHERE, "Method": "head", "Key": "k"}, ok(status=200, **{"x-cos-version-id": "v1"})),
]  # fmt: skip


@needs_node
def test_request_matches_the_js_sdk():
    calls = [{"options": OPTIONS, "api": "request", "params": p, "response": r} for p, r in CASES]
    js_results = run_js({"calls": calls})["calls"]
    problems = []
    for (params, response), js in zip(CASES, js_results, strict=True):
        requests, err, data = asyncio.run(_run_py("request", params, response))
        label = f"request {params}"
        assert len(requests) == len(js["requests"]) == 1, label
        got, want = requests[0], js["requests"][0]
        if got.method != want["method"].upper():  # the JS SDK passes Method as given; XHR upper-cases it
            problems.append(f"{label}: method {got.method} != {want['method']}")
        if got.url != want["url"]:
            problems.append(f"{label}: url {got.url} != {want['url']}")
        if _norm_headers(got.headers) != _norm_headers(want["headers"]):
            problems.append(f"{label}: headers\n  py {got.headers}\n  js {want['headers']}")
        want_body = want["body"]["blob"] if isinstance(want["body"], dict) else want["body"]
        got_body = got.body.decode() if isinstance(got.body, bytes) else got.body
        if (got_body or None) != (want_body or None):
            problems.append(f"{label}: body {got_body!r} != {want_body!r}")
        if js["err"]:
            if err is None or err.code != js["err"]["code"] or err.statusCode != js["err"]["statusCode"]:
                problems.append(f"{label}: error {err!r} != {js['err']}")
            continue
        if err is not None:
            problems.append(f"{label}: cos_web failed ({err}) but JS gave {js['data']}")
        elif _jsonable(data) != js["data"]:
            problems.append(f"{label}: data\n  py {_jsonable(data)}\n  js {js['data']}")
    assert not problems, "\n".join(problems)


def test_text_body_is_handed_back_as_body():
    """The JS SDK throws a TypeError on a 2xx body that is neither XML nor a JSON object."""
    _, err, data = asyncio.run(_run_py("request", {**WHERE, "Key": "k"}, ok("just text")))
    assert err is None and data["Body"] == "just text" and data["statusCode"] == 200


def test_bad_params_are_refused_before_sending():
    for params, name in (
        ({**WHERE, "Method": "BREW"}, "Method"),
        ({**WHERE, "Action": 3}, "Action"),
        ({"Url": "ftp://x/"}, "Url"),
        ({"Method": "GET"}, "Bucket"),  # neither Url nor Bucket/Region
    ):
        transport = MockTransport(lambda r: Response(200, {}, ""))
        cos = COS(dict(OPTIONS), transport=transport)
        with pytest.raises(CosError) as info:
            asyncio.run(cos.request(params))
        assert info.value.code == "InvalidParameter" and name in info.value.message, params
        assert transport.requests == []


def test_callback_form_and_snake_name():
    transport = MockTransport(lambda r: Response(200, {"x-cos-request-id": "q"}, "<R><A>1</A></R>"))
    cos = COS(dict(OPTIONS), transport=transport)
    seen = []

    async def main():
        await cos.request({**WHERE, "Key": "k"}, lambda err, data: seen.append((err, data)))

    asyncio.run(main())
    assert seen[0][0] is None and seen[0][1]["R"] == {"A": "1"} and seen[0][1]["RequestId"] == "q"
    assert COS.request is getattr(COS, "request")
