"""Fixtures for the local COS server's own tests: an in-process server, the official
Python SDK pointed at it, and a raw HTTP helper that signs like the JS SDK."""

from __future__ import annotations

import http.client
import logging
import uuid
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from qcloud_cos import CosConfig, CosS3Client

from cos_web.auth import build_authorization
from cos_web.server import start_in_thread

SECRET_ID = "AKIDserverTests0000000000000000000000"
SECRET_KEY = "serverTestsSecretKey000000000000"
BUCKET = "test-1250000000"
REGION = "ap-guangzhou"

logging.getLogger("qcloud_cos").setLevel(logging.CRITICAL)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def xml_text(self, name: str) -> str | None:
        start, end = f"<{name}>", f"</{name}>"
        if start not in self.text:
            return None
        return self.text.split(start, 1)[1].split(end, 1)[0]


class Raw:
    """Send one HTTP request to the server with any Host, signed (JS-SDK style) or not."""

    def __init__(self, port: int) -> None:
        self.port = port

    def host(self, bucket: str | None = BUCKET, port: bool = True) -> str:
        base = f"{bucket}.cos.{REGION}.localhost" if bucket else "127.0.0.1"
        return f"{base}:{self.port}" if port else base

    def request(self, method: str, key: str = "", *, query: dict | None = None, headers: dict | None = None,
                body: bytes = b"", bucket: str | None = BUCKET, sign: bool = True, secret_id: str = SECRET_ID,
                secret_key: str = SECRET_KEY, key_time: str | None = None, raw_path: str | None = None,
                host: str | None = None) -> Reply:
        headers = dict(headers or {})
        headers.setdefault("Host", host or self.host(bucket))
        query = dict(query or {})
        if sign:
            headers["Authorization"] = build_authorization(
                SecretId=secret_id, SecretKey=secret_key, Method=method, Key=key, Query=query,
                Headers=headers, KeyTime=key_time,
            )
        path = raw_path if raw_path is not None else "/" + quote(key, safe="/-_.~")
        if query:
            path += "?" + "&".join(
                quote(k, safe="-_.~") + ("=" + quote(str(v), safe="-_.~") if v is not None else "")
                for k, v in query.items()
            )
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers.items():
                conn.putheader(name, value)
            if body or method in ("PUT", "POST"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
        finally:
            conn.close()


@pytest.fixture(scope="session")
def cos_local(tmp_path_factory):
    """One in-process server for the session, with the test bucket (CORS open)."""
    data = tmp_path_factory.mktemp("cos-server-data")
    srv = start_in_thread(port=0, data_dir=str(data), secret_id=SECRET_ID, secret_key=SECRET_KEY,
                          buckets=[BUCKET], region=REGION, quiet=True)
    yield srv
    srv.stop()


def make_client(port: int, secret_id: str = SECRET_ID, secret_key: str = SECRET_KEY, token: str | None = None,
                **extra) -> CosS3Client:
    config = CosConfig(Region=REGION, SecretId=secret_id, SecretKey=secret_key, Token=token, IP="127.0.0.1",
                       Port=port, Scheme="http", ServiceDomain=f"127.0.0.1:{port}", **extra)
    return CosS3Client(config, retry=0)


@pytest.fixture(scope="session")
def sdk(cos_local) -> CosS3Client:
    return make_client(cos_local.port)


@pytest.fixture(scope="session")
def raw(cos_local) -> Raw:
    return Raw(cos_local.port)


@pytest.fixture
def key() -> str:
    """A fresh object key per test."""
    return f"t/{uuid.uuid4().hex}"
