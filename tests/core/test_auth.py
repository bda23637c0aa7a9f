"""Signing against published vectors (cos-protocol.md §2) — plain CPython, no browser."""

from cos_web.auth import build_authorization, camsafe_encode, parse_authorization

SAMPLE = dict(
    SecretId="AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q",
    SecretKey="BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz",
    KeyTime="1557989151;1557996351",
)
UPLOAD_HEADERS = {
    "Host": "examplebucket-1250000000.cos.ap-beijing.myqcloud.com",
    "Content-Type": "text/plain",
    "Content-Length": 13,
    "Content-MD5": "mQ/fVh815F3k6TAUm8m0eg==",
    "x-cos-acl": "private",
    "x-cos-grant-read": 'uin="100000000011"',
}


def test_js_sdk_vector_upload():
    auth = build_authorization(**SAMPLE, Method="PUT", Key="exampleobject(腾讯云)", Headers=UPLOAD_HEADERS)
    fields = parse_authorization(auth)
    # cos-js-sdk-v5 leaves content-type out of the signature
    assert fields["q-header-list"] == "content-length;content-md5;host;x-cos-acl;x-cos-grant-read"
    assert fields["q-signature"] == "65788349a05a472789af1637995918716f64cc20"
    assert fields["q-sign-time"] == fields["q-key-time"] == SAMPLE["KeyTime"]


def test_encoding_keeps_only_unreserved():
    assert camsafe_encode("a b/腾!'()*~") == "a%20b%2F%E8%85%BE%21%27%28%29%2A~"


def test_default_window_is_900_seconds_from_now_minus_one():
    fields = parse_authorization(build_authorization(SecretId="a", SecretKey="b", now=1_700_000_000.4))
    assert fields["q-sign-time"] == "1699999999;1700000899"
