"""``cos.request`` (the generic signed request): cos_web and cos-js-sdk-v5 in one Chromium page
against the local server, results compared field by field (the parity fixture of test_js_parity)."""

from __future__ import annotations

import pytest

from .test_js_parity import parity  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser

def test_request_matches_the_js_sdk(parity):  # noqa: F811
    parity(
        [
            ("put", "request", {"Method": "PUT", "Key": "{P}/r.txt", "Body": "hello request", "ContentType": "text/plain",
                                "x-cos-meta-who": "both"}),
            ("head", "request", {"Method": "HEAD", "Key": "{P}/r.txt"}),
            ("raw", "request", {"Method": "GET", "Key": "{P}/r.txt", "RawBody": True}),
            ("acl", "request", {"Method": "PUT", "Key": "{P}/r.txt", "Action": "acl", "Headers": {"x-cos-acl": "public-read"}}),
            ("acls", "request", {"Method": "GET", "Key": "{P}/r.txt", "Action": "acl"}),
            ("list", "request", {"Method": "GET", "Query": {"prefix": "{P}/", "max-keys": "5"}}),
            ("missing", "request", {"Method": "GET", "Key": "{P}/none", "Action": "acl"}),
            ("delete", "request", {"Method": "DELETE", "Key": "{P}/r.txt"}),
        ],
        errors={"missing": "NoSuchKey"},
    )  # fmt: skip
