"""``cos.abortUploadTask`` (Level task / file / bucket): cos_web and cos-js-sdk-v5 in one Chromium
page against the local server, results compared field by field (test_js_parity's fixture)."""

from __future__ import annotations

import pytest

from .test_js_parity import _compare, parity  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser

SPARE = {"bucket": "ex-1250000000"}  # a bucket of the parity server no other test leaves uploads in


def test_abort_upload_task_matches_the_js_sdk(parity):  # noqa: F811
    steps = [
        ("clean", "abortUploadTask", {"Level": "bucket"}, SPARE),  # whatever an earlier run left
        ("a1", "multipartInit", {"Key": "{P}/a"}, SPARE),
        ("a2", "multipartInit", {"Key": "{P}/a"}, SPARE),
        ("a_longer", "multipartInit", {"Key": "{P}/a-2"}, SPARE),  # listed under the prefix {P}/a, kept
        ("b", "multipartInit", {"Key": "{P}/b"}, SPARE),
        ("c", "multipartInit", {"Key": "{P}/c"}, SPARE),
        ("file", "abortUploadTask", {"Level": "file", "Key": "{P}/a"}, SPARE),
        ("after_file", "multipartList", {"Prefix": "{P}/"}, SPARE),
        ("task", "abortUploadTask", {"Key": "{P}/b", "UploadId": "$ref:b.UploadId"}, SPARE),
        ("task_gone", "abortUploadTask", {"Level": "task", "Key": "{P}/b", "UploadId": "$ref:b.UploadId"}, SPARE),
        ("bucket", "abortUploadTask", {"Level": "bucket", "AsyncLimit": 3}, SPARE),
        ("after_bucket", "multipartList", {"Prefix": "{P}/"}, SPARE),
        ("no_level", "abortUploadTask", {"Level": "object", "Key": "{P}/a"}, SPARE),
        ("no_id", "abortUploadTask", {"Level": "task", "Key": "{P}/a"}, SPARE),
        ("no_key", "abortUploadTask", {"Level": "file"}, SPARE),
    ]
    js, py = parity(steps, check=False)
    js.pop("clean"), py.pop("clean")
    _compare(js, py, lists={"after_bucket": ("Upload", "CommonPrefixes"), "after_file": ("CommonPrefixes",)})
    assert [t["Key"] for t in py["file"]["successList"]] == ["{P}/a", "{P}/a"] and py["file"]["errorList"] == []
    assert [u["Key"] for u in py["after_file"]["Upload"]] == ["{P}/a-2", "{P}/b", "{P}/c"]
    assert len(py["task"]["successList"]) == 1 and len(py["task_gone"]["errorList"]) == 1  # NoSuchUpload
    assert sorted(t["Key"] for t in py["bucket"]["successList"]) == ["{P}/a-2", "{P}/c"]
    assert py["after_bucket"]["Upload"] == []
    assert {k: v["err"]["code"] for k, v in py.items() if "err" in v} == {
        "no_level": "InvalidParameter", "no_id": "InvalidParameter", "no_key": "InvalidParameter"}  # fmt: skip
