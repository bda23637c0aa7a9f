"""COS request signing (the q-sign-algorithm=sha1 scheme), pure and clock-injected.

The client side reproduces cos-js-sdk-v5's ``getAuth`` byte for byte (same
header filter, same key ordering, same encoding), so an Authorization made here
is the one the JavaScript SDK would make for the same inputs. The server side
(`verify_*`) recomputes a signature from exactly the header and parameter
names a request lists, whichever SDK made it.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable, Mapping
from urllib.parse import quote

__all__ = [
    "SIGNED_HEADERS",
    "camsafe_encode",
    "js_str",
    "sign_header_subset",
    "build_authorization",
    "format_string",
    "signature",
    "parse_authorization",
]

# Headers the JS SDK lets into a signature, besides every x-cos-* and x-ci-*.
SIGNED_HEADERS = frozenset(
    {
        "cache-control",
        "content-disposition",
        "content-encoding",
        "content-length",
        "content-md5",
        "expect",
        "expires",
        "host",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "if-unmodified-since",
        "origin",
        "range",
        "transfer-encoding",
        "pic-operations",
    }
)


def camsafe_encode(value: str) -> str:
    """``encodeURIComponent`` plus ``!'()*``: only ``A-Za-z0-9-_.~`` stay literal."""
    return quote(value, safe="-_.~")


def js_str(value: object) -> str:
    """Turn a value into a string as JavaScript's ``'' + value`` would."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _js_order(text: str) -> bytes:
    """Sort key equal to JavaScript's string comparison (UTF-16 code units)."""
    return text.encode("utf-16-be", "surrogatepass")


def sign_header_subset(headers: Mapping[str, object]) -> dict[str, object]:
    """The headers the JS SDK signs: the fixed list plus x-cos-* and x-ci-*."""
    return {
        name: value
        for name, value in headers.items()
        if "x-cos-" in name.lower() or "x-ci-" in name.lower() or name.lower() in SIGNED_HEADERS
    }


def _name_list(obj: Mapping[str, object]) -> str:
    names = sorted((camsafe_encode(k).lower() for k in obj), key=lambda s: _js_order(s.lower()))
    return ";".join(names).lower()


def _obj2str(obj: Mapping[str, object]) -> str:
    keys = sorted(obj, key=lambda k: _js_order(k.lower()))
    return "&".join(
        camsafe_encode(k).lower() + "=" + camsafe_encode(js_str(obj[k])) for k in keys
    )


def format_string(method: str, pathname: str, params: str, headers: str) -> str:
    """The HttpString: method, decoded path, encoded params and headers, each on a line."""
    return "\n".join([method.lower(), pathname, params, headers, ""])


def signature(secret_key: str, key_time: str, sign_time: str, http_string: str) -> str:
    """q-signature for an HttpString: HMAC-SHA1 keyed by the hex SignKey."""
    sign_key = hmac.new(secret_key.encode(), key_time.encode(), hashlib.sha1).hexdigest()
    digest = hashlib.sha1(http_string.encode()).hexdigest()
    string_to_sign = "\n".join(["sha1", sign_time, digest, ""])
    return hmac.new(sign_key.encode(), string_to_sign.encode(), hashlib.sha1).hexdigest()


def build_authorization(
    SecretId: str | None = None,
    SecretKey: str | None = None,
    Method: str | None = None,
    Key: str | None = None,
    Query: Mapping[str, object] | None = None,
    Headers: Mapping[str, object] | None = None,
    Expires: int | float | str | None = None,
    KeyTime: str | None = None,
    Pathname: str | None = None,
    Bucket: str | None = None,
    Region: str | None = None,
    ForceSignHost: bool | None = None,
    UseRawKey: bool = False,
    SystemClockOffset: float = 0,
    now: float | None = None,
    **_ignored: object,
) -> str:
    """Compute an Authorization string exactly as ``COS.getAuthorization`` of cos-js-sdk-v5."""
    method = (Method or "get").lower()
    query = dict(Query or {})
    headers = sign_header_subset(dict(Headers or {}))
    key = Key or ""
    pathname = Pathname or ("/" + key if UseRawKey else key)
    if not pathname.startswith("/"):
        pathname = "/" + pathname
    if ForceSignHost is not False and Bucket and Region and "Host" not in headers and "host" not in headers:
        headers["Host"] = f"{Bucket}.cos.{Region}.myqcloud.com"
    if not SecretId:
        raise ValueError("missing param SecretId")
    if not SecretKey:
        raise ValueError("missing param SecretKey")
    clock = time.time() if now is None else now
    start = round(clock + SystemClockOffset / 1000.0) - 1
    if Expires is None:
        end = start + 900
    else:
        try:
            end = start + (int(float(Expires)) or 0)
        except (TypeError, ValueError):
            end = start
    sign_time = KeyTime or f"{start};{end}"
    http_string = format_string(method, pathname, _obj2str(query), _obj2str(headers))
    sig = signature(SecretKey, sign_time, sign_time, http_string)
    return "&".join(
        [
            "q-sign-algorithm=sha1",
            "q-ak=" + SecretId,
            "q-sign-time=" + sign_time,
            "q-key-time=" + sign_time,
            "q-header-list=" + _name_list(headers),
            "q-url-param-list=" + _name_list(query),
            "q-signature=" + sig,
        ]
    )


def parse_authorization(value: str) -> dict[str, str]:
    """Split an Authorization (header or query form) into its q-* fields."""
    fields: dict[str, str] = {}
    for part in value.split("&"):
        name, _, val = part.partition("=")
        if name.startswith("q-"):
            fields[name] = val
    return fields


def canonical_pairs(pairs: Iterable[tuple[str, str]]) -> str:
    """Encode (name, value) pairs as a signature line, sorted as the SDKs sort them."""
    encoded = sorted(
        ((camsafe_encode(n).lower(), camsafe_encode(v)) for n, v in pairs), key=lambda p: _js_order(p[0])
    )
    return "&".join(f"{n}={v}" for n, v in encoded)
