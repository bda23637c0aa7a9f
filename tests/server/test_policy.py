"""Temporary keys scoped by a CAM policy: the local server lets them do exactly what the policy allows.

Each refusal here was possible before policies were enforced (temporary keys acted as the owner).
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import uuid

import pytest
from qcloud_cos.cos_exception import CosServiceError

from cos_web.auth import build_authorization
from cos_web.server import policy as policies
from cos_web.server.policy import Policy, PolicyError

from .conftest import BUCKET, REGION, SECRET_ID, SECRET_KEY, make_client

APPID = BUCKET.rsplit("-", 1)[1]
OTHER = f"other{uuid.uuid4().hex[:8]}-{APPID}"
PREFIX = "scoped/"
OBJECT_ACTIONS = ["name/cos:PutObject", "name/cos:GetObject", "name/cos:HeadObject", "name/cos:DeleteObject",
                  "name/cos:InitiateMultipartUpload", "name/cos:UploadPart", "name/cos:ListParts",
                  "name/cos:CompleteMultipartUpload", "name/cos:AbortMultipartUpload",
                  "name/cos:DeleteMultipleObjects"]


def arn(bucket: str = BUCKET, path: str = "*") -> str:
    return f"qcs::cos:{REGION}:uid/{APPID}:{bucket}/{path}"


SCOPED = {
    "version": "2.0",
    "statement": [
        {"effect": "allow", "action": OBJECT_ACTIONS, "resource": [arn(path=PREFIX + "*")]},
        {"effect": "allow", "action": ["name/cos:GetBucket", "name/cos:ListMultipartUploads"],
         "resource": [arn()], "condition": {"string_like": {"cos:prefix": PREFIX + "*"}}},
        {"effect": "deny", "action": ["name/cos:*"], "resource": [arn(path=PREFIX + "locked/*")]},
    ],
}


@pytest.fixture(scope="module")
def other_bucket(sdk):
    sdk.create_bucket(Bucket=OTHER)
    sdk.put_object(Bucket=OTHER, Key="private.txt", Body=b"secret")
    sdk.put_object(Bucket=BUCKET, Key="outside.txt", Body=b"not yours")
    return OTHER


@pytest.fixture(scope="module")
def creds(cos_local):
    return cos_local.issue_temporary_credentials(900, SCOPED)


@pytest.fixture(scope="module")
def scoped(cos_local, creds):
    return make_client(cos_local.port, creds["SecretId"], creds["SecretKey"], token=creds["XCosSecurityToken"])


def tmp_request(raw, creds, method, key="", **kw):
    headers = dict(kw.pop("headers", {}))
    headers["x-cos-security-token"] = creds["XCosSecurityToken"]
    return raw.request(method, key, headers=headers, secret_id=creds["SecretId"], secret_key=creds["SecretKey"], **kw)


def denied(call, head: bool = False) -> None:
    with pytest.raises(CosServiceError) as info:
        call()
    code = "Unknown" if head else "AccessDenied"  # a HEAD answer has no body to carry the code
    assert (info.value.get_status_code(), info.value.get_error_code()) == (403, code)


# --------------------------------------------------------------------------- what the policy allows


def test_scoped_key_works_inside_its_prefix(scoped):
    key = PREFIX + uuid.uuid4().hex
    scoped.put_object(Bucket=BUCKET, Key=key, Body=b"inside")
    assert scoped.get_object(Bucket=BUCKET, Key=key)["Body"].get_raw_stream().read() == b"inside"
    scoped.head_object(Bucket=BUCKET, Key=key)
    listed = scoped.list_objects(Bucket=BUCKET, Prefix=PREFIX)
    assert key in [c["Key"] for c in listed["Contents"]]
    upload = scoped.create_multipart_upload(Bucket=BUCKET, Key=key + ".big")
    part = scoped.upload_part(Bucket=BUCKET, Key=key + ".big", Body=b"p" * 10, PartNumber=1, UploadId=upload["UploadId"])
    assert scoped.list_parts(Bucket=BUCKET, Key=key + ".big", UploadId=upload["UploadId"])["Part"][0]["PartNumber"] == "1"
    assert scoped.list_multipart_uploads(Bucket=BUCKET, Prefix=key)["Upload"]
    scoped.complete_multipart_upload(Bucket=BUCKET, Key=key + ".big", UploadId=upload["UploadId"],
                                     MultipartUpload={"Part": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    scoped.delete_object(Bucket=BUCKET, Key=key)


def test_other_bucket_read_is_denied(scoped, other_bucket):
    denied(lambda: scoped.get_object(Bucket=other_bucket, Key="private.txt"))
    denied(lambda: scoped.head_object(Bucket=other_bucket, Key="private.txt"), head=True)
    denied(lambda: scoped.list_objects(Bucket=other_bucket, Prefix=PREFIX))


def test_acl_changes_are_denied(scoped, sdk):
    key = PREFIX + uuid.uuid4().hex
    scoped.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    denied(lambda: scoped.put_object_acl(Bucket=BUCKET, Key=key, ACL="public-read"))
    denied(lambda: scoped.put_bucket_acl(Bucket=BUCKET, ACL="public-read-write"))
    denied(lambda: scoped.put_object(Bucket=BUCKET, Key=key, Body=b"y", ACL="public-read"))
    denied(lambda: scoped.put_object(Bucket=BUCKET, Key=key, Body=b"y", GrantRead='id="100000000002"'))
    assert "AllUsers" not in json.dumps(sdk.get_bucket_acl(Bucket=BUCKET))
    assert "AllUsers" not in json.dumps(sdk.get_object_acl(Bucket=BUCKET, Key=key))
    assert sdk.get_object(Bucket=BUCKET, Key=key)["Body"].get_raw_stream().read() == b"x"


def test_bucket_level_writes_are_denied(scoped, sdk):
    name = f"made{uuid.uuid4().hex[:8]}-{APPID}"
    denied(lambda: scoped.create_bucket(Bucket=name))
    denied(lambda: scoped.delete_bucket(Bucket=BUCKET))
    denied(lambda: scoped.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRule": [
        {"AllowedOrigin": "*", "AllowedMethod": "GET"}]}))
    denied(lambda: scoped.delete_bucket_cors(Bucket=BUCKET))
    denied(lambda: scoped.list_buckets())
    assert name not in [b["Name"] for b in sdk.list_buckets()["Buckets"]["Bucket"]]
    assert sdk.get_bucket_cors(Bucket=BUCKET)["CORSRule"]


def test_prefix_outside_is_denied(scoped, other_bucket):
    denied(lambda: scoped.put_object(Bucket=BUCKET, Key="elsewhere/a.txt", Body=b"x"))
    denied(lambda: scoped.get_object(Bucket=BUCKET, Key="outside.txt"))
    denied(lambda: scoped.delete_object(Bucket=BUCKET, Key="outside.txt"))
    denied(lambda: scoped.create_multipart_upload(Bucket=BUCKET, Key="elsewhere/big"))
    denied(lambda: scoped.list_objects(Bucket=BUCKET))  # no prefix: the cos:prefix condition fails
    denied(lambda: scoped.list_objects(Bucket=BUCKET, Prefix="elsewhere/"))
    denied(lambda: scoped.list_multipart_uploads(Bucket=BUCKET))


def test_explicit_deny_wins(scoped, sdk):
    sdk.put_object(Bucket=BUCKET, Key=PREFIX + "locked/a.txt", Body=b"kept")
    denied(lambda: scoped.get_object(Bucket=BUCKET, Key=PREFIX + "locked/a.txt"))
    denied(lambda: scoped.put_object(Bucket=BUCKET, Key=PREFIX + "locked/a.txt", Body=b"changed"))
    denied(lambda: scoped.delete_object(Bucket=BUCKET, Key=PREFIX + "locked/a.txt"))
    assert sdk.get_object(Bucket=BUCKET, Key=PREFIX + "locked/a.txt")["Body"].get_raw_stream().read() == b"kept"


def test_copy_needs_read_access_to_the_source(scoped, other_bucket, sdk):
    denied(lambda: scoped.copy_object(Bucket=BUCKET, Key=PREFIX + "stolen.txt",
                                      CopySource={"Bucket": other_bucket, "Key": "private.txt", "Region": REGION}))
    with pytest.raises(CosServiceError):
        sdk.head_object(Bucket=BUCKET, Key=PREFIX + "stolen.txt")
    key = PREFIX + uuid.uuid4().hex
    scoped.put_object(Bucket=BUCKET, Key=key, Body=b"mine")
    scoped.copy_object(Bucket=BUCKET, Key=key + ".copy", CopySource={"Bucket": BUCKET, "Key": key, "Region": REGION})
    assert sdk.get_object(Bucket=BUCKET, Key=key + ".copy")["Body"].get_raw_stream().read() == b"mine"


def test_multi_delete_only_deletes_keys_inside_the_policy(raw, creds, sdk):
    inside = PREFIX + uuid.uuid4().hex
    sdk.put_object(Bucket=BUCKET, Key=inside, Body=b"1")
    body = (f"<Delete><Quiet>false</Quiet><Object><Key>{inside}</Key></Object>"
            "<Object><Key>outside.txt</Key></Object></Delete>").encode()
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    reply = tmp_request(raw, creds, "POST", query={"delete": ""}, headers={"Content-MD5": md5}, body=body)
    assert reply.status == 200, reply.text
    assert f"<Deleted><Key>{inside}</Key></Deleted>" in reply.text
    assert "<Key>outside.txt</Key><Code>AccessDenied</Code>" in reply.text
    assert sdk.get_object(Bucket=BUCKET, Key="outside.txt")["Body"].get_raw_stream().read() == b"not yours"


def test_conditions_are_enforced(cos_local, raw):
    policy = {"version": "2.0", "statement": [{"effect": "allow", "action": ["name/cos:PutObject"],
              "resource": [arn(path=PREFIX + "*")],
              "condition": {"numeric_less_than_equal": {"cos:content-length": "4"},
                            "ip_equal": {"qcs:ip": ["127.0.0.0/8", "::1"]}}}]}
    creds = cos_local.issue_temporary_credentials(600, policy)
    assert tmp_request(raw, creds, "PUT", PREFIX + "small", body=b"1234").status == 200
    big = tmp_request(raw, creds, "PUT", PREFIX + "big", body=b"12345")
    assert (big.status, big.xml_text("Code")) == (403, "AccessDenied")
    elsewhere = cos_local.issue_temporary_credentials(600, {**policy, "statement": [
        {**policy["statement"][0], "condition": {"ip_equal": {"qcs:ip": "10.0.0.0/8"}}}]})
    assert tmp_request(raw, elsewhere, "PUT", PREFIX + "small", body=b"1").xml_text("Code") == "AccessDenied"


def test_wildcard_actions_and_resources(cos_local, raw):
    everything = cos_local.issue_temporary_credentials(600, {"version": "2.0", "statement": [
        {"effect": "allow", "action": "*", "resource": "*"}]})
    assert tmp_request(raw, everything, "GET", "", query={"prefix": "x"}).status == 200
    reads = cos_local.issue_temporary_credentials(600, {"version": "2.0", "statement": [
        {"effect": "allow", "action": ["name/cos:Get*", "name/cos:HeadObject"], "resource": f"qcs::cos::uid/{APPID}:*"}]})
    assert tmp_request(raw, reads, "GET", "").status == 200
    assert tmp_request(raw, reads, "PUT", PREFIX + "w", body=b"1").xml_text("Code") == "AccessDenied"


def test_policy_survives_a_restart(tmp_path):
    from cos_web.server import start_in_thread

    data = str(tmp_path / "data")
    first = start_in_thread(port=0, data_dir=data, buckets=[BUCKET], quiet=True, durable=False)
    creds = first.issue_temporary_credentials(600, SCOPED)
    first.stop()
    second = start_in_thread(port=0, data_dir=data, buckets=[BUCKET], quiet=True, durable=False)
    try:
        client = make_client(second.port, creds["SecretId"], creds["SecretKey"], token=creds["XCosSecurityToken"])
        client.put_object(Bucket=BUCKET, Key=PREFIX + "a", Body=b"1")
        denied(lambda: client.put_object(Bucket=BUCKET, Key="b", Body=b"1"))
    finally:
        second.stop()


# --------------------------------------------------------------------------- a signature covers its operation


def test_plain_put_signature_cannot_be_replayed_as_an_acl_change(raw, sdk):
    key = PREFIX + uuid.uuid4().hex
    sdk.put_object(Bucket=BUCKET, Key=key, Body=b"private")
    headers = {"Host": raw.host(), "Content-Length": "7"}
    auth = build_authorization(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Method="PUT", Key=key, Headers=headers)
    replay = raw.request("PUT", key, sign=False, query={"acl": ""},
                         headers={"Authorization": auth, "x-cos-acl": "public-read"}, body=b"private")
    assert (replay.status, replay.xml_text("Code")) == (403, "AccessDenied")
    assert "acl" in replay.xml_text("Message")
    anonymous = raw.request("GET", key, sign=False)
    assert anonymous.status == 403
    header_only = raw.request("PUT", key, sign=False, headers={"Authorization": auth, "x-cos-acl": "public-read"},
                              body=b"private")
    assert (header_only.status, header_only.xml_text("Code")) == (403, "AccessDenied")
    assert raw.request("GET", key, sign=False).status == 403


def test_unsigned_copy_source_is_refused(raw, sdk, other_bucket):
    key = PREFIX + uuid.uuid4().hex
    headers = {"Host": raw.host(), "Content-Length": "0"}
    auth = build_authorization(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Method="PUT", Key=key, Headers=headers)
    reply = raw.request("PUT", key, sign=False, headers={
        "Authorization": auth, "x-cos-copy-source": f"{other_bucket}.cos.{REGION}.myqcloud.com/private.txt"})
    assert (reply.status, reply.xml_text("Code")) == (403, "AccessDenied")
    with pytest.raises(CosServiceError):
        sdk.head_object(Bucket=BUCKET, Key=key)


# --------------------------------------------------------------------------- the STS endpoint and CLI


def sts_call(raw, body: dict, secret_id=SECRET_ID, secret_key=SECRET_KEY, extra: dict | None = None, sign=True):
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", **(extra or {})}
    return raw.request("POST", "", bucket=None, body=data, headers=headers, secret_id=secret_id,
                       secret_key=secret_key, sign=sign)


def test_sts_endpoint_issues_scoped_keys_to_the_owner_only(raw, cos_local, creds):
    reply = sts_call(raw, {"Policy": SCOPED, "DurationSeconds": 600})
    assert reply.status == 200, reply.text
    answer = json.loads(reply.body)
    assert answer["Credentials"]["TmpSecretId"] == answer["SecretId"]
    assert 590 <= answer["ExpiredTime"] - answer["StartTime"] <= 600
    client = make_client(cos_local.port, answer["SecretId"], answer["SecretKey"], token=answer["XCosSecurityToken"])
    client.put_object(Bucket=BUCKET, Key=PREFIX + "via-sts", Body=b"1")
    denied(lambda: client.put_object(Bucket=BUCKET, Key="via-sts", Body=b"1"))
    # Not anonymously, not with temporary keys (even unscoped ones), not with a bad policy or duration.
    assert sts_call(raw, {"Policy": SCOPED}, sign=False).status == 403
    for temporary in (creds, cos_local.issue_temporary_credentials(600)):
        reply = sts_call(raw, {}, temporary["SecretId"], temporary["SecretKey"],
                         {"x-cos-security-token": temporary["XCosSecurityToken"]})
        assert (reply.status, reply.xml_text("Code")) == (403, "AccessDenied")
    bad = sts_call(raw, {"Policy": {"version": "2.0", "statement": [{"effect": "maybe", "action": "*", "resource": "*"}]}})
    assert (bad.status, bad.xml_text("Code")) == (400, "InvalidArgument")
    assert sts_call(raw, {"DurationSeconds": 10**6}).xml_text("Code") == "InvalidArgument"


def test_sts_cli_prints_keys_for_a_stopped_server(tmp_path):
    from cos_web.server import start_in_thread

    data = tmp_path / "data"
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(json.dumps(SCOPED))
    start_in_thread(port=0, data_dir=str(data), buckets=[BUCKET], quiet=True, durable=False).stop()
    done = subprocess.run([sys.executable, "-m", "cos_web.server", "sts", "--data-dir", str(data), "--policy",
                           str(policy_file), "--duration", "900"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    server = start_in_thread(port=0, data_dir=str(data), buckets=[BUCKET], quiet=True, durable=False)
    try:
        client = make_client(server.port, answer["SecretId"], answer["SecretKey"], token=answer["XCosSecurityToken"])
        client.put_object(Bucket=BUCKET, Key=PREFIX + "cli", Body=b"1")
        denied(lambda: client.put_object(Bucket=BUCKET, Key="cli", Body=b"1"))
        done = subprocess.run([sys.executable, "-m", "cos_web.server", "sts", "--endpoint", server.url, "--secret-id",
                               server.config.secret_id, "--secret-key", server.config.secret_key, "--policy",
                               str(policy_file)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["Credentials"]["Token"]
    finally:
        server.stop()


# --------------------------------------------------------------------------- the policy language itself


def test_every_route_has_an_action():
    from cos_web.server.routes import ROUTES

    assert {route.name for route in ROUTES.values()} <= set(policies.ACTIONS)


@pytest.mark.parametrize("document, words", [
    ("not json", "not JSON"),
    ({"statement": [{"effect": "allow", "action": "*", "resource": "*"}]}, "version"),
    ({"version": "2.0", "statement": []}, "statement"),
    ({"version": "2.0", "statement": [{"effect": "permit", "action": "*", "resource": "*"}]}, "effect"),
    ({"version": "2.0", "statement": [{"effect": "allow", "action": "PutObject", "resource": "*"}]}, "COS action"),
    ({"version": "2.0", "statement": [{"effect": "allow", "action": "*", "resource": []}]}, "resource"),
    ({"version": "2.0", "statement": [{"effect": "allow", "action": "*", "resource": "*",
                                       "condition": {"string_equal": {"cos:unknown": "x"}}}]}, "not supported"),
    ({"version": "2.0", "statement": [{"effect": "allow", "action": "*", "resource": "*",
                                       "condition": {"numeric_equal": {"cos:prefix": "1"}}}]}, "does not apply"),
    ({"version": "2.0", "statement": [{"effect": "allow", "action": "*", "resource": "*",
                                       "condition": {"ip_equal": {"qcs:ip": "nope"}}}]}, "IP"),
])
def test_unusable_policies_are_refused(document, words):
    with pytest.raises(PolicyError) as info:
        Policy.parse(document)
    assert words in str(info.value)


def test_matching_rules():
    policy = Policy.parse({"Version": "2.0", "Statement": [
        {"Effect": "Allow", "Action": ["cos:GetObject"], "Resource": ["qcs::cos:ap-beijing:uid/1250000000:prefix//1250000000/photos/a/*"]},
    ]})
    target = policies.resource("ap-beijing", "photos-1250000000", "a/b.jpg")
    assert target == "qcs::cos:ap-beijing:uid/1250000000:photos-1250000000/a/b.jpg"
    assert policy.allows("name/cos:GetObject", target)
    assert not policy.allows("name/cos:getobject", target)  # action names are case-sensitive
    assert not policy.allows("name/cos:GetObject", policies.resource("ap-beijing", "photos-1250000000", "b.jpg"))
    assert not policy.allows("name/cos:GetObject", policies.resource("ap-beijing", "photos-1250000000"))
    bucket = Policy.parse({"version": "2.0", "statement": {"effect": "allow", "action": "name/cos:GetBucket",
                                                           "resource": "qcs::cos:ap-beijing:uid/1250000000:photos-1250000000/*"}})
    assert bucket.allows("name/cos:GetBucket", policies.resource("ap-beijing", "photos-1250000000"))
    assert not bucket.allows("name/cos:GetBucket", policies.resource("ap-beijing", "photos2-1250000000"))
    assert not bucket.allows("name/cos:GetService", "")
