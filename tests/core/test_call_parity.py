"""Each call made by cos_web and by cos-js-sdk-v5 (node, its Request hook) on the same canned
response: the same request (method, URL, headers incl. Authorization, body) and the same data."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from cos_web import COS
from cos_web.transport import MockTransport, Response

from .jsparity import needs_node, run_js

B, R = "test-1250000000", "ap-guangzhou"
OPTIONS = {"SecretId": "AKIDtest", "SecretKey": "secretkey" * 4, "StartTime": 1700000000, "ExpiredTime": 1700003600}
HEADERS = {"x-cos-request-id": "req-1", "etag": '"e"', "content-type": "application/xml"}

LIST_BUCKET = """<?xml version='1.0' encoding='utf-8' ?>
<ListBucketResult>
  <Name>test-1250000000</Name>
  <Prefix>a/</Prefix>
  <Marker/>
  <MaxKeys>1000</MaxKeys>
  <Delimiter>/</Delimiter>
  <IsTruncated>false</IsTruncated>
  <CommonPrefixes><Prefix>a/b/</Prefix></CommonPrefixes>
  <Contents>
    <Key>a/1 &amp; 2.txt</Key>
    <LastModified>2019-05-27T11:26:14.000Z</LastModified>
    <ETag>&quot;ee8de918d05640145b18f70f4c3aa602&quot;</ETag>
    <Size>13</Size>
    <Owner><ID>1250000000</ID><DisplayName>1250000000</DisplayName></Owner>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
</ListBucketResult>"""

LIST_BUCKET_2 = LIST_BUCKET.replace(
    "<CommonPrefixes><Prefix>a/b/</Prefix></CommonPrefixes>",
    "<CommonPrefixes><Prefix>a/b/</Prefix></CommonPrefixes><CommonPrefixes><Prefix>a/c/</Prefix></CommonPrefixes>",
).replace("</Contents>", "</Contents><Contents><Key>a/3</Key><Size>0</Size></Contents>")

# Listed with EncodingType=url: COS percent-encodes keys and prefixes; both SDKs hand them back as sent.
LIST_BUCKET_URL = (
    LIST_BUCKET.replace("<Name>test-1250000000</Name>", "<Name>test-1250000000</Name><EncodingType>url</EncodingType>")
    .replace("a/b/", "a/100%25%20b/")
    .replace("a/1 &amp; 2.txt", "a/1%20%26%202%2B%01%E4%B8%AD.txt")
)

ACL = """<AccessControlPolicy>
  <Owner><ID>qcs::cam::uin/100:uin/100</ID><DisplayName>qcs::cam::uin/100:uin/100</DisplayName></Owner>
  <AccessControlList>
    <Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">
      <ID>qcs::cam::uin/100:uin/100</ID><DisplayName>qcs::cam::uin/100:uin/100</DisplayName></Grantee>
      <Permission>FULL_CONTROL</Permission></Grant>
    <Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group">
      <URI>http://cam.qcloud.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>
    <Grant><Grantee><ID>qcs::cam::uin/200:uin/200</ID></Grantee><Permission>WRITE</Permission></Grant>
    <Grant><Grantee><ID>qcs::cam::uin/300:uin/300</ID></Grantee><Permission>READ_ACP</Permission></Grant>
  </AccessControlList>
</AccessControlPolicy>"""

ACL_ONE = """<AccessControlPolicy><Owner><ID>qcs::cam::uin/1:uin/1</ID></Owner><AccessControlList>
<Grant><Grantee><ID>qcs::cam::uin/1:uin/1</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>
</AccessControlList></AccessControlPolicy>"""

CORS = """<CORSConfiguration><CORSRule><ID>r1</ID><AllowedOrigin>*</AllowedOrigin>
<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader>
<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>5</MaxAgeSeconds></CORSRule>
<CORSRule><AllowedOrigin>http://a.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>
<ResponseVary>true</ResponseVary></CORSConfiguration>"""

NO_CORS = "<Error><Code>NoSuchCORSConfiguration</Code><Message>none</Message><RequestId>r</RequestId></Error>"
NO_KEY = "<?xml version='1.0' encoding='utf-8' ?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Resource>x</Resource><RequestId>rid</RequestId></Error>"

DELETE_RESULT = """<DeleteResult><Deleted><Key>1.jpg</Key></Deleted>
<Error><Key>2.zip</Key><Code>AccessDenied</Code><Message>no</Message></Error></DeleteResult>"""

COPY = "<CopyObjectResult><ETag>&quot;abc&quot;</ETag><CRC64>123</CRC64><LastModified>2020-04-10T18:20:30Z</LastModified></CopyObjectResult>"
INIT = "<InitiateMultipartUploadResult><Bucket>test-1250000000</Bucket><Key>big.bin</Key><UploadId>1700000000abc</UploadId></InitiateMultipartUploadResult>"
COMPLETE = """<CompleteMultipartUploadResult xmlns="http://www.qcloud.com/document/product/436/7751">
<Location>http://x/big.bin</Location><Bucket>test-1250000000</Bucket><Key>big.bin</Key><ETag>&quot;aa-2&quot;</ETag>
</CompleteMultipartUploadResult>"""
LIST_PARTS = """<ListPartsResult><Bucket>test-1250000000</Bucket><Key>big.bin</Key><UploadId>u1</UploadId>
<Initiator><ID>i</ID><DisplayName>i</DisplayName></Initiator><Owner><ID>o</ID></Owner>
<PartNumberMarker>0</PartNumberMarker><MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated>
<StorageClass>STANDARD</StorageClass><Part><PartNumber>1</PartNumber><LastModified>x</LastModified>
<ETag>&quot;e1&quot;</ETag><Size>1048576</Size></Part></ListPartsResult>"""
LIST_UPLOADS = """<ListMultipartUploadsResult><Bucket>test-1250000000</Bucket><Encoding-Type/><KeyMarker/>
<UploadIdMarker/><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated><Prefix>big</Prefix>
<Upload><Key>big.bin</Key><UploadId>u1</UploadId><StorageClass>STANDARD</StorageClass>
<Initiator><ID>i</ID></Initiator><Owner><ID>o</ID></Owner><Initiated>2020</Initiated></Upload>
<Upload><Key>big2.bin</Key><UploadId>u2</UploadId></Upload>
<CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes><CommonPrefixes><Prefix>q/</Prefix></CommonPrefixes>
</ListMultipartUploadsResult>"""


def ok(body: str = "", status: int = 200, **headers: str) -> dict[str, Any]:
    return {"statusCode": status, "headers": {**HEADERS, **headers}, "body": body}


POSITION_ERROR = "<Error><Code>PositionNotEqualToLength</Code><Message>position</Message></Error>"
IN_PROGRESS = "<Error><Code>RestoreAlreadyInProgress</Code><Message>busy</Message></Error>"

CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("putBucket", {}, ok()),
    ("putBucket", {"ACL": "public-read", "BucketAZConfig": "MAZ"}, ok()),
    ("headBucket", {}, ok(**{"x-cos-bucket-region": R})),
    ("getBucket", {"Prefix": "a/", "Delimiter": "/", "MaxKeys": 10}, ok(LIST_BUCKET)),
    ("getBucket", {"Marker": "a b+c", "EncodingType": "url"}, ok(LIST_BUCKET_2)),
    ("getBucket", {"Prefix": "a/", "EncodingType": "url"}, ok(LIST_BUCKET_URL)),
    ("getBucket", {}, ok("<ListBucketResult><Name>x</Name><IsTruncated>false</IsTruncated></ListBucketResult>")),
    ("deleteBucket", {}, ok(status=204)),
    ("getBucketAcl", {}, ok(ACL)),
    ("getBucketAcl", {}, ok(ACL_ONE, **{"x-cos-acl": "private"})),
    ("putBucketAcl", {"ACL": "public-read"}, ok()),
    ("putBucketAcl", {"GrantFullControl": 'id="qcs::cam::uin/1:uin/1", id="qcs::cam::uin/1:uin/1"'}, ok()),
    (
        "putBucketAcl",
        {
            "AccessControlPolicy": {
                "Owner": {"ID": "qcs::cam::uin/459:uin/459"},
                "Grants": [{"Grantee": {"ID": "qcs::cam::uin/10002:uin/10002"}, "Permission": "WRITE"}],
            }
        },
        ok(),
    ),
    ("getBucketCors", {}, ok(CORS)),
    ("getBucketCors", {}, ok(NO_CORS, status=404)),
    (
        "putBucketCors",
        {
            "CORSRules": [
                {
                    "AllowedOrigin": ["*"],
                    "AllowedMethod": ["GET", "POST", "PUT", "DELETE", "HEAD"],
                    "AllowedHeader": ["*"],
                    "ExposeHeader": ["ETag", "x-cos-acl"],
                    "MaxAgeSeconds": "5",
                },
                {"AllowedOrigins": "http://a.com", "AllowedMethods": ["GET"], "ID": "two"},
            ]
        },
        ok(),
    ),
    ("deleteBucketCors", {}, ok(status=204)),
    ("getBucketLocation", {}, ok("<LocationConstraint>ap-guangzhou</LocationConstraint>")),
    ("headObject", {"Key": "1.jpg"}, ok(**{"x-cos-meta-a": "b", "content-length": "5"})),
    ("headObject", {"Key": "1.jpg", "IfModifiedSince": "Wed, 21 Oct 2015 07:28:00 GMT"}, ok(status=304)),
    ("headObject", {"Key": "missing", "VersionId": "v1"}, ok(status=404)),
    ("getObject", {"Key": "a/b c(1).txt", "DataType": "text"}, ok("hello world")),
    (
        "getObject",
        {"Key": "/x", "DataType": "text", "Range": "bytes=1-3", "ResponseContentType": "text/plain", "Query": {"a": "1"}},
        ok("ell", status=206),
    ),
    ("getObject", {"Key": "nope", "DataType": "text"}, ok(NO_KEY, status=404)),
    ("putObject", {"Key": "1.jpg", "Body": "hello!", "StorageClass": "STANDARD_IA"}, ok()),
    ("putObject", {"Key": "dir/", "Body": ""}, ok()),
    (
        "putObject",
        {"Key": "m.txt", "Body": "x", "ContentType": "text/x", "CacheControl": "max-age=1", "x-cos-meta-who": "me"},
        ok(**{"x-cos-version-id": "v9"}),
    ),
    ("deleteObject", {"Key": "1.jpg"}, ok(status=204, **{"x-cos-delete-marker": "true"})),
    ("deleteObject", {"Key": "1.jpg"}, ok("<Error><Code>NoSuchBucket</Code></Error>", status=404)),
    (
        "optionsObject",
        {"Key": "1.jpg", "Origin": "http://www.qq.com", "AccessControlRequestMethod": "PUT"},
        ok(**{"access-control-allow-origin": "*", "access-control-max-age": "5"}),
    ),
    (
        "optionsObject",
        {"Key": "1.jpg", "Origin": "http://x", "AccessControlRequestMethod": "PUT", "AccessControlRequestHeaders": "a"},
        ok("<Error><Code>AccessForbidden</Code></Error>", status=403),
    ),
    ("getObjectAcl", {"Key": "1.jpg"}, ok(ACL)),
    ("putObjectAcl", {"Key": "1.jpg", "ACL": "private"}, ok()),
    (
        "putObjectAcl",
        {
            "Key": "1.jpg",
            "AccessControlPolicy": {
                "Owner": {"ID": "qcs::cam::uin/1:uin/1"},
                "Grant": {"Grantee": {"ID": "qcs::cam::uin/2:uin/2"}, "Permission": "READ"},
            },
        },
        ok(),
    ),
    ("deleteMultipleObject", {"Objects": [{"Key": "1.jpg"}, {"Key": "2.zip"}]}, ok(DELETE_RESULT)),
    ("deleteMultipleObject", {"Objects": [{"Key": "a&b"}], "Quiet": True}, ok("<DeleteResult><Deleted><Key>a&amp;b</Key></Deleted></DeleteResult>")),
    (
        "putObjectCopy",
        {"Key": "1.jpg", "CopySource": "test-1250000000.cos.ap-guangzhou.myqcloud.com/2%20x.jpg", "MetadataDirective": "Copy"},
        ok(COPY),
    ),
    ("multipartInit", {"Key": "big.bin", "ContentType": "application/octet-stream"}, ok(INIT)),
    ("multipartInit", {"Key": "big.bin"}, ok(INIT)),
    ("multipartUpload", {"Key": "big.bin", "UploadId": "u1", "PartNumber": 1, "Body": "part-body"}, ok()),
    (
        "multipartComplete",
        {"Key": "big.bin", "UploadId": "u1", "Parts": [{"PartNumber": "1", "ETag": "e1"}, {"PartNumber": 2, "ETag": '"e2"'}]},
        ok(COMPLETE),
    ),
    ("multipartListPart", {"Key": "big.bin", "UploadId": "u1", "MaxParts": 10}, ok(LIST_PARTS)),
    ("multipartAbort", {"Key": "big.bin", "UploadId": "u1"}, ok(status=204)),
    ("multipartList", {"Prefix": "big", "MaxUploads": 5}, ok(LIST_UPLOADS)),
    ("getBucket", {"Prefix": "a"}, ok("<Error><Code>AccessDenied</Code><Message>no</Message></Error>", status=403)),
    # appendable objects and archive restores (issue 16)
    ("appendObject", {"Key": "log.txt", "Body": "line\n", "Position": 0}, ok(**{"x-cos-next-append-position": "5"})),
    ("appendObject", {"Key": "log.txt", "Body": "more", "Position": "5", "ContentType": "text/x-log"}, ok()),
    ("appendObject", {"Key": "log.txt", "Body": "x"}, ok(POSITION_ERROR, status=409)),
    ("restoreObject", {"Key": "cold.bin", "RestoreRequest": {"Days": 2, "CASJobParameters": {"Tier": "Bulk"}}},
     ok(status=202)),
    ("restoreObject", {"Key": "cold.bin", "VersionId": "v1", "RestoreRequest": {"Days": 1}}, ok(status=200)),
    ("restoreObject", {"Key": "cold.bin", "RestoreRequest": {"Days": 1}}, ok(IN_PROGRESS, status=409)),
]


def _norm_headers(headers: dict[str, Any]) -> dict[str, str]:
    def s(v: Any) -> str:
        if v is True:
            return "true"
        if v is False:
            return "false"
        return str(v)

    return {k: s(v) for k, v in headers.items()}


def _jsonable(data: Any) -> Any:
    if isinstance(data, bytes):
        return data.decode()
    return json.loads(json.dumps(data, default=lambda o: o.decode() if isinstance(o, bytes) else str(o)))


async def _run_py(api: str, params: dict[str, Any], response: dict[str, Any]):
    def handler(request):
        body = response["body"]
        if request.response_type == "bytes":
            body = body.encode()
        return Response(response["statusCode"], dict(response["headers"]), body)

    transport = MockTransport(handler)
    cos = COS(dict(OPTIONS), transport=transport)
    try:
        data = await getattr(cos, api)(dict(params))
        err = None
    except Exception as exc:  # CosError
        data, err = None, exc
    return transport.requests, err, data


@needs_node
def test_requests_and_results_match_js_sdk():
    calls = [
        {"options": OPTIONS, "api": api, "params": {"Bucket": B, "Region": R, **params}, "response": response}
        for api, params, response in CASES
    ]
    js_results = run_js({"calls": calls})["calls"]
    problems = []
    for (api, params, response), js in zip(CASES, js_results, strict=True):
        requests, err, data = asyncio.run(_run_py(api, {"Bucket": B, "Region": R, **params}, response))
        label = f"{api} {params}"
        if len(requests) != len(js["requests"]):
            problems.append(f"{label}: {len(requests)} requests vs JS {len(js['requests'])}")
            continue
        for got, want in zip(requests, js["requests"]):
            if got.method != want["method"]:
                problems.append(f"{label}: method {got.method} != {want['method']}")
            if got.url != want["url"]:
                problems.append(f"{label}: url {got.url} != {want['url']}")
            if _norm_headers(got.headers) != _norm_headers(want["headers"]):
                problems.append(f"{label}: headers\n  py {got.headers}\n  js {want['headers']}")
            want_body = want["body"]["blob"] if isinstance(want["body"], dict) else want["body"]
            got_body = got.body.decode() if isinstance(got.body, bytes) else got.body
            if (got_body or None) != (want_body or None):
                problems.append(f"{label}: body {got_body!r} != {want_body!r}")
        if js["err"]:
            if err is None:
                problems.append(f"{label}: JS failed ({js['err']}) but cos_web gave {data}")
            elif err.statusCode != js["err"]["statusCode"] or (
                # with no error body the JS SDK has no COS code ("Error"); cos_web names the status
                js["err"]["code"] != "Error" and err.code != js["err"]["code"]
            ):
                problems.append(f"{label}: error {(err.code, err.statusCode)} != {js['err']}")
            continue
        if err is not None:
            problems.append(f"{label}: cos_web failed ({err}) but JS gave {js['data']}")
            continue
        got = _jsonable(data)
        want = js["data"]
        if api == "multipartList":
            # the contract: an Array of the seed is always a list (the JS SDK leaves a single CommonPrefixes as an object)
            want["CommonPrefixes"] = want.get("CommonPrefixes") if isinstance(want.get("CommonPrefixes"), list) else [want["CommonPrefixes"]]
        if got != want:
            problems.append(f"{label}: data\n  py {got}\n  js {want}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("api", sorted({c[0] for c in CASES}))
def test_every_case_api_is_a_method(api):
    from cos_web.operations import _snake

    assert getattr(COS, api) is getattr(COS, _snake(api))
