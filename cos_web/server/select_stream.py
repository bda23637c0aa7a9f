"""The response body of SELECT Object Content: event-stream messages, as COS sends them.

Records events carry the result (whole records, at most `RECORDS_CHUNK` bytes an event,
so no event splits a record or a UTF-8 character), then Progress (when the request
asked for it), Stats, End. An error met after records were sent is an error message
(``:message-type: error``, ``:error-code``, ``:error-message``) in place of Stats/End.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..eventstream import encode
from . import xmlio

RECORDS_CHUNK = 64 << 10


def records_event(payload: bytes) -> bytes:
    return encode({":message-type": "event", ":event-type": "Records",
                   ":content-type": "application/octet-stream"}, payload)


def _counts(name: str, scanned: int, processed: int, returned: int) -> bytes:
    children = [("BytesScanned", scanned), ("BytesProcessed", processed), ("BytesReturned", returned)]
    return encode({":message-type": "event", ":event-type": name, ":content-type": "text/xml"},
                  xmlio.render(name, children))


def stats_event(scanned: int, processed: int, returned: int) -> bytes:
    return _counts("Stats", scanned, processed, returned)


def progress_event(scanned: int, processed: int, returned: int) -> bytes:
    return _counts("Progress", scanned, processed, returned)


def end_event() -> bytes:
    return encode({":message-type": "event", ":event-type": "End"})


def error_event(code: str, message: str) -> bytes:
    return encode({":message-type": "error", ":error-code": code, ":error-message": message[:1024]})


def chunk_records(records: list[bytes], size: int = RECORDS_CHUNK) -> Iterator[bytes]:
    """Records events of whole records, each about ``size`` bytes (one record larger than that alone)."""
    batch: list[bytes] = []
    held = 0
    for record in records:
        if batch and held + len(record) > size:
            yield records_event(b"".join(batch))
            batch, held = [], 0
        batch.append(record)
        held += len(record)
    if batch:
        yield records_event(b"".join(batch))
