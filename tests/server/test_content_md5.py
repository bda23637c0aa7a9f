"""The server checks Content-MD5 on every body it stores: PutObject (test_security) and UploadPart;
a mismatch is BadDigest and stores nothing (what UploadCheckContentMd5 relies on)."""

from __future__ import annotations

import base64
import hashlib


def _md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def test_upload_part_checks_content_md5(raw, key):
    init = raw.request("POST", key, query={"uploads": ""})
    assert init.status == 200
    upload_id = init.xml_text("UploadId")
    part = {"partNumber": "1", "uploadId": upload_id}
    bad = raw.request("PUT", key, query=part, body=b"part one", headers={"Content-MD5": _md5_b64(b"part two")})
    assert (bad.status, bad.xml_text("Code")) == (400, "BadDigest")
    listed = raw.request("GET", key, query={"uploadId": upload_id})
    assert listed.status == 200 and "<Part>" not in listed.text  # the refused part is not kept
    good = raw.request("PUT", key, query=part, body=b"part one", headers={"Content-MD5": _md5_b64(b"part one")})
    assert good.status == 200 and good.headers["etag"].strip('"') == hashlib.md5(b"part one").hexdigest()
    malformed = raw.request("PUT", key, query=part, body=b"x", headers={"Content-MD5": "not base64!"})
    assert malformed.xml_text("Code") == "InvalidDigest"
    assert raw.request("DELETE", key, query={"uploadId": upload_id}).status == 204
