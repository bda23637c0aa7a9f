"""Authentication, CORS, error shape and hostile input, over raw HTTP."""

from __future__ import annotations

import os
import time
import urllib.request

import pytest
from qcloud_cos import CosConfig, CosS3Client

from cos_web.auth import build_authorization

from .conftest import BUCKET, REGION, SECRET_ID, make_client


def put(raw, key, body=b"x", **kw):
    reply = raw.request("PUT", key, body=body, **kw)
    assert reply.status == 200, reply.text
    return reply


# ---------------------------------------------------------------- error shape and common headers
def test_error_document_and_headers(raw, key):
    reply = raw.request("GET", key)
    assert reply.status == 404
    assert reply.headers["content-type"] == "application/xml"
    assert reply.headers["server"] == "tencent-cos"
    assert reply.headers["x-cos-request-id"] and reply.headers["date"]
    assert reply.body.startswith(b"<?xml version='1.0' encoding='utf-8' ?>")
    assert reply.xml_text("Code") == "NoSuchKey"
    assert reply.xml_text("Resource") == f"{BUCKET}.cos.{REGION}.localhost:{raw.port}/{key}"
    assert reply.xml_text("RequestId") == reply.headers["x-cos-request-id"]


def test_unknown_method_and_subresource(raw):
    assert raw.request("PATCH", "a").status == 405
    reply = raw.request("GET", query={"intelligenttiering": None})  # a sub-resource the server does not have yet
    assert reply.status == 501


# ---------------------------------------------------------------- signatures
def test_anonymous_is_denied(raw, key):
    reply = raw.request("GET", key, sign=False)
    assert (reply.status, reply.xml_text("Code"), reply.xml_text("Message")) == (403, "AccessDenied", "Access Denied.")
    assert reply.xml_text("ServerTime")
    assert raw.request("GET", bucket=None, sign=False).status == 403  # service


def test_wrong_key_and_unknown_id(raw, key):
    reply = raw.request("GET", key, secret_key="wrong")
    assert (reply.status, reply.xml_text("Code")) == (403, "SignatureDoesNotMatch")
    reply = raw.request("GET", key, secret_id="AKIDnobody")
    assert (reply.status, reply.xml_text("Code")) == (403, "InvalidAccessKeyId")


def test_tampered_request_does_not_match(raw, key):
    auth = build_authorization(SecretId=SECRET_ID, SecretKey="serverTestsSecretKey000000000000", Method="GET",
                               Key=key, Headers={"Host": raw.host()})
    reply = raw.request("GET", key + "x", headers={"Authorization": auth}, sign=False)
    assert reply.xml_text("Code") == "SignatureDoesNotMatch"
    reply = raw.request("DELETE", key, headers={"Authorization": auth}, sign=False)
    assert reply.xml_text("Code") == "SignatureDoesNotMatch"


def test_expired_and_skewed(raw, key):
    now = int(time.time())
    reply = raw.request("GET", key, key_time=f"{now - 3600};{now - 60}")
    assert (reply.status, reply.xml_text("Code"), reply.xml_text("Message")) == (403, "AccessDenied",
                                                                                  "Request has expired")
    assert reply.xml_text("ServerTime") and reply.headers["date"]
    reply = raw.request("GET", key, key_time=f"{now + 3600};{now + 7200}")
    assert (reply.status, reply.xml_text("Code")) == (403, "RequestTimeTooSkewed")
    reply = raw.request("GET", key, key_time=f"{now + 300};{now + 900}")  # within 15 minutes: fine
    assert reply.xml_text("Code") == "NoSuchKey"
    reply = raw.request("GET", key, key_time="garbage")
    assert reply.status == 403


def test_host_signed_with_or_without_port(raw, key):
    put(raw, key)
    auth = build_authorization(SecretId=SECRET_ID, SecretKey="serverTestsSecretKey000000000000", Method="GET",
                               Key=key, Headers={"Host": raw.host(port=False)})
    assert raw.request("GET", key, headers={"Authorization": auth}, sign=False).status == 200
    assert raw.request("GET", key).status == 200  # signed with the port


def test_presigned_urls(raw, key):
    # Presigned URLs name the bucket host (the signed host is the URL's, without the port).
    sdk = CosS3Client(CosConfig(Region=REGION, SecretId=SECRET_ID, SecretKey="serverTestsSecretKey000000000000",
                                Domain=raw.host(), Scheme="http"))
    put(raw, key, b"presigned")
    url = sdk.get_presigned_url(Bucket=BUCKET, Key=key, Method="GET", Expired=300,
                                Params={"response-content-disposition": "attachment; filename=a b.txt"})
    path = url.split(raw.host(), 1)[1]
    reply = raw.request("GET", raw_path=path, sign=False)
    assert reply.status == 200 and reply.body == b"presigned"
    assert reply.headers["content-disposition"] == "attachment; filename=a b.txt"
    tampered = path.replace("q-signature=", "q-signature=0")
    assert raw.request("GET", raw_path=tampered, sign=False).xml_text("Code") == "SignatureDoesNotMatch"
    other = path.replace(key.rsplit("/", 1)[1], "other")
    assert raw.request("GET", raw_path=other, sign=False).xml_text("Code") == "SignatureDoesNotMatch"
    # a presigned PUT, the way a browser would use one
    put_url = sdk.get_presigned_url(Bucket=BUCKET, Key=key + ".up", Method="PUT", Expired=300)
    put_path = put_url.split(raw.host(), 1)[1]
    assert raw.request("PUT", raw_path=put_path, body=b"up", sign=False).status == 200
    # a JS-style query signature (';' unencoded)
    auth = build_authorization(SecretId=SECRET_ID, SecretKey="serverTestsSecretKey000000000000", Method="GET",
                               Key=key, Headers={"Host": raw.host()})
    assert raw.request("GET", raw_path=f"/{key}?{auth}", sign=False).body == b"presigned"
    now = int(time.time())
    old = build_authorization(SecretId=SECRET_ID, SecretKey="serverTestsSecretKey000000000000", Method="GET",
                              Key=key, Headers={"Host": raw.host()}, KeyTime=f"{now - 100};{now - 10}")
    assert raw.request("GET", raw_path=f"/{key}?{old}", sign=False).xml_text("Message") == "Request has expired"


def test_temporary_credentials(cos_local, raw, key):
    creds = cos_local.issue_temporary_credentials(600)
    assert set(creds) >= {"SecretId", "SecretKey", "XCosSecurityToken", "ExpiredTime"}
    client = make_client(cos_local.port, creds["SecretId"], creds["SecretKey"], token=creds["XCosSecurityToken"])
    client.put_object(Bucket=BUCKET, Key=key, Body=b"sts")  # token signed (Python style)
    # JS style: token header added after signing, so unsigned
    auth = build_authorization(SecretId=creds["SecretId"], SecretKey=creds["SecretKey"], Method="GET", Key=key,
                               Headers={"Host": raw.host()})
    ok = raw.request("GET", key, sign=False,
                     headers={"Authorization": auth, "x-cos-security-token": creds["XCosSecurityToken"]})
    assert ok.body == b"sts"
    missing = raw.request("GET", key, sign=False, headers={"Authorization": auth})
    assert missing.status in (400, 403) and missing.xml_text("Code") == "InvalidToken"
    wrong = raw.request("GET", key, sign=False, headers={"Authorization": auth, "x-cos-security-token": "nope"})
    assert wrong.xml_text("Code") == "InvalidToken"
    expired = cos_local.issue_temporary_credentials(-10)
    auth = build_authorization(SecretId=expired["SecretId"], SecretKey=expired["SecretKey"], Method="GET", Key=key,
                               Headers={"Host": raw.host()})
    reply = raw.request("GET", key, sign=False,
                        headers={"Authorization": auth, "x-cos-security-token": expired["XCosSecurityToken"]})
    assert (reply.status, reply.xml_text("Code")) == (400, "ExpiredToken")


def test_public_read_acl_allows_anonymous_get(raw, sdk, key):
    put(raw, key, b"public")
    assert raw.request("GET", key, sign=False).status == 403
    sdk.put_object_acl(Bucket=BUCKET, Key=key, ACL="public-read")
    assert raw.request("GET", key, sign=False).body == b"public"
    assert raw.request("HEAD", key, sign=False).status == 200
    assert raw.request("DELETE", key, sign=False).status == 403
    reply = raw.request("GET", key, sign=False, query={"response-content-type": "text/evil"})
    assert reply.status == 403
    assert raw.request("GET", key + "/other", sign=False).status == 403


def test_public_read_write_bucket(sdk, raw):
    name = "open-1250000000"
    sdk.create_bucket(Bucket=name, ACL="public-read-write")
    assert raw.request("PUT", "anon", body=b"a", bucket=name, sign=False).status == 200
    assert raw.request("GET", "anon", bucket=name, sign=False).body == b"a"
    assert raw.request("GET", bucket=name, sign=False).status == 200  # list
    assert raw.request("GET", bucket=name, sign=False, query={"acl": None}).status == 403
    assert raw.request("DELETE", "anon", bucket=name, sign=False).status == 204
    sdk.delete_bucket(Bucket=name)


# ---------------------------------------------------------------- CORS
def test_preflight_against_open_bucket(raw, key):
    reply = raw.request("OPTIONS", key, sign=False, headers={
        "Origin": "http://127.0.0.1:5555", "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type,x-cos-meta-a,authorization"})
    assert reply.status == 200
    assert reply.headers["access-control-allow-origin"] == "*"
    assert "PUT" in reply.headers["access-control-allow-methods"]
    assert reply.headers["access-control-allow-headers"] == "content-type,x-cos-meta-a,authorization"
    exposed = reply.headers["access-control-expose-headers"].split(",")
    assert {"ETag", "Content-Length", "Date", "x-cos-request-id", "x-cos-hash-crc64ecma"} <= set(exposed)
    actual = raw.request("GET", key, headers={"Origin": "http://127.0.0.1:5555"})
    assert actual.status == 404 and actual.headers["access-control-allow-origin"] == "*"
    assert "ETag" in actual.headers["access-control-expose-headers"]


def test_preflight_rules(sdk, raw):
    name = "corsrules-1250000000"
    sdk.create_bucket(Bucket=name)
    head = {"Origin": "http://a.example.com", "Access-Control-Request-Method": "GET"}
    reply = raw.request("OPTIONS", "k", bucket=name, sign=False, headers=head)
    assert (reply.status, reply.xml_text("Code")) == (403, "AccessForbidden")
    sdk.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRule": [{
        "AllowedOrigin": ["http://*.example.com"], "AllowedMethod": ["GET"], "AllowedHeader": ["x-cos-meta-*"],
        "ExposeHeader": ["ETag", "x-cos-request-id"], "MaxAgeSeconds": "30"}]})
    reply = raw.request("OPTIONS", "k", bucket=name, sign=False, headers={**head,
                        "Access-Control-Request-Headers": "X-Cos-Meta-Foo"})
    assert reply.status == 200
    assert reply.headers["access-control-allow-origin"] == "http://a.example.com"
    assert reply.headers["access-control-max-age"] == "30"
    assert reply.headers["access-control-allow-credentials"] == "true"
    for bad in ({"Origin": "https://a.example.com"}, {"Access-Control-Request-Method": "PUT"},
                {"Access-Control-Request-Headers": "x-other"}):
        assert raw.request("OPTIONS", "k", bucket=name, sign=False, headers={**head, **bad}).status == 403
    assert raw.request("OPTIONS", "k", bucket=name, sign=False, headers={"Origin": "http://a.example.com"}
                       ).status == 403
    plain = raw.request("GET", bucket=name, headers={"Origin": "http://b.example.com"})
    assert plain.headers["access-control-allow-origin"] == "http://b.example.com"
    other = raw.request("GET", bucket=name, headers={"Origin": "http://evil.test"})
    assert other.status == 200 and "access-control-allow-origin" not in other.headers
    sdk.delete_bucket(Bucket=name)


# ---------------------------------------------------------------- hostile input
@pytest.mark.parametrize("path,code", [
    ("/../../etc/passwd", "InvalidObjectName"),
    ("/a/../../../x", "InvalidObjectName"),
    ("/%2E%2E/%2E%2E/x", "InvalidObjectName"),
    ("/a%00b", "InvalidObjectName"),
    ("/a%18b", "InvalidObjectName"),
    ("//etc/passwd", "InvalidObjectName"),
    ("/%FF%FE", "InvalidURI"),
    ("/" + "k" * 851, "KeyTooLong"),
])
def test_bad_keys_are_refused(raw, cos_local, path, code):
    before = set(os.listdir(os.path.dirname(cos_local.config.data_dir)))
    reply = raw.request("PUT", raw_path=path, body=b"evil", sign=False,
                        headers={"Authorization": build_authorization(
                            SecretId=SECRET_ID, SecretKey="serverTestsSecretKey000000000000", Method="PUT",
                            Pathname=_decoded(path), Headers={"Host": raw.host()})})
    assert (reply.status, reply.xml_text("Code")) == (400, code), reply.text
    assert set(os.listdir(os.path.dirname(cos_local.config.data_dir))) == before


def _decoded(path: str) -> str:
    from urllib.parse import unquote

    return unquote(path, errors="replace")


def test_key_of_850_bytes_is_fine(raw):
    key = "k" * 850
    assert raw.request("PUT", key, body=b"x").status == 200
    assert raw.request("GET", key).body == b"x"


def test_xml_bomb_and_entities_are_refused(raw):
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<CORSConfiguration><CORSRule><AllowedOrigin>&lol3;</AllowedOrigin><AllowedMethod>GET</AllowedMethod>
</CORSRule></CORSConfiguration>"""
    reply = raw.request("PUT", query={"cors": None}, body=bomb)
    assert (reply.status, reply.xml_text("Code")) == (400, "MalformedXML")
    external = b"""<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Delete><Object><Key>&x;</Key></Object></Delete>"""
    assert raw.request("POST", query={"delete": None}, body=external).xml_text("Code") == "MalformedXML"
    huge = b"<Delete>" + b"<Object><Key>k</Key></Object>" * 200000 + b"</Delete>"
    assert raw.request("POST", query={"delete": None}, body=huge).xml_text("Code") == "XMLSizeLimit"
    assert raw.request("PUT", query={"cors": None}, body=b"<CORSConfiguration>").xml_text("Code") == "MalformedXML"
    assert raw.request("PUT", query={"cors": None}, body=b"").xml_text("Code") == "MissingRequestBodyError"
    assert raw.request("GET", query={"cors": None}).status == 200  # the open rule is still there


def test_oversized_metadata(raw, key):
    reply = raw.request("PUT", key, body=b"x", headers={"x-cos-meta-a": "v" * 1500, "x-cos-meta-b": "v" * 1500})
    assert (reply.status, reply.xml_text("Code")) == (400, "MetadataTooLarge")
    assert raw.request("HEAD", key).status == 404


def test_content_md5(raw, key):
    import base64
    import hashlib

    good = base64.b64encode(hashlib.md5(b"body").digest()).decode()
    assert raw.request("PUT", key, body=b"body", headers={"Content-MD5": good}).status == 200
    bad = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    reply = raw.request("PUT", key, body=b"body2", headers={"Content-MD5": bad})
    assert (reply.status, reply.xml_text("Code")) == (400, "BadDigest")
    assert raw.request("PUT", key, body=b"b", headers={"Content-MD5": "!!"}).xml_text("Code") == "InvalidDigest"
    assert raw.request("GET", key).body == b"body"  # the failed PUTs changed nothing


def test_not_modified_and_416_headers(raw, key):
    etag = put(raw, key, b"0123456789").headers["etag"]
    reply = raw.request("GET", key, headers={"If-None-Match": etag})
    assert reply.status == 304 and reply.body == b"" and reply.headers["etag"] == etag
    assert reply.headers["x-cos-hash-crc64ecma"]
    reply = raw.request("GET", key, headers={"Range": "bytes=10-"})
    assert reply.status == 416 and reply.headers["content-range"] == "bytes */10"
    assert raw.request("GET", key, headers={"Range": "bytes=0-1,3-4"}).status == 200  # multi-range: whole


def test_real_urllib_client_via_localhost_subdomain(raw, key):
    """What a browser does: resolve *.localhost to loopback and send that Host."""
    put(raw, key, b"via-host")
    host = raw.host()
    auth = build_authorization(SecretId=SECRET_ID, SecretKey="serverTestsSecretKey000000000000", Method="GET",
                               Key=key, Headers={"Host": host})
    request = urllib.request.Request(f"http://127.0.0.1:{raw.port}/{key}", headers={"Host": host,
                                                                                   "Authorization": auth})
    with urllib.request.urlopen(request) as resp:
        assert resp.read() == b"via-host"


def test_canonical_myqcloud_host_signature_is_accepted(raw, key):
    """COS.getAuthorization with Bucket/Region but no Host signs {Bucket}.cos.{Region}.myqcloud.com."""
    put(raw, key, b"canon")
    auth = build_authorization(SecretId=SECRET_ID, SecretKey="serverTestsSecretKey000000000000", Method="GET",
                               Key=key, Bucket=BUCKET, Region=REGION)
    assert "host" in auth
    assert raw.request("GET", key, headers={"Authorization": auth}, sign=False).body == b"canon"
    other = build_authorization(SecretId=SECRET_ID, SecretKey="serverTestsSecretKey000000000000", Method="GET",
                                Key=key, Bucket="other-1250000000", Region=REGION)
    assert raw.request("GET", key, headers={"Authorization": other}, sign=False).status == 403


def test_chunked_put(raw, key):
    import http.client

    host = raw.host()
    auth = build_authorization(SecretId=SECRET_ID, SecretKey="serverTestsSecretKey000000000000", Method="PUT",
                               Key=key, Headers={"Host": host})
    conn = http.client.HTTPConnection("127.0.0.1", raw.port, timeout=30)
    conn.request("PUT", "/" + key, body=iter([b"chunk-1,", b"chunk-2"]),
                 headers={"Host": host, "Authorization": auth}, encode_chunked=True)
    assert conn.getresponse().status == 200
    conn.close()
    assert raw.request("GET", key).body == b"chunk-1,chunk-2"
    reply = raw.request("PUT", key + ".nolen", sign=True, raw_path=None)
    assert reply.status == 200  # Content-Length: 0 is fine


def test_sign_parameter_form(raw, key):
    from urllib.parse import quote

    put(raw, key, b"signparam")
    auth = build_authorization(SecretId=SECRET_ID, SecretKey="serverTestsSecretKey000000000000", Method="GET",
                               Key=key, Headers={"Host": raw.host()})
    assert raw.request("GET", raw_path=f"/{key}?sign={quote(auth, safe='')}", sign=False).body == b"signparam"


def test_browser_can_create_a_bucket_but_not_touch_missing_ones(raw, sdk):
    name = "browsermade-1250000000"
    origin = {"Origin": "http://127.0.0.1:5555"}
    pre = raw.request("OPTIONS", bucket=name, sign=False,
                      headers={**origin, "Access-Control-Request-Method": "PUT",
                               "Access-Control-Request-Headers": "authorization"})
    assert pre.status == 200 and pre.headers["access-control-allow-origin"] == "*"
    head = raw.request("OPTIONS", bucket=name, sign=False, headers={**origin, "Access-Control-Request-Method": "HEAD"})
    assert head.status == 403
    created = raw.request("PUT", bucket=name, headers=origin)
    assert created.status == 200 and created.headers["access-control-allow-origin"] == "*"
    # the new bucket has no CORS configuration of its own
    assert "access-control-allow-origin" not in raw.request("HEAD", bucket=name, headers=origin).headers
    sdk.delete_bucket(Bucket=name)


def test_empty_standard_headers_are_not_stored(raw, key):
    """Both SDKs send an empty Cache-Control on putObject; nothing empty comes back on HEAD."""
    put = raw.request("PUT", key, headers={"Cache-Control": "", "Content-Disposition": "", "Expires": "x"}, body=b"1")
    assert put.status == 200
    head = raw.request("HEAD", key)
    assert "cache-control" not in head.headers and "content-disposition" not in head.headers
    assert head.headers["expires"] == "x"
