"""SELECT Object Content on the local server: raw HTTP (formats, compression, the SQL subset,
errors before and inside the stream, limits, refused engine features) and cos-python-sdk-v5's
``select_object_content`` reading our event stream."""

from __future__ import annotations

import bz2
import gzip
import json
import xml.sax.saxutils as sax

import pytest
from qcloud_cos.cos_exception import CosServiceError

from cos_web.eventstream import decode
from cos_web.server import handlers_select, select_engine
from cos_web.server.select_stream import chunk_records

from .conftest import BUCKET

PEOPLE = b"name,age,city\nann,30,Paris\nbob,25,Berlin\n\"carol, jr\",41,Paris\ndan,,Oslo\n"
LINES = b'{"name":"ann","age":30,"tags":{"team":"a"}}\n{"name":"bob","age":25,"tags":{"team":"b"}}\n' \
        b'{"name":"eve","age":35.5}\n'


def csv_in(header: str = "USE", **extra: str) -> str:
    fields = {"FileHeaderInfo": header, "RecordDelimiter": "\n", "FieldDelimiter": ",", **extra}
    return "<CSV>" + "".join(f"<{k}>{sax.escape(v)}</{k}>" for k, v in fields.items()) + "</CSV>"


def request_xml(sql: str, source: str, output: str = "<CSV></CSV>", compression: str = "NONE",
                progress: bool = False) -> bytes:
    progress_node = "<RequestProgress><Enabled>TRUE</Enabled></RequestProgress>" if progress else ""
    return (f"<SelectRequest><Expression>{sax.escape(sql)}</Expression><ExpressionType>SQL</ExpressionType>"
            f"<InputSerialization><CompressionType>{compression}</CompressionType>{source}</InputSerialization>"
            f"<OutputSerialization>{output}</OutputSerialization>{progress_node}</SelectRequest>").encode()


def select(raw, key: str, body: bytes, select_type: str = "2"):
    return raw.request("POST", key, query={"select": None, "select-type": select_type}, body=body)


def put(raw, key: str, data: bytes, **headers: str) -> None:
    reply = raw.request("PUT", key, body=data, headers=headers)
    assert reply.status == 200, reply.text


def events(reply) -> list:
    assert reply.status == 200, reply.text
    return decode(reply.body)


def records(reply) -> str:
    return b"".join(m.payload for m in events(reply) if m.event_type == "Records").decode()


def run(raw, key: str, sql: str, source: str, data: bytes, output: str = "<CSV></CSV>", **kw) -> str:
    put(raw, key, data)
    return records(select(raw, key, request_xml(sql, source, output, **kw)))


# ---------------------------------------------------------------- CSV in
def test_csv_header_use_names_and_positions(raw, key):
    got = run(raw, key, "SELECT s.name, s._3 FROM COSObject s WHERE s.city = 'Paris'", csv_in("USE"), PEOPLE)
    assert got == 'ann,Paris\n"carol, jr",Paris\n'


def test_csv_header_ignore_and_none(raw, key):
    assert run(raw, key, "SELECT _1 FROM COSObject", csv_in("IGNORE"), PEOPLE) == 'ann\nbob\n"carol, jr"\ndan\n'
    got = run(raw, key, "SELECT s._1, s._2 FROM COSObject s LIMIT 2", csv_in("NONE"), PEOPLE)
    assert got == "name,age\nann,30\n"


def test_select_star_keeps_each_record(raw, key):
    got = run(raw, key, "SELECT * FROM COSObject", csv_in("NONE"), b"a,b,c\nd\n")
    assert got == "a,b,c\nd\n"
    got = run(raw, key, "SELECT * FROM COSObject s WHERE s.age = '25'", csv_in("USE"), PEOPLE,
              output="<JSON><RecordDelimiter>\n</RecordDelimiter></JSON>")
    assert [json.loads(line) for line in got.splitlines()] == [{"name": "bob", "age": "25", "city": "Berlin"}]


def test_csv_delimiters_quotes_and_comments(raw, key):
    data = b"# a comment\nx;'semi;colon';1|y;'it''s';2|"
    source = csv_in("NONE", RecordDelimiter="|", FieldDelimiter=";", QuoteCharacter="'", QuoteEscapeCharacter="'",
                    Comments="#")
    data = data.replace(b"# a comment\n", b"# a comment|")
    got = run(raw, key, "SELECT s._2, s._3 FROM COSObject s", source, data,
              output="<CSV><FieldDelimiter>\t</FieldDelimiter><RecordDelimiter>\n</RecordDelimiter></CSV>")
    assert got == "semi;colon\t1\nit's\t2\n"


def test_quoted_record_delimiter(raw, key):
    data = b'id,text\n1,"two\nlines"\n2,plain\n'
    allowed = run(raw, key, "SELECT s.text FROM COSObject s", csv_in("USE", AllowQuotedRecordDelimiter="TRUE"),
                  data, output="<JSON></JSON>")
    assert [json.loads(line)["text"] for line in allowed.splitlines()] == ["two\nlines", "plain"]
    split = run(raw, key, "SELECT COUNT(*) FROM COSObject", csv_in("USE"), data)
    assert split == "3\n"  # not allowed: the newline inside quotes ends a record


# ---------------------------------------------------------------- the SQL subset
@pytest.mark.parametrize("where, names", [
    ("CAST(s.age AS INT) > 26", "ann carol, jr"),
    ("CAST(s.age AS INT) BETWEEN 25 AND 30", "ann bob"),
    ("s.city IN ('Oslo', 'Berlin')", "bob dan"),
    ("s.city NOT IN ('Oslo', 'Berlin')", "ann carol, jr"),
    ("s.name LIKE 'c%'", "carol, jr"),
    ("s.name LIKE 'C%'", ""),  # LIKE tells cases apart
    ("NOT (s.city = 'Paris') AND s.age <> ''", "bob"),
    ("s.city = 'Oslo' OR s.name = 'ann'", "ann dan"),
    ("s.nickname IS NULL AND s.name IS NOT NULL", "ann bob carol, jr dan"),
    ("LOWER(s.city) = 'paris' AND CHAR_LENGTH(s.name) = 3", "ann"),
    ("UPPER(SUBSTRING(s.city FROM 1 FOR 2)) = 'BE'", "bob"),
    ("COALESCE(NULLIF(s.age, ''), 'none') = 'none'", "dan"),
    ("CAST(s.age AS FLOAT) * 2 + 1 = 61", "ann"),
    ("TRIM('  x ') || s.name = 'xbob'", "bob"),
])  # fmt: skip
def test_where(raw, key, where, names):
    got = run(raw, key, f"SELECT s.name FROM COSObject s WHERE {where}", csv_in("USE"), PEOPLE,
              output="<JSON></JSON>")
    assert " ".join(json.loads(line)["name"] for line in got.splitlines()) == names


def test_aggregates(raw, key):
    sql = ("SELECT COUNT(*), COUNT(s.age), SUM(CAST(s.age AS INT)), MIN(CAST(s.age AS INT)), "
           "MAX(s.name), AVG(CAST(s.age AS FLOAT)) FROM COSObject s WHERE s.age <> ''")
    assert run(raw, key, sql, csv_in("USE"), PEOPLE) == "3,3,96,25,carol, jr,32.0\n".replace("carol, jr", '"carol, jr"')
    got = run(raw, key, "SELECT COUNT(*) AS n FROM COSObject", csv_in("USE"), PEOPLE, output="<JSON></JSON>")
    assert json.loads(got) == {"n": 4}


def test_limit_and_json_output_names(raw, key):
    got = run(raw, key, "SELECT s.name, s._2 AS years, UPPER(s.city) FROM COSObject s LIMIT 1", csv_in("USE"),
              PEOPLE, output="<JSON><RecordDelimiter>;</RecordDelimiter></JSON>")
    assert got == '{"name":"ann","years":"30","_3":"PARIS"};'


# ---------------------------------------------------------------- JSON in, compression
def test_json_lines(raw, key):
    got = run(raw, key, "SELECT s.name, s.tags.team FROM COSObject s WHERE s.age >= 30", "<JSON><Type>LINES</Type></JSON>",
              LINES, output="<JSON></JSON>")
    assert [json.loads(line) for line in got.splitlines()] == [{"name": "ann", "team": "a"},
                                                              {"name": "eve", "team": None}]
    got = run(raw, key, "SELECT * FROM COSObject s WHERE s.name = 'bob'", "<JSON><Type>LINES</Type></JSON>",
              LINES, output="<JSON></JSON>")
    assert json.loads(got) == {"name": "bob", "age": 25, "tags": {"team": "b"}}


def test_json_document(raw, key):
    doc = json.dumps([{"id": 1, "ok": "y"}, {"id": 2, "ok": "n"}], indent=2).encode() + b'\n{"id": 3, "ok": "y"}\n'
    got = run(raw, key, "SELECT s.id FROM COSObject s WHERE s.ok = 'y'", "<JSON><Type>DOCUMENT</Type></JSON>", doc)
    assert got == "1\n3\n"
    got = run(raw, key, "SELECT SUM(s.id), MAX(s.id) FROM COSObject s", "<JSON><Type>DOCUMENT</Type></JSON>", doc)
    assert got == "6,3\n"


@pytest.mark.parametrize("compression, pack", [("GZIP", gzip.compress), ("BZIP2", bz2.compress)])
def test_compressed_objects(raw, key, compression, pack):
    got = run(raw, key, "SELECT s.name FROM COSObject s WHERE s.city = 'Paris'", csv_in("USE"), pack(PEOPLE),
              compression=compression)
    assert got == 'ann\n"carol, jr"\n'
    got = run(raw, key, "SELECT COUNT(*) FROM COSObject", "<JSON><Type>LINES</Type></JSON>", pack(LINES),
              compression=compression)
    assert got == "3\n"


def test_not_compressed_as_said(raw, key):
    put(raw, key, PEOPLE)
    reply = select(raw, key, request_xml("SELECT * FROM COSObject", csv_in(), compression="GZIP"))
    assert (reply.status, reply.xml_text("Code")) == (400, "InvalidCompressionFormat")


# ---------------------------------------------------------------- the stream
def test_stream_framing_stats_progress_end(raw, key):
    put(raw, key, PEOPLE)
    reply = select(raw, key, request_xml("SELECT * FROM COSObject", csv_in("NONE"), progress=True))
    messages = events(reply)
    kinds = [m.event_type for m in messages]
    assert kinds == ["Records", "Progress", "Stats", "End"]
    assert messages[0].headers == {":message-type": "event", ":event-type": "Records",
                                   ":content-type": "application/octet-stream"}
    stats = messages[2].payload.decode()
    assert f"<BytesScanned>{len(PEOPLE)}</BytesScanned>" in stats
    assert f"<BytesProcessed>{len(PEOPLE)}</BytesProcessed>" in stats
    assert f"<BytesReturned>{len(PEOPLE)}</BytesReturned>" in stats
    assert "Progress" not in [m.event_type for m in events(select(raw, key, request_xml(
        "SELECT * FROM COSObject", csv_in("NONE"))))]


def test_records_are_chunked_on_record_boundaries():
    rows = [("é" * 100 + "\n").encode() for _ in range(1000)]
    chunks = [decode(event)[0].payload for event in chunk_records(rows, size=4096)]
    assert len(chunks) > 10 and b"".join(chunks) == b"".join(rows)
    assert all(chunk.endswith(b"\n") and len(chunk) <= 4096 for chunk in chunks)
    assert all(chunk.decode() for chunk in chunks)  # no UTF-8 character split across events


def test_error_after_records_is_an_error_event(raw, key):
    put(raw, key, b"1\n2\nthree\n4\n" + b"5\n" * 20)
    reply = select(raw, key, request_xml("SELECT CAST(_1 AS INT) FROM COSObject", csv_in("NONE")))
    messages = events(reply)
    assert messages[0].event_type == "Records" and messages[0].payload == b"1\n2\n"
    last = messages[-1]
    assert last.message_type == "error" and last.headers[":error-code"] == "CastFailed"
    assert "End" not in [m.event_type for m in messages]


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("sql, code", [
    ("SELEC * FROM COSObject", "ParseUnsupportedSelect"),
    ("SELECT * FROM COSObject WHERE", "ParseUnexpectedToken"),
    ("SELECT * FROM other", "InvalidDataSource"),
    ("SELECT read_csv('/etc/passwd') FROM COSObject", "UnsupportedFunction"),
    ("SELECT * FROM read_csv('/etc/passwd')", "InvalidDataSource"),
    ("SELECT load_extension('x') FROM COSObject", "UnsupportedFunction"),
    ("COPY t TO '/tmp/x'", "ParseUnsupportedSelect"),
    ("ATTACH DATABASE '/tmp/x' AS y", "ParseUnsupportedSelect"),
    ("PRAGMA table_info(t)", "ParseUnsupportedSelect"),
    ("SELECT * FROM COSObject; DROP TABLE t", "ParseUnexpectedToken"),
    ("SELECT * FROM COSObject -- comment", "ParseUnexpectedToken"),
    ("SELECT s.name, COUNT(*) FROM COSObject s", "ParseUnsupportedSyntax"),
    ("SELECT * FROM COSObject s WHERE COUNT(*) > 1", "ParseInvalidContextForAggregate"),
    ("SELECT CAST(s._1 AS TIMESTAMP) FROM COSObject s", "ParseUnsupportedSyntax"),
    ("SELECT x._1 FROM COSObject s", "InvalidTableAlias"),
    ("", "MissingRequiredParameter"),
    ("SELECT " + "(" * 200 + "1" + ")" * 200 + " FROM COSObject", "ParseUnsupportedSyntax"),
])  # fmt: skip
def test_bad_sql_is_refused_before_reading(raw, key, sql, code):
    put(raw, key, PEOPLE)
    reply = select(raw, key, request_xml(sql, csv_in()))
    assert (reply.status, reply.xml_text("Code")) == (400, code), reply.text


@pytest.mark.parametrize("body, code", [
    (request_xml("SELECT * FROM COSObject", "<CSV></CSV><JSON><Type>LINES</Type></JSON>"),
     "ObjectSerializationConflict"),
    (request_xml("SELECT * FROM COSObject", "<JSON><Type>TREE</Type></JSON>"), "InvalidJsonType"),
    (request_xml("SELECT * FROM COSObject", csv_in("FIRST")), "InvalidFileHeaderInfo"),
    (request_xml("SELECT * FROM COSObject", csv_in(), compression="ZIP"), "InvalidCompressionFormat"),
    (request_xml("SELECT * FROM COSObject", csv_in(FieldDelimiter="::")), "InvalidRequestParameter"),
    (request_xml("SELECT * FROM COSObject", csv_in()).replace(b">SQL<", b">XPATH<"), "InvalidExpressionType"),
    (b"<SelectRequest><Expression>SELECT * FROM COSObject</Expression><ExpressionType>SQL</ExpressionType>"
     b"</SelectRequest>", "MissingRequiredParameter"),
    (b"<NotSelect/>", "MalformedXML"),
    (request_xml("SELECT '" + "x" * (256 << 10) + "' FROM COSObject", csv_in()), "ExpressionTooLong"),
])  # fmt: skip
def test_bad_requests(raw, key, body, code):
    put(raw, key, PEOPLE)
    reply = select(raw, key, body)
    assert (reply.status, reply.xml_text("Code")) == (400, code), reply.text


def test_select_type_is_required(raw, key):
    put(raw, key, PEOPLE)
    reply = select(raw, key, request_xml("SELECT * FROM COSObject", csv_in()), select_type="1")
    assert (reply.status, reply.xml_text("Code")) == (400, "InvalidArgument")


def test_missing_key_and_archived_object(raw, key):
    reply = select(raw, key, request_xml("SELECT * FROM COSObject", csv_in()))
    assert (reply.status, reply.xml_text("Code")) == (404, "NoSuchKey")
    put(raw, key, PEOPLE, **{"x-cos-storage-class": "ARCHIVE"})
    reply = select(raw, key, request_xml("SELECT * FROM COSObject", csv_in()))
    assert (reply.status, reply.xml_text("Code")) == (403, "InvalidObjectState")


def test_select_needs_a_signature_on_a_private_object(raw, key):
    put(raw, key, PEOPLE)
    reply = raw.request("POST", key, query={"select": None, "select-type": "2"}, sign=False,
                        body=request_xml("SELECT * FROM COSObject", csv_in()))
    assert (reply.status, reply.xml_text("Code")) == (403, "AccessDenied")


def test_bad_data(raw, key):
    put(raw, key, b"\xff\xfe not utf-8")
    reply = select(raw, key, request_xml("SELECT * FROM COSObject", csv_in()))
    assert (reply.status, reply.xml_text("Code")) == (400, "InvalidTextEncoding")
    put(raw, key, b'{"a": 1}\n{"a": \n')
    reply = select(raw, key, request_xml("SELECT * FROM COSObject", "<JSON><Type>LINES</Type></JSON>"))
    assert (reply.status, reply.xml_text("Code")) == (400, "JSONParsingError")


# ---------------------------------------------------------------- limits
def test_object_and_decompressed_size_limits(raw, key, monkeypatch):
    monkeypatch.setattr(handlers_select, "MAX_OBJECT_BYTES", 1000)
    monkeypatch.setattr(handlers_select, "MAX_INPUT_BYTES", 5000)
    put(raw, key, b"x\n" * 600)
    reply = select(raw, key, request_xml("SELECT COUNT(*) FROM COSObject", csv_in("NONE")))
    assert (reply.status, reply.xml_text("Code")) == (400, "OverMaxInputSize")
    put(raw, key, gzip.compress(b"x\n" * 100_000))  # small stored, large unpacked
    reply = select(raw, key, request_xml("SELECT COUNT(*) FROM COSObject", csv_in("NONE"), compression="GZIP"))
    assert (reply.status, reply.xml_text("Code")) == (400, "OverMaxInputSize")


def test_record_size_limit(raw, key):
    put(raw, key, b"a," + b"x" * (1 << 20) + b"\n")
    reply = select(raw, key, request_xml("SELECT _1 FROM COSObject", csv_in("NONE")))
    assert (reply.status, reply.xml_text("Code")) == (400, "OverMaxRecordSize")


def test_query_time_limit(raw, key, monkeypatch):
    monkeypatch.setattr(handlers_select, "QUERY_SECONDS", 0.0)
    put(raw, key, b"1\n" * 10_000)
    reply = select(raw, key, request_xml("SELECT COUNT(*) FROM COSObject", csv_in("NONE")))
    assert (reply.status, reply.xml_text("Code")) == (400, "QueryTimeout")


def test_engine_refuses_what_the_translator_never_writes():
    """Defence in depth: even SQL that got past the parser could not attach, write or call others."""
    import sqlite3

    from cos_web.server.select_formats import CsvIn, CsvOut, Settings
    from cos_web.server.select_sql import parse

    settings = Settings("NONE", CsvIn(), None, CsvOut(), False)
    limits = select_engine.Limits(1 << 20, 1 << 20, 1 << 20, 5.0)
    query = parse("SELECT _1 FROM COSObject")
    for evil in ("ATTACH DATABASE ':memory:' AS x", "SELECT sqlite_version()", "DELETE FROM t",
                 "SELECT load_extension('x')"):  # fmt: skip
        original = select_engine.to_sqlite
        select_engine.to_sqlite = lambda *a, _sql=evil: _sql
        try:
            with pytest.raises(Exception) as caught:
                select_engine.run(b"1\n", query, settings, limits)
        finally:
            select_engine.to_sqlite = original
        assert getattr(caught.value, "code", None) == "InvalidQuery" or isinstance(caught.value, sqlite3.Error)
        assert "not authorized" in str(caught.value) or "prohibited" in str(caught.value), caught.value


# ---------------------------------------------------------------- cos-python-sdk-v5
def test_python_sdk_reads_our_stream(sdk, raw, key):
    put(raw, key, gzip.compress(PEOPLE))
    response = sdk.select_object_content(
        Bucket=BUCKET, Key=key, Expression="SELECT s.name, s.age FROM COSObject s WHERE s.city = 'Paris'",
        ExpressionType="SQL", RequestProgress={"Enabled": "TRUE"},
        InputSerialization={"CompressionType": "GZIP", "CSV": {"FileHeaderInfo": "USE", "RecordDelimiter": "\n"}},
        OutputSerialization={"JSON": {"RecordDelimiter": "\n"}},
    )
    got = list(response["Payload"])
    assert [next(iter(e)) for e in got] == ["Records", "Progress", "Stats", "End"]
    assert got[0]["Records"]["Payload"] == b'{"name":"ann","age":"30"}\n{"name":"carol, jr","age":"41"}\n'
    assert got[2]["Stats"]["Details"] == {"BytesScanned": str(len(gzip.compress(PEOPLE))),
                                          "BytesProcessed": str(len(PEOPLE)), "BytesReturned": "58"}
    # the same records as the raw request
    raw_records = records(select(raw, key, request_xml(
        "SELECT s.name, s.age FROM COSObject s WHERE s.city = 'Paris'", csv_in(), "<JSON></JSON>", "GZIP")))
    assert got[0]["Records"]["Payload"].decode() == raw_records


def test_python_sdk_sees_errors(sdk, raw, key):
    put(raw, key, b"1\nx\n")
    response = sdk.select_object_content(Bucket=BUCKET, Key=key, Expression="SELECT CAST(_1 AS INT) FROM COSObject",
                                         ExpressionType="SQL", InputSerialization={"CSV": {}},
                                         OutputSerialization={"CSV": {}})
    stream = response["Payload"]
    assert next(stream) == {"Records": {"Payload": b"1\n"}}
    with pytest.raises(CosServiceError) as caught:
        next(stream)
    assert caught.value.get_error_code() == "CastFailed"
    with pytest.raises(CosServiceError) as caught:
        sdk.select_object_content(Bucket=BUCKET, Key=key, Expression="SELECT nope(1) FROM COSObject",
                                  ExpressionType="SQL", InputSerialization={"CSV": {}},
                                  OutputSerialization={"CSV": {}})
    assert caught.value.get_error_code() == "UnsupportedFunction"


def test_random_expressions_fail_only_with_cos_errors():
    """Token soup (seeded): the parser and engine answer a COS error or records, never crash or reach
    SQLite with SQL it refuses (InvalidQuery would mean the translator wrote something wrong)."""
    import random

    from cos_web.server.errors import CosServerError
    from cos_web.server.select_formats import CsvIn, CsvOut, Settings
    from cos_web.server.select_sql import parse

    words = ["SELECT", "*", "FROM", "COSObject", "s", "WHERE", "LIMIT", "AS", "AND", "OR", "NOT", "LIKE", "ESCAPE",
             "IS", "NULL", "BETWEEN", "IN", "CAST", "(", ")", ",", ".", "_1", "_2", "s._1", "name", "'a'", "'%'", "1",
             "2.5", "=", "<>", "<", ">", "+", "-", "/", "%", "||", "COUNT", "SUM", "AVG", "MIN", "MAX", "LOWER",
             "SUBSTRING", "FOR", "TRIM", "COALESCE", "NULLIF", "INT", "STRING", "TRUE", "FALSE", '"q"', "[", ";"]
    settings = Settings("NONE", CsvIn(header="USE"), None, CsvOut(), False)
    limits = select_engine.Limits(1 << 20, 1 << 20, 1 << 20, 5.0)
    rng = random.Random(16)
    ran = 0
    for _ in range(4000):
        tokens = ["SELECT"] + [rng.choice(words) for _ in range(rng.randint(1, 12))]
        at = rng.randint(1, len(tokens))
        tokens[at:at] = ["FROM", "COSObject", "s"]
        try:
            query = parse(" ".join(tokens))
            ran += 1
            select_engine.run(b"_1,name,_2\n1,a,2\nx,,3\n", query, settings, limits)
        except CosServerError as exc:
            assert exc.code != "InvalidQuery", (" ".join(tokens), exc.message)
    assert ran > 50  # enough soups parsed to exercise the engine


def test_selects_running_at_once_are_bounded(raw, key, monkeypatch):
    monkeypatch.setattr(handlers_select, "MAX_RUNNING", 0)
    put(raw, key, PEOPLE)
    reply = select(raw, key, request_xml("SELECT * FROM COSObject", csv_in()))
    assert (reply.status, reply.xml_text("Code")) == (503, "SlowDown")
    monkeypatch.setattr(handlers_select, "MAX_RUNNING", 1)
    assert records(select(raw, key, request_xml("SELECT COUNT(*) FROM COSObject", csv_in()))) == "4\n"
    assert handlers_select._running == 0


def test_quote_fields_always_and_escape_characters(raw, key):
    data = b'1,"say \\"hi\\""\n2,plain\n'
    got = run(raw, key, "SELECT _1, _2 FROM COSObject", csv_in("NONE", QuoteEscapeCharacter="\\"), data,
              output="<CSV><QuoteFields>ALWAYS</QuoteFields><QuoteEscapeCharacter>\\</QuoteEscapeCharacter>"
                     "<RecordDelimiter>\n</RecordDelimiter></CSV>")
    assert got == '"1","say \\"hi\\""\n"2","plain"\n'
    got = run(raw, key, "SELECT _2 FROM COSObject", csv_in("NONE", QuoteEscapeCharacter="\\"), data)
    assert got == '"say ""hi"""\nplain\n'  # ASNEEDED, the quote doubled (the default escape)
