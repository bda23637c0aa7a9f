"""cos_web in Pyodide under Node.js (no XMLHttpRequest, Node's own fetch) against the local
COS server: the seed calls and a slice upload through the fetch and pyfetch transports.

The server is the real one (``cos_server``); the only change to Node is name resolution
(``*.localhost`` -> 127.0.0.1, see node_harness.mjs), so requests go to the SDK's usual
virtual-host URLs with the bucket in the Host header.
"""

from __future__ import annotations

import hashlib
import uuid

import pytest

from tests.conftest import PageError

PRELUDE = """
from cos_web import COS, CosError
cos = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=DOMAIN, Transport=TRANSPORT, ProgressInterval=0)
BR = {"Bucket": BUCKET, "Region": REGION}

async def fails(coro):
    try:
        await coro
    except CosError as e:
        return {"code": e.code, "statusCode": e.statusCode, "message": e.message}
    return None
"""

TRANSPORTS = {"auto": "FetchTransport", "fetch": "FetchTransport", "pyfetch": "PyfetchTransport"}


@pytest.fixture
def run(node_py, cos_vars):
    def run(code: str, transport: str = "auto", **kw):
        return node_py.run(PRELUDE + code, **cos_vars, TRANSPORT=transport, **kw)

    return run


def test_node_has_no_xhr_and_auto_picks_fetch(run):
    out = run(
        """
import js
from cos_web.transport_choice import make_transport
try:
    make_transport("xhr")
    xhr = None
except CosError as e:
    xhr = e.code
[hasattr(js.globalThis, "XMLHttpRequest"), type(cos._pipeline.transport).__name__, xhr]
"""
    )
    assert out == [False, "FetchTransport", "InvalidParameter"]


@pytest.mark.parametrize("transport", ["auto", "pyfetch"])
def test_seed_calls(run, transport):
    prefix = f"node/{transport}/{uuid.uuid4().hex[:8]}/"
    own = f"node{uuid.uuid4().hex[:8]}-1250000000"
    out = run(
        """
from urllib.parse import quote
import js
OWN = {"Bucket": OWN_BUCKET, "Region": REGION}
o = {"transport": type(cos._pipeline.transport).__name__}
o["putBucket"] = (await cos.put_bucket(**OWN))["statusCode"]
o["headBucket"] = (await cos.head_bucket(**OWN))["statusCode"]
o["headMissingBucket"] = await fails(cos.headBucket(Bucket="missing-1250000000", Region=REGION))
o["location"] = (await cos.get_bucket_location(**OWN))["LocationConstraint"]

await cos.put_bucket_acl(**OWN, ACL="public-read")
o["bucketAcl"] = (await cos.getBucketAcl(**OWN))["ACL"]
rules = [{"AllowedOrigin": ["http://example.com"], "AllowedMethod": ["GET", "PUT"], "AllowedHeader": ["*"],
          "ExposeHeader": ["ETag"], "MaxAgeSeconds": "5"}]
await cos.put_bucket_cors(**OWN, CORSRules=rules)
o["cors"] = (await cos.getBucketCors(**OWN))["CORSRules"]
await cos.delete_bucket_cors(**OWN)
o["corsGone"] = (await cos.get_bucket_cors(**OWN))["CORSRules"]

ups = []
put = await cos.put_object(**BR, Key=PREFIX + "a.txt", Body="hello 腾讯", onProgress=lambda p: ups.append(p))
o["put"] = [put["statusCode"], put["ETag"]]
o["putProgress"] = ups[-1]
o["head"] = (await cos.head_object(**BR, Key=PREFIX + "a.txt"))["headers"]["content-length"]
got = await cos.get_object(**BR, Key=PREFIX + "a.txt")
o["get"] = got["Body"].decode()
o["getText"] = (await cos.get_object(**BR, Key=PREFIX + "a.txt", DataType="text"))["Body"]
blob = (await cos.get_object(**BR, Key=PREFIX + "a.txt", DataType="blob"))["Body"]
o["getBlob"] = [blob.size, (await blob.text())]
buf = (await cos.get_object(**BR, Key=PREFIX + "a.txt", DataType="arraybuffer"))["Body"]
o["getArrayBuffer"] = buf.byteLength
o["range"] = (await cos.getObject(**BR, Key=PREFIX + "a.txt", Range="bytes=0-4"))["Body"]
o["missing"] = await fails(cos.get_object(**BR, Key=PREFIX + "missing"))
o["blobBody"] = (await cos.put_object(**BR, Key=PREFIX + "blob.bin", Body=js.Blob.new(["from a Blob"])))["statusCode"]
o["bucket"] = [c["Key"] for c in (await cos.get_bucket(**BR, Prefix=PREFIX))["Contents"]]

await cos.put_object_acl(**BR, Key=PREFIX + "a.txt", ACL="public-read")
o["objectAcl"] = (await cos.getObjectAcl(**BR, Key=PREFIX + "a.txt"))["ACL"]

src = f"{BUCKET}.cos.{REGION}.myqcloud.com/" + quote(PREFIX + "a.txt")
o["copy"] = (await cos.put_object_copy(**BR, Key=PREFIX + "copy.txt", CopySource=src))["statusCode"]
o["copied"] = (await cos.get_object(**BR, Key=PREFIX + "copy.txt", DataType="text"))["Body"]

init = await cos.multipart_init(**BR, Key=PREFIX + "mp.bin")
uid = init["UploadId"]
p1 = await cos.multipart_upload(**BR, Key=PREFIX + "mp.bin", UploadId=uid, PartNumber=1, Body=b"a" * (1024 * 1024))
p2 = await cos.multipartUpload(**BR, Key=PREFIX + "mp.bin", UploadId=uid, PartNumber=2, Body="tail")
o["parts"] = [p["PartNumber"] for p in (await cos.multipart_list_part(**BR, Key=PREFIX + "mp.bin", UploadId=uid))["Part"]]
o["uploads"] = [u["Key"] for u in (await cos.multipart_list(**BR, Prefix=PREFIX))["Upload"]]
done = await cos.multipart_complete(**BR, Key=PREFIX + "mp.bin", UploadId=uid,
                                    Parts=[{"PartNumber": 1, "ETag": p1["ETag"]}, {"PartNumber": 2, "ETag": p2["ETag"]}])
o["complete"] = done["ETag"]
o["mpSize"] = (await cos.head_object(**BR, Key=PREFIX + "mp.bin"))["headers"]["content-length"]
init2 = await cos.multipartInit(**BR, Key=PREFIX + "abort.bin")
o["abort"] = (await cos.multipart_abort(**BR, Key=PREFIX + "abort.bin", UploadId=init2["UploadId"]))["statusCode"]

opts = await cos.options_object(**BR, Key=PREFIX + "a.txt", Origin="http://example.com",
                                AccessControlRequestMethod="PUT", AccessControlRequestHeaders="content-type")
o["options"] = [opts["statusCode"], opts["headers"].get("access-control-allow-origin")]

url = cos.get_object_url(**BR, Key=PREFIX + "a.txt", Sign=True)
fetched = await js.fetch(url)
o["objectUrl"] = [fetched.status, await fetched.text()]

deleted = await cos.delete_multiple_object(**BR, Objects=[{"Key": PREFIX + "copy.txt"}, {"Key": PREFIX + "mp.bin"}])
o["deletedMany"] = sorted(d["Key"] for d in deleted["Deleted"])
o["delete"] = (await cos.delete_object(**BR, Key=PREFIX + "a.txt"))["statusCode"]
o["gone"] = await fails(cos.head_object(**BR, Key=PREFIX + "a.txt"))
await cos.delete_object(**BR, Key=PREFIX + "blob.bin")
o["deleteBucket"] = (await cos.delete_bucket(**OWN))["statusCode"]
o
""",
        transport,
        PREFIX=prefix,
        OWN_BUCKET=own,
    )
    assert out["transport"] == TRANSPORTS[transport]
    assert out["putBucket"] == 200 and out["headBucket"] == 200
    assert out["headMissingBucket"]["statusCode"] == 404  # no CORS in Node: the answer is readable
    assert out["location"] == "ap-guangzhou"
    assert out["bucketAcl"] == "public-read"
    assert out["cors"][0]["AllowedOrigins"] == ["http://example.com"] and out["cors"][0]["ExposeHeaders"] == ["ETag"]
    assert out["corsGone"] == []
    body = "hello 腾讯".encode()
    assert out["put"] == [200, f'"{hashlib.md5(body).hexdigest()}"']
    assert out["putProgress"]["loaded"] == len(body) and out["putProgress"]["percent"] == 1
    assert out["head"] == str(len(body))
    assert out["get"] == out["getText"] == out["copied"] == "hello 腾讯"
    assert out["getBlob"] == [len(body), "hello 腾讯"] and out["getArrayBuffer"] == len(body)
    assert out["range"] == b"hello"
    assert out["missing"]["code"] == "NoSuchKey" and out["missing"]["statusCode"] == 404
    assert out["blobBody"] == 200
    assert out["bucket"] == [prefix + "a.txt", prefix + "blob.bin"]
    assert out["objectAcl"] == "public-read"
    assert out["copy"] == 200
    assert out["parts"] == ["1", "2"] and out["uploads"] == [prefix + "mp.bin"]
    assert out["complete"].endswith('-2"') and out["mpSize"] == str(1024 * 1024 + 4)
    assert out["abort"] == 204
    assert out["objectUrl"] == [200, "hello 腾讯"]
    # Node sends the Origin a page may not set: the preflight answer a browser never shows
    assert out["options"][0] == 200 and out["options"][1] in ("*", "http://example.com")
    assert out["deletedMany"] == [prefix + "copy.txt", prefix + "mp.bin"]
    assert out["delete"] in (200, 204) and out["gone"]["statusCode"] == 404
    assert out["deleteBucket"] in (200, 204)


@pytest.mark.parametrize("transport", ["auto", "pyfetch"])
@pytest.mark.parametrize("kind", ["blob", "bytes"])
def test_slice_upload(run, transport, kind):
    key = f"node/{transport}/{uuid.uuid4().hex[:8]}/slices.bin"
    size = 2 * 1024 * 1024 + 12345
    out = run(
        """
import hashlib, js
from pyodide.ffi import to_js
data = bytes(range(256)) * (SIZE // 256) + b"z" * (SIZE % 256)
body = js.Blob.new([to_js(data)]) if KIND == "blob" else data
events = []
done = await cos.slice_upload_file(**BR, Key=KEY, Body=body, ChunkSize=1024 * 1024, onProgress=lambda p: events.append(p))
back = (await cos.get_object(**BR, Key=KEY))["Body"]
[done["ETag"], hashlib.md5(back).hexdigest() == hashlib.md5(data).hexdigest(), len(back), events]
""",
        transport,
        KEY=key,
        SIZE=size,
        KIND=kind,
    )
    etag, same, length, events = out
    assert etag.endswith('-3"') and same and length == size
    loaded = [e["loaded"] for e in events]
    assert loaded == sorted(loaded), "progress never goes back"
    assert events[-1]["loaded"] == events[-1]["total"] == size and events[-1]["percent"] == 1


def test_fetch_reports_download_progress_from_the_stream(run, cos_server):
    """The fetch transport reads the body stream itself: several (loaded, total) events, the
    last one the whole body; pyfetch reports the whole body once."""
    key = f"node/progress/{uuid.uuid4().hex[:8]}.bin"
    out = run(
        """
from cos_web.transport import FetchTransport, PyfetchTransport, Request
await cos.put_object(**BR, Key=KEY, Body=b"p" * SIZE)
url = cos.get_object_url(**BR, Key=KEY, Sign=True)
seen = {}
for t in (FetchTransport(), PyfetchTransport()):
    events = []
    r = await t.send(Request("GET", url, response_type="bytes", on_download_progress=lambda l, n: events.append([l, n])))
    seen[type(t).__name__] = [r.status, len(r.body), events]
seen
""",
        KEY=key,
        SIZE=3 * 1024 * 1024,
    )
    size = 3 * 1024 * 1024
    status, length, events = out["FetchTransport"]
    assert status == 200 and length == size
    assert len(events) >= 2 and events[-1] == [size, size]
    assert [e[0] for e in events] == sorted(e[0] for e in events) and all(e[1] == size for e in events)
    assert out["PyfetchTransport"] == [200, size, [[size, size]]]


def test_network_error(run):
    out = run(
        """
bad = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain="http://127.0.0.1:9")
pyf = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain="http://127.0.0.1:9", Transport="pyfetch")
[await fails(bad.head_bucket(**BR)), await fails(pyf.head_bucket(**BR))]
"""
    )
    for err in out:
        assert err["code"] == "NetworkError" and err["statusCode"] is None


@pytest.mark.parametrize(("transport", "pieces"), [("fetch", 5), ("pyfetch", 1)])
def test_upload_progress(run, transport, pieces):
    """Node's fetch takes a streamed body (Content-Length kept): fetch reports each 256 KiB
    piece as Node takes it; pyfetch sends the body whole and reports it once, at the end."""
    size = 4 * 256 * 1024 + 5
    out = run(
        """
import js
from pyodide.ffi import to_js
from cos_web.transport import Request
from cos_web.transport_choice import make_transport
types = []
for body in (b"u" * SIZE, js.Blob.new([to_js(b"u" * SIZE)], to_js({"type": "image/png"}, dict_converter=js.Object.fromEntries))):
    sent = []
    url = cos.get_object_url(**BR, Key=KEY, Sign=True, Method="PUT")
    r = await make_transport(TRANSPORT).send(Request("PUT", url, body=body, on_upload_progress=lambda l, n: sent.append([l, n])))
    assert r.status == 200, r.status
    head = await cos.head_object(**BR, Key=KEY)
    assert head["headers"]["content-length"] == str(SIZE), head["headers"]
    types.append(head["headers"].get("content-type"))
# a streamed Blob keeps the Content-Type fetch takes from a Blob body
assert types[1] == "image/png", types
sent
""",
        transport,
        KEY=f"node/sent/{uuid.uuid4().hex[:8]}.bin",
        SIZE=size,
    )
    assert len(out) == pieces and out[-1] == [size, size]
    assert [e[0] for e in out] == sorted(e[0] for e in out) and all(e[1] == size for e in out)


def test_cancelling_a_request_aborts_the_fetch(run):
    """Cancelled from its first download-progress event, a fetch stops reading (AbortController):
    the task ends cancelled long before the body is in, and the interpreter keeps working."""
    key = f"node/cancel/{uuid.uuid4().hex[:8]}.bin"
    out = run(
        """
import asyncio
from cos_web.transport import FetchTransport, Request
await cos.put_object(**BR, Key=KEY, Body=b"c" * SIZE)
url = cos.get_object_url(**BR, Key=KEY, Sign=True)
events = []

def first_chunk(loaded, total):
    events.append(loaded)
    task.cancel()

task = asyncio.ensure_future(FetchTransport().send(Request("GET", url, response_type="bytes", on_download_progress=first_chunk)))
try:
    await task
    state = "finished"
except asyncio.CancelledError:
    state = "cancelled"
[state, max(events), (await cos.head_bucket(**BR))["statusCode"]]
""",
        KEY=key,
        SIZE=32 * 1024 * 1024,
    )
    state, loaded, status = out
    assert state == "cancelled" and loaded < 32 * 1024 * 1024 and status == 200


def test_page_error_carries_the_traceback(node_py):
    with pytest.raises(PageError, match="ZeroDivisionError"):
        node_py.run("1 / 0")


@pytest.mark.parametrize("transport", ["auto", "pyfetch"])
def test_slice_upload_rides_out_a_connection_reset_mid_part(run, cos_faults, transport):
    """The server resets the connection after 300 KiB of part 2's body (a real RST through
    Node's socket): the part fails as a network error, is sent again with a fresh body stream,
    and the upload completes intact with progress that never goes back."""
    key = f"node/reset/{transport}/{uuid.uuid4().hex[:8]}.bin"
    cos_faults.add(f"op=part part=2 nth=1 prefix={key} action=reset:300k")
    size = 2 * 1024 * 1024 + 777
    etag, same, events = run(
        """
import hashlib, js
from pyodide.ffi import to_js
data = bytes(range(251)) * (SIZE // 251) + b"r" * (SIZE % 251)
events = []
done = await cos.slice_upload_file(**BR, Key=KEY, Body=js.Blob.new([to_js(data)]), ChunkSize=1024 * 1024,
                                   onProgress=lambda p: events.append(p))
back = (await cos.get_object(**BR, Key=KEY))["Body"]
[done["ETag"], hashlib.md5(back).digest() == hashlib.md5(data).digest(), events]
""",
        transport,
        KEY=key,
        SIZE=size,
    )
    fired = [entry for entry in cos_faults.log() if entry.get("key") == key]
    assert [(f["action"], f["part"]) for f in fired] == [("reset:300k", 2)]
    assert etag.endswith('-3"') and same
    loaded = [e["loaded"] for e in events]
    assert loaded == sorted(loaded) and events[-1]["loaded"] == size and events[-1]["percent"] == 1


def test_fast_path_checked_and_switchable_under_node(run):
    """Node's Pyodide runs the same WebLoop as a page: the internals check passes, and with the
    fast path off (plain asyncio) calls and a slice upload behave the same."""
    key = f"node/plain/{uuid.uuid4().hex[:8]}.bin"
    problems, etag, same, last = run(
        """
from cos_web import _fastpath
problems = _fastpath.check_internals()
was_on = _fastpath.enabled()
_fastpath.set_enabled(False)
events = []
try:
    data = b"plain asyncio " * 100000
    done = await cos.slice_upload_file(**BR, Key=KEY, Body=data, ChunkSize=1024 * 1024, onProgress=lambda p: events.append(p))
    back = (await cos.get_object(**BR, Key=KEY))["Body"]
finally:
    _fastpath.set_enabled(was_on)
[problems, done["ETag"], back == data, events[-1]]
""",
        KEY=key,
    )
    assert problems == []
    assert etag.endswith('-2"') and same and last["percent"] == 1
