"""The server's pure pieces, as data: CRC-64, ranges, CORS matching, XML safety, query parsing."""

from __future__ import annotations

import os

import crcmod
import pytest

from cos_web.server import cors, crc64, xmlio
from cos_web.server.authz import parse_query
from cos_web.server.errors import CosServerError
from cos_web.server.transfer import guess_type, parse_range

reference = crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True)


def test_crc64_matches_crcmod_and_combines():
    a, b = os.urandom(5000), os.urandom(777)
    assert crc64.crc64(a) == reference(a)
    assert crc64.combine(reference(a), reference(b), len(b)) == reference(a + b)
    assert crc64.combine(reference(a), reference(b""), 0) == reference(a)


@pytest.mark.parametrize("impl", ["liblzma", "crcmod", "python"])
def test_crc64_every_implementation(impl):
    if impl == "liblzma" and crc64.IMPLEMENTATION != "liblzma":
        pytest.skip("liblzma not loadable here")
    data = os.urandom(3000)
    c = crc64.Crc64(impl)
    c.update(data[:1000])
    c.update(bytearray(data[1000:2000]))
    c.update(memoryview(data)[2000:])
    assert c.value == reference(data)


def test_crc64_combine_lengths():
    import random

    rng = random.Random(7)
    for _ in range(50):
        a, b = os.urandom(rng.randint(0, 2000)), os.urandom(rng.randint(0, 70000))
        assert crc64.combine(reference(a), reference(b), len(b)) == reference(a + b)


@pytest.mark.parametrize("header,size,expected", [
    ("bytes=0-4", 10, (0, 4)),
    ("bytes=8-100", 10, (8, 9)),
    ("bytes=7-", 10, (7, 9)),
    ("bytes=-3", 10, (7, 9)),
    ("bytes=-30", 10, (0, 9)),
    ("bytes=5-2", 10, None),
    ("bytes=0-1,4-5", 10, None),
    ("items=0-1", 10, None),
    ("bytes=abc", 10, None),
    (None, 10, None),
])
def test_parse_range(header, size, expected):
    assert parse_range(header, size) == expected


@pytest.mark.parametrize("header,size", [("bytes=10-", 10), ("bytes=10-20", 10), ("bytes=-0", 10), ("bytes=0-", 0)])
def test_unsatisfiable_range(header, size):
    with pytest.raises(CosServerError) as info:
        parse_range(header, size)
    assert info.value.code == "InvalidRange" and info.value.status == 416
    assert info.value.headers["Content-Range"] == f"bytes */{size}"


RULES = [
    {"AllowedOrigin": ["http://*.example.com"], "AllowedMethod": ["GET"], "AllowedHeader": ["x-cos-*"]},
    {"AllowedOrigin": ["https://app.test:8443"], "AllowedMethod": ["PUT", "GET"], "AllowedHeader": ["*"]},
]


@pytest.mark.parametrize("origin,method,headers,rule", [
    ("http://a.example.com", "GET", [], 0),
    ("http://a.b.example.com", "GET", ["X-Cos-Meta-A"], 0),
    ("https://a.example.com", "GET", [], None),
    ("http://a.example.com", "PUT", [], None),
    ("http://a.example.com", "GET", ["content-type"], None),
    ("https://app.test:8443", "PUT", ["content-type", "authorization"], 1),
    ("https://app.test", "PUT", [], None),
])
def test_cors_match(origin, method, headers, rule):
    found = cors.match(RULES, origin, method, headers)
    assert found is (RULES[rule] if rule is not None else None)


def test_xml_refuses_doctype_and_size():
    for body in (b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', b"<x>", b"not xml"):
        with pytest.raises(CosServerError) as info:
            xmlio.parse(body)
        assert info.value.code == "MalformedXML"
    with pytest.raises(CosServerError) as info:
        xmlio.parse(b"<x>" + b"a" * 100 + b"</x>", limit=50)
    assert info.value.code == "XMLSizeLimit"
    root = xmlio.parse(b'<a xmlns="http://www.qcloud.com/document/product/436/7751"><b:c xmlns:b="u">1</b:c></a>')
    assert root.tag == "a" and xmlio.text(root, "c") == "1"


def test_xml_render_escapes_and_declares():
    out = xmlio.render("R", [("ETag", '"abc"'), ("Skip", None), ("L", [("K", "a<b&c")]), ("T", True)])
    assert out == (b"<?xml version='1.0' encoding='utf-8' ?>\n"
                   b"<R><ETag>&quot;abc&quot;</ETag><L><K>a&lt;b&amp;c</K></L><T>true</T></R>")


def test_query_parsing_keeps_semicolons_and_plus():
    assert parse_query("q-sign-time=1;2&a=x+y&b=%2B&acl") == [("q-sign-time", "1;2"), ("a", "x y"), ("b", "+"),
                                                              ("acl", "")]


@pytest.mark.parametrize("key,ctype", [("a.zip", "application/zip"), ("x/y.JSON", "application/json"),
                                       ("p.png", "image/png"), ("noext", "application/octet-stream")])
def test_guess_type(key, ctype):
    assert guess_type(key) == ctype


def test_random_owner_keys_are_letters_and_digits(tmp_path):
    """A key a person copies onto a command line must not start with "-" (argparse reads it as an option:
    the STS CLI test failed now and then with a urlsafe key)."""
    from cos_web.server.state import owner_key

    for i in range(200):
        (tmp_path / str(i)).mkdir()
        secret_id, secret_key = owner_key(str(tmp_path / str(i)))
        assert secret_id.isalnum() and secret_key.isalnum() and len(secret_key) >= 32
