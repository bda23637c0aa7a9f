"""Result parity with cos-js-sdk-v5 for selectObjectContent (issue 16).

Same runners, placeholders and deliberate differences as test_js_parity.py (its ``parity``
fixture): both SDKs run the steps in one Chromium page against the local server, and every
step's ``data`` (or error) must match field by field: ``Body`` (the whole event stream as a
binary string), ``Payload`` (the records as text), ``statusCode`` and ``headers``.

One more deliberate difference, normalised here: the JS SDK reads a select's answer as an
ArrayBuffer (``DataType: 'arraybuffer'``), so for an HTTP error it cannot read COS's
``<Error>`` document and says code "Error", message null; cos_web reads the document (COS's
code and message). Status and headers must still match.
"""

from __future__ import annotations

import gzip
import uuid

import pytest

from tests.browser.test_js_parity import _compare, _signed, parity  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser

PEOPLE = "name,age,city\nann,30,Paris\nbob,25,Berlin\n\"carol, jr\",41,Paris\ndan,,Oslo\nzoë,52,Zürich\n"
LINES = '{"name":"ann","age":30,"tags":{"team":"a"}}\n{"name":"bob","age":25}\n{"name":"eve","age":35.5}\n'


def request(sql: str, source: dict, output: dict | None = None, compression: str = "NONE", **extra) -> dict:
    return {"Expression": sql, "ExpressionType": "SQL",
            "InputSerialization": {"CompressionType": compression, **source},
            "OutputSerialization": output or {"CSV": {"RecordDelimiter": "\n", "FieldDelimiter": ","}}, **extra}


CSV_USE = {"CSV": {"FileHeaderInfo": "USE", "RecordDelimiter": "\n", "FieldDelimiter": ","}}
JSON_OUT = {"JSON": {"RecordDelimiter": "\n"}}


def test_select_object_content(parity, sdk_server, sdk_vars):  # noqa: F811
    shared = f"select-{uuid.uuid4().hex[:8]}/people.csv.gz"  # gzip bytes: put from here, read by both SDKs
    status, body = _signed(sdk_server, "PUT", sdk_vars["BUCKET"], shared, body=gzip.compress(PEOPLE.encode()))
    assert status == 200, body
    js, py = parity([
        ("put_csv", "putObject", {"Key": "{P}/people.csv", "Body": PEOPLE}),
        ("put_json", "putObject", {"Key": "{P}/people.json", "Body": LINES}),
        ("where_json", "selectObjectContent", {"Key": "{P}/people.csv", "SelectType": 2, "SelectRequest": request(
            "SELECT s.name, s.age FROM COSObject s WHERE CAST(COALESCE(NULLIF(s.age, ''), '0') AS INT) > 26", CSV_USE, JSON_OUT)}),
        ("star_csv", "selectObjectContent", {"Key": "{P}/people.csv", "SelectType": 2, "SelectRequest": request(
            "SELECT * FROM COSObject", {"CSV": {"FileHeaderInfo": "NONE"}}),
            "DataType": "text"}),  # ignored, as by the JS SDK
        ("aggregates", "selectObjectContent", {"Key": "{P}/people.csv", "SelectType": 2, "SelectRequest": request(
            "SELECT COUNT(*), MAX(CAST(_2 AS INT)), MIN(s._3) FROM COSObject s WHERE s._2 <> ''",
            {"CSV": {"FileHeaderInfo": "IGNORE"}})}),
        ("gzip_limit", "selectObjectContent", {"Key": shared, "SelectType": 2, "SelectRequest": request(
            "SELECT s.name FROM COSObject s WHERE s.city LIKE '%r%' LIMIT 2", CSV_USE, JSON_OUT, "GZIP",
            RequestProgress={"Enabled": "TRUE"})}),
        ("json_lines", "selectObjectContent", {"Key": "{P}/people.json", "SelectType": 2, "SelectRequest": request(
            "SELECT s.name, s.tags.team FROM COSObject s WHERE s.age >= 30", {"JSON": {"Type": "LINES"}},
            JSON_OUT)}),
        ("error_event", "selectObjectContent", {"Key": "{P}/people.csv", "SelectType": 2, "SelectRequest": request(
            "SELECT CAST(s.age AS INT) FROM COSObject s", CSV_USE)}),  # dan's empty age fails after 3 records
        ("bad_sql", "selectObjectContent", {"Key": "{P}/people.csv", "SelectType": 2, "SelectRequest": request(
            "SELECT read_csv('/etc/passwd') FROM COSObject", CSV_USE)}),
        ("missing", "selectObjectContent", {"Key": "{P}/nothing.csv", "SelectType": 2, "SelectRequest": request(
            "SELECT * FROM COSObject", CSV_USE)}),
        ("no_type", "selectObjectContent", {"Key": "{P}/people.csv", "SelectRequest": request(
            "SELECT * FROM COSObject", CSV_USE)}),
        ("bad_sig", "selectObjectContent", {"Key": "{P}/people.csv", "SelectType": 2, "SelectRequest": request(
            "SELECT * FROM COSObject", CSV_USE)}, {"sdk": "bad"}),
    ], check=False)  # fmt: skip
    errors = {"bad_sql": "UnsupportedFunction", "missing": "NoSuchKey", "bad_sig": "SignatureDoesNotMatch"}
    for name, code in errors.items():
        want, got = js[name]["err"], py[name]["err"]
        assert (want["code"], want["message"], got["code"]) == ("Error", None, code)
        want.update(code=got["code"], message=got["message"])  # the one difference (module docstring)
    _compare(js, py)
    failed = {name: r["err"]["code"] for name, r in py.items() if "err" in r}
    assert failed == {**errors, "no_type": "InvalidParameter"}

    assert js["where_json"]["Payload"] == '{"name":"ann","age":"30"}\n{"name":"carol, jr","age":"41"}\n' \
                                          '{"name":"zoë","age":"52"}\n'
    assert py["star_csv"]["Payload"] == PEOPLE
    assert js["aggregates"]["Payload"] == "4,52,Berlin\n"
    assert py["gzip_limit"]["Payload"] == '{"name":"ann"}\n{"name":"bob"}\n'  # Paris, Berlin
    assert js["json_lines"]["Payload"] == '{"name":"ann","team":"a"}\n{"name":"eve","team":null}\n'
    assert py["error_event"]["Payload"] == "30\n25\n41\n"  # the records before the failing one; no error
    for name in ("where_json", "gzip_limit", "error_event"):
        body = py[name]["Body"]
        assert ":event-type" in body and body == js[name]["Body"]
        assert py[name]["statusCode"] == 200
    assert "Progress" in py["gzip_limit"]["Body"] and "Progress" not in py["where_json"]["Body"]
    assert "<BytesScanned>" in py["where_json"]["Body"] and "CastFailed" in py["error_event"]["Body"]
    assert js["missing"]["err"]["statusCode"] == 404
