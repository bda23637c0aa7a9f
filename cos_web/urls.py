"""Endpoints and URL encoding, as cos-js-sdk-v5's ``getUrl`` / ``getSignHost`` build them."""

from __future__ import annotations

import re
from collections.abc import Mapping

from .auth import camsafe_encode, canonical_pairs, js_str, percent_encode

__all__ = [
    "encode_uri_component",
    "encode_key",
    "get_url",
    "service_url",
    "url_host",
    "obj2str",
    "query_string",
    "default_protocol",
]

_LEGACY_REGIONS = frozenset({"cn-south", "cn-south-2", "cn-north", "cn-east", "cn-southwest", "sg"})
_HAS_SCHEME = re.compile(r"^[a-zA-Z]+://")
_DOUBLE_BRACE = re.compile(r"\{\{.*?\}\}")
_SINGLE_BRACE = re.compile(r"\{.*?\}")
_HOST = re.compile(r"^https?://([^/]+)(/.*)?$")
_SCHEME = re.compile(r"^https?://")


def encode_uri_component(value: str) -> str:
    """JavaScript's ``encodeURIComponent`` (leaves ``A-Za-z0-9-_.!~*'()``)."""
    return percent_encode(value, "!*'()")


def encode_key(key: str) -> str:
    """An object key in the URL path: camSafeUrlEncode, with ``/`` kept."""
    return camsafe_encode(key).replace("%2F", "/")


_PROTOCOL: list[str] = []  # the page's default, once known (a page's location.protocol does not change)


def default_protocol() -> str:
    """``http:`` when the page (or worker) was served over http, else ``https:``."""
    if _PROTOCOL:
        return _PROTOCOL[0]
    protocol = _page_protocol()
    _PROTOCOL.append(protocol)
    return protocol


def _page_protocol() -> str:
    try:
        import js  # type: ignore[import-not-found]

        location = getattr(js.globalThis, "location", None)
        if location is not None and location.protocol == "http:":
            return "http:"
    except Exception:  # CPython, or no location
        pass
    return "https:"


_IREPLACE: dict[str, re.Pattern[str]] = {}


def _ireplace(pattern: str, repl: str, text: str) -> str:
    """Replace every ``pattern`` (case-insensitive) by ``repl`` taken literally."""
    rx = _IREPLACE.get(pattern)
    if rx is None:
        rx = _IREPLACE[pattern] = re.compile(re.escape(pattern), re.IGNORECASE)
    return rx.sub(lambda _m: repl, text)


_PREFIXES: dict[tuple[str, str, str, str], str] = {}  # (bucket, region, Domain, protocol) -> "scheme://host/"


def _prefix(bucket: str, region: str, domain: str, protocol: str) -> str:
    """``scheme://host/`` for a bucket: the Domain template filled in, as getUrl does."""
    short = bucket[: bucket.rfind("-")] if "-" in bucket else ""
    app_id = bucket[bucket.rfind("-") + 1 :]
    if not domain:
        domain = "{Region}.myqcloud.com" if region in _LEGACY_REGIONS else "cos.{Region}.myqcloud.com"
        domain = "{Bucket}." + domain
    if "{" in domain:
        domain = _ireplace("{{AppId}}", app_id, domain)
        domain = _ireplace("{{Bucket}}", short, domain)
        domain = _ireplace("{{Region}}", region, domain)
        domain = _DOUBLE_BRACE.sub("", domain)
        domain = _ireplace("{AppId}", app_id, domain)
        domain = _ireplace("{BucketName}", short, domain)
        domain = _ireplace("{Bucket}", bucket, domain)
        domain = _ireplace("{Region}", region, domain)
        domain = _SINGLE_BRACE.sub("", domain)
    if not _HAS_SCHEME.match(domain):
        domain = protocol + "//" + domain
    if domain.endswith("/"):
        domain = domain[:-1]
    return domain + "/"


def get_url(
    *,
    bucket: str = "",
    region: str = "",
    key: str | None = None,
    domain: str | None = None,
    protocol: str | None = None,
    is_location: bool = False,
) -> str:
    """The request URL (``https://{Bucket}.cos.{Region}.myqcloud.com/{key}``) as getUrl makes it."""
    if callable(domain):
        domain = domain({"Bucket": bucket, "Region": region})
    if protocol in ("http", "https"):
        protocol += ":"
    protocol = protocol or default_protocol()
    cache_key = (bucket, region, domain or "", protocol)
    url = _PREFIXES.get(cache_key)  # type: ignore[arg-type]
    if url is None:
        url = _prefix(bucket, region, domain or "", protocol)
        if isinstance(domain, str) or domain is None:
            if len(_PREFIXES) >= 256:
                _PREFIXES.clear()
            _PREFIXES[cache_key] = url  # type: ignore[index]
    if key:
        url += encode_key(key)
    if is_location:
        url = _SCHEME.sub("", url)
    return url


def service_url(region: str = "", app_id: str = "", domain: str = "", protocol: str | None = None) -> str:
    """getService's endpoint as the JS SDK makes it: ``ServiceDomain`` with ``{{Region}}`` and
    ``{{AppId}}`` filled in, else ``cos.{Region}.myqcloud.com``, else ``service.cos.myqcloud.com``;
    with no "/" added (a ServiceDomain with a path is requested at that path, as the JS SDK does)."""
    if protocol in ("http", "https"):
        protocol += ":"
    protocol = protocol or default_protocol()
    if domain:
        domain = _ireplace("{{AppId}}", app_id, domain)
        domain = _DOUBLE_BRACE.sub("", _ireplace("{{Region}}", region, domain))
        if not _HAS_SCHEME.match(domain):
            domain = protocol + "//" + domain
        domain = domain[:-1] if domain.endswith("/") else domain
    elif region:
        domain = f"{protocol}//cos.{region}.myqcloud.com"
    else:
        domain = f"{protocol}//service.cos.myqcloud.com"
    return domain


def url_host(url: str) -> str:
    """The host (with port) of an http(s) URL, as the JS SDK signs it."""
    m = _HOST.match(url)
    return m.group(1) if m else url


def obj2str(obj: Mapping[str, object]) -> str:
    """``util.obj2str``: keys sorted case-insensitively, names and values camSafe-encoded."""
    return canonical_pairs(obj, lower_names=False)


def query_string(qs: Mapping[str, object]) -> str:
    """The query string the JS SDK's request layer appends (insertion order, encodeURIComponent)."""
    parts = []
    for k, v in qs.items():
        if isinstance(v, bool):
            v = "true" if v else "false"
        elif isinstance(v, (int, float)):
            v = js_str(v)
        elif not isinstance(v, str):
            v = ""
        parts.append(encode_uri_component(k) + "=" + encode_uri_component(v))
    return "&".join(parts)
