"""COS.util and COS.version against cos-js-sdk-v5's, run in node (tests/core/jsparity.py)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from cos_web import COS, CosError, __version__
from cos_web import util

from .jsparity import needs_node, run_js_util

TEXTS = [
    "",
    "abc",
    "héllo wörld",
    "腾讯云 COS",
    "emoji 😀 pair",
    "\ud800",  # lone high surrogate at the end
    "a\udc00b",  # lone low surrogate
    "\ud83dF",  # high surrogate then 'F' (base64.js pairs them)
    "\x00\x7f\x80\xff",
    "x" * 1000,
]


@needs_node
def test_md5_of_strings_matches_the_js_sdk():
    cases = [[t, False] for t in TEXTS] + [[t, True] for t in TEXTS]
    want = run_js_util({"md5": cases})["md5"]
    got = [util.md5(t, b) for t, b in cases]
    assert got == want
    assert COS.util.md5 is util.md5


@needs_node
def test_encode_base64_matches_the_js_sdk():
    cases = [[t, False] for t in TEXTS] + [[t, True] for t in TEXTS] + [[123, False], [True, False], ["a?>>", True]]
    want = run_js_util({"encodeBase64": cases})["encodeBase64"]
    assert [COS.util.encodeBase64(v, s) for v, s in cases] == want
    assert COS.util.encode_base64 is COS.util.encodeBase64


@needs_node
def test_xml_round_trip_matches_the_js_sdk():
    docs = [{"Tagging": {"TagSet": {"Tag": [{"Key": "a", "Value": "1"}, {"Key": "b&", "Value": "<2>"}]}}}]
    js = run_js_util({"json2xml": docs})
    xml = js["json2xml"][0]
    assert COS.util.json2xml(docs[0]) == xml
    assert COS.util.xml2json(xml) == run_js_util({"xml2json": [xml]})["xml2json"][0]
    assert COS.util.xml2json(xml) == {"Tagging": {"TagSet": {"Tag": [{"Key": "a", "Value": "1"}, {"Key": "b&", "Value": "<2>"}]}}}


@needs_node
def test_version_is_cos_webs_and_pyproject_agrees():
    js_version = run_js_util({"version": True})["version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", js_version)  # the JS SDK's: its package version
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert re.search(r'^version = "([^"]+)"', pyproject, re.M).group(1) == COS.version == __version__


def test_md5_of_bytes_is_their_md5_and_callback_gets_it():
    data = bytes(range(256)) * 10
    assert util.md5(data) == hashlib.md5(data).hexdigest()
    assert util.md5(bytearray(data)) == util.md5(memoryview(data)) == hashlib.md5(data).hexdigest()
    seen = []
    assert util.md5("abc", callback=lambda err, h: seen.append((err, h))) == "900150983cd24fb0d6963f7d28e17f72"
    assert seen == [(None, "900150983cd24fb0d6963f7d28e17f72")]


def test_bad_inputs_are_invalid_parameter():
    for bad in (None, 12, {"a": 1}):
        with pytest.raises(CosError) as info:
            util.md5(bad)
        assert info.value.code == "InvalidParameter"
    with pytest.raises(CosError):
        util.json2xml(["not", "a", "dict"])


def test_encode_base64_of_bytes_is_plain_base64():
    assert util.encode_base64(b"\xff\xfe\x00") == "//4A"
    assert util.encode_base64(b"\xff\xfe\x00", True) == "__4A"
