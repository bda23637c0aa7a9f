"""abortUploadTask's listing: every page of multipartList is followed (markers), as the JS SDK's
wholeMultipartList; AsyncLimit bounds the aborts in flight; a failed abort goes to errorList."""

from __future__ import annotations

import asyncio
import urllib.parse

from cos_web import COS
from cos_web.transport import MockTransport, Response

WHERE = {"Bucket": "test-1250000000", "Region": "ap-guangzhou"}
PAGE1 = ("<ListMultipartUploadsResult><IsTruncated>true</IsTruncated><NextKeyMarker>k2</NextKeyMarker>"
         "<NextUploadIdMarker>u2</NextUploadIdMarker><Upload><Key>k1</Key><UploadId>u1</UploadId></Upload>"
         "<Upload><Key>k2</Key><UploadId>u2</UploadId></Upload></ListMultipartUploadsResult>")  # fmt: skip
PAGE2 = ("<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>"
         "<Upload><Key>k3</Key><UploadId>u3</UploadId></Upload></ListMultipartUploadsResult>")  # fmt: skip


def test_bucket_level_follows_every_page_and_reports_failures():
    in_flight = {"now": 0, "max": 0}

    async def handler(request):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.url).query, keep_blank_values=True)
        if request.method == "GET":
            return Response(200, {}, PAGE2 if query.get("key-marker") == ["k2"] else PAGE1)
        in_flight["now"] += 1
        in_flight["max"] = max(in_flight["max"], in_flight["now"])
        await asyncio.sleep(0.01)
        in_flight["now"] -= 1
        if query["uploadId"] == ["u2"]:
            return Response(404, {}, "<Error><Code>NoSuchUpload</Code><Message>gone</Message></Error>")
        return Response(204, {}, "")

    transport = MockTransport(handler)
    cos = COS(SecretId="a", SecretKey="b", transport=transport)
    data = asyncio.run(cos.abortUploadTask(**WHERE, Level="bucket", AsyncLimit=2))
    assert [t["UploadId"] for t in data["successList"]] == ["u1", "u3"]
    assert data["errorList"] == [{**WHERE, "Key": "k2", "UploadId": "u2"}]
    assert in_flight["max"] == 2
    lists = [r for r in transport.requests if r.method == "GET"]
    assert len(lists) == 2 and "upload-id-marker=u2" in lists[1].url
