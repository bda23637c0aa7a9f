"""``UploadCheckContentMd5`` and ``UploadAddMetaMd5``: the body's MD5 as request headers.

As cos-js-sdk-v5 (src/base.js putObject, multipartInit, multipartUpload):

- ``UploadCheckContentMd5`` (option): ``Content-MD5`` (base64) on putObject and on
  every part (multipartUpload); the server answers ``BadDigest`` when the bytes it
  got differ, so a body changed or cut on the way is refused, not stored.
- ``UploadAddMetaMd5`` (option, or the call's param): ``x-cos-meta-md5`` (hex) on
  putObject, and on multipartInit when it is given the whole ``Body`` (sliceUploadFile
  and uploadFile pass it: the object then carries its whole content's MD5).

The MD5 is of the bytes sent: a File/Blob (or a part, a ``Blob.slice``) is read one
piece at a time (:meth:`cos_web.upload.BlobSource.md5`), never copied into Python
whole. Unlike the JS SDK, a string is hashed as its UTF-8 (the JS SDK hashes the low
byte of each character, which COS then refuses for non-ASCII text), and
ArrayBuffer/typed-array/bytes bodies are hashed too (the JS SDK sends them without).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ._js import Body
from .operations import Op

__all__ = ["wants_body_md5", "add_body_md5", "body_md5"]

_CHECKED = frozenset({"putObject", "multipartUpload"})
_META = frozenset({"putObject", "multipartInit"})


def wants_body_md5(op: Op, params: Mapping[str, Any], options: Mapping[str, Any]) -> bool:
    """Whether this call needs its body hashed first (cheap: no hashing here)."""
    if params.get("Body") is None:
        return False
    if op.name in _CHECKED and options.get("UploadCheckContentMd5"):
        return True
    return op.name in _META and bool(params.get("UploadAddMetaMd5") or options.get("UploadAddMetaMd5"))


async def add_body_md5(op: Op, params: dict[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with ``Content-MD5`` / ``x-cos-meta-md5`` in ``Headers`` as the options ask.

    ``_BodyMd5`` (hex), when the caller has the body's MD5 already (an upload's part,
    hashed once for resume and retries), is used instead of hashing again. A File/Blob
    body's hashing is reported to ``onHashProgress`` (``{loaded, total, percent}``), as
    the JS SDK's putObject and multipartInit do.
    """
    digest = params.pop("_BodyMd5", None) or await body_md5(params["Body"], _hash_progress(params))
    headers = dict(params.get("Headers") or {})
    if op.name in _CHECKED and options.get("UploadCheckContentMd5"):
        import base64  # only with the option on: not at `import cos_web`

        headers["Content-MD5"] = base64.b64encode(bytes.fromhex(digest)).decode("ascii")
    if op.name in _META and (params.get("UploadAddMetaMd5") or options.get("UploadAddMetaMd5")):
        headers["x-cos-meta-md5"] = digest
    return dict(params, Headers=headers)


async def body_md5(body: Any, on_progress: Callable[[dict[str, Any]], Any] | None = None) -> str:
    """Hex MD5 of a request body: str (UTF-8), bytes, a classified Body, or a JS File/Blob/buffer.

    ``on_progress``: hashing reports of a File/Blob (a str or bytes is hashed at once, unreported,
    as the JS SDK hashes a string body)."""
    from .upload import BlobSource, make_source

    if isinstance(body, Body):
        value = body.value
        if isinstance(value, (str, bytes, bytearray, memoryview)):
            return _md5(value)
        return await BlobSource(value).md5(0, body.size, on_progress)
    if isinstance(body, (str, bytes, bytearray, memoryview)):
        return _md5(body)
    source = make_source(body)  # File/Blob; ArrayBuffer/typed array wrapped in a Blob
    return await source.md5(0, source.size, on_progress)


def _hash_progress(params: Mapping[str, Any]) -> Callable[[dict[str, Any]], Any] | None:
    fn = params.get("onHashProgress")
    if fn is None:
        return None
    from ._js import call_user

    def report(info: dict[str, Any]) -> None:
        try:
            call_user(fn, info)
        except Exception:  # a user's progress callback must not break the upload
            pass

    return report


def _md5(value: str | bytes | bytearray | memoryview) -> str:
    import hashlib  # only with the option on: not at `import cos_web`

    return hashlib.md5(value.encode("utf-8") if isinstance(value, str) else value).hexdigest()
