"""A body's MD5 runs on a hashing thread beside its write (cos_web.server.transfer): ETags stay
the MD5 of what was stored for every body size around the 1 MiB chunk edges and for bodies that
arrive in small pieces, and a bad Content-MD5 or x-cos-content-sha1 still stores nothing (no
object, no blob, no temporary file)."""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import time
from pathlib import Path

import pytest

from cos_web.auth import build_authorization
from cos_web.server import start_in_thread
from cos_web.server.transfer import CHUNK

from .conftest import BUCKET, REGION, SECRET_ID, SECRET_KEY, Raw


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("ingest-md5")
    srv = start_in_thread(port=0, data_dir=str(data), secret_id=SECRET_ID, secret_key=SECRET_KEY,
                          buckets=[BUCKET], region=REGION, quiet=True)  # fmt: skip
    yield srv, Path(data)
    srv.stop()


def _files(data: Path, folder: str) -> list[Path]:
    return [p for p in (data / folder).rglob("*") if p.is_file()]


def _md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17])
def test_etag_is_the_md5_of_the_stored_bytes(server, size):
    srv, _ = server
    raw = Raw(srv.port)
    body = os.urandom(size)
    key = f"ingest/{size}"
    put = raw.request("PUT", key, body=body, headers={"Content-MD5": _md5_b64(body)})
    assert put.status == 200 and put.headers["etag"].strip('"') == hashlib.md5(body).hexdigest()
    got = raw.request("GET", key)
    assert got.body == body and got.headers["etag"] == put.headers["etag"]


def test_a_body_in_small_pieces_hashes_in_order(server):
    srv, _ = server
    body = os.urandom(5 * CHUNK + 12345)
    key = "ingest/pieces"
    headers = {"Host": f"{BUCKET}.cos.{REGION}.localhost:{srv.port}", "Content-Length": str(len(body)),
               "x-cos-content-sha1": hashlib.sha1(body).hexdigest()}  # fmt: skip
    headers["Authorization"] = build_authorization(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Method="PUT", Key=key,
                                                   Query={}, Headers=headers)  # fmt: skip
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    try:
        conn.putrequest("PUT", "/" + key, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        for i in range(0, len(body), 300_001):  # pieces that straddle the server's chunks
            conn.send(body[i : i + 300_001])
            if i % (6 * 300_001) == 0:
                time.sleep(0.005)
        reply = conn.getresponse()
        assert reply.status == 200, reply.read()
        assert reply.getheader("ETag").strip('"') == hashlib.md5(body).hexdigest()
        reply.read()
    finally:
        conn.close()
    assert Raw(srv.port).request("GET", key).body == body


@pytest.mark.parametrize("header", ["Content-MD5", "x-cos-content-sha1"])
def test_a_bad_digest_stores_nothing(server, header):
    srv, data = server
    raw = Raw(srv.port)
    body = os.urandom(2 * CHUNK + 5)
    other = body[:-1] + bytes([body[-1] ^ 1])
    value = _md5_b64(other) if header == "Content-MD5" else hashlib.sha1(other).hexdigest()
    blobs = _files(data, "blobs")
    key = f"ingest/bad-{header}"
    put = raw.request("PUT", key, body=body, headers={header: value})
    assert (put.status, put.xml_text("Code")) == (400, "BadDigest")
    assert raw.request("HEAD", key).status == 404
    assert _files(data, "blobs") == blobs and _files(data, "tmp") == []
    # the same request with the right digest is stored
    good = _md5_b64(body) if header == "Content-MD5" else hashlib.sha1(body).hexdigest()
    assert raw.request("PUT", key, body=body, headers={header: good}).status == 200
    assert raw.request("GET", key).body == body
