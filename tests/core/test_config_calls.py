"""The stored-configuration calls (issue 15) in CPython: bad input refused before sending,
the requests they make, and the JS SDK's old method names."""

from __future__ import annotations

import asyncio
import warnings

import pytest

from cos_web import COS, CosError
from cos_web.transport import MockTransport, Response

B, R = "test-1250000000", "ap-guangzhou"
KEYS = {"SecretId": "AKIDtest", "SecretKey": "k" * 32}


def make():
    sent = []

    def handler(req):
        sent.append(req)
        return Response(200, {"x-cos-request-id": "rid"}, "")

    return COS(KEYS, transport=MockTransport(handler)), sent


def refused(call, **params) -> str:
    with pytest.raises(CosError) as info:
        asyncio.run(call(Bucket=B, Region=R, **params))
    assert info.value.code == "InvalidParameter"
    return info.value.message


@pytest.mark.parametrize("tags, why", [
    ([{"Key": f"k{i}", "Value": "v"} for i in range(51)], "at most 50"),
    ([{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}], "twice"),
    ([{"Key": "qcs:x", "Value": "1"}], "reserved"),
    ([{"Key": "k", "Value": "a<b"}], "not '<'"),
    ([{"Key": "", "Value": "1"}], "1 to 127"),
    ([{"Key": "k" * 128, "Value": "1"}], "1 to 127"),
    ([{"Key": "k", "Value": "v" * 256}], "at most 255"),
    ([{"Key": "k"}], "Key and Value strings"),
    (["k=v"], "Key and Value strings"),
])  # fmt: skip
def test_bad_tags_are_refused_before_sending(tags, why):
    cos, sent = make()
    assert why in refused(cos.putBucketTagging, Tags=tags)
    assert why in refused(cos.put_bucket_tagging, Tagging={"TagSet": tags})
    assert sent == []


def test_required_and_typed_configuration_params():
    cos, sent = make()
    assert refused(cos.putBucketReferer).startswith("RefererConfiguration")
    assert refused(cos.putBucketAccelerate).startswith("AccelerateConfiguration")
    assert refused(cos.putBucketReplication).startswith("ReplicationConfiguration")
    assert refused(cos.putBucketInventory, InventoryConfiguration={}).startswith("Id")
    assert refused(cos.getBucketInventory).startswith("Id")
    assert refused(cos.deleteBucketInventory).startswith("Id")
    assert refused(cos.putBucketReferer, RefererConfiguration="on").startswith("RefererConfiguration")
    assert refused(cos.putBucketTagging, Tagging=[]).startswith("Tagging")
    assert sent == []


def test_requests_made():
    cos, sent = make()
    asyncio.run(cos.putBucketTagging(Bucket=B, Region=R, Tags=[{"Key": "a", "Value": "1"}]))
    asyncio.run(cos.get_bucket_inventory(Bucket=B, Region=R, Id="x"))
    asyncio.run(cos.listBucketInventory(Bucket=B, Region=R, ContinuationToken="t"))
    asyncio.run(cos.putBucketReplication(Bucket=B, Region=R, ReplicationConfiguration={
        "Role": "r", "Rules": [{"ID": "1", "Filter": {"Tags": {"Key": "k", "Value": "v"}}}]}))
    tagging, inventory, listing, replication = sent
    assert (tagging.method, tagging.url.split("?", 1)[1]) == ("PUT", "tagging")
    assert tagging.body == "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>"
    assert tagging.headers["Content-MD5"] and tagging.headers["Content-Type"] == "application/xml"
    assert inventory.url.endswith("?inventory&id=x") and listing.url.endswith("?inventory&continuation-token=t")
    assert replication.body == ("<ReplicationConfiguration><Role>r</Role><Rule><ID>1</ID><Filter><Tag><Key>k</Key>"
                                "<Value>v</Value></Tag></Filter></Rule></ReplicationConfiguration>")


def test_old_names_call_the_new_methods_and_warn_once():
    cos, sent = make()
    names = {"putBucketACL": "putBucketAcl", "getBucketACL": "getBucketAcl", "putBucketCORS": "putBucketCors",
             "getBucketCORS": "getBucketCors", "deleteBucketCORS": "deleteBucketCors",
             "getObjectACL": "getObjectAcl", "putObjectACL": "putObjectAcl"}
    assert sorted(n for n in dir(COS) if n.endswith(("ACL", "CORS"))) == sorted(names)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(cos.getBucketACL(Bucket=B, Region=R))
        asyncio.run(cos.getBucketACL(Bucket=B, Region=R))
    assert [str(w.message) for w in caught] == [
        "cos.getBucketACL has been deprecated. Please Use cos.getBucketAcl instead."]
    assert sent[0].url.endswith("?acl") and sent[0].method == "GET"


def test_object_tags_are_checked_and_sent():
    cos, sent = make()
    assert "at most 10" in refused(cos.putObjectTagging, Key="k", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(11)])
    assert sent == []
    asyncio.run(cos.put_object_tagging(Bucket=B, Region=R, Key="a b", VersionId="v1",
                                       Tagging={"TagSet": [{"Key": "k", "Value": "v"}]}))
    assert sent[0].method == "PUT" and sent[0].url.endswith("/a%20b?tagging&versionId=v1")
    assert sent[0].body == "<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>"


def test_get_service_endpoint():
    from cos_web.urls import service_url

    assert service_url("", protocol="https:") == "https://service.cos.myqcloud.com"
    assert service_url("ap-beijing", protocol="http") == "http://cos.ap-beijing.myqcloud.com"
    assert service_url("ap-beijing", "125", "my.host/{{Region}}/{{AppId}}/{{x}}/", "https:") == \
        "https://my.host/ap-beijing/125/"
    assert COS(SecretId="a", SecretKey="b", ServiceDomain="s.example").options["ServiceDomain"] == "s.example"
    cos, sent = make()
    cos.options["ServiceDomain"] = "http://cos.{{Region}}.localhost:9"
    asyncio.run(cos.getService(Region="ap-chengdu"))  # no Bucket needed
    asyncio.run(cos.get_service())
    assert [r.url for r in sent] == ["http://cos.ap-chengdu.localhost:9", "http://cos..localhost:9"]
    assert "Host" not in sent[0].headers or sent[0].headers["Host"] == "cos.ap-chengdu.localhost:9"
