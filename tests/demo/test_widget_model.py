"""The widget's plain-Python half: formatting, the upload state machine, listings, error words."""

from __future__ import annotations

import pytest

from cos_web import CosError
from cos_web.widget import model as w


def test_import_does_not_need_a_browser():
    import sys

    assert "js" not in sys.modules


@pytest.mark.parametrize(
    "size, text",
    [(None, "—"), (0, "0 B"), (1023, "1023 B"), (1536, "1.5 KB"), (40_000, "39.1 KB"), (1_500_000, "1.4 MB"),
     (200 * 1024 * 1024, "200 MB"), (5 * 1024**4, "5.0 TB")],
)  # fmt: skip
def test_format_bytes(size, text):
    assert w.format_bytes(size) == text


def test_speed_eta_percent():
    assert w.format_speed(0) == "" and w.format_speed(3.2 * 1024 * 1024) == "3.2 MB/s"
    assert w.format_eta(10 * 1024 * 1024, 1024 * 1024) == "10 s left"
    assert w.format_eta(600 * 1024 * 1024, 1024 * 1024) == "10 min left"
    assert w.format_eta(0, 1) == "" and w.format_eta(5, 0) == ""
    assert w.format_percent(0.564) == "56%" and w.format_percent(1.2) == "100%"


def test_upload_lifecycle_and_buttons():
    item = w.UploadItem(name="a.bin", key="uploads/a.bin", size=1000)
    assert item.state == w.WAITING and item.actions() == ("cancel",)  # no task id yet: nothing to pause
    assert not item.pause()
    item.task_id = "t1"
    assert item.actions() == ("pause", "cancel")
    assert item.progress(loaded=250, total=1000, speed=100.0, percent=0.25)
    assert item.state == w.UPLOADING and item.status_text().startswith("Uploading · 250 B of 1000 B · 100 B/s")
    assert item.pause() and item.state == w.PAUSED and item.actions() == ("resume", "cancel")
    assert not item.progress(loaded=300, percent=0.3), "late progress after pause is ignored"
    assert item.percent == 0.25 and item.status_text() == "Paused · 250 B of 1000 B"
    assert not item.fail("aborted"), "the abort a pause causes is not a failure"
    assert item.resume() and item.state == w.WAITING
    assert item.progress(loaded=1000, percent=1.0)
    assert item.finish() and item.state == w.DONE and item.actions() == ("remove",) and item.status_text() == "Uploaded"


def test_cancel_and_failure():
    item = w.UploadItem(name="a", key="a", size=10, task_id="t")
    assert item.fail("Access was denied.") and item.actions() == ("retry", "remove")
    assert item.status_text() == "Failed: Access was denied."
    assert item.resume() and item.error == ""
    assert item.cancel() and item.state == w.CANCELED
    assert not item.finish() and not item.fail("x") and not item.cancel()


def test_parse_listing_folders_first_and_truncation():
    data = {
        "CommonPrefixes": [{"Prefix": "up/b/"}, {"Prefix": "up/A/"}],
        "Contents": [
            {"Key": "up/", "Size": "0", "LastModified": "2026-11-26T12:00:00.000Z"},
            {"Key": "up/z.txt", "Size": "12", "LastModified": "2026-11-26T12:00:00.000Z"},
            {"Key": "up/m.bin", "Size": 2048, "LastModified": "2026-11-26T13:00:00.000Z"},
        ],
        "IsTruncated": "true",
    }
    listing = w.parse_listing(data, "up/")
    assert [(e.name, e.is_folder, e.size) for e in listing.entries] == [
        ("A/", True, None), ("b/", True, None), ("m.bin", False, 2048), ("z.txt", False, 12)]  # fmt: skip
    assert listing.truncated and listing.next_marker == "up/z.txt"
    empty = w.parse_listing({"Contents": [], "CommonPrefixes": [], "IsTruncated": "false"}, "")
    assert empty.entries == [] and not empty.truncated


def test_parse_listing_decodes_url_encoded_results():
    """Listed with EncodingType=url (COS echoes it): keys, prefixes and the marker come back decoded."""
    data = {
        "EncodingType": "url",
        "CommonPrefixes": [{"Prefix": "up/100%25%20sure/"}],
        "Contents": [
            {"Key": "up/a%2Bb%20c%01%E4%B8%AD.txt", "Size": "3"},
            {"Key": "up/%25"},
        ],
        "IsTruncated": "true",
        "NextMarker": "up/a%2Bb%20c%01%E4%B8%AD.txt",
    }
    listing = w.parse_listing(data, "up/")
    assert [(e.key, e.name) for e in listing.entries] == [
        ("up/100% sure/", "100% sure/"), ("up/%", "%"), ("up/a+b c\x01中.txt", "a+b c\x01中.txt")]  # fmt: skip
    assert listing.next_marker == "up/a+b c\x01中.txt"
    # Without EncodingType in the result nothing is decoded: a key may hold a literal "%41".
    plain = w.parse_listing({"Contents": [{"Key": "up/%41+ b"}]}, "up/")
    assert [e.key for e in plain.entries] == ["up/%41+ b"]


def test_breadcrumbs_and_prefix():
    assert w.normalize_prefix("/uploads") == "uploads/" and w.normalize_prefix("") == ""
    assert w.breadcrumbs("", "a/b/") == [("/", ""), ("a", "a/"), ("b", "a/b/")]
    assert w.breadcrumbs("up/", "up/") == [("up", "up/")]


def test_errors_in_words():
    assert w.describe_error(CosError("Access Denied.", code="AccessDenied", statusCode=403)).startswith("Access was denied.")
    net = w.describe_error(CosError("Failed to fetch", code="NetworkError"))
    assert "Could not reach the storage server" in net
    assert w.describe_error(CosError("missing param Key", code="InvalidParameter")) == "The request was not valid: missing param Key."
    assert w.describe_error(CosError("Slow Down", code="SlowDown", statusCode=503)) == "Slow Down (HTTP 503, SlowDown)"
    assert w.describe_error({"code": "NoSuchKey", "message": "x"}) == "That file is no longer in the bucket. (x)"
    assert w.describe_error(RuntimeError("boom")) == "boom"
