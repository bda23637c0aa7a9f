"""sliceCopyFile's saved UploadIds (the JS SDK's session cache): newest first, bounded by
UploadIdCacheLimit over the whole cache, forgotten once a copy completes or is cancelled."""

from __future__ import annotations

import pytest

from cos_web import slice_copy


@pytest.fixture(autouse=True)
def empty_cache():
    saved = list(slice_copy._SAVED)
    slice_copy._SAVED.clear()
    yield
    slice_copy._SAVED[:] = saved


def test_saved_upload_ids_are_newest_first_and_bounded():
    slice_copy._save("copy-a", "u1", 3)
    slice_copy._save("copy-b", "u2", 3)
    slice_copy._save("copy-a", "u3", 3)
    slice_copy._save("copy-a", "u1", 3)  # saved again: moves to the front, not twice
    assert slice_copy._SAVED == [("copy-a", "u1"), ("copy-a", "u3"), ("copy-b", "u2")]
    slice_copy._save("copy-c", "u4", 3)  # the limit is over the whole cache, as the JS SDK's
    assert slice_copy._SAVED == [("copy-c", "u4"), ("copy-a", "u1"), ("copy-a", "u3")]
    slice_copy._forget("u1")
    assert slice_copy._SAVED == [("copy-c", "u4"), ("copy-a", "u3")]
    slice_copy._save("copy-d", "u5", 0)
    assert slice_copy._SAVED == []


def test_copy_id_names_the_source_version_the_chunk_and_the_target():
    headers = {"content-length": "10", "etag": '"abc"', "last-modified": "Wed, 02 Dec 2026 14:00:00 GMT"}
    one = slice_copy._copy_id("b-1.cos.r.myqcloud.com/k", headers, 1048576, "t-1", "key")
    assert one == slice_copy._copy_id("b-1.cos.r.myqcloud.com/k", dict(headers), 1048576, "t-1", "key")
    others = {
        slice_copy._copy_id("b-1.cos.r.myqcloud.com/k", {**headers, "etag": '"abd"'}, 1048576, "t-1", "key"),
        slice_copy._copy_id("b-1.cos.r.myqcloud.com/k", headers, 2097152, "t-1", "key"),
        slice_copy._copy_id("b-1.cos.r.myqcloud.com/k", headers, 1048576, "t-2", "key"),
        slice_copy._copy_id("b-1.cos.r.myqcloud.com/k", headers, 1048576, "t-1", "key2"),
    }
    assert one not in others and len(others) == 4
