"""Runs a parsed COS Select query over one object's records with SQLite.

The records go into one in-memory table ``t`` (one column per column the query
names, plus the whole record when it says ``SELECT *``); the SQL comes from
``select_sql.to_sqlite``. The connection is locked down before the query runs: an
authorizer allows only reading ``t`` and the functions of ``ENGINE_FUNCTIONS``
(no ATTACH, no PRAGMA, no writes), extensions stay off, and a progress handler stops
the query at the deadline. Called in a worker thread; everything is bounded by the
limits given.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .errors import CosServerError
from .select_formats import CsvOut, Settings, csv_records, csv_writer, decompress, json_record, json_records
from .select_sql import Column, Query, select_error
from .select_sqlite import CAST_FUNCTION, ENGINE_FUNCTIONS, to_sqlite

INT_RANGE = (-(1 << 63), (1 << 63) - 1)
STAR = "__rec"


@dataclass(frozen=True, slots=True)
class Limits:
    input_bytes: int  # decompressed bytes read at most
    output_bytes: int  # records returned at most (bytes)
    record_bytes: int  # one input or output record at most
    seconds: float  # reading, loading and querying together


@dataclass(slots=True)
class Outcome:
    """What a select produced: output records (bytes, delimiter included) and an error met after some."""

    records: list[bytes] = field(default_factory=list)
    error: CosServerError | None = None
    processed: int = 0  # bytes after decompression
    returned: int = 0


class _CastFailed(Exception):
    pass


def _timeout(limits: Limits) -> CosServerError:
    return CosServerError("QueryTimeout", f"The select ran past this server's {limits.seconds:g} s limit.",
                          status=400)


def _cast(value: Any, kind: str) -> Any:
    """COS's CAST: NULL stays NULL; a value that does not convert fails the query (CastFailed)."""
    if value is None:
        return None
    try:
        if kind == "STRING":
            return repr(value) if isinstance(value, float) else str(value)
        if kind == "BOOL":
            text = str(value).strip().lower()
            if text in ("true", "1"):
                return 1
            if text in ("false", "0"):
                return 0
            raise ValueError(text)
        text = value.strip() if isinstance(value, str) else value
        if kind == "INT":
            try:
                number = int(text)
            except ValueError:
                number = int(float(text))
            if not INT_RANGE[0] <= number <= INT_RANGE[1]:
                raise ValueError(text)
            return number
        number = float(text)
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(text)
        return number
    except (ValueError, TypeError, OverflowError):
        raise _CastFailed(f"{str(value)[:64]!r} cannot be cast to {kind}.") from None


def _sql_value(value: Any) -> Any:
    """A JSON value as one SQLite value: nested objects/arrays as JSON text, huge integers as floats."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, int) and not isinstance(value, bool) and not INT_RANGE[0] <= value <= INT_RANGE[1]:
        return float(value)
    return value


def _lookup(record: Any, column: Column) -> Any:
    """A JSON record's value at the column's path (quoted names exact, others case-insensitive), or None."""
    node = record
    for name, quoted in zip(column.path, column.quoted):
        if not isinstance(node, dict):
            return None
        if name in node:
            node = node[name]
        elif quoted:
            return None
        else:
            lowered = name.lower()
            node = next((v for k, v in node.items() if k.lower() == lowered), None)
            if node is None:
                return None
    return node


def _csv_index(column: Column, header: list[str] | None) -> int | None:
    position = column.position
    if position is not None:
        return position - 1
    if header is None or len(column.path) != 1:
        return None
    name, quoted = column.path[0], column.quoted[0]
    for index, title in enumerate(header):
        if title == name or (not quoted and title.lower() == name.lower()):
            return index
    return None


def run(data: bytes, query: Query, settings: Settings, limits: Limits) -> Outcome:
    """Decompress, read, load, query and serialize; raises CosServerError when nothing was returned yet."""
    deadline = time.monotonic() + limits.seconds
    raw = decompress(data, settings.compression, limits.input_bytes)
    outcome = Outcome(processed=len(raw))
    header: list[str] | None = None
    names: dict[Column, str] = {}
    columns: list[str] = []
    if settings.csv_in is not None:
        header, records = csv_records(raw, settings.csv_in, limits.record_bytes)
        indexes: list[int] = []
        for column in query.columns:
            index = _csv_index(column, header)
            if index is None:
                names[column] = "NULL"
                continue
            if index not in indexes:
                indexes.append(index)
            names[column] = f"c{indexes.index(index)}"

        def rows() -> Iterator[tuple]:
            for count, fields in enumerate(records):
                if count % 4096 == 0 and time.monotonic() > deadline:
                    raise _timeout(limits)
                row = tuple(fields[i] if i < len(fields) else None for i in indexes)
                yield (*row, json.dumps(fields, ensure_ascii=False)) if query.star else row
        columns = [f"c{i}" for i in range(len(indexes))]
    else:
        records_json = json_records(raw, settings.json_type or "DOCUMENT", limits.record_bytes)
        resolved = list(query.columns)
        for i, column in enumerate(resolved):
            names[column] = f"c{i}"

        def rows() -> Iterator[tuple]:
            for count, record in enumerate(records_json):
                if count % 4096 == 0 and time.monotonic() > deadline:
                    raise _timeout(limits)
                row = tuple(_sql_value(_lookup(record, column)) for column in resolved)
                yield (*row, json.dumps(record, ensure_ascii=False)) if query.star else row
        columns = [f"c{i}" for i in range(len(resolved))]
    if query.star:
        columns.append(STAR)
    table_columns = columns or ["__x"]
    con = sqlite3.connect(":memory:", check_same_thread=False)
    try:
        con.execute("PRAGMA case_sensitive_like = ON")  # COS's LIKE tells cases apart
        con.execute(f"CREATE TABLE t ({', '.join(table_columns)})")
        insert = f"INSERT INTO t VALUES ({', '.join('?' * len(table_columns))})"
        con.executemany(insert, rows() if columns else ((None,) for _ in rows()))
        return _query(con, query, names, settings, header, limits, deadline, outcome)
    finally:
        con.close()


def _query(con: sqlite3.Connection, query: Query, names: dict[Column, str], settings: Settings,
           header: list[str] | None, limits: Limits, deadline: float, outcome: Outcome) -> Outcome:
    failures: list[tuple[str, int]] = []  # (message, rowid) of each failed CAST

    def cast(value: Any, kind: str, rowid: int) -> Any:
        try:
            return _cast(value, kind)
        except _CastFailed as exc:
            failures.append((str(exc), rowid))
            raise

    con.create_function(CAST_FUNCTION, 3, cast, deterministic=True)

    def authorize(action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None) -> int:
        if action == sqlite3.SQLITE_SELECT:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_READ and arg1 == "t":
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in ENGINE_FUNCTIONS:
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY

    con.set_authorizer(authorize)
    con.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 2000)
    try:
        _collect(con, to_sqlite(query, names, STAR), query, settings, header, limits, outcome)
    except CosServerError as exc:
        return _fail(outcome, exc)
    except sqlite3.Error as exc:
        if not failures:
            error = _timeout(limits) if "interrupted" in str(exc) else select_error(
                "InvalidQuery", f"The query cannot be evaluated: {exc}.")
            return _fail(outcome, error)
        message, rowid = failures[0]
        error = select_error("CastFailed", message)
        if query.aggregate:
            raise error from None
        # sqlite3 reads a row ahead: run again up to the failing record, so every record
        # before it is returned, then the error.
        outcome.records.clear()
        outcome.returned = 0
        try:
            _collect(con, to_sqlite(query, names, STAR, before_row=rowid), query, settings, header, limits, outcome)
        except (CosServerError, sqlite3.Error):
            pass
        return _fail(outcome, error)
    return outcome


def _collect(con: sqlite3.Connection, sql: str, query: Query, settings: Settings, header: list[str] | None,
             limits: Limits, outcome: Outcome) -> None:
    """Every result row, serialized into ``outcome.records``."""
    out = settings.out
    keys = query.output_names()
    csv_record = csv_writer(out) if isinstance(out, CsvOut) else None
    for row in con.execute(sql):
        if query.star:
            record = json.loads(row[-1])
            if settings.csv_in is not None:
                if csv_record is not None:
                    text = csv_record(record)
                else:
                    titles = header or []
                    text = json_record({(titles[i] if i < len(titles) else f"_{i + 1}"): v
                                        for i, v in enumerate(record)}, out)
            elif csv_record is not None:
                values = list(record.values()) if isinstance(record, dict) else [record]
                text = csv_record([_sql_value(v) for v in values])
            else:
                text = json_record(record, out)
        elif csv_record is not None:
            text = csv_record(row)
        else:
            text = json_record(dict(zip(keys, row)), out)
        encoded = text.encode("utf-8")
        if len(encoded) > limits.record_bytes:
            raise select_error("OverMaxRecordSize", f"A result record is longer than {limits.record_bytes} bytes.")
        outcome.returned += len(encoded)
        if outcome.returned > limits.output_bytes:
            raise CosServerError("OverMaxOutputSize", f"Select returns at most {limits.output_bytes} bytes here.",
                                 status=400)
        outcome.records.append(encoded)


def _fail(outcome: Outcome, error: CosServerError) -> Outcome:
    """An error before any record is the HTTP answer; after some, the stream's error event."""
    if not outcome.records:
        raise error
    outcome.error = error
    return outcome
