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


FETCH = """async ([base, paths]) => {
  const out = {};
  for (const path of paths) {
    const r = await fetch(base + path, {redirect: 'manual', cache: 'no-store'});
    out[path] = {status: r.status, type: r.type, body: r.type === 'opaqueredirect' ? null : await r.text()};
  }
  return out;
}"""


def test_website_host_from_the_page(harness, sdk_server):
    """The page reads the bucket's website host (``*.cos-website.*.localhost``, another origin):
    index and error documents through CORS, a redirect as the browser sees it, a private object 403."""
    _clear(sdk_server)
    try:
        for key, acl in (("site/index.html", "public-read"), ("site/404.html", "public-read"),
                         ("site/private.html", "private")):
            status, body = _signed(sdk_server, "PUT", BUCKET, key, body=f"<p>{key}</p>".encode(),
                                   headers={"x-cos-acl": acl, "Content-Type": "text/html"})
            assert status == 200, body
        xml = ("<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument>"
               "<ErrorDocument><Key>site/404.html</Key></ErrorDocument><RoutingRules><RoutingRule><Condition>"
               "<KeyPrefixEquals>old/</KeyPrefixEquals></Condition><Redirect><ReplaceKeyPrefixWith>site/"
               "</ReplaceKeyPrefixWith></Redirect></RoutingRule></RoutingRules></WebsiteConfiguration>")
        status, body = _signed(sdk_server, "PUT", BUCKET, query={"website": ""}, body=xml.encode(),
                               headers={"Content-Type": "application/xml"})
        assert status == 200, body
        base = f"http://{BUCKET}.cos-website.{sdk_server.region}.localhost:{sdk_server.port}/"
        got = harness.js(FETCH, [base, ["site/", "site/nothing.html", "old/index.html", "site/private.html"]])
        assert got["site/"] == {"status": 200, "type": "cors", "body": "<p>site/index.html</p>"}
        assert got["site/nothing.html"] == {"status": 404, "type": "cors", "body": "<p>site/404.html</p>"}
        assert got["old/index.html"]["type"] == "opaqueredirect"  # a 301 the page may not read, as with COS
        assert got["site/private.html"]["status"] == 403 and "<Code>AccessDenied</Code>" in got["site/private.html"]["body"]
    finally:
        for key in ("site/index.html", "site/404.html", "site/private.html"):
            _signed(sdk_server, "DELETE", BUCKET, key)
        _clear(sdk_server)
