"""put/get/deleteBucketLifecycle make the request cos-js-sdk-v5 makes (method, URL, headers with
the Authorization, body) and give the same data on the same canned response (node), rule shapes
and the NoSuchLifecycleConfiguration answer included."""

from __future__ import annotations

import asyncio

from .jsparity import needs_node, run_js
from .test_call_parity import OPTIONS, _jsonable, _norm_headers, _run_py, ok

B, R = "test-1250000000", "ap-guangzhou"

RULE = {"ID": "logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
        "Transition": [{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": "90", "StorageClass": "ARCHIVE"}],
        "Expiration": {"Days": 365}}
AND_RULE = {"ID": "tmp", "Status": "Disabled",
            "Filter": {"And": {"Prefix": "tmp/", "Tag": [{"Key": "k", "Value": "v"}, {"Key": "标", "Value": ""}]}},
            "Expiration": {"ExpiredObjectDeleteMarker": True},
            "NoncurrentVersionTransition": {"NoncurrentDays": 0, "StorageClass": "DEEP_ARCHIVE"},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}
DOC = ("<LifecycleConfiguration><Rule><ID>logs</ID><Status>Enabled</Status><Filter><Prefix>logs/</Prefix></Filter>"
       "<Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition>"
       "<Transition><Days>90</Days><StorageClass>ARCHIVE</StorageClass></Transition>"
       "<Expiration><Days>365</Days></Expiration></Rule>"
       "<Rule><ID>tmp</ID><Status>Disabled</Status><Filter><And><Prefix>tmp/</Prefix><Tag><Key>k</Key>"
       "<Value>v</Value></Tag></And></Filter><NoncurrentVersionExpiration><NoncurrentDays>3</NoncurrentDays>"
       "</NoncurrentVersionExpiration></Rule></LifecycleConfiguration>")
ONE = ("<LifecycleConfiguration><Rule><ID>one</ID><Status>Enabled</Status><Filter></Filter>"
       "<Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration></Rule></LifecycleConfiguration>")


def err(code: str, status: int) -> dict:
    return ok(f"<Error><Code>{code}</Code><Message>m</Message><RequestId>r</RequestId></Error>", status=status)


CASES = [
    ("putBucketLifecycle", {"Rules": [RULE, AND_RULE]}, ok()),
    ("putBucketLifecycle", {"LifecycleConfiguration": {"Rules": [RULE]}}, ok()),
    ("putBucketLifecycle", {"LifecycleConfiguration": {"Rules": [AND_RULE]}, "Rules": [RULE]}, ok()),
    ("putBucketLifecycle", {"Rules": RULE}, ok()),
    ("putBucketLifecycle", {"Rules": [RULE], "Headers": {"x-cos-meta-a": "1"}}, ok()),
    ("putBucketLifecycle", {"Rules": [RULE]}, err("MalformedXML", 400)),
    ("putBucketLifecycle", {"Rules": [RULE]}, ok(status=204)),
    ("getBucketLifecycle", {}, ok(DOC)),
    ("getBucketLifecycle", {}, ok(ONE)),
    ("getBucketLifecycle", {}, ok("<LifecycleConfiguration></LifecycleConfiguration>")),
    ("getBucketLifecycle", {}, ok("")),
    ("getBucketLifecycle", {}, err("NoSuchLifecycleConfiguration", 404)),
    ("getBucketLifecycle", {}, err("NoSuchBucket", 404)),
    ("getBucketLifecycle", {}, err("AccessDenied", 403)),
    ("deleteBucketLifecycle", {}, ok(status=204)),
    ("deleteBucketLifecycle", {}, ok()),
    ("deleteBucketLifecycle", {}, err("NoSuchBucket", 404)),
]  # fmt: skip


@needs_node
def test_lifecycle_requests_and_results_match_js_sdk():
    calls = [{"options": OPTIONS, "api": api, "params": {"Bucket": B, "Region": R, **params}, "response": response}
             for api, params, response in CASES]  # fmt: skip
    js_results = run_js({"calls": calls})["calls"]
    problems = []
    for (api, params, response), js in zip(CASES, js_results, strict=True):
        requests, error, data = asyncio.run(_run_py(api, {"Bucket": B, "Region": R, **params}, response))
        label = f"{api} {params} -> {response['statusCode']}"
        if len(requests) != len(js["requests"]):
            problems.append(f"{label}: {len(requests)} requests vs JS {len(js['requests'])}")
            continue
        for got, want in zip(requests, js["requests"], strict=True):
            if (got.method, got.url) != (want["method"], want["url"]):
                problems.append(f"{label}: {got.method} {got.url} != {want['method']} {want['url']}")
            if _norm_headers(got.headers) != _norm_headers(want["headers"]):
                problems.append(f"{label}: headers\n  py {got.headers}\n  js {want['headers']}")
            if (got.body or None) != (want["body"] or None):
                problems.append(f"{label}: body\n  py {got.body!r}\n  js {want['body']!r}")
        if js["err"]:
            if error is None:
                problems.append(f"{label}: JS failed ({js['err']}) but cos_web gave {data}")
            elif (error.code, error.statusCode) != (js["err"]["code"], js["err"]["statusCode"]):
                problems.append(f"{label}: error {(error.code, error.statusCode)} != {js['err']}")
        elif error is not None:
            problems.append(f"{label}: cos_web failed ({error}) but JS gave {js['data']}")
        elif _jsonable(data) != js["data"]:
            problems.append(f"{label}: data\n  py {_jsonable(data)}\n  js {js['data']}")
    assert not problems, "\n".join(problems)
