"""The COS operations cos_web speaks: one declarative table.

Each :class:`Op` says, for one method of the JavaScript SDK, how the request is
made (HTTP method, sub-resource, where each parameter goes: query, header or
XML body, which parameters are required) and how the result ``data`` is shaped
(which XML root is unwrapped, which fields are always lists, which headers are
lifted into fields, which error answers are turned into results). The client
generates ``cos.get_bucket`` / ``cos.getBucket`` ... from :data:`OPERATIONS`;
adding a call of the API means adding an entry here.

Every shape below mirrors what cos-js-sdk-v5 1.10.1 (``src/base.js``) hands to
its callback, field by field.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import invalid_parameter
from .values import BUCKET_ACLS, GRANT_HEADERS, GRANT_PARAMS, OBJECT_ACLS, RESPONSE_PARAMS, STORAGE_CLASSES
from .xml import json2xml

__all__ = [
    "Op",
    "Reply",
    "OPERATIONS",
    "HEADER_PARAMS",
    "BUCKET_ACLS",
    "OBJECT_ACLS",
    "STORAGE_CLASSES",
    "as_list",
    "decode_acl",
]

# Parameters every call may carry that become request headers (util.formatParams).
HEADER_PARAMS: dict[str, str] = {
    "MFA": "x-cos-mfa",
    "ContentMD5": "Content-MD5",
    "ContentLength": "Content-Length",
    "ContentType": "Content-Type",
    "Expect": "Expect",
    "Expires": "Expires",
    "CacheControl": "Cache-Control",
    "ContentDisposition": "Content-Disposition",
    "ContentEncoding": "Content-Encoding",
    "Range": "Range",
    "IfModifiedSince": "If-Modified-Since",
    "IfUnmodifiedSince": "If-Unmodified-Since",
    "IfMatch": "If-Match",
    "IfNoneMatch": "If-None-Match",
    "CopySource": "x-cos-copy-source",
    "CopySourceRange": "x-cos-copy-source-Range",
    "MetadataDirective": "x-cos-metadata-directive",
    "CopySourceIfModifiedSince": "x-cos-copy-source-If-Modified-Since",
    "CopySourceIfUnmodifiedSince": "x-cos-copy-source-If-Unmodified-Since",
    "CopySourceIfMatch": "x-cos-copy-source-If-Match",
    "CopySourceIfNoneMatch": "x-cos-copy-source-If-None-Match",
    "ACL": "x-cos-acl",
    **GRANT_PARAMS,
    "StorageClass": "x-cos-storage-class",
    "TrafficLimit": "x-cos-traffic-limit",
    "MimeLimit": "x-cos-mime-limit",
    "SSECustomerAlgorithm": "x-cos-server-side-encryption-customer-algorithm",
    "SSECustomerKey": "x-cos-server-side-encryption-customer-key",
    "SSECustomerKeyMD5": "x-cos-server-side-encryption-customer-key-MD5",
    "ServerSideEncryption": "x-cos-server-side-encryption",
    "SSEKMSKeyId": "x-cos-server-side-encryption-cos-kms-key-id",
    "SSEContext": "x-cos-server-side-encryption-context",
    "PicOperations": "Pic-Operations",
    "Callback": "x-cos-callback",
    "CallbackVar": "x-cos-callback-var",
    "ReturnBody": "x-cos-return-body",
}

@dataclass(slots=True)
class Reply:
    """What a shaper sees of a response: status, lower-case headers, parsed XML, raw body."""

    statusCode: int
    headers: dict[str, str]
    json: dict[str, Any]
    body: Any = None


Shaper = Callable[["Op", Mapping[str, Any], Reply], dict[str, Any]]
Builder = Callable[[Mapping[str, Any], dict[str, Any]], Any]
Tolerate = Callable[[Mapping[str, Any], Any], dict[str, Any] | None]  # (params, CosError)


@dataclass(frozen=True, slots=True)
class Op:
    """One API call: request layout and result shape."""

    name: str  # the JS method name, e.g. "getBucket"
    method: str  # HTTP method
    action: str  # the CAM action named in getAuthorization's Scope
    key: bool = False  # object call (needs Key) rather than bucket call
    # a bucket call that still puts a Key, when given, in its path and signature, as the JS SDK's
    # getBucketWebsite and getBucketReferer do (COS serves the sub-resource on "/" only)
    key_optional: bool = False
    subresource: str = ""  # e.g. "acl" -> ?acl
    query: Mapping[str, str] = field(default_factory=dict)  # param -> query name
    query_defaults: Mapping[str, str] = field(default_factory=dict)  # query name -> value when absent
    extra_query: bool = False  # the Query param (dict) is merged into the query
    version_id: bool = False  # VersionId -> ?versionId=
    headers: Mapping[str, str] = field(default_factory=dict)  # op-specific param -> header
    required: tuple[str, ...] = ()  # params that must be given (besides Bucket/Region/Key)
    body: str | None = None  # param sent as the raw body ("Body"), if any
    build: Builder | None = None  # makes the XML body / default headers
    shape: Shaper | None = None  # result data (None: statusCode + headers only)
    etag: bool = False  # add ETag from the response header
    location: bool = False  # add Location (host/key, no scheme)
    tolerate: Tolerate | None = None  # error -> result (e.g. 304 NotModified)
    idempotent: bool | None = None  # False: never sent twice (default: retried, POSTs too, as the JS SDK)
    acl: str | None = None  # "bucket" / "object": which ACL values are allowed
    resource_key: str | None = None  # param that names the Scope prefix instead of Key
    raw_response: bool = False  # the body is data (getObject), not XML
    data_type: str | None = None  # raw_response read as this whatever DataType says (selectObjectContent)
    upload_progress: bool = False  # onProgress reports request-body progress
    service: bool = False  # a call to the service endpoint (getService): no Bucket, ServiceDomain's URL

    @property
    def retryable(self) -> bool:
        return self.idempotent is not False

    @property
    def path_key(self) -> bool:
        """Whether a Key given to this call goes into its URL path (and signature)."""
        return self.key or self.key_optional

    @property
    def snake(self) -> str:
        return _snake(self.name)

    @property
    def old_names(self) -> tuple[str, ...]:
        """The JS SDK's deprecated spellings (``putBucketACL`` for ``putBucketAcl``, ``...CORS``)."""
        for suffix in ("Cors", "Acl"):
            if self.name.endswith(suffix):
                return (self.name[: -len(suffix)] + suffix.upper(),)
        return ()


# "A" -> "_a": one str.translate per name (the table's ~200 names are made at import, and a
# per-character Python loop cost ~2 ms of `import cos_web` in Pyodide; names are ASCII)
_SNAKE = {code: "_" + chr(code).lower() for code in range(ord("A"), ord("Z") + 1)}


def _snake(name: str) -> str:
    return name.translate(_SNAKE)


# ---------------------------------------------------------------- helpers


def as_list(value: Any) -> list[Any]:
    """``isArray(v) ? v : [v]`` after ``v || []``: absent or empty -> []."""
    if isinstance(value, list):
        return value
    if value is None or value == "":
        return []
    return [value]


def _md5_b64(text: str) -> str:
    import base64  # on the calls that send a Content-MD5, not at `import cos_web`
    import hashlib

    return base64.b64encode(hashlib.md5(text.encode("utf-8")).digest()).decode("ascii")


def _xml_body(headers: dict[str, Any], doc: Mapping[str, Any]) -> str:
    xml = json2xml(doc)
    headers["Content-Type"] = "application/xml"
    headers["Content-MD5"] = _md5_b64(xml)
    return xml


def uniq_grant(value: str) -> str:
    seen: dict[str, None] = {}
    for item in str(value).split(","):
        seen.setdefault(item.strip(), None)
    return ",".join(seen)


def decode_acl(policy: Mapping[str, Any]) -> dict[str, Any]:
    """The JS SDK's decodeAcl: grants as header strings and the canned ACL."""
    grant_map = {GRANT_HEADERS[header]: param for param, header in GRANT_PARAMS.items()}  # permission -> param
    lists: dict[str, list[str]] = {v: [] for v in grant_map.values()}
    acl_list = policy.get("AccessControlList") if isinstance(policy, Mapping) else None
    grants = as_list(acl_list.get("Grant")) if isinstance(acl_list, Mapping) else []
    owner = policy.get("Owner") if isinstance(policy, Mapping) else None
    owner_id = owner.get("ID") if isinstance(owner, Mapping) else None
    public: dict[str, int] = {}
    for item in grants:
        grantee = item.get("Grantee") if isinstance(item, Mapping) else None
        grantee = grantee if isinstance(grantee, Mapping) else {}
        perm = item.get("Permission") if isinstance(item, Mapping) else None
        uri = grantee.get("URI")
        gid = grantee.get("ID")
        if gid == "qcs::cam::anyone:anyone" or (isinstance(uri, str) and uri.endswith("/groups/global/AllUsers")):
            public[perm] = 1
        elif gid != owner_id and perm in grant_map:
            lists[grant_map[perm]].append('id="%s"' % ("undefined" if gid is None else gid))
    if public.get("FULL_CONTROL") or (public.get("WRITE") and public.get("READ")):
        acl = "public-read-write"
    elif public.get("READ"):
        acl = "public-read"
    else:
        acl = "private"
    result: dict[str, Any] = {name: uniq_grant(",".join(vals)) for name, vals in lists.items()}
    result["ACL"] = acl
    return result


def _root(reply: Reply, name: str) -> Any:
    value = reply.json.get(name) if isinstance(reply.json, Mapping) else None
    return value if isinstance(value, dict) else {}


# ---------------------------------------------------------------- request builders


def _build_put_bucket(params: Mapping[str, Any], headers: dict[str, Any]) -> str:
    if params.get("BucketAZConfig"):
        return json2xml({"CreateBucketConfiguration": {"BucketAZConfig": params["BucketAZConfig"]}})
    return ""


def _build_acl(params: Mapping[str, Any], headers: dict[str, Any]) -> str:
    xml = ""
    policy = params.get("AccessControlPolicy")
    if policy:
        policy = dict(policy)
        grants = policy.pop("Grants", None) or policy.pop("Grant", None)
        policy.pop("Grant", None)
        policy["AccessControlList"] = {"Grant": grants if isinstance(grants, list) else [grants]}
        xml = _xml_body(headers, {"AccessControlPolicy": policy})
    for name in list(headers):
        if name.startswith("x-cos-grant-"):
            headers[name] = uniq_grant(headers[name])
    return xml


_CORS_KEYS = ("AllowedOrigin", "AllowedHeader", "AllowedMethod", "ExposeHeader")


def _build_cors(params: Mapping[str, Any], headers: dict[str, Any]) -> str:
    conf = params.get("CORSConfiguration") or {}
    rules = conf.get("CORSRules") or params.get("CORSRules") or []
    rules = [dict(r) for r in (rules if isinstance(rules, list) else [rules])]
    for rule in rules:
        for key in _CORS_KEYS:
            val = rule.get(key + "s") or rule.get(key) or []
            rule.pop(key + "s", None)
            rule[key] = val if isinstance(val, list) else [val]
    doc: dict[str, Any] = {"CORSRule": rules}
    if params.get("ResponseVary"):
        doc["ResponseVary"] = params["ResponseVary"]
    return _xml_body(headers, {"CORSConfiguration": doc})


def _build_delete(params: Mapping[str, Any], headers: dict[str, Any]) -> str:
    objects = params.get("Objects") or []
    objects = objects if isinstance(objects, list) else [objects]
    return _xml_body(headers, {"Delete": {"Object": objects, "Quiet": params.get("Quiet") or False}})


def _build_complete(params: Mapping[str, Any], headers: dict[str, Any]) -> str:
    parts = []
    for part in params.get("Parts") or []:
        part = dict(part)
        etag = part.get("ETag")
        if not (isinstance(etag, str) and etag.startswith('"')):
            part["ETag"] = '"%s"' % ("undefined" if etag is None else etag)
        parts.append(part)
    return _xml_body(headers, {"CompleteMultipartUpload": {"Part": parts}})


def _build_copy_headers(params: Mapping[str, Any], headers: dict[str, Any]) -> None:
    """putObjectCopy: an empty Cache-Control unless one is given."""
    if not headers.get("Cache-Control") and not headers.get("cache-control"):
        headers["Cache-Control"] = ""


def _build_upload_headers(params: Mapping[str, Any], headers: dict[str, Any]) -> None:
    """putObject / multipartInit: keep proxies from writing Cache-Control / Content-Type."""
    if not headers.get("Cache-Control") and not headers.get("cache-control"):
        headers["Cache-Control"] = ""
    if not headers.get("Content-Type") and not headers.get("content-type"):
        headers["Content-Type"] = params.get("_BodyType") or ""


def _build_append_headers(params: Mapping[str, Any], headers: dict[str, Any]) -> None:
    """appendObject: as putObject, but the Content-Type is the Body's own ``type`` (a string has none)."""
    if not headers.get("Cache-Control") and not headers.get("cache-control"):
        headers["Cache-Control"] = ""
    if not headers.get("Content-Type") and not headers.get("content-type"):
        body_type = getattr(params.get("Body"), "type", None)
        headers["Content-Type"] = body_type if isinstance(body_type, str) else ""


def _build_restore(params: Mapping[str, Any], headers: dict[str, Any]) -> str:
    """restoreObject: the RestoreRequest document as given (Days, CASJobParameters.Tier)."""
    return _xml_body(headers, {"RestoreRequest": params.get("RestoreRequest") or {}})


# ---------------------------------------------------------------- result shapers


def _whole(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    """The parsed document as is (headBucket, getBucketLocation, headObject)."""
    return dict(reply.json) if isinstance(reply.json, dict) else {}


def _unwrap(root: str, lists: tuple[str, ...] = ()) -> Shaper:
    def shape(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
        result = dict(_root(reply, root))
        for name in lists:
            result[name] = as_list(result.get(name))
        return result

    shape.__name__ = f"unwrap_{root}"
    return shape


def _bucket_acl(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    policy = _root(reply, "AccessControlPolicy")
    acl_list = policy.get("AccessControlList")
    result = decode_acl(policy)
    if op.key:
        del result["GrantWrite"]
    if reply.headers.get("x-cos-acl"):
        result["ACL"] = reply.headers["x-cos-acl"]
    owner = policy.get("Owner")
    result["Owner"] = owner if owner not in (None, "") else {}
    result["Grants"] = as_list(acl_list.get("Grant") if isinstance(acl_list, dict) else None)
    return result


def _cors(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    conf = _root(reply, "CORSConfiguration")
    rules = conf.get("CORSRules") or conf.get("CORSRule") or []
    rules = [dict(r) if isinstance(r, dict) else {} for r in (rules if isinstance(rules, list) else [rules])]
    for rule in rules:
        for key in _CORS_KEYS:
            val = rule.get(key + "s") or rule.get(key) or []
            rule.pop(key, None)
            rule[key + "s"] = val if isinstance(val, list) else [val]
    result: dict[str, Any] = {"CORSRules": rules}
    if conf.get("ResponseVary") is not None:
        result["ResponseVary"] = conf["ResponseVary"]
    return result


def _options(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    h = reply.headers
    result = {}
    for field_name, header in (
        ("AccessControlAllowOrigin", "access-control-allow-origin"),
        ("AccessControlAllowMethods", "access-control-allow-methods"),
        ("AccessControlAllowHeaders", "access-control-allow-headers"),
        ("AccessControlExposeHeaders", "access-control-expose-headers"),
        ("AccessControlMaxAge", "access-control-max-age"),
    ):
        if header in h:
            result[field_name] = h[header]
    return result


def _get_object(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    return {"Body": reply.body}


def _copy(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    return dict(_root(reply, "CopyObjectResult"))


def _copy_part(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    return dict(_root(reply, "CopyPartResult"))


def _complete(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    return dict(_root(reply, "CompleteMultipartUploadResult"))


def _service(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    root = _root(reply, "ListAllMyBucketsResult")
    buckets = root.get("Buckets")
    owner = root.get("Owner")
    return {"Buckets": as_list(buckets.get("Bucket") if isinstance(buckets, dict) else None), "Owner": owner or {}}


def _empty(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    return {}


# ---------------------------------------------------------------- tolerated errors


def _if_modified_since(params: Mapping[str, Any]) -> bool:
    return bool(params.get("IfModifiedSince") or (params.get("Headers") or {}).get("If-Modified-Since"))


def _not_modified_head(params: Mapping[str, Any], err: Any) -> dict[str, Any] | None:
    if err.statusCode == 304 and _if_modified_since(params):
        return {"NotModified": True, "statusCode": 304}
    return None


def _not_modified_get(params: Mapping[str, Any], err: Any) -> dict[str, Any] | None:
    if err.statusCode == 304 and _if_modified_since(params):
        return {"NotModified": True}
    return None


def _no_cors(params: Mapping[str, Any], err: Any) -> dict[str, Any] | None:
    if err.statusCode == 404 and err.code == "NoSuchCORSConfiguration":
        result: dict[str, Any] = {"CORSRules": [], "statusCode": 404}
        if err.headers:
            result["headers"] = err.headers
        return result
    return None


def _bucket_not_found(params: Mapping[str, Any], err: Any) -> dict[str, Any] | None:
    if err.statusCode == 404:
        return {"BucketNotFound": True, "statusCode": 404}
    return None


def _options_forbidden(params: Mapping[str, Any], err: Any) -> dict[str, Any] | None:
    if err.statusCode == 403:
        return {"OptionsForbidden": True, "statusCode": 403}
    return None


# ---------------------------------------------------------------- select (SELECT Object Content)


def _select(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    """util.parseSelectPayload: Body is the whole stream as a binary string (one character a byte),
    Payload the Records events' payloads as text, joined. Stats, Progress and error events are
    read and dropped, as in the JS SDK (an error event does not fail the call there either; its
    index.d.ts declares a Stats field that 1.10.1 never sets, so there is none here either)."""
    from .eventstream import EventStreamError, decode

    raw = reply.body if isinstance(reply.body, bytes) else bytes(reply.body or b"")
    try:
        messages = decode(raw)
    except EventStreamError as exc:
        from .errors import CosError

        raise CosError(f"The select response is not a valid event stream: {exc}", code="EventStreamError",
                       statusCode=reply.statusCode, headers=reply.headers) from None
    records = [m.payload.decode("utf-8", "replace") for m in messages if m.event_type == "Records"]
    return {"Body": raw.decode("latin-1"), "Payload": "".join(records)}


def _select_no_content(params: Mapping[str, Any], err: Any) -> dict[str, Any] | None:
    """selectObjectContent's callback turns a 204 into ``{statusCode: 204}``."""
    return {"statusCode": 204} if err.statusCode == 204 else None


# ---------------------------------------------------------------- stored bucket configurations
# (tagging, referer, logging, accelerate, encryption, domain, origin, replication, inventory)


def _xml_doc(root: str, value: Any) -> Builder:
    """A builder of ``<root>value</root>``, value taken from the params by ``value(params)``."""

    def build(params: Mapping[str, Any], headers: dict[str, Any]) -> str:
        return _xml_body(headers, {root: value(params)})

    build.__name__ = f"build_{root}"
    return build


def tag_list(params: Mapping[str, Any]) -> list[Any]:
    """The tags of put*Tagging: ``Tagging.TagSet``, ``Tagging.Tags`` or ``Tags``, as a list."""
    tagging = params.get("Tagging") or {}
    tags = tagging.get("TagSet") or tagging.get("Tags") or params.get("Tags") or []
    return copy.deepcopy(tags if isinstance(tags, list) else [tags])


def _build_referer(params: Mapping[str, Any], headers: dict[str, Any]) -> str:
    conf = copy.deepcopy(dict(params.get("RefererConfiguration") or {}))
    domain_list = conf.get("DomainList") or {}
    domains = (domain_list.get("Domains") or domain_list.get("Domain") or []) if isinstance(domain_list, Mapping) else []
    domains = domains if isinstance(domains, list) else [domains]
    if domains:
        conf["DomainList"] = {"Domain": domains}
    return _xml_body(headers, {"RefererConfiguration": conf})


def _build_accelerate(params: Mapping[str, Any], headers: dict[str, Any]) -> str | None:
    """The JS SDK sends its accelerate calls with no header of the caller's."""
    headers.clear()
    if params.get("AccelerateConfiguration") is None:
        return None
    return _xml_body(headers, {"AccelerateConfiguration": params["AccelerateConfiguration"]})


def _rules(conf_name: str, rule: str, plural: str | None = None) -> Callable[[Mapping[str, Any]], Any]:
    def value(params: Mapping[str, Any]) -> Any:
        conf = params.get(conf_name) or {}
        rules = conf.get(rule) or (conf.get(plural) if plural else params.get(rule)) or []
        return {rule: copy.deepcopy(rules)}

    return value


_RULES_TAG = re.compile(r"<(/?)Rules>", re.IGNORECASE)
_TAGS_TAG = re.compile(r"<(/?)Tags>", re.IGNORECASE)


def _build_replication(params: Mapping[str, Any], headers: dict[str, Any]) -> str:
    xml = json2xml({"ReplicationConfiguration": copy.deepcopy(params.get("ReplicationConfiguration"))})
    xml = _TAGS_TAG.sub(r"<\1Tag>", _RULES_TAG.sub(r"<\1Rule>", xml))
    headers["Content-Type"] = "application/xml"
    headers["Content-MD5"] = _md5_b64(xml)
    return xml


def _build_inventory(params: Mapping[str, Any], headers: dict[str, Any]) -> str:
    conf = copy.deepcopy(params.get("InventoryConfiguration") or {})
    if conf.get("OptionalFields"):
        conf["OptionalFields"] = {"Field": conf["OptionalFields"]}
    encryption = _inventory_encryption(conf)
    if encryption is not None and "SSECOS" in encryption:
        encryption["SSE-COS"] = encryption.pop("SSECOS")
    return _xml_body(headers, {"InventoryConfiguration": conf})


def _inventory_encryption(conf: Any) -> dict[str, Any] | None:
    dest = conf.get("Destination") if isinstance(conf, dict) else None
    cos_dest = dest.get("COSBucketDestination") if isinstance(dest, dict) else None
    found = cos_dest.get("Encryption") if isinstance(cos_dest, dict) else None
    return found if isinstance(found, dict) else None


def _inventory_out(conf: Any) -> Any:
    """getBucketInventory's shape of one configuration: OptionalFields a list, SSE-COS as SSECOS."""
    if not isinstance(conf, dict):
        return conf
    fields = conf.get("OptionalFields")
    if isinstance(fields, dict) and fields.get("Field"):
        conf["OptionalFields"] = as_list(fields["Field"])
    encryption = _inventory_encryption(conf)
    if encryption is not None and "SSE-COS" in encryption:
        encryption["SSECOS"] = encryption.pop("SSE-COS")
    return conf


def _tags(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    tag_set = _root(reply, "Tagging").get("TagSet")
    tags = tag_set.get("Tag") if isinstance(tag_set, dict) else None
    return {"Tags": copy.deepcopy(as_list(tags))}


def _referer(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    conf = _root(reply, "RefererConfiguration")
    domain_list = conf.get("DomainList")
    if domain_list:
        domains = domain_list.get("Domain") if isinstance(domain_list, dict) else None
        conf["DomainList"] = {"Domains": as_list(domains)}
    return {"RefererConfiguration": conf}


def _logging(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    found = reply.json.get("BucketLoggingStatus") if isinstance(reply.json, dict) else None
    return {} if found is None else {"BucketLoggingStatus": found}


def _accelerate(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    data = _whole(op, params, reply)
    if not data.get("AccelerateConfiguration"):
        data["AccelerateConfiguration"] = {}
    return data


def _encryption(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    """As the JS SDK: the document as parsed, plus ``EncryptionConfiguration.Rules`` read from an
    ``EncryptionConfiguration`` root (COS's root is ServerSideEncryptionConfiguration, so: [])."""
    data = _whole(op, params, reply)
    conf = data.get("EncryptionConfiguration")
    data["EncryptionConfiguration"] = {"Rules": as_list(conf.get("Rule") if isinstance(conf, dict) else None)}
    return data


def _rule_list(root: str, name: str) -> Shaper:
    def shape(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
        return {name: copy.deepcopy(as_list(_root(reply, root).get(name)))}

    shape.__name__ = f"rules_{root}"
    return shape


def _replication(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    data = _whole(op, params, reply)
    conf = data.get("ReplicationConfiguration")
    if not conf:
        conf = data["ReplicationConfiguration"] = {}
    if isinstance(conf, dict) and conf.get("Rule"):
        conf["Rules"] = as_list(conf.pop("Rule"))
    return data


def _inventory(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    found = reply.json.get("InventoryConfiguration") if isinstance(reply.json, dict) else None
    return {} if found is None else {"InventoryConfiguration": _inventory_out(found)}


def _inventories(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    result = dict(_root(reply, "ListInventoryConfigurationResult"))
    confs = as_list(result.pop("InventoryConfiguration", None))
    result["InventoryConfigurations"] = [_inventory_out(c) for c in confs]
    return result


def _missing(codes: tuple[str, ...], result: Callable[[], dict[str, Any]]) -> Tolerate:
    """A 404 with one of ``codes`` (or no error document) is a result: ``result()`` + statusCode/headers."""

    def tolerate(params: Mapping[str, Any], err: Any) -> dict[str, Any] | None:
        error = err.extra.get("error")
        if err.statusCode == 404 and (err.code in codes or error == "Not Found"):
            out = {**result(), "statusCode": err.statusCode}
            if err.headers:
                out["headers"] = err.headers
            return out
        return None

    return tolerate


# ---------------------------------------------------------------- bucket policy and static website (policyweb)


def _build_policy(params: Mapping[str, Any], headers: dict[str, Any]) -> str:
    """putBucketPolicy: ``Policy`` (an object, or JSON text of one) sent as JSON.stringify makes it.

    The JS SDK sends any JSON value that is not a string; cos_web refuses anything but an
    object (COS can only take an object) before sending, with the JS SDK's message.
    """
    import json  # on this call only, not at `import cos_web`

    policy = params.get("Policy")
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            raise invalid_parameter("Policy", "not JSON: Policy format error") from None
    if not isinstance(policy, Mapping):
        raise invalid_parameter("Policy", "must be an object or its JSON text: Policy format error")
    try:
        text = json.dumps(policy, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise invalid_parameter("Policy", f"cannot be JSON ({exc}): Policy format error") from None
    headers["Content-Type"] = "application/json"
    headers["Content-MD5"] = _md5_b64(text)
    return text


def _policy(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    """getBucketPolicy: the body parsed as JSON (``{}`` when it is not JSON), as the JS SDK."""
    import json

    body = reply.body
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8", "replace")
    try:
        policy = json.loads(body) if isinstance(body, str) else {}
    except ValueError:
        policy = {}
    return {"Policy": policy}


_POLICY_ERROR_STATUS = {403: "Access Denied", 405: "Method Not Allowed", 404: "Policy Not Found"}


def _policy_error_status(params: Mapping[str, Any], err: Any) -> None:
    """getBucketPolicy's errors carry the JS SDK's ``ErrorStatus`` (404: "Policy Not Found");
    never a result: the error is raised as it is, with that field added."""
    status = _POLICY_ERROR_STATUS.get(err.statusCode)
    if status is not None:
        err.extra["ErrorStatus"] = status
    return None


def _build_website(params: Mapping[str, Any], headers: dict[str, Any]) -> str:
    """putBucketWebsite: ``RoutingRules`` (or ``RoutingRule``; one rule or a list) go last, as
    ``<RoutingRules><RoutingRule>…``; left out when there are none."""
    conf = copy.deepcopy(dict(params.get("WebsiteConfiguration") or {}))
    rules = conf.pop("RoutingRules", None) or conf.pop("RoutingRule", None) or []
    conf.pop("RoutingRule", None)
    rules = rules if isinstance(rules, list) else [rules]
    if rules:
        conf["RoutingRules"] = {"RoutingRule": rules}
    return _xml_body(headers, {"WebsiteConfiguration": conf})


def _website(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    """getBucketWebsite: the configuration with ``RoutingRules`` as a list of rules."""
    conf = reply.json.get("WebsiteConfiguration") if isinstance(reply.json, dict) else None
    conf = copy.deepcopy(conf) if conf else {}
    if isinstance(conf, dict) and conf.get("RoutingRules"):
        found = conf["RoutingRules"]
        rules = found.get("RoutingRule") if isinstance(found, dict) else None
        conf["RoutingRules"] = as_list(rules or [])
    return {"WebsiteConfiguration": conf}


def _no_website(params: Mapping[str, Any], err: Any) -> dict[str, Any] | None:
    """A bucket with no website configuration: ``WebsiteConfiguration: {}`` and the 404."""
    error = err.extra.get("error")
    if err.statusCode == 404 and isinstance(error, dict) and error.get("Code") == "NoSuchWebsiteConfiguration":
        result: dict[str, Any] = {"WebsiteConfiguration": {}, "statusCode": err.statusCode}
        if err.headers:
            result["headers"] = err.headers
        return result
    return None


# ---------------------------------------------------------------- bucket lifecycle (lifecycle)


def _build_lifecycle(params: Mapping[str, Any], headers: dict[str, Any]) -> str:
    """putBucketLifecycle: ``LifecycleConfiguration.Rules`` or ``Rules``, each rule as given, as
    ``<LifecycleConfiguration><Rule>…``; checked before sending (`lifecycle_check`), which the JS SDK is not."""
    from .lifecycle_check import check_rules  # on this call only, not at `import cos_web`

    conf = params.get("LifecycleConfiguration")
    rules = (conf.get("Rules") if isinstance(conf, Mapping) else None) or params.get("Rules") or []
    check_rules(rules)
    return _xml_body(headers, {"LifecycleConfiguration": {"Rule": copy.deepcopy(rules)}})


def _lifecycle(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    """getBucketLifecycle: ``Rules``, always a list (each rule as parsed: one Transition is a dict)."""
    conf = reply.json.get("LifecycleConfiguration") if isinstance(reply.json, Mapping) else None
    rules = conf.get("Rule") if isinstance(conf, Mapping) else None
    return {"Rules": copy.deepcopy(as_list(rules))}


def _no_lifecycle(params: Mapping[str, Any], err: Any) -> dict[str, Any] | None:
    """A 404 NoSuchLifecycleConfiguration is a result with no rules (only that code, as the JS SDK)."""
    if err.statusCode == 404 and err.code == "NoSuchLifecycleConfiguration":
        result: dict[str, Any] = {"Rules": [], "statusCode": 404}
        if err.headers:
            result["headers"] = err.headers
        return result
    return None


# ---------------------------------------------------------------- versioning


def _versioning(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    """getBucketVersioning: the document as parsed, ``VersioningConfiguration`` {} when empty."""
    data = _whole(op, params, reply)
    if not data.get("VersioningConfiguration"):
        data["VersioningConfiguration"] = {}
    return data


def _versions(op: Op, params: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    """listObjectVersions: ListVersionsResult with its Version / DeleteMarker entries as the lists
    ``Versions`` / ``DeleteMarkers`` (CommonPrefixes as parsed, as the JS SDK leaves it)."""
    result = copy.deepcopy(dict(_root(reply, "ListVersionsResult")))
    markers = as_list(result.pop("DeleteMarker", None))
    versions = as_list(result.pop("Version", None))
    result["DeleteMarkers"] = markers
    result["Versions"] = versions
    return result


# ---------------------------------------------------------------- the table

_LIST_BUCKET_QUERY = {
    "Prefix": "prefix",
    "Delimiter": "delimiter",
    "Marker": "marker",
    "MaxKeys": "max-keys",
    "EncodingType": "encoding-type",
}

OPERATIONS: dict[str, Op] = {
    op.name: op
    for op in (
        # ------------------------------------------------------------ service
        Op("getService", "GET", "name/cos:GetService", service=True, shape=_service),
        # ------------------------------------------------------------ bucket
        Op("putBucket", "PUT", "name/cos:PutBucket", build=_build_put_bucket, location=True, acl="bucket"),
        Op("headBucket", "HEAD", "name/cos:HeadBucket", shape=_whole),
        Op(
            "getBucket",
            "GET",
            "name/cos:GetBucket",
            query=_LIST_BUCKET_QUERY,
            query_defaults={"prefix": ""},
            shape=_unwrap("ListBucketResult", ("Contents", "CommonPrefixes")),
            resource_key="Prefix",
        ),
        Op("deleteBucket", "DELETE", "name/cos:DeleteBucket"),
        Op("getBucketAcl", "GET", "name/cos:GetBucketACL", subresource="acl", shape=_bucket_acl),
        Op("putBucketAcl", "PUT", "name/cos:PutBucketACL", subresource="acl", build=_build_acl, acl="bucket"),
        Op(
            "getBucketCors",
            "GET",
            "name/cos:GetBucketCORS",
            subresource="cors",
            shape=_cors,
            tolerate=_no_cors,
        ),
        Op(
            "putBucketCors",
            "PUT",
            "name/cos:PutBucketCORS",
            subresource="cors",
            build=_build_cors,
            required=("CORSRules",),
        ),
        Op("deleteBucketCors", "DELETE", "name/cos:DeleteBucketCORS", subresource="cors"),
        Op("getBucketLocation", "GET", "name/cos:GetBucketLocation", subresource="location", shape=_whole),
        # ------------------------------------------------------------ bucket policy and static website (policyweb)
        Op("putBucketPolicy", "PUT", "name/cos:PutBucketPolicy", subresource="policy", build=_build_policy),
        Op("getBucketPolicy", "GET", "name/cos:GetBucketPolicy", subresource="policy", shape=_policy,
           tolerate=_policy_error_status),
        Op("deleteBucketPolicy", "DELETE", "name/cos:DeleteBucketPolicy", subresource="policy"),
        Op("putBucketWebsite", "PUT", "name/cos:PutBucketWebsite", subresource="website", build=_build_website,
           required=("WebsiteConfiguration",)),
        Op("getBucketWebsite", "GET", "name/cos:GetBucketWebsite", subresource="website", shape=_website,
           tolerate=_no_website, key_optional=True),
        Op("deleteBucketWebsite", "DELETE", "name/cos:DeleteBucketWebsite", subresource="website"),
        # ------------------------------------------------------------ stored bucket configurations
        Op("putBucketTagging", "PUT", "name/cos:PutBucketTagging", subresource="tagging",
           build=_xml_doc("Tagging", lambda p: {"TagSet": {"Tag": tag_list(p)}})),
        Op("getBucketTagging", "GET", "name/cos:GetBucketTagging", subresource="tagging", shape=_tags,
           tolerate=_missing(("NoSuchTagSet",), lambda: {"Tags": []})),
        Op("deleteBucketTagging", "DELETE", "name/cos:DeleteBucketTagging", subresource="tagging"),
        Op("putBucketReferer", "PUT", "name/cos:PutBucketReferer", subresource="referer", build=_build_referer,
           required=("RefererConfiguration",)),
        Op("getBucketReferer", "GET", "name/cos:GetBucketReferer", subresource="referer", shape=_referer,
           tolerate=_missing(("NoSuchRefererConfiguration",), lambda: {"WebsiteConfiguration": {}}),
           key_optional=True),
        Op("putBucketLogging", "PUT", "name/cos:PutBucketLogging", subresource="logging",
           build=_xml_doc("BucketLoggingStatus", lambda p: p.get("BucketLoggingStatus") or "")),
        Op("getBucketLogging", "GET", "name/cos:GetBucketLogging", subresource="logging", shape=_logging),
        Op("putBucketAccelerate", "PUT", "name/cos:PutBucketAccelerate", subresource="accelerate",
           build=_build_accelerate, required=("AccelerateConfiguration",)),
        Op("getBucketAccelerate", "GET", "name/cos:GetBucketAccelerate", subresource="accelerate",
           build=_build_accelerate, shape=_accelerate),
        Op("putBucketEncryption", "PUT", "name/cos:PutBucketEncryption", subresource="encryption",
           build=_xml_doc("ServerSideEncryptionConfiguration",
                          _rules("ServerSideEncryptionConfiguration", "Rule", "Rules"))),
        Op("getBucketEncryption", "GET", "name/cos:GetBucketEncryption", subresource="encryption",
           shape=_encryption,
           tolerate=_missing(("NoSuchEncryptionConfiguration",), lambda: {"EncryptionConfiguration": {"Rules": []}})),
        Op("deleteBucketEncryption", "DELETE", "name/cos:DeleteBucketEncryption", subresource="encryption"),
        Op("putBucketDomain", "PUT", "name/cos:PutBucketDomain", subresource="domain",
           build=_xml_doc("DomainConfiguration", _rules("DomainConfiguration", "DomainRule"))),
        Op("getBucketDomain", "GET", "name/cos:GetBucketDomain", subresource="domain",
           shape=_rule_list("DomainConfiguration", "DomainRule")),
        Op("deleteBucketDomain", "DELETE", "name/cos:DeleteBucketDomain", subresource="domain"),
        Op("putBucketOrigin", "PUT", "name/cos:PutBucketOrigin", subresource="origin",
           build=_xml_doc("OriginConfiguration", _rules("OriginConfiguration", "OriginRule"))),
        Op("getBucketOrigin", "GET", "name/cos:GetBucketOrigin", subresource="origin",
           shape=_rule_list("OriginConfiguration", "OriginRule")),
        Op("deleteBucketOrigin", "DELETE", "name/cos:DeleteBucketOrigin", subresource="origin"),
        Op("putBucketReplication", "PUT", "name/cos:PutBucketReplication", subresource="replication",
           build=_build_replication, required=("ReplicationConfiguration",)),
        Op("getBucketReplication", "GET", "name/cos:GetBucketReplication", subresource="replication",
           shape=_replication,
           tolerate=_missing(("ReplicationConfigurationnotFoundError",),
                             lambda: {"ReplicationConfiguration": {"Rules": []}})),
        Op("deleteBucketReplication", "DELETE", "name/cos:DeleteBucketReplication", subresource="replication"),
        Op("putBucketInventory", "PUT", "name/cos:PutBucketInventory", subresource="inventory",
           query={"Id": "id"}, build=_build_inventory, required=("Id", "InventoryConfiguration")),
        Op("postBucketInventory", "POST", "name/cos:PostBucketInventory", subresource="inventory",
           query={"Id": "id"}, build=_build_inventory, required=("Id", "InventoryConfiguration")),
        Op("getBucketInventory", "GET", "name/cos:GetBucketInventory", subresource="inventory",
           query={"Id": "id"}, shape=_inventory, required=("Id",)),
        Op("listBucketInventory", "GET", "name/cos:ListBucketInventory", subresource="inventory",
           query={"ContinuationToken": "continuation-token"}, shape=_inventories),
        Op("deleteBucketInventory", "DELETE", "name/cos:DeleteBucketInventory", subresource="inventory",
           query={"Id": "id"}, required=("Id",)),
        Op(
            "deleteMultipleObject",
            "POST",
            "name/cos:DeleteObject",
            subresource="delete",
            build=_build_delete,
            shape=_unwrap("DeleteResult", ("Deleted", "Error")),
            required=("Objects",),
            idempotent=True,  # deleting the same keys twice gives the same state
        ),
        Op(
            "multipartList",
            "GET",
            "name/cos:ListMultipartUploads",
            subresource="uploads",
            query={
                "Delimiter": "delimiter",
                "EncodingType": "encoding-type",
                "Prefix": "prefix",
                "MaxUploads": "max-uploads",
                "KeyMarker": "key-marker",
                "UploadIdMarker": "upload-id-marker",
            },
            query_defaults={"prefix": ""},
            shape=_unwrap("ListMultipartUploadsResult", ("Upload", "CommonPrefixes")),
            resource_key="Prefix",
        ),
        # ------------------------------------------------------------ versioning
        Op("putBucketVersioning", "PUT", "name/cos:PutBucketVersioning", subresource="versioning",
           build=_xml_doc("VersioningConfiguration", lambda p: copy.deepcopy(p.get("VersioningConfiguration"))),
           required=("VersioningConfiguration",)),
        Op("getBucketVersioning", "GET", "name/cos:GetBucketVersioning", subresource="versioning",
           shape=_versioning),
        Op("listObjectVersions", "GET", "name/cos:GetBucketObjectVersions", subresource="versions",
           query={"Prefix": "prefix", "Delimiter": "delimiter", "KeyMarker": "key-marker",
                  "VersionIdMarker": "version-id-marker", "MaxKeys": "max-keys", "EncodingType": "encoding-type"},
           query_defaults={"prefix": ""}, shape=_versions, resource_key="Prefix"),
        # ------------------------------------------------------------ object
        Op(
            "headObject",
            "HEAD",
            "name/cos:HeadObject",
            key=True,
            version_id=True,
            shape=_whole,
            etag=True,
            tolerate=_not_modified_head,
        ),
        Op(
            "getObject",
            "GET",
            "name/cos:GetObject",
            key=True,
            version_id=True,
            query=RESPONSE_PARAMS,
            extra_query=True,
            shape=_get_object,
            etag=True,
            tolerate=_not_modified_get,
            raw_response=True,
        ),
        Op(
            "putObject",
            "PUT",
            "name/cos:PutObject",
            key=True,
            extra_query=True,
            body="Body",
            build=_build_upload_headers,
            shape=_whole,
            etag=True,
            location=True,
            acl="object",
            upload_progress=True,
        ),
        Op(
            "deleteObject",
            "DELETE",
            "name/cos:DeleteObject",
            key=True,
            version_id=True,
            tolerate=_bucket_not_found,
        ),
        Op(
            "optionsObject",
            "OPTIONS",
            "name/cos:OptionsObject",
            key=True,
            headers={
                "Origin": "Origin",
                "AccessControlRequestMethod": "Access-Control-Request-Method",
                "AccessControlRequestHeaders": "Access-Control-Request-Headers",
            },
            required=("Origin", "AccessControlRequestMethod"),
            shape=_options,
            tolerate=_options_forbidden,
        ),
        Op(
            "getObjectAcl",
            "GET",
            "name/cos:GetObjectACL",
            key=True,
            subresource="acl",
            version_id=True,
            shape=_bucket_acl,
        ),
        Op(
            "putObjectAcl",
            "PUT",
            "name/cos:PutObjectACL",
            key=True,
            subresource="acl",
            build=_build_acl,
            acl="object",
        ),
        Op(
            "putObjectCopy",
            "PUT",
            "name/cos:PutObject",
            key=True,
            version_id=True,
            required=("CopySource",),
            build=_build_copy_headers,
            shape=_copy,
            location=True,
            acl="object",
        ),
        Op("putObjectTagging", "PUT", "name/cos:PutObjectTagging", key=True, subresource="tagging",
           version_id=True, build=_xml_doc("Tagging", lambda p: {"TagSet": {"Tag": tag_list(p)}})),
        Op("getObjectTagging", "GET", "name/cos:GetObjectTagging", key=True, subresource="tagging",
           version_id=True, shape=_tags, tolerate=_missing(("NoSuchTagSet",), lambda: {"Tags": []})),
        Op("deleteObjectTagging", "DELETE", "name/cos:DeleteObjectTagging", key=True, subresource="tagging",
           version_id=True),
        # ------------------------------------------------------------ multipart
        Op(
            "multipartInit",
            "POST",
            "name/cos:InitiateMultipartUpload",
            key=True,
            subresource="uploads",
            extra_query=True,
            build=_build_upload_headers,
            shape=_unwrap("InitiateMultipartUploadResult"),
            acl="object",
        ),
        Op(
            "multipartUpload",
            "PUT",
            "name/cos:UploadPart",
            key=True,
            query={"PartNumber": "partNumber", "UploadId": "uploadId"},
            required=("PartNumber", "UploadId"),
            body="Body",
            shape=_empty,
            etag=True,
            upload_progress=True,
        ),
        Op(
            "multipartComplete",
            "POST",
            "name/cos:CompleteMultipartUpload",
            key=True,
            query={"UploadId": "uploadId"},
            required=("UploadId", "Parts"),
            build=_build_complete,
            shape=_complete,
            location=True,
        ),
        Op(
            "multipartListPart",
            "GET",
            "name/cos:ListParts",
            key=True,
            query={
                "UploadId": "uploadId",
                "EncodingType": "encoding-type",
                "MaxParts": "max-parts",
                "PartNumberMarker": "part-number-marker",
            },
            required=("UploadId",),
            shape=_unwrap("ListPartsResult", ("Part",)),
        ),
        Op(
            "multipartAbort",
            "DELETE",
            "name/cos:AbortMultipartUpload",
            key=True,
            query={"UploadId": "uploadId"},
            required=("UploadId",),
        ),
        # ------------------------------------------------------------ server-side copy (sliceCopyFile's parts)
        Op(
            "uploadPartCopy",
            "PUT",
            "name/cos:PutObject",
            key=True,
            version_id=True,
            query={"PartNumber": "partNumber", "UploadId": "uploadId"},
            required=("CopySource", "UploadId", "PartNumber"),
            shape=_copy_part,  # CopyPartResult: ETag, LastModified (CRC64), as the JS SDK
        ),
        # ------------------------------------------------------------ appendable objects
        Op(
            "appendObject",
            "POST",
            "name/cos:AppendObject",
            key=True,
            subresource="append",
            query={"Position": "position"},
            body="Body",
            build=_build_append_headers,
            shape=_whole,  # x-cos-next-append-position is in headers, as in the JS SDK
        ),
        # ------------------------------------------------------------ archive classes
        Op(
            "restoreObject",
            "POST",
            "name/cos:RestoreObject",
            key=True,
            subresource="restore",
            version_id=True,
            required=("RestoreRequest",),
            build=_build_restore,
            shape=_whole,  # 202 (started) or 200 (extended): statusCode tells them apart
        ),
        # ------------------------------------------------------------ bucket lifecycle (lifecycle)
        Op("putBucketLifecycle", "PUT", "name/cos:PutBucketLifecycle", subresource="lifecycle",
           build=_build_lifecycle),
        Op("getBucketLifecycle", "GET", "name/cos:GetBucketLifecycle", subresource="lifecycle", shape=_lifecycle,
           tolerate=_no_lifecycle),
        Op("deleteBucketLifecycle", "DELETE", "name/cos:DeleteBucketLifecycle", subresource="lifecycle"),
        # ------------------------------------------------------------ select (SELECT Object Content)
        Op(
            "selectObjectContent",
            "POST",
            "name/cos:GetObject",  # COS: select is allowed by cos:GetObject
            key=True,
            subresource="select",
            query={"SelectType": "select-type"},
            version_id=True,
            required=("SelectType",),
            build=_xml_doc("SelectRequest", lambda p: p.get("SelectRequest") or {}),
            shape=_select,
            tolerate=_select_no_content,
            raw_response=True,
            data_type="bytes",  # the event stream, whatever DataType says (the JS SDK reads an ArrayBuffer)
        ),
    )
}
