"""Issue 15 audit: what cos-python-sdk-v5 (CPython) had not yet exercised against the server:
list_buckets' filters (region with buckets in two regions, bucket tag, creation time), the
one-off inventory (post_bucket_inventory), referer through the SDK's own requests, and a bucket
sub-resource asked on an object path (what the JS SDK's getBucketWebsite/getBucketReferer send
when given a Key)."""

from __future__ import annotations

import time
import uuid

import pytest
from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosServiceError

from .conftest import REGION, SECRET_ID, SECRET_KEY

OTHER = "ap-beijing"


def error_of(call, *args, **kwargs) -> CosServiceError:
    with pytest.raises(CosServiceError) as info:
        call(*args, **kwargs)
    return info.value


@pytest.fixture
def bucket(sdk):
    name = f"sdkc{uuid.uuid4().hex[:10]}-1250000000"
    sdk.create_bucket(Bucket=name)
    yield name
    sdk.delete_bucket(Bucket=name)


@pytest.fixture
def elsewhere(cos_local):
    """A bucket created through another region's host (its region is that one), and its client."""
    client = CosS3Client(CosConfig(Region=OTHER, SecretId=SECRET_ID, SecretKey=SECRET_KEY, IP="127.0.0.1",
                                   Port=cos_local.port, Scheme="http", ServiceDomain=f"127.0.0.1:{cos_local.port}"),
                         retry=0)  # fmt: skip
    name = f"bj{uuid.uuid4().hex[:10]}-1250000000"
    client.create_bucket(Bucket=name)
    yield name, client
    client.delete_bucket(Bucket=name)


def _names(result: dict) -> list[str]:
    found = result.get("Buckets") or {}
    return [b["Name"] for b in (found.get("Bucket") or [])] if isinstance(found, dict) else []


def test_list_buckets_by_region(sdk, bucket, elsewhere):
    name, there = elsewhere
    assert there.head_bucket(Bucket=name)["x-cos-bucket-region"] == OTHER
    everything = sdk.list_buckets()
    assert {bucket, name} <= set(_names(everything))
    listed = {b["Name"]: b["Location"] for b in everything["Buckets"]["Bucket"]}
    assert (listed[bucket], listed[name]) == (REGION, OTHER)
    assert name in _names(sdk.list_buckets(Region=OTHER)) and bucket not in _names(sdk.list_buckets(Region=OTHER))
    assert bucket in _names(sdk.list_buckets(Region=REGION)) and name not in _names(sdk.list_buckets(Region=REGION))
    assert _names(sdk.list_buckets(Region="ap-singapore")) == []


def test_list_buckets_by_tag_and_creation_time(sdk, bucket, elsewhere):
    name, there = elsewhere
    sdk.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": {"Tag": [{"Key": "team", "Value": "web"},
                                                                      {"Key": "env", "Value": "prod"}]}})
    there.put_bucket_tagging(Bucket=name, Tagging={"TagSet": {"Tag": [{"Key": "team", "Value": "data"}]}})
    assert _names(sdk.list_buckets(TagKey="team", TagValue="web")) == [bucket]
    assert _names(sdk.list_buckets(TagKey="team", TagValue="data")) == [name]
    assert _names(sdk.list_buckets(TagKey="env", TagValue="prod", Region=REGION)) == [bucket]
    assert _names(sdk.list_buckets(TagKey="env", TagValue="prod", Region=OTHER)) == []
    assert _names(sdk.list_buckets(TagKey="team", TagValue="nobody")) == []
    sdk.delete_bucket_tagging(Bucket=bucket)
    assert _names(sdk.list_buckets(TagKey="team", TagValue="web")) == []

    now = int(time.time())
    recent = set(_names(sdk.list_buckets(CreateTime=now - 3600, Range="gt")))
    assert {bucket, name} <= recent
    assert not {bucket, name} & set(_names(sdk.list_buckets(CreateTime=now - 3600, Range="lt")))
    assert {bucket, name} <= set(_names(sdk.list_buckets(CreateTime=now + 3600, Range="lte")))
    assert _names(sdk.list_buckets(CreateTime=now + 3600, Range="gte")) == []


def test_list_buckets_filter_errors(raw):
    for query in ({"tagkey": "a"}, {"tagvalue": "b"}, {"create-time": "1"}, {"range": "gt"},
                  {"create-time": "1", "range": "eq"}, {"create-time": "-1", "range": "gt"},
                  {"create-time": "1" * 20, "range": "gt"}):
        reply = raw.request("GET", bucket=None, host=f"127.0.0.1:{raw.port}", query=query)
        assert (reply.status, reply.xml_text("Code")) == (400, "InvalidArgument"), query


def test_post_inventory_is_a_stored_one_off(sdk, bucket):
    conf = {"Id": "once", "IsEnabled": "true",
            "Destination": {"COSBucketDestination": {"Format": "CSV", "AccountId": "100000000001",
                                                     "Bucket": f"qcs::cos:{REGION}::{bucket}", "Prefix": "once"}},
            "Schedule": {"Frequency": "Daily"}, "Filter": {"Prefix": "a/"}, "IncludedObjectVersions": "Current",
            "OptionalFields": {"Field": ["Size"]}}  # fmt: skip
    sdk.post_bucket_inventory(Bucket=bucket, Id="once", InventoryConfiguration=conf)
    got = sdk.get_bucket_inventory(Bucket=bucket, Id="once")
    assert (got["Id"], got["Filter"], got["OptionalFields"]["Field"]) == ("once", {"Prefix": "a/"}, ["Size"])
    listed = sdk.list_bucket_inventory_configurations(Bucket=bucket)["InventoryConfiguration"]
    assert listed["Id"] == "once"  # one configuration: the SDK gives it as a dict, not a list
    err = error_of(sdk.post_bucket_inventory, Bucket=bucket, Id="bad", InventoryConfiguration={**conf, "IsEnabled": "yes"})
    assert (err.get_status_code(), err.get_error_code()) == (400, "InvalidArgument")
    assert error_of(sdk.get_bucket_inventory, Bucket=bucket, Id="bad").get_status_code() == 404
    sdk.delete_bucket_inventory(Bucket=bucket, Id="once")
    assert error_of(sdk.get_bucket_inventory, Bucket=bucket, Id="once").get_error_code() == "NoSuchInventoryConfiguration"


def test_referer_through_the_sdks_own_reads(sdk, bucket):
    sdk.put_object(Bucket=bucket, Key="r.txt", Body=b"ref")
    sdk.put_bucket_referer(Bucket=bucket, RefererConfiguration={
        "Status": "Enabled", "RefererType": "White-List", "DomainList": {"Domain": ["*.example.com"]}})
    err = error_of(sdk.get_object, Bucket=bucket, Key="r.txt")  # the SDK sends no Referer: Deny by default
    assert (err.get_status_code(), err.get_error_code()) == (403, "AccessDenied")
    assert sdk.get_object(Bucket=bucket, Key="r.txt", Referer="https://a.example.com/p")["Body"].get_raw_stream().read() == b"ref"
    err = error_of(sdk.get_object, Bucket=bucket, Key="r.txt", Referer="https://example.com/")
    assert err.get_error_code() == "AccessDenied"  # *.example.com: subdomains only
    sdk.put_object(Bucket=bucket, Key="w.txt", Body=b"writes are not refused")
    sdk.put_bucket_referer(Bucket=bucket, RefererConfiguration={
        "Status": "Enabled", "RefererType": "White-List", "EmptyReferConfiguration": "Allow",
        "DomainList": {"Domain": ["*.example.com"]}})
    assert sdk.get_object(Bucket=bucket, Key="r.txt")["Body"].get_raw_stream().read() == b"ref"
    assert sdk.get_bucket_referer(Bucket=bucket)["EmptyReferConfiguration"] == "Allow"
    sdk.delete_bucket_referer(Bucket=bucket)
    sdk.delete_object(Bucket=bucket, Key="r.txt")
    sdk.delete_object(Bucket=bucket, Key="w.txt")


@pytest.mark.parametrize("sub", ["website", "referer", "tagging-on-bucket-only"])
def test_bucket_sub_resources_on_an_object_path(raw, bucket, sub):
    """GET /key?website (the JS SDK's getBucketWebsite with a Key) is no bucket call: 405."""
    if sub == "tagging-on-bucket-only":  # ?tagging on a key is the object's tags: a different call
        reply = raw.request("GET", "missing.txt", bucket=bucket, query={"tagging": None})
        assert (reply.status, reply.xml_text("Code")) == (404, "NoSuchKey")
        return
    reply = raw.request("GET", "a/index.html", bucket=bucket, query={sub: None})
    assert (reply.status, reply.xml_text("Code")) == (405, "MethodNotAllowed")
