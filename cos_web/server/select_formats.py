"""COS Select's input and output formats: the SelectRequest's serialization settings,
decompression (NONE, GZIP, BZIP2), CSV and JSON records in, CSV and JSON records out.

Records are read by Python's csv and json modules into plain values; nothing here
evaluates SQL. Limits (decompressed size, record size) raise COS's Select errors.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import json
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

from . import xmlio
from .errors import CosServerError
from .select_sql import select_error

COMPRESSIONS = ("NONE", "GZIP", "BZIP2")
HEADER_INFOS = ("NONE", "USE", "IGNORE")
JSON_TYPES = ("DOCUMENT", "LINES")
QUOTE_FIELDS = ("ASNEEDED", "ALWAYS")


@dataclass(slots=True)
class CsvIn:
    header: str = "NONE"
    record_delimiter: str = "\n"
    field_delimiter: str = ","
    quote: str = '"'
    quote_escape: str = '"'
    comments: str = ""
    allow_quoted_record_delimiter: bool = False


@dataclass(slots=True)
class CsvOut:
    quote_fields: str = "ASNEEDED"
    record_delimiter: str = "\n"
    field_delimiter: str = ","
    quote: str = '"'
    quote_escape: str = '"'


@dataclass(slots=True)
class JsonOut:
    record_delimiter: str = "\n"


@dataclass(slots=True)
class Settings:
    compression: str
    csv_in: CsvIn | None
    json_type: str | None  # DOCUMENT / LINES when the input is JSON
    out: CsvOut | JsonOut
    progress: bool


def _text(node: Element | None, name: str, default: str) -> str:
    """A child's text, stripped (keywords such as USE, TRUE)."""
    if node is None:
        return default
    value = xmlio.text(node, name)
    return default if value is None else value


def _raw(node: Element, name: str, default: str) -> str:
    """A child's text exactly as sent (a delimiter may be a newline or a space)."""
    child = node.find(name)
    return default if child is None else (child.text or "")


def _char(value: str, name: str, allow_empty: bool = False, longest: int = 1) -> str:
    if (not value and not allow_empty) or len(value) > longest:
        raise select_error("InvalidRequestParameter", f"{name} must be 1 to {longest} character(s), "
                                                      f"got {len(value)}.")
    return value


def _choice(value: str, choices: tuple[str, ...], code: str, name: str) -> str:
    upper = value.strip().upper()
    if upper not in choices:
        raise select_error(code, f"{name} must be one of {', '.join(choices)}.")
    return upper


def parse_settings(root: Element) -> Settings:
    """InputSerialization / OutputSerialization / RequestProgress of a SelectRequest."""
    source = root.find("InputSerialization")
    target = root.find("OutputSerialization")
    if source is None or target is None:
        raise select_error("MissingRequiredParameter", "InputSerialization and OutputSerialization are required.")
    compression = _choice(_text(source, "CompressionType", "NONE"), COMPRESSIONS, "InvalidCompressionFormat",
                          "CompressionType")
    csv_node, json_node = source.find("CSV"), source.find("JSON")
    if (csv_node is None) == (json_node is None):
        raise select_error("ObjectSerializationConflict", "InputSerialization takes exactly one of CSV and JSON.")
    csv_in = json_type = None
    if csv_node is not None:
        csv_in = CsvIn(
            header=_choice(_text(csv_node, "FileHeaderInfo", "NONE"), HEADER_INFOS, "InvalidFileHeaderInfo",
                           "FileHeaderInfo"),
            record_delimiter=_char(_raw(csv_node, "RecordDelimiter", "\n"), "RecordDelimiter", longest=2),
            field_delimiter=_char(_raw(csv_node, "FieldDelimiter", ","), "FieldDelimiter"),
            quote=_char(_raw(csv_node, "QuoteCharacter", '"'), "QuoteCharacter", allow_empty=True),
            quote_escape=_char(_raw(csv_node, "QuoteEscapeCharacter", '"'), "QuoteEscapeCharacter",
                               allow_empty=True),
            comments=_char(_raw(csv_node, "Comments", ""), "Comments", allow_empty=True),
            allow_quoted_record_delimiter=_text(csv_node, "AllowQuotedRecordDelimiter", "FALSE").strip().upper()
            == "TRUE",
        )
    else:
        json_type = _choice(_text(json_node, "Type", ""), JSON_TYPES, "InvalidJsonType", "JSON Type")
    out_csv, out_json = target.find("CSV"), target.find("JSON")
    if (out_csv is None) == (out_json is None):
        raise select_error("ObjectSerializationConflict", "OutputSerialization takes exactly one of CSV and JSON.")
    out: CsvOut | JsonOut
    if out_csv is not None:
        out = CsvOut(
            quote_fields=_choice(_text(out_csv, "QuoteFields", "ASNEEDED"), QUOTE_FIELDS, "InvalidQuoteFields",
                                 "QuoteFields"),
            record_delimiter=_char(_raw(out_csv, "RecordDelimiter", "\n"), "RecordDelimiter", longest=2),
            field_delimiter=_char(_raw(out_csv, "FieldDelimiter", ","), "FieldDelimiter"),
            quote=_char(_raw(out_csv, "QuoteCharacter", '"'), "QuoteCharacter"),
            quote_escape=_char(_raw(out_csv, "QuoteEscapeCharacter", '"'), "QuoteEscapeCharacter"),
        )
    else:
        out = JsonOut(_char(_raw(out_json, "RecordDelimiter", "\n"), "RecordDelimiter", longest=2))
    progress = _text(root.find("RequestProgress"), "Enabled", "FALSE").strip().upper() == "TRUE"
    return Settings(compression, csv_in, json_type, out, progress)


# ---------------------------------------------------------------- input
def decompress(data: bytes, compression: str, limit: int) -> bytes:
    """The object's bytes as records are read from them; past ``limit`` bytes: OverMaxInputSize.

    Decompression stops one byte past the limit, so a small bomb costs no more than the limit."""
    if compression == "NONE":
        out = data
    else:
        parts: list[bytes] = []
        size = 0
        try:
            if compression == "GZIP":
                engine: Any = zlib.decompressobj(16 + zlib.MAX_WBITS)
                rest = data
                while rest and size <= limit:
                    chunk = engine.decompress(rest, limit + 1 - size)
                    parts.append(chunk)
                    size += len(chunk)
                    rest = engine.unconsumed_tail
                    if engine.eof:
                        rest = engine.unused_data  # the next gzip member, if any
                        if rest:
                            engine = zlib.decompressobj(16 + zlib.MAX_WBITS)
                truncated = not engine.eof
            else:
                engine = bz2.BZ2Decompressor()
                rest = data
                truncated = False
                while size <= limit:
                    chunk = engine.decompress(rest, limit + 1 - size)
                    rest = b""
                    parts.append(chunk)
                    size += len(chunk)
                    if engine.eof:
                        rest = engine.unused_data
                        if not rest:
                            break
                        engine = bz2.BZ2Decompressor()
                    elif engine.needs_input:
                        truncated = True
                        break
        except (OSError, EOFError, zlib.error, ValueError):
            truncated = True
        if truncated and size <= limit:
            raise select_error("InvalidCompressionFormat", f"The object is not valid {compression} data.")
        out = b"".join(parts)
    if len(out) > limit:
        raise CosServerError("OverMaxInputSize", f"Select reads at most {limit} bytes of (decompressed) data.",
                             status=400)
    return out


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise select_error("InvalidTextEncoding", "The object is not UTF-8 text.") from None


def _split_records(text: str, delimiter: str, quote: str, allow_quoted: bool) -> Iterator[str]:
    """Records of the text: split on the record delimiter (outside quotes when ``allow_quoted``)."""
    if delimiter == "\n":
        text = text.replace("\r\n", "\n")
    if not allow_quoted or not quote or quote not in text:
        yield from text.split(delimiter)
        return
    start = at = 0
    inside = False
    while at < len(text):
        if text.startswith(quote, at):
            inside = not inside
            at += 1
        elif not inside and text.startswith(delimiter, at):
            yield text[start:at]
            at += len(delimiter)
            start = at
        else:
            at += 1
    yield text[start:]


def csv_records(data: bytes, spec: CsvIn, record_limit: int) -> tuple[list[str] | None, Iterator[list[str]]]:
    """(header names or None, each record's fields) of CSV data."""
    text = _decode(data)
    options: dict[str, Any] = {"delimiter": spec.field_delimiter, "strict": False}
    if spec.quote:
        options["quotechar"] = spec.quote
        options["doublequote"] = spec.quote_escape == spec.quote
        if spec.quote_escape and spec.quote_escape != spec.quote:
            options["escapechar"] = spec.quote_escape
    else:
        options["quoting"] = csv.QUOTE_NONE
    records = (r for r in _split_records(text, spec.record_delimiter, spec.quote, spec.allow_quoted_record_delimiter)
               if r and not (spec.comments and r.startswith(spec.comments)))

    delimiter = spec.field_delimiter
    chars = "".join({c for c in (spec.quote, spec.quote_escape) if c})
    special = re.compile("[" + re.escape(chars) + "]").search if chars else (lambda _text: None)

    def fields(record: str) -> list[str]:
        if len(record) > record_limit:
            raise select_error("OverMaxRecordSize", f"A record is longer than {record_limit} bytes.")
        if special(record) is None:
            return record.split(delimiter)  # nothing quoted or escaped: what the csv module would say, faster
        try:
            return next(csv.reader([record], **options), [])
        except csv.Error as exc:
            raise select_error("CSVParsingError", f"A CSV record could not be read: {exc}.") from None

    header: list[str] | None = None
    if spec.header in ("USE", "IGNORE"):
        first = next(records, None)
        if first is not None and spec.header == "USE":
            header = fields(first)
    return header, (fields(r) for r in records)


def json_records(data: bytes, json_type: str, record_limit: int) -> Iterator[Any]:
    """Each JSON record: one a line (LINES), or each top-level value (DOCUMENT; an array's items)."""
    text = _decode(data)
    if json_type == "LINES":
        for line in text.split("\n"):
            if line.strip():
                if len(line) > record_limit:
                    raise select_error("OverMaxRecordSize", f"A record is longer than {record_limit} bytes.")
                yield _load(line)
        return
    decoder = json.JSONDecoder()
    at = 0
    while True:
        while at < len(text) and text[at] in " \t\r\n":
            at += 1
        if at >= len(text):
            return
        try:
            value, end = decoder.raw_decode(text, at)
        except (ValueError, RecursionError):
            raise select_error("JSONParsingError", f"The JSON document is not valid at position {at + 1}.") from None
        at = end
        yield from (value if isinstance(value, list) else [value])


def _load(line: str) -> Any:
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        raise select_error("JSONParsingError", "A JSON line is not valid JSON.") from None


# ---------------------------------------------------------------- output
def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def csv_writer(spec: CsvOut) -> Callable[[list[Any]], str]:
    """A function making one output record (ending with the record delimiter) from values."""
    quote, escape, delimiter, end = spec.quote, spec.quote_escape, spec.field_delimiter, spec.record_delimiter
    needs_quotes = re.compile("[" + re.escape("".join({delimiter, quote, "\n", "\r", *end})) + "]").search
    always = spec.quote_fields == "ALWAYS"

    def write(values: list[Any]) -> str:
        out = []
        for value in values:
            text = value if type(value) is str else _plain(value)
            if always or needs_quotes(text):
                text = quote + text.replace(quote, escape + quote) + quote
            out.append(text)
        return delimiter.join(out) + end

    return write


def json_record(record: dict[str, Any] | Any, spec: JsonOut) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + spec.record_delimiter
