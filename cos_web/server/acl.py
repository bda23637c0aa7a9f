"""ACLs as COS models them: a canned name and/or a list of grants.

An ACL is stored as ``{"canned": str | None, "grants": [{"type", "id" | "uri", "permission"}]}``.
Objects start with canned ``default`` (inherit the bucket's). Request headers
(``x-cos-acl``, ``x-cos-grant-*``) win over an ``AccessControlPolicy`` body; a body's
grants are kept exactly (``"exact": True``): GET ?acl answers them and no others.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..values import BUCKET_ACLS, GRANT_HEADERS, MAX_GRANTS, OBJECT_ACLS, PERMISSIONS
from .errors import CosServerError
from .xmlio import text

ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"
AUTH_USERS = "http://cam.qcloud.com/groups/global/AuthenticatedUsers"
XSI = "http://www.w3.org/2001/XMLSchema-instance"



def owner_id(uin: str) -> str:
    return f"qcs::cam::uin/{uin}:uin/{uin}"


def _canned_grants(canned: str) -> list[dict]:
    if canned == "public-read":
        return [{"type": "Group", "uri": ALL_USERS, "permission": "READ"}]
    if canned == "public-read-write":
        return [{"type": "Group", "uri": ALL_USERS, "permission": "READ"},
                {"type": "Group", "uri": ALL_USERS, "permission": "WRITE"}]
    if canned == "authenticated-read":
        return [{"type": "Group", "uri": AUTH_USERS, "permission": "READ"}]
    return []


def canned(name: str, for_object: bool) -> dict:
    allowed = OBJECT_ACLS if for_object else BUCKET_ACLS
    if name not in allowed:
        raise CosServerError("InvalidArgument", f"The x-cos-acl value {name!r} is not supported.")
    return {"canned": name, "grants": []}


def _grantee(value: str) -> dict:
    kind, _, raw = value.strip().partition("=")
    raw = raw.strip().strip('"')
    kind = kind.strip().lower()
    if kind == "id" and raw:
        if not raw.startswith("qcs::"):
            raw = owner_id(raw)
        return {"type": "CanonicalUser", "id": raw}
    if kind == "uri" and raw:
        return {"type": "Group", "uri": raw}
    raise CosServerError("InvalidArgument", f"Invalid grantee {value!r}.")


def from_headers(headers, for_object: bool) -> dict | None:
    """The ACL named by x-cos-acl / x-cos-grant-* headers, or None if there are none."""
    acl = None
    if headers.get("x-cos-acl"):
        acl = canned(headers["x-cos-acl"].strip(), for_object)
    grants = []
    for name, permission in GRANT_HEADERS.items():
        if permission == "WRITE" and for_object:
            continue
        value = headers.get(name)
        if value:
            for item in re.split(r",(?=\s*(?:id|uri)\s*=)", value):
                grants.append({**_grantee(item), "permission": permission})
    if grants:
        acl = {"canned": acl["canned"] if acl else None, "grants": grants}
    if acl and len(acl["grants"]) > MAX_GRANTS:
        raise CosServerError("InvalidArgument", "Too many grants.")
    return acl


def from_xml(root: ET.Element, for_object: bool) -> dict:
    if root.tag != "AccessControlPolicy" or root.find("AccessControlList") is None:
        raise CosServerError("MalformedXML")
    grants = []
    for grant in root.find("AccessControlList").findall("Grant"):
        grantee = grant.find("Grantee")
        permission = text(grant, "Permission")
        if grantee is None or permission not in PERMISSIONS or (for_object and permission == "WRITE"):
            raise CosServerError("MalformedXML")
        uri, gid = text(grantee, "URI"), text(grantee, "ID")
        if uri:
            grants.append({"type": "Group", "uri": uri, "permission": permission})
        elif gid:
            grants.append({"type": "CanonicalUser", "id": gid, "permission": permission})
        else:
            raise CosServerError("MalformedXML")
    if len(grants) > MAX_GRANTS:
        raise CosServerError("InvalidArgument", "Too many grants.")
    # exact: GET ?acl answers these grants and no others (no owner grant added)
    return {"canned": None, "grants": grants, "exact": True}


def effective_grants(acl: dict, owner: str) -> list[dict]:
    """Owner FULL_CONTROL plus the canned and explicit grants (what GET acl shows); for an
    ACL set by an AccessControlPolicy body, exactly its grants."""
    if acl.get("exact"):
        return list(acl.get("grants", []))
    grants = [{"type": "CanonicalUser", "id": owner, "permission": "FULL_CONTROL"}]
    grants += _canned_grants(acl.get("canned") or "")
    for grant in acl.get("grants", []):
        if grant not in grants:
            grants.append(grant)
    return grants


def canned_name(acl: dict, default: str) -> str:
    """The ``x-cos-acl`` GET ?acl answers: the canned name, or for exact grants the one they amount to."""
    if not acl.get("exact"):
        return acl.get("canned") or default
    if allows_anonymous(acl, "WRITE") and allows_anonymous(acl, "READ"):
        return "public-read-write"
    return "public-read" if allows_anonymous(acl, "READ") else "private"


def allows_anonymous(acl: dict, permission: str) -> bool:
    for grant in _canned_grants(acl.get("canned") or "") + acl.get("grants", []):
        if grant.get("uri") == ALL_USERS and grant["permission"] in (permission, "FULL_CONTROL"):
            return True
    return False


def object_public_read(object_acl: dict, bucket_acl: dict) -> bool:
    if (object_acl.get("canned") or "default") == "default" and not object_acl.get("grants") \
            and not object_acl.get("exact"):
        return allows_anonymous(bucket_acl, "READ")
    return allows_anonymous(object_acl, "READ")


def render(acl: dict, owner: str, uin: str) -> list[tuple]:
    """The children of an AccessControlPolicy document."""
    grants = []
    for grant in effective_grants(acl, owner):
        attrs = {"xmlns:xsi": XSI, "xsi:type": grant["type"]}
        if grant["type"] == "Group":
            who = [("URI", grant["uri"])]
        else:
            gid = grant["id"]
            who = [("ID", gid), ("DisplayName", gid.rsplit("/", 1)[-1] if gid.startswith("qcs::") else gid)]
        grants.append(("Grant", [("Grantee", attrs, who), ("Permission", grant["permission"])]))
    return [("Owner", [("ID", owner), ("DisplayName", uin)]), ("AccessControlList", grants)]
