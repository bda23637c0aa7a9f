"""Bucket versioning on the local server: status, versions kept on every write, delete markers,
reads/deletes/copies/ACLs by version id, the versions listing and its pages, multi-delete with
VersionId; raw HTTP, then through cos-python-sdk-v5."""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET

import pytest
from qcloud_cos.cos_exception import CosServiceError

from .conftest import REGION, Raw

ENABLED = b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"
SUSPENDED = b"<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>"


@pytest.fixture
def bucket(raw: Raw) -> str:
    """A fresh bucket per test (versioning status is per bucket and cannot be undone)."""
    name = f"v{uuid.uuid4().hex[:10]}-1250000000"
    assert raw.request("PUT", bucket=name).status == 200
    return name


def put(raw: Raw, bucket: str, key: str, body: bytes) -> dict[str, str]:
    reply = raw.request("PUT", key, body=body, bucket=bucket)
    assert reply.status == 200, reply.text
    return reply.headers


def get(raw: Raw, bucket: str, key: str, version: str | None = None, method: str = "GET"):
    return raw.request(method, key, bucket=bucket, query={"versionId": version} if version else None)


def listing(raw: Raw, bucket: str, **query) -> ET.Element:
    reply = raw.request("GET", bucket=bucket, query={"versions": None, **query})
    assert reply.status == 200, reply.text
    return ET.fromstring(reply.body)


def rows(root: ET.Element) -> list[tuple[str, str, str, str]]:
    """(kind, key, version id, IsLatest) of a ListVersionsResult, in document order."""
    return [(el.tag, el.findtext("Key"), el.findtext("VersionId"), el.findtext("IsLatest"))
            for el in root if el.tag in ("Version", "DeleteMarker")]


def enable(raw: Raw, bucket: str, body: bytes = ENABLED) -> None:
    assert raw.request("PUT", bucket=bucket, query={"versioning": None}, body=body).status == 200


# ---------------------------------------------------------------- status
def test_status_starts_empty_then_enabled_then_only_suspended(raw, bucket):
    reply = raw.request("GET", bucket=bucket, query={"versioning": None})
    assert reply.status == 200 and "<Status>" not in reply.text and "VersioningConfiguration" in reply.text
    enable(raw, bucket)
    assert raw.request("GET", bucket=bucket, query={"versioning": None}).xml_text("Status") == "Enabled"
    enable(raw, bucket, SUSPENDED)
    assert raw.request("GET", bucket=bucket, query={"versioning": None}).xml_text("Status") == "Suspended"
    for bad in (b"<VersioningConfiguration><Status>Disabled</Status></VersioningConfiguration>",
                b"<VersioningConfiguration/>", b"<Other><Status>Enabled</Status></Other>", b"not xml"):
        reply = raw.request("PUT", bucket=bucket, query={"versioning": None}, body=bad)
        assert (reply.status, reply.xml_text("Code")) == (400, "MalformedXML"), bad
    assert raw.request("GET", bucket=bucket, query={"versioning": None}).xml_text("Status") == "Suspended"


def test_never_enabled_bucket_has_no_version_ids(raw, bucket):
    headers = put(raw, bucket, "k", b"one")
    assert "x-cos-version-id" not in headers
    put(raw, bucket, "k", b"two")
    assert rows(listing(raw, bucket)) == [("Version", "k", "null", "true")]
    reply = raw.request("DELETE", "k", bucket=bucket)
    assert reply.status == 204 and "x-cos-delete-marker" not in reply.headers
    assert rows(listing(raw, bucket)) == []


# ---------------------------------------------------------------- versions kept, read by id
def test_every_write_keeps_the_previous_version(raw, bucket):
    put(raw, bucket, "k", b"before")  # the null version, written before versioning
    enable(raw, bucket)
    v1 = put(raw, bucket, "k", b"first")["x-cos-version-id"]
    v2 = put(raw, bucket, "k", b"second")["x-cos-version-id"]
    assert v1 != v2 and re.fullmatch(r"[A-Za-z0-9]+", v1)
    assert get(raw, bucket, "k").body == b"second"
    assert get(raw, bucket, "k").headers["x-cos-version-id"] == v2
    assert get(raw, bucket, "k", v1).body == b"first"
    assert get(raw, bucket, "k", "null").body == b"before"
    head = get(raw, bucket, "k", v1, "HEAD")
    assert (head.status, head.headers["x-cos-version-id"], head.headers["content-length"]) == (200, v1, "5")
    missing = get(raw, bucket, "k", "bm90LWEtdmVyc2lvbg")
    assert (missing.status, missing.xml_text("Code")) == (404, "NoSuchVersion")
    assert rows(listing(raw, bucket)) == [("Version", "k", v2, "true"), ("Version", "k", v1, "false"),
                                          ("Version", "k", "null", "false")]
    # the plain listing shows the current version only
    plain = raw.request("GET", bucket=bucket)
    assert plain.text.count("<Contents>") == 1


def test_delete_marker_hides_the_object_and_deleting_it_brings_it_back(raw, bucket):
    enable(raw, bucket)
    v1 = put(raw, bucket, "k", b"data")["x-cos-version-id"]
    deleted = raw.request("DELETE", "k", bucket=bucket)
    assert deleted.status == 204 and deleted.headers["x-cos-delete-marker"] == "true"
    marker = deleted.headers["x-cos-version-id"]
    assert marker != v1
    gone = get(raw, bucket, "k")
    assert (gone.status, gone.xml_text("Code")) == (404, "NoSuchKey")
    assert gone.headers["x-cos-delete-marker"] == "true" and gone.headers["x-cos-version-id"] == marker
    head = get(raw, bucket, "k", method="HEAD")
    assert head.status == 404 and head.headers["x-cos-delete-marker"] == "true"
    by_id = get(raw, bucket, "k", marker)
    assert (by_id.status, by_id.xml_text("Code")) == (405, "MethodNotAllowed")
    assert by_id.headers["x-cos-delete-marker"] == "true"
    assert get(raw, bucket, "k", v1).body == b"data"  # the bytes are kept
    assert "<Contents>" not in raw.request("GET", bucket=bucket).text
    assert rows(listing(raw, bucket)) == [("DeleteMarker", "k", marker, "true"), ("Version", "k", v1, "false")]
    # deleting the marker by id makes the object visible again
    undo = raw.request("DELETE", "k", bucket=bucket, query={"versionId": marker})
    assert (undo.status, undo.headers["x-cos-version-id"], undo.headers["x-cos-delete-marker"]) == (204, marker, "true")
    assert get(raw, bucket, "k").body == b"data"
    assert rows(listing(raw, bucket)) == [("Version", "k", v1, "true")]


def test_delete_by_version_id_is_permanent_and_promotes_the_next(raw, bucket):
    enable(raw, bucket)
    v1 = put(raw, bucket, "k", b"one")["x-cos-version-id"]
    v2 = put(raw, bucket, "k", b"two")["x-cos-version-id"]
    reply = raw.request("DELETE", "k", bucket=bucket, query={"versionId": v2})
    assert reply.status == 204 and reply.headers["x-cos-version-id"] == v2
    assert "x-cos-delete-marker" not in reply.headers
    assert get(raw, bucket, "k").body == b"one"
    assert get(raw, bucket, "k", v2).status == 404
    raw.request("DELETE", "k", bucket=bucket, query={"versionId": v1})
    assert rows(listing(raw, bucket)) == []
    assert get(raw, bucket, "k").xml_text("Code") == "NoSuchKey"
    # the bucket is empty now, so it can go
    assert raw.request("DELETE", bucket=bucket).status == 204


def test_bucket_with_versions_or_markers_is_not_empty(raw, bucket):
    enable(raw, bucket)
    put(raw, bucket, "k", b"x")
    raw.request("DELETE", "k", bucket=bucket)  # only a marker and a noncurrent version remain
    reply = raw.request("DELETE", bucket=bucket)
    assert (reply.status, reply.xml_text("Code")) == (409, "BucketNotEmpty")
    for kind, key, vid, _ in rows(listing(raw, bucket)):
        raw.request("DELETE", key, bucket=bucket, query={"versionId": vid})
    assert raw.request("DELETE", bucket=bucket).status == 204


# ---------------------------------------------------------------- suspended
def test_suspended_writes_replace_the_null_version(raw, bucket):
    enable(raw, bucket)
    v1 = put(raw, bucket, "k", b"kept")["x-cos-version-id"]
    enable(raw, bucket, SUSPENDED)
    assert put(raw, bucket, "k", b"null-1")["x-cos-version-id"] == "null"
    assert put(raw, bucket, "k", b"null-2")["x-cos-version-id"] == "null"
    assert rows(listing(raw, bucket)) == [("Version", "k", "null", "true"), ("Version", "k", v1, "false")]
    assert get(raw, bucket, "k", "null").body == b"null-2"
    deleted = raw.request("DELETE", "k", bucket=bucket)
    assert (deleted.headers["x-cos-version-id"], deleted.headers["x-cos-delete-marker"]) == ("null", "true")
    # the null version was replaced by a null delete marker; v1 stays
    assert rows(listing(raw, bucket)) == [("DeleteMarker", "k", "null", "true"), ("Version", "k", v1, "false")]
    enable(raw, bucket)
    v3 = put(raw, bucket, "k", b"again")["x-cos-version-id"]
    assert rows(listing(raw, bucket)) == [("Version", "k", v3, "true"), ("DeleteMarker", "k", "null", "false"),
                                          ("Version", "k", v1, "false")]


# ---------------------------------------------------------------- copy, multipart, append, acl
def test_copy_names_a_source_version(raw, bucket):
    enable(raw, bucket)
    v1 = put(raw, bucket, "src", b"old bytes")["x-cos-version-id"]
    put(raw, bucket, "src", b"new bytes")
    source = f"{bucket}.cos.{REGION}.myqcloud.com/src?versionId={v1}"
    reply = raw.request("PUT", "dst", bucket=bucket, headers={"x-cos-copy-source": source})
    assert reply.status == 200, reply.text
    assert reply.headers["x-cos-copy-source-version-id"] == v1
    assert reply.xml_text("VersionId") == reply.headers["x-cos-version-id"]
    assert get(raw, bucket, "dst").body == b"old bytes"
    # restore an old version by copying it onto its own key
    back = raw.request("PUT", "src", bucket=bucket, headers={"x-cos-copy-source": source})
    assert back.status == 200 and get(raw, bucket, "src").body == b"old bytes"
    assert len(rows(listing(raw, bucket, prefix="src"))) == 3
    missing = raw.request("PUT", "dst", bucket=bucket, headers={
        "x-cos-copy-source": f"{bucket}.cos.{REGION}.myqcloud.com/src?versionId=bm9uZQ"})
    assert (missing.status, missing.xml_text("Code")) == (404, "NoSuchVersion")


def test_multipart_complete_makes_a_version(raw, bucket):
    enable(raw, bucket)
    v1 = put(raw, bucket, "mp", b"small")["x-cos-version-id"]
    upload = raw.request("POST", "mp", bucket=bucket, query={"uploads": None}).xml_text("UploadId")
    etag = raw.request("PUT", "mp", bucket=bucket, query={"partNumber": "1", "uploadId": upload},
                       body=b"part").headers["etag"]
    body = f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part>" \
           "</CompleteMultipartUpload>".encode()
    done = raw.request("POST", "mp", bucket=bucket, query={"uploadId": upload}, body=body)
    assert done.status == 200 and done.headers["x-cos-version-id"] not in (v1, "null")
    assert get(raw, bucket, "mp").body == b"part" and get(raw, bucket, "mp", v1).body == b"small"


def test_append_is_refused_in_a_versioned_bucket(raw, bucket):
    enable(raw, bucket)
    reply = raw.request("POST", "ap", bucket=bucket, query={"append": None, "position": "0"}, body=b"x")
    assert (reply.status, reply.xml_text("Code")) == (400, "InvalidRequest")


def test_object_acl_by_version(raw, bucket):
    enable(raw, bucket)
    v1 = put(raw, bucket, "k", b"one")["x-cos-version-id"]
    put(raw, bucket, "k", b"two")
    reply = raw.request("PUT", "k", bucket=bucket, query={"acl": None, "versionId": v1},
                        headers={"x-cos-acl": "public-read"})
    assert reply.status == 200, reply.text
    assert raw.request("GET", "k", bucket=bucket, query={"acl": None, "versionId": v1}).headers["x-cos-acl"] == \
        "public-read"
    assert raw.request("GET", "k", bucket=bucket, query={"acl": None}).headers["x-cos-acl"] == "default"
    assert raw.request("GET", "k", bucket=bucket, query={"acl": None, "versionId": "bm9uZQ"}).status == 404


# ---------------------------------------------------------------- multi-delete
def test_multi_delete_with_version_ids(raw, bucket):
    enable(raw, bucket)
    v1 = put(raw, bucket, "a", b"1")["x-cos-version-id"]
    put(raw, bucket, "b", b"2")
    body = (f"<Delete><Object><Key>a</Key><VersionId>{v1}</VersionId></Object>"
            "<Object><Key>b</Key></Object></Delete>").encode()
    reply = raw.request("POST", bucket=bucket, query={"delete": None}, body=body)
    assert reply.status == 200, reply.text
    deleted = ET.fromstring(reply.body).findall("Deleted")
    assert [(d.findtext("Key"), d.findtext("VersionId"), d.findtext("DeleteMarker")) for d in deleted] == [
        ("a", v1, None), ("b", None, "true")]
    marker = deleted[1].findtext("DeleteMarkerVersionId")
    assert rows(listing(raw, bucket)) == [("DeleteMarker", "b", marker, "true"), ("Version", "b", rows(
        listing(raw, bucket))[1][2], "false")]
    # deleting the marker by id through multi-delete reports it as one
    body = f"<Delete><Object><Key>b</Key><VersionId>{marker}</VersionId></Object></Delete>".encode()
    again = ET.fromstring(raw.request("POST", bucket=bucket, query={"delete": None}, body=body).body)
    item = again.find("Deleted")
    assert (item.findtext("DeleteMarker"), item.findtext("DeleteMarkerVersionId")) == ("true", marker)
    assert get(raw, bucket, "b").body == b"2"


# ---------------------------------------------------------------- listing
def test_listing_orders_pages_and_rolls_up(raw, bucket):
    enable(raw, bucket)
    ids: dict[str, list[str]] = {}
    for key in ("a", "b/1", "b/2", "c"):
        for n in range(3):
            ids.setdefault(key, []).append(put(raw, bucket, key, f"{key}{n}".encode())["x-cos-version-id"])
    raw.request("DELETE", "c", bucket=bucket)
    everything = rows(listing(raw, bucket))
    assert [r[1] for r in everything] == ["a"] * 3 + ["b/1"] * 3 + ["b/2"] * 3 + ["c"] * 4
    assert [r[2] for r in everything[:3]] == ids["a"][::-1]  # newest first
    assert [r[3] for r in everything[:3]] == ["true", "false", "false"]
    # page through with max-keys=2: the same rows, in order, no repeats
    seen, query = [], {"max-keys": "2"}
    for _ in range(20):
        page = listing(raw, bucket, **query)
        seen += rows(page)
        if page.findtext("IsTruncated") == "false":
            assert page.findtext("NextKeyMarker") is None
            break
        query = {"max-keys": "2", "key-marker": page.findtext("NextKeyMarker"),
                 "version-id-marker": page.findtext("NextVersionIdMarker")}
    assert seen == everything
    # delimiter: b/ is one common prefix, counted once
    rolled = listing(raw, bucket, delimiter="/")
    assert [p.findtext("Prefix") for p in rolled.findall("CommonPrefixes")] == ["b/"]
    assert {r[1] for r in rows(rolled)} == {"a", "c"}
    page = listing(raw, bucket, delimiter="/", **{"max-keys": "4"})
    assert page.findtext("IsTruncated") == "true" and page.findtext("NextKeyMarker") == "b/"
    rest = listing(raw, bucket, delimiter="/", **{"key-marker": "b/"})
    assert [r[1] for r in rows(rest)] == ["c"] * 4 and rest.findall("CommonPrefixes") == []
    # prefix, and a key-marker without a version-id marker skips all of that key
    assert {r[1] for r in rows(listing(raw, bucket, prefix="b/"))} == {"b/1", "b/2"}
    assert {r[1] for r in rows(listing(raw, bucket, **{"key-marker": "b/1"}))} == {"b/2", "c"}
    bad = raw.request("GET", bucket=bucket, query={"versions": None, "version-id-marker": ids["a"][0]})
    assert (bad.status, bad.xml_text("Code")) == (400, "InvalidArgument")


# ---------------------------------------------------------------- storage: survives a restart, lifecycle hook
def test_versions_survive_a_restart_and_noncurrent_listing(tmp_path):
    from cos_web.server.storage import Storage

    store = Storage(str(tmp_path), durable=False)
    store.create_bucket("keep-1250000000", REGION, {"canned": "private", "grants": []})
    store.set_versioning("keep-1250000000", "Enabled")
    from cos_web.server.records import ObjectMeta

    made = []
    for body in (b"one", b"two"):
        writer = store.writer()
        writer.write(body)
        made.append(store.put_object("keep-1250000000", "k", writer.finish(), ObjectMeta()))
    store.delete_object("keep-1250000000", "k")
    store.close()
    store = Storage(str(tmp_path), durable=False)  # the start-up sweep must keep every version's blob
    try:
        old = made[0].version
        record, fh = store.open_object("keep-1250000000", "k", old)
        with fh:
            assert fh.read() == b"one"
        noncurrent = store.noncurrent_versions("keep-1250000000")
        assert [(n.version_id, n.marker) for n in noncurrent] == [(made[1].version, False), (old, False)]
        assert noncurrent[0].since >= noncurrent[1].since
        assert store.noncurrent_versions("keep-1250000000", before=0) == []
        store.delete_version("keep-1250000000", "k", old)
        assert store.find_version("keep-1250000000", "k", old) is None
    finally:
        store.close()


# ---------------------------------------------------------------- cos-python-sdk-v5
def test_python_sdk_versioning_calls(sdk, raw, bucket):
    assert sdk.get_bucket_versioning(Bucket=bucket).get("Status") is None
    sdk.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    assert sdk.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    v1 = sdk.put_object(Bucket=bucket, Key="k", Body=b"one")["x-cos-version-id"]
    v2 = sdk.put_object(Bucket=bucket, Key="k", Body=b"two")["x-cos-version-id"]
    body = sdk.get_object(Bucket=bucket, Key="k", VersionId=v1)["Body"].get_raw_stream().read()
    assert body == b"one"
    assert sdk.head_object(Bucket=bucket, Key="k", VersionId=v1)["x-cos-version-id"] == v1
    listed = sdk.list_objects_versions(Bucket=bucket)
    assert [(v["VersionId"], v["IsLatest"]) for v in listed["Version"]] == [(v2, "true"), (v1, "false")]
    marker = sdk.delete_object(Bucket=bucket, Key="k")
    assert marker["x-cos-delete-marker"] == "true"
    listed = sdk.list_objects_versions(Bucket=bucket)
    assert listed["DeleteMarker"][0]["VersionId"] == marker["x-cos-version-id"]
    with pytest.raises(CosServiceError) as info:
        sdk.get_object(Bucket=bucket, Key="k")
    assert info.value.get_error_code() == "NoSuchKey"
    sdk.delete_object(Bucket=bucket, Key="k", VersionId=marker["x-cos-version-id"])
    assert sdk.get_object(Bucket=bucket, Key="k")["Body"].get_raw_stream().read() == b"two"
    sdk.delete_object(Bucket=bucket, Key="k", VersionId=v2)
    assert sdk.get_object(Bucket=bucket, Key="k")["Body"].get_raw_stream().read() == b"one"
    sdk.put_bucket_versioning(Bucket=bucket, Status="Suspended")
    assert sdk.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"


# ---------------------------------------------------------------- ACL bodies replace the grants exactly
def _acl_body(owner: str, grants: list[tuple[str, str, str]]) -> bytes:
    xsi = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    items = "".join(
        f'<Grant><Grantee {xsi} xsi:type="{kind}">'
        + (f"<URI>{who}</URI>" if kind == "Group" else f"<ID>{who}</ID>")
        + f"</Grantee><Permission>{perm}</Permission></Grant>"
        for kind, who, perm in grants)
    return (f"<AccessControlPolicy><Owner><ID>{owner}</ID></Owner>"
            f"<AccessControlList>{items}</AccessControlList></AccessControlPolicy>").encode()


def _grants(reply) -> list[tuple[str, str, str]]:
    root = ET.fromstring(reply.body)
    out = []
    for grant in root.iter("Grant"):
        grantee = grant.find("Grantee")
        kind = next(v for k, v in grantee.attrib.items() if k.endswith("type"))
        who = grantee.findtext("URI") or grantee.findtext("ID")
        out.append((kind, who, grant.findtext("Permission")))
    return out


@pytest.mark.parametrize("level", ["bucket", "object"])
def test_acl_body_is_returned_exactly(raw, bucket, level):
    owner = "qcs::cam::uin/100000000001:uin/100000000001"
    key = "k" if level == "object" else ""
    if key:
        put(raw, bucket, key, b"x")
    perms = ["FULL_CONTROL", "READ", "READ_ACP", "WRITE_ACP"] + (["WRITE"] if level == "bucket" else [])
    grants = [("CanonicalUser", f"qcs::cam::uin/100000000002:uin/10000000000{i}", p) for i, p in enumerate(perms)]
    grants.append(("Group", "http://cam.qcloud.com/groups/global/AllUsers", "READ"))
    reply = raw.request("PUT", key, bucket=bucket, query={"acl": None}, body=_acl_body(owner, grants))
    assert reply.status == 200, reply.text
    got = raw.request("GET", key, bucket=bucket, query={"acl": None})
    assert _grants(got) == grants  # no owner grant added, order kept
    assert got.headers["x-cos-acl"] == "public-read"
    # a second body replaces the first one whole
    raw.request("PUT", key, bucket=bucket, query={"acl": None}, body=_acl_body(owner, grants[:1]))
    got = raw.request("GET", key, bucket=bucket, query={"acl": None})
    assert _grants(got) == grants[:1] and got.headers["x-cos-acl"] == "private"
    if key:  # the object is no longer readable by anyone (its own grants, not the bucket's)
        assert raw.request("GET", key, bucket=bucket, sign=False).status == 403


def test_anonymous_read_of_a_version_follows_that_versions_acl(raw, bucket):
    enable(raw, bucket)
    v1 = put(raw, bucket, "k", b"public one")["x-cos-version-id"]
    put(raw, bucket, "k", b"private two")
    raw.request("PUT", "k", bucket=bucket, query={"acl": None, "versionId": v1}, headers={"x-cos-acl": "public-read"})
    assert raw.request("GET", "k", bucket=bucket, sign=False).status == 403
    reply = raw.request("GET", "k", bucket=bucket, sign=False, query={"versionId": v1})
    assert (reply.status, reply.body) == (200, b"public one")


def test_a_copy_of_an_old_version_shares_its_bytes_and_outlives_it(raw, bucket):
    enable(raw, bucket)
    v1 = put(raw, bucket, "src", b"version one bytes")["x-cos-version-id"]
    put(raw, bucket, "src", b"version two")
    source = f"{bucket}.cos.{REGION}.myqcloud.com/src?versionId={v1}"
    assert raw.request("PUT", "dst", bucket=bucket, headers={"x-cos-copy-source": source}).status == 200
    # the source's versions go for good; the copy keeps the bytes it shares
    for _, key, vid, _ in rows(listing(raw, bucket, prefix="src")):
        assert raw.request("DELETE", key, bucket=bucket, query={"versionId": vid}).status == 204
    assert get(raw, bucket, "dst").body == b"version one bytes"
    # and a version that shares bytes with a current object can be deleted without harming it
    vd = get(raw, bucket, "dst").headers["x-cos-version-id"]
    source = f"{bucket}.cos.{REGION}.myqcloud.com/dst?versionId={vd}"
    assert raw.request("PUT", "again", bucket=bucket, headers={"x-cos-copy-source": source}).status == 200
    raw.request("DELETE", "dst", bucket=bucket, query={"versionId": vd})
    assert get(raw, bucket, "again").body == b"version one bytes"
