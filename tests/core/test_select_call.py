"""selectObjectContent against cos-js-sdk-v5 in node (its Request hook): the same request (method,
URL with ?select&select-type=2, headers incl. Content-MD5 and Authorization, the SelectRequest XML)
and the same data from the same binary answer: streams made by the server's encoder (records with
multi-byte text, Progress, Stats, End, an error event), an empty body and an XML error."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from cos_web import COS
from cos_web.server import select_stream
from cos_web.transport import MockTransport, Response

from .jsparity import needs_node, run_js
from .test_call_parity import HEADERS, OPTIONS, _jsonable, _norm_headers

WHERE = {"Bucket": "test-1250000000", "Region": "ap-guangzhou", "Key": "data/people.csv"}
REQUEST = {
    "Expression": "SELECT s.name FROM COSObject s WHERE CAST(s.age AS INT) > 26 AND s.city LIKE 'P%'",
    "ExpressionType": "SQL",
    "InputSerialization": {"CompressionType": "GZIP",
                           "CSV": {"FileHeaderInfo": "USE", "RecordDelimiter": "\n", "FieldDelimiter": ",",
                                   "QuoteCharacter": '"', "AllowQuotedRecordDelimiter": "FALSE"}},
    "OutputSerialization": {"JSON": {"RecordDelimiter": "\n"}},
    "RequestProgress": {"Enabled": "TRUE"},
}  # fmt: skip


def stream(*, error: bool = False) -> bytes:
    records = [f'{{"name":"zoë {i}","city":"Zürich"}}\n'.encode() for i in range(50)]
    events = list(select_stream.chunk_records(records, size=300))
    if error:
        return b"".join([*events, select_stream.error_event("CastFailed", "'x' cannot be cast to INT.")])
    return b"".join([*events, select_stream.progress_event(9, 99, 999), select_stream.stats_event(9, 99, 999),
                     select_stream.end_event()])


def binary(body: bytes, status: int = 200) -> dict[str, Any]:
    return {"statusCode": status, "headers": {**HEADERS, "content-type": "application/octet-stream"},
            "body": {"$b64": base64.b64encode(body).decode()}}


XML_ERROR = {"statusCode": 400, "headers": HEADERS,
             "body": "<Error><Code>UnsupportedFunction</Code><Message>no</Message></Error>"}
CASES = [
    ({**WHERE, "SelectType": 2, "SelectRequest": REQUEST}, binary(stream())),
    ({**WHERE, "SelectType": 2, "SelectRequest": REQUEST, "VersionId": "v1", "DataType": "blob"},
     binary(stream(error=True))),
    ({**WHERE, "SelectType": "2", "SelectRequest": {"Expression": "SELECT * FROM COSObject"}}, binary(b"")),
]  # fmt: skip


async def _run_py(params: dict[str, Any], response: dict[str, Any]):
    def handler(request):
        body = response["body"]
        body = base64.b64decode(body["$b64"]) if isinstance(body, dict) else body.encode()
        assert request.response_type == "bytes"  # whatever DataType says
        return Response(response["statusCode"], dict(response["headers"]), body)

    transport = MockTransport(handler)
    cos = COS(dict(OPTIONS), transport=transport)
    try:
        return transport.requests, None, await cos.selectObjectContent(dict(params))
    except Exception as exc:  # CosError
        return transport.requests, exc, None


@needs_node
def test_select_matches_the_js_sdk():
    calls = [{"options": OPTIONS, "api": "selectObjectContent", "params": p, "response": r} for p, r in CASES]
    js_results = run_js({"calls": calls})["calls"]
    for (params, response), js in zip(CASES, js_results, strict=True):
        requests, err, data = asyncio.run(_run_py(params, response))
        assert err is None and js["err"] is None, (err, js["err"])
        (got,), (want,) = requests, js["requests"]
        assert (got.method, got.url) == (want["method"], want["url"])
        assert _norm_headers(got.headers) == _norm_headers(want["headers"])
        assert got.body == want["body"]
        assert _jsonable(data) == js["data"]
        assert set(data) == {"statusCode", "headers", "Body", "Payload", "RequestId"}
    first = js_results[0]
    assert "?select&select-type=2" in first["requests"][0]["url"]
    assert first["data"]["Payload"] == "".join(f'{{"name":"zoë {i}","city":"Zürich"}}\n' for i in range(50))
    assert js_results[1]["data"]["Payload"].count("zoë") == 50  # the error event is read and dropped


def test_missing_select_type_is_refused_before_sending():
    requests, err, _ = asyncio.run(_run_py({**WHERE, "SelectRequest": REQUEST}, binary(stream())))
    assert requests == [] and err.code == "InvalidParameter" and err.message.endswith("missing param SelectType")


def test_an_xml_error_is_the_error():
    _, err, _ = asyncio.run(_run_py({**WHERE, "SelectType": 2, "SelectRequest": REQUEST}, XML_ERROR))
    assert (err.code, err.statusCode, err.message) == ("UnsupportedFunction", 400, "no")
