"""Faults injected by the local server cross Chromium's network stack: cos_web in the page
sees the server's 503 as a CosError (code, status, request id from the server's answer,
CORS headers and all), a connection reset as a NetworkError, a failed fsync as a 500 that
changed nothing; the server's TTL sweep aborts an upload the page abandoned."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.browser

PRELUDE = """
from cos_web import COS, CosError
cos = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=DOMAIN)

async def put(key, body=b"fault test"):
    try:
        await cos.put_object(Bucket=BUCKET, Region=REGION, Key=key, Body=body)
    except CosError as e:
        return {"code": e.code, "statusCode": e.statusCode, "requestId": e.requestId}
    return "stored"
"""


def test_server_faults_reach_the_page(harness, cos_vars, cos_faults):
    base = f"faults-wire/{uuid.uuid4().hex[:8]}"
    cos_faults.add(f"op=put prefix={base}/503/ action=status:503; op=put prefix={base}/reset/ action=reset")
    unavailable, reset, fine = harness.run(
        PRELUDE + "[await put(f'{base}/503/a'), await put(f'{base}/reset/a'), await put(f'{base}/ok/a')]",
        base=base, **cos_vars)
    fired = cos_faults.log()
    assert unavailable["code"] == "ServiceUnavailable" and unavailable["statusCode"] == 503
    assert unavailable["requestId"] in [f["request_id"] for f in fired if f["action"] == "status:503"]
    assert reset["code"] == "NetworkError" and reset["statusCode"] is None
    assert any(f["action"] == "reset" and f["key"] == f"{base}/reset/a" for f in fired)
    assert fine == "stored"


def test_fsync_failure_reaches_the_page_and_keeps_the_object(harness, cos_vars, cos_faults):
    key = f"faults-wire/{uuid.uuid4().hex[:8]}/fsync"
    assert harness.run(PRELUDE + "await put(key)", key=key, **cos_vars) == "stored"
    cos_faults.add(f"op=put key={key} action=fsync:eio")
    failed = harness.run(PRELUDE + "await put(key, b'version 2')", key=key, **cos_vars)
    cos_faults.clear()
    body = harness.run(PRELUDE + "bytes((await cos.get_object(Bucket=BUCKET, Region=REGION, Key=key))['Body'])",
                       key=key, **cos_vars)
    assert failed["code"] == "InternalError" and failed["statusCode"] == 500
    assert body == b"fault test"


@pytest.fixture(scope="module")
def short_ttl_server(tmp_path_factory):
    from tests.conftest import CosServer

    server = CosServer(data_dir=tmp_path_factory.mktemp("cos-ttl-data"), extra_args=["--multipart-ttl", "1"]).start()
    yield server
    server.stop()


def test_the_ttl_sweep_aborts_an_abandoned_upload(harness, short_ttl_server):
    key = f"ttl/{uuid.uuid4().hex[:8]}"
    out = harness.run(
        """
import asyncio
from cos_web import COS, CosError
cos = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=DOMAIN)
BR = {"Bucket": BUCKET, "Region": REGION}
upload_id = (await cos.multipart_init(**BR, Key=key))["UploadId"]
listed = lambda data: [u["UploadId"] for u in data.get("Upload", [])]
seen = listed(await cos.multipart_list(**BR, Prefix=key))
for _ in range(400):  # the server sweeps every 0.25 s; give up after ~20 s
    if upload_id not in listed(await cos.multipart_list(**BR, Prefix=key)):
        break
    await asyncio.sleep(0.05)
try:
    await cos.multipart_upload(**BR, Key=key, UploadId=upload_id, PartNumber=1, Body=b"late")
    late = None
except CosError as e:
    late = e.code
[upload_id in seen, upload_id in listed(await cos.multipart_list(**BR, Prefix=key)), late]
""",
        key=key, **short_ttl_server.vars)
    assert out == [True, False, "NoSuchUpload"]
