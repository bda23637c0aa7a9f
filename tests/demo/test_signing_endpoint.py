"""The demo server's signing endpoint, in CPython: what it signs, what it refuses, what it never says."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from cos_web.auth import build_authorization, parse_authorization
from cos_web.demo import DemoServer, DemoSettings, SigningRefused, sign_request

SETTINGS = DemoSettings.from_env({}, cos_port=9123)


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
    result = sign_request(SETTINGS, {"Method": "PUT", "Key": "uploads/a b.txt", "Query": {}, "Headers": {"Content-Length": "3"},
                                     "Bucket": SETTINGS.bucket, "Region": SETTINGS.region})  # fmt: skip
    fields = parse_authorization(result["Authorization"])
    assert fields["q-ak"] == SETTINGS.secret_id
    assert fields["q-header-list"] == "content-length;host"
    start, end = map(int, fields["q-key-time"].split(";"))
    assert end - start == 900
    expected = _resign(result, Method="put", Key="uploads/a b.txt",
                       Headers={"Content-Length": "3", "Host": "examplebucket-1250000000.cos.ap-guangzhou.localhost:9123"})  # fmt: skip
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


def test_bulk_delete_on_the_bucket_is_allowed():
    assert sign_request(SETTINGS, {"Method": "post", "Key": "", "Query": {"delete": ""}})["Authorization"]


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
    put = sign_request(settings, {"Method": "put", "Key": "uploads/hello.txt", "Headers": {"Host": host, "Content-Length": "5"}})
    status, _ = _cos_request(local_cos, "put", "uploads/hello.txt", {"Host": host, "Authorization": put["Authorization"]}, b"hello")
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
                               Headers={"Host": host})  # fmt: skip
    status, body = _cos_request(local_cos, "get", "", {"Host": host, "Authorization": auth,
                                                       "x-cos-security-token": creds["XCosSecurityToken"]})  # fmt: skip
    assert status == 200, body


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
