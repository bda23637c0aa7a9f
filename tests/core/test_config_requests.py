"""Issue 15 audit: every configuration call of cos_web (tagging, referer, logging, accelerate,
encryption, domain, origin, replication, inventory, CORS, the old names, getService, and
x-cos-tagging on uploads and copies) makes the request cos-js-sdk-v5 makes (method, URL, headers
with the Authorization, body) and gives the same data on the same canned response (node)."""

from __future__ import annotations

import asyncio

import pytest

from .jsparity import needs_node, run_js
from .test_call_parity import OPTIONS, _jsonable, _norm_headers, _run_py, ok

B, R = "test-1250000000", "ap-guangzhou"
SRC = f"{B}.cos.{R}.myqcloud.com/a/src.txt"


def err(code: str, status: int) -> dict:
    return ok(f"<Error><Code>{code}</Code><Message>m</Message><RequestId>r</RequestId></Error>", status=status)


TAGGING = ("<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>标 b</Key><Value></Value></Tag>"
           "</TagSet></Tagging>")
ONE_TAG = "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>"
REFERER = ("<RefererConfiguration><Status>Enabled</Status><RefererType>White-List</RefererType><DomainList>"
           "<Domain>*.qq.com</Domain><Domain>a.com</Domain></DomainList>"
           "<EmptyReferConfiguration>Allow</EmptyReferConfiguration></RefererConfiguration>")
ONE_REFERER = REFERER.replace("<Domain>a.com</Domain>", "")
LOGGING = ("<BucketLoggingStatus><LoggingEnabled><TargetBucket>t-1250000000</TargetBucket>"
           "<TargetPrefix>logs/</TargetPrefix></LoggingEnabled></BucketLoggingStatus>")
ACCELERATE = "<AccelerateConfiguration><Status>Enabled</Status><Type>COS</Type></AccelerateConfiguration>"
ENCRYPTION = ("<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>KMS"
              "</SSEAlgorithm><KMSMasterKeyID>k1</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule>"
              "</ServerSideEncryptionConfiguration>")
DOMAIN = ("<DomainConfiguration><DomainRule><Status>ENABLED</Status><Name>a.com</Name><Type>REST</Type></DomainRule>"
          "<DomainRule><Status>DISABLED</Status><Name>b.com</Name><Type>WEBSITE</Type>"
          "<ForcedReplacement>CNAME</ForcedReplacement></DomainRule></DomainConfiguration>")
ORIGIN = ("<OriginConfiguration><OriginRule><RulePriority>1</RulePriority><OriginType>Mirror</OriginType>"
          "<OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix>img/</Prefix></OriginCondition>"
          "<OriginInfo><HostInfo><HostName>o.example.com</HostName></HostInfo></OriginInfo></OriginRule>"
          "</OriginConfiguration>")
REPLICATION = ("<ReplicationConfiguration><Role>qcs::cam::uin/1:uin/1</Role><Rule><ID>one</ID><Status>Enabled"
               "</Status><Prefix>docs/</Prefix><Destination><Bucket>qcs::cos:ap-beijing::b-1250000000</Bucket>"
               "</Destination></Rule><Rule><ID>two</ID><Status>Disabled</Status><Prefix>img/</Prefix><Destination>"
               "<Bucket>qcs::cos:ap-beijing::b-1250000000</Bucket><StorageClass>STANDARD</StorageClass>"
               "</Destination></Rule></ReplicationConfiguration>")
ONE_RULE = REPLICATION.split("<Rule><ID>two")[0] + "</ReplicationConfiguration>"
INVENTORY_BODY = ("<Id>daily</Id><IsEnabled>true</IsEnabled><Destination><COSBucketDestination><Format>CSV</Format>"
                  "<AccountId>1</AccountId><Bucket>qcs::cos:ap-guangzhou::test-1250000000</Bucket><Prefix>inv</Prefix>"
                  "<Encryption><SSE-COS></SSE-COS></Encryption></COSBucketDestination></Destination><Schedule>"
                  "<Frequency>Weekly</Frequency></Schedule><Filter><Prefix>docs/</Prefix></Filter>"
                  "<IncludedObjectVersions>Current</IncludedObjectVersions><OptionalFields><Field>Size</Field>"
                  "<Field>ETag</Field></OptionalFields>")
INVENTORY = f"<InventoryConfiguration>{INVENTORY_BODY}</InventoryConfiguration>"
INVENTORY_ONE_FIELD = INVENTORY.replace("<Field>ETag</Field>", "")
INVENTORIES = (f"<ListInventoryConfigurationResult>{INVENTORY}{INVENTORY.replace('daily', 'once')}"
               "<IsTruncated>true</IsTruncated><NextContinuationToken>once</NextContinuationToken>"
               "</ListInventoryConfigurationResult>")
ONE_INVENTORY = (f"<ListInventoryConfigurationResult>{INVENTORY_ONE_FIELD}<IsTruncated>false</IsTruncated>"
                 "</ListInventoryConfigurationResult>")
INVENTORY_CONF = {"Id": "daily", "IsEnabled": "true", "Destination": {"COSBucketDestination": {
    "Format": "CSV", "AccountId": "1", "Bucket": f"qcs::cos:{R}::{B}", "Prefix": "inv", "Encryption": {"SSECOS": ""}}},
    "Schedule": {"Frequency": "Weekly"}, "Filter": {"Prefix": "docs/"}, "IncludedObjectVersions": "Current",
    "OptionalFields": ["Size", "ETag"]}
SERVICE = ("<ListAllMyBucketsResult><Owner><ID>qcs::cam::uin/1:uin/1</ID><DisplayName>1</DisplayName></Owner>"
           "<Buckets><Bucket><Name>a-1250000000</Name><Location>ap-guangzhou</Location><CreationDate>"
           "2026-01-01T00:00:00Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>")
NO_BUCKETS = "<ListAllMyBucketsResult><Owner><ID>o</ID></Owner><Buckets></Buckets></ListAllMyBucketsResult>"
WEBSITE = "<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument></WebsiteConfiguration>"
ACL = ("<AccessControlPolicy><Owner><ID>qcs::cam::uin/1:uin/1</ID></Owner><AccessControlList><Grant><Grantee>"
       "<ID>qcs::cam::uin/1:uin/1</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList>"
       "</AccessControlPolicy>")
CORS = ("<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
        "<ExposeHeader>ETag</ExposeHeader></CORSRule></CORSConfiguration>")

CASES = [
    # ---- service
    ("getService", {}, ok(SERVICE)),
    ("getService", {"Region": "ap-beijing"}, ok(NO_BUCKETS)),
    ("getService", {"Region": ""}, ok(SERVICE)),
    # ---- bucket tagging
    ("putBucketTagging", {"Tags": [{"Key": "a", "Value": "1"}, {"Key": "标 b", "Value": ""}]}, ok()),
    ("putBucketTagging", {"Tagging": {"TagSet": [{"Key": "a", "Value": "1"}]}}, ok()),
    ("putBucketTagging", {"Tagging": {"Tags": {"Key": "a", "Value": "1"}}}, ok()),
    ("putBucketTagging", {"Tags": [{"Key": "a", "Value": "1"}]}, err("InvalidTag", 400)),
    ("getBucketTagging", {}, ok(TAGGING)),
    ("getBucketTagging", {}, ok(ONE_TAG)),
    ("getBucketTagging", {}, ok("<Tagging><TagSet></TagSet></Tagging>")),
    ("getBucketTagging", {}, err("NoSuchTagSet", 404)),
    ("getBucketTagging", {}, err("AccessDenied", 403)),
    ("deleteBucketTagging", {}, ok(status=204)),
    # ---- object tagging, and x-cos-tagging on writes
    ("putObjectTagging", {"Key": "a/b c.txt", "Tags": [{"Key": "a", "Value": "1"}]}, ok()),
    ("putObjectTagging", {"Key": "/lead.txt", "VersionId": "v1", "Tagging": {"TagSet": [{"Key": "a", "Value": "1"}]}},
     ok()),
    ("getObjectTagging", {"Key": "a.txt"}, ok(TAGGING)),
    ("getObjectTagging", {"Key": "a.txt", "VersionId": "v1"}, ok(ONE_TAG)),
    ("getObjectTagging", {"Key": "a.txt"}, err("NoSuchKey", 404)),
    ("deleteObjectTagging", {"Key": "a.txt"}, ok(status=204)),
    ("deleteObjectTagging", {"Key": "a.txt", "VersionId": "v1"}, ok(status=204)),
    ("putObject", {"Key": "t.txt", "Body": "t", "x-cos-tagging": "a=1&b=%E6%A0%87"}, ok()),
    ("putObject", {"Key": "t.txt", "Body": "t", "Headers": {"x-cos-tagging": "a=1"}}, ok()),
    ("putObject", {"Key": "t.txt", "Body": "t", "x-cos-tagging": "qcs:x=1"}, err("InvalidTag", 400)),
    ("multipartInit", {"Key": "m.bin", "x-cos-tagging": "part=yes"},
     ok("<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>m.bin</Key><UploadId>u</UploadId>"
        "</InitiateMultipartUploadResult>")),
    ("putObjectCopy", {"Key": "c.txt", "CopySource": SRC, "x-cos-tagging-directive": "Replaced",
                       "x-cos-tagging": "fresh=1"},
     ok("<CopyObjectResult><ETag>\"e\"</ETag><LastModified>2026-01-01T00:00:00Z</LastModified></CopyObjectResult>")),
    ("putObjectCopy", {"Key": "c.txt", "CopySource": SRC, "x-cos-tagging-directive": "Keep"},
     err("InvalidArgument", 400)),
    # ---- referer (getBucketReferer and getBucketWebsite put a given Key in the path, as the JS SDK)
    ("putBucketReferer", {"RefererConfiguration": {"Status": "Enabled", "RefererType": "White-List",
                                                   "DomainList": {"Domains": ["*.qq.com", "a.com"]},
                                                   "EmptyReferConfiguration": "Allow"}}, ok()),
    ("putBucketReferer", {"RefererConfiguration": {"Status": "Disabled", "RefererType": "Black-List",
                                                   "DomainList": {"Domains": "a.com"}}}, ok()),
    ("putBucketReferer", {"RefererConfiguration": {"Status": "Disabled", "RefererType": "Black-List"}}, ok()),
    ("getBucketReferer", {}, ok(REFERER)),
    ("getBucketReferer", {}, ok(ONE_REFERER)),
    ("getBucketReferer", {}, err("NoSuchRefererConfiguration", 404)),
    ("getBucketReferer", {"Key": "a/b c.txt"}, err("MethodNotAllowed", 405)),
    ("getBucketReferer", {"Key": "/lead"}, ok(REFERER)),
    ("getBucketWebsite", {"Key": "a/b c.txt"}, err("MethodNotAllowed", 405)),
    ("getBucketWebsite", {"Key": "/index.html"}, ok(WEBSITE)),
    ("getBucketWebsite", {"Key": ""}, err("NoSuchWebsiteConfiguration", 404)),
    # ---- logging, accelerate, encryption
    ("putBucketLogging", {"BucketLoggingStatus": {"LoggingEnabled": {"TargetBucket": "t-1250000000",
                                                                     "TargetPrefix": "logs/"}}}, ok()),
    ("putBucketLogging", {}, ok()),
    ("putBucketLogging", {"BucketLoggingStatus": {}}, ok()),
    ("getBucketLogging", {}, ok(LOGGING)),
    ("getBucketLogging", {}, ok("<BucketLoggingStatus></BucketLoggingStatus>")),
    ("putBucketAccelerate", {"AccelerateConfiguration": {"Status": "Enabled", "Type": "COS"}}, ok()),
    ("putBucketAccelerate", {"AccelerateConfiguration": {"Status": "Suspended"}, "Headers": {"x-a": "1"}}, ok()),
    ("getBucketAccelerate", {}, ok(ACCELERATE)),
    ("getBucketAccelerate", {}, ok("<AccelerateConfiguration></AccelerateConfiguration>")),
    ("putBucketEncryption", {"ServerSideEncryptionConfiguration": {"Rule": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}}, ok()),
    ("putBucketEncryption", {"ServerSideEncryptionConfiguration": {"Rules": {
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "KMS", "KMSMasterKeyID": "k1"}}}}, ok()),
    ("getBucketEncryption", {}, ok(ENCRYPTION)),
    ("getBucketEncryption", {}, err("NoSuchEncryptionConfiguration", 404)),
    ("deleteBucketEncryption", {}, ok(status=204)),
    # ---- domain, origin, replication
    ("putBucketDomain", {"DomainRule": [{"Status": "ENABLED", "Name": "a.com", "Type": "REST"}]}, ok()),
    ("putBucketDomain", {"DomainConfiguration": {"DomainRule": {"Status": "ENABLED", "Name": "a.com",
                                                                "Type": "REST"}}}, ok()),
    ("getBucketDomain", {}, ok(DOMAIN)),
    ("getBucketDomain", {}, err("NoSuchDomainConfiguration", 404)),
    ("deleteBucketDomain", {}, ok(status=204)),
    ("putBucketOrigin", {"OriginRule": [{"RulePriority": "1", "OriginType": "Mirror",
                                         "OriginInfo": {"HostInfo": {"HostName": "o.example.com"}}}]}, ok()),
    ("getBucketOrigin", {}, ok(ORIGIN)),
    ("getBucketOrigin", {}, err("NoSuchOriginConfiguration", 404)),
    ("deleteBucketOrigin", {}, ok(status=204)),
    ("putBucketReplication", {"ReplicationConfiguration": {"Role": "qcs::cam::uin/1:uin/1", "Rules": [
        {"ID": "one", "Status": "Enabled", "Prefix": "docs/",
         "Destination": {"Bucket": "qcs::cos:ap-beijing::b-1250000000"}}]}}, ok()),
    ("getBucketReplication", {}, ok(REPLICATION)),
    ("getBucketReplication", {}, ok(ONE_RULE)),
    ("getBucketReplication", {}, err("ReplicationConfigurationnotFoundError", 404)),
    ("deleteBucketReplication", {}, ok(status=204)),
    # ---- inventory
    ("putBucketInventory", {"Id": "daily", "InventoryConfiguration": INVENTORY_CONF}, ok()),
    ("postBucketInventory", {"Id": "daily", "InventoryConfiguration": INVENTORY_CONF}, ok()),
    ("getBucketInventory", {"Id": "daily"}, ok(INVENTORY)),
    ("getBucketInventory", {"Id": "daily"}, ok(INVENTORY_ONE_FIELD)),
    ("getBucketInventory", {"Id": "x"}, err("NoSuchInventoryConfiguration", 404)),
    ("listBucketInventory", {}, ok(INVENTORIES)),
    ("listBucketInventory", {"ContinuationToken": "once"}, ok(ONE_INVENTORY)),
    ("listBucketInventory", {}, ok("<ListInventoryConfigurationResult><IsTruncated>false</IsTruncated>"
                                   "</ListInventoryConfigurationResult>")),
    ("deleteBucketInventory", {"Id": "daily"}, ok(status=204)),
    # ---- CORS and the seven old names
    ("putBucketCORS", {"CORSRules": [{"AllowedOrigin": "*", "AllowedMethod": ["GET"], "ExposeHeader": "ETag"}]}, ok()),
    ("getBucketCORS", {}, ok(CORS)),
    ("getBucketCORS", {}, err("NoSuchCORSConfiguration", 404)),
    ("deleteBucketCORS", {}, ok(status=204)),
    ("putBucketACL", {"ACL": "public-read"}, ok()),
    ("getBucketACL", {}, ok(ACL, **{"x-cos-acl": "private"})),
    ("putObjectACL", {"Key": "o.txt", "ACL": "public-read"}, ok()),
    ("getObjectACL", {"Key": "o.txt"}, ok(ACL)),
]  # fmt: skip


@pytest.fixture
def warn_state():
    """The old names warn once per process: this test's calls leave that state as they found it."""
    from cos_web import client

    before = set(client._WARNED)
    yield
    client._WARNED.clear()
    client._WARNED.update(before)


@needs_node
def test_config_requests_and_results_match_js_sdk(warn_state):
    calls = [{"options": OPTIONS, "api": api, "params": {"Bucket": B, "Region": R, **params}, "response": response}
             for api, params, response in CASES]  # fmt: skip
    js_results = run_js({"calls": calls})["calls"]
    problems = []
    for (api, params, response), js in zip(CASES, js_results, strict=True):
        requests, error, data = asyncio.run(_run_py(api, {"Bucket": B, "Region": R, **params}, response))
        label = f"{api} {params}"
        if len(requests) != len(js["requests"]):
            problems.append(f"{label}: {len(requests)} requests vs JS {len(js['requests'])}")
            continue
        for got, want in zip(requests, js["requests"], strict=True):
            if (got.method, got.url) != (want["method"], want["url"]):
                problems.append(f"{label}: {got.method} {got.url} != {want['method']} {want['url']}")
            if _norm_headers(got.headers) != _norm_headers(want["headers"]):
                problems.append(f"{label}: headers\n  py {got.headers}\n  js {want['headers']}")
            got_body = got.body.decode() if isinstance(got.body, bytes) else got.body
            want_body = want["body"]["blob"] if isinstance(want["body"], dict) else want["body"]
            if (got_body or None) != (want_body or None):
                problems.append(f"{label}: body\n  py {got_body!r}\n  js {want_body!r}")
        if js["err"]:
            if error is None:
                problems.append(f"{label}: JS failed ({js['err']}) but cos_web gave {data}")
            elif (error.code, error.statusCode) != (js["err"]["code"], js["err"]["statusCode"]):
                problems.append(f"{label}: error {(error.code, error.statusCode)} != {js['err']}")
        elif error is not None:
            problems.append(f"{label}: cos_web failed ({error}) but JS gave {js['data']}")
        elif _jsonable(data) != js["data"]:
            problems.append(f"{label}: data\n  py {_jsonable(data)}\n  js {js['data']}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("api", ["getBucketWebsite", "getBucketReferer"])
def test_a_key_goes_into_the_path_of_the_two_bucket_calls_that_take_one(api):
    """The JS SDK passes Key through to the URL (and signature) for these two bucket calls only."""
    from cos_web.operations import OPERATIONS

    assert [name for name, op in OPERATIONS.items() if op.key_optional] == ["getBucketWebsite", "getBucketReferer"]
    requests, _, _ = asyncio.run(_run_py(api, {"Bucket": B, "Region": R, "Key": "/a b"}, ok()))
    assert requests[0].url.split("myqcloud.com", 1)[1].startswith("/a%20b?")
    requests, _, _ = asyncio.run(_run_py(api, {"Bucket": B, "Region": R}, ok()))
    assert requests[0].url.split("myqcloud.com", 1)[1].startswith("/?")
