"""Result parity with cos-js-sdk-v5 for bucket lifecycle rules (issue 15): put/get/
deleteBucketLifecycle, and what the rules do once the server's sweep has run, read by both SDKs.

The pattern of test_js_parity_config.py (the ``parity`` fixture of test_js_parity.py: both SDKs
run the same steps in one Chromium page, results compared field by field), on the spare bucket
``conf-1250000000``; ``between`` removes the configuration the JS run left.
"""

from __future__ import annotations

import json
import urllib.request
import uuid

import pytest

from .test_js_parity import _restore_open_cors, _signed, parity  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser

CONF = {"bucket": "conf-1250000000"}
RULES = [
    {"ID": "logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
     "Transition": [{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 90, "StorageClass": "ARCHIVE"}],
     "Expiration": {"Days": 365}},
    {"ID": "tmp", "Status": "Disabled",
     "Filter": {"And": {"Prefix": "tmp/", "Tag": [{"Key": "kind", "Value": "scratch"}, {"Key": "team", "Value": "web"}]}},
     "Expiration": {"Date": "2030-01-01T00:00:00+08:00"}},
    {"ID": "uploads", "Status": "Enabled", "Filter": {"Prefix": ""},
     "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
     "NoncurrentVersionExpiration": {"NoncurrentDays": 30}},
]  # fmt: skip


def _clear(server) -> None:
    _restore_open_cors(server, CONF["bucket"])
    assert _signed(server, "DELETE", CONF["bucket"], query={"lifecycle": ""})[0] == 204


@pytest.fixture
def conf(parity, sdk_server):
    def run(steps, **kwargs):
        _clear(sdk_server)
        try:
            return parity([(*s[:3], {**CONF, **(s[3] if len(s) > 3 else {})}) for s in steps],
                          between=lambda: _clear(sdk_server), **kwargs)
        finally:
            _clear(sdk_server)

    return run


def test_lifecycle_calls(conf):
    js, py = conf([
        ("get0", "getBucketLifecycle", {}),
        ("del0", "deleteBucketLifecycle", {}),
        ("put", "putBucketLifecycle", {"Rules": RULES}),
        ("get1", "getBucketLifecycle", {}),
        ("put_conf", "putBucketLifecycle", {"LifecycleConfiguration": {"Rules": [
            {"ID": "one", "Status": "Enabled", "Filter": {"Tag": {"Key": "a", "Value": "1"}},
             "Transition": {"Date": "2031-06-01T00:00:00Z", "StorageClass": "DEEP_ARCHIVE"}}]}}),
        ("get2", "getBucketLifecycle", {}),
        ("bad_date", "putBucketLifecycle", {"Rules": [
            {"ID": "x", "Status": "Enabled", "Filter": {}, "Expiration": {"Date": "2030-01-01T10:00:00Z"}}]}),
        ("mixed", "putBucketLifecycle", {"Rules": [
            {"ID": "x", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 3},
             "Transition": {"Date": "2030-01-01T00:00:00Z", "StorageClass": "ARCHIVE"}}]}),
        ("two_filters", "putBucketLifecycle", {"Rules": [
            {"ID": "x", "Status": "Enabled", "Filter": {"Prefix": "a", "Tag": {"Key": "k", "Value": "v"}},
             "Expiration": {"Days": 3}}]}),
        ("put_bad_key", "putBucketLifecycle", {"Rules": RULES}, {"sdk": "bad"}),
        ("get3", "getBucketLifecycle", {}),
        ("del", "deleteBucketLifecycle", {}),
        ("get4", "getBucketLifecycle", {}),
        ("missing", "getBucketLifecycle", {}, {"bucket": "missing-1250000000"}),
    ], errors={"bad_date": "InvalidArgument", "mixed": "InvalidArgument", "two_filters": "MalformedXML",
               "put_bad_key": "SignatureDoesNotMatch", "missing": "NetworkError"})  # fmt: skip
    assert js["get0"]["Rules"] == [] and js["get0"]["statusCode"] == 404 and js["del0"]["statusCode"] == 204
    got = js["get1"]["Rules"]
    assert [r["ID"] for r in got] == ["logs", "tmp", "uploads"]
    assert got[0]["Transition"] == [{"Days": "30", "StorageClass": "STANDARD_IA"},
                                    {"Days": "90", "StorageClass": "ARCHIVE"}]
    assert got[1]["Filter"]["And"]["Tag"][1] == {"Key": "team", "Value": "web"}
    assert got[2]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": "7"}
    assert js["get2"]["Rules"] == [{"ID": "one", "Status": "Enabled", "Filter": {"Tag": {"Key": "a", "Value": "1"}},
                                    "Transition": {"Date": "2031-06-01T00:00:00Z", "StorageClass": "DEEP_ARCHIVE"}}]
    assert js["get3"] == js["get2"] | {"headers": js["get3"]["headers"], "statusCode": 200}
    assert js["get4"]["Rules"] == [] and js["get4"]["statusCode"] == 404
    assert py["get1"] == js["get1"]


def test_bad_rules_cos_web_refuses_before_sending(conf):
    """The JS SDK sends any rules (the server refuses them); cos_web refuses them first."""
    steps = [
        ("none", "putBucketLifecycle", {"Rules": []}),
        ("status", "putBucketLifecycle", {"Rules": [{"ID": "x", "Status": "On", "Expiration": {"Days": 1}}]}),
        ("days", "putBucketLifecycle", {"Rules": [{"ID": "x", "Status": "Enabled", "Filter": {},
                                                   "Expiration": {"Days": 0}}]}),
        ("class", "putBucketLifecycle", {"Rules": [{"ID": "x", "Status": "Enabled", "Filter": {},
                                                    "Transition": {"Days": 1, "StorageClass": "GLACIER"}}]}),
        ("get", "getBucketLifecycle", {}),
    ]  # fmt: skip
    js, py = conf(steps, check=False)
    assert {n: js[n]["err"]["code"] for n in ("none", "status", "days", "class")} == {
        "none": "MalformedXML", "status": "InvalidArgument", "days": "InvalidArgument", "class": "InvalidArgument"}
    for name in ("none", "status", "days", "class"):
        assert py[name]["err"]["code"] == "InvalidParameter" and py[name]["err"]["statusCode"] is None, py[name]
    assert "Rules" in py["none"]["err"]["message"] and "Rules[0].Status" in py["status"]["err"]["message"]
    assert js["get"]["Rules"] == py["get"]["Rules"] == []  # nothing was stored by either


def _sweep(server) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{server.port}/_cos_web/lifecycle", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.loads(reply.read())


def test_what_the_rules_did_as_both_sdks_see_it(conf, sdk_server):
    """Rules with a Date in the past apply at the next sweep (run here through the admin endpoint):
    both SDKs then read the same objects: archived (GET refused until restored), expired, kept."""
    base = f"lc{uuid.uuid4().hex[:8]}"
    bucket = CONF["bucket"]
    _clear(sdk_server)
    for key in ("arch/a.txt", "gone/a.txt", "keep/a.txt", "ia/a.txt"):
        assert _signed(sdk_server, "PUT", bucket, f"{base}/{key}", body=b"lifecycle")[0] == 200
    rules = "".join(
        f"<Rule><ID>{i}</ID><Filter><Prefix>{base}/{prefix}</Prefix></Filter><Status>Enabled</Status>{action}</Rule>"
        for i, (prefix, action) in enumerate([
            ("arch/", "<Transition><Date>2020-01-01T00:00:00Z</Date><StorageClass>ARCHIVE</StorageClass></Transition>"),
            ("ia/", "<Transition><Date>2020-01-01T00:00:00Z</Date><StorageClass>STANDARD_IA</StorageClass></Transition>"),
            ("gone/", "<Expiration><Date>2020-01-01T00:00:00Z</Date></Expiration>")]))  # fmt: skip
    status, body = _signed(sdk_server, "PUT", bucket, query={"lifecycle": ""},
                           body=f"<LifecycleConfiguration>{rules}</LifecycleConfiguration>".encode())
    assert status == 200, body
    report = _sweep(sdk_server)
    assert [bucket, f"{base}/gone/a.txt"] in report["expired"]
    assert [bucket, f"{base}/arch/a.txt", "ARCHIVE"] in report["transitioned"]
    _clear(sdk_server)  # the rules are done; the objects stay as they made them
    js, _ = conf([
        ("list", "getBucket", {"Prefix": base + "/"}),
        ("head_arch", "headObject", {"Key": base + "/arch/a.txt"}),
        ("get_arch", "getObject", {"Key": base + "/arch/a.txt"}),
        ("head_ia", "headObject", {"Key": base + "/ia/a.txt"}),
        ("get_ia", "getObject", {"Key": base + "/ia/a.txt"}),
        ("head_gone", "headObject", {"Key": base + "/gone/a.txt"}),
        ("get_keep", "getObject", {"Key": base + "/keep/a.txt"}),
    ], errors={"get_arch": "InvalidObjectState", "head_gone": "NotFound"})  # fmt: skip
    listed = {c["Key"].split("/", 1)[1]: c["StorageClass"] for c in js["list"]["Contents"]}
    assert listed == {"arch/a.txt": "ARCHIVE", "ia/a.txt": "STANDARD_IA", "keep/a.txt": "STANDARD"}
    assert js["get_ia"]["Body"] == js["get_keep"]["Body"] == "lifecycle"
    assert js["get_arch"]["err"]["statusCode"] == 403
    keys = [{"Key": f"{base}/{k}"} for k in ("arch/a.txt", "ia/a.txt", "keep/a.txt")]
    conf([("rm", "deleteMultipleObject", {"Objects": keys})])


def _admin(server, method: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(f"http://127.0.0.1:{server.port}{path}", data=data, method=method)
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.loads(reply.read())


def _versions(server, bucket: str, prefix: str) -> list[tuple[str, str, bool]]:
    """(key, version id, is a delete marker) under ``prefix``, from a signed GET ?versions."""
    import xml.etree.ElementTree as ET

    status, body = _signed(server, "GET", bucket, query={"versions": "", "prefix": prefix})
    assert status == 200, body
    return [(el.findtext("Key"), el.findtext("VersionId"), el.tag == "DeleteMarker")
            for el in ET.fromstring(body) if el.tag in ("Version", "DeleteMarker")]


def test_noncurrent_rules_as_both_sdks_see_them(conf, sdk_server):
    """On a versioned bucket, with the background clock two days on: a noncurrent version moved to
    ARCHIVE, one expired, a lone delete marker removed; both SDKs list and read the result."""
    bucket = "lcver-1250000000"
    base = f"lc{uuid.uuid4().hex[:8]}"
    _restore_open_cors(sdk_server, bucket)  # made if missing, CORS open
    on = b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"
    assert _signed(sdk_server, "PUT", bucket, query={"versioning": ""}, body=on)[0] == 200
    for key, body in (("n/a", b"one"), ("n/a", b"two"), ("e/a", b"old"), ("e/a", b"new"), ("m/x", b"x")):
        assert _signed(sdk_server, "PUT", bucket, f"{base}/{key}", body=body)[0] == 200
    assert _signed(sdk_server, "DELETE", bucket, f"{base}/m/x")[0] == 204  # a delete marker over m/x
    [(_, made, _)] = [v for v in _versions(sdk_server, bucket, f"{base}/m/") if not v[2]]
    assert _signed(sdk_server, "DELETE", bucket, f"{base}/m/x", query={"versionId": made})[0] == 204
    rules = "".join(
        f"<Rule><ID>{i}</ID><Filter><Prefix>{base}/{prefix}</Prefix></Filter><Status>Enabled</Status>{action}</Rule>"
        for i, (prefix, action) in enumerate([
            ("n/", "<NoncurrentVersionTransition><NoncurrentDays>1</NoncurrentDays><StorageClass>ARCHIVE"
                   "</StorageClass></NoncurrentVersionTransition>"),
            ("e/", "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>"),
            ("m/", "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>")]))
    status, body = _signed(sdk_server, "PUT", bucket, query={"lifecycle": ""},
                           body=f"<LifecycleConfiguration>{rules}</LifecycleConfiguration>".encode())
    assert status == 200, body
    try:
        _admin(sdk_server, "POST", "/_cos_web/clock", {"advance": 2 * 86400 + 60})
        report = _sweep(sdk_server)
    finally:
        _admin(sdk_server, "DELETE", "/_cos_web/clock")
        assert _signed(sdk_server, "DELETE", bucket, query={"lifecycle": ""})[0] == 204
    assert [r[:2] for r in report["noncurrent_transitioned"]] == [[bucket, f"{base}/n/a"]]
    assert [r[:2] for r in report["noncurrent_expired"]] == [[bucket, f"{base}/e/a"]]
    assert [r[:2] for r in report["markers_removed"]] == [[bucket, f"{base}/m/x"]]
    at = {"bucket": bucket}
    js, _ = conf([
        ("list", "listObjectVersions", {"Prefix": base + "/"}, at),
        ("get_old", "getObject", {"Key": base + "/n/a", "VersionId": "$ref:list.Versions.2.VersionId"}, at),
        ("get_cur", "getObject", {"Key": base + "/n/a"}, at),
        ("get_e", "getObject", {"Key": base + "/e/a"}, at),
        ("head_m", "headObject", {"Key": base + "/m/x"}, at),
    ], errors={"get_old": "InvalidObjectState", "head_m": "NotFound"})  # fmt: skip
    listed = [(v["Key"].split("/", 1)[1], v["IsLatest"], v["StorageClass"]) for v in js["list"]["Versions"]]
    assert listed == [("e/a", "true", "STANDARD"), ("n/a", "true", "STANDARD"), ("n/a", "false", "ARCHIVE")]
    assert js["list"]["DeleteMarkers"] == [] and js["get_cur"]["Body"] == "two" and js["get_e"]["Body"] == "new"
