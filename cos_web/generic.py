"""``cos.request``: the JS SDK's generic signed request, for calls with no method of their own.

Params as cos-js-sdk-v5's ``request`` (src/base.js): ``Method``, ``Bucket``/``Region``
(or ``Url``, taken as the whole base URL and its host signed), ``Key``, ``Action`` (a
sub-resource: ``?tagging``), ``Query``, ``Headers`` (plus the header-valued params
every call takes: ``ContentType``, ``x-cos-*`` ...), ``Body``, ``RawBody``,
``DataType``. The request is a one-off :class:`~cos_web.operations.Op` sent through
the pipeline, so it is checked, signed (``getAuthorization`` sees an empty action),
retried and shaped like every call.

The result, as the JS SDK's: the parsed XML/JSON body's fields with ``statusCode``,
``headers`` (and ``RequestId`` ...); with ``RawBody`` (or ``DataType`` ``blob`` /
``arraybuffer``) ``Body`` is the body as received. Where the JS SDK fails (a 2xx
body that is neither XML nor a JSON object makes it throw a TypeError), cos_web
hands the text back as ``Body``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import invalid_parameter
from .operations import Op, Reply

__all__ = ["request_op", "send_request"]

_METHODS = frozenset({"GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PATCH"})


def request_op(params: Mapping[str, Any]) -> Op:
    """The one-off operation a ``request`` call's params describe."""
    method = params.get("Method") or "GET"
    if not isinstance(method, str) or method.upper() not in _METHODS:
        raise invalid_parameter("Method", f"must be one of {', '.join(sorted(_METHODS))}, got {method!r}")
    action = params.get("Action") or ""
    if not isinstance(action, str):
        raise invalid_parameter("Action", f"must be a string (a sub-resource such as 'tagging'), got {action!r}")
    url = params.get("Url")
    if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
        raise invalid_parameter("Url", f"must be an http(s) URL, got {url!r}")
    raw = bool(params.get("RawBody")) or params.get("DataType") in ("blob", "arraybuffer")
    return Op(
        name="request",
        method=method.upper(),
        action="",
        key=bool(params.get("Key")),
        subresource=action,
        extra_query=True,
        body="Body",
        shape=_shape,
        raw_response=raw,
    )


async def send_request(pipeline: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    """Build the call's operation and send it through ``pipeline`` (errors as CosError)."""
    return await pipeline.send(request_op(params), params)


def _shape(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    if op.raw_response:
        return {"Body": reply.body}
    if reply.json:
        return dict(reply.json)
    text = reply.body
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", "replace")
    if isinstance(text, str) and text.strip() and not text.lstrip().startswith(("<", "{")):
        return {"Body": text}  # the JS SDK throws here; the text is more use
    return {}
