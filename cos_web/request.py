"""Request building: (operation, checked params, options) -> a plain :class:`Prepared` value.

Pure (no I/O, no clock): the same steps as the JS SDK's ``formatParams``, the
API function and ``submitRequest``: parameters to headers and query, the XML
body, the URL, what is signed (query with the sub-resource, the URL host) and
the Scope handed to ``getAuthorization``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._js import Body, body_size, body_type
from .auth import js_str
from .errors import invalid_parameter
from .operations import HEADER_PARAMS, Op
from .urls import get_url, query_string, service_url, url_host

__all__ = ["Prepared", "prepare", "format_headers"]


@dataclass(slots=True)
class Prepared:
    op: Op
    params: dict[str, Any]
    method: str
    url: str  # full URL with the query string
    headers: dict[str, Any]  # request headers, before Authorization
    query: dict[str, Any]  # what the signature covers (the sub-resource as name="")
    body: Any
    pathname: str  # "/" + Key
    sign_host: str
    scope: list[dict[str, Any]]
    response_type: str = "text"
    body_size: int = 0
    signed: Any = None  # an Authorization made ahead (Credentials.sign_ahead), for the first attempt only


def format_headers(op: Op, params: Mapping[str, Any]) -> dict[str, Any]:
    """``Headers`` plus header-valued params (``x-cos-*``, ACL, ContentType, ...), Nones dropped."""
    headers = dict(params.get("Headers") or {})
    for name, value in params.items():
        if "x-cos-" in name:
            headers[name] = value
    for name, header in HEADER_PARAMS.items():
        value = params.get(name)
        if value is not None:
            headers[header] = value
    for name, header in op.headers.items():
        value = params.get(name)
        if value is not None:
            headers[header] = value
    out = {}
    for k, v in headers.items():
        if v is None:
            continue
        if isinstance(v, str) and not _latin1(v):
            # fetch/XHR refuse such a header value (TypeError): say which, before sending
            raise invalid_parameter(k, "header values must be ISO-8859-1 (encode non-Latin-1 text first)")
        out[k] = v
    return out


def _latin1(value: str) -> bool:
    return value.isascii() or all(ord(c) < 256 for c in value)


def prepare(op: Op, params: dict[str, Any], options: Mapping[str, Any]) -> Prepared:
    """Lay out one call: headers, query, body, URL, signing inputs."""
    headers = format_headers(op, params)
    # query: the op's mapped params (+ the Query dict for some calls), Nones dropped
    qs: dict[str, Any] = dict(params.get("Query") or {}) if op.extra_query else {}
    for name, qname in op.query.items():
        value = params.get(name)
        if not value and value != 0:
            value = op.query_defaults.get(qname, value)
        qs[qname] = value
    if op.version_id and params.get("VersionId"):
        qs["versionId"] = params["VersionId"]
    qs = {k: v for k, v in qs.items() if v is not None}

    body: Any = None
    size = 0
    if op.body:
        body = params.get(op.body)
        if isinstance(body, (bytearray, memoryview)):
            body = bytes(body)
        size = body_size(body)
        if op.name == "putObject":
            params = dict(params, _BodyType=body_type(body))
            if params.get("ContentLength") is None:
                headers["Content-Length"] = size
        if isinstance(body, Body):
            body = body.value  # size and type known since the upload's source was made
    if op.build is not None:
        built = op.build(params, headers)
        if built is not None:
            body = built
            size = len(built.encode("utf-8")) if isinstance(built, str) else size

    bucket = params.get("Bucket") or ""
    region = params.get("Region") or ""
    key = params.get("Key") if op.path_key else None
    if op.service:
        url = service_url(region, js_str(params.get("AppId") or ""), options.get("ServiceDomain") or "",
                          options.get("Protocol"))
    else:
        url = get_url(
            bucket=bucket,
            region="accelerate" if options.get("UseAccelerate") else region,  # as the JS SDK's _submitRequest
            key=key,
            domain=options.get("Domain"),
            protocol=options.get("Protocol"),
        )
    if op.name == "request" and params.get("Url"):
        url = params["Url"]  # cos.request: the whole base URL, its host signed
    sign_host = url_host(url)
    if op.subresource:
        url += "?" + op.subresource
    query_str = params.get("QueryString") if op.extra_query else None
    if query_str:
        url += ("&" if "?" in url else "?") + query_str
    if qs:
        url += ("&" if "?" in url else "?") + query_string(qs)

    sign_query = dict(qs)
    if op.subresource:
        sign_query[op.subresource] = ""
    resource = params.get(op.resource_key) if op.resource_key else None
    scope = [
        {
            "action": op.action,
            "bucket": bucket,
            "region": region,
            "prefix": js_str(resource if resource is not None else (key or "")),
        }
    ]
    if op.name == "deleteMultipleObject":
        scope = [
            {"action": op.action, "bucket": bucket, "region": region, "prefix": o.get("Key")}
            for o in params.get("Objects") or []
        ]
    elif op.name in ("putObjectCopy", "uploadPartCopy"):
        from .auth import percent_decode as unquote
        from .params import copy_source_params

        src = copy_source_params(params.get("CopySource") or "", options)
        if src:
            scope = [
                {"action": "name/cos:GetObject", "bucket": src["Bucket"], "region": src["Region"],
                 "prefix": unquote(js_str(src["Key"]))},
                {"action": "name/cos:PutObject", "bucket": bucket, "region": region, "prefix": key},
            ]
    response_type = "text"
    if op.raw_response:
        response_type = op.data_type or params.get("DataType") or "bytes"
    return Prepared(
        op=op,
        params=params,
        method=op.method,
        url=url,
        headers=headers,
        query=sign_query,
        body=body,
        pathname="/" + (key or ""),
        sign_host=sign_host,
        scope=scope,
        response_type=response_type,
        body_size=size,
    )
