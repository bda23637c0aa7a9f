"""cos_web.transport.Freshness: which reads must skip the browser's HTTP cache (pure bookkeeping)."""

from __future__ import annotations

from cos_web.transport import Freshness, Request

HOST = "http://b-1250000000.cos.ap-guangzhou.myqcloud.com"


def _get(path: str, method: str = "GET", **headers: str) -> Request:
    return Request(method, HOST + path, headers=dict(headers))


def test_writes_to_the_objects_own_url_mark_nothing():
    f = Freshness()
    f.answered(Request("PUT", HOST + "/a.txt", body="x"), 200)
    f.answered(Request("DELETE", HOST + "/a.txt"), 204)
    assert not f.must_reload(_get("/a.txt"))


def test_a_completed_multipart_upload_marks_until_a_whole_get():
    f = Freshness()
    f.answered(Request("POST", HOST + "/dir/a%20b.txt?uploadId=u1", body="<x/>"), 200)
    for read in (_get("/dir/a%20b.txt"), _get("/dir/a b.txt", "HEAD"), _get("/dir/a%20b.txt?versionId=v")):
        assert f.must_reload(read)
    assert not f.must_reload(_get("/dir/other.txt"))
    f.answered(_get("/dir/a%20b.txt", "HEAD"), 200)
    f.answered(_get("/dir/a%20b.txt", Range="bytes=0-1"), 206)
    assert f.must_reload(_get("/dir/a%20b.txt"))  # a HEAD or a range read does not refresh the kept body
    f.answered(_get("/dir/a%20b.txt"), 200)
    assert not f.must_reload(_get("/dir/a%20b.txt"))


def test_failed_writes_and_reads_that_fail_change_nothing():
    f = Freshness()
    f.answered(Request("DELETE", HOST + "/a.txt?versionId=v1"), 403)
    assert not f.must_reload(_get("/a.txt"))
    f.answered(Request("DELETE", HOST + "/a.txt?versionId=v1"), 204)
    f.answered(_get("/a.txt"), 503)
    assert f.must_reload(_get("/a.txt"))
    f.answered(_get("/a.txt"), 404)  # gone: what the cache keeps now says so
    assert not f.must_reload(_get("/a.txt"))


def test_a_multi_object_delete_marks_each_key():
    f = Freshness()
    body = "<Delete><Object><Key>x/a&amp;b.txt</Key></Object><Object><Key>c.txt</Key><VersionId>v</VersionId></Object></Delete>"
    f.answered(Request("POST", HOST + "/?delete", body=body), 200)
    assert f.must_reload(_get("/x/a%26b.txt")) and f.must_reload(_get("/c.txt"))
    assert not f.must_reload(_get("/"))


def test_the_memory_is_bounded():
    f = Freshness()
    f.LIMIT = 3
    for n in range(5):
        f.answered(Request("POST", HOST + f"/k{n}?append&position=0", body="x"), 200)
    assert [f.must_reload(_get(f"/k{n}")) for n in range(5)] == [False, False, True, True, True]
