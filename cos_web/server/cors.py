"""CORS the COS way: rules per bucket, matched on origin, method and requested headers.

A rule is stored as a dict with the XML names (``AllowedOrigin`` etc., lists).
Preflights are answered from the first matching rule (403 AccessForbidden when
none matches); actual responses get Access-Control-* only when a rule matches.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..values import MAX_CORS_RULES
from .digits import uint
from .errors import CosServerError
from .xmlio import text

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # these values end up in response headers
METHODS = {"GET", "PUT", "POST", "DELETE", "HEAD"}

# What a browser SDK reads; ExposeHeader cannot be "*".
EXPOSE_HEADERS = [
    "ETag", "Content-Length", "Content-Type", "Content-Range", "Content-Disposition", "Content-Encoding",
    "Cache-Control", "Expires", "Last-Modified", "Date", "Accept-Ranges", "Server",
    "x-cos-request-id", "x-cos-trace-id", "x-cos-version-id", "x-cos-delete-marker", "x-cos-acl",
    "x-cos-hash-crc64ecma", "x-cos-storage-class", "x-cos-object-type", "x-cos-bucket-region",
    "x-cos-server-side-encryption", "x-cos-copy-source-version-id", "x-cos-tagging-count",
    "x-cos-next-append-position", "x-cos-content-sha1", "x-cos-restore",
]

OPEN_RULE = {
    "ID": "cos-web-open",
    "AllowedOrigin": ["*"],
    "AllowedMethod": ["GET", "PUT", "POST", "DELETE", "HEAD"],
    "AllowedHeader": ["*"],
    "ExposeHeader": EXPOSE_HEADERS,
    "MaxAgeSeconds": "600",
}


def parse(root: ET.Element) -> list[dict]:
    """CORSConfiguration → rules, or MalformedXML/InvalidArgument."""
    if root.tag != "CORSConfiguration":
        raise CosServerError("MalformedXML")
    rules = []
    for node in root.findall("CORSRule"):
        rule = {
            name: [(c.text or "").strip() for c in node.findall(name)]
            for name in ("AllowedOrigin", "AllowedMethod", "AllowedHeader", "ExposeHeader")
        }
        rule["AllowedMethod"] = [m.upper() for m in rule["AllowedMethod"]]
        if not rule["AllowedOrigin"] or not rule["AllowedMethod"]:
            raise CosServerError("MalformedXML")
        if any(m not in METHODS for m in rule["AllowedMethod"]):
            raise CosServerError("InvalidArgument", "Invalid AllowedMethod.")
        if any(o.count("*") > 1 for o in rule["AllowedOrigin"]) or "*" in rule["ExposeHeader"]:
            raise CosServerError("InvalidArgument", "Invalid CORS rule.")
        for extra in ("ID", "MaxAgeSeconds", "ResponseVary"):
            value = text(node, extra)
            if value is not None:
                rule[extra] = value
        if "MaxAgeSeconds" in rule and uint(rule["MaxAgeSeconds"]) is None:
            raise CosServerError("InvalidArgument", "Invalid MaxAgeSeconds.")
        values = [v for name in ("AllowedOrigin", "AllowedHeader", "ExposeHeader") for v in rule[name]]
        if any(_CONTROL.search(v) for v in values + [rule.get("MaxAgeSeconds", ""), rule.get("ResponseVary", "")]):
            raise CosServerError("InvalidArgument", "A CORS rule value holds a control character.")
        rules.append(rule)
    if not rules:
        raise CosServerError("MalformedXML")
    if len(rules) > MAX_CORS_RULES:
        raise CosServerError("InvalidArgument", "Too many CORS rules.")
    return rules


def render(rules: list[dict]) -> list[tuple]:
    out = []
    for rule in rules:
        children: list[tuple] = []
        if "ID" in rule:
            children.append(("ID", rule["ID"]))
        for name in ("AllowedOrigin", "AllowedMethod", "AllowedHeader", "ExposeHeader"):
            children += [(name, v) for v in rule.get(name, [])]
        for name in ("MaxAgeSeconds", "ResponseVary"):
            if name in rule:
                children.append((name, rule[name]))
        out.append(("CORSRule", children))
    return out


def _origin_matches(pattern: str, origin: str) -> bool:
    if pattern == "*":
        return True
    if "*" not in pattern:
        return pattern.lower() == origin.lower()
    head, _, tail = pattern.partition("*")
    return re.fullmatch(re.escape(head) + ".*" + re.escape(tail), origin, re.IGNORECASE) is not None


def match(rules: list[dict] | None, origin: str, method: str, request_headers: list[str]) -> dict | None:
    """The first rule allowing this origin, method and every requested header."""
    for rule in rules or []:
        if not any(_origin_matches(p, origin) for p in rule["AllowedOrigin"]):
            continue
        if method.upper() not in rule["AllowedMethod"]:
            continue
        allowed = [h.lower() for h in rule.get("AllowedHeader", [])]
        if "*" not in allowed and any(h.lower() not in allowed and not _wild(allowed, h) for h in request_headers):
            continue
        return rule
    return None


def _wild(allowed: list[str], header: str) -> bool:
    return any("*" in a and _origin_matches(a, header.lower()) for a in allowed)


def response_headers(rule: dict, origin: str, preflight: bool, request_headers: list[str]) -> dict[str, str]:
    wildcard = "*" in rule["AllowedOrigin"]
    headers = {"Access-Control-Allow-Origin": "*" if wildcard else origin}
    if not wildcard:
        headers["Access-Control-Allow-Credentials"] = "true"
    if rule.get("ExposeHeader"):
        headers["Access-Control-Expose-Headers"] = ",".join(rule["ExposeHeader"])
    if preflight:
        headers["Access-Control-Allow-Methods"] = ",".join(rule["AllowedMethod"])
        if request_headers:
            headers["Access-Control-Allow-Headers"] = ",".join(request_headers)
        if rule.get("MaxAgeSeconds"):
            headers["Access-Control-Max-Age"] = str(rule["MaxAgeSeconds"])
    return headers


def split_header_list(value: str | None) -> list[str]:
    return [h.strip() for h in (value or "").split(",") if h.strip()]
