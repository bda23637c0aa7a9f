"""The versioning calls (issue 15) in CPython: bad input refused before sending, the requests
they make, and the result shapes of cos-js-sdk-v5 (Versions / DeleteMarkers always lists,
VersionId / DeleteMarker lifted from the headers)."""

from __future__ import annotations

import asyncio

import pytest

from cos_web import COS, CosError
from cos_web.transport import MockTransport, Response

B, R = "test-1250000000", "ap-guangzhou"
KEYS = {"SecretId": "AKIDtest", "SecretKey": "k" * 32}

ONE_OF_EACH = """<?xml version='1.0' encoding='utf-8' ?>
<ListVersionsResult><Name>test-1250000000</Name><Prefix>a</Prefix><KeyMarker></KeyMarker>
<VersionIdMarker></VersionIdMarker><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>
<NextKeyMarker>a/1</NextKeyMarker><NextVersionIdMarker>MTIz</NextVersionIdMarker>
<CommonPrefixes><Prefix>a/d/</Prefix></CommonPrefixes>
<DeleteMarker><Key>a/0</Key><VersionId>MTIy</VersionId><IsLatest>true</IsLatest></DeleteMarker>
<Version><Key>a/1</Key><VersionId>MTIz</VersionId><IsLatest>true</IsLatest><ETag>"e"</ETag><Size>3</Size></Version>
</ListVersionsResult>"""


def make(status: int = 200, headers: dict | None = None, body: str = ""):
    sent = []

    def handler(req):
        sent.append(req)
        return Response(status, {"x-cos-request-id": "rid", **(headers or {})}, body)

    return COS(KEYS, transport=MockTransport(handler)), sent


def refused(call, **params) -> str:
    with pytest.raises(CosError) as info:
        asyncio.run(call(Bucket=B, Region=R, **params))
    assert info.value.code == "InvalidParameter"
    return info.value.message


@pytest.mark.parametrize("conf", [{"Status": "Disabled"}, {"Status": "enabled"}, {}, {"Status": None}])
def test_bad_status_is_refused_before_sending(conf):
    cos, sent = make()
    assert refused(cos.putBucketVersioning, VersioningConfiguration=conf).startswith("VersioningConfiguration")
    assert sent == []


def test_missing_or_mistyped_params_are_refused():
    cos, sent = make()
    assert "missing param VersioningConfiguration" in refused(cos.put_bucket_versioning)
    assert refused(cos.putBucketVersioning, VersioningConfiguration="Enabled").startswith("VersioningConfiguration")
    assert refused(cos.listObjectVersions, VersionIdMarker=5).startswith("VersionIdMarker")
    assert refused(cos.listObjectVersions, KeyMarker=["a"]).startswith("KeyMarker")
    assert refused(cos.getObject, Key="k", VersionId=1).startswith("VersionId")
    assert sent == []


def test_requests_made():
    cos, sent = make()
    asyncio.run(cos.putBucketVersioning(Bucket=B, Region=R, VersioningConfiguration={"Status": "Suspended"}))
    asyncio.run(cos.get_bucket_versioning(Bucket=B, Region=R))
    asyncio.run(cos.list_object_versions(Bucket=B, Region=R, Prefix="a/", Delimiter="/", KeyMarker="a/1",
                                         VersionIdMarker="MTIz", MaxKeys=2))
    asyncio.run(cos.listObjectVersions(Bucket=B, Region=R))
    asyncio.run(cos.deleteObject(Bucket=B, Region=R, Key="k", VersionId="MTIz"))
    put, get, listing, plain, delete = sent
    assert (put.method, put.url.split("?", 1)[1]) == ("PUT", "versioning")
    assert put.body == "<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>"
    assert put.headers["Content-MD5"] and put.headers["Content-Type"] == "application/xml"
    assert (get.method, get.url.split("?", 1)[1]) == ("GET", "versioning")
    query = listing.url.split("?", 1)[1].split("&")
    assert query[0] == "versions" and set(query[1:]) == {
        "prefix=a%2F", "delimiter=%2F", "key-marker=a%2F1", "version-id-marker=MTIz", "max-keys=2"}
    assert plain.url.endswith("?versions&prefix=")
    assert (delete.method, delete.url.rsplit("?", 1)[1]) == ("DELETE", "versionId=MTIz")


def test_list_shape_one_of_each():
    cos, _ = make(body=ONE_OF_EACH)
    data = asyncio.run(cos.listObjectVersions(Bucket=B, Region=R, Prefix="a"))
    assert data["Versions"] == [{"Key": "a/1", "VersionId": "MTIz", "IsLatest": "true", "ETag": '"e"', "Size": "3"}]
    assert data["DeleteMarkers"] == [{"Key": "a/0", "VersionId": "MTIy", "IsLatest": "true"}]
    assert "Version" not in data and "DeleteMarker" not in data
    assert data["CommonPrefixes"] == {"Prefix": "a/d/"}  # as parsed: the JS SDK does not make it a list
    assert (data["IsTruncated"], data["NextKeyMarker"], data["NextVersionIdMarker"]) == ("true", "a/1", "MTIz")
    assert data["statusCode"] == 200 and data["headers"]["x-cos-request-id"] == "rid"


def test_list_shape_empty_and_versioning_shapes():
    empty = "<ListVersionsResult><Name>b</Name><IsTruncated>false</IsTruncated></ListVersionsResult>"
    cos, _ = make(body=empty)
    data = asyncio.run(cos.listObjectVersions(Bucket=B, Region=R))
    assert (data["Versions"], data["DeleteMarkers"], "CommonPrefixes" in data) == ([], [], False)
    cos, _ = make(body="<VersioningConfiguration/>")
    assert asyncio.run(cos.getBucketVersioning(Bucket=B, Region=R))["VersioningConfiguration"] == {}
    cos, _ = make(body="<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>")
    data = asyncio.run(cos.getBucketVersioning(Bucket=B, Region=R))
    assert data["VersioningConfiguration"] == {"Status": "Enabled"} and data["statusCode"] == 200


def test_version_headers_become_fields():
    cos, _ = make(status=204, headers={"x-cos-version-id": "MTIy", "x-cos-delete-marker": "true"})
    data = asyncio.run(cos.deleteObject(Bucket=B, Region=R, Key="k"))
    assert (data["VersionId"], data["DeleteMarker"]) == ("MTIy", "true")
    cos, _ = make(headers={"x-cos-version-id": "MTIz", "ETag": '"e"'})
    assert asyncio.run(cos.putObject(Bucket=B, Region=R, Key="k", Body=b"x"))["VersionId"] == "MTIz"
