"""put/get/deleteBucketLifecycle in CPython: the table entries, the requests they make, the
result shapes of cos-js-sdk-v5 1.10.1, and bad rules refused before sending."""

from __future__ import annotations

import asyncio
import base64
import hashlib

import pytest

from cos_web import COS, CosError
from cos_web.operations import OPERATIONS
from cos_web.transport import MockTransport, Response

B, R = "test-1250000000", "ap-guangzhou"
KEYS = {"SecretId": "AKIDtest", "SecretKey": "k" * 32}
RULE = {"ID": "logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 30}}
RULE_XML = ("<Rule><ID>logs</ID><Status>Enabled</Status><Filter><Prefix>logs/</Prefix></Filter>"
            "<Expiration><Days>30</Days></Expiration></Rule>")


def make(status: int = 200, body: str = "", headers: dict | None = None):
    sent = []

    def handler(req):
        sent.append(req)
        return Response(status, {"x-cos-request-id": "rid", **(headers or {})}, body)

    return COS(KEYS, transport=MockTransport(handler)), sent


def call(method, **params):
    return asyncio.run(method(Bucket=B, Region=R, **params))


def test_the_table_entries():
    put, get, delete = (OPERATIONS[n] for n in ("putBucketLifecycle", "getBucketLifecycle", "deleteBucketLifecycle"))
    assert (put.method, put.action, put.subresource) == ("PUT", "name/cos:PutBucketLifecycle", "lifecycle")
    assert (get.method, get.action, get.subresource) == ("GET", "name/cos:GetBucketLifecycle", "lifecycle")
    assert (delete.method, delete.action, delete.subresource) == ("DELETE", "name/cos:DeleteBucketLifecycle",
                                                                  "lifecycle")
    cos, _ = make()
    for name in ("put_bucket_lifecycle", "putBucketLifecycle", "get_bucket_lifecycle", "getBucketLifecycle",
                 "delete_bucket_lifecycle", "deleteBucketLifecycle"):
        assert callable(getattr(cos, name))


def test_put_sends_the_rules_as_the_js_sdk_does():
    cos, sent = make()
    first = call(cos.putBucketLifecycle, Rules=[RULE])
    call(cos.put_bucket_lifecycle, LifecycleConfiguration={"Rules": [RULE, {**RULE, "ID": "two", "Transition": [
        {"Days": 1, "StorageClass": "STANDARD_IA"}, {"Days": "7", "StorageClass": "ARCHIVE"}]}]})
    call(cos.putBucketLifecycle, Rules=RULE)  # one rule as a dict
    one, two, three = sent
    assert first["statusCode"] == 200 and first["headers"]["x-cos-request-id"] == "rid"
    assert (one.method, one.url.split("?", 1)[1]) == ("PUT", "lifecycle")
    assert one.body == f"<LifecycleConfiguration>{RULE_XML}</LifecycleConfiguration>" == three.body
    assert one.headers["Content-Type"] == "application/xml"
    assert one.headers["Content-MD5"] == base64.b64encode(hashlib.md5(one.body.encode()).digest()).decode()
    assert two.body.count("<Rule>") == 2 and ("<Transition><Days>1</Days><StorageClass>STANDARD_IA</StorageClass>"
                                              "</Transition><Transition><Days>7</Days>") in two.body
    assert "q-url-param-list=lifecycle" in one.headers["Authorization"]


def test_put_with_caller_headers_and_no_mutation_of_the_rules():
    cos, sent = make()
    rules = [dict(RULE)]
    call(cos.putBucketLifecycle, Rules=rules, Headers={"x-cos-meta-a": "1"})
    assert rules == [RULE] and sent[0].headers["x-cos-meta-a"] == "1"


def test_get_shapes_rules_as_a_list():
    doc = ("<LifecycleConfiguration><Rule><ID>a</ID><Status>Enabled</Status><Filter><Prefix>x/</Prefix></Filter>"
           "<Transition><Days>1</Days><StorageClass>ARCHIVE</StorageClass></Transition></Rule></LifecycleConfiguration>")
    cos, sent = make(body=doc, headers={"content-type": "application/xml"})
    got = call(cos.getBucketLifecycle)
    assert got["Rules"] == [{"ID": "a", "Status": "Enabled", "Filter": {"Prefix": "x/"},
                             "Transition": {"Days": "1", "StorageClass": "ARCHIVE"}}]
    assert got["statusCode"] == 200 and sent[0].method == "GET" and sent[0].url.endswith("?lifecycle")
    two = doc.replace("</LifecycleConfiguration>", "<Rule><ID>b</ID><Status>Disabled</Status>"
                      "<Expiration><Days>3</Days></Expiration></Rule></LifecycleConfiguration>")
    cos, _ = make(body=two)
    assert [r["ID"] for r in call(cos.get_bucket_lifecycle)["Rules"]] == ["a", "b"]
    cos, _ = make(body="<LifecycleConfiguration></LifecycleConfiguration>")
    assert call(cos.getBucketLifecycle)["Rules"] == []


def test_get_without_a_configuration_is_a_result_with_no_rules():
    error = ("<Error><Code>NoSuchLifecycleConfiguration</Code><Message>none</Message>"
             "<RequestId>rid</RequestId></Error>")
    cos, _ = make(404, error, {"content-type": "application/xml"})
    got = call(cos.getBucketLifecycle)
    assert got["Rules"] == [] and got["statusCode"] == 404 and got["headers"]["x-cos-request-id"] == "rid"
    # only that code: any other 404 (no such bucket) is an error, as in the JS SDK
    cos, _ = make(404, error.replace("NoSuchLifecycleConfiguration", "NoSuchBucket"))
    with pytest.raises(CosError) as info:
        call(cos.getBucketLifecycle)
    assert info.value.code == "NoSuchBucket"


def test_delete():
    cos, sent = make(204)
    assert call(cos.deleteBucketLifecycle)["statusCode"] == 204
    assert (sent[0].method, sent[0].url.split("?", 1)[1]) == ("DELETE", "lifecycle")


@pytest.mark.parametrize("params, why", [
    ({}, "Rules: missing param Rules"),
    ({"Rules": []}, "Rules: missing param Rules"),
    ({"LifecycleConfiguration": {"Rules": []}}, "Rules: missing param Rules"),
    ({"Rules": "expire everything"}, "Rules: missing param Rules"),
    ({"Rules": [RULE] * 1001}, "at most 1000 rules"),
    ({"Rules": ["rule"]}, "Rules[0]: must be a dict"),
    ({"Rules": [{**RULE, "Status": "On"}]}, "Rules[0].Status: must be Enabled or Disabled"),
    ({"Rules": [{k: v for k, v in RULE.items() if k != "Status"}]}, "Rules[0].Status"),
    ({"Rules": [{"ID": "a", "Status": "Enabled", "Filter": {}}]}, "Rules[0]: needs an action"),
    ({"Rules": [{**RULE, "ID": "x" * 256}]}, "Rules[0].ID: must be a string of at most 255"),
    ({"Rules": [RULE, RULE]}, "Rules[1].ID: 'logs' is the ID of another rule"),
    ({"Rules": [{**RULE, "Expiration": {"Days": 0}}]}, "Rules[0].Expiration.Days: must be a whole number from 1"),
    ({"Rules": [{**RULE, "Expiration": {"Days": 1.5}}]}, "Rules[0].Expiration.Days: must be a whole number"),
    ({"Rules": [{**RULE, "Expiration": {"Days": True}}]}, "Rules[0].Expiration.Days: must be a whole number"),
    ({"Rules": [{**RULE, "Expiration": {"Days": "-3"}}]}, "Rules[0].Expiration.Days"),
    ({"Rules": [{**RULE, "Expiration": {"Days": 36501}}]}, "from 1 to 36500"),
    ({"Rules": [{**RULE, "Expiration": "30d"}]}, "Rules[0].Expiration: must be a dict"),
    ({"Rules": [{**RULE, "Transition": {"Days": 1, "StorageClass": "GLACIER"}}]},
     "Rules[0].Transition.StorageClass: 'GLACIER' is not one of"),
    ({"Rules": [{**RULE, "Transition": [{"Days": 1, "StorageClass": "ARCHIVE"}, {"Days": 2}]}]},
     "Rules[0].Transition[1].StorageClass: None"),
    ({"Rules": [{**RULE, "NoncurrentVersionExpiration": {"NoncurrentDays": 0}}]},
     "Rules[0].NoncurrentVersionExpiration.NoncurrentDays"),
    ({"Rules": [{**RULE, "NoncurrentVersionTransition": {"NoncurrentDays": 1, "StorageClass": "STANDARD"}}]},
     "Rules[0].NoncurrentVersionTransition.StorageClass"),
    ({"Rules": [{**RULE, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": "soon"}}]},
     "Rules[0].AbortIncompleteMultipartUpload.DaysAfterInitiation"),
])  # fmt: skip
def test_bad_rules_are_refused_before_sending(params, why):
    cos, sent = make()
    with pytest.raises(CosError) as info:
        call(cos.putBucketLifecycle, **params)
    assert info.value.code == "InvalidParameter"
    assert why in str(info.value), str(info.value)
    assert sent == []


def test_good_edge_values_are_sent():
    cos, sent = make()
    call(cos.putBucketLifecycle, Rules=[
        {"Status": "Disabled", "Transition": {"Days": 0, "StorageClass": "DEEP_ARCHIVE"}},
        {"ID": "", "Status": "Enabled", "Expiration": {"Days": "36500"}},
        {"ID": "", "Status": "Enabled", "Expiration": {"ExpiredObjectDeleteMarker": True},
         "NoncurrentVersionTransition": [{"NoncurrentDays": 0, "StorageClass": "ARCHIVE"}]},
    ])
    assert len(sent) == 1 and "<ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker>" in sent[0].body
