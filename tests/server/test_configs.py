"""Stored bucket configurations (cos_web/server/configs.py) through the official
cos-python-sdk-v5, and their validation errors over raw HTTP."""

from __future__ import annotations

import uuid

import pytest
from qcloud_cos.cos_exception import CosServiceError

from .conftest import REGION


def error_of(call, *args, **kwargs) -> CosServiceError:
    with pytest.raises(CosServiceError) as info:
        call(*args, **kwargs)
    return info.value


@pytest.fixture
def bucket(sdk):
    """A fresh bucket per test (configurations are per bucket)."""
    name = f"cfg{uuid.uuid4().hex[:10]}-1250000000"
    sdk.create_bucket(Bucket=name)
    yield name
    sdk.delete_bucket(Bucket=name)


def test_bucket_tagging(sdk, bucket):
    assert error_of(sdk.get_bucket_tagging, Bucket=bucket).get_error_code() == "NoSuchTagSet"
    tags = {"TagSet": {"Tag": [{"Key": "team", "Value": "web"}, {"Key": "项目 a+b", "Value": ""}]}}
    sdk.put_bucket_tagging(Bucket=bucket, Tagging=tags)
    got = sdk.get_bucket_tagging(Bucket=bucket)["TagSet"]["Tag"]
    assert got == [{"Key": "team", "Value": "web"}, {"Key": "项目 a+b", "Value": None}]  # the SDK: empty is None
    sdk.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": {"Tag": [{"Key": "only", "Value": "1"}]}})
    assert sdk.get_bucket_tagging(Bucket=bucket)["TagSet"]["Tag"] == [{"Key": "only", "Value": "1"}]
    for bad in ([{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}],  # a key twice
                [{"Key": "qcs:x", "Value": "1"}], [{"Key": "k", "Value": "a<b"}], [{"Key": "", "Value": "1"}],
                [{"Key": "k" * 128, "Value": "1"}], [{"Key": "k", "Value": "v" * 256}],
                [{"Key": f"k{i}", "Value": "v"} for i in range(51)]):
        err = error_of(sdk.put_bucket_tagging, Bucket=bucket, Tagging={"TagSet": {"Tag": bad}})
        assert (err.get_status_code(), err.get_error_code()) == (400, "InvalidTag"), bad
    sdk.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": {"Tag": [{"Key": f"k{i}", "Value": "v"} for i in range(50)]}})
    assert len(sdk.get_bucket_tagging(Bucket=bucket)["TagSet"]["Tag"]) == 50
    sdk.delete_bucket_tagging(Bucket=bucket)
    assert error_of(sdk.get_bucket_tagging, Bucket=bucket).get_error_code() == "NoSuchTagSet"


def test_configurations_go_with_the_bucket(sdk, cos_local):
    name = f"cfg{uuid.uuid4().hex[:10]}-1250000000"
    sdk.create_bucket(Bucket=name)
    sdk.put_bucket_tagging(Bucket=name, Tagging={"TagSet": {"Tag": [{"Key": "a", "Value": "1"}]}})
    sdk.delete_bucket(Bucket=name)
    sdk.create_bucket(Bucket=name)
    assert error_of(sdk.get_bucket_tagging, Bucket=name).get_error_code() == "NoSuchTagSet"
    sdk.delete_bucket(Bucket=name)
    assert error_of(sdk.get_bucket_tagging, Bucket=name).get_error_code() == "NoSuchBucket"


def test_configuration_is_durable(tmp_path):
    from cos_web.server import start_in_thread

    from .conftest import SECRET_ID, SECRET_KEY, make_client

    def start():
        return start_in_thread(port=0, data_dir=str(tmp_path), secret_id=SECRET_ID, secret_key=SECRET_KEY,
                               buckets=["keep-1250000000"], region=REGION, quiet=True)

    srv = start()
    make_client(srv.port).put_bucket_tagging(Bucket="keep-1250000000",
                                             Tagging={"TagSet": {"Tag": [{"Key": "a", "Value": "1"}]}})
    srv.stop()
    srv = start()
    try:
        got = make_client(srv.port).get_bucket_tagging(Bucket="keep-1250000000")
        assert got["TagSet"]["Tag"] == [{"Key": "a", "Value": "1"}]
    finally:
        srv.stop()


def test_malformed_configurations(raw, bucket):
    cases = [
        ("tagging", b"<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>", "MalformedXML"),  # no Value
        ("tagging", b"<Tagging><Other/></Tagging>", "MalformedXML"),
        ("tagging", b"<NotTagging/>", "MalformedXML"),
        ("tagging", b"<Tagging><TagSet>", "MalformedXML"),
        ("tagging", b"", "MissingRequestBodyError"),
        ("encryption", b"<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>"
                       b"<SSEAlgorithm>DES</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule>"
                       b"</ServerSideEncryptionConfiguration>", "InvalidArgument"),
        ("accelerate", b"<AccelerateConfiguration><Status>On</Status></AccelerateConfiguration>", "InvalidArgument"),
    ]
    for sub, body, code in cases:
        reply = raw.request("PUT", query={sub: None}, body=body, bucket=bucket)
        assert (reply.status, reply.xml_text("Code")) == (400, code), (sub, body)
    reply = raw.request("PUT", query={"tagging": None}, body=b"<Tagging><TagSet/></Tagging>", bucket=bucket,
                        headers={"Content-MD5": "AAAAAAAAAAAAAAAAAAAAAA=="})
    assert reply.xml_text("Code") == "BadDigest"
    reply = raw.request("GET", query={"tagging": None}, bucket=bucket, sign=False)
    assert reply.status == 403  # owner only


def _referer(raw, bucket, body: bytes) -> None:
    reply = raw.request("PUT", query={"referer": None}, body=body, bucket=bucket)
    assert reply.status == 200, reply.text


def _reads(raw, bucket, key, referer: str | None) -> tuple[int, int, int]:
    """(GET signed, HEAD signed, GET anonymous) statuses with this Referer."""
    headers = {"Referer": referer} if referer is not None else {}
    return (raw.request("GET", key, bucket=bucket, headers=headers).status,
            raw.request("HEAD", key, bucket=bucket, headers=headers).status,
            raw.request("GET", key, bucket=bucket, headers=headers, sign=False).status)


def test_referer_enforced_on_object_reads(raw, sdk, bucket):
    key = "r.txt"
    sdk.put_object(Bucket=bucket, Key=key, Body=b"r", ACL="public-read")
    white = (b"<RefererConfiguration><Status>Enabled</Status><RefererType>White-List</RefererType>"
             b"<DomainList><Domain>*.qq.com</Domain><Domain>example.com:8080</Domain>"
             b"<Domain>site.org/app</Domain></DomainList></RefererConfiguration>")
    _referer(raw, bucket, white)
    ok, denied = (200, 200, 200), (403, 403, 403)
    assert _reads(raw, bucket, key, "https://www.qq.com/page") == ok
    assert _reads(raw, bucket, key, "http://a.b.qq.com:81/") == ok
    assert _reads(raw, bucket, key, "http://qq.com/") == denied  # *.qq.com: a subdomain only
    assert _reads(raw, bucket, key, "http://www.qq.com.evil.net/") == denied
    assert _reads(raw, bucket, key, "http://example.com:8080/x") == ok
    assert _reads(raw, bucket, key, "http://example.com/x") == denied  # the entry names a port
    assert _reads(raw, bucket, key, "https://site.org/app/x") == ok
    assert _reads(raw, bucket, key, "https://site.org/other") == denied
    assert _reads(raw, bucket, key, None) == denied  # EmptyReferConfiguration: Deny by default
    reply = raw.request("GET", key, bucket=bucket, headers={"Referer": "http://evil.net/"})
    assert reply.xml_text("Code") == "AccessDenied"
    # writes and listings are not reads of an object
    assert raw.request("PUT", "w.txt", bucket=bucket, body=b"w").status == 200
    assert raw.request("GET", bucket=bucket).status == 200

    _referer(raw, bucket, white.replace(b"</DomainList>", b"</DomainList><EmptyReferConfiguration>Allow"
                                                          b"</EmptyReferConfiguration>"))
    assert _reads(raw, bucket, key, None) == ok
    assert _reads(raw, bucket, key, "http://evil.net/") == denied

    black = (b"<RefererConfiguration><Status>Enabled</Status><RefererType>Black-List</RefererType>"
             b"<DomainList><Domain>evil.net</Domain></DomainList></RefererConfiguration>")
    _referer(raw, bucket, black)
    assert _reads(raw, bucket, key, "http://evil.net/x") == denied
    assert _reads(raw, bucket, key, "http://fine.net/x") == ok
    assert _reads(raw, bucket, key, None) == denied  # still Deny for an empty referer

    _referer(raw, bucket, black.replace(b"Enabled", b"Disabled"))
    assert _reads(raw, bucket, key, "http://evil.net/x") == ok
    assert sdk.get_bucket_referer(Bucket=bucket)["Status"] == "Disabled"
    sdk.delete_bucket_referer(Bucket=bucket)  # the SDK: PUT with an empty body
    reply = raw.request("GET", query={"referer": None}, bucket=bucket)
    assert (reply.status, reply.xml_text("Code")) == (404, "NoSuchRefererConfiguration")
    assert _reads(raw, bucket, key, None) == ok
    sdk.delete_object(Bucket=bucket, Key=key)
    sdk.delete_object(Bucket=bucket, Key="w.txt")


def test_referer_validation(raw, bucket):
    for body in (b"<RefererConfiguration><Status>On</Status><RefererType>White-List</RefererType>"
                 b"</RefererConfiguration>",
                 b"<RefererConfiguration><Status>Enabled</Status><RefererType>Grey-List</RefererType>"
                 b"<DomainList><Domain>a.com</Domain></DomainList></RefererConfiguration>",
                 b"<RefererConfiguration><Status>Enabled</Status><RefererType>White-List</RefererType>"
                 b"</RefererConfiguration>",  # enabled with no list
                 b"<RefererConfiguration><Status>Enabled</Status><RefererType>White-List</RefererType>"
                 b"<DomainList><Domain>http://a.com</Domain></DomainList></RefererConfiguration>"):
        reply = raw.request("PUT", query={"referer": None}, body=body, bucket=bucket)
        assert (reply.status, reply.xml_text("Code")) == (400, "InvalidArgument"), body
    reply = raw.request("PUT", query={"referer": None}, bucket=bucket,
                        body=b"<RefererConfiguration><Status>Enabled</Status></RefererConfiguration>")
    assert (reply.status, reply.xml_text("Code")) == (400, "MalformedXML")


def test_python_sdk_configurations(sdk, bucket, cos_local):
    sdk.put_bucket_referer(Bucket=bucket, RefererConfiguration={
        "Status": "Enabled", "RefererType": "White-List", "EmptyReferConfiguration": "Allow",
        "DomainList": {"Domain": ["*.qq.com"]}})
    assert sdk.get_bucket_referer(Bucket=bucket)["DomainList"]["Domain"] == ["*.qq.com"]

    assert sdk.get_bucket_logging(Bucket=bucket) == {"BucketLoggingStatus": None}  # none: an empty document
    sdk.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": bucket, "TargetPrefix": "logs/"}})
    assert sdk.get_bucket_logging(Bucket=bucket)["LoggingEnabled"] == {"TargetBucket": bucket, "TargetPrefix": "logs/"}
    err = error_of(sdk.put_bucket_logging, Bucket=bucket,
                   BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "nope-1250000000"}})
    assert err.get_error_code() == "InvalidTargetBucketForLogging"
    sdk.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={})  # turns it off
    assert sdk.get_bucket_logging(Bucket=bucket) == {"BucketLoggingStatus": None}

    assert error_of(sdk.get_bucket_encryption, Bucket=bucket).get_error_code() == "NoSuchEncryptionConfiguration"
    rule = {"Rule": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
    sdk.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=rule)
    assert sdk.get_bucket_encryption(Bucket=bucket)["Rule"] == rule["Rule"]
    sdk.delete_bucket_encryption(Bucket=bucket)
    assert error_of(sdk.get_bucket_encryption, Bucket=bucket).get_status_code() == 404

    assert error_of(sdk.get_bucket_domain, Bucket=bucket).get_error_code() == "NoSuchDomainConfiguration"
    rules = [{"Status": "ENABLED", "Name": "www.example.com", "Type": "REST"},
             {"Status": "DISABLED", "Name": "static.example.com", "Type": "WEBSITE", "ForcedReplacement": "CNAME"}]
    sdk.put_bucket_domain(Bucket=bucket, DomainConfiguration={"DomainRule": rules})
    assert sdk.get_bucket_domain(Bucket=bucket)["DomainRule"] == rules
    sdk.delete_bucket_domain(Bucket=bucket)
    assert error_of(sdk.get_bucket_domain, Bucket=bucket).get_status_code() == 404

    assert error_of(sdk.get_bucket_origin, Bucket=bucket).get_error_code() == "NoSuchOriginConfiguration"
    origin = [{"RulePriority": "1", "OriginType": "Mirror", "OriginCondition": {"HTTPStatusCode": "404", "Prefix": "a/"},
               "OriginParameter": {"Protocol": "HTTP", "FollowQueryString": "true"},
               "OriginInfo": {"HostInfo": {"HostName": "origin.example.com"}}}]
    sdk.put_bucket_origin(Bucket=bucket, OriginConfiguration={"OriginRule": origin})
    assert sdk.get_bucket_origin(Bucket=bucket)["OriginRule"] == origin
    sdk.delete_bucket_origin(Bucket=bucket)

    assert error_of(sdk.get_bucket_replication, Bucket=bucket).get_error_code() == "ReplicationConfigurationnotFoundError"
    replication = {"Role": "qcs::cam::uin/100000000001:uin/100000000001",
                   "Rule": [{"ID": "r1", "Status": "Enabled", "Prefix": "docs/",
                             "Destination": {"Bucket": "qcs::cos:ap-beijing::backup-1250000000",
                                             "StorageClass": "STANDARD"}}]}
    sdk.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=replication)
    got = sdk.get_bucket_replication(Bucket=bucket)
    assert (got["Role"], got["Rule"]) == (replication["Role"], replication["Rule"])
    sdk.delete_bucket_replication(Bucket=bucket)
    assert error_of(sdk.get_bucket_replication, Bucket=bucket).get_status_code() == 404


def test_python_sdk_inventory(sdk, bucket):
    def conf(ident: str) -> dict:
        return {"Id": ident, "IsEnabled": "true",
                "Destination": {"COSBucketDestination": {"Format": "CSV", "AccountId": "100000000001",
                                                         "Bucket": f"qcs::cos:{REGION}::{bucket}", "Prefix": "inv",
                                                         "Encryption": {"SSE-COS": ""}}},
                "Schedule": {"Frequency": "Daily"}, "Filter": {"Prefix": "docs/"},
                "IncludedObjectVersions": "All",
                "OptionalFields": {"Field": ["Size", "LastModifiedDate", "ETag"]}}

    assert error_of(sdk.get_bucket_inventory, Bucket=bucket, Id="a").get_error_code() == "NoSuchInventoryConfiguration"
    for ident in ("b", "a"):
        sdk.put_bucket_inventory(Bucket=bucket, Id=ident, InventoryConfiguration=conf(ident))
    got = sdk.get_bucket_inventory(Bucket=bucket, Id="a")
    assert got["Destination"]["COSBucketDestination"]["Bucket"] == f"qcs::cos:{REGION}::{bucket}"
    assert got["OptionalFields"]["Field"] == ["Size", "LastModifiedDate", "ETag"]
    listed = sdk.list_bucket_inventory_configurations(Bucket=bucket)
    assert [c["Id"] for c in listed["InventoryConfiguration"]] == ["a", "b"] and listed["IsTruncated"] == "false"
    sdk.delete_bucket_inventory(Bucket=bucket, Id="a")
    sdk.delete_bucket_inventory(Bucket=bucket, Id="b")
    assert error_of(sdk.get_bucket_inventory, Bucket=bucket, Id="b").get_status_code() == 404


def test_inventory_pages_and_ids(raw, bucket):
    body = ("<InventoryConfiguration><Id>{id}</Id><IsEnabled>false</IsEnabled><Destination><COSBucketDestination>"
            "<Format>CSV</Format><Bucket>qcs::cos:ap-guangzhou::x-1250000000</Bucket></COSBucketDestination>"
            "</Destination><Schedule><Frequency>Weekly</Frequency></Schedule>"
            "<IncludedObjectVersions>Current</IncludedObjectVersions></InventoryConfiguration>")
    for i in range(101):
        reply = raw.request("PUT", query={"inventory": None, "id": f"i{i:03d}"}, bucket=bucket,
                            body=body.format(id=f"i{i:03d}").encode())
        assert reply.status == 200, reply.text
    first = raw.request("GET", query={"inventory": None}, bucket=bucket)
    assert first.text.count("<InventoryConfiguration>") == 100 and first.xml_text("IsTruncated") == "true"
    token = first.xml_text("NextContinuationToken")
    second = raw.request("GET", query={"inventory": None, "continuation-token": token}, bucket=bucket)
    assert second.text.count("<InventoryConfiguration>") == 1 and second.xml_text("IsTruncated") == "false"
    assert "<Id>i100</Id>" in second.text
    reply = raw.request("PUT", query={"inventory": None, "id": "c"}, bucket=bucket, body=body.format(id="d").encode())
    assert (reply.status, reply.xml_text("Code")) == (400, "InvalidArgument")  # the Id in the body is the id's
    for bad in ("", "a b", "x" * 65):
        reply = raw.request("PUT", query={"inventory": None, "id": bad}, bucket=bucket, body=body.format(id=bad).encode())
        assert (reply.status, reply.xml_text("Code")) == (400, "InvalidArgument")
    for i in range(101):
        assert raw.request("DELETE", query={"inventory": None, "id": f"i{i:03d}"}, bucket=bucket).status == 204


def test_accelerate(raw, bucket):
    reply = raw.request("GET", query={"accelerate": None}, bucket=bucket)
    assert reply.status == 200 and reply.body.endswith(b"<AccelerateConfiguration></AccelerateConfiguration>")
    body = b"<AccelerateConfiguration><Status>Enabled</Status><Type>COS</Type></AccelerateConfiguration>"
    assert raw.request("PUT", query={"accelerate": None}, bucket=bucket, body=body).status == 200
    assert raw.request("GET", query={"accelerate": None}, bucket=bucket).body.endswith(body)
    assert raw.request("DELETE", query={"accelerate": None}, bucket=bucket).status == 405


# ---------------------------------------------------------------- object tags
def _tags(sdk, bucket, key):
    return sdk.get_object_tagging(Bucket=bucket, Key=key).get("TagSet") or {}


def test_object_tagging(sdk, raw, bucket):
    sdk.put_object(Bucket=bucket, Key="t.txt", Body=b"t")
    assert _tags(sdk, bucket, "t.txt") == {}  # none yet: an empty TagSet, not an error
    assert "x-cos-tagging-count" not in sdk.head_object(Bucket=bucket, Key="t.txt")
    tags = [{"Key": "a", "Value": "1"}, {"Key": "标签", "Value": "x y"}]
    sdk.put_object_tagging(Bucket=bucket, Key="t.txt", Tagging={"TagSet": {"Tag": tags}})
    assert _tags(sdk, bucket, "t.txt")["Tag"] == tags
    assert sdk.head_object(Bucket=bucket, Key="t.txt")["x-cos-tagging-count"] == "2"
    reply = raw.request("GET", "t.txt", bucket=bucket)
    assert reply.headers["x-cos-tagging-count"] == "2" and "x-cos-tagging" not in reply.headers
    err = error_of(sdk.put_object_tagging, Bucket=bucket, Key="t.txt",
                   Tagging={"TagSet": {"Tag": [{"Key": f"k{i}", "Value": "v"} for i in range(11)]}})
    assert (err.get_status_code(), err.get_error_code()) == (400, "InvalidTag")  # 10 per object
    err = error_of(sdk.put_object_tagging, Bucket=bucket, Key="missing", Tagging={"TagSet": {"Tag": tags}})
    assert err.get_error_code() == "NoSuchKey"
    assert error_of(sdk.get_object_tagging, Bucket=bucket, Key="missing").get_error_code() == "NoSuchKey"
    sdk.put_object(Bucket=bucket, Key="t.txt", Body=b"new")  # an overwrite has the new object's tags: none
    assert _tags(sdk, bucket, "t.txt") == {}
    sdk.put_object_tagging(Bucket=bucket, Key="t.txt", Tagging={"TagSet": {"Tag": tags[:1]}})
    sdk.delete_object_tagging(Bucket=bucket, Key="t.txt")
    assert _tags(sdk, bucket, "t.txt") == {}
    sdk.delete_object(Bucket=bucket, Key="t.txt")


def test_tagging_header_on_put_init_and_copy(sdk, raw, bucket):
    header = {"x-cos-tagging": "a=1&b=%E6%A0%87+x&c="}
    assert raw.request("PUT", "p.txt", bucket=bucket, body=b"p", headers=header).status == 200
    assert _tags(sdk, bucket, "p.txt")["Tag"] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "标+x"},
                                                  {"Key": "c", "Value": None}]
    up = sdk.create_multipart_upload(Bucket=bucket, Key="m.bin", Metadata={"x-cos-tagging": "part=yes"})
    part = sdk.upload_part(Bucket=bucket, Key="m.bin", Body=b"m", PartNumber=1, UploadId=up["UploadId"])
    sdk.complete_multipart_upload(Bucket=bucket, Key="m.bin", UploadId=up["UploadId"],
                                  MultipartUpload={"Part": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert _tags(sdk, bucket, "m.bin")["Tag"] == [{"Key": "part", "Value": "yes"}]

    source = {"Bucket": bucket, "Key": "p.txt", "Region": REGION}
    sdk.copy_object(Bucket=bucket, Key="c1.txt", CopySource=source)  # Copy: the source's tags
    assert len(_tags(sdk, bucket, "c1.txt")["Tag"]) == 3
    sdk.copy_object(Bucket=bucket, Key="c2.txt", CopySource=source, CopyStatus="Replaced",
                    Metadata={"x-cos-tagging-directive": "Copy"})  # metadata replaced, tags copied
    assert len(_tags(sdk, bucket, "c2.txt")["Tag"]) == 3
    sdk.copy_object(Bucket=bucket, Key="c3.txt", CopySource=source,
                    Metadata={"x-cos-tagging-directive": "Replaced", "x-cos-tagging": "new=1"})
    assert _tags(sdk, bucket, "c3.txt")["Tag"] == [{"Key": "new", "Value": "1"}]
    sdk.copy_object(Bucket=bucket, Key="c4.txt", CopySource=source, Metadata={"x-cos-tagging-directive": "Replaced"})
    assert _tags(sdk, bucket, "c4.txt") == {}

    for bad, code in (("qcs:x=1", "InvalidTag"), ("a=1&a=2", "InvalidTag"), ("k=%FF", "InvalidArgument"),
                      ("&".join(f"k{i}=v" for i in range(11)), "InvalidTag"), ("k=a<b", "InvalidTag")):
        reply = raw.request("PUT", "bad.txt", bucket=bucket, body=b"x", headers={"x-cos-tagging": bad})
        assert (reply.status, reply.xml_text("Code")) == (400, code), bad
    reply = raw.request("PUT", "c5.txt", bucket=bucket, headers={
        "x-cos-copy-source": f"{bucket}.cos.{REGION}.myqcloud.com/p.txt", "x-cos-tagging-directive": "Keep"})
    assert (reply.status, reply.xml_text("Code")) == (400, "InvalidArgument")
    assert raw.request("GET", "bad.txt", bucket=bucket).status == 404
    for key in ("p.txt", "m.bin", "c1.txt", "c2.txt", "c3.txt", "c4.txt"):
        sdk.delete_object(Bucket=bucket, Key=key)


def test_service_host_answers_cors(raw):
    """getService from a page: the service host has the open CORS rule (its calls need the key)."""
    host = f"cos.{REGION}.localhost:{raw.port}"
    pre = raw.request("OPTIONS", bucket=None, host=host, sign=False, headers={
        "Origin": "http://page.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert pre.status == 200 and pre.headers["access-control-allow-origin"] == "*"
    listed = raw.request("GET", bucket=None, host=host, headers={"Origin": "http://page.example"})
    assert listed.status == 200 and listed.headers["access-control-allow-origin"] == "*"
    denied = raw.request("GET", bucket=None, host=host, sign=False, headers={"Origin": "http://page.example"})
    assert denied.status == 403 and denied.headers["access-control-allow-origin"] == "*"


def test_temporary_key_policies_name_the_configuration_actions(cos_local, raw, sdk, bucket):
    appid = bucket.rsplit("-", 1)[1]
    policy = {"version": "2.0", "statement": [
        {"effect": "allow", "action": ["name/cos:GetBucketTagging", "name/cos:ListBucketInventory",
                                       "name/cos:PutObjectTagging"],
         "resource": [f"qcs::cos:{REGION}:uid/{appid}:{bucket}/*"]}]}
    creds = cos_local.issue_temporary_credentials(900, policy)
    sdk.put_object(Bucket=bucket, Key="o.txt", Body=b"o")

    def call(method, key="", **kw):
        headers = {"x-cos-security-token": creds["XCosSecurityToken"], **kw.pop("headers", {})}
        return raw.request(method, key, bucket=bucket, headers=headers, secret_id=creds["SecretId"],
                           secret_key=creds["SecretKey"], **kw).status

    tagging = b"<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>"
    assert call("GET", query={"tagging": None}) == 404  # allowed: NoSuchTagSet
    assert call("PUT", query={"tagging": None}, body=tagging) == 403
    assert call("GET", query={"inventory": None}) == 200  # the listing: ListBucketInventory
    assert call("GET", query={"inventory": None, "id": "a"}) == 403  # one configuration: GetBucketInventory
    assert call("PUT", "o.txt", query={"tagging": None}, body=tagging) == 200
    assert call("GET", "o.txt", query={"tagging": None}) == 403
    assert call("GET", query={"referer": None}) == 403
    sdk.delete_object(Bucket=bucket, Key="o.txt")
