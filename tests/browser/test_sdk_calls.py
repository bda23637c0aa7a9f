"""Every call of the seed (but slice upload / tasks) plus putBucket, run by cos_web in Chromium
against the local COS server: its result, and at least one of its error cases."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.browser

PRELUDE = """
from cos_web import COS, CosError
# RetryWindow=0: retries by ChunkRetryTimes only; the network errors some steps expect (a bucket without
# CORS) would otherwise be retried for 20 s each (the window is tested in test_upload_faults.py)
cos = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=DOMAIN, RetryWindow=0)
B, R = BUCKET, REGION
BR = {"Bucket": B, "Region": R}

async def fails(coro):
    try:
        await coro
    except CosError as e:
        return {"code": e.code, "statusCode": e.statusCode, "message": e.message}
    return None
"""


@pytest.fixture
def run(harness, sdk_vars):
    def run(code: str, **kw):
        return harness.run(PRELUDE + code, **sdk_vars, **kw)

    return run


@pytest.fixture
def key():
    return f"calls/{uuid.uuid4().hex[:8]}/ob j(1)+腾讯.txt"


def test_put_bucket_errors(run):
    again, bad = run(
        """
again = await fails(cos.put_bucket(Bucket="ex-1250000000", Region=R))
bad = await fails(cos.putBucket(Bucket="nobucketappid", Region=R))
[again, bad]
"""
    )
    assert again["statusCode"] == 409 and again["code"] in ("BucketAlreadyExists", "BucketAlreadyOwnedByYou")
    assert bad["code"] == "InvalidParameter" and "Bucket" in bad["message"]


def test_put_bucket_creates(run):
    name = f"nb{uuid.uuid4().hex[:8]}-1250000000"
    data = run("await cos.put_bucket(Bucket=name, Region=R)", name=name)
    assert data["statusCode"] == 200 and data["Location"].startswith(f"{name}.cos.ap-guangzhou.localhost:")


def test_head_bucket(run):
    ok, missing = run(
        """
ok = await cos.head_bucket(**BR)
missing = await fails(cos.headBucket(Bucket="missing-1250000000", Region=R))
[ok, missing]
"""
    )
    assert ok["statusCode"] == 200 and ok["headers"]["x-cos-request-id"] == ok["RequestId"]
    # a bucket that does not exist has no CORS rule: the browser refuses the answer
    assert missing["code"] == "NetworkError" and missing["statusCode"] is None


def test_get_bucket(run, key):
    prefix = key.split("/")[0] + "/" + key.split("/")[1] + "/"
    data, err = run(
        """
await cos.put_object(**BR, Key=key, Body="x")
await cos.put_object(**BR, Key=prefix + "sub/one.txt", Body="y")
data = await cos.get_bucket(**BR, Prefix=prefix, Delimiter="/")
err = await fails(cos.getBucket(**BR, MaxKeys="many"))
[data, err]
""",
        key=key,
        prefix=prefix,
    )
    assert [c["Key"] for c in data["Contents"]] == [key]
    assert data["CommonPrefixes"] == [{"Prefix": prefix + "sub/"}]
    assert data["IsTruncated"] == "false" and data["Prefix"] == prefix
    assert err["statusCode"] == 400


def test_delete_bucket(run):
    err, data = run(
        """
await cos.put_object(Bucket="del-1250000000", Region=R, Key="keep", Body="x")
err = await fails(cos.deleteBucket(Bucket="del-1250000000", Region=R))
await cos.delete_object(Bucket="del-1250000000", Region=R, Key="keep")
data = await fails(cos.delete_bucket(Bucket="del-1250000000", Region=R))
gone = await fails(cos.head_bucket(Bucket="del-1250000000", Region=R))
[err, [data, gone]]
"""
    )
    assert err["code"] == "BucketNotEmpty" and err["statusCode"] == 409
    data, gone = data
    # deleted: its CORS rules went with it, so the browser can read neither answer (statusCode None)
    assert data is None or data["statusCode"] is None
    assert gone["statusCode"] is None


def test_bucket_acl(run):
    before, after, put, err, bad = run(
        """
name = "acl-1250000000"
before = await cos.get_bucket_acl(Bucket=name, Region=R)
put = await cos.put_bucket_acl(Bucket=name, Region=R, ACL="public-read", GrantRead='id="qcs::cam::uin/123:uin/123"')
after = await cos.getBucketAcl(Bucket=name, Region=R)
err = await fails(cos.put_bucket_acl(Bucket=name, Region=R, AccessControlPolicy={"Owner": {"ID": "x"}, "Grants": [{"Grantee": {"ID": "y"}, "Permission": "EVERYTHING"}]}))
bad = await fails(cos.putBucketAcl(Bucket=name, Region=R, ACL="default"))
[before, after, put["statusCode"], err, bad]
"""
    )
    assert before["ACL"] == "private" and isinstance(before["Grants"], list) and before["Owner"]["ID"]
    assert put == 200
    assert after["ACL"] == "public-read" and after["GrantRead"] == 'id="qcs::cam::uin/123:uin/123"'
    assert len(after["Grants"]) >= 2
    assert err["statusCode"] == 400
    assert bad["code"] == "InvalidParameter" and "ACL" in bad["message"]


def test_bucket_cors(run):
    got, empty, err = run(
        """
name = "cors-1250000000"
rules = [
    {"AllowedOrigin": ["*"], "AllowedMethod": ["GET", "PUT", "POST", "DELETE", "HEAD"], "AllowedHeader": ["*"],
     "ExposeHeader": ["ETag", "x-cos-request-id", "Date", "Content-Length"], "MaxAgeSeconds": "5"},
    {"AllowedOrigins": ["http://example.com"], "AllowedMethods": ["GET"], "ID": "two"},
]
await cos.put_bucket_cors(Bucket=name, Region=R, CORSRules=rules)
got = await cos.getBucketCors(Bucket=name, Region=R)
# its answer already lacks CORS headers, so the browser may report a network error
await fails(cos.delete_bucket_cors(Bucket=name, Region=R))
empty = await fails(cos.get_bucket_cors(Bucket=name, Region=R))
err = await fails(cos.putBucketCors(Bucket=name, Region=R))
[got, empty, err]
"""
    )
    assert got["CORSRules"][0]["AllowedOrigins"] == ["*"]
    assert got["CORSRules"][0]["AllowedMethods"] == ["GET", "PUT", "POST", "DELETE", "HEAD"]
    assert got["CORSRules"][0]["ExposeHeaders"] == ["ETag", "x-cos-request-id", "Date", "Content-Length"]
    assert got["CORSRules"][1]["AllowedOrigins"] == ["http://example.com"] and got["CORSRules"][1]["ID"] == "two"
    # CORS deleted: the browser may no longer read the bucket's answers
    assert empty["statusCode"] is None and empty["code"] == "NetworkError"
    assert err["code"] == "InvalidParameter" and "CORSRules" in err["message"]


def test_delete_bucket_cors_errors(run):
    err = run("await fails(cos.deleteBucketCors(Bucket='cors', Region=R))")
    assert err["code"] == "InvalidParameter" and "Bucket" in err["message"]


def test_get_bucket_location(run):
    data, err = run(
        """
data = await cos.get_bucket_location(**BR)
err = await fails(cos.getBucketLocation(Bucket=B, Region="cos.ap-guangzhou"))
[data, err]
"""
    )
    assert data["LocationConstraint"] == "ap-guangzhou" and data["statusCode"] == 200
    assert err["code"] == "InvalidParameter" and "Region" in err["message"]


def test_head_object(run, key):
    data, nm, err = run(
        """
put = await cos.put_object(**BR, Key=key, Body="hello", ContentType="text/plain", **{"x-cos-meta-who": "me"})
data = await cos.head_object(**BR, Key=key)
nm = await cos.headObject(**BR, Key=key, IfModifiedSince="Thu, 01 Jan 2099 00:00:00 GMT")
err = await fails(cos.head_object(**BR, Key=key + ".missing"))
[data, nm, err]
""",
        key=key,
    )
    assert data["statusCode"] == 200 and data["ETag"] == '"5d41402abc4b2a76b9719d911017c592"'
    assert data["headers"]["content-length"] == "5"
    assert nm == {"NotModified": True, "statusCode": 304}
    assert err["statusCode"] == 404


def test_get_object(run, key):
    data, part, text, err, bad = run(
        """
await cos.put_object(**BR, Key=key, Body=b"\\x00\\x01binary\\xff")
data = await cos.get_object(**BR, Key=key)
part = await cos.getObject(**BR, Key=key, Range="bytes=2-7")
text = await cos.get_object(**BR, Key=key, DataType="text", ResponseContentType="text/x-test")
err = await fails(cos.get_object(**BR, Key=key + ".missing"))
bad = await fails(cos.get_object(**BR, Key="a/../"))
[data, part, [text["headers"].get("content-type"), type(text["Body"]).__name__], err, bad]
""",
        key=key,
    )
    assert data["Body"] == b"\x00\x01binary\xff" and data["ETag"].startswith('"')
    assert part["Body"] == b"binary" and part["statusCode"] == 206
    assert text == ["text/x-test", "str"]
    assert err["code"] == "NoSuchKey" and err["statusCode"] == 404
    assert bad["code"] == "InvalidParameter"


def test_put_object(run, key):
    data, got, err, bad = run(
        """
data = await cos.put_object(**BR, Key=key, Body="hello 腾讯", StorageClass="STANDARD", CacheControl="max-age=60")
got = await cos.get_object(**BR, Key=key)
err = await fails(cos.putObject(**BR, Key=key, Body="x", StorageClass="GLACIER"))
bad = await fails(cos.put_object(**BR, Key="folder/", Body="not empty"))
[data, got["Body"], err, bad]
""",
        key=key,
    )
    assert data["statusCode"] == 200 and data["ETag"] == data["headers"]["etag"]
    assert data["Location"].endswith("/calls/" + key.split("/")[1] + "/ob%20j%281%29%2B%E8%85%BE%E8%AE%AF.txt")
    assert got == "hello 腾讯".encode()
    assert err["code"] == "InvalidParameter" and "StorageClass" in err["message"]
    assert bad["code"] == "InvalidParameter" and "Key" in bad["message"]


def test_delete_object(run, key):
    data, gone, missing, err = run(
        """
await cos.put_object(**BR, Key=key, Body="x")
data = await cos.delete_object(**BR, Key=key)
gone = await fails(cos.head_object(**BR, Key=key))
missing = await cos.deleteObject(**BR, Key=key)
err = await fails(cos.delete_object(**BR))
[data, gone, missing, err]
""",
        key=key,
    )
    assert data["statusCode"] in (200, 204)
    assert gone["statusCode"] == 404
    assert missing["statusCode"] in (200, 204)  # deleting a missing key succeeds
    assert err["code"] == "InvalidParameter" and "Key" in err["message"]


def test_options_object(run, key):
    data, err = run(
        """
await cos.put_object(**BR, Key=key, Body="x")
try:
    data = await cos.options_object(**BR, Key=key, Origin="http://example.com", AccessControlRequestMethod="PUT",
                                    AccessControlRequestHeaders="content-type")
except CosError as e:
    data = {"statusCode": e.statusCode, "code": e.code}
err = await fails(cos.optionsObject(**BR, Key=key, Origin="http://example.com"))
[data, err]
""",
        key=key,
    )
    # A page may not set Origin / Access-Control-Request-* and the browser preflights the OPTIONS
    # call itself (COS rules cannot allow OPTIONS): as with the JS SDK, a browser sees a refused
    # request or an answer shaped like the JS SDK's.
    if data["statusCode"] is None:
        assert data["code"] == "NetworkError"
    else:
        assert data["statusCode"] in (200, 403)
        assert ("OptionsForbidden" in data) == (data["statusCode"] == 403)
    assert err["code"] == "InvalidParameter" and "AccessControlRequestMethod" in err["message"]


def test_object_acl(run, key):
    before, after, err = run(
        """
await cos.put_object(**BR, Key=key, Body="x")
before = await cos.get_object_acl(**BR, Key=key)
await cos.putObjectAcl(**BR, Key=key, ACL="public-read")
after = await cos.getObjectAcl(**BR, Key=key)
err = await fails(cos.put_object_acl(**BR, Key=key, ACL="public-read-write-all"))
[before, after, err]
""",
        key=key,
    )
    assert "GrantWrite" not in before and isinstance(before["Grants"], list)
    assert after["ACL"] == "public-read"
    assert err["code"] == "InvalidParameter"


def test_delete_multiple_object(run, key):
    data, err = run(
        """
await cos.put_object(**BR, Key=key + "1", Body="x")
await cos.put_object(**BR, Key=key + "2", Body="x")
data = await cos.delete_multiple_object(**BR, Objects=[{"Key": key + "1"}, {"Key": key + "2"}])
err = await fails(cos.deleteMultipleObject(**BR, Objects=[]))
[data, err]
""",
        key=key,
    )
    assert sorted(d["Key"] for d in data["Deleted"]) == [key + "1", key + "2"]
    assert data["Error"] == []
    assert err["code"] == "InvalidParameter" and "Objects" in err["message"]


def test_put_object_copy(run, key):
    data, body, err = run(
        """
from urllib.parse import quote
await cos.put_object(**BR, Key=key, Body="copy me")
src = f"{B}.cos.{R}.myqcloud.com/" + quote(key)
data = await cos.put_object_copy(**BR, Key=key + ".copy", CopySource=src)
body = (await cos.get_object(**BR, Key=key + ".copy"))["Body"]
err = await fails(cos.putObjectCopy(**BR, Key=key + ".c2", CopySource=f"{B}.cos.{R}.myqcloud.com/nope-" + quote(key)))
bad = await fails(cos.put_object(**BR, Key=key + ".m", Body="x", **{"x-cos-meta-name": "腾讯"}))
assert bad["code"] == "InvalidParameter" and "x-cos-meta-name" in bad["message"], bad
[data, body, err]
""",
        key=key,
    )
    assert data["ETag"].startswith('"') and data["LastModified"] and data["statusCode"] == 200
    assert body == b"copy me"
    assert err["code"] == "NoSuchKey" and err["statusCode"] == 404


def test_multipart_calls(run, key):
    out = run(
        """
init = await cos.multipart_init(**BR, Key=key)
uid = init["UploadId"]
p1 = await cos.multipart_upload(**BR, Key=key, UploadId=uid, PartNumber=1, Body=b"a" * (1024 * 1024))
p2 = await cos.multipartUpload(**BR, Key=key, UploadId=uid, PartNumber=2, Body="tail")
parts = await cos.multipart_list_part(**BR, Key=key, UploadId=uid)
uploads = await cos.multipart_list(**BR, Prefix=key)
done = await cos.multipartComplete(**BR, Key=key, UploadId=uid,
                                   Parts=[{"PartNumber": 1, "ETag": p1["ETag"]}, {"PartNumber": 2, "ETag": p2["ETag"]}])
size = (await cos.head_object(**BR, Key=key))["headers"]["content-length"]
init2 = await cos.multipartInit(**BR, Key=key + ".2")
aborted = await cos.multipart_abort(**BR, Key=key + ".2", UploadId=init2["UploadId"])
errs = [
    await fails(cos.multipart_upload(**BR, Key=key, UploadId="nope", PartNumber=1, Body="x")),
    await fails(cos.multipart_complete(**BR, Key=key, UploadId="nope", Parts=[{"PartNumber": 1, "ETag": "x"}])),
    await fails(cos.multipartListPart(**BR, Key=key, UploadId="nope")),
    await fails(cos.multipartAbort(**BR, Key=key, UploadId="nope")),
    await fails(cos.multipart_init(**BR, Key=key, ACL="nobody")),
    await fails(cos.multipart_list(**BR, MaxUploads="lots")),
]
[init, p1["ETag"], parts, uploads, done, size, aborted["statusCode"], errs]
""",
        key=key,
    )
    init, etag1, parts, uploads, done, size, aborted, errs = out
    assert init["Key"] == key and init["UploadId"] and init["Bucket"]
    assert etag1 == '"' + __import__("hashlib").md5(b"a" * (1024 * 1024)).hexdigest() + '"'
    assert [p["PartNumber"] for p in parts["Part"]] == ["1", "2"]
    assert [u["Key"] for u in uploads["Upload"]] == [key] and isinstance(uploads["CommonPrefixes"], list)
    assert done["Key"] == key and done["ETag"].endswith('-2"') and done["Location"].endswith(".txt")
    assert size == str(1024 * 1024 + 4)
    assert aborted == 204
    assert [e["code"] for e in errs[:4]] == ["NoSuchUpload"] * 4
    assert errs[4]["code"] == "InvalidParameter" and errs[5]["statusCode"] == 400
