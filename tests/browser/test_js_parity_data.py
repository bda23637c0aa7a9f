"""Result parity with cos-js-sdk-v5 for the data-path calls of issue 16 (appendObject, ...).

Same runners, placeholders and deliberate differences as test_js_parity.py (its ``parity``
fixture): both SDKs run the steps in one Chromium page against the local server, and every
step's ``data`` (or error) must match field by field.
"""

from __future__ import annotations

import pytest

from tests.browser.test_js_parity import parity  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser

NEXT = "headers.x-cos-next-append-position"


def test_append_object(parity):  # noqa: F811
    js, py = parity([
        ("first", "appendObject", {"Key": "{P}/log", "Body": "hello ", "Position": 0}),
        ("second", "appendObject", {"Key": "{P}/log", "Body": {"$blob": "world", "type": "text/x-log"},
                                    "Position": "$ref:first." + NEXT}),
        ("third", "appendObject", {"Key": "{P}/log", "Body": "!", "Position": "$ref:second." + NEXT}),
        ("head", "headObject", {"Key": "{P}/log"}),
        ("get", "getObject", {"Key": "{P}/log"}),
        ("stale", "appendObject", {"Key": "{P}/log", "Body": "late", "Position": "$ref:first." + NEXT}),
        ("no_position", "appendObject", {"Key": "{P}/other", "Body": "x"}),
        ("gap", "appendObject", {"Key": "{P}/other", "Body": "x", "Position": 5}),
        ("put", "putObject", {"Key": "{P}/plain", "Body": "plain"}),
        ("normal", "appendObject", {"Key": "{P}/plain", "Body": "x", "Position": 5}),
        ("bad_sig", "appendObject", {"Key": "{P}/log", "Body": "x", "Position": 12}, {"sdk": "bad"}),
        ("typed", "appendObject", {"Key": "{P}/typed", "Body": {"$blob": "{}", "type": "application/json"},
                                   "Position": 0, "ContentDisposition": "inline", "x-cos-meta-a": "b"}),
        ("typed_head", "headObject", {"Key": "{P}/typed"}),
    ], errors={"stale": "PositionNotEqualToLength", "no_position": "InvalidArgument",
               "gap": "PositionNotEqualToLength", "normal": "ObjectNotAppendable",
               "bad_sig": "SignatureDoesNotMatch"})  # fmt: skip

    for name, want in (("first", "6"), ("second", "11"), ("third", "12")):
        assert js[name]["headers"]["x-cos-next-append-position"] == want
        assert js[name]["statusCode"] == 200
    assert js["get"]["Body"] == py["get"]["Body"] == "hello world!"
    head = js["head"]["headers"]
    assert head["x-cos-object-type"] == "appendable" and head["x-cos-next-append-position"] == "12"
    assert head["etag"] == js["third"]["headers"]["etag"]
    assert js["stale"]["err"]["statusCode"] == 409
    assert js["typed_head"]["headers"]["content-type"] == "application/json"
    assert js["typed_head"]["headers"]["content-disposition"] == "inline"  # (x-cos-meta-* is not exposed by CORS)
