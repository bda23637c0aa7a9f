"""``COS.util``: the JavaScript SDK's public helpers (md5, xml2json, json2xml, encodeBase64).

cos-js-sdk-v5 exposes these four on ``COS.util``; cos_web gives the same outputs
for the inputs the JS SDK handles, under the JS names and snake_case names:

- ``md5(text, is_bin_str=False)``: hex MD5 of a string as the JS SDK hashes it
  (UTF-8, or with ``isBinStr`` the low byte of each UTF-16 unit; lone
  surrogates as its loop treats them). Beyond the JS SDK (whose ``md5`` hashes
  only strings: a Uint8Array throws there, an ArrayBuffer or Blob hashes as
  ``""``): bytes, ArrayBuffer and typed arrays hash their bytes at once, and a
  File/Blob returns an awaitable of its hex MD5, read one slice at a time (the
  file is never copied into Python whole), with an optional
  ``callback(err, hex)`` as the JS SDK's internal ``getFileMd5`` has.
- ``xml2json`` / ``json2xml``: :mod:`cos_web.xml`, the JS SDK's shapes.
- ``encodeBase64(text, safe=False)``: base64 of the string's UTF-8 (as its
  bundled base64.js encodes), ``safe`` the URL-safe form without padding that
  Cloud Infinite uses. Bytes are encoded as they are (the JS SDK would encode
  the text ``String(value)``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from typing import Any

from . import _js
from .auth import js_str
from .errors import invalid_parameter
from .xml import json2xml as _json2xml
from .xml import xml2json as _xml2json

__all__ = ["md5", "xml2json", "json2xml", "encode_base64", "encodeBase64", "js_utf8"]


def js_utf8(text: str) -> bytes:
    """The bytes the JS SDK's md5 feeds for ``text`` (UTF-8 of its UTF-16 units).

    Equal to ``text.encode("utf-8")`` for well-formed text. A surrogate is taken
    with the next unit as a pair whatever that unit is, as lib/md5.js does.
    """
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        pass
    raw = text.encode("utf-16-le", "surrogatepass")
    units = [raw[i] | raw[i + 1] << 8 for i in range(0, len(raw), 2)]
    out = bytearray()
    i = 0
    while i < len(units):
        code = units[i]
        if code < 0x80:
            out.append(code)
        elif code < 0x800:
            out += bytes((0xC0 | code >> 6, 0x80 | code & 0x3F))
        elif code < 0xD800 or code >= 0xE000:
            out += bytes((0xE0 | code >> 12, 0x80 | code >> 6 & 0x3F, 0x80 | code & 0x3F))
        else:
            i += 1
            low = units[i] if i < len(units) else 0  # charCodeAt past the end is NaN -> 0
            code = 0x10000 + ((code & 0x3FF) << 10 | low & 0x3FF)
            out += bytes((0xF0 | code >> 18, 0x80 | code >> 12 & 0x3F, 0x80 | code >> 6 & 0x3F, 0x80 | code & 0x3F))
        i += 1
    return bytes(out)


def _binary_string(text: str) -> bytes:
    """``isBinStr``: the low byte of each UTF-16 unit (what a Uint8Array store keeps)."""
    return text.encode("utf-16-le", "surrogatepass")[0::2]


def md5(value: Any, is_bin_str: bool = False, callback: Any = None) -> Any:
    """``COS.util.md5``: the hex MD5 (an awaitable of it for a File/Blob; see the module docstring)."""
    if isinstance(value, str):
        data = _binary_string(value) if is_bin_str else js_utf8(value)
    elif isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
    elif _js.is_js(value):
        kind = _js.js_body_kind(value)
        if kind == "blob":
            return _blob_md5(value, callback)
        if kind in ("buffer", "view"):
            data = bytes(value.to_bytes())
        else:
            raise invalid_parameter("md5", f"cannot hash a {type(value).__name__}")
    else:
        raise invalid_parameter("md5", f"expects str, bytes or a File/Blob, got {type(value).__name__}")
    digest = hashlib.md5(data).hexdigest()
    if callback is not None:
        _js.call_user(callback, None, digest)
    return digest


def _blob_md5(blob: Any, callback: Any) -> Any:
    """An awaitable of the Blob's hex MD5 (started at once when an event loop runs)."""
    from .upload import BlobSource  # reads HASH_PIECE bytes at a time, releasing each

    async def digest() -> str:
        source = BlobSource(blob)
        return await source.md5(0, source.size)

    async def run() -> str | None:
        return await _js.deliver(digest(), callback)

    try:
        return asyncio.get_running_loop().create_task(run())
    except RuntimeError:
        return run()


def xml2json(body: Any) -> dict[str, Any]:
    """``COS.util.xml2json``: XML text -> the JS SDK's dict shape (leaves are strings)."""
    return _xml2json(body)


def json2xml(obj: Any) -> str:
    """``COS.util.json2xml``: a dict (or JS object) -> compact XML, as the JS SDK builds it."""
    obj = _js.to_py(obj)
    if not isinstance(obj, dict):
        raise invalid_parameter("json2xml", f"expects a dict, got {type(obj).__name__}")
    return _json2xml(obj)


def encode_base64(value: Any, safe: bool = False) -> str:
    """``COS.util.encodeBase64``: base64 of the text's UTF-8; ``safe``: ``-``/``_``, no ``=``."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
    else:
        data = _base64_utf8(js_str(_js.to_py(value)))
    out = base64.b64encode(data).decode("ascii")
    if safe:
        out = out.replace("+", "-").replace("/", "_").replace("=", "")
    return out


def _base64_utf8(text: str) -> bytes:
    """UTF-8 as base64.js's utob makes it: a lone surrogate as 3 bytes (its regex pairs a high
    surrogate with a following low surrogate, or with an 'F', a quirk kept here)."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        pass
    raw = text.encode("utf-16-le", "surrogatepass")
    units = [raw[i] | raw[i + 1] << 8 for i in range(0, len(raw), 2)]
    out = bytearray()
    i = 0
    while i < len(units):
        c = units[i]
        nxt = units[i + 1] if i + 1 < len(units) else None
        if 0xD800 <= c <= 0xDBFF and nxt is not None and (0xDC00 <= nxt <= 0xDFFF or nxt == 0x46):
            cc = (0x10000 + (c - 0xD800) * 0x400 + (nxt - 0xDC00)) & 0xFFFFFFFF
            out += bytes((0xF0 | cc >> 18 & 0x07, 0x80 | cc >> 12 & 0x3F, 0x80 | cc >> 6 & 0x3F, 0x80 | cc & 0x3F))
            i += 2
            continue
        if c < 0x80:
            out.append(c)
        elif c < 0x800:
            out += bytes((0xC0 | c >> 6, 0x80 | c & 0x3F))
        else:
            out += bytes((0xE0 | c >> 12 & 0x0F, 0x80 | c >> 6 & 0x3F, 0x80 | c & 0x3F))
        i += 1
    return bytes(out)


encodeBase64 = encode_base64
