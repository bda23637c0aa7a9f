"""Odd input answered with COS's 4xx, never a 500: parameters read exactly as signed, ASCII-only
bounded numbers, control characters in keys and response headers, digests, key-time windows.

Each test here failed on the server before the hardening (issue 13)."""

from __future__ import annotations

import hashlib
import socket
import time
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest

from cos_web.auth import build_authorization, canonical_pairs, format_string, signature

from .conftest import BUCKET, REGION, SECRET_ID, SECRET_KEY

HUGE = "9" * 5000
ARABIC_ONE = "\u0661"  # '١': str.isdigit() and int() accept it


def put(raw, key, body=b"x", **kw):
    reply = raw.request("PUT", key, body=body, **kw)
    assert reply.status == 200, reply.text
    return reply


def code(reply) -> tuple[int, str | None]:
    return reply.status, reply.xml_text("Code")


def initiate(raw, key) -> str:
    reply = raw.request("POST", key, query={"uploads": None})
    assert reply.status == 200, reply.text
    return reply.xml_text("UploadId")


def signed_path(raw, method: str, key: str, signed: dict, sent: str) -> tuple[str, dict]:
    """A path whose query is ``sent`` (raw), with an Authorization that signed only ``signed``."""
    headers = {"Host": raw.host()}
    auth = build_authorization(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Method=method, Key=key, Query=signed,
                               Headers=headers)
    return f"/{quote(key)}?{sent}", {**headers, "Authorization": auth}


# ---------------------------------------------------------------- one canonical view of the parameters
def test_parameters_that_differ_only_by_case_are_refused(raw, key):
    a, b = initiate(raw, key), initiate(raw, key)
    path, headers = signed_path(raw, "PUT", key, {"uploadId": a, "partNumber": "1"},
                                f"uploadid={a}&partnumber=1&uploadId={b}&partNumber=7")
    reply = raw.request("PUT", raw_path=path, headers=headers, body=b"smuggled", sign=False)
    assert code(reply) == (400, "InvalidArgument"), reply.text
    for upload in (a, b):
        assert raw.request("GET", key, query={"uploadId": upload}).xml_text("Part") is None
    # a plain repeat is refused the same way
    path, headers = signed_path(raw, "PUT", key, {"uploadId": a, "partNumber": "1"},
                                f"uploadId={a}&partNumber=1&partNumber=2")
    assert code(raw.request("PUT", raw_path=path, headers=headers, body=b"x", sign=False)) == (400, "InvalidArgument")


def test_handlers_read_the_parameters_the_signature_covered(raw, key):
    """Lower-case names (as the signature lists them) reach the same upload and part."""
    a = initiate(raw, key)
    path, headers = signed_path(raw, "PUT", key, {"uploadid": a, "partnumber": "3"}, f"uploadid={a}&partnumber=3")
    assert raw.request("PUT", raw_path=path, headers=headers, body=b"p3", sign=False).status == 200
    listing = raw.request("GET", key, query={"uploadId": a})
    assert listing.xml_text("PartNumber") == "3"


# ---------------------------------------------------------------- ASCII digits, bounded numbers
@pytest.mark.parametrize("value", [ARABIC_ONE + "0", HUGE, "-1", "+5", " 5", "1e3"])
def test_list_numbers_are_ascii_and_bounded(raw, key, value):
    put(raw, key)
    assert code(raw.request("GET", query={"max-keys": value})) == (400, "InvalidArgument")
    assert code(raw.request("GET", query={"uploads": None, "max-uploads": value})) == (400, "InvalidArgument")
    upload = initiate(raw, key)
    for name in ("max-parts", "part-number-marker"):
        assert code(raw.request("GET", key, query={"uploadId": upload, name: value})) == (400, "InvalidArgument")
    assert code(raw.request("GET", bucket=None, query={"max-keys": value})) == (400, "InvalidArgument")


def test_part_numbers_are_ascii_and_bounded(raw, key):
    upload = initiate(raw, key)
    for value in (ARABIC_ONE, HUGE, "10001", "0"):
        reply = raw.request("PUT", key, query={"uploadId": upload, "partNumber": value}, body=b"p")
        assert code(reply) == (400, "InvalidArgument"), value
    assert raw.request("PUT", key, query={"uploadId": upload, "partNumber": "1"}, body=b"p").status == 200
    etag = raw.request("GET", key, query={"uploadId": upload}).xml_text("ETag")
    for number in (ARABIC_ONE, HUGE, "-1", ""):
        body = f"<CompleteMultipartUpload><Part><PartNumber>{number}</PartNumber><ETag>{etag}</ETag></Part>" \
               "</CompleteMultipartUpload>"
        reply = raw.request("POST", key, query={"uploadId": upload}, body=body.encode())
        assert code(reply) == (400, "MalformedXML"), number


def test_range_numbers(raw, key):
    put(raw, key, b"0123456789")
    auth = build_authorization(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Method="GET", Key=key,
                               Headers={"Host": raw.host()})
    reply = raw.request("GET", key, sign=False,
                        headers={"Authorization": auth, "Range": f"bytes={ARABIC_ONE}-2".encode()})
    assert (reply.status, reply.body) == (200, b"0123456789")  # not a range we read: the whole object
    reply = raw.request("GET", key, headers={"Range": f"bytes={HUGE}-"})
    assert (reply.status, reply.headers.get("content-range")) == (416, "bytes */10")
    reply = raw.request("GET", key, headers={"Range": f"bytes=2-{HUGE}"})
    assert (reply.status, reply.body) == (206, b"23456789")
    reply = raw.request("GET", key, headers={"Range": f"bytes=-{HUGE}"})
    assert (reply.status, reply.body) == (206, b"0123456789")


def test_copy_source_range_numbers(raw, key):
    put(raw, key + ".src", b"0123456789")
    upload = initiate(raw, key)
    source = f"{raw.host(port=False)}/{key}.src"
    query = {"uploadId": upload, "partNumber": "1"}
    auth = build_authorization(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Method="PUT", Key=key, Query=query,
                               Headers={"Host": raw.host(), "x-cos-copy-source": source})  # a copy source must be signed
    for spec in (f"bytes=0-{HUGE}", f"bytes={ARABIC_ONE}-2", "bytes=5-2"):
        reply = raw.request("PUT", key, query=query, sign=False,
                            headers={"Authorization": auth, "x-cos-copy-source": source,
                                     "x-cos-copy-source-range": spec.encode()})
        assert code(reply) == (400, "InvalidArgument"), spec


def test_cors_max_age_and_control_characters(raw):
    def rule(extra: str) -> bytes:
        return (f"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
                f"{extra}</CORSRule></CORSConfiguration>").encode()

    for extra in (f"<MaxAgeSeconds>{ARABIC_ONE}</MaxAgeSeconds>", f"<MaxAgeSeconds>{HUGE}</MaxAgeSeconds>",
                  "<ExposeHeader>ETag&#13;&#10;Set-Cookie: a=b</ExposeHeader>",
                  "<AllowedHeader>x&#10;y</AllowedHeader>"):
        assert code(raw.request("PUT", query={"cors": None}, body=rule(extra))) == (400, "InvalidArgument"), extra
    assert raw.request("GET", "k", headers={"Origin": "http://a.test"}).status == 404  # the open rule still serves


# ---------------------------------------------------------------- signatures
def _query_auth(raw, key: str, signature_text: str) -> str:
    now = int(time.time())
    return (f"/{key}?q-sign-algorithm=sha1&q-ak={SECRET_ID}&q-sign-time={now - 10};{now + 600}"
            f"&q-key-time={now - 10};{now + 600}&q-header-list=&q-url-param-list=&q-signature={signature_text}")


def test_non_ascii_signature_is_403(raw, key):
    reply = raw.request("GET", raw_path=_query_auth(raw, key, "%C3%A9" * 20), sign=False)
    assert code(reply) == (403, "SignatureDoesNotMatch")
    reply = raw.request("GET", raw_path=_query_auth(raw, key, "%E2%82%AC"), sign=False)
    assert code(reply) == (403, "SignatureDoesNotMatch")


def test_non_ascii_token_is_refused(cos_local, raw, key):
    creds = cos_local.issue_temporary_credentials(600)
    path = _query_auth(raw, key, "0" * 40).replace(SECRET_ID, creds["SecretId"]) + "&x-cos-security-token=%C3%A9"
    assert code(raw.request("GET", raw_path=path, sign=False)) == (400, "InvalidToken")


def _signed_with_windows(raw, key: str, key_time: str, sign_time: str) -> str:
    host = raw.host()
    http_string = format_string("get", "/" + key, "", canonical_pairs([("host", host)]))
    sig = signature(SECRET_KEY, key_time, sign_time, http_string)
    return (f"q-sign-algorithm=sha1&q-ak={SECRET_ID}&q-sign-time={sign_time}&q-key-time={key_time}"
            f"&q-header-list=host&q-url-param-list=&q-signature={sig}")


def test_key_time_start_is_checked(raw, key):
    put(raw, key, b"kt")
    now = int(time.time())
    ok = _signed_with_windows(raw, key, f"{now - 60};{now + 600}", f"{now - 10};{now + 600}")
    assert raw.request("GET", key, headers={"Authorization": ok}, sign=False).body == b"kt"
    early = _signed_with_windows(raw, key, f"{now + 3600};{now + 7200}", f"{now - 10};{now + 600}")
    reply = raw.request("GET", key, headers={"Authorization": early}, sign=False)
    assert code(reply) == (403, "RequestTimeTooSkewed")
    within_skew = _signed_with_windows(raw, key, f"{now + 300};{now + 7200}", f"{now - 10};{now + 600}")
    assert raw.request("GET", key, headers={"Authorization": within_skew}, sign=False).status == 200
    for bad in (f"{now + 600};{now - 10}", f"{ARABIC_ONE};{now + 600}", f"{'9' * 40};{'9' * 40}"):
        auth = _signed_with_windows(raw, key, bad, bad).encode()
        reply = raw.request("GET", key, headers={"Authorization": auth}, sign=False)
        assert code(reply) == (403, "AccessDenied"), bad


# ---------------------------------------------------------------- digests
def test_content_sha1_is_verified(raw, key):
    good = hashlib.sha1(b"body").hexdigest()
    assert raw.request("PUT", key, body=b"body", headers={"x-cos-content-sha1": good.upper()}).status == 200
    bad = hashlib.sha1(b"other").hexdigest()
    assert code(raw.request("PUT", key, body=b"body2", headers={"x-cos-content-sha1": bad})) == (400, "BadDigest")
    reply = raw.request("PUT", key, body=b"body3", headers={"x-cos-content-sha1": "xyz"})
    assert code(reply) == (400, "InvalidDigest")
    upload = initiate(raw, key)
    reply = raw.request("PUT", key, query={"uploadId": upload, "partNumber": "1"}, body=b"part",
                        headers={"x-cos-content-sha1": bad})
    assert code(reply) == (400, "BadDigest")
    assert raw.request("GET", key).body == b"body"  # the refused PUTs changed nothing


# ---------------------------------------------------------------- keys, listings and response headers
@pytest.mark.parametrize("char", ["\x01", "\x08", "\x0b", "\x1f", "\ufffe"])
def test_keys_xml_cannot_carry_are_refused(raw, key, char):
    reply = raw.request("PUT", key + char)
    assert code(reply) == (400, "InvalidObjectName")
    reply = raw.request("POST", key + char, query={"uploads": None})
    assert code(reply) == (400, "InvalidObjectName")


def test_listing_round_trips_cr_tab_and_newline_keys(raw, key):
    names = [key + "/a\rb", key + "/c\nd", key + "/e\tf"]
    for name in names:
        put(raw, name)
    listing = raw.request("GET", query={"prefix": key + "/"})
    assert listing.status == 200
    root = ET.fromstring(listing.body)
    assert [c.findtext("Key") for c in root.findall("Contents")] == sorted(names)


def test_listing_echoes_of_odd_parameters_stay_well_formed(raw):
    for query in ({"prefix": "a\x01"}, {"marker": "\x02"}, {"delimiter": "\x03"}):
        reply = raw.request("GET", query=query)
        assert reply.status == 200
        ET.fromstring(reply.body)


@pytest.mark.parametrize("delimiter", ["\U0010ffff", "\ud7ff"])
def test_delimiter_and_marker_at_the_top_of_unicode(raw, key, delimiter):
    for name in (f"{key}/a{delimiter}b", f"{key}/a{delimiter}c", f"{key}/b"):
        put(raw, name)
    reply = raw.request("GET", query={"prefix": key + "/", "delimiter": delimiter})
    assert reply.status == 200, reply.text
    root = ET.fromstring(reply.body)
    assert [p.findtext("Prefix") for p in root.findall("CommonPrefixes")] == [f"{key}/a{delimiter}"]
    assert [c.findtext("Key") for c in root.findall("Contents")] == [f"{key}/b"]
    for marker in (delimiter, f"{key}/a{delimiter}", f"{key}/{delimiter}"):
        reply = raw.request("GET", query={"prefix": key + "/", "delimiter": delimiter, "marker": marker})
        assert reply.status == 200, (marker, reply.text)
    reply = raw.request("GET", query={"prefix": "\U0010ffff", "delimiter": "\U0010ffff", "marker": "\U0010ffff"})
    assert reply.status == 200


@pytest.mark.parametrize("name", ["response-content-type", "response-content-disposition", "response-expires",
                                  "response-cache-control", "response-content-language",
                                  "response-content-encoding"])
@pytest.mark.parametrize("value", ["text/plain\r\nSet-Cookie: a=b", "a\nb", "a\rb", "a\x00b"])
def test_response_overrides_with_control_characters(raw, key, name, value):
    put(raw, key)
    assert code(raw.request("GET", key, query={name: value})) == (400, "InvalidArgument")


# ---------------------------------------------------------------- bucket names
def _raw_bytes(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_bucket_names_take_ascii_digits_only(raw):
    name = "digits-" + "\u0661\u0662\u0663"
    host = f"{name}.cos.{REGION}.localhost:{raw.port}"
    auth = build_authorization(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Method="PUT", Key="",
                               Headers={"Host": host})
    request = (f"PUT / HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}\r\nContent-Length: 0\r\n"
               f"Connection: close\r\n\r\n").encode("utf-8")
    answer = _raw_bytes(raw.port, request)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b"<Code>InvalidBucketName</Code>" in answer
    assert f"<Name>{name}</Name>" not in raw.request("GET", bucket=None).text
    assert BUCKET in raw.request("GET", bucket=None).text
