"""The demo server's signing endpoint, in CPython: what it signs, what it refuses, what it never says."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.error
import urllib.request

import pytest

from cos_web.auth import build_authorization, parse_authorization
from cos_web.demo import DemoServer, DemoSettings, SigningRefused, sign_request

SETTINGS = DemoSettings.from_env({}, cos_port=9123)


def _md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def _resign(result: dict, **request) -> str:
    """Recompute the Authorization with the same key time, as a verifier would."""
    fields = parse_authorization(result["Authorization"])
    return build_authorization(SecretId=SETTINGS.secret_id, SecretKey=SETTINGS.secret_key, KeyTime=fields["q-key-time"],
                               ForceSignHost=False, **request)  # fmt: skip


def test_defaults_are_the_local_server():
    assert SETTINGS.mode == "local"
    assert SETTINGS.domain == "http://{Bucket}.cos.{Region}.localhost:9123"
    assert "examplebucket-1250000000.cos.ap-guangzhou.localhost:9123" in SETTINGS.bucket_hosts()
    assert "secret_key" not in repr(SETTINGS) and SETTINGS.secret_key not in repr(SETTINGS)


def test_env_selects_real_cos():
    env = {"COS_SECRET_ID": "AKIDx", "COS_SECRET_KEY": "sk", "COS_BUCKET": "photos-1250000001", "COS_REGION": "ap-shanghai"}
    settings = DemoSettings.from_env(env)
    assert (settings.mode, settings.bucket, settings.region, settings.domain) == ("cos", "photos-1250000001", "ap-shanghai", None)
    assert settings.sign_host() == "photos-1250000001.cos.ap-shanghai.myqcloud.com"
    assert settings.public_config() == {"Bucket": "photos-1250000001", "Region": "ap-shanghai", "Domain": None,
                                        "Prefix": "uploads/", "Mode": "cos", "Sts": False}  # fmt: skip


def test_signs_with_the_bucket_host_added():
    headers = {"Content-Length": "3", "Content-MD5": _md5(b"abc")}
    result = sign_request(SETTINGS, {"Method": "PUT", "Key": "uploads/a b.txt", "Query": {}, "Headers": dict(headers),
                                     "Bucket": SETTINGS.bucket, "Region": SETTINGS.region})  # fmt: skip
    fields = parse_authorization(result["Authorization"])
    assert fields["q-ak"] == SETTINGS.secret_id
    assert fields["q-header-list"] == "content-length;content-md5;host"
    start, end = map(int, fields["q-key-time"].split(";"))
    assert end - start == 900
    expected = _resign(result, Method="put", Key="uploads/a b.txt",
                       Headers={**headers, "Host": "examplebucket-1250000000.cos.ap-guangzhou.localhost:9123"})  # fmt: skip
    assert result["Authorization"] == expected


def test_keeps_the_host_the_page_sent_when_it_is_the_bucket():
    host = "examplebucket-1250000000.cos.ap-guangzhou.localhost:9123"
    result = sign_request(SETTINGS, {"Method": "get", "Key": "", "Query": {"prefix": "uploads/", "delimiter": "/"},
                                     "Headers": {"Host": host}})  # fmt: skip
    fields = parse_authorization(result["Authorization"])
    assert fields["q-url-param-list"] == "delimiter;prefix"
    assert result["Authorization"] == _resign(result, Method="get", Key="", Query={"prefix": "uploads/", "delimiter": "/"},
                                              Headers={"Host": host})  # fmt: skip


@pytest.mark.parametrize(
    "body, words",
    [
        ({"Method": "get", "Key": "a", "Bucket": "other-1250000000"}, "only for bucket examplebucket-1250000000"),
        ({"Method": "get", "Key": "a", "Region": "ap-beijing"}, "only for region"),
        ({"Method": "get", "Key": "a", "Headers": {"Host": "other-1250000000.cos.ap-guangzhou.myqcloud.com"}}, "not host"),
        ({"Method": "delete", "Key": ""}, "on the bucket itself"),
        ({"Method": "put", "Key": ""}, "on the bucket itself"),
        ({"Method": "put", "Key": "", "Query": {"cors": ""}}, "changes to cors"),
        ({"Method": "put", "Key": "a.txt", "Query": {"acl": ""}}, "changes to acl"),
        ({"Method": "patch", "Key": "a.txt"}, "does not sign PATCH"),
        ({"Method": "get", "Key": "a", "Query": ["x"]}, "Query must be an object"),
    ],
)
def test_refuses_what_the_page_never_needs(body, words):
    with pytest.raises(SigningRefused) as info:
        sign_request(SETTINGS, body)
    assert words in info.value.message


def _delete_body(*keys: str) -> tuple[str, str]:
    body = "<Delete>" + "".join(f"<Object><Key>{k}</Key></Object>" for k in keys) + "</Delete>"
    return body, base64.b64encode(hashlib.md5(body.encode()).digest()).decode()


def test_bulk_delete_is_signed_with_its_body_keys_under_the_prefix():
    body, md5 = _delete_body("uploads/a.txt", "uploads/b/c.txt")
    signed = sign_request(SETTINGS, {"Method": "post", "Key": "", "Query": {"delete": ""}, "Body": body,
                                     "Headers": {"Content-MD5": md5}})
    assert "content-md5" in parse_authorization(signed["Authorization"])["q-header-list"].split(";")
    outside, outside_md5 = _delete_body("uploads/a.txt", "private/b.txt")
    refusals = [
        ({"Method": "post", "Key": "", "Query": {"delete": ""}}, "with its Body"),
        ({"Method": "post", "Key": "", "Query": {"delete": ""}, "Body": outside, "Headers": {"Content-MD5": outside_md5}},
         "not 'private/b.txt'"),
        ({"Method": "post", "Key": "", "Query": {"delete": ""}, "Body": body}, "Content-MD5"),
        ({"Method": "post", "Key": "", "Query": {"delete": ""}, "Body": body, "Headers": {"Content-MD5": outside_md5}},
         "Content-MD5"),
    ]
    for request, words in refusals:
        with pytest.raises(SigningRefused) as info:
            sign_request(SETTINGS, request)
        assert words in info.value.message, request


@pytest.mark.parametrize(
    "body, words",
    [
        ({"Method": "put", "Key": "elsewhere/a.txt"}, "only keys under uploads/"),
        ({"Method": "get", "Key": "secret.txt"}, "only keys under uploads/"),
        ({"Method": "get", "Key": "uploads/../secret.txt"}, "only keys under uploads/"),
        ({"Method": "get", "Key": "", "Query": {"delimiter": "/"}}, "only listings under uploads/"),
        ({"Method": "get", "Key": "", "Query": {"prefix": "private/"}}, "only listings under uploads/"),
        ({"Method": "get", "Key": "", "Query": {"prefix": "uploads/", "acl": ""}}, "parameter(s) acl"),
        ({"Method": "get", "Key": "", "Query": {"prefix": "uploads/", "policy": ""}}, "parameter(s) policy"),
        ({"Method": "get", "Key": "uploads/a", "Query": {"acl": ""}}, "parameter(s) acl"),
        ({"Method": "put", "Key": "uploads/a", "Query": {"tagging": ""}}, "changes to tagging"),
        ({"Method": "put", "Key": "uploads/a", "Headers": {"x-cos-acl": "public-read"}}, "ACL or grant"),
        ({"Method": "put", "Key": "uploads/a", "Headers": {"x-cos-grant-read": 'uri="x"'}}, "ACL or grant"),
        ({"Method": "put", "Key": "uploads/a",
          "Headers": {"x-cos-copy-source": "other-1250000000.cos.ap-guangzhou.myqcloud.com/uploads/x"}}, "copies only from"),
        ({"Method": "put", "Key": "uploads/a",
          "Headers": {"x-cos-copy-source": "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/private/x"}},
         "copies only from"),
    ],
)
def test_signs_only_the_bucket_prefix_and_the_widgets_calls(body, words):
    with pytest.raises(SigningRefused) as info:
        sign_request(SETTINGS, body)
    assert words in info.value.message


def test_signs_every_header_and_parameter_it_is_asked_about():
    headers = {"x-cos-meta-a": "1", "X-Cos-Storage-Class": "STANDARD", "Content-MD5": _md5(b"abc"), "Content-Length": "3",
               "x-cos-copy-source": "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/uploads/src.txt"}
    fields = parse_authorization(sign_request(SETTINGS, {"Method": "put", "Key": "uploads/a", "Headers": headers,
                                                         "Query": {"partNumber": "1", "uploadId": "u"}})["Authorization"])
    assert set(fields["q-header-list"].split(";")) == {h.lower() for h in headers} | {"host"}
    assert set(fields["q-url-param-list"].split(";")) == {"partnumber", "uploadid"}


def test_sts_policy_covers_the_widgets_calls_under_the_prefix():
    from cos_web.server.policy import Policy, resource

    policy = Policy.parse(SETTINGS.sts_policy())
    inside = resource(SETTINGS.region, SETTINGS.bucket, "uploads/a.bin")
    for action in ("PutObject", "GetObject", "HeadObject", "DeleteObject", "InitiateMultipartUpload", "UploadPart",
                   "ListParts", "CompleteMultipartUpload", "AbortMultipartUpload"):
        assert policy.allows(f"name/cos:{action}", inside), action
        assert not policy.allows(f"name/cos:{action}", resource(SETTINGS.region, SETTINGS.bucket, "other/a.bin"))
    bucket = resource(SETTINGS.region, SETTINGS.bucket)
    assert policy.allows("name/cos:GetBucket", bucket, {"cos:prefix": "uploads/sub/"})
    assert not policy.allows("name/cos:GetBucket", bucket, {"cos:prefix": "other/"})
    assert not policy.allows("name/cos:GetBucket", bucket, {})
    for action in ("PutObjectACL", "PutBucketACL", "PutBucket", "DeleteBucket", "PutBucketCORS", "GetService"):
        assert not policy.allows(f"name/cos:{action}", inside) and not policy.allows(f"name/cos:{action}", bucket)


# --------------------------------------------------------------------------- over HTTP


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    wheel_dir = tmp_path_factory.mktemp("wheel")
    (wheel_dir / "cos_web-0.1.0-py3-none-any.whl").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    server = DemoServer(SETTINGS, wheel_dir=wheel_dir).start()
    yield server
    server.stop()


def _call(url: str, body: dict | None = None, method: str | None = None) -> tuple[int, str, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method or ("POST" if data else "GET"),
                                 headers={"Content-Type": "application/json"})  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode(), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers)


def test_endpoints_never_answer_with_the_secret(demo):
    answers = [
        _call(demo.url + "/api/config"),
        _call(demo.url + "/api/authorization", {"Method": "get", "Key": "uploads/x"}),
        _call(demo.url + "/api/authorization", {"Method": "get", "Key": "x", "Bucket": "other-1250000000"}),
        _call(demo.url + "/api/authorization", {"Method": "delete", "Key": ""}),
        _call(demo.url + "/api/sts"),
        _call(demo.url + "/pyscript.json"),
    ]
    statuses = [status for status, _, _ in answers]
    assert statuses == [200, 200, 403, 403, 501, 200]
    for _, body, headers in answers:
        assert SETTINGS.secret_key not in body
        assert SETTINGS.secret_key not in json.dumps(headers)
    config = json.loads(answers[0][1])
    assert config["Bucket"] == SETTINGS.bucket and config["Domain"] == SETTINGS.domain
    assert json.loads(answers[2][1])["code"] == "AccessDenied"
    assert "Tencent Cloud STS" in json.loads(answers[4][1])["message"]


def test_not_json_is_a_400(demo):
    req = urllib.request.Request(demo.url + "/api/authorization", data=b"method=get", method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=10)
    assert info.value.code == 400


def test_pyscript_config_installs_the_wheel(demo):
    status, body, headers = _call(demo.url + "/pyscript.json")
    config = json.loads(body)
    assert config["interpreter"] == "/pyodide/pyodide.mjs"
    wheel = "/wheel/cos_web-0.1.0-py3-none-any.whl"
    assert config.get("packages") == [wheel] or config.get("files") == {wheel: "./*"}
    assert headers["Cache-Control"] == "no-store"


def test_serves_pages_and_assets(demo):
    status, _, headers = _call(demo.url + "/pyscript/core.js")
    assert status == 200 and "javascript" in headers["Content-Type"]
    status, _, headers = _call(demo.url + "/pyodide/pyodide.mjs")
    assert status == 200 and "javascript" in headers["Content-Type"]
    status, _, headers = _call(demo.url + "/pyodide/pyodide.asm.wasm", method="HEAD")
    assert status == 200 and headers["Content-Type"] == "application/wasm"
    status, _, _ = _call(demo.url + "/wheel/cos_web-0.1.0-py3-none-any.whl")
    assert status == 200


# --------------------------------------------------------------------------- against the local COS server


@pytest.fixture(scope="module")
def local_cos(tmp_path_factory):
    from cos_web.server import start_in_thread

    server = start_in_thread(port=0, data_dir=str(tmp_path_factory.mktemp("cos")), quiet=True, durable=False,
                             buckets=[SETTINGS.bucket], secret_id=SETTINGS.secret_id, secret_key=SETTINGS.secret_key)  # fmt: skip
    yield server
    server.stop()


def _cos_request(local_cos, method: str, key: str, headers: dict, data: bytes | None = None) -> tuple[int, bytes]:
    url = f"http://127.0.0.1:{local_cos.port}/{key}"
    req = urllib.request.Request(url, data=data, method=method.upper(), headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_the_local_server_accepts_what_the_endpoint_signs(local_cos):
    settings = DemoSettings.from_env({}, cos_port=local_cos.port)
    host = f"{settings.bucket}.cos.{settings.region}.localhost:{local_cos.port}"
    signed = {"Host": host, "Content-Length": "5", "Content-MD5": _md5(b"hello")}
    put = sign_request(settings, {"Method": "put", "Key": "uploads/hello.txt", "Headers": signed})
    status, _ = _cos_request(local_cos, "put", "uploads/hello.txt", {**signed, "Authorization": put["Authorization"]}, b"hello")
    assert status == 200
    # No Host from the page: the endpoint adds the bucket's own, which the server checks.
    get = sign_request(settings, {"Method": "get", "Key": "uploads/hello.txt"})
    assert _cos_request(local_cos, "get", "uploads/hello.txt", {"Host": host, "Authorization": get["Authorization"]}) == (200, b"hello")
    # A signature made for one object does not open another.
    status, body = _cos_request(local_cos, "get", "uploads/other.txt", {"Host": host, "Authorization": get["Authorization"]})
    assert status == 403 and b"SignatureDoesNotMatch" in body


def test_sts_hands_out_temporary_keys_the_server_accepts(local_cos):
    settings = DemoSettings.from_env({}, cos_port=local_cos.port, sts_issuer=local_cos.issue_temporary_credentials)
    server = DemoServer(settings).start()
    try:
        status, body, _ = _call(server.url + "/api/sts")
    finally:
        server.stop()
    assert status == 200
    creds = json.loads(body)
    assert set(creds) >= {"SecretId", "SecretKey", "XCosSecurityToken", "ExpiredTime", "StartTime"}
    assert creds["SecretKey"] != settings.secret_key and settings.secret_key not in body
    assert 0 < creds["ExpiredTime"] - creds["StartTime"] <= 3600
    host = f"{settings.bucket}.cos.{settings.region}.localhost:{local_cos.port}"
    auth = build_authorization(SecretId=creds["SecretId"], SecretKey=creds["SecretKey"], Method="get", Key="",
                               Query={"prefix": settings.prefix}, Headers={"Host": host})  # fmt: skip
    status, body = _cos_request(local_cos, "get", "?prefix=" + settings.prefix,
                                {"Host": host, "Authorization": auth, "x-cos-security-token": creds["XCosSecurityToken"]})  # fmt: skip
    assert status == 200, body
    # The keys are scoped: the bucket root, another prefix and ACL changes are AccessDenied.
    for method, key, query in (("get", "", {}), ("put", "private.txt", {}), ("put", settings.prefix + "a.txt", {"acl": ""})):
        auth = build_authorization(SecretId=creds["SecretId"], SecretKey=creds["SecretKey"], Method=method, Key=key,
                                   Query=query, Headers={"Host": host})  # fmt: skip
        path = key + ("?" + "&".join(query) if query else "")
        status, body = _cos_request(local_cos, method, path, {"Host": host, "Authorization": auth,
                                                             "x-cos-security-token": creds["XCosSecurityToken"]}, b"")  # fmt: skip
        assert (status, b"<Code>AccessDenied</Code>" in body) == (403, True), (method, key, query, body)


def test_serves_a_jupyterlite_site_with_folder_indexes(tmp_path):
    lite = tmp_path / "site" / "jupyterlite"
    (lite / "lab").mkdir(parents=True)
    (lite / "index.html").write_text("top")
    (lite / "lab" / "index.html").write_text("lab")
    (lite / "jupyter-lite.json").write_text("{}")
    (tmp_path / "site" / "secret.txt").write_text("outside")
    server = DemoServer(SETTINGS, jupyterlite_dir=lite).start()
    try:
        assert _call(server.url + "/jupyterlite/")[:2] == (200, "top")
        assert _call(server.url + "/jupyterlite/lab/")[:2] == (200, "lab")
        assert _call(server.url + "/jupyterlite/lab")[:2] == (200, "lab")  # redirected to lab/
        status, _, headers = _call(server.url + "/jupyterlite/jupyter-lite.json")
        assert status == 200 and headers["Content-Type"].startswith("application/json")
        assert _call(server.url + "/jupyterlite/../secret.txt")[0] in (403, 404)
        assert _call(server.url + "/jupyterlite/%2e%2e/secret.txt")[0] in (403, 404)
    finally:
        server.stop()
    empty = DemoServer(SETTINGS, jupyterlite_dir=tmp_path / "nothing").start()
    try:
        status, body, _ = _call(empty.url + "/jupyterlite/")
        assert status == 404 and "bash scripts/jupyterlite.sh" in body
    finally:
        empty.stop()


def test_answers_only_to_its_own_names(demo):
    """DNS rebinding: a page on evil.example whose name now points at 127.0.0.1 sends Host: evil.example."""
    import http.client

    def call(host: str) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", demo.port, timeout=10)
        try:
            conn.request("GET", "/api/config", headers={"Host": host})
            return conn.getresponse().status
        finally:
            conn.close()

    assert call(f"127.0.0.1:{demo.port}") == 200
    assert call(f"localhost:{demo.port}") == 200
    assert call(f"examplebucket.localhost:{demo.port}") == 200
    assert call(f"evil.example:{demo.port}") == 421
    assert call("evil.example") == 421
    assert call("") == 421
    named = DemoSettings.from_env({"DEMO_HOSTS": "demo.internal, Other.Example"})
    assert named.answers_to("demo.internal:8000") and named.answers_to("other.example")
    assert not named.answers_to("evil.example:8000")


def test_a_signature_from_the_endpoint_cannot_be_stretched(local_cos):
    """Replayed with ?acl + x-cos-acl, or with an added x-cos-copy-source, it is refused by the server;
    a signed multi-delete deletes exactly its own (in-prefix) keys."""
    settings = DemoSettings.from_env({}, cos_port=local_cos.port)
    host = f"{settings.bucket}.cos.{settings.region}.localhost:{local_cos.port}"
    signed = {"Host": host, "Content-Length": "5", "Content-MD5": _md5(b"plain")}
    put = sign_request(settings, {"Method": "put", "Key": "uploads/plain.txt", "Headers": signed})
    assert _cos_request(local_cos, "put", "uploads/plain.txt", {**signed, "Authorization": put["Authorization"]}, b"plain")[0] == 200
    status, body = _cos_request(local_cos, "put", "uploads/plain.txt?acl", {**signed, "Authorization": put["Authorization"],
                                                                            "x-cos-acl": "public-read"}, b"plain")  # fmt: skip
    assert status == 403 and b"AccessDenied" in body
    status, body = _cos_request(local_cos, "put", "uploads/plain.txt", {
        **signed, "Authorization": put["Authorization"],
        "x-cos-copy-source": f"{settings.bucket}.cos.{settings.region}.myqcloud.com/private.txt"}, b"plain")
    assert status == 403 and b"AccessDenied" in body
    assert _cos_request(local_cos, "get", "uploads/plain.txt", {"Host": host})[0] == 403  # still private
    # Multi-delete: the signature covers Content-MD5, so the body cannot be swapped for other keys.
    body_text, md5 = _delete_body("uploads/plain.txt")
    signed = sign_request(settings, {"Method": "post", "Key": "", "Query": {"delete": ""}, "Body": body_text,
                                     "Headers": {"Host": host, "Content-MD5": md5}})
    other_text, _ = _delete_body("private.txt")
    status, body = _cos_request(local_cos, "post", "?delete", {"Host": host, "Authorization": signed["Authorization"],
                                                              "Content-MD5": md5}, other_text.encode())  # fmt: skip
    assert status in (400, 403), body
    status, body = _cos_request(local_cos, "post", "?delete", {"Host": host, "Authorization": signed["Authorization"],
                                                              "Content-MD5": md5}, body_text.encode())  # fmt: skip
    assert status == 200 and b"<Deleted><Key>uploads/plain.txt</Key></Deleted>" in body, body


# --------------------------------------------------------------------------- uploads carry a signed Content-MD5

EMPTY_MD5 = "1B2M2Y8AsgTpgAmY7PhCfg=="


@pytest.mark.parametrize(
    "headers, code",
    [
        ({}, "MissingContentMD5"),
        ({"Content-Length": "5"}, "MissingContentMD5"),
        ({"Content-MD5": "abc"}, "InvalidDigest"),
        ({"Content-MD5": hashlib.md5(b"x").hexdigest()}, "InvalidDigest"),  # hex, not base64
        ({"Content-MD5": base64.b64encode(b"\0" * 15).decode()}, "InvalidDigest"),
        ({"content-md5": "1B2M2Y8AsgTpgAmY7PhCfg"}, "InvalidDigest"),  # padding cut
        ({"Content-MD5": "１B2M2Y8AsgTpgAmY7PhCfg=="}, "InvalidDigest"),  # a non-ASCII digit
    ],
)
@pytest.mark.parametrize("query", [{}, {"partNumber": "1", "uploadId": "u"}])
def test_refuses_an_upload_without_a_well_formed_content_md5(headers, code, query):
    with pytest.raises(SigningRefused) as info:
        sign_request(SETTINGS, {"Method": "put", "Key": "uploads/a.bin", "Query": query, "Headers": headers})
    assert (info.value.status, info.value.code) == (400, code)
    assert "Content-MD5" in info.value.message


@pytest.mark.parametrize("query", [{}, {"partNumber": "1", "uploadId": "u"}])
@pytest.mark.parametrize("md5", [EMPTY_MD5, _md5(b"hello")])
def test_signs_an_upload_with_its_content_md5(query, md5):
    for name in ("Content-MD5", "content-md5"):
        signed = sign_request(SETTINGS, {"Method": "put", "Key": "uploads/a.bin", "Query": query, "Headers": {name: md5}})
        assert "content-md5" in parse_authorization(signed["Authorization"])["q-header-list"].split(";")
    # A copy has no body: it needs none (and stays limited to sources under the prefix).
    copy = f"{SETTINGS.bucket}.cos.{SETTINGS.region}.myqcloud.com/uploads/src.bin"
    sign_request(SETTINGS, {"Method": "put", "Key": "uploads/a.bin", "Query": query, "Headers": {"x-cos-copy-source": copy}})


def test_appending_is_not_signed():
    with pytest.raises(SigningRefused) as info:
        sign_request(SETTINGS, {"Method": "post", "Key": "uploads/a.log", "Query": {"append": "", "position": "0"},
                                "Headers": {"Content-MD5": EMPTY_MD5}})  # fmt: skip
    assert info.value.status == 403


def test_the_endpoint_answers_an_upload_without_content_md5_with_a_json_400(demo):
    status, body, _ = _call(demo.url + "/api/authorization", {"Method": "PUT", "Key": "uploads/a.bin", "Headers": {}})
    assert status == 400
    answer = json.loads(body)
    assert answer["code"] == "MissingContentMD5" and "UploadCheckContentMd5=True" in answer["message"]
    assert "Authorization" not in answer
    status, body, _ = _call(demo.url + "/api/authorization", {"Method": "PUT", "Key": "uploads/a.bin", "Query": {"partNumber": "2", "uploadId": "u"},
                                                              "Headers": {"Content-MD5": _md5(b"part")}})  # fmt: skip
    assert status == 200 and json.loads(body)["Authorization"].startswith("q-sign-algorithm=sha1&")


def test_an_upload_signature_is_good_for_its_own_body_only(local_cos):
    """Signed with its Content-MD5, a PUT (object or part) replayed with other bytes is refused by the server."""
    settings = DemoSettings.from_env({}, cos_port=local_cos.port)
    host = f"{settings.bucket}.cos.{settings.region}.localhost:{local_cos.port}"
    with pytest.raises(SigningRefused):
        sign_request(settings, {"Method": "put", "Key": "uploads/bound.txt", "Headers": {"Host": host}})

    def put(path: str, key: str, query: dict, data: bytes) -> dict:
        headers = {"Host": host, "Content-MD5": _md5(data)}
        signed = sign_request(settings, {"Method": "put", "Key": key, "Query": query, "Headers": headers})
        assert _cos_request(local_cos, "put", path, {**headers, **signed}, data)[0] == 200
        return {**headers, **signed}

    def replays(path: str, sent: dict) -> None:
        status, body = _cos_request(local_cos, "put", path, sent, b"other")  # same header, other bytes
        assert status == 400 and b"<Code>BadDigest</Code>" in body, body
        status, body = _cos_request(local_cos, "put", path, {**sent, "Content-MD5": _md5(b"other")}, b"other")
        assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body, body
        without = {name: value for name, value in sent.items() if name != "Content-MD5"}
        status, body = _cos_request(local_cos, "put", path, without, b"other")
        assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body, body

    sent = put("uploads/bound.txt", "uploads/bound.txt", {}, b"hello")
    replays("uploads/bound.txt", sent)
    get = sign_request(settings, {"Method": "get", "Key": "uploads/bound.txt", "Headers": {"Host": host}})
    assert _cos_request(local_cos, "get", "uploads/bound.txt", {"Host": host, **get}) == (200, b"hello")

    # A part of a multipart upload: the same.
    init = sign_request(settings, {"Method": "post", "Key": "uploads/parts.bin", "Query": {"uploads": ""}, "Headers": {"Host": host}})
    status, body = _cos_request(local_cos, "post", "uploads/parts.bin?uploads", {"Host": host, **init}, b"")
    assert status == 200, body
    upload_id = body.split(b"<UploadId>")[1].split(b"</UploadId>")[0].decode()
    query = {"partNumber": "1", "uploadId": upload_id}
    path = f"uploads/parts.bin?partNumber=1&uploadId={upload_id}"
    sent = put(path, "uploads/parts.bin", query, b"part one")
    replays(path, sent)


@pytest.mark.parametrize("key", ["uploads/empty.txt", "uploads/folder/"])
def test_an_empty_body_is_signed_and_stored(local_cos, key):
    """A zero-byte file and a "folder" (a key ending in /) upload with the MD5 of nothing."""
    assert _md5(b"") == EMPTY_MD5
    settings = DemoSettings.from_env({}, cos_port=local_cos.port)
    host = f"{settings.bucket}.cos.{settings.region}.localhost:{local_cos.port}"
    headers = {"Host": host, "Content-MD5": EMPTY_MD5, "Content-Length": "0"}
    signed = sign_request(settings, {"Method": "put", "Key": key, "Headers": headers})
    status, body = _cos_request(local_cos, "put", key, {**headers, **signed}, b"")
    assert status == 200, body
    head = sign_request(settings, {"Method": "head", "Key": key, "Headers": {"Host": host}})
    assert _cos_request(local_cos, "head", key, {"Host": host, **head})[0] == 200
