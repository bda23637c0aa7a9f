"""Issue 15 audit, the gaps test_js_parity_config.py left: COS's tag limits through both SDKs
(cos_web refuses before sending, the JS SDK gets the server's InvalidTag), x-cos-tagging errors
on putObject / multipartInit / putObjectCopy, the Key that getBucketWebsite and getBucketReferer
put in their path, getService's region filter with buckets in two regions, and the referer
rule for a page whose requests carry no Referer (EmptyReferConfiguration).

Same pattern as test_js_parity_config.py: both SDKs run the same steps in one Chromium page
against the local server, results compared field by field (test_js_parity._compare).
"""

from __future__ import annotations

import types

import pytest

from .test_js_parity import _compare, _signed, parity  # noqa: F401 - the fixture
from .test_js_parity_config import CONF, conf  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def _tags(n: int, value: str = "v") -> list[dict]:
    return [{"Key": f"k{i}", "Value": value} for i in range(n)]


def test_tag_limits_and_tagging_headers(conf, sdk_vars):
    src = f"{CONF['bucket']}.cos.{sdk_vars['REGION']}.myqcloud.com/{{P}}/src.txt"
    limits = {  # step -> what cos_web refuses before sending (the JS SDK sends it: the server's InvalidTag)
        "b51": "at most 50", "b_dup": "twice", "b_reserved": "reserved", "b_char": "not '<'",
        "b_long_key": "1 to 127", "b_long_value": "at most 255", "o11": "at most 10",
    }  # fmt: skip
    js, py = conf([
        ("b50", "putBucketTagging", {"Tags": _tags(50)}),
        ("g50", "getBucketTagging", {}),
        ("b51", "putBucketTagging", {"Tags": _tags(51)}),
        ("b_dup", "putBucketTagging", {"Tags": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]}),
        ("b_reserved", "putBucketTagging", {"Tags": [{"Key": "qcs:x", "Value": "1"}]}),
        ("b_char", "putBucketTagging", {"Tags": [{"Key": "k", "Value": "a<b"}]}),
        ("b_long_key", "putBucketTagging", {"Tags": [{"Key": {"$fill": "k", "n": 128}, "Value": "1"}]}),
        ("b_long_value", "putBucketTagging", {"Tags": [{"Key": "k", "Value": {"$fill": "v", "n": 256}}]}),
        ("b_edge", "putBucketTagging", {"Tags": [{"Key": {"$fill": "键", "n": 127}, "Value": {"$fill": "v", "n": 255}},
                                                 {"Key": "a +-=._:/@", "Value": ""}]}),
        ("g_edge", "getBucketTagging", {}),
        ("src", "putObject", {"Key": "{P}/src.txt", "Body": "s", "x-cos-tagging": "&".join(f"k{i}=v" for i in range(10))}),
        ("o10", "putObjectTagging", {"Key": "{P}/src.txt", "Tags": _tags(10, "w")}),
        ("o11", "putObjectTagging", {"Key": "{P}/src.txt", "Tags": _tags(11)}),
        ("og", "getObjectTagging", {"Key": "{P}/src.txt"}),
        ("h_reserved", "putObject", {"Key": "{P}/bad.txt", "Body": "x", "x-cos-tagging": "qcs:x=1"}),
        ("h_11", "putObject", {"Key": "{P}/bad.txt", "Body": "x", "x-cos-tagging": "&".join(f"k{i}=v" for i in range(11))}),
        ("h_encoding", "putObject", {"Key": "{P}/bad.txt", "Body": "x", "x-cos-tagging": "k=%FF"}),
        ("h_missing", "headObject", {"Key": "{P}/bad.txt"}),
        ("init_dup", "multipartInit", {"Key": "{P}/m.bin", "x-cos-tagging": "a=1&a=2"}),
        ("copy_keep", "putObjectCopy", {"Key": "{P}/c.txt", "CopySource": src, "x-cos-tagging-directive": "Keep"}),
        ("copy_bad", "putObjectCopy", {"Key": "{P}/c.txt", "CopySource": src, "x-cos-tagging-directive": "Replaced",
                                       "x-cos-tagging": "k=a<b"}),
        ("copy_copy", "putObjectCopy", {"Key": "{P}/c.txt", "CopySource": src, "x-cos-tagging-directive": "Copy",
                                        "x-cos-tagging": "ignored=1", "MetadataDirective": "Replaced"}),
        ("g_copy", "getObjectTagging", {"Key": "{P}/c.txt"}),
        ("copy_none", "putObjectCopy", {"Key": "{P}/n.txt", "CopySource": src, "x-cos-tagging-directive": "Replaced"}),
        ("g_none", "getObjectTagging", {"Key": "{P}/n.txt"}),
        ("head_none", "headObject", {"Key": "{P}/n.txt"}),
        ("rm", "deleteMultipleObject", {"Objects": [{"Key": "{P}/src.txt"}, {"Key": "{P}/c.txt"}, {"Key": "{P}/n.txt"}]}),
    ], check=False)  # fmt: skip
    for step, why in limits.items():
        assert (js[step]["err"]["code"], js[step]["err"]["statusCode"]) == ("InvalidTag", 400), (step, js[step])
        got = py[step]["err"]
        assert (got["code"], got["statusCode"]) == ("InvalidParameter", None) and why in got["message"], (step, got)
    _compare({k: v for k, v in js.items() if k not in limits}, py)
    failed = {k: r["err"]["code"] for k, r in py.items() if "err" in r and k not in limits}
    assert failed == {"h_reserved": "InvalidTag", "h_11": "InvalidTag", "h_encoding": "InvalidArgument",
                      "h_missing": "NotFound", "init_dup": "InvalidTag", "copy_keep": "InvalidArgument",
                      "copy_bad": "InvalidTag"}  # fmt: skip
    assert len(js["g50"]["Tags"]) == 50 and js["og"]["Tags"] == _tags(10, "w")
    assert js["g_edge"]["Tags"][0]["Key"] == "键" * 127 and js["g_edge"]["Tags"][1] == {"Key": "a +-=._:/@", "Value": ""}
    assert js["g_copy"]["Tags"] == _tags(10, "w") and js["g_none"]["Tags"] == []
    assert "x-cos-tagging-count" not in js["head_none"]["headers"]


def test_website_and_referer_calls_with_a_key(conf):
    """The JS SDK puts a Key given to getBucketWebsite / getBucketReferer in the URL path (and
    signs it): the server answers a bucket sub-resource on an object path 405, for both SDKs."""
    referer = {"Status": "Disabled", "RefererType": "White-List", "DomainList": {"Domains": ["a.example.com"]}}
    js, _ = conf([
        ("site", "putBucketWebsite", {"WebsiteConfiguration": {"IndexDocument": {"Suffix": "index.html"}}}),
        ("ref", "putBucketReferer", {"RefererConfiguration": referer}),
        ("site_key", "getBucketWebsite", {"Key": "{P}/index.html"}),
        ("site_slash", "getBucketWebsite", {"Key": "/"}),
        ("site_empty", "getBucketWebsite", {"Key": ""}),
        ("ref_key", "getBucketReferer", {"Key": "{P}/a b.txt"}),
        ("ref_slash", "getBucketReferer", {"Key": "/"}),
        ("site_bad", "getBucketWebsite", {"Key": "{P}/x"}, {"sdk": "bad"}),
        ("site_del", "deleteBucketWebsite", {}),
        ("site_gone", "getBucketWebsite", {"Key": "/"}),
    ], errors={"site_key": "MethodNotAllowed", "ref_key": "MethodNotAllowed", "site_bad": "MethodNotAllowed"})  # fmt: skip
    assert js["site_slash"]["WebsiteConfiguration"] == {"IndexDocument": {"Suffix": "index.html"}}
    assert js["site_empty"]["WebsiteConfiguration"] == js["site_slash"]["WebsiteConfiguration"]
    assert js["ref_slash"]["RefererConfiguration"]["DomainList"] == {"Domains": ["a.example.com"]}
    assert js["site_key"]["err"]["statusCode"] == 405 and js["site_gone"]["statusCode"] == 404


OTHER_REGION, OTHER_BUCKET = "ap-beijing", "elsewhere-1250000000"


@pytest.fixture
def elsewhere(sdk_server):
    """A bucket in another region (created through that region's host), removed afterwards."""
    there = types.SimpleNamespace(region=OTHER_REGION, port=sdk_server.port, secret_id=sdk_server.secret_id,
                                  secret_key=sdk_server.secret_key)  # fmt: skip
    assert _signed(there, "PUT", OTHER_BUCKET)[0] in (200, 409)
    yield OTHER_BUCKET
    assert _signed(there, "DELETE", OTHER_BUCKET)[0] == 204


@pytest.fixture
def sdk_vars(request, sdk_vars, sdk_server):
    """For getService (parametrized indirectly): ServiceDomain with {{Region}} (cos.<region>.localhost:
    the server filters by it) or without (127.0.0.1: every bucket of the account)."""
    kind = getattr(request, "param", None)
    if kind is None:
        return sdk_vars
    host = "cos.{{Region}}.localhost" if kind == "region" else "127.0.0.1"
    return {**sdk_vars, "SERVICE_DOMAIN": f"http://{host}:{sdk_server.port}", "filtered": kind == "region"}


@pytest.mark.parametrize("sdk_vars", ["region", "plain"], indirect=True)
def test_get_service_in_two_regions(parity, sdk_vars, elsewhere):
    js, _ = parity([
        ("here", "getService", {}),
        ("there", "getService", {"Region": OTHER_REGION}),
        ("nowhere", "getService", {"Region": "ap-singapore"}),
        ("bad", "getService", {"Region": OTHER_REGION}, {"sdk": "bad"}),
    ], errors={"bad": "SignatureDoesNotMatch"})  # fmt: skip
    regions = {name: {b["Location"] for b in js[name]["Buckets"]} for name in ("here", "there", "nowhere")}
    there = [b for b in js["there"]["Buckets"] if b["Name"] == elsewhere]
    assert len(there) == 1 and there[0]["Location"] == OTHER_REGION and there[0]["CreationDate"]
    if sdk_vars["filtered"]:
        assert regions == {"here": {sdk_vars["REGION"]}, "there": {OTHER_REGION}, "nowhere": set()}
    else:  # no region in the host: the whole account, whatever the Region parameter
        assert regions["here"] == regions["there"] == regions["nowhere"] == {sdk_vars["REGION"], OTHER_REGION}


SET_REFERRER_POLICY = """(policy) => {
  document.querySelectorAll('meta[name=referrer]').forEach((m) => m.remove());
  const meta = document.createElement('meta');
  meta.name = 'referrer';
  meta.content = policy;
  document.head.appendChild(meta);
}"""


@pytest.fixture
def no_referrer(harness):
    """The page's requests carry no Referer (a page with ``<meta name="referrer" content="no-referrer">``),
    then Chromium's default again."""
    harness.js(SET_REFERRER_POLICY, "no-referrer")
    try:
        yield
    finally:
        harness.js(SET_REFERRER_POLICY, "strict-origin-when-cross-origin")


def test_empty_referer_rule_from_a_page(conf, no_referrer):
    """EmptyReferConfiguration decides a read with no Referer (Deny by default), for both SDKs. A 200
    GET may come from the HTTP cache, so each object is read allowed only as its last read."""
    def referer(empty=None):
        conf_ = {"Status": "Enabled", "RefererType": "White-List", "DomainList": {"Domains": ["www.example.com"]}}
        return {"RefererConfiguration": {**conf_, **({"EmptyReferConfiguration": empty} if empty else {})}}

    js, _ = conf([
        ("obj", "putObject", {"Key": "{P}/e.txt", "Body": "empty referer"}),
        ("obj2", "putObject", {"Key": "{P}/e2.txt", "Body": "black list"}),
        ("deny", "putBucketReferer", referer()),
        ("read_denied", "getObject", {"Key": "{P}/e.txt"}),
        ("head_denied", "headObject", {"Key": "{P}/e.txt"}),
        ("deny_said", "putBucketReferer", referer("Deny")),
        ("read_denied2", "getObject", {"Key": "{P}/e.txt"}),
        ("black", "putBucketReferer", {"RefererConfiguration": {
            "Status": "Enabled", "RefererType": "Black-List", "DomainList": {"Domains": ["127.0.0.1"]}}}),
        ("read_black", "getObject", {"Key": "{P}/e2.txt"}),  # no Referer is no match, but still empty: Deny
        ("allow", "putBucketReferer", referer("Allow")),
        ("get", "getBucketReferer", {}),
        ("read_ok", "getObject", {"Key": "{P}/e.txt"}),
        ("rm", "deleteMultipleObject", {"Objects": [{"Key": "{P}/e.txt"}, {"Key": "{P}/e2.txt"}]}),
    ], errors={"read_denied": "AccessDenied", "head_denied": "AccessDenied", "read_denied2": "AccessDenied",
               "read_black": "AccessDenied"})  # fmt: skip
    assert js["read_ok"]["Body"] == "empty referer"
    assert js["get"]["RefererConfiguration"]["EmptyReferConfiguration"] == "Allow"
