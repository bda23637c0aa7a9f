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
# A HEAD of a URL HEADed before may be answered from Chromium's cache (heuristically fresh: the
# object has a Last-Modified and no Cache-Control); a restore changes only x-cos-restore.
FRESH = {"Cache-Control": "no-cache"}


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


def test_archive_and_restore_object(parity):  # noqa: F811
    restore = {"Days": 1, "CASJobParameters": {"Tier": "Standard"}}
    js, py = parity([
        ("put", "putObject", {"Key": "{P}/cold", "Body": "ice", "StorageClass": "ARCHIVE"}),
        ("frozen_get", "getObject", {"Key": "{P}/cold"}),
        ("frozen_head", "headObject", {"Key": "{P}/cold"}),
        ("no_request", "restoreObject", {"Key": "{P}/cold"}),
        ("restore", "restoreObject", {"Key": "{P}/cold", "RestoreRequest": restore}),
        ("head", "headObject", {"Key": "{P}/cold", "Headers": FRESH}),
        ("get", "getObject", {"Key": "{P}/cold"}),
        ("extend", "restoreObject", {"Key": "{P}/cold", "RestoreRequest": {**restore, "Days": 3}}),
        ("head_extended", "headObject", {"Key": "{P}/cold", "Headers": FRESH}),
        ("deep", "putObject", {"Key": "{P}/deep", "Body": "abyss", "StorageClass": "DEEP_ARCHIVE"}),
        ("expedited", "restoreObject", {"Key": "{P}/deep",
                                        "RestoreRequest": {"Days": 1, "CASJobParameters": {"Tier": "Expedited"}}}),
        ("bulk", "restoreObject", {"Key": "{P}/deep", "RestoreRequest": {"Days": 1,
                                                                         "CASJobParameters": {"Tier": "Bulk"}}}),
        ("warm", "putObject", {"Key": "{P}/warm", "Body": "sun"}),
        ("not_archived", "restoreObject", {"Key": "{P}/warm", "RestoreRequest": restore}),
        ("missing", "restoreObject", {"Key": "{P}/none", "RestoreRequest": restore}),
        ("bad_sig", "restoreObject", {"Key": "{P}/cold", "RestoreRequest": restore}, {"sdk": "bad"}),
    ], errors={"frozen_get": "InvalidObjectState", "no_request": "InvalidParameter",
               "expedited": "InvalidArgument", "not_archived": "InvalidObjectState", "missing": "NoSuchKey",
               "bad_sig": "SignatureDoesNotMatch"})  # fmt: skip

    assert js["frozen_get"]["err"]["statusCode"] == 403
    assert js["frozen_head"]["headers"]["x-cos-storage-class"] == "ARCHIVE"
    assert "x-cos-restore" not in js["frozen_head"]["headers"]
    assert (js["restore"]["statusCode"], js["extend"]["statusCode"], js["bulk"]["statusCode"]) == (202, 200, 202)
    restored = js["head"]["headers"]["x-cos-restore"]
    assert restored.startswith('ongoing-request="false", expiry-date="') and restored.endswith(' 00:00:00 GMT"')
    assert js["head_extended"]["headers"]["x-cos-restore"] != restored
    assert js["get"]["Body"] == py["get"]["Body"] == "ice"
