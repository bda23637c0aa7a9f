"""Result parity with cos-js-sdk-v5 for bucket policies and static website configurations (issue 15,
policyweb): both SDKs run the same steps in one Chromium page against the local server and their
results are compared field by field (the ``parity`` fixture of test_js_parity.py).

The steps run on the spare bucket ``conf-1250000000``; every run starts with no policy and no
website configuration (``between`` removes what the JS run left, with raw signed requests).
"""

from __future__ import annotations

import json

import pytest

from .test_js_parity import _restore_open_cors, _signed, parity  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser

BUCKET = "conf-1250000000"
CONF = {"bucket": BUCKET}
UIN = "100000000001"  # the server's account (sdk_server's default owner)


def _clear(server) -> None:
    _restore_open_cors(server, BUCKET)
    for sub in ("policy", "website"):
        status, body = _signed(server, "DELETE", BUCKET, query={sub: ""})
        assert status == 204, body


@pytest.fixture
def spare(parity, sdk_server):
    """``spare(steps, **kw)``: parity on the spare bucket, each run starting with neither configuration."""

    def run(steps, **kwargs):
        _clear(sdk_server)
        try:
            return parity([(*s[:3], {**CONF, **(s[3] if len(s) > 3 else {})}) for s in steps],
                          between=lambda: _clear(sdk_server), **kwargs)
        finally:
            _clear(sdk_server)

    return run


def _statement(effect: str, actions: list[str], path: str, who: str = "*") -> dict:
    return {"Principal": {"qcs": [who]}, "Effect": effect, "Action": actions,
            "Resource": [f"qcs::cos:{{R}}:uid/1250000000:{BUCKET}/{path}"]}


def test_bucket_policy(spare, sdk_server):
    region = sdk_server.region

    def doc(*statements):
        return {"version": "2.0", "Statement": [
            {**s, "Resource": [r.replace("{R}", region) for r in s["Resource"]]} for s in statements]}

    public = doc(_statement("Allow", ["name/cos:GetObject", "name/cos:HeadObject"], "{P}/pub/*"))
    locked = doc(_statement("Deny", ["name/cos:GetObject"], "{P}/locked/*", f"qcs::cam::uin/{UIN}:uin/{UIN}"),
                 _statement("Allow", ["name/cos:GetObject"], "{P}/pub/*"))
    js, _ = spare([
        ("get0", "getBucketPolicy", {}),
        ("put", "putBucketPolicy", {"Policy": public}),
        ("get1", "getBucketPolicy", {}),
        ("obj", "putObject", {"Key": "{P}/locked/x.txt", "Body": "locked"}),
        ("read_ok", "getObject", {"Key": "{P}/locked/x.txt"}),
        ("put_text", "putBucketPolicy", {"Policy": json.dumps(locked)}),
        ("get2", "getBucketPolicy", {}),
        ("read_denied", "getObject", {"Key": "{P}/locked/x.txt"}),
        ("head_ok", "headObject", {"Key": "{P}/locked/x.txt"}),
        ("put_bad_json", "putBucketPolicy", {"Policy": "{not json"}),
        ("put_no_policy", "putBucketPolicy", {}),
        ("put_malformed", "putBucketPolicy", {"Policy": {"version": "2.0", "Statement": [{"Effect": "Allow"}]}}),
        ("put_other_bucket", "putBucketPolicy", {"Policy": {"version": "2.0", "Statement": [
            {"Principal": {"qcs": ["*"]}, "Effect": "Allow", "Action": ["name/cos:GetObject"],
             "Resource": ["qcs::cos:ap-guangzhou:uid/1250000000:other-1250000000/*"]}]}}),
        ("get_bad_sig", "getBucketPolicy", {}, {"sdk": "bad"}),
        ("del", "deleteBucketPolicy", {}),
        ("read_again", "getObject", {"Key": "{P}/locked/x.txt"}),
        ("get3", "getBucketPolicy", {}),
        ("del_again", "deleteBucketPolicy", {}),
        ("rm", "deleteObject", {"Key": "{P}/locked/x.txt"}),
    ], errors={"get0": "NoSuchPolicy", "read_denied": "AccessDenied", "put_bad_json": "InvalidParameter",
               "put_no_policy": "InvalidParameter", "put_malformed": "MalformedPolicy",
               "put_other_bucket": "MalformedPolicy", "get_bad_sig": "SignatureDoesNotMatch",
               "get3": "NoSuchPolicy"})  # fmt: skip
    assert js["get1"]["Policy"]["Statement"][0]["Action"] == ["name/cos:GetObject", "name/cos:HeadObject"]
    assert js["get2"]["Policy"]["Statement"][0]["Effect"] == "Deny"
    assert js["read_ok"]["Body"] == "locked" and js["read_again"]["Body"] == "locked"
    assert js["get0"]["err"]["statusCode"] == 404 and js["put"]["statusCode"] == 204


def test_bucket_website(spare):
    rules = [{"Condition": {"HttpErrorCodeReturnedEquals": "404"}, "Redirect": {"ReplaceKeyWith": "index.html"}},
             {"Condition": {"KeyPrefixEquals": "old/"},
              "Redirect": {"Protocol": "https", "ReplaceKeyPrefixWith": "new/"}}]
    full = {"IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"},
            "RoutingRules": rules}
    js, _ = spare([
        ("get0", "getBucketWebsite", {}),
        ("put", "putBucketWebsite", {"WebsiteConfiguration": full}),
        ("get1", "getBucketWebsite", {}),
        ("put_one", "putBucketWebsite", {"WebsiteConfiguration": {
            "RoutingRule": rules[1], "IndexDocument": {"Suffix": "home.html"},
            "ErrorDocument": {"Key": "e.html", "OriginalHttpStatus": "Disabled"}}}),
        ("get2", "getBucketWebsite", {}),
        ("put_all", "putBucketWebsite", {"WebsiteConfiguration": {
            "IndexDocument": {"Suffix": "index.html"}, "RedirectAllRequestsTo": {"Protocol": "https"}}}),
        ("get3", "getBucketWebsite", {}),
        ("put_bad", "putBucketWebsite", {"WebsiteConfiguration": {
            "IndexDocument": {"Suffix": "index.html"},
            "RoutingRules": [{"Condition": {"HttpErrorCodeReturnedEquals": "200"}, "Redirect": {"ReplaceKeyWith": "a"}}]}}),
        ("put_no_index", "putBucketWebsite", {"WebsiteConfiguration": {"ErrorDocument": {"Key": "e.html"}}}),
        ("put_missing", "putBucketWebsite", {}),
        ("put_bad_sig", "putBucketWebsite", {"WebsiteConfiguration": full}, {"sdk": "bad"}),
        ("del", "deleteBucketWebsite", {}),
        ("get4", "getBucketWebsite", {}),
        ("del_again", "deleteBucketWebsite", {}),
    ], errors={"put_bad": "InvalidArgument", "put_no_index": "MalformedXML", "put_missing": "InvalidParameter",
               "put_bad_sig": "SignatureDoesNotMatch"})  # fmt: skip
    assert js["get0"] == {"WebsiteConfiguration": {}, "statusCode": 404, "headers": js["get0"]["headers"]}
    assert js["get1"]["WebsiteConfiguration"] == full
    assert js["get2"]["WebsiteConfiguration"]["RoutingRules"] == [rules[1]]
    assert js["get3"]["WebsiteConfiguration"]["RedirectAllRequestsTo"] == {"Protocol": "https"}
    assert js["get4"]["statusCode"] == 404
