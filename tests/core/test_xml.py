"""XML codec: the shapes of the JS SDK's xml2json / json2xml (fast-xml-parser)."""

from __future__ import annotations

import json

import pytest

from cos_web.xml import XmlError, json2xml, xml2json

from .jsparity import needs_node, run_js_util

PARSE_CASES = [
    "<a><b>1</b></a>",
    "<?xml version='1.0' encoding='utf-8' ?>\n<a>\n  <b>1</b>\n  <b>2</b>\n  <c/>\n  <d></d>\n  <e> x </e>\n <f>\n</f><g a=\"1\">t</g><h a=\"1\"/></a>",
    "<a>&lt;&gt;&amp;&quot;&apos;&#65;&#x42;&nbsp;</a>",
    "<a>text<b>1</b>more</a>",
    "<a><![CDATA[<x>]]></a>",
    "<DeleteResult/>",
    "<DeleteResult>\n</DeleteResult>",
    "<a><b><c>1</c></b><b></b></a>",
    '<a xmlns="http://x"><b>true</b><n>0012</n></a>',
    "<a><b>x</b></a><z>1</z>",
    "<a>&amp;lt;</a>",
    "<r><x:y xmlns:x='u'>1</x:y><k>腾讯 云</k></r>",
    "<a><b><c><d>deep</d></c></b><b><c><d>1</d><d>2</d></c></b></a>",
]

BUILD_CASES = [
    {"Delete": {"Object": [{"Key": "1.jpg"}, {"Key": "a&b<c>\"'"}], "Quiet": False}},
    {"a": {"b": "", "e": 0, "f": True, "g": [], "h": {}, "i": [1, "2"]}},
    {"CORSConfiguration": {"CORSRule": [{"AllowedOrigin": ["*"], "MaxAgeSeconds": "5"}]}},
    {"a": {"b": [{"c": [1, 2]}, {"c": 3}]}},
    {"a": "x"},
    {"a": {"#text": "t", "b": 1}},
    {"a": {"k": "腾讯"}},
]


@needs_node
def test_parse_matches_fast_xml_parser():
    want = run_js_util({"xml2json": PARSE_CASES})["xml2json"]
    for text, expected in zip(PARSE_CASES, want, strict=True):
        assert xml2json(text) == expected, text


@needs_node
def test_build_matches_xml_builder():
    want = run_js_util({"json2xml": BUILD_CASES})["json2xml"]
    for obj, expected in zip(BUILD_CASES, want, strict=True):
        assert json2xml(obj) == expected, obj


def test_repeated_elements_become_plain_lists():
    doc = xml2json("<r><i>1</i><i>2</i><j><k>a</k></j></r>")
    assert doc == {"r": {"i": ["1", "2"], "j": {"k": "a"}}}
    assert type(doc["r"]["i"]) is list
    json.dumps(doc)


def test_bytes_input_and_errors():
    assert xml2json("<a>é</a>".encode()) == {"a": "é"}
    with pytest.raises(XmlError):
        xml2json("<a><b></a>")


def test_none_values_are_left_out():
    assert json2xml({"a": {"b": None, "c": "1"}}) == "<a><c>1</c></a>"
