"""Hotlink protection: a bucket's referer configuration (``?referer``) applied to object reads.

With ``Status`` Enabled, a GET or HEAD of an object is refused (403 AccessDenied) when

- the request has no Referer (or an empty one) and ``EmptyReferConfiguration`` is not
  ``Allow`` (``Deny`` is the default);
- a ``White-List`` names no entry the Referer matches, or a ``Black-List`` names one.

The rule applies to every caller, signed or not, as COS applies it to the request.
An entry matches the Referer with its scheme dropped (``host[:port]/path...``):

- ``*`` matches any run of characters within the host (``*.example.com`` matches
  ``a.example.com`` and ``a.b.example.com``, not ``example.com``);
- an entry without a port matches the host on any port; one with a port, only that port;
- an entry with a path (``www.example.com/app``) matches Referers whose host and port match
  and whose path starts with it (COS's prefix match).
"""

from __future__ import annotations

import re
from functools import lru_cache

from aiohttp import web

from .configs import child_text, children
from .context import Ctx
from .errors import CosServerError


def check(ctx: Ctx, request: web.Request) -> None:
    """Raise AccessDenied when the bucket's referer configuration refuses this read."""
    tree = ctx.storage.get_config(ctx.bucket, "referer")
    if tree is None or child_text(tree, "Status") != "Enabled":
        return
    referer = (request.headers.get("Referer") or "").strip()
    if not referer:
        if child_text(tree, "EmptyReferConfiguration", "Deny") != "Allow":
            raise CosServerError("AccessDenied", "The request has no Referer and the bucket refuses an empty one.")
        return
    domains = [d[1] for lst in children(tree, "DomainList") for d in children(lst, "Domain")]
    listed = any(matches(domain, referer) for domain in domains)
    if listed != (child_text(tree, "RefererType") == "White-List"):
        raise CosServerError("AccessDenied", "The bucket's referer configuration refuses this Referer.")


def matches(entry: str, referer: str) -> bool:
    """Does the referer configuration's ``entry`` match this Referer header value?"""
    rest = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", referer)
    netloc, slash, path = rest.partition("/")
    netloc = netloc.rsplit("@", 1)[-1].lower()
    host, port = _split_port(netloc)
    e_netloc, e_slash, e_path = entry.partition("/")
    e_host, e_port = _split_port(e_netloc.lower())
    if not _host_pattern(e_host).fullmatch(host):
        return False
    if e_port is not None and e_port != port:
        return False
    return not e_slash or (slash + path).startswith("/" + e_path)


def _split_port(netloc: str) -> tuple[str, str | None]:
    if netloc.startswith("["):  # [v6]:port
        host, _, rest = netloc.partition("]")
        return host + "]", rest[1:] if rest.startswith(":") else None
    host, colon, port = netloc.rpartition(":")
    return (host, port) if colon and port.isdigit() else (netloc, None)


@lru_cache(maxsize=256)
def _host_pattern(entry_host: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in entry_host.split("*")))
