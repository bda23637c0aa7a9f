"""XML <-> dict, in the shapes cos-js-sdk-v5 gives (its ``xml2json`` / ``json2xml``).

The JavaScript SDK parses with fast-xml-parser (attributes ignored, no value
parsing, no trimming) and then drops ``#text`` nodes. So:

- every leaf is a ``str`` (``"true"``, ``"0012"``), untrimmed, ``""`` when empty;
- an element with children is a ``dict`` (text beside children is dropped);
- a name repeated among siblings becomes a ``list``, a single one does not
  (the operation table says which fields must always be lists);
- attributes and namespace declarations are ignored, prefixes kept as written;
- only the five XML entities are decoded (``&#65;`` stays as written).

Parsing is one pass of expat (C) building the dicts directly: no tree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from xml.parsers import expat

from .auth import js_str

__all__ = ["xml2json", "json2xml", "XmlError"]


class XmlError(ValueError):
    """A body that is not well-formed XML."""


# '&' not starting one of the five XML entities: keep it literal, as fast-xml-parser does.
_STRAY_AMP = re.compile(r"&(?!(?:lt|gt|amp|quot|apos);)")


class _Builder:
    __slots__ = ("stack", "root")

    def __init__(self) -> None:
        # each frame: [name, children-dict-or-None, text-parts]
        self.stack: list[list[Any]] = []
        self.root: dict[str, Any] = {}

    def start(self, name: str, _attrs: object) -> None:
        self.stack.append([name, None, []])

    def end(self, _name: str) -> None:
        name, children, text = self.stack.pop()
        value: Any = children if children is not None else "".join(text)
        if self.stack:
            parent = self.stack[-1]
            siblings = parent[1]
            if siblings is None:
                siblings = parent[1] = {}
        else:
            siblings = self.root
        if name in siblings:
            prev = siblings[name]
            if type(prev) is _Repeated:
                prev.append(value)
            else:
                siblings[name] = _Repeated((prev, value))
        else:
            siblings[name] = value

    def chars(self, data: str) -> None:
        if self.stack:
            self.stack[-1][2].append(data)


class _Repeated(list):
    """A list made from repeated sibling elements (told apart from leaf values)."""

    __slots__ = ()


def _plain(value: Any) -> Any:
    """Turn the internal _Repeated lists into plain lists (only where present)."""
    if type(value) is dict:
        for k, v in value.items():
            if type(v) is _Repeated or type(v) is dict:
                value[k] = _plain(v)
        return value
    if type(value) is _Repeated:
        return [_plain(v) if type(v) is dict or type(v) is _Repeated else v for v in value]
    return value


def xml2json(body: str | bytes) -> dict[str, Any]:
    """Parse an XML document into the dict the JS SDK's ``xml2json`` would give."""
    if isinstance(body, (bytes, bytearray, memoryview)):
        body = bytes(body).decode("utf-8", "replace")
    if "&" in body:
        body = _STRAY_AMP.sub("&amp;", body)
    builder = _Builder()
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.chars
    try:
        parser.Parse(body, True)
    except expat.ExpatError as exc:
        # fast-xml-parser accepts several top-level elements; expat does not.
        if "junk after document element" not in str(exc):
            raise XmlError(str(exc)) from None
        return xml2json("<_r>" + _DECL.sub("", body, count=1) + "</_r>")["_r"]
    return _plain(builder.root)


_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"})


def _escape(value: str) -> str:
    return value.translate(_ESCAPES)


def _emit(out: list[str], name: str, value: Any) -> None:
    if value is None:
        return  # like an undefined JS value: nothing
    if isinstance(value, (list, tuple)):
        for item in value:
            _emit(out, name, item)
        return
    if isinstance(value, Mapping):
        out.append(f"<{name}>")
        _emit_children(out, value)
        out.append(f"</{name}>")
        return
    out.append(f"<{name}>{_escape(js_str(value))}</{name}>")


def _emit_children(out: list[str], obj: Mapping[str, Any]) -> None:
    for key, val in obj.items():
        if key == "#text":
            out.append(_escape(js_str(val)))
        else:
            _emit(out, key, val)


def json2xml(obj: Mapping[str, Any]) -> str:
    """Serialise a dict as the JS SDK's ``json2xml`` (fast-xml-parser XMLBuilder) does.

    Compact (no declaration, no indentation), lists become repeated elements,
    booleans ``true``/``false``, ``None`` values are left out.
    """
    out: list[str] = []
    _emit_children(out, obj)
    return "".join(out)
