"""Faults injected by the local server cross Chromium's network stack: cos_web in the page
sees the server's 503 as a CosError (code, status, request id from the server's answer,
CORS headers and all) and a connection reset as a NetworkError."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.browser

PRELUDE = """
from cos_web import COS, CosError
cos = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=DOMAIN)

async def put(key):
    try:
        await cos.put_object(Bucket=BUCKET, Region=REGION, Key=key, Body=b"fault test")
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
