"""SELECT Object Content: ``POST /{key}?select&select-type=2`` with a SelectRequest document.

    <SelectRequest>
      <Expression>SELECT s._1 FROM COSObject s WHERE ...</Expression>
      <ExpressionType>SQL</ExpressionType>
      <InputSerialization>  CompressionType, CSV{...} or JSON{Type}  </InputSerialization>
      <OutputSerialization> CSV{...} or JSON{RecordDelimiter}        </OutputSerialization>
      <RequestProgress><Enabled>TRUE</Enabled></RequestProgress>
    </SelectRequest>

A request error (bad XML, bad SQL, missing key, an archived object, a limit) is the
usual COS ``<Error>`` document. Otherwise the answer is 200 with an event stream
(`select_stream`); an error met after records were produced ends that stream as an
error event. The SQL subset and the engine are in `select_sql` / `select_engine`.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from ..values import MAX_SELECT_EXPRESSION, MAX_SELECT_RECORD, SELECT_TYPE
from . import select_stream, xmlio
from .context import Ctx, check_key
from .errors import CosServerError
from .handlers_common import check_body_md5, read_body
from .restore_store import check_readable
from .select_engine import Limits, Outcome, run
from .select_formats import Settings, parse_settings
from .select_sql import Query, parse, select_error
from .transfer import reset

# This server's bounds on one select (COS's own are larger; these keep the local server responsive).
MAX_OBJECT_BYTES = 64 << 20  # the stored object (compressed or not)
MAX_INPUT_BYTES = 128 << 20  # the data after decompression
MAX_OUTPUT_BYTES = 128 << 20  # the records returned
QUERY_SECONDS = 30.0  # reading, loading and querying
REQUEST_LIMIT = MAX_SELECT_EXPRESSION + (64 << 10)  # the SelectRequest document
MAX_RUNNING = 2  # selects reading/querying at once (each holds up to the limits above in memory); more: SlowDown
_running = 0  # in this process (the handlers share one event loop)


async def select_object(ctx: Ctx, request: web.Request) -> web.StreamResponse:
    check_key(ctx.key)
    if ctx.param("select-type") != SELECT_TYPE:
        raise CosServerError("InvalidArgument", "select-type must be 2.")
    body = await read_body(ctx, request, REQUEST_LIMIT)
    check_body_md5(request, body)
    root = await xmlio.parse_async(body, REQUEST_LIMIT)
    if root.tag != "SelectRequest":
        raise CosServerError("MalformedXML")
    expression = xmlio.text(root, "Expression") or ""
    if (xmlio.text(root, "ExpressionType") or "").strip().upper() != "SQL":
        raise select_error("InvalidExpressionType", "ExpressionType must be SQL.")
    if len(expression.encode("utf-8")) > MAX_SELECT_EXPRESSION:
        raise select_error("ExpressionTooLong", f"The expression is longer than {MAX_SELECT_EXPRESSION} bytes.")
    query = parse(expression)
    settings = parse_settings(root)
    global _running
    if _running >= MAX_RUNNING:
        raise CosServerError("SlowDown", f"At most {MAX_RUNNING} selects run at once here; retry later.")
    _running += 1
    try:
        size, outcome = await _run(ctx, query, settings)
    finally:
        _running -= 1
    return await _send(ctx, request, settings, size, outcome)


async def _run(ctx: Ctx, query: Query, settings: Settings) -> tuple[int, Outcome]:
    """(the stored size, what the query produced): the object read whole, the query in a worker thread."""
    record, fh = ctx.storage.open_object(ctx.bucket, ctx.key)
    try:
        check_readable(ctx.storage, record, ctx.now(), "GET")  # archived, not restored: InvalidObjectState
        if record.size > MAX_OBJECT_BYTES:
            raise CosServerError("OverMaxInputSize", f"This server selects from objects of at most "
                                 f"{MAX_OBJECT_BYTES} bytes.", status=400)
        data = await asyncio.to_thread(fh.read, record.size)
    finally:
        fh.close()
    limits = Limits(MAX_INPUT_BYTES, MAX_OUTPUT_BYTES, MAX_SELECT_RECORD, QUERY_SECONDS)
    return record.size, await asyncio.to_thread(run, data, query, settings, limits)


async def _send(ctx: Ctx, request: web.Request, settings: Settings, size: int, outcome: Outcome) -> web.StreamResponse:
    """200 and the events: records, then Progress/Stats/End, or the error met after some records."""
    response = web.StreamResponse(status=200, headers={"Content-Type": "application/octet-stream"})
    await response.prepare(request)
    events = list(select_stream.chunk_records(outcome.records))
    if outcome.error is not None:
        events.append(select_stream.error_event(outcome.error.code, outcome.error.message))
    else:
        counts = (size, outcome.processed, outcome.returned)
        if settings.progress:
            events.append(select_stream.progress_event(*counts))
        events += [select_stream.stats_event(*counts), select_stream.end_event()]
    for event in events:
        try:
            await asyncio.wait_for(response.write(event), ctx.server.config.body_timeout)
        except asyncio.TimeoutError:
            reset(request)  # the client stopped reading
            return response
    await response.write_eof()
    return response
