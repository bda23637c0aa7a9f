"""COS.getAuthorization of cos_web == COS.getAuthorization of cos-js-sdk-v5, over generated inputs."""

from __future__ import annotations

import random

from cos_web import COS

from .jsparity import needs_node, run_js

ALPHABET = list("abcXYZ019 -_.~+/*'!()&=;:,?#%@$[]\"<>") + ["腾讯", "é", "ü", "😀", "\u00a0", "中文 名"]


def _text(rng: random.Random, lo: int = 0, hi: int = 12) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(lo, hi)))


def _case(rng: random.Random, i: int) -> dict:
    query = {}
    for _ in range(rng.randint(0, 4)):
        name = rng.choice(["prefix", "Max-Keys", "versionId", "response-content-type", "A b", "uploadId", _text(rng, 1, 6)])
        query[name] = rng.choice([_text(rng), "", rng.randint(0, 99999)])
    headers = {}
    for _ in range(rng.randint(0, 5)):
        name = rng.choice(
            [
                "Content-Type",
                "Content-Length",
                "Content-MD5",
                "Range",
                "x-cos-meta-Author",
                "X-COS-ACL",
                "x-cos-grant-read",
                "If-None-Match",
                "Cache-Control",
                "Expires",
                "Host",
                "Origin",
                "X-Custom",
                "x-ci-thing",
                "pic-operations",
            ]
        )
        headers[name] = rng.choice([_text(rng, 1), str(rng.randint(0, 10**6)), ""])
    start = rng.randint(1_500_000_000, 1_900_000_000)
    opts = {
        "SecretId": "AKID" + "".join(rng.choice("abcdef0123456789") for _ in range(12)),
        "SecretKey": "".join(rng.choice("abcdefXYZ0123456789") for _ in range(32)),
        "Method": rng.choice(["get", "PUT", "post", "delete", "HEAD", "options"]),
        "Key": rng.choice(["", "/", "a.txt", "/dir/" + _text(rng, 1), _text(rng, 1, 20), "exampleobject(腾讯云)"]),
        "Query": query,
        "Headers": headers,
        "KeyTime": f"{start};{start + rng.randint(1, 7200)}",
    }
    if i % 7 == 0:
        opts["Expires"] = rng.randint(1, 3600)
    return opts


@needs_node
def test_signing_matches_js_sdk_over_generated_inputs():
    rng = random.Random(20240612)
    cases = [_case(rng, i) for i in range(400)]
    expected = run_js({"auth": cases})["auth"]
    mismatches = []
    for opts, want in zip(cases, expected, strict=True):
        got = COS.get_authorization(opts)
        if got != want:
            mismatches.append((opts, want, got))
    assert not mismatches, f"{len(mismatches)} mismatches, first: {mismatches[0]}"


@needs_node
def test_published_vector_through_camel_case_alias():
    opts = {
        "SecretId": "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q",
        "SecretKey": "BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz",
        "Method": "put",
        "Key": "exampleobject(腾讯云)",
        "KeyTime": "1557989151;1557996351",
        "Headers": {
            "Host": "examplebucket-1250000000.cos.ap-beijing.myqcloud.com",
            "Content-Type": "text/plain",
            "Content-Length": "13",
            "Content-MD5": "mQ/fVh815F3k6TAUm8m0eg==",
            "x-cos-acl": "private",
            "x-cos-grant-read": 'uin="100000000011"',
        },
    }
    got = COS.getAuthorization(opts)
    assert got.endswith("q-signature=65788349a05a472789af1637995918716f64cc20")
    assert got == run_js({"auth": [opts]})["auth"][0]


def test_instance_get_auth_uses_own_keys():
    cos = COS(SecretId="AKIDx", SecretKey="k" * 32)
    auth = cos.get_auth(Method="get", Key="/1.jpg", KeyTime="1;2")
    assert auth == COS.get_authorization(SecretId="AKIDx", SecretKey="k" * 32, Method="get", Key="1.jpg", KeyTime="1;2")
    assert cos.getAuth is not None and COS.getAuth is COS.get_auth
