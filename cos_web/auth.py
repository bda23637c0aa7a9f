"""COS request signing (the q-sign-algorithm=sha1 scheme), pure and clock-injected.

The client side reproduces cos-js-sdk-v5's ``getAuth`` byte for byte (same
header filter, same key ordering, same encoding), so an Authorization made here
is the one the JavaScript SDK would make for the same inputs. The server side
(`verify_*`) recomputes a signature from exactly the header and parameter
names a request lists, whichever SDK made it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

try:  # the one hash module signing needs: cheaper to import than hashlib (+ hmac)
    from _sha1 import sha1 as _sha1
except ImportError:  # pragma: no cover - a CPython without the builtin module
    from hashlib import sha1 as _sha1

__all__ = [
    "SIGNED_HEADERS",
    "camsafe_encode",
    "percent_encode",
    "percent_decode",
    "js_str",
    "sign_header_subset",
    "build_authorization",
    "format_string",
    "signature",
    "parse_authorization",
    "canonical_pairs",
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


# RFC 3986 unreserved characters: never percent-encoded.
_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
_ENCODE_TABLES: dict[str, dict[int, str]] = {}


def percent_encode(value: str, safe: str = "") -> str:
    """``urllib.parse.quote(value, safe)`` for a str, byte for byte, without importing urllib.

    UTF-8, upper-case hex; the unreserved characters and ``safe`` (ASCII) stay
    literal. A lone surrogate raises UnicodeEncodeError, as quote does (and
    JavaScript's encodeURIComponent throws URIError).
    """
    if not isinstance(value, str):
        from urllib.parse import quote  # bytes and anything odd: the reference implementation

        return quote(value, safe=safe)
    table = _ENCODE_TABLES.get(safe)
    if table is None:
        keep = set(_UNRESERVED) | set(safe)
        table = _ENCODE_TABLES[safe] = {i: f"%{i:02X}" for i in range(256) if chr(i) not in keep}
    if not value.isascii():
        value = value.encode("utf-8").decode("latin-1")  # one char per UTF-8 byte
    return value.translate(table)


_PERCENT_RUN = None


def percent_decode(value: str) -> str:
    """``urllib.parse.unquote(value)``: %XX runs decoded as UTF-8 (errors replaced), the rest kept."""
    if "%" not in value:
        return value
    global _PERCENT_RUN
    if _PERCENT_RUN is None:
        import re

        _PERCENT_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
    return _PERCENT_RUN.sub(lambda m: bytes.fromhex(m.group().replace("%", "")).decode("utf-8", "replace"), value)


def camsafe_encode(value: str) -> str:
    """``encodeURIComponent`` plus ``!'()*``: only ``A-Za-z0-9-_.~`` stay literal."""
    return percent_encode(value)


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


def canonical_pairs(
    pairs: Mapping[str, object] | Iterable[tuple[str, object]],
    *,
    lower_names: bool = True,
    sort_by_encoded: bool = False,
) -> str:
    """``name=value&...``: the one builder of sorted, camSafe-encoded key/value pairs.

    Sorted case-insensitively in JavaScript's string order (UTF-16 code units), by the
    raw name as the JS SDK's ``obj2str`` sorts (or by the encoded name,
    ``sort_by_encoded``, as the server sorts the names an Authorization lists); names
    lower-cased for a signature (``lower_names``), kept for a URL's query; values
    turned to text as JavaScript's ``'' + value``.
    """
    items = list(pairs.items()) if isinstance(pairs, Mapping) else list(pairs)
    encoded = [(name, camsafe_encode(name), value) for name, value in items]
    if sort_by_encoded:
        encoded.sort(key=lambda e: _js_order(e[1].lower()))
    else:
        encoded.sort(key=lambda e: _js_order(e[0].lower()))
    return "&".join(
        (enc.lower() if lower_names else enc) + "=" + camsafe_encode(js_str(value)) for _, enc, value in encoded
    )


def format_string(method: str, pathname: str, params: str, headers: str) -> str:
    """The HttpString: method, decoded path, encoded params and headers, each on a line."""
    return "\n".join([method.lower(), pathname, params, headers, ""])


_HMAC_DIGEST = None


def hmac_sha1_hex(key: bytes, message: bytes) -> str:
    """HMAC-SHA1 (RFC 2104) in hex: ``hmac.digest``, imported on the first signature
    (``import cos_web`` stays without hmac/hashlib)."""
    global _HMAC_DIGEST
    if _HMAC_DIGEST is None:
        from hmac import digest

        _HMAC_DIGEST = digest
    return _HMAC_DIGEST(key, message, "sha1").hex()


_SIGN_KEY_CACHE: dict[tuple[str, str], str] = {}


def signature(secret_key: str, key_time: str, sign_time: str, http_string: str) -> str:
    """q-signature for an HttpString: HMAC-SHA1 keyed by the hex SignKey."""
    cache_key = (secret_key, key_time)
    sign_key = _SIGN_KEY_CACHE.get(cache_key)
    if sign_key is None:
        if len(_SIGN_KEY_CACHE) > 64:
            _SIGN_KEY_CACHE.clear()
        sign_key = _SIGN_KEY_CACHE[cache_key] = hmac_sha1_hex(secret_key.encode(), key_time.encode())
    digest = _sha1(http_string.encode()).hexdigest()
    string_to_sign = "sha1\n" + sign_time + "\n" + digest + "\n"
    return hmac_sha1_hex(sign_key.encode(), string_to_sign.encode())


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
    http_string = format_string(method, pathname, canonical_pairs(query), canonical_pairs(headers))
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
