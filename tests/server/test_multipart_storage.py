"""Multipart objects kept as their part blobs (a manifest): reads across parts, freeing, crashes, sweep."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import time

import crcmod
import pytest

from cos_web.server.errors import CosServerError
from cos_web.server.storage import ObjectMeta, SegmentReader, Storage, is_manifest

from .conftest import BUCKET, REGION, Raw, make_client
from .test_durability import _start_subprocess

MB = 1 << 20
reference = crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True)


def _blob_files(data_dir) -> set[str]:
    root = os.path.join(str(data_dir), "blobs")
    return {f"{sub}/{name}" for sub in os.listdir(root) for name in os.listdir(os.path.join(root, sub))}


def _blob(store: Storage, data: bytes):
    writer = store.writer()
    writer.write(data)
    return writer.finish()


def _multipart(store: Storage, key: str, parts: list[bytes], extra: bytes | None = None):
    upload = store.create_upload(BUCKET, key, ObjectMeta())
    listed = []
    for number, data in enumerate(parts, 1):
        part = store.put_part(BUCKET, key, upload.upload_id, number, _blob(store, data))
        listed.append((number, part.etag))
    if extra is not None:  # uploaded but left out of the complete list
        store.put_part(BUCKET, key, upload.upload_id, len(parts) + 1, _blob(store, extra))
    return upload.upload_id, listed


def _read_all(store: Storage, key: str) -> bytes:
    record, fh = store.open_object(BUCKET, key)
    try:
        out = b""
        while chunk := fh.read(300_000):
            out += chunk
        assert len(out) == record.size
        return out
    finally:
        fh.close()


@pytest.fixture
def store(tmp_path):
    s = Storage(str(tmp_path / "data"), durable=False)
    s.create_bucket(BUCKET, REGION, {"canned": "private", "grants": []})
    yield s
    s.close()


PARTS = [os.urandom(MB + 1), os.urandom(MB), os.urandom(12345)]


def test_complete_is_a_manifest_of_the_parts_no_copy(store):
    upload_id, listed = _multipart(store, "mp", PARTS, extra=os.urandom(MB))
    before = _blob_files(store.data_dir)
    record = store.complete_upload(BUCKET, "mp", upload_id, listed)
    assert is_manifest(record.blob)
    after = _blob_files(store.data_dir)
    assert after < before and len(after) == 3  # the listed parts' files became the object's; the extra is gone
    body = b"".join(PARTS)
    assert record.size == len(body) and record.crc64 == str(reference(body))
    assert _read_all(store, "mp") == body
    # seek/read anywhere, never past a part boundary in one read
    _, fh = store.open_object(BUCKET, "mp")
    with fh:
        assert isinstance(fh, SegmentReader)
        fh.seek(MB - 5)
        assert fh.read(100) == body[MB - 5:MB + 1]  # stops at the end of part 1
        assert fh.read(10) == body[MB + 1:MB + 11]
        fh.seek(-7, 2)
        assert fh.read() == body[-7:]
        assert fh.read(5) == b""


def test_single_part_complete_uses_the_part_blob(store):
    upload_id, listed = _multipart(store, "one", [b"only part"])
    record = store.complete_upload(BUCKET, "one", upload_id, listed)
    assert not is_manifest(record.blob) and _read_all(store, "one") == b"only part"
    assert len(_blob_files(store.data_dir)) == 1


def test_overwrite_and_delete_free_the_parts(store):
    upload_id, listed = _multipart(store, "mp", PARTS)
    store.complete_upload(BUCKET, "mp", upload_id, listed)
    assert len(_blob_files(store.data_dir)) == 3
    store.put_object(BUCKET, "mp", _blob(store, b"small"), ObjectMeta())  # PUT over a multipart object
    assert len(_blob_files(store.data_dir)) == 1
    upload_id, listed = _multipart(store, "mp", PARTS)
    store.complete_upload(BUCKET, "mp", upload_id, listed)  # multipart over a plain object
    assert len(_blob_files(store.data_dir)) == 3
    upload_id, listed = _multipart(store, "mp", PARTS[::-1][1:])
    store.complete_upload(BUCKET, "mp", upload_id, listed)  # multipart over multipart
    assert len(_blob_files(store.data_dir)) == 2 and _read_all(store, "mp") == PARTS[1] + PARTS[0]
    assert store.delete_object(BUCKET, "mp")
    assert _blob_files(store.data_dir) == set()
    with sqlite3.connect(os.path.join(store.data_dir, "meta.sqlite3")) as db:
        assert db.execute("SELECT count(*) FROM segments").fetchone()[0] == 0


def test_open_reader_keeps_the_old_version_whole(store):
    upload_id, listed = _multipart(store, "mp", PARTS)
    store.complete_upload(BUCKET, "mp", upload_id, listed)
    _, fh = store.open_object(BUCKET, "mp")
    first = fh.read(1000)
    store.put_object(BUCKET, "mp", _blob(store, b"new"), ObjectMeta())  # overwrite while streaming
    _, other = store.open_object(BUCKET, "mp")
    with other:
        assert other.read() == b"new"
    rest = b""
    while chunk := fh.read(MB):
        rest += chunk
    assert first + rest == b"".join(PARTS)
    assert len(_blob_files(store.data_dir)) == 4  # old parts wait for the reader
    fh.close()
    fh.close()  # idempotent
    assert len(_blob_files(store.data_dir)) == 1
    # delete while reading, same story
    upload_id, listed = _multipart(store, "mp2", PARTS)
    store.complete_upload(BUCKET, "mp2", upload_id, listed)
    _, fh = store.open_object(BUCKET, "mp2")
    store.delete_object(BUCKET, "mp2")
    assert fh.read() == b"".join(PARTS)
    fh.close()
    assert len(_blob_files(store.data_dir)) == 1


class _FailingDb:
    """The connection, except that the object row write of a complete fails (a crash mid-transaction)."""

    def __init__(self, db):
        self._db = db

    def execute(self, sql, *args):
        if sql.startswith("INSERT OR REPLACE INTO objects"):
            raise sqlite3.OperationalError("disk I/O error (simulated)")
        return self._db.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._db, name)


def test_failure_inside_complete_leaves_old_object_and_upload(store, monkeypatch):
    store.put_object(BUCKET, "mp", _blob(store, b"old version"), ObjectMeta())
    upload_id, listed = _multipart(store, "mp", PARTS)
    files = _blob_files(store.data_dir)
    real = store._db
    monkeypatch.setattr(store, "_db", _FailingDb(real))
    with pytest.raises(sqlite3.OperationalError):
        store.complete_upload(BUCKET, "mp", upload_id, listed)
    monkeypatch.setattr(store, "_db", real)
    assert _read_all(store, "mp") == b"old version"
    assert _blob_files(store.data_dir) == files
    assert [p.number for p in store.list_parts(upload_id)[0]] == [1, 2, 3]
    assert real.execute("SELECT count(*) FROM segments").fetchone()[0] == 0  # rolled back
    store.complete_upload(BUCKET, "mp", upload_id, listed)
    assert _read_all(store, "mp") == b"".join(PARTS)
    with pytest.raises(CosServerError) as err:
        store.complete_upload(BUCKET, "mp", upload_id, listed)
    assert err.value.code == "NoSuchUpload"


def test_crash_after_commit_before_unlink_is_swept(tmp_path, monkeypatch):
    data = tmp_path / "data"
    store = Storage(str(data), durable=False)
    store.create_bucket(BUCKET, REGION, {"canned": "private", "grants": []})
    store.put_object(BUCKET, "mp", _blob(store, b"old version"), ObjectMeta())
    upload_id, listed = _multipart(store, "mp", PARTS, extra=b"unlisted")
    monkeypatch.setattr(store, "_free", lambda ref, names: None)  # "dies" right after the commit
    store.complete_upload(BUCKET, "mp", upload_id, listed)
    assert len(_blob_files(data)) == 5
    store.close()
    # and a manifest no object row refers to (as a hand edit or an older bug would leave)
    with sqlite3.connect(data / "meta.sqlite3") as db:
        db.execute("INSERT INTO segments VALUES ('m:stale', 0, 'ab/stale', 5)")
    store = Storage(str(data), durable=False)
    try:
        assert len(_blob_files(data)) == 3  # old version and unlisted part swept; the object's parts kept
        assert _read_all(store, "mp") == b"".join(PARTS)
        assert store._db.execute("SELECT count(*) FROM segments WHERE manifest='m:stale'").fetchone()[0] == 0
    finally:
        store.close()


# ---------------------------------------------------------------- over HTTP, with the official SDK
def test_get_range_head_copy_across_parts(sdk, raw, key):
    parts = [os.urandom(MB + 3), os.urandom(MB), os.urandom(777)]
    body = b"".join(parts)
    upload_id = sdk.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
    etags = [sdk.upload_part(Bucket=BUCKET, Key=key, Body=p, PartNumber=n, UploadId=upload_id)["ETag"]
             for n, p in enumerate(parts, 1)]
    done = sdk.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=upload_id, MultipartUpload={
        "Part": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]})
    md5s = b"".join(bytes.fromhex(e.strip('"')) for e in etags)
    assert done["ETag"] == f'"{hashlib.md5(md5s).hexdigest()}-3"'
    head = raw.request("HEAD", key)
    assert head.headers["content-length"] == str(len(body))
    assert head.headers["x-cos-hash-crc64ecma"] == str(reference(body))
    got = sdk.get_object(Bucket=BUCKET, Key=key)
    assert got["Body"].get_raw_stream().read() == body
    for first, last in [(MB - 10, MB + 10), (MB + 3, 2 * MB + 3), (0, len(body) - 1), (2 * MB + 2, 2 * MB + 700),
                        (5, 5)]:
        reply = raw.request("GET", key, headers={"Range": f"bytes={first}-{last}"})
        assert reply.status == 206 and reply.body == body[first:last + 1], (first, last)
        assert reply.headers["content-range"] == f"bytes {first}-{last}/{len(body)}"
    assert raw.request("GET", key, headers={"Range": "bytes=-1000"}).body == body[-1000:]
    assert raw.request("GET", key, headers={"Range": f"bytes={len(body)}-"}).status == 416
    # copy (whole object) and part copy (a range across a part boundary) from a multipart source
    source = {"Bucket": BUCKET, "Region": REGION, "Key": key}
    sdk.copy_object(Bucket=BUCKET, Key=key + ".copy", CopySource=source)
    assert raw.request("GET", key + ".copy").body == body
    upload2 = sdk.create_multipart_upload(Bucket=BUCKET, Key=key + ".pc")["UploadId"]
    part = sdk.upload_part_copy(Bucket=BUCKET, Key=key + ".pc", PartNumber=1, UploadId=upload2,
                                CopySource=source, CopySourceRange=f"bytes={MB - 1}-{MB + 9}")
    sdk.complete_multipart_upload(Bucket=BUCKET, Key=key + ".pc", UploadId=upload2,
                                  MultipartUpload={"Part": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert raw.request("GET", key + ".pc").body == body[MB - 1:MB + 10]
    # DELETE frees it; a later GET is a clean 404
    assert raw.request("DELETE", key).status == 204
    assert raw.request("GET", key).status == 404


def test_sdk_crc_check_on_multipart_download(cos_local, key):
    """download_file(EnableCRC=True) compares x-cos-hash-crc64ecma with the CRC of the bytes it got."""
    sdk = make_client(cos_local.port)
    parts = [os.urandom(MB), os.urandom(4321)]
    upload_id = sdk.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
    etags = [sdk.upload_part(Bucket=BUCKET, Key=key, Body=p, PartNumber=n, UploadId=upload_id)["ETag"]
             for n, p in enumerate(parts, 1)]
    sdk.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=upload_id, MultipartUpload={
        "Part": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]})
    path = os.path.join(cos_local.config.data_dir, "..", f"dl-{os.getpid()}")
    try:
        sdk.download_file(Bucket=BUCKET, Key=key, DestFilePath=path, PartSize=1, MAXThread=2, EnableCRC=True)
        with open(path, "rb") as fh:
            assert fh.read() == b"".join(parts)
    finally:
        if os.path.exists(path):
            os.unlink(path)


def test_kill_9_after_complete_keeps_the_multipart_object(tmp_path):
    data = str(tmp_path / "crash")
    proc, port = _start_subprocess(data)
    try:
        sdk = make_client(port)
        sdk.put_object(Bucket=BUCKET, Key="mp", Body=b"old")
        upload_id = sdk.create_multipart_upload(Bucket=BUCKET, Key="mp")["UploadId"]
        parts = [os.urandom(MB), os.urandom(1000)]
        etags = [sdk.upload_part(Bucket=BUCKET, Key="mp", Body=p, PartNumber=n, UploadId=upload_id)["ETag"]
                 for n, p in enumerate(parts, 1)]
        sdk.complete_multipart_upload(Bucket=BUCKET, Key="mp", UploadId=upload_id, MultipartUpload={
            "Part": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]})
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    proc, port = _start_subprocess(data)
    try:
        assert Raw(port).request("GET", "mp").body == b"".join(parts)
        deadline = time.time() + 5
        while len(_blob_files(data)) != 2 and time.time() < deadline:
            time.sleep(0.05)
        assert len(_blob_files(data)) == 2
    finally:
        proc.terminate()
        proc.wait(10)
