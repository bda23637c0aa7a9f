"""An in-memory COS for the upload tests: multipart (init, part, list, list parts, complete,
abort) and putObject, behind a MockTransport handler.

It counts requests per operation, records the highest number of part PUTs in flight,
and can fail chosen requests (``fail``: a function of (op, request) returning a
Response, an exception to raise, or None). Parts "take" ``delay`` seconds, during
which upload progress is reported halfway, so pause/cancel can hit them in flight.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import urllib.parse
from collections import Counter
from typing import Any, Callable

from cos_web import COS
from cos_web.transport import MockTransport, Request, Response

B, R = "test-1250000000", "ap-guangzhou"
DOMAIN = "http://{Bucket}.cos.{Region}.fake"
KEYS = {"SecretId": "AKIDtest", "SecretKey": "k" * 32}
MB = 1024 * 1024


def _xml(root: str, children: list[tuple[str, Any]]) -> str:
    def render(items: list[tuple[str, Any]]) -> str:
        out = []
        for name, value in items:
            if isinstance(value, list):
                out.append(f"<{name}>{render(value)}</{name}>")
            else:
                out.append(f"<{name}>{value}</{name}>")
        return "".join(out)

    return f'<?xml version="1.0" encoding="UTF-8"?><{root}>{render(children)}</{root}>'


def _error(status: int, code: str) -> Response:
    return Response(status, {"content-type": "application/xml"}, _xml("Error", [("Code", code), ("Message", code)]))


class FakeCos:
    def __init__(self, delay: float = 0.0) -> None:
        self.objects: dict[str, bytes] = {}
        self.etags: dict[str, str] = {}  # what HEAD answers: MD5, or the multipart ETag (md5 of part MD5s, -N)
        self.uploads: dict[str, dict[str, Any]] = {}  # id -> {key, parts: {n: bytes}, initiated}
        self.counts: Counter[str] = Counter()
        self.part_numbers: list[int] = []  # PartNumber of every part PUT that reached the server
        self.in_flight = 0
        self.max_in_flight = 0
        self.delay = delay
        self.fail: Callable[[str, Request], Any] | None = None
        self._ids = itertools.count(1)
        self.transport = MockTransport(self.handle)

    def client(self, **options: Any) -> COS:
        cos = COS({**KEYS, "Domain": DOMAIN, "ProgressInterval": 0, **options}, transport=self.transport)

        async def no_sleep(seconds: float) -> None:
            cos.slept.append(seconds)  # type: ignore[attr-defined]

        cos.slept = []  # type: ignore[attr-defined]
        cos._pipeline.sleep = no_sleep
        return cos

    # ------------------------------------------------------------------ routing

    @staticmethod
    def op_of(req: Request) -> tuple[str, str, dict[str, str]]:
        url = urllib.parse.urlsplit(req.url)
        key = urllib.parse.unquote(url.path[1:])
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        m = req.method
        if m == "POST" and "uploads" in query:
            return "multipartInit", key, query
        if m == "PUT" and "uploadId" in query:
            return "multipartUpload", key, query
        if m == "POST" and "uploadId" in query:
            return "multipartComplete", key, query
        if m == "GET" and "uploadId" in query:
            return "multipartListPart", key, query
        if m == "DELETE" and "uploadId" in query:
            return "multipartAbort", key, query
        if m == "GET" and "uploads" in query:
            return "multipartList", key, query
        if m == "PUT":
            return "putObject", key, query
        if m == "GET":
            return "getObject", key, query
        if m == "HEAD":
            return "headObject", key, query
        return "other", key, query

    async def handle(self, req: Request) -> Response:
        op, key, query = self.op_of(req)
        self.counts[op] += 1
        await asyncio.sleep(0)  # a network always yields
        if self.fail is not None:
            outcome = self.fail(op, req)
            if isinstance(outcome, BaseException):
                raise outcome
            if outcome is not None:
                return outcome
        return await getattr(self, "_" + op)(key, query, req)

    # ------------------------------------------------------------------ operations

    async def _putObject(self, key: str, query: dict[str, str], req: Request) -> Response:
        body = _bytes(req.body)
        self.objects[key] = body
        self.etags[key] = f'"{hashlib.md5(body).hexdigest()}"'
        return Response(200, {"etag": self.etags[key]}, "")

    async def _headObject(self, key: str, query: dict[str, str], req: Request) -> Response:
        if key not in self.objects:
            return Response(404, {}, "")
        return Response(200, {"etag": self.etags[key], "content-length": str(len(self.objects[key]))}, "")

    async def _getObject(self, key: str, query: dict[str, str], req: Request) -> Response:
        if key not in self.objects:
            return _error(404, "NoSuchKey")
        return Response(200, {}, self.objects[key])

    async def _multipartInit(self, key: str, query: dict[str, str], req: Request) -> Response:
        upload_id = f"up{next(self._ids):04d}"
        self.uploads[upload_id] = {"key": key, "parts": {}, "initiated": f"2024-01-01T00:00:{len(self.uploads):02d}.000Z"}
        return Response(200, {}, _xml("InitiateMultipartUploadResult", [("Bucket", B), ("Key", key), ("UploadId", upload_id)]))

    async def _multipartUpload(self, key: str, query: dict[str, str], req: Request) -> Response:
        body = _bytes(req.body)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                if req.on_upload_progress:
                    req.on_upload_progress(len(body) // 2, len(body))
                await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        upload = self.uploads.get(query["uploadId"])
        if upload is None:
            return _error(404, "NoSuchUpload")
        number = int(query["partNumber"])
        upload["parts"][number] = body
        self.part_numbers.append(number)
        return Response(200, {"etag": f'"{hashlib.md5(body).hexdigest()}"'}, "")

    async def _multipartComplete(self, key: str, query: dict[str, str], req: Request) -> Response:
        upload = self.uploads.pop(query["uploadId"], None)
        if upload is None:
            return _error(404, "NoSuchUpload")
        import re

        numbers = [int(n) for n in re.findall(r"<PartNumber>(\d+)</PartNumber>", req.body)]
        assert numbers == sorted(numbers), "parts out of order"
        parts = upload["parts"]
        for n in numbers[:-1]:
            if len(parts[n]) < MB:
                return _error(400, "EntityTooSmall")
        self.objects[key] = b"".join(parts[n] for n in numbers)
        digest = hashlib.md5(b"".join(hashlib.md5(parts[n]).digest() for n in numbers)).hexdigest()
        self.etags[key] = f'"{digest}-{len(numbers)}"'
        return Response(
            200,
            {},
            _xml("CompleteMultipartUploadResult", [("Location", f"h/{key}"), ("Bucket", B), ("Key", key), ("ETag", f'"x-{len(numbers)}"')]),
        )

    async def _multipartListPart(self, key: str, query: dict[str, str], req: Request) -> Response:
        upload = self.uploads.get(query["uploadId"])
        if upload is None:
            return _error(404, "NoSuchUpload")
        marker = int(query.get("part-number-marker") or 0)
        numbers = sorted(n for n in upload["parts"] if n > marker)
        page, rest = numbers[:2], numbers[2:]  # tiny pages, to exercise paging
        children: list[tuple[str, Any]] = [("Bucket", B), ("Key", key), ("UploadId", query["uploadId"])]
        children.append(("IsTruncated", "true" if rest else "false"))
        if rest:
            children.append(("NextPartNumberMarker", page[-1]))
        for n in page:
            body = upload["parts"][n]
            children.append(("Part", [("PartNumber", n), ("ETag", f'"{hashlib.md5(body).hexdigest()}"'), ("Size", len(body))]))
        return Response(200, {}, _xml("ListPartsResult", children))

    async def _multipartAbort(self, key: str, query: dict[str, str], req: Request) -> Response:
        if self.uploads.pop(query["uploadId"], None) is None:
            return _error(404, "NoSuchUpload")
        return Response(204, {}, "")

    async def _multipartList(self, key: str, query: dict[str, str], req: Request) -> Response:
        prefix = query.get("prefix", "")
        items = [(u["key"], uid, u) for uid, u in self.uploads.items() if u["key"].startswith(prefix)]
        items.sort(key=lambda t: (t[0], t[2]["initiated"]))
        children: list[tuple[str, Any]] = [("Bucket", B), ("IsTruncated", "false")]
        for k, uid, u in items:
            children.append(("Upload", [("Key", k), ("UploadId", uid), ("StorageClass", "STANDARD"), ("Initiated", u["initiated"])]))
        return Response(200, {}, _xml("ListMultipartUploadsResult", children))

    # ------------------------------------------------------------------ helpers

    def start_upload(self, key: str, data: bytes, part_size: int, numbers: list[int]) -> str:
        """An unfinished upload left by an earlier session, holding ``numbers`` parts of ``data``."""
        upload_id = f"up{next(self._ids):04d}"
        parts = {n: data[(n - 1) * part_size : n * part_size] for n in numbers}
        self.uploads[upload_id] = {"key": key, "parts": parts, "initiated": f"2024-01-01T00:00:{len(self.uploads):02d}.000Z"}
        return upload_id


def _bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode()
    return bytes(body)
