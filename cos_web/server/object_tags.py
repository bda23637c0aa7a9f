"""An object's tags: kept with the object (``ObjectMeta.headers["x-cos-tagging"]``, a JSON
list of ``[key, value]`` in the order given), so they go with it wherever its metadata goes:
overwritten by a PUT, taken from the upload on complete, copied unless
``x-cos-tagging-directive: Replaced``, gone when it is deleted.

They come from an ``x-cos-tagging: k1=v1&k2=v2`` header (PUT, multipart init, copy) or
``PUT ?tagging``; HEAD and GET say how many there are (``x-cos-tagging-count``), never
the tags themselves.
"""

from __future__ import annotations

import json
from urllib.parse import unquote

from ..values import MAX_OBJECT_TAGS, check_tag
from .configs import child_text, children
from .errors import CosServerError

STORED = "x-cos-tagging"  # the ObjectMeta.headers entry, never sent as a header
DIRECTIVES = ("Copy", "Replaced")

Tags = list  # [[key, value], ...]


def parse_header(value: str) -> Tags:
    """The tags of an ``x-cos-tagging`` header (URL-encoded ``k=v`` pairs joined by ``&``)."""
    tags = []
    for item in value.split("&"):
        if not item:
            continue
        key, _, val = item.partition("=")
        try:
            tags.append([unquote(key, errors="strict"), unquote(val, errors="strict")])
        except UnicodeDecodeError:
            raise CosServerError("InvalidArgument", "The x-cos-tagging header is not valid.") from None
    check(tags)
    return tags


def from_tree(tree: list) -> Tags:
    return [[child_text(t, "Key"), child_text(t, "Value")] for s in children(tree, "TagSet") for t in children(s, "Tag")]


def to_tree(tags: Tags) -> list:
    return ["Tagging", [["TagSet", [["Tag", [["Key", k], ["Value", v]]] for k, v in tags]]]]


def check(tags: Tags) -> None:
    if len(tags) > MAX_OBJECT_TAGS:
        raise CosServerError("InvalidTag", f"An object has at most {MAX_OBJECT_TAGS} tags.")
    keys = [k for k, _ in tags]
    if len(set(keys)) != len(keys):
        raise CosServerError("InvalidTag", "A tag key is given twice.")
    for key, value in tags:
        problem = check_tag(key, value)
        if problem:
            raise CosServerError("InvalidTag", problem)


def stored(headers: dict) -> Tags:
    """The tags kept in an object's stored headers."""
    raw = headers.get(STORED)
    return json.loads(raw) if raw else []


def store(headers: dict, tags: Tags) -> None:
    """Keep ``tags`` in an object's stored headers (none: no entry)."""
    headers.pop(STORED, None)
    if tags:
        headers[STORED] = json.dumps(tags)


def public_headers(headers: dict) -> dict:
    """Stored headers as HEAD/GET send them: the tags as their count."""
    if STORED not in headers:
        return headers
    out = {k: v for k, v in headers.items() if k != STORED}
    out["x-cos-tagging-count"] = str(len(stored(headers)))
    return out
