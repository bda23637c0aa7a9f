"""Result parity with cos-js-sdk-v5 for versioning (issue 15): putBucketVersioning,
getBucketVersioning, listObjectVersions, and VersionId / DeleteMarker on the object calls.

The pattern of test_js_parity.py (its ``parity`` fixture: both SDKs run the same steps in one
Chromium page against the local server, results compared field by field). Versioning cannot be
turned off, so both runs start from a fresh spare bucket ``ver-1250000000`` (``_fresh``: every
version deleted, the bucket deleted and made again, CORS open). Version ids differ between the
two runs; each is replaced by ``<vN>``, N the order in which it first appears in the results
(keys visited sorted, steps in order), so the same id must sit in the same places on both sides.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from .test_js_parity import _compare, _restore_open_cors, _signed, parity  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser

VER = {"bucket": "ver-1250000000"}
ID_FIELDS = {"VersionId", "x-cos-version-id", "NextVersionIdMarker", "DeleteMarkerVersionId",
             "VersionIdMarker", "x-cos-copy-source-version-id"}


def _fresh(server) -> None:
    bucket = VER["bucket"]
    _restore_open_cors(server, bucket)
    while True:
        status, body = _signed(server, "GET", bucket, query={"versions": ""})
        assert status == 200, body
        root = ET.fromstring(body)
        items = [(el.findtext("Key"), el.findtext("VersionId")) for el in root if el.tag in ("Version", "DeleteMarker")]
        for key, vid in items:
            assert _signed(server, "DELETE", bucket, key, query={"versionId": vid})[0] == 204
        if root.findtext("IsTruncated") != "true":
            break
    assert _signed(server, "DELETE", bucket)[0] == 204
    _restore_open_cors(server, bucket)


def _ids(value, found: list[str]) -> None:
    if isinstance(value, dict):
        for name in sorted(value):
            item = value[name]
            if name in ID_FIELDS and isinstance(item, str) and item not in ("", "null") and item not in found:
                found.append(item)
            _ids(item, found)
    elif isinstance(value, list):
        for item in value:
            _ids(item, found)


def _normalise_ids(out: dict, steps: list) -> dict:
    found: list[str] = []
    for name, *_ in steps:
        _ids(out.get(name), found)
    text = json.dumps(out, ensure_ascii=False)
    for n, vid in enumerate(found):
        text = re.sub(re.escape(vid), f"<v{n}>", text)
    return json.loads(text)


@pytest.fixture
def ver(parity, sdk_server):
    """``ver(steps, **kw)``: parity on the spare bucket, each run starting from a fresh bucket."""

    def run(steps, errors=None, lists=None):
        steps = [(*s[:3], {**VER, **(s[3] if len(s) > 3 else {})}) for s in steps]
        _fresh(sdk_server)
        try:
            js, py = parity(steps, between=lambda: _fresh(sdk_server), check=False)
        finally:
            _fresh(sdk_server)
        js, py = _normalise_ids(js, steps), _normalise_ids(py, steps)
        _compare(js, py, lists)
        failed = {name: r["err"]["code"] for name, r in py.items() if isinstance(r, dict) and "err" in r}
        assert failed == (errors or {}), "the steps that failed are not the ones meant to"
        return js, py

    return run


def test_versioning_status_and_versioned_objects(ver, sdk_vars):
    src = f"{VER['bucket']}.cos.{sdk_vars['REGION']}.myqcloud.com/{{P}}/a.txt"
    js, py = ver([
        ("get0", "getBucketVersioning", {}),
        ("list0", "listObjectVersions", {"Prefix": "{P}/"}),
        ("enable", "putBucketVersioning", {"VersioningConfiguration": {"Status": "Enabled"}}),
        ("get1", "getBucketVersioning", {}),
        ("put1", "putObject", {"Key": "{P}/a.txt", "Body": "one"}),
        ("put2", "putObject", {"Key": "{P}/a.txt", "Body": "two"}),
        ("put_d", "putObject", {"Key": "{P}/d/c.txt", "Body": "deep"}),
        ("head1", "headObject", {"Key": "{P}/a.txt", "VersionId": "$ref:put1.VersionId"}),
        ("get1_body", "getObject", {"Key": "{P}/a.txt", "VersionId": "$ref:put1.VersionId"}),
        ("get_cur", "getObject", {"Key": "{P}/a.txt"}),
        ("no_version", "getObject", {"Key": "{P}/a.txt", "VersionId": "bm9uZQ"}),
        ("copy", "putObjectCopy", {"Key": "{P}/b.txt", "CopySource": src}),
        ("acl_v1", "getObjectAcl", {"Key": "{P}/a.txt", "VersionId": "$ref:put1.VersionId"}),
        ("del", "deleteObject", {"Key": "{P}/a.txt"}),
        ("gone", "getObject", {"Key": "{P}/a.txt"}),
        ("head_gone", "headObject", {"Key": "{P}/a.txt"}),
        ("marker_by_id", "getObject", {"Key": "{P}/a.txt", "VersionId": "$ref:del.VersionId"}),
        ("list1", "listObjectVersions", {"Prefix": "{P}/"}),
        ("page1", "listObjectVersions", {"Prefix": "{P}/", "MaxKeys": 2}),
        ("page2", "listObjectVersions", {"Prefix": "{P}/", "MaxKeys": 2, "KeyMarker": "$ref:page1.NextKeyMarker",
                                         "VersionIdMarker": "$ref:page1.NextVersionIdMarker"}),
        ("rolled", "listObjectVersions", {"Prefix": "{P}/", "Delimiter": "/"}),
        ("url", "listObjectVersions", {"Prefix": "{P}/d/", "EncodingType": "url"}),
        ("undelete", "deleteObject", {"Key": "{P}/a.txt", "VersionId": "$ref:del.VersionId"}),
        ("back", "getObject", {"Key": "{P}/a.txt"}),
        ("drop_v2", "deleteObject", {"Key": "{P}/a.txt", "VersionId": "$ref:put2.VersionId"}),
        ("now_v1", "getObject", {"Key": "{P}/a.txt"}),
        ("multi", "deleteMultipleObject", {"Objects": [{"Key": "{P}/a.txt", "VersionId": "$ref:put1.VersionId"},
                                                      {"Key": "{P}/b.txt"}]}),
        ("list2", "listObjectVersions", {"Prefix": "{P}/"}),
        ("suspend", "putBucketVersioning", {"VersioningConfiguration": {"Status": "Suspended"}}),
        ("get2", "getBucketVersioning", {}),
        ("put_null", "putObject", {"Key": "{P}/a.txt", "Body": "null version"}),
        ("get_null", "getObject", {"Key": "{P}/a.txt", "VersionId": "null"}),
        ("del_null", "deleteObject", {"Key": "{P}/a.txt"}),
        ("bad_sig", "listObjectVersions", {}, {"sdk": "bad"}),
    ], errors={"no_version": "NoSuchVersion", "gone": "NoSuchKey", "head_gone": "NotFound",
               "marker_by_id": "MethodNotAllowed",
               "bad_sig": "SignatureDoesNotMatch"})  # fmt: skip
    # the JS SDK's own results say what versioning did (the comparison says cos_web's are the same)
    assert js["get0"]["VersioningConfiguration"] == {} and js["list0"]["Versions"] == []
    assert js["get1"]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert js["put1"]["VersionId"] != js["put2"]["VersionId"]
    assert js["get1_body"]["Body"] == "one" and js["get_cur"]["Body"] == "two"
    assert js["copy"]["VersionId"] == js["copy"]["headers"]["x-cos-version-id"]
    assert js["del"]["DeleteMarker"] == "true" and js["gone"]["err"]["statusCode"] == 404
    assert js["marker_by_id"]["err"]["statusCode"] == 405
    assert [(v["Key"], v["IsLatest"]) for v in js["list1"]["Versions"]] == [
        ("{P}/a.txt", "false"), ("{P}/a.txt", "false"), ("{P}/b.txt", "true"), ("{P}/d/c.txt", "true")]
    assert [m["IsLatest"] for m in js["list1"]["DeleteMarkers"]] == ["true"]
    assert js["page1"]["IsTruncated"] == "true" and len(js["page1"]["Versions"]) + len(js["page1"]["DeleteMarkers"]) == 2
    assert js["rolled"]["CommonPrefixes"] == {"Prefix": "{P}/d/"}  # one prefix: an object, as the JS SDK leaves it
    assert js["back"]["Body"] == "two" and js["now_v1"]["Body"] == "one"
    assert js["multi"]["Deleted"][1]["DeleteMarker"] == "true"
    assert js["get2"]["VersioningConfiguration"] == {"Status": "Suspended"}
    assert js["put_null"]["VersionId"] == "null" and js["del_null"]["VersionId"] == "null"
    assert js["get_null"]["Body"] == "null version"
    assert py["put1"]["VersionId"] == js["put1"]["VersionId"] == "<v0>"
