"""XML in and out, COS style.

Parsing is strict and safe: no DOCTYPE, no entity declarations (so no entity
expansion, internal or external), a size limit, and namespace prefixes dropped
so ``<Grantee xsi:type=...>`` and namespaced documents read the same.
Rendering writes COS's declaration and no namespace, from plain nested tuples:

    ("Name", value)            value: str | int | bool | None (skipped) | list of nodes
    ("Name", {attrs}, value)   the same with attributes
"""

from __future__ import annotations

import asyncio
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any
from xml.parsers import expat

from .errors import CosServerError

DECLARATION = "<?xml version='1.0' encoding='utf-8' ?>\n"
DEFAULT_LIMIT = 1 << 20


class _Forbidden(Exception):
    pass


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def parse(body: bytes, limit: int = DEFAULT_LIMIT) -> ET.Element:
    """Parse a request body, or raise MissingRequestBodyError / XMLSizeLimit / MalformedXML."""
    if not body or not body.strip():
        raise CosServerError("MissingRequestBodyError")
    if len(body) > limit:
        raise CosServerError("XMLSizeLimit")
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate()

    def forbid(*_args: Any) -> None:
        raise _Forbidden()

    def start(tag: str, attrs: dict[str, str]) -> None:
        builder.start(_local(tag), {_local(k): v for k, v in attrs.items() if not k.startswith("xmlns")})

    parser.StartDoctypeDeclHandler = forbid
    parser.EntityDeclHandler = forbid
    parser.UnparsedEntityDeclHandler = forbid
    parser.ExternalEntityRefHandler = forbid
    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: builder.end(_local(tag))
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(body, True)
        return builder.close()
    except (_Forbidden, expat.ExpatError, AssertionError, IndexError) as exc:
        raise CosServerError("MalformedXML") from exc


# Bodies larger than this are parsed in a worker thread, not on the event loop.
INLINE_LIMIT = 64 << 10


async def parse_async(body: bytes, limit: int = DEFAULT_LIMIT) -> ET.Element:
    """`parse`, in a worker thread when the body is large (a 2 MB multi-delete takes tens of ms)."""
    if len(body) <= INLINE_LIMIT:
        return parse(body, limit)
    return await asyncio.get_running_loop().run_in_executor(None, parse, body, limit)


def text(element: ET.Element, name: str, default: str | None = None) -> str | None:
    """The stripped text of the first child ``name``, or default."""
    child = element.find(name)
    if child is None:
        return default
    return (child.text or "").strip()


# Characters XML 1.0 cannot carry at all, not even as &#...; references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(value: str) -> bool:
    """True when ``value`` can be written in an XML 1.0 document."""
    return _NOT_XML.search(value) is None


def _escape(value: str) -> str:
    """Escaped text; CR as ``&#13;`` (a parser would read a raw CR as LF), and anything XML cannot
    carry as U+FFFD, so a document is always well-formed (keys with such characters are refused
    on the way in; this only guards values from elsewhere)."""
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return _NOT_XML.sub("\ufffd", value.replace("\r", "&#13;"))


def _scalar(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return _escape(str(value))


def _node(out: list[str], node: tuple) -> None:
    if len(node) == 3:
        name, attrs, value = node
    else:
        (name, value), attrs = node, {}
    if value is None:
        return
    attr_text = "".join(f' {k}="{_escape(v)}"' for k, v in attrs.items())
    if isinstance(value, list):
        out.append(f"<{name}{attr_text}>")
        for child in value:
            _node(out, child)
        out.append(f"</{name}>")
    else:
        out.append(f"<{name}{attr_text}>{_scalar(value)}</{name}>")


def render(name: str, children: Iterable[tuple]) -> bytes:
    """A whole document: COS's declaration and one root element."""
    out = [DECLARATION]
    _node(out, (name, list(children)))
    return "".join(out).encode("utf-8")
