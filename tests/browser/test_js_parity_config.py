"""Result parity with cos-js-sdk-v5 for the stored bucket configurations (issue 15): tagging,
referer (and its enforcement on object reads from the page), logging, accelerate, encryption,
domain, origin, replication, inventory, and the JS SDK's old method names.

The pattern of test_js_parity.py (its ``parity`` fixture: both SDKs run the same steps in one
Chromium page, results compared field by field). The steps run on the spare bucket
``conf-1250000000``; configurations outlive a run, so every test starts both runs from the same
state: ``between`` removes what the JS run left (raw signed requests from the test process).
"""

from __future__ import annotations

import pytest

from .test_js_parity import _restore_open_cors, _signed, parity  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser

CONF = {"bucket": "conf-1250000000"}
SUBS = ("tagging", "encryption", "domain", "origin", "replication")


def _clear(server) -> None:
    """The spare bucket with no configuration (referer and logging: an empty PUT clears them), CORS open."""
    bucket = CONF["bucket"]
    _restore_open_cors(server, bucket)
    for sub in SUBS:
        assert _signed(server, "DELETE", bucket, query={sub: ""})[0] == 204
    for sub in ("referer", "logging"):
        status, body = _signed(server, "PUT", bucket, query={sub: ""})
        assert status == 200, body
    status, body = _signed(server, "GET", bucket, query={"inventory": ""})
    for ident in body.decode().split("<Id>")[1:]:
        assert _signed(server, "DELETE", bucket, query={"inventory": "", "id": ident.split("</Id>")[0]})[0] == 204


@pytest.fixture
def conf(parity, sdk_server):
    """``conf(steps, **kw)``: parity on the spare bucket, each run starting with no configuration."""

    def run(steps, **kwargs):
        _clear(sdk_server)
        try:
            return parity([(*s[:3], {**CONF, **(s[3] if len(s) > 3 else {})}) for s in steps],
                          between=lambda: _clear(sdk_server), **kwargs)
        finally:
            _clear(sdk_server)

    return run


def test_bucket_tagging(conf):
    js, _ = conf([
        ("get0", "getBucketTagging", {}),
        ("put", "putBucketTagging", {"Tags": [{"Key": "team", "Value": "web"}, {"Key": "项目 a+b", "Value": ""}]}),
        ("get1", "getBucketTagging", {}),
        ("put_set", "putBucketTagging", {"Tagging": {"TagSet": [{"Key": "k:1", "Value": "v@x"}]}}),
        ("get2", "getBucketTagging", {}),
        ("put_one", "putBucketTagging", {"Tagging": {"Tags": {"Key": "solo", "Value": "1"}}}),
        ("get3", "getBucketTagging", {}),
        ("put_bad", "putBucketTagging", {"Tags": [{"Key": "a", "Value": "1"}]}, {"sdk": "bad"}),
        ("del", "deleteBucketTagging", {}),
        ("get4", "getBucketTagging", {}),
        ("del_again", "deleteBucketTagging", {}),
    ], errors={"put_bad": "SignatureDoesNotMatch"})  # fmt: skip
    assert js["get0"]["Tags"] == [] and js["get0"]["statusCode"] == 404
    assert js["get1"]["Tags"] == [{"Key": "team", "Value": "web"}, {"Key": "项目 a+b", "Value": ""}]
    assert js["get3"]["Tags"] == [{"Key": "solo", "Value": "1"}] and js["get4"]["Tags"] == []


def test_bucket_referer_and_its_enforcement(conf):
    # the page's requests carry its origin as Referer (http://127.0.0.1:PORT/). A 200 GET may be
    # reused from the browser's HTTP cache (heuristic freshness, as with COS), so each object is
    # read allowed at most once, as the last read of it.
    def referer(kind, domains, empty=None, status="Enabled"):
        conf_ = {"Status": status, "RefererType": kind, "DomainList": {"Domains": domains}}
        if empty:
            conf_["EmptyReferConfiguration"] = empty
        return {"RefererConfiguration": conf_}

    js, _ = conf([
        ("get0", "getBucketReferer", {}),
        ("obj", "putObject", {"Key": "{P}/r.txt", "Body": "referer"}),
        ("obj2", "putObject", {"Key": "{P}/r2.txt", "Body": "referer"}),
        ("deny", "putBucketReferer", referer("Black-List", ["127.0.0.1", "*.example.com"], "Allow")),
        ("get1", "getBucketReferer", {}),
        ("read_denied", "getObject", {"Key": "{P}/r.txt"}),
        ("head_denied", "headObject", {"Key": "{P}/r.txt"}),
        ("write_ok", "putObject", {"Key": "{P}/w.txt", "Body": "w"}),
        ("allow", "putBucketReferer", referer("White-List", "127.0.0.1")),
        ("get2", "getBucketReferer", {}),
        ("read_ok", "getObject", {"Key": "{P}/r.txt"}),
        ("other", "putBucketReferer", referer("White-List", ["www.example.com/app"])),
        ("read_other", "getObject", {"Key": "{P}/r2.txt"}),
        ("off", "putBucketReferer", referer("White-List", ["www.example.com"], "Deny", "Disabled")),
        ("get3", "getBucketReferer", {}),
        ("read_off", "getObject", {"Key": "{P}/r2.txt"}),
        ("bad", "putBucketReferer", referer("Grey-List", ["a.com"])),
        ("rm", "deleteMultipleObject", {"Objects": [{"Key": "{P}/r.txt"}, {"Key": "{P}/r2.txt"},
                                                    {"Key": "{P}/w.txt"}]}),
    ], errors={"read_denied": "AccessDenied", "head_denied": "AccessDenied", "read_other": "AccessDenied",
               "bad": "InvalidArgument"})  # fmt: skip
    assert js["get0"] == {"WebsiteConfiguration": {}, "statusCode": 404, "headers": js["get0"]["headers"]}
    assert js["get1"]["RefererConfiguration"]["DomainList"] == {"Domains": ["127.0.0.1", "*.example.com"]}
    assert js["get2"]["RefererConfiguration"]["DomainList"] == {"Domains": ["127.0.0.1"]}
    assert js["read_ok"]["Body"] == "referer" and js["read_off"]["Body"] == "referer"


def test_logging_accelerate_encryption(conf):
    js, _ = conf([
        ("log0", "getBucketLogging", {}),
        ("log_on", "putBucketLogging", {"BucketLoggingStatus": {"LoggingEnabled": {
            "TargetBucket": CONF["bucket"], "TargetPrefix": "logs/"}}}),
        ("log1", "getBucketLogging", {}),
        ("log_bad", "putBucketLogging", {"BucketLoggingStatus": {"LoggingEnabled": {"TargetBucket": "nope-1250000000"}}}),
        ("log_off", "putBucketLogging", {}),
        ("log2", "getBucketLogging", {}),
        ("acc_on", "putBucketAccelerate", {"AccelerateConfiguration": {"Status": "Enabled", "Type": "COS"}}),
        ("acc1", "getBucketAccelerate", {}),
        ("acc_off", "putBucketAccelerate", {"AccelerateConfiguration": {"Status": "Suspended"}}),
        ("acc2", "getBucketAccelerate", {}),
        ("acc_bad", "putBucketAccelerate", {"AccelerateConfiguration": {"Status": "Fast"}}),
        ("enc0", "getBucketEncryption", {}),
        ("enc_put", "putBucketEncryption", {"ServerSideEncryptionConfiguration": {"Rule": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}}),
        ("enc1", "getBucketEncryption", {}),
        ("enc_rules", "putBucketEncryption", {"ServerSideEncryptionConfiguration": {"Rules": {
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "KMS", "KMSMasterKeyID": "key-1"}}}}),
        ("enc2", "getBucketEncryption", {}),
        ("enc_bad", "putBucketEncryption", {"ServerSideEncryptionConfiguration": {"Rule": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "ROT13"}}]}}),
        ("enc_del", "deleteBucketEncryption", {}),
        ("enc3", "getBucketEncryption", {}),
    ], errors={"log_bad": "InvalidTargetBucketForLogging", "acc_bad": "InvalidArgument",
               "enc_bad": "InvalidArgument"})  # fmt: skip
    assert js["log0"]["BucketLoggingStatus"] == "" and js["log1"]["BucketLoggingStatus"]["LoggingEnabled"]["TargetPrefix"] == "logs/"
    assert js["acc1"]["AccelerateConfiguration"] == {"Status": "Enabled", "Type": "COS"}
    assert js["enc0"]["statusCode"] == 404 and js["enc3"]["statusCode"] == 404
    assert js["enc2"]["ServerSideEncryptionConfiguration"]["Rule"]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == "key-1"


def test_domain_origin_replication(conf):
    domains = [{"Status": "ENABLED", "Name": "www.example.com", "Type": "REST"},
               {"Status": "DISABLED", "Name": "static.example.com", "Type": "WEBSITE", "ForcedReplacement": "TXT"}]
    origin = {"RulePriority": "1", "OriginType": "Mirror",
              "OriginCondition": {"HTTPStatusCode": "404", "Prefix": "img/"},
              "OriginParameter": {"Protocol": "HTTPS", "FollowQueryString": "true",
                                  "HttpHeader": {"FollowAllHeaders": "false"}},
              "OriginInfo": {"HostInfo": {"HostName": "origin.example.com"}}}
    replication = {"Role": "qcs::cam::uin/100000000001:uin/100000000001",
                   "Rules": [{"ID": "one", "Status": "Enabled", "Prefix": "docs/",
                              "Destination": {"Bucket": "qcs::cos:ap-beijing::backup-1250000000",
                                              "StorageClass": "STANDARD"}},
                             {"ID": "two", "Status": "Disabled", "Prefix": "img/",
                              "Destination": {"Bucket": "qcs::cos:ap-shanghai::other-1250000000"}}]}
    js, _ = conf([
        ("dom0", "getBucketDomain", {}),
        ("dom_put", "putBucketDomain", {"DomainRule": domains}),
        ("dom1", "getBucketDomain", {}),
        ("dom_conf", "putBucketDomain", {"DomainConfiguration": {"DomainRule": domains[0]}}),
        ("dom2", "getBucketDomain", {}),
        ("dom_bad", "putBucketDomain", {"DomainRule": [{"Status": "ON", "Name": "a.com", "Type": "REST"}]}),
        ("dom_del", "deleteBucketDomain", {}),
        ("ori0", "getBucketOrigin", {}),
        ("ori_put", "putBucketOrigin", {"OriginRule": [origin]}),
        ("ori1", "getBucketOrigin", {}),
        ("ori_bad", "putBucketOrigin", {"OriginRule": [{**origin, "RulePriority": "first"}]}),
        ("ori_del", "deleteBucketOrigin", {}),
        ("rep0", "getBucketReplication", {}),
        ("rep_put", "putBucketReplication", {"ReplicationConfiguration": replication}),
        ("rep1", "getBucketReplication", {}),
        ("rep_one", "putBucketReplication", {"ReplicationConfiguration": {**replication, "Rules": replication["Rules"][:1]}}),
        ("rep2", "getBucketReplication", {}),
        ("rep_bad", "putBucketReplication", {"ReplicationConfiguration": {**replication, "Rules": [
            {**replication["Rules"][0], "Destination": {"Bucket": "backup"}}]}}),
        ("rep_del", "deleteBucketReplication", {}),
        ("rep3", "getBucketReplication", {}),
    ], errors={"dom0": "NoSuchDomainConfiguration", "dom_bad": "InvalidArgument", "ori0": "NoSuchOriginConfiguration",
               "ori_bad": "InvalidArgument", "rep_bad": "InvalidArgument"})  # fmt: skip
    assert js["dom1"]["DomainRule"] == domains and js["dom2"]["DomainRule"] == domains[:1]
    assert js["ori1"]["OriginRule"] == [origin]
    assert js["rep1"]["ReplicationConfiguration"]["Rules"] == replication["Rules"]
    assert js["rep0"]["ReplicationConfiguration"] == {"Rules": []} and js["rep3"]["statusCode"] == 404


def test_inventory(conf, sdk_vars):
    def inventory(ident, **extra):
        return {"Id": ident, "IsEnabled": "true",
                "Destination": {"COSBucketDestination": {
                    "Format": "CSV", "AccountId": "100000000001", "Prefix": "inventory",
                    "Bucket": f"qcs::cos:{sdk_vars['REGION']}::{CONF['bucket']}", "Encryption": {"SSECOS": ""}}},
                "Schedule": {"Frequency": "Weekly"}, "Filter": {"Prefix": "docs/"},
                "IncludedObjectVersions": "Current", "OptionalFields": ["Size", "ETag"], **extra}

    js, _ = conf([
        ("list0", "listBucketInventory", {}),
        ("get0", "getBucketInventory", {"Id": "daily"}),
        ("put", "putBucketInventory", {"Id": "daily", "InventoryConfiguration": inventory("daily")}),
        ("post", "postBucketInventory", {"Id": "once", "InventoryConfiguration": inventory(
            "once", OptionalFields=["StorageClass"])}),
        ("get1", "getBucketInventory", {"Id": "daily"}),
        ("get2", "getBucketInventory", {"Id": "once"}),
        ("list1", "listBucketInventory", {}),
        ("bad", "putBucketInventory", {"Id": "x", "InventoryConfiguration": inventory("x", IsEnabled="maybe")}),
        ("del", "deleteBucketInventory", {"Id": "daily"}),
        ("list2", "listBucketInventory", {}),
        ("del_once", "deleteBucketInventory", {"Id": "once"}),
    ], errors={"get0": "NoSuchInventoryConfiguration", "bad": "InvalidArgument"})  # fmt: skip
    got = js["get1"]["InventoryConfiguration"]
    assert got["OptionalFields"] == ["Size", "ETag"] and got["Destination"]["COSBucketDestination"]["Encryption"] == {"SSECOS": ""}
    assert js["get2"]["InventoryConfiguration"]["OptionalFields"] == ["StorageClass"]
    assert [c["Id"] for c in js["list1"]["InventoryConfigurations"]] == ["daily", "once"]
    assert js["list0"]["InventoryConfigurations"] == [] and [c["Id"] for c in js["list2"]["InventoryConfigurations"]] == ["once"]


def test_old_method_names(conf):
    conf([
        ("acl", "putBucketACL", {"ACL": "private"}),
        ("get_acl", "getBucketACL", {}),
        ("cors", "getBucketCORS", {}),
        ("put_cors", "putBucketCORS", {"CORSRules": [{"AllowedOrigin": "*", "AllowedMethod": ["GET", "PUT", "POST",
                                       "DELETE", "HEAD"], "AllowedHeader": "*", "ExposeHeader": ["ETag"]}]}),
        ("cors1", "getBucketCORS", {}),
        ("obj", "putObject", {"Key": "{P}/o.txt", "Body": "o"}),
        ("obj_acl", "putObjectACL", {"Key": "{P}/o.txt", "ACL": "public-read"}),
        ("get_obj_acl", "getObjectACL", {"Key": "{P}/o.txt"}),
        ("rm", "deleteObject", {"Key": "{P}/o.txt"}),
        ("del_cors", "deleteBucketCORS", {}),  # the page then sees no CORS answer: restored below
    ])


def test_object_tagging(conf, sdk_vars):
    src = f"{CONF['bucket']}.cos.{sdk_vars['REGION']}.myqcloud.com/{{P}}/t.txt"
    js, _ = conf([
        ("put", "putObject", {"Key": "{P}/t.txt", "Body": "t", "x-cos-tagging": "a=1&b=%E6%A0%87"}),
        ("get0", "getObjectTagging", {"Key": "{P}/t.txt"}),
        ("head0", "headObject", {"Key": "{P}/t.txt"}),
        ("set", "putObjectTagging", {"Key": "{P}/t.txt", "Tags": [{"Key": "team", "Value": "web"}]}),
        ("get1", "getObjectTagging", {"Key": "{P}/t.txt"}),
        ("copy", "putObjectCopy", {"Key": "{P}/c.txt", "CopySource": src}),
        ("get_copy", "getObjectTagging", {"Key": "{P}/c.txt"}),
        ("copy_new", "putObjectCopy", {"Key": "{P}/n.txt", "CopySource": src, "x-cos-tagging-directive": "Replaced",
                                       "x-cos-tagging": "fresh=1"}),
        ("get_new", "getObjectTagging", {"Key": "{P}/n.txt"}),
        ("init", "multipartInit", {"Key": "{P}/m.bin", "x-cos-tagging": "part=yes"}),
        ("up", "multipartUpload", {"Key": "{P}/m.bin", "UploadId": "$ref:init.UploadId", "PartNumber": 1, "Body": "m"}),
        ("done", "multipartComplete", {"Key": "{P}/m.bin", "UploadId": "$ref:init.UploadId",
                                       "Parts": [{"PartNumber": 1, "ETag": "$ref:up.ETag"}]}),
        ("get_m", "getObjectTagging", {"Key": "{P}/m.bin"}),
        ("del", "deleteObjectTagging", {"Key": "{P}/t.txt"}),
        ("get2", "getObjectTagging", {"Key": "{P}/t.txt"}),
        ("missing", "getObjectTagging", {"Key": "{P}/none"}),
        ("set_missing", "putObjectTagging", {"Key": "{P}/none", "Tags": [{"Key": "a", "Value": "1"}]}),
        ("set_bad", "putObjectTagging", {"Key": "{P}/t.txt", "Tags": [{"Key": "a", "Value": "1"}]}, {"sdk": "bad"}),
        ("rm", "deleteMultipleObject", {"Objects": [{"Key": "{P}/t.txt"}, {"Key": "{P}/c.txt"}, {"Key": "{P}/n.txt"},
                                                    {"Key": "{P}/m.bin"}]}),
    ], errors={"missing": "NoSuchKey", "set_missing": "NoSuchKey", "set_bad": "SignatureDoesNotMatch"})  # fmt: skip
    assert js["get0"]["Tags"] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "标"}]
    assert js["head0"]["headers"]["x-cos-tagging-count"] == "2"
    assert js["get_copy"]["Tags"] == [{"Key": "team", "Value": "web"}] and js["get_new"]["Tags"] == [
        {"Key": "fresh", "Value": "1"}]
    assert js["get_m"]["Tags"] == [{"Key": "part", "Value": "yes"}] and js["get2"]["Tags"] == []


@pytest.fixture
def sdk_vars(sdk_vars, sdk_server):
    """The page's SDKs also get a ServiceDomain: the local server's service host, by region."""
    return {**sdk_vars, "SERVICE_DOMAIN": f"http://cos.{{{{Region}}}}.localhost:{sdk_server.port}"}


def test_get_service(parity, sdk_vars):
    js, _ = parity([
        ("all", "getService", {}),
        ("other_region", "getService", {"Region": "ap-beijing"}),
        ("bad", "getService", {}, {"sdk": "bad"}),
    ], errors={"bad": "SignatureDoesNotMatch"})  # fmt: skip
    names = [b["Name"] for b in js["all"]["Buckets"]]
    assert {sdk_vars["BUCKET"], CONF["bucket"]} <= set(names) and names == sorted(names)
    assert {b["Location"] for b in js["all"]["Buckets"]} == {sdk_vars["REGION"]} and js["all"]["Owner"]["ID"]
    assert js["other_region"]["Buckets"] == []
