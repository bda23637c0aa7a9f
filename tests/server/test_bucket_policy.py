"""Bucket policies (``?policy``): stored as sent, refused when malformed, and enforced together
with the ACLs for anonymous callers, the owner's permanent key and temporary keys (raw HTTP),
plus cos-python-sdk-v5's put/get/delete_bucket_policy.

Each test works on a bucket of its own (a policy left behind must not change other tests).
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid

import pytest
from qcloud_cos.cos_exception import CosServiceError

from .conftest import REGION, make_client

APPID = "1250000000"
UIN = "100000000001"  # the server's default account
OWNER = f"qcs::cam::uin/{UIN}:uin/{UIN}"


def arn(bucket: str, path: str = "*") -> str:
    return f"qcs::cos:{REGION}:uid/{APPID}:{bucket}/{path}"


def statement(bucket: str, effect: str, actions: list[str], path: str = "*", who: list[str] | None = None,
              **extra) -> dict:  # fmt: skip
    return {"Principal": {"qcs": who or ["*"]}, "Effect": effect, "Action": actions,
            "Resource": [arn(bucket, path)], **extra}


def document(*statements: dict) -> dict:
    return {"Version": "2.0", "Statement": list(statements)}


@pytest.fixture
def bucket(raw, sdk):
    """A fresh private bucket, deleted (with its objects) afterwards."""
    name = f"pol{uuid.uuid4().hex[:10]}-{APPID}"
    assert raw.request("PUT", bucket=name).status == 200
    yield name
    raw.request("DELETE", query={"policy": None}, bucket=name)
    for item in sdk.list_objects(Bucket=name).get("Contents", []):
        sdk.delete_object(Bucket=name, Key=item["Key"])
    assert raw.request("DELETE", bucket=name).status == 204


def put_policy(raw, bucket: str, policy, md5: bool = True):
    body = policy if isinstance(policy, bytes) else json.dumps(policy).encode()
    headers = {"Content-Type": "application/json"}
    if md5:
        headers["Content-MD5"] = base64.b64encode(hashlib.md5(body).digest()).decode()
    return raw.request("PUT", query={"policy": None}, body=body, headers=headers, bucket=bucket)


def put(raw, bucket: str, key: str, body: bytes = b"data", **headers):
    reply = raw.request("PUT", key, body=body, bucket=bucket, headers=headers)
    assert reply.status == 200, reply.text


def test_put_get_delete_roundtrip(raw, bucket):
    assert raw.request("GET", query={"policy": None}, bucket=bucket).xml_text("Code") == "NoSuchPolicy"
    text = json.dumps(document(statement(bucket, "Allow", ["name/cos:GetObject"], "pub/*")), indent=1).encode()
    assert put_policy(raw, bucket, text).status == 204
    got = raw.request("GET", query={"policy": None}, bucket=bucket)
    assert (got.status, got.body, got.headers["content-type"]) == (200, text, "application/json")
    assert raw.request("DELETE", query={"policy": None}, bucket=bucket).status == 204
    gone = raw.request("GET", query={"policy": None}, bucket=bucket)
    assert (gone.status, gone.xml_text("Code")) == (404, "NoSuchPolicy")
    assert raw.request("DELETE", query={"policy": None}, bucket=bucket).status == 204  # none: still 204
    anonymous = raw.request("GET", query={"policy": None}, bucket=bucket, sign=False)
    assert (anonymous.status, anonymous.xml_text("Code")) == (403, "AccessDenied")


@pytest.mark.parametrize("make, why", [
    (lambda b: b"{not json", "not JSON"),
    (lambda b: b"[1, 2]", "must be an object"),
    (lambda b: {"Statement": [statement(b, "Allow", ["name/cos:GetObject"])]}, "version"),
    (lambda b: document(), "statement"),
    (lambda b: document(statement(b, "Maybe", ["name/cos:GetObject"])), "effect"),
    (lambda b: document({k: v for k, v in statement(b, "Allow", ["name/cos:GetObject"]).items() if k != "Principal"}),
     "principal"),
    (lambda b: document(statement(b, "Allow", ["name/cos:GetObject"], who=["someone"])), "principal"),
    (lambda b: document(statement(b, "Allow", ["s3:GetObject"])), "not a COS action"),
    (lambda b: document(statement("other-1250000000", "Allow", ["name/cos:GetObject"])), "not in this bucket"),
    (lambda b: document(statement(b, "Allow", ["name/cos:GetObject"], Condition={"string_equal": {"cos:nope": "x"}})),
     "not supported"),
    (lambda b: {"Version": "2.0", "Statement": [statement(b, "Allow", ["name/cos:GetObject"])] * 200}, "larger than"),
])  # fmt: skip
def test_malformed_policies_are_refused(raw, bucket, make, why):
    reply = put_policy(raw, bucket, make(bucket))
    assert (reply.status, reply.xml_text("Code")) == (400, "MalformedPolicy"), reply.text
    assert why in reply.xml_text("Message")
    assert raw.request("GET", query={"policy": None}, bucket=bucket).status == 404  # nothing stored


def test_empty_body_and_bad_md5(raw, bucket):
    assert put_policy(raw, bucket, b"").xml_text("Code") == "MissingRequestBodyError"
    body = json.dumps(document(statement(bucket, "Allow", ["name/cos:GetObject"]))).encode()
    reply = raw.request("PUT", query={"policy": None}, body=body, bucket=bucket, headers={"Content-MD5": "AAAA"})
    assert reply.xml_text("Code") in ("BadDigest", "InvalidDigest")


def test_anonymous_allow_by_prefix_in_a_private_bucket(raw, bucket):
    put(raw, bucket, "pub/a.txt", b"public a")
    put(raw, bucket, "priv/b.txt", b"private b")
    assert raw.request("GET", "pub/a.txt", bucket=bucket, sign=False).status == 403  # private bucket
    policy = document(statement(bucket, "Allow", ["name/cos:GetObject"], "pub/*"))
    assert put_policy(raw, bucket, policy).status == 204
    got = raw.request("GET", "pub/a.txt", bucket=bucket, sign=False)
    assert (got.status, got.body) == (200, b"public a")
    assert raw.request("GET", "priv/b.txt", bucket=bucket, sign=False).status == 403
    assert raw.request("HEAD", "pub/a.txt", bucket=bucket, sign=False).status == 403  # HeadObject not named
    assert raw.request("PUT", "pub/new.txt", body=b"x", bucket=bucket, sign=False).status == 403
    assert raw.request("GET", bucket=bucket, sign=False).status == 403  # listing not named either
    assert raw.request("GET", "pub/a.txt", bucket=bucket).status == 200  # the owner, as before


def test_anonymous_allow_opens_listing_and_actions_by_wildcard(raw, bucket):
    put(raw, bucket, "pub/a.txt")
    policy = document(statement(bucket, "Allow", ["name/cos:GetBucket"], ""),
                      statement(bucket, "Allow", ["name/cos:*"], "open/*"))
    assert put_policy(raw, bucket, policy).status == 204
    listing = raw.request("GET", bucket=bucket, sign=False)
    assert listing.status == 200 and "<Key>pub/a.txt</Key>" in listing.text
    assert raw.request("PUT", "open/w.txt", body=b"w", bucket=bucket, sign=False).status == 200
    assert raw.request("GET", "open/w.txt", bucket=bucket, sign=False).body == b"w"
    assert raw.request("DELETE", "open/w.txt", bucket=bucket, sign=False).status == 204
    assert raw.request("GET", query={"acl": None}, bucket=bucket, sign=False).status == 403


def test_deny_beats_a_public_read_acl_and_binds_the_owner(raw, bucket):
    assert raw.request("PUT", query={"acl": None}, bucket=bucket, headers={"x-cos-acl": "public-read"}).status == 200
    put(raw, bucket, "open.txt", b"open")
    put(raw, bucket, "secret/s.txt", b"secret")
    put(raw, bucket, "pubobj/p.txt", b"p", **{"x-cos-acl": "public-read"})
    policy = document(statement(bucket, "Deny", ["name/cos:GetObject"], "secret/*"),
                      statement(bucket, "Deny", ["name/cos:*"], "pubobj/*", who=[OWNER]))
    assert put_policy(raw, bucket, policy).status == 204
    assert raw.request("GET", "open.txt", bucket=bucket, sign=False).body == b"open"  # the ACL still lets in
    denied = raw.request("GET", "secret/s.txt", bucket=bucket, sign=False)
    assert (denied.status, denied.xml_text("Code")) == (403, "AccessDenied")
    assert raw.request("GET", "secret/s.txt", bucket=bucket).status == 403  # "*" is the owner too
    assert raw.request("GET", "pubobj/p.txt", bucket=bucket, sign=False).status == 200  # names only the owner
    assert raw.request("GET", "pubobj/p.txt", bucket=bucket).status == 403
    # the permanent key can always read and remove the policy that locks it out
    assert raw.request("GET", query={"policy": None}, bucket=bucket).status == 200
    assert raw.request("DELETE", query={"policy": None}, bucket=bucket).status == 204
    assert raw.request("GET", "secret/s.txt", bucket=bucket).body == b"secret"


def test_deny_applies_to_temporary_keys(cos_local, raw, bucket):
    creds = cos_local.issue_temporary_credentials(900)  # no policy of its own: acts as the owner
    client = make_client(cos_local.port, creds["SecretId"], creds["SecretKey"], creds["XCosSecurityToken"])
    put(raw, bucket, "keep/k.txt", b"keep")
    policy = document(statement(bucket, "Deny", ["name/cos:DeleteObject", "name/cos:PutObject"], "keep/*",
                                who=[OWNER]),
                      statement(bucket, "Deny", ["name/cos:PutBucketPolicy", "name/cos:DeleteBucketPolicy"], ""))
    assert put_policy(raw, bucket, policy).status == 204
    with pytest.raises(CosServiceError) as info:
        client.delete_object(Bucket=bucket, Key="keep/k.txt")
    assert info.value.get_error_code() == "AccessDenied"
    with pytest.raises(CosServiceError):
        client.put_object(Bucket=bucket, Key="keep/new.txt", Body=b"x")
    client.put_object(Bucket=bucket, Key="other.txt", Body=b"x")  # outside the deny
    assert client.get_object(Bucket=bucket, Key="keep/k.txt")["Body"].get_raw_stream().read() == b"keep"
    with pytest.raises(CosServiceError):  # temporary keys are not exempt from a deny on the policy calls
        client.delete_bucket_policy(Bucket=bucket)
    raw.request("DELETE", "other.txt", bucket=bucket)


def test_anonymous_multi_delete_key_by_key(raw, bucket):
    for key in ("tmp/a", "keep/b"):
        put(raw, bucket, key)
    policy = document(statement(bucket, "Allow", ["name/cos:DeleteMultipleObjects"], ""),
                      statement(bucket, "Allow", ["name/cos:DeleteMultipleObjects", "name/cos:DeleteObject"], "tmp/*"))
    assert put_policy(raw, bucket, policy).status == 204
    body = b"<Delete><Object><Key>tmp/a</Key></Object><Object><Key>keep/b</Key></Object></Delete>"
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    reply = raw.request("POST", query={"delete": None}, body=body, bucket=bucket, sign=False,
                        headers={"Content-MD5": md5, "Content-Type": "application/xml"})
    assert reply.status == 200, reply.text
    assert "<Deleted><Key>tmp/a</Key>" in reply.text.replace("\n", "")
    assert "<Key>keep/b</Key><Code>AccessDenied</Code>" in reply.text.replace("\n", "")
    assert raw.request("HEAD", "keep/b", bucket=bucket).status == 200


def test_condition_on_the_client_address(raw, bucket):
    put(raw, bucket, "ip/x.txt", b"ip")
    elsewhere = document(statement(bucket, "Allow", ["name/cos:GetObject"], "ip/*",
                                   Condition={"ip_equal": {"qcs:ip": ["10.9.8.0/24"]}}))
    assert put_policy(raw, bucket, elsewhere).status == 204
    assert raw.request("GET", "ip/x.txt", bucket=bucket, sign=False).status == 403
    here = document(statement(bucket, "Allow", ["name/cos:GetObject"], "ip/*",
                              Condition={"ip_equal": {"qcs:ip": ["127.0.0.1"]}}))
    assert put_policy(raw, bucket, here).status == 204
    assert raw.request("GET", "ip/x.txt", bucket=bucket, sign=False).status == 200


def test_python_sdk_put_get_delete_bucket_policy(sdk, raw, bucket):
    policy = document(statement(bucket, "Allow", ["name/cos:GetObject", "name/cos:HeadObject"], "web/*"))
    sdk.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert json.loads(sdk.get_bucket_policy(Bucket=bucket)["Policy"]) == policy
    sdk.put_bucket_policy(Bucket=bucket, Policy=json.dumps(document(statement(bucket, "Deny", ["*"]))))
    assert json.loads(sdk.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][0]["Effect"] == "Deny"
    sdk.delete_bucket_policy(Bucket=bucket)
    with pytest.raises(CosServiceError) as info:
        sdk.get_bucket_policy(Bucket=bucket)
    assert (info.value.get_status_code(), info.value.get_error_code()) == (404, "NoSuchPolicy")
    with pytest.raises(CosServiceError) as info:
        sdk.put_bucket_policy(Bucket=bucket, Policy={"Version": "2.0"})
    assert info.value.get_error_code() == "MalformedPolicy"
