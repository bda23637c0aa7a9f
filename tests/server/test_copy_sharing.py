"""Server-side copies share the source's blobs: no byte read through Python, no data lost
when the source (or the copy) is deleted or overwritten afterwards; part copies answer as COS.

Raw HTTP against a server of this module's own (its data directory's ``blobs/`` is counted),
the storage layer for the reader-holds-the-blobs case, and cos-python-sdk-v5's
``upload_part_copy`` / ``copy`` against the server.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid

import pytest

from cos_web.server import start_in_thread
from cos_web.server.storage import ObjectMeta, Storage

from .conftest import BUCKET, REGION, SECRET_ID, SECRET_KEY, Raw, make_client

MB = 1 << 20
OTHER = "other-1250000000"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("copy-sharing")
    srv = start_in_thread(port=0, data_dir=str(data), secret_id=SECRET_ID, secret_key=SECRET_KEY,
                          buckets=[BUCKET, OTHER], region=REGION, quiet=True, durable=False)  # fmt: skip
    srv.data_dir = str(data)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def raw(server) -> Raw:
    return Raw(server.port)


@pytest.fixture
def key() -> str:
    return f"share/{uuid.uuid4().hex}"


def _blob_files(server) -> int:
    root = os.path.join(server.data_dir, "blobs")
    return sum(len(os.listdir(os.path.join(root, sub))) for sub in os.listdir(root))


def _source(key: str, bucket: str = BUCKET) -> str:
    return f"{bucket}.cos.{REGION}.myqcloud.com/{key}"


def _put(raw: Raw, key: str, body: bytes, **headers: str) -> None:
    assert raw.request("PUT", key, body=body, headers=headers).status == 200


def _multipart(raw: Raw, key: str, parts: list[bytes]) -> str:
    upload_id = raw.request("POST", key, query={"uploads": None}).xml_text("UploadId")
    listed = ""
    for n, data in enumerate(parts, 1):
        reply = raw.request("PUT", key, query={"partNumber": n, "uploadId": upload_id}, body=data)
        listed += f"<Part><PartNumber>{n}</PartNumber><ETag>{reply.headers['etag']}</ETag></Part>"
    done = raw.request("POST", key, query={"uploadId": upload_id},
                       body=f"<CompleteMultipartUpload>{listed}</CompleteMultipartUpload>".encode())
    assert done.status == 200, done.text
    return done.xml_text("ETag").replace("&quot;", '"')


def _wait_for_unlinks(server, expected: int) -> int:
    import time

    for _ in range(100):  # large frees go to a worker thread
        if _blob_files(server) == expected:
            break
        time.sleep(0.02)
    return _blob_files(server)


def test_copy_shares_the_source_and_outlives_it(server, raw, key):
    body = os.urandom(3 * MB + 5)
    _put(raw, key, body, **{"Content-Type": "text/x-src", "x-cos-meta-color": "blue"})
    before = _blob_files(server)
    reply = raw.request("PUT", key + ".copy", headers={"x-cos-copy-source": _source(key)})
    assert reply.status == 200, reply.text
    assert reply.xml_text("ETag").replace("&quot;", '"') == f'"{hashlib.md5(body).hexdigest()}"'
    assert _blob_files(server) == before  # shared: not one byte written
    other = raw.request("PUT", key + ".x", bucket=OTHER, headers={"x-cos-copy-source": _source(key)})
    assert other.status == 200 and _blob_files(server) == before  # across buckets too

    assert raw.request("DELETE", key).status == 204
    assert _blob_files(server) == before  # the copies still refer to it
    got = raw.request("GET", key + ".copy")
    assert got.body == body and got.headers["content-type"] == "text/x-src"
    assert got.headers["x-cos-meta-color"] == "blue"
    assert raw.request("GET", key + ".copy", headers={"Range": "bytes=5-9"}).body == body[5:10]
    assert raw.request("DELETE", key + ".copy").status == 204
    assert raw.request("GET", key + ".x", bucket=OTHER).body == body
    assert raw.request("DELETE", key + ".x", bucket=OTHER).status == 204
    assert _wait_for_unlinks(server, before - 1) == before - 1  # the last reference gone: freed


def test_copy_of_a_multipart_object_survives_an_overwrite(server, raw, key):
    parts = [os.urandom(MB), os.urandom(MB), os.urandom(1000)]
    etag = _multipart(raw, key, parts)
    before = _blob_files(server)
    reply = raw.request("PUT", key + ".copy", headers={"x-cos-copy-source": _source(key)})
    assert reply.status == 200 and reply.xml_text("ETag").replace("&quot;", '"') == etag  # the source's ETag, kept
    assert _blob_files(server) == before
    _put(raw, key, b"new content")  # overwrite the source: its old parts live on in the copy
    assert raw.request("GET", key + ".copy").body == b"".join(parts)
    assert raw.request("GET", key).body == b"new content"
    # a copy onto itself (Replaced) shares its own blobs and keeps them
    replaced = raw.request("PUT", key + ".copy", headers={"x-cos-copy-source": _source(key + ".copy"),
                                                          "x-cos-metadata-directive": "Replaced",
                                                          "Content-Type": "text/new"})  # fmt: skip
    assert replaced.status == 200
    got = raw.request("GET", key + ".copy")
    assert got.body == b"".join(parts) and got.headers["content-type"] == "text/new"
    assert raw.request("DELETE", key + ".copy").status == 204
    assert _wait_for_unlinks(server, before - 2) == before - 2  # 3 parts freed, 1 new blob (the overwrite)


def test_whole_object_part_copy_shares_and_ranges_copy(server, raw, key):
    body = os.urandom(MB + 17)
    _put(raw, key, body)
    before = _blob_files(server)
    target = key + ".mp"
    upload_id = raw.request("POST", target, query={"uploads": None}).xml_text("UploadId")
    whole = raw.request("PUT", target, query={"partNumber": 1, "uploadId": upload_id},
                        headers={"x-cos-copy-source": _source(key)})
    assert whole.status == 200, whole.text
    assert whole.xml_text("ETag").replace("&quot;", '"') == f'"{hashlib.md5(body).hexdigest()}"' and whole.xml_text("LastModified")
    assert _blob_files(server) == before  # the whole object: shared
    ranged = raw.request("PUT", target, query={"partNumber": 2, "uploadId": upload_id},
                         headers={"x-cos-copy-source": _source(key), "x-cos-copy-source-range": "bytes=10-109"})
    assert ranged.status == 200 and ranged.xml_text("ETag").replace("&quot;", '"') == f'"{hashlib.md5(body[10:110]).hexdigest()}"'
    assert _blob_files(server) == before + 1  # a range: its bytes copied
    assert raw.request("DELETE", key).status == 204  # the source goes before the upload completes
    listed = "".join(f"<Part><PartNumber>{n}</PartNumber><ETag>{r.xml_text('ETag')}</ETag></Part>"
                     for n, r in ((1, whole), (2, ranged)))  # fmt: skip
    done = raw.request("POST", target, query={"uploadId": upload_id},
                       body=f"<CompleteMultipartUpload>{listed}</CompleteMultipartUpload>".encode())
    assert done.status == 200, done.text
    assert raw.request("GET", target).body == body + body[10:110]
    assert raw.request("DELETE", target).status == 204
    assert _wait_for_unlinks(server, before - 1) == before - 1


def test_aborting_an_upload_keeps_the_source_it_shared(server, raw, key):
    body = os.urandom(2000)
    _put(raw, key, body)
    target = key + ".abort"
    upload_id = raw.request("POST", target, query={"uploads": None}).xml_text("UploadId")
    for n in (1, 2):  # the same source twice, and part 2 replaced by another copy of it
        for _ in range(2):
            reply = raw.request("PUT", target, query={"partNumber": n, "uploadId": upload_id},
                                headers={"x-cos-copy-source": _source(key)})
            assert reply.status == 200
    assert raw.request("DELETE", target, query={"uploadId": upload_id}).status == 204
    assert raw.request("GET", key).body == body
    # a single-part upload of a shared part becomes an object of its own (a manifest), not the source's file
    upload_id = raw.request("POST", target, query={"uploads": None}).xml_text("UploadId")
    part = raw.request("PUT", target, query={"partNumber": 1, "uploadId": upload_id},
                       headers={"x-cos-copy-source": _source(key)})
    xml = f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{part.xml_text('ETag')}</ETag></Part>" \
          "</CompleteMultipartUpload>"
    assert raw.request("POST", target, query={"uploadId": upload_id}, body=xml.encode()).status == 200
    assert raw.request("DELETE", key).status == 204
    assert raw.request("GET", target).body == body


def test_part_copy_answers_as_cos(server, raw, key):
    body = os.urandom(1000)
    _put(raw, key, body)
    target = key + ".errors"
    upload_id = raw.request("POST", target, query={"uploads": None}).xml_text("UploadId")

    def part_copy(headers: dict, number: int = 1, upload: str | None = None):
        return raw.request("PUT", target, query={"partNumber": number, "uploadId": upload or upload_id},
                           headers={"x-cos-copy-source": _source(key), **headers})

    for bad in ("bytes=0-1000", "bytes=10-5", "bytes=-5", "bytes=5-", "items=0-1", "bytes=a-b"):
        reply = part_copy({"x-cos-copy-source-range": bad})
        assert (reply.status, reply.xml_text("Code")) == (400, "InvalidArgument"), bad
    assert part_copy({"x-cos-copy-source-range": "bytes=999-999"}).status == 200  # the last byte
    assert part_copy({}, number=0).xml_text("Code") == "InvalidArgument"
    assert part_copy({}, number=10001).xml_text("Code") == "InvalidArgument"
    assert part_copy({}, upload="nope").status == 404
    assert part_copy({}, upload="nope").xml_text("Code") == "NoSuchUpload"
    missing = raw.request("PUT", target, query={"partNumber": 1, "uploadId": upload_id},
                          headers={"x-cos-copy-source": _source(key + ".none")})
    assert (missing.status, missing.xml_text("Code")) == (404, "NoSuchKey")
    failed = part_copy({"x-cos-copy-source-If-Match": '"0123"'})
    assert failed.status == 412
    matched = part_copy({"x-cos-copy-source-If-Match": f'"{hashlib.md5(body).hexdigest()}"'})
    assert matched.status == 200
    bad_source = part_copy({"x-cos-copy-source": "not a source"})
    assert (bad_source.status, bad_source.xml_text("Code")) == (400, "InvalidArgument")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", matched.xml_text("LastModified") or "")


def test_a_reader_keeps_shared_blobs_until_it_closes(tmp_path):
    """The torn-read case: a multipart object is read while it, and then its copy (the last other
    reference to the same part files), are deleted; the reader still gets every byte."""
    store = Storage(str(tmp_path), durable=False)
    try:
        store.create_bucket(BUCKET, REGION, {"canned": "private", "grants": []})
        parts = [os.urandom(MB), os.urandom(MB), os.urandom(10)]
        upload = store.create_upload(BUCKET, "src", ObjectMeta())
        listed = []
        for n, data in enumerate(parts, 1):
            writer = store.writer()
            writer.write(data)
            listed.append((n, store.put_part(BUCKET, "src", upload.upload_id, n, writer.finish()).etag))
        source = store.complete_upload(BUCKET, "src", upload.upload_id, listed)
        assert store.share_object(source, BUCKET, "copy", ObjectMeta()) is not None
        _, reader = store.open_object(BUCKET, "src")
        first = reader.read(10)
        store.delete_object(BUCKET, "src")
        store.delete_object(BUCKET, "copy")  # no row refers to the parts now; the reader does
        rest = reader.read(-1)
        assert first + rest == b"".join(parts)
        reader.close()
        root = tmp_path / "blobs"
        assert sum(len(os.listdir(root / sub)) for sub in os.listdir(root)) == 0
        # a share of a version no longer current is refused (the caller copies the bytes it opened)
        writer = store.writer()
        writer.write(b"v1")
        old = store.put_object(BUCKET, "k", writer.finish(), ObjectMeta())
        writer = store.writer()
        writer.write(b"v2")
        store.put_object(BUCKET, "k", writer.finish(), ObjectMeta())
        assert store.share_object(old, BUCKET, "k2", ObjectMeta()) is None
    finally:
        store.close()


def test_python_sdk_part_copy_and_copy(server, raw, key):
    sdk = make_client(server.port)
    body = os.urandom(3 * MB + 11)
    _put(raw, key, body)
    source = {"Bucket": BUCKET, "Region": REGION, "Key": key}
    upload_id = sdk.create_multipart_upload(Bucket=OTHER, Key=key)["UploadId"]
    p1 = sdk.upload_part_copy(Bucket=OTHER, Key=key, PartNumber=1, UploadId=upload_id, CopySource=source,
                              CopySourceRange=f"bytes=0-{2 * MB - 1}")  # fmt: skip
    p2 = sdk.upload_part_copy(Bucket=OTHER, Key=key, PartNumber=2, UploadId=upload_id, CopySource=source,
                              CopySourceRange=f"bytes={2 * MB}-{len(body) - 1}")  # fmt: skip
    assert p1["ETag"] == f'"{hashlib.md5(body[:2 * MB]).hexdigest()}"' and p1["LastModified"]
    sdk.complete_multipart_upload(Bucket=OTHER, Key=key, UploadId=upload_id, MultipartUpload={
        "Part": [{"PartNumber": 1, "ETag": p1["ETag"]}, {"PartNumber": 2, "ETag": p2["ETag"]}]})
    assert raw.request("GET", key, bucket=OTHER).body == body
    # copy_object (shared), and a part copy of the whole object (shared) completed as one part
    copied = sdk.copy_object(Bucket=OTHER, Key=key + ".copy", CopySource=source, CopyStatus="Replaced",
                             ContentType="text/replaced", StorageClass="STANDARD_IA")  # fmt: skip
    assert copied["ETag"] == f'"{hashlib.md5(body).hexdigest()}"' and copied["CRC64"]
    upload_id = sdk.create_multipart_upload(Bucket=OTHER, Key=key + ".whole")["UploadId"]
    whole = sdk.upload_part_copy(Bucket=OTHER, Key=key + ".whole", PartNumber=1, UploadId=upload_id,
                                 CopySource=source)  # fmt: skip
    assert whole["ETag"] == copied["ETag"]
    sdk.complete_multipart_upload(Bucket=OTHER, Key=key + ".whole", UploadId=upload_id,
                                  MultipartUpload={"Part": [{"PartNumber": 1, "ETag": whole["ETag"]}]})
    assert raw.request("DELETE", key).status == 204
    for name in (".copy", ".whole"):
        got = sdk.get_object(Bucket=OTHER, Key=key + name)
        assert got["Body"].get_raw_stream().read() == body, name
    head = raw.request("HEAD", key + ".copy", bucket=OTHER).headers
    assert head["x-cos-storage-class"] == "STANDARD_IA" and head["content-type"] == "text/replaced"


def test_cos_web_slice_copy_file_across_regions_keeps_metadata(server, raw, key):
    """cos_web's sliceCopyFile (CPython, urllib transport: no CORS hides a header) from a bucket
    in another region: the source's Content-Type and x-cos-meta-* reach the multipart copy."""
    import asyncio

    from cos_web import COS

    far = {"Bucket": "far-1250000000", "Region": "ap-shanghai"}
    body = os.urandom(2 * MB + 3)

    async def run() -> dict:
        cos = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=f"{{Bucket}}.cos.{{Region}}.localhost:{server.port}",
                  Protocol="http", Transport="urllib", ProgressInterval=0)  # fmt: skip
        try:
            await cos.putBucket(**far)
        except Exception:
            pass  # made by an earlier run of this module's server
        await cos.putObject(**far, Key=key, Body=body, ContentType="text/x-far", SkipTask=True,
                            Headers={"x-cos-meta-from": "shanghai"})  # fmt: skip
        events: list = []
        data = await cos.sliceCopyFile(Bucket=BUCKET, Region=REGION, Key=key, CopySliceSize=MB, CopyChunkSize=MB,
                                       CopySource=f"far-1250000000.cos.ap-shanghai.myqcloud.com/{key}",
                                       onProgress=events.append)  # fmt: skip
        return {"data": data, "events": events}

    out = asyncio.run(run())
    assert out["data"]["ETag"].endswith('-3"')
    got = raw.request("GET", key)
    assert got.body == body
    assert got.headers["content-type"] == "text/x-far" and got.headers["x-cos-meta-from"] == "shanghai"
    assert out["events"][-1] == {**out["events"][-1], "loaded": len(body), "total": len(body), "percent": 1}
