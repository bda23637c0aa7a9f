"""Property-based requests against the local COS server (hypothesis).

Generated methods, keys (control characters, long, Unicode forms), query strings and
header values (odd digits, huge numbers, CR/LF) and XML bodies, signed or not. For
every one: never a 5xx, every error a COS ``<Error>`` document, every XML answer
well-formed, nothing logged as an error (no traceback), and an unauthorized request
changes no stored data.

The normal run is bounded and deterministic (``COS_FUZZ_EXAMPLES``, default 60 per
test); ``-m slow`` runs the same properties with many more random examples.
"""

from __future__ import annotations

import logging
import os
import socket
import unicodedata
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cos_web.auth import build_authorization
from cos_web.server import start_in_thread

from .conftest import BUCKET, REGION, SECRET_ID, SECRET_KEY

EXAMPLES = int(os.environ.get("COS_FUZZ_EXAMPLES", "60"))
SLOW_EXAMPLES = int(os.environ.get("COS_FUZZ_SLOW_EXAMPLES", "1500"))
PUBLIC = "fuzzpublic-1250000000"  # public-read-write: anonymous writes are allowed there
NORMAL = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
# The long run explores new random examples each time on a developer's machine; under CI (CI=true) it
# is derandomized, so a submission's CI result does not depend on the draw.
LONG = settings(max_examples=SLOW_EXAMPLES, deadline=None, database=None, derandomize=bool(os.environ.get("CI")),
                suppress_health_check=list(HealthCheck))


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    data = tmp_path_factory.mktemp("fuzz")
    srv = start_in_thread(port=0, data_dir=str(data), secret_id=SECRET_ID, secret_key=SECRET_KEY,
                          buckets=[BUCKET], region=REGION, quiet=True, durable=False, body_timeout=5)
    srv.state.storage.create_bucket(PUBLIC, REGION, {"canned": "public-read-write", "grants": []})
    collect = Collect()
    loggers = [logging.getLogger(name) for name in ("cos_web.server", "aiohttp.server", "aiohttp.web", "asyncio")]
    for logger in loggers:
        logger.addHandler(collect)
    srv.log = collect  # type: ignore[attr-defined]
    yield srv
    for logger in loggers:
        logger.removeHandler(collect)
    srv.stop()


# ---------------------------------------------------------------- strategies
ODD_CHARS = st.sampled_from(
    ["\x00", "\x01", "\x08", "\t", "\n", "\r", "\x0b", "\x18", "\x1b", "\x7f", "\x85", "\u00a0", "\u0661", "\u0966",
     "\uff11", "\u2028", "\ufeff", "\ufffe", "\uffff", "\U0010ffff", "\U0001f600", "e\u0301", "\u00e9", "/", "\\",
     "..", ".", "%", "+", "&", "=", "?", "#", ";", " ", "<", ">", "\"", "'", "]]>", "&amp;"])
TEXT = st.lists(st.one_of(ODD_CHARS, st.text(max_size=4)), max_size=8).map("".join)


def _forms(text: str) -> st.SearchStrategy[str]:
    return st.sampled_from([unicodedata.normalize(f, text) for f in ("NFC", "NFD", "NFKC", "NFKD")])


KEYS = st.one_of(
    TEXT,
    TEXT.flatmap(_forms),
    st.builds(lambda a, n: a * n, st.sampled_from(["k", "\u00e9", "/", "\U0001f600", "a/"]),
              st.integers(200, 900)),
    st.sampled_from(["a", "dir/", "dir/a", "../x", "/lead", "a//b", "a/./b"]),
)
NUMBERS = st.one_of(
    st.integers(-5, 12000).map(str),
    st.integers(0, 2**70).map(str),
    st.integers(20, 6000).map(lambda n: "9" * n),
    st.sampled_from(["", "0", "00", "1", " 1", "1 ", "+1", "-0", "1.0", "1e3", "0x10", "\u0661", "\u0967\u0968",
                     "\uff11\uff12", "\u00b2", "\u2167", "NaN", "inf"]),
)
PARAM_NAMES = st.sampled_from([
    "uploads", "uploadId", "uploadid", "UPLOADID", "partNumber", "partnumber", "max-keys", "prefix", "marker",
    "delimiter", "encoding-type", "response-content-type", "response-content-disposition", "response-expires",
    "response-cache-control", "acl", "cors", "delete", "location", "max-parts", "part-number-marker",
    "max-uploads", "key-marker", "upload-id-marker", "tagging", "append", "position", "versionId", "region",
    "sign", "q-signature", "q-sign-time", "q-ak", "x-cos-security-token",
])
PARAM_VALUES = st.one_of(NUMBERS, TEXT, st.just("url"), st.just(None))
QUERY = st.lists(st.tuples(st.one_of(PARAM_NAMES, TEXT), PARAM_VALUES), max_size=5)
HEADER_NAMES = st.sampled_from([
    "Range", "Content-MD5", "x-cos-content-sha1", "x-cos-copy-source", "x-cos-copy-source-range",
    "x-cos-copy-source-If-Match", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since",
    "x-cos-acl", "x-cos-grant-read", "x-cos-grant-full-control", "Content-Type", "Cache-Control", "Expires",
    "x-cos-meta-a", "x-cos-storage-class", "x-cos-metadata-directive", "Origin", "Access-Control-Request-Method",
    "Access-Control-Request-Headers", "x-cos-security-token", "Content-Disposition",
])
# What HTTP can carry in a header value: no CR, LF or NUL (those would end the header, not reach the server).
HEADER_VALUES = st.one_of(
    NUMBERS.map(lambda n: f"bytes={n}-"), NUMBERS.map(lambda n: f"bytes=0-{n}"), NUMBERS.map(lambda n: f"bytes=-{n}"),
    NUMBERS, TEXT, st.sampled_from(["*", "private", "public-read", 'id="qcs::cam::uin/1:uin/1"', "ARCHIVE",
                                    "Replaced", f"{BUCKET}.cos.{REGION}.localhost/a", "AAAA", "Thu, 01 Jan 1970"]),
).map(lambda v: "".join(c for c in v if c not in "\r\n\x00").strip())
HEADERS = st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=4)


def _xml(tag: str, children: list[str]) -> str:
    return f"<{tag}>{''.join(children)}</{tag}>"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


XML_TEXT = st.one_of(TEXT.map(_escape), NUMBERS.map(_escape), st.sampled_from(["&#1;", "&#xD;", "&#0;", "&bogus;"]))
DELETE_BODY = st.builds(
    lambda keys, quiet: _xml("Delete", [f"<Quiet>{quiet}</Quiet>"]
                             + [f"<Object><Key>{k}</Key></Object>" for k in keys]),
    st.lists(XML_TEXT, max_size=6), st.sampled_from(["true", "false", "x"]))
COMPLETE_BODY = st.builds(
    lambda parts: _xml("CompleteMultipartUpload", [f"<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>"
                                                   for n, e in parts]),
    st.lists(st.tuples(XML_TEXT, XML_TEXT), max_size=4))
CORS_BODY = st.builds(
    lambda o, m, h, a: _xml("CORSConfiguration", [_xml("CORSRule", [
        f"<AllowedOrigin>{o}</AllowedOrigin>", f"<AllowedMethod>{m}</AllowedMethod>",
        f"<AllowedHeader>{h}</AllowedHeader>", f"<MaxAgeSeconds>{a}</MaxAgeSeconds>"])]),
    XML_TEXT, st.sampled_from(["GET", "PUT", "get", "BREW", ""]), XML_TEXT, XML_TEXT)
ACL_BODY = st.builds(
    lambda i, p: _xml("AccessControlPolicy", [_xml("Owner", [f"<ID>{i}</ID>"]), _xml("AccessControlList", [
        f'<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">'
        f"<ID>{i}</ID></Grantee><Permission>{p}</Permission></Grant>"])]),
    XML_TEXT, st.sampled_from(["READ", "WRITE", "FULL_CONTROL", "NOPE"]))
BODIES = st.one_of(
    st.just(b""), st.binary(max_size=64),
    st.one_of(DELETE_BODY, COMPLETE_BODY, CORS_BODY, ACL_BODY).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"<Delete>", b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><Delete/>", b"\xff\xfe<"]),
)
METHODS = st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH"])


@st.composite
def requests(draw, signed: bool | None = None):
    method = draw(METHODS)
    bucket = draw(st.sampled_from([BUCKET, BUCKET, PUBLIC, None, "missing-1250000000", "Bad_Name-1", "x-\u0661"]))
    key = draw(st.one_of(st.just(""), KEYS))
    query = draw(QUERY)
    headers = draw(HEADERS)
    body = draw(BODIES)
    sign = draw(st.booleans()) if signed is None else signed
    return method, bucket, key, query, headers, body, sign


# ---------------------------------------------------------------- sending
def _encode_query(query: list[tuple[str, str | None]]) -> str:
    return "&".join(quote(n, safe="-_.~") + ("" if v is None else "=" + quote(v, safe="-_.~")) for n, v in query)


def send(srv, method, bucket, key, query, headers, body, sign, secret_key=SECRET_KEY) -> tuple[int, dict, bytes]:
    """One request over a raw socket (header values as UTF-8, anything http.client would refuse to send)."""
    host = f"{bucket}.cos.{REGION}.localhost:{srv.port}" if bucket else f"127.0.0.1:{srv.port}"
    headers = {"Host": host, **headers}
    key = key.encode("utf-8", "replace").decode("utf-8")
    if sign:
        signed_query = {}
        for name, value in query:
            signed_query.setdefault(name, "" if value is None else value)
        headers["Authorization"] = build_authorization(
            SecretId=SECRET_ID, SecretKey=secret_key, Method=method, Key=key, Query=signed_query,
            Headers={"Host": host}, UseRawKey=True)
    path = "/" + quote(key, safe="/-_.~")
    if query:
        path += "?" + _encode_query(query)
    head = [f"{method} {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    head += [f"Content-Length: {len(body)}", "Connection: close"]
    raw = ("\r\n".join(head) + "\r\n\r\n").encode("utf-8") + body
    with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as sock:
        sock.sendall(raw)
        data = b""
        while chunk := sock.recv(1 << 16):
            data += chunk
    head_bytes, _, payload = data.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    answer_headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        answer_headers[name.strip().lower()] = value.strip()
    return status, answer_headers, payload


def snapshot(srv) -> tuple:
    """Everything a request could change: buckets with their ACL and CORS, objects, uploads."""
    storage = srv.state.storage
    buckets = [(b.name, b.region, repr(b.acl), repr(b.cors)) for b in storage.list_buckets()]
    objects, uploads = [], []
    for name, *_ in buckets:
        marker = ""
        while True:
            contents, _, truncated, next_marker = storage.list_objects(name, "", "", marker, 1000)
            objects += [(name, o.key, o.etag, repr(o.meta.acl), o.meta.content_type) for o in contents]
            if not truncated or not next_marker:
                break
            marker = next_marker
        found, _, _, _, _ = storage.list_uploads(name, max_uploads=1000)
        uploads += [(name, u.key, u.upload_id) for u in found]
    return buckets, objects, uploads


def check_answer(srv, request, status: int, headers: dict, payload: bytes) -> None:
    method, headers_sent = request[0], request[4]
    assert status in (200, 204, 206, 304) or 400 <= status <= 416 or status == 501, (status, request, payload[:300])
    not_http = any(c < " " and c != "\t" or c == "\x7f" for v in headers_sent.values() for c in v)
    is_xml = headers.get("content-type", "").startswith("application/xml")
    if not_http:
        # Not valid HTTP (a control character in a header): aiohttp's own plain 400, logged as one info line.
        assert status == 400
    elif status >= 400 and method != "HEAD":
        assert is_xml, (status, headers, payload[:200])
        root = ET.fromstring(payload)
        assert root.tag == "Error" and root.findtext("Code"), payload[:300]
    if is_xml and payload and method != "HEAD":
        ET.fromstring(payload)  # well-formed, whatever the keys and parameters held
    bad = [r for r in srv.log.records if r.levelno >= logging.ERROR or r.exc_info]
    srv.log.records.clear()
    assert not bad, [r.getMessage() for r in bad]


# ---------------------------------------------------------------- properties
def _any_request(srv, request) -> None:
    status, headers, payload = send(srv, *request)
    check_answer(srv, request, status, headers, payload)


def _unauthorized_request(srv, request, wrong_key: bool) -> None:
    method, bucket, key, query, headers, body, _ = request
    if bucket == PUBLIC and method in ("PUT", "POST", "DELETE"):
        bucket = BUCKET  # anonymous writes there are allowed by its ACL
    request = (method, bucket, key, query, headers, body, wrong_key)
    before = snapshot(srv)
    status, answer_headers, payload = send(srv, *request, secret_key="not-the-key")
    check_answer(srv, request, status, answer_headers, payload)
    assert snapshot(srv) == before, (request, status, payload[:300])


@NORMAL
@given(request=requests())
def test_any_request_gets_a_cos_answer(fuzz_server, request):
    _any_request(fuzz_server, request)


@NORMAL
@given(request=requests(signed=False), wrong_key=st.booleans())
def test_unauthorized_requests_change_nothing(fuzz_server, request, wrong_key):
    _unauthorized_request(fuzz_server, request, wrong_key)


@NORMAL
@given(key=KEYS, query=QUERY, body=st.one_of(COMPLETE_BODY, DELETE_BODY).map(str.encode))
def test_multipart_and_delete_bodies(fuzz_server, key, query, body):
    """The XML paths with a real upload behind them (so PartNumber/ETag checks are reached)."""
    key = key.encode("utf-8", "replace").decode("utf-8") or "k"
    status, _, payload = send(fuzz_server, "POST", BUCKET, key, [("uploads", None)], {}, b"", True)
    if status == 200:
        upload_id = ET.fromstring(payload).findtext("UploadId")
        request = ("PUT", BUCKET, key, [("uploadId", upload_id), ("partNumber", "1")], {}, b"part", True)
        check_answer(fuzz_server, request, *send(fuzz_server, *request))
        request = ("POST", BUCKET, key, [("uploadId", upload_id)] + query[:1], {}, body, True)
        check_answer(fuzz_server, request, *send(fuzz_server, *request))
    request = ("POST", BUCKET, "", [("delete", None)], {}, body, True)
    check_answer(fuzz_server, request, *send(fuzz_server, *request))


@pytest.mark.slow
@LONG
@given(request=requests())
def test_any_request_gets_a_cos_answer_long(fuzz_server, request):
    _any_request(fuzz_server, request)


@pytest.mark.slow
@LONG
@given(request=requests(signed=False), wrong_key=st.booleans())
def test_unauthorized_requests_change_nothing_long(fuzz_server, request, wrong_key):
    _unauthorized_request(fuzz_server, request, wrong_key)
