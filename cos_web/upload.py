"""Multipart upload as plain data: the plan, its sources, resume matching.

Nothing here sends a request or touches a task queue (that is :mod:`cos_web.uploads`);
everything is small pure functions over plain values, so CPython tests cover it:

- :func:`plan_upload` splits a file of ``size`` bytes into :class:`Part` s
  (``start``/``end``, ``etag`` once on the server, ``sent`` bytes of the attempt in
  flight), raising the part size along the JS SDK's ladder when the file would
  need more than ``MaxPartNumber`` parts; :meth:`Plan.loaded` is the progress.
- :func:`match_server_parts` says which parts an unfinished upload on the server
  could give us (sizes must fit the plan); :func:`same_etag` compares a local MD5
  with a part's ETag.
- Sources (:func:`make_source`) classify an upload's ``Body`` once, where it enters,
  and give the file's or a part's body as a :class:`cos_web._js.Body` (value, size,
  type already known) without copying the file: a JS ``File``/``Blob`` is cut with
  ``Blob.slice`` (the browser streams it); hashing for resume reads one piece of at
  most :data:`HASH_PIECE` bytes at a time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._js import Body
from .errors import invalid_parameter
from .values import MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE

__all__ = [
    "MB",
    "MIN_PART_SIZE",
    "MAX_PART_SIZE",
    "MAX_PARTS",
    "HASH_PIECE",
    "Part",
    "Plan",
    "part_size_for",
    "plan_upload",
    "same_etag",
    "multipart_etag",
    "match_server_parts",
    "BytesSource",
    "BlobSource",
    "make_source",
    "wasm_heap_bytes",
]

HashProgress = Callable[[dict[str, Any]], Any]
MB = 1024 * 1024
HASH_PIECE = 4 * MB  # bytes read into memory at once when hashing a part for resume
_LADDER_MB = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 5120)  # the JS SDK's


# ---------------------------------------------------------------- the plan


@dataclass(slots=True)
class Part:
    """One part of a multipart upload: bytes ``[start, end)`` of the source."""

    number: int
    start: int
    end: int
    etag: str | None = None  # set once the server has the part
    sent: int = 0  # bytes of the attempt in flight sent so far

    @property
    def size(self) -> int:
        return self.end - self.start

    @property
    def done(self) -> bool:
        return self.etag is not None

    def to_dict(self) -> dict[str, Any]:
        return {"PartNumber": self.number, "start": self.start, "end": self.end, "ETag": self.etag, "sent": self.sent}


@dataclass(slots=True)
class Plan:
    """One file's multipart upload: part layout and which parts the server holds."""

    size: int
    part_size: int
    parts: list[Part] = field(default_factory=list)
    upload_id: str | None = None
    auto: bool = False  # part size chosen by cos_web (a resume may take the server upload's instead)
    _done: int = field(default=0, repr=False, compare=False)  # bytes of parts with an ETag
    _sending: dict[int, Part] = field(default_factory=dict, repr=False, compare=False)  # parts in flight
    _in_flight: int = field(default=0, repr=False, compare=False)  # their bytes sent (sum of their .sent)

    def loaded(self) -> int:
        """Bytes on the server plus bytes of parts in flight (O(1): called per progress event)."""
        return self._done + self._in_flight

    def recount(self) -> None:
        """Re-derive the running totals after parts were marked directly (resume)."""
        self._done = sum(p.size for p in self.parts if p.etag is not None)
        self._sending = {n: p for n, p in self._sending.items() if p.etag is None}
        self._in_flight = sum(p.sent for p in self._sending.values())

    def part_sent(self, part: Part, loaded: int) -> int:
        """A part's bytes sent so far; returns :meth:`loaded` (the run reports it)."""
        if part.number in self._sending:
            self._in_flight += loaded - part.sent
        else:
            self._sending[part.number] = part
            self._in_flight += loaded
        part.sent = loaded
        return self._done + self._in_flight

    def part_done(self, part: Part, etag: str) -> None:
        if part.etag is None:
            self._done += part.size
        part.etag = etag
        self._stop_sending(part)

    def part_failed(self, part: Part) -> None:
        self._stop_sending(part)

    def _stop_sending(self, part: Part) -> None:
        if self._sending.pop(part.number, None) is not None:
            self._in_flight -= part.sent
        part.sent = 0

    def pending(self) -> list[Part]:
        return [p for p in self.parts if p.etag is None]

    def complete_parts(self) -> list[dict[str, Any]]:
        """The ``Parts`` of multipartComplete (ascending)."""
        return [{"PartNumber": p.number, "ETag": p.etag} for p in self.parts]

    def forget_server(self) -> None:
        """The upload is gone from the server: start over with nothing uploaded."""
        self.upload_id = None
        for p in self.parts:
            p.etag = None
            p.sent = 0
        self._sending.clear()
        self.recount()  # (and _in_flight: 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "UploadId": self.upload_id,
            "size": self.size,
            "partSize": self.part_size,
            "partCount": len(self.parts),
            "doneCount": sum(1 for p in self.parts if p.etag is not None),
            "parts": [p.to_dict() for p in self.parts],
        }


def part_size_for(size: int, chunk_size: int, max_parts: int = MAX_PARTS) -> int:
    """The part size: ``chunk_size`` (at least 1 MB), raised so ``size`` fits in ``max_parts`` parts.

    Like the JS SDK, the raised size is the first of 1, 2, 4 ... 5120 MB that
    fits; a file too big even for 5 GB parts gets parts of ``ceil(size / max_parts)``.
    """
    max_parts = max(1, min(MAX_PARTS, int(max_parts)))
    auto = MB
    for mb in _LADDER_MB:
        auto = mb * MB
        if size / auto <= max_parts:
            break
    else:
        auto = -(-size // max_parts)
    return min(max(int(chunk_size or 0), MIN_PART_SIZE, auto), max(MAX_PART_SIZE, auto))


def plan_upload(size: int, chunk_size: int, max_parts: int = MAX_PARTS) -> Plan:
    """Split ``size`` bytes into parts (at least one part, even for an empty file)."""
    part_size = part_size_for(size, chunk_size, max_parts)
    parts = [Part(i + 1, start, min(start + part_size, size)) for i, start in enumerate(range(0, size, part_size))]
    if not parts:
        parts = [Part(1, 0, 0)]
    return Plan(size, part_size, parts)


# ---------------------------------------------------------------- resume


def same_etag(md5_hex: str, etag: Any) -> bool:
    """A part's ETag (quoted MD5 hex) equals a local MD5."""
    return isinstance(etag, str) and etag.strip().strip('"').lower() == md5_hex.lower()


def multipart_etag(part_etags: Iterable[str]) -> str | None:
    """The ETag COS gives a completed multipart upload: MD5 of the parts' binary MD5s, ``-N``
    (``"hex-N"``, quoted); None if a part's ETag is not an MD5."""
    digests = []
    for etag in part_etags:
        hex_md5 = etag.strip().strip('"').lower()
        if len(hex_md5) != 32:
            return None
        try:
            digests.append(bytes.fromhex(hex_md5))
        except ValueError:
            return None
    return f'"{hashlib.md5(b"".join(digests)).hexdigest()}-{len(digests)}"'


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def match_server_parts(plan: Plan, server_parts: Iterable[Mapping[str, Any]]) -> list[tuple[Part, str]] | None:
    """Which of the plan's parts an upload's listed parts could be, or None if they cannot fit.

    Every listed part must be a part number of the plan with exactly the plan's
    size for it (so an upload made with another part size, or for a bigger file,
    is refused). Returns ``(part, server ETag)`` pairs, ascending, to verify by MD5.
    """
    by_number = {p.number: p for p in plan.parts}
    found: dict[int, tuple[Part, str]] = {}
    for item in server_parts:
        number = _as_int(item.get("PartNumber"))
        size = _as_int(item.get("Size"))
        part = by_number.get(number) if number is not None else None
        if part is None or size != part.size:
            return None
        found[part.number] = (part, str(item.get("ETag") or ""))
    return [found[n] for n in sorted(found)]


# ---------------------------------------------------------------- sources


class BytesSource:
    """Python bytes as an upload source (CPython, or small bodies in the page)."""

    kind = "bytes"

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self.data = memoryview(data).cast("B") if not isinstance(data, bytes) else data
        self.size = len(self.data)
        self.type = ""
        self.md5s: dict[tuple[int, int], str] = {}  # (start, end) -> hex: each range hashed once

    def slice(self, start: int, end: int) -> Body:
        return Body(bytes(self.data[start:end]), end - start)

    def body(self) -> Body:
        return Body(bytes(self.data), self.size, self.type)

    async def md5(self, start: int, end: int, on_progress: HashProgress | None = None) -> str:
        found = self.md5s.get((start, end))
        if found is None:
            found = self.md5s[(start, end)] = hashlib.md5(self.data[start:end]).hexdigest()
        if on_progress is not None:
            on_progress(_hashed(end - start, end - start))
        return found

    def release(self, body: Body) -> None:
        pass


class BlobSource:
    """A JS File/Blob: parts are ``Blob.slice`` views, never copied into Python."""

    kind = "blob"

    def __init__(self, blob: Any) -> None:
        self.blob = blob
        self.size = int(blob.size)
        t = getattr(blob, "type", "")
        self.type = t if isinstance(t, str) else ""
        self.md5s: dict[tuple[int, int], str] = {}  # (start, end) -> hex: each range read and hashed once

    def slice(self, start: int, end: int) -> Body:
        return Body(self.blob.slice(start, end), end - start)

    def body(self) -> Body:
        return Body(self.blob, self.size, self.type)

    async def md5(self, start: int, end: int, on_progress: HashProgress | None = None) -> str:
        """MD5 of bytes [start, end), read one piece of at most HASH_PIECE bytes at a time (once per
        range: resume matching, a part's Content-MD5 and its retries share it). ``on_progress``
        gets ``{loaded, total, percent}`` after each piece (the JS SDK's getFileMd5 reports)."""
        found = self.md5s.get((start, end))
        if found is not None:
            if on_progress is not None:
                on_progress(_hashed(end - start, end - start))
            return found
        h = hashlib.md5()
        for offset in range(start, end, HASH_PIECE):
            piece = self.blob.slice(offset, min(end, offset + HASH_PIECE))
            buf = await piece.arrayBuffer()
            try:
                h.update(buf.to_bytes())
            finally:
                _destroy(buf)
                _destroy(piece)
            if on_progress is not None:
                on_progress(_hashed(min(end, offset + HASH_PIECE) - start, end - start))
        found = self.md5s[(start, end)] = h.hexdigest()
        return found

    def release(self, body: Body) -> None:
        _destroy(body.value)


def _hashed(loaded: int, total: int) -> dict[str, Any]:
    """A hash progress report as the JS SDK's getFileMd5 makes it (percent to 4 decimals)."""
    return {"loaded": loaded, "total": total, "percent": round(loaded / total * 10000) / 10000 if total else 1}


def _destroy(proxy: Any) -> None:
    destroy = getattr(proxy, "destroy", None)
    if destroy is not None:
        try:
            destroy()
        except Exception:
            pass


def make_source(body: Any) -> BytesSource | BlobSource:
    """The upload source for a ``Body``: File/Blob (ArrayBuffer/TypedArray wrapped in a Blob), str or bytes.

    The one place an upload's ``Body`` is classified: the requests of the upload
    carry the source's :class:`~cos_web._js.Body` values, never the raw ``Body``.

    Anything else raises CosError InvalidParameter (before any request).
    """
    if body is None:
        raise invalid_parameter("Body", "missing param Body")
    if isinstance(body, str):
        try:
            source = BytesSource(body.encode("utf-8"))
        except UnicodeEncodeError:
            raise invalid_parameter("Body", "holds a lone surrogate (not valid Unicode text)") from None
        source.type = "text/plain"  # as the JS SDK's getFileSize: a string Body becomes a text/plain Blob
        return source
    if isinstance(body, (bytes, bytearray, memoryview)):
        return BytesSource(body)
    from ._js import is_js

    if is_js(body):
        from ._js import js_body_kind

        kind = js_body_kind(body)
        if kind == "blob":
            return BlobSource(body)
        if kind in ("buffer", "view"):
            import js  # type: ignore[import-not-found]
            from pyodide.ffi import to_js  # type: ignore[import-not-found]

            return BlobSource(js.Blob.new(to_js([body])))
    raise invalid_parameter(
        "Body", f"must be a File or Blob (or str, bytes, ArrayBuffer, Uint8Array), got {type(body).__name__}"
    )


# ---------------------------------------------------------------- memory check


def wasm_heap_bytes() -> int | None:
    """Size of the Pyodide wasm heap in bytes (it grows, never shrinks), or None outside Pyodide.

    For memory checks of uploads: compare before and after a large upload.
    """
    try:
        import pyodide_js  # type: ignore[import-not-found]

        return int(pyodide_js._module.HEAPU8.length)
    except Exception:
        pass
    try:
        import js  # type: ignore[import-not-found]

        return int(js.pyodide._module.HEAPU8.length)
    except Exception:
        return None
