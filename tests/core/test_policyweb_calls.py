"""Bucket policy and static website calls (issue 15, policyweb) in CPython: the requests and results
of cos_web and of cos-js-sdk-v5 (node, on the same canned responses), and bad input refused before
anything is sent."""

from __future__ import annotations

import asyncio
import json

import pytest

from cos_web import COS, CosError
from cos_web.transport import MockTransport, Response

from .jsparity import needs_node, run_js
from .test_call_parity import OPTIONS, _jsonable, _norm_headers, _run_py, ok

B, R = "test-1250000000", "ap-guangzhou"
POLICY = {"version": "2.0", "statement": [{"principal": {"qcs": ["*"]}, "effect": "allow",
                                           "action": ["name/cos:GetObject"],
                                           "resource": [f"qcs::cos:{R}:uid/1250000000:{B}/pub/*"]}]}  # fmt: skip
WEBSITE = """<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument>
<ErrorDocument><Key>404.html</Key></ErrorDocument>
<RoutingRules><RoutingRule><Condition><KeyPrefixEquals>a/</KeyPrefixEquals></Condition>
<Redirect><Protocol>https</Protocol><ReplaceKeyPrefixWith>b/</ReplaceKeyPrefixWith></Redirect></RoutingRule>
</RoutingRules></WebsiteConfiguration>"""
WEBSITE_TWO = WEBSITE.replace("</RoutingRule>", "</RoutingRule><RoutingRule><Condition><HttpErrorCodeReturnedEquals>"
                              "404</HttpErrorCodeReturnedEquals></Condition><Redirect><ReplaceKeyWith>i.html"
                              "</ReplaceKeyWith></Redirect></RoutingRule>", 1)
NO_POLICY = "<Error><Code>NoSuchPolicy</Code><Message>none</Message><RequestId>r</RequestId></Error>"
NO_SITE = "<Error><Code>NoSuchWebsiteConfiguration</Code><Message>none</Message></Error>"
DENIED = "<Error><Code>AccessDenied</Code><Message>no</Message></Error>"
RULE = {"Condition": {"HttpErrorCodeReturnedEquals": "404"}, "Redirect": {"ReplaceKeyWith": "index.html"}}

CASES = [
    ("putBucketPolicy", {"Policy": POLICY}, ok(status=204)),
    ("putBucketPolicy", {"Policy": json.dumps(POLICY, indent=2)}, ok(status=204)),
    ("putBucketPolicy", {"Policy": {"statement": [], "说明": "中文"}}, ok()),
    ("putBucketPolicy", {"Policy": POLICY}, ok("<Error><Code>MalformedPolicy</Code><Message>m</Message></Error>",
                                               status=400)),
    ("getBucketPolicy", {}, ok(json.dumps(POLICY), **{"content-type": "application/json"})),
    ("getBucketPolicy", {}, ok("not json")),
    ("getBucketPolicy", {}, ok(NO_POLICY, status=404)),
    ("getBucketPolicy", {}, ok(DENIED, status=403)),
    ("getBucketPolicy", {}, ok("<Error><Code>MethodNotAllowed</Code></Error>", status=405)),
    ("deleteBucketPolicy", {}, ok(status=204)),
    ("putBucketWebsite", {"WebsiteConfiguration": {"IndexDocument": {"Suffix": "index.html"}}}, ok()),
    ("putBucketWebsite", {"WebsiteConfiguration": {
        "RoutingRules": [RULE, {"Condition": {"KeyPrefixEquals": "a/"}, "Redirect": {"ReplaceKeyPrefixWith": "b/"}}],
        "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "404.html"},
        "RedirectAllRequestsTo": {"Protocol": "https"}}}, ok()),
    ("putBucketWebsite", {"WebsiteConfiguration": {"IndexDocument": {"Suffix": "i"}, "RoutingRule": RULE}}, ok()),
    ("putBucketWebsite", {"WebsiteConfiguration": {"IndexDocument": {"Suffix": "i"}, "RoutingRules": []}}, ok()),
    ("getBucketWebsite", {}, ok(WEBSITE)),
    ("getBucketWebsite", {}, ok(WEBSITE_TWO)),
    ("getBucketWebsite", {}, ok("<WebsiteConfiguration><IndexDocument><Suffix>i</Suffix></IndexDocument>"
                                "</WebsiteConfiguration>")),
    ("getBucketWebsite", {}, ok(NO_SITE, status=404)),
    ("getBucketWebsite", {}, ok(DENIED, status=403)),
    ("deleteBucketWebsite", {}, ok(status=204)),
]  # fmt: skip


@needs_node
def test_requests_and_results_match_js_sdk():
    calls = [{"options": OPTIONS, "api": api, "params": {"Bucket": B, "Region": R, **params}, "response": response}
             for api, params, response in CASES]  # fmt: skip
    js_results = run_js({"calls": calls})["calls"]
    problems = []
    for (api, params, response), js in zip(CASES, js_results, strict=True):
        requests, err, data = asyncio.run(_run_py(api, {"Bucket": B, "Region": R, **params}, response))
        label = f"{api} {params}"
        assert len(requests) == len(js["requests"]) == 1, label
        got, want = requests[0], js["requests"][0]
        if (got.method, got.url) != (want["method"], want["url"]):
            problems.append(f"{label}: {got.method} {got.url} != {want['method']} {want['url']}")
        if _norm_headers(got.headers) != _norm_headers(want["headers"]):
            problems.append(f"{label}: headers\n  py {got.headers}\n  js {want['headers']}")
        if (got.body or None) != (want["body"] or None):
            problems.append(f"{label}: body {got.body!r} != {want['body']!r}")
        if js["err"]:
            if err is None:
                problems.append(f"{label}: JS failed ({js['err']}) but cos_web gave {data}")
            elif (err.code, err.statusCode, err.extra.get("ErrorStatus")) != (
                    js["err"]["code"], js["err"]["statusCode"], js["err"].get("ErrorStatus")):
                problems.append(f"{label}: error {err.to_dict()} != {js['err']}")
        elif err is not None:
            problems.append(f"{label}: cos_web failed ({err}) but JS gave {js['data']}")
        elif _jsonable(data) != js["data"]:
            problems.append(f"{label}: data\n  py {_jsonable(data)}\n  js {js['data']}")
    assert not problems, "\n".join(problems)


def _refused(call, **params) -> str:
    sent = []
    cos = COS(dict(OPTIONS), transport=MockTransport(lambda req: sent.append(req) or Response(200, {}, "")))
    with pytest.raises(CosError) as info:
        asyncio.run(getattr(cos, call)(Bucket=B, Region=R, **params))
    assert info.value.code == "InvalidParameter" and info.value.statusCode is None
    assert sent == []
    return info.value.message


@pytest.mark.parametrize("policy", [None, "", "{not json", "[1, 2]", "123", '"text"', [POLICY], 5,
                                    {"v": float("nan")}, {"v": {1, 2}}])
def test_bad_policies_are_refused_before_sending(policy):
    params = {} if policy is None else {"Policy": policy}
    message = _refused("putBucketPolicy", **params)
    assert message.startswith("Policy: ") and message.endswith("Policy format error")  # the JS SDK's message


@pytest.mark.parametrize("conf, why", [(None, "missing param WebsiteConfiguration"), ("on", "must be"),
                                       ([{"IndexDocument": {}}], "must be")])
def test_bad_website_configurations_are_refused_before_sending(conf, why):
    params = {} if conf is None else {"WebsiteConfiguration": conf}
    assert why in _refused("putBucketWebsite", **params)


def test_snake_case_names_and_request_layout():
    sent = []
    answer = {"GET": Response(200, {}, json.dumps(POLICY)), "PUT": Response(204, {}, ""),
              "DELETE": Response(204, {}, "")}  # fmt: skip
    cos = COS(dict(OPTIONS), transport=MockTransport(lambda req: sent.append(req) or answer[req.method]))
    asyncio.run(cos.put_bucket_policy(Bucket=B, Region=R, Policy=POLICY))
    assert asyncio.run(cos.get_bucket_policy(Bucket=B, Region=R))["Policy"] == POLICY
    asyncio.run(cos.delete_bucket_policy(Bucket=B, Region=R))
    asyncio.run(cos.delete_bucket_website(Bucket=B, Region=R))
    put, get, delete, delete_site = sent
    assert put.url == f"https://{B}.cos.{R}.myqcloud.com/?policy" and put.body == json.dumps(POLICY, separators=(",", ":"))
    assert put.headers["Content-Type"] == "application/json" and "q-url-param-list=policy" in put.headers["Authorization"]
    assert (get.method, delete.method, delete_site.url.rsplit("?", 1)[1]) == ("GET", "DELETE", "website")
