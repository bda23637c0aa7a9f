"""APPEND Object on the local server: raw HTTP (positions, errors, limits, headers), storage
(an append adds a segment and copies nothing), kill -9 durability, and cos-python-sdk-v5's
``append_object``."""

from __future__ import annotations

import hashlib
import http.client
import os
import signal
import subprocess
import sys

import crcmod
import pytest
from qcloud_cos.cos_exception import CosServiceError

from cos_web.auth import build_authorization
from cos_web.server.append_store import chain_etag
from cos_web.server.segments import is_appendable
from cos_web.values import MAX_APPEND_SIZE

from .conftest import BUCKET, SECRET_ID, SECRET_KEY, Raw, make_client

crc64 = crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True)


def append(raw: Raw, key: str, position, body: bytes, **headers):
    query = {"append": None} if position is None else {"append": None, "position": str(position)}
    return raw.request("POST", key, query=query, body=body, headers=headers)


def test_appends_build_one_object(raw, key):
    first = append(raw, key, 0, b"hello ", **{"Content-Type": "text/x-log", "x-cos-meta-origin": "test"})
    assert first.status == 200, first.text
    assert first.headers["x-cos-next-append-position"] == "6"
    assert first.headers["etag"] == '"%s"' % hashlib.md5(b"hello ").hexdigest()
    assert first.headers["x-cos-content-sha1"] == hashlib.md5(b"hello ").hexdigest()  # COS: the block's MD5
    second = append(raw, key, 6, b"world", **{"Content-Type": "ignored/after-creation"})
    assert second.status == 200, second.text
    assert second.headers["x-cos-next-append-position"] == "11"
    assert second.headers["x-cos-content-sha1"] == hashlib.md5(b"world").hexdigest()
    assert second.headers["etag"] == chain_etag(first.headers["etag"], hashlib.md5(b"world").hexdigest())
    assert second.headers["etag"] != first.headers["etag"]
    assert second.headers["x-cos-hash-crc64ecma"] == str(crc64(b"hello world"))  # the whole object's CRC-64

    got = raw.request("GET", key)
    assert got.body == b"hello world"
    for reply in (got, raw.request("HEAD", key)):
        assert reply.headers["x-cos-object-type"] == "appendable"
        assert reply.headers["x-cos-next-append-position"] == "11"
        assert reply.headers["etag"] == second.headers["etag"]
        assert reply.headers["x-cos-hash-crc64ecma"] == str(crc64(b"hello world"))
        assert reply.headers["content-type"] == "text/x-log"  # metadata from the first append
        assert reply.headers["x-cos-meta-origin"] == "test"
    ranged = raw.request("GET", key, headers={"Range": "bytes=4-7"})
    assert (ranged.status, ranged.body) == (206, b"o wo")  # a range across two appended blocks


def test_position_must_be_the_length(raw, key):
    assert append(raw, key, 3, b"x").status == 409  # nothing there: only position 0 creates
    assert append(raw, key, 0, b"abc").status == 200
    for position in (0, 2, 4, 100):
        reply = append(raw, key, position, b"zz")
        assert (reply.status, reply.xml_text("Code")) == (409, "PositionNotEqualToLength"), position
    assert raw.request("GET", key).body == b"abc"  # refused appends left nothing
    assert append(raw, key, 3, b"").status == 200  # an empty append is allowed
    assert append(raw, key, 3, b"d").headers["x-cos-next-append-position"] == "4"
    assert raw.request("GET", key).body == b"abcd"


def test_normal_objects_are_not_appendable_and_put_makes_normal(raw, key):
    assert raw.request("PUT", key, body=b"plain").status == 200
    assert raw.request("HEAD", key).headers["x-cos-object-type"] == "normal"
    for position in (0, 5):
        reply = append(raw, key, position, b"more")
        assert (reply.status, reply.xml_text("Code")) == (409, "ObjectNotAppendable")
    assert raw.request("GET", key).body == b"plain"
    # an appendable object overwritten by PUT is normal from then on
    other = key + ".a"
    assert append(raw, other, 0, b"a").status == 200
    assert raw.request("PUT", other, body=b"b").status == 200
    head = raw.request("HEAD", other)
    assert head.headers["x-cos-object-type"] == "normal" and "x-cos-next-append-position" not in head.headers
    assert append(raw, other, 1, b"c").xml_text("Code") == "ObjectNotAppendable"
    # deleted: position 0 creates it anew
    assert raw.request("DELETE", other).status == 204
    assert append(raw, other, 0, b"new").status == 200
    assert raw.request("GET", other).body == b"new"


def test_bad_requests(raw, key):
    missing = append(raw, key, None, b"x")
    assert (missing.status, missing.xml_text("Code")) == (400, "InvalidArgument")
    for bad in ("-1", "abc", "1.5", "", "\u0661"):
        reply = raw.request("POST", key, query={"append": None, "position": bad}, body=b"x")
        assert (reply.status, reply.xml_text("Code")) == (400, "InvalidArgument"), bad
    assert raw.request("HEAD", key).status == 404
    no_bucket = raw.request("POST", key, query={"append": None, "position": "0"}, body=b"x",
                            bucket="nothere-1250000000")
    assert no_bucket.xml_text("Code") == "NoSuchBucket"
    archive = append(raw, key, 0, b"x", **{"x-cos-storage-class": "ARCHIVE"})
    assert (archive.status, archive.xml_text("Code")) == (400, "InvalidArgument")
    md5 = append(raw, key, 0, b"x", **{"Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg=="})  # the MD5 of b""
    assert (md5.status, md5.xml_text("Code")) == (400, "BadDigest")
    assert raw.request("HEAD", key).status == 404  # nothing was created by any of them
    ia = append(raw, key, 0, b"x", **{"x-cos-storage-class": "STANDARD_IA", "x-cos-acl": "public-read"})
    assert ia.status == 200
    assert raw.request("HEAD", key).headers["x-cos-storage-class"] == "STANDARD_IA"
    assert raw.request("GET", key, sign=False).body == b"x"  # the ACL of the first append


def _post_headers_only(raw: Raw, key: str, position: int, length: int) -> tuple[int, bytes]:
    """Announce a body of ``length`` bytes and send none: the server must refuse from the headers."""
    host = raw.host()
    query = {"append": "", "position": str(position)}
    auth = build_authorization(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Method="POST", Key=key, Query=query,
                               Headers={"Host": host})
    conn = http.client.HTTPConnection("127.0.0.1", raw.port, timeout=30)
    try:
        conn.putrequest("POST", f"/{key}?append&position={position}", skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host)
        conn.putheader("Authorization", auth)
        conn.putheader("Content-Length", str(length))
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def test_size_limit_is_checked_before_the_body(raw, key):
    status, body = _post_headers_only(raw, key, 0, MAX_APPEND_SIZE + 1)
    assert status == 400 and b"<Code>EntityTooLarge</Code>" in body
    assert append(raw, key, 0, b"12345").status == 200
    status, body = _post_headers_only(raw, key, 5, MAX_APPEND_SIZE - 4)  # 5 + (5 GB - 4) > 5 GB
    assert status == 400 and b"<Code>EntityTooLarge</Code>" in body
    assert raw.request("GET", key).body == b"12345"


def test_an_append_adds_a_segment_and_copies_nothing(cos_local, raw, key):
    storage = cos_local.state.storage
    assert append(raw, key, 0, b"a" * 1000).status == 200
    record = storage.get_object(BUCKET, key)
    assert is_appendable(record.blob)
    first_blob = storage._db.execute("SELECT blob FROM segments WHERE manifest=?", (record.blob,)).fetchone()[0]
    stat = os.stat(storage.blobs.path(first_blob))
    for i in range(1, 4):
        assert append(raw, key, 1000 * i, bytes([97 + i]) * 1000).status == 200
    rows = storage._db.execute("SELECT seq, blob, size FROM segments WHERE manifest=? ORDER BY seq",
                               (record.blob,)).fetchall()
    assert [(r[0], r[2]) for r in rows] == [(0, 1000), (1, 1000), (2, 1000), (3, 1000)]
    assert rows[0][1] == first_blob
    again = os.stat(storage.blobs.path(first_blob))
    assert (again.st_ino, again.st_mtime_ns, again.st_size) == (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    assert raw.request("GET", key).body == b"a" * 1000 + b"b" * 1000 + b"c" * 1000 + b"d" * 1000
    # deleting frees every appended block
    names = [r[1] for r in rows]
    assert raw.request("DELETE", key).status == 204
    assert not any(os.path.exists(storage.blobs.path(n)) for n in names)


def _start(data_dir: str) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "cos_web.server", "--host", "127.0.0.1", "--port", "0", "--data-dir", data_dir,
         "--secret-id", SECRET_ID, "--secret-key", SECRET_KEY, "--bucket", BUCKET, "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.startswith("listening on http://127.0.0.1:"), line
    return proc, int(line.strip().rsplit(":", 1)[1])


def test_kill_9_keeps_every_acknowledged_append(tmp_path):
    data = str(tmp_path / "append-crash")
    proc, port = _start(data)
    raw = Raw(port)
    content = b""
    try:
        for i in range(12):
            block = os.urandom(500 + i)
            reply = append(raw, "log", len(content), block)
            assert reply.status == 200
            content += block
        etag = reply.headers["etag"]
        proc.send_signal(signal.SIGKILL)  # no clean shutdown
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    proc, port = _start(data)
    raw = Raw(port)
    try:
        got = raw.request("GET", "log")
        assert got.body == content
        assert got.headers["x-cos-object-type"] == "appendable"
        assert got.headers["etag"] == etag
        assert got.headers["x-cos-hash-crc64ecma"] == str(crc64(content))
        assert append(raw, "log", len(content) - 1, b"x").xml_text("Code") == "PositionNotEqualToLength"
        assert append(raw, "log", len(content), b"tail").status == 200
        assert raw.request("GET", "log").body == content + b"tail"
    finally:
        proc.terminate()
        proc.wait(10)


def test_python_sdk_append_object(sdk, key):
    first = sdk.append_object(Bucket=BUCKET, Key=key, Position=0, Data=b"line 1\n")
    assert first["x-cos-next-append-position"] == "7"
    second = sdk.append_object(Bucket=BUCKET, Key=key, Position=int(first["x-cos-next-append-position"]),
                               Data=b"line 2\n")
    assert second["x-cos-next-append-position"] == "14"
    assert second["x-cos-content-sha1"] == hashlib.md5(b"line 2\n").hexdigest()
    head = sdk.head_object(Bucket=BUCKET, Key=key)
    assert head["x-cos-object-type"] == "appendable"
    assert head["Content-Length"] == "14"
    assert head["ETag"] == second["ETag"]
    assert sdk.get_object(Bucket=BUCKET, Key=key)["Body"].get_raw_stream().read() == b"line 1\nline 2\n"
    with pytest.raises(CosServiceError) as info:
        sdk.append_object(Bucket=BUCKET, Key=key, Position=7, Data=b"again")
    assert (info.value.get_status_code(), info.value.get_error_code()) == (409, "PositionNotEqualToLength")
    sdk.put_object(Bucket=BUCKET, Key=key + ".n", Body=b"normal")
    with pytest.raises(CosServiceError) as info:
        sdk.append_object(Bucket=BUCKET, Key=key + ".n", Position=6, Data=b"x")
    assert (info.value.get_status_code(), info.value.get_error_code()) == (409, "ObjectNotAppendable")


def test_temporary_key_needs_the_append_action(cos_local, key):
    policy = {"version": "2.0", "statement": [{"effect": "allow", "action": ["name/cos:PutObject"],
                                               "resource": ["*"]}]}
    keys = cos_local.issue_temporary_credentials(600, policy)
    sdk = make_client(cos_local.port, keys["SecretId"], keys["SecretKey"], keys["XCosSecurityToken"])
    with pytest.raises(CosServiceError) as info:
        sdk.append_object(Bucket=BUCKET, Key=key, Position=0, Data=b"x")
    assert info.value.get_error_code() == "AccessDenied"
    policy["statement"][0]["action"] = ["name/cos:AppendObject"]
    keys = cos_local.issue_temporary_credentials(600, policy)
    sdk = make_client(cos_local.port, keys["SecretId"], keys["SecretKey"], keys["XCosSecurityToken"])
    assert sdk.append_object(Bucket=BUCKET, Key=key, Position=0, Data=b"x")["x-cos-next-append-position"] == "1"
