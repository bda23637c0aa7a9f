"""Parameter checks made before any request: bad input -> CosError("InvalidParameter").

The JS SDK checks Bucket, Region and Key (``apiWrapper``); cos_web also checks
the types of the parameters it knows, the enumerated values (ACL,
StorageClass), required parameters of each call and the putObject Key rule.
Errors name the parameter: ``CosError(code="InvalidParameter", message="Bucket: ...")``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .errors import invalid_parameter
from .operations import Op, tag_list
from .values import (
    BUCKET_ACLS,
    GRANT_PARAMS,
    MAX_BUCKET_TAGS,
    MAX_OBJECT_TAGS,
    MAX_PARTS,
    METADATA_DIRECTIVES,
    OBJECT_ACLS,
    REGION_PATTERN,
    SDK_BUCKET_PATTERN,
    STORAGE_CLASSES,
    VERSIONING_STATUSES,
    check_tag,
)

__all__ = ["check", "simplify_path", "is_body", "COPY_SOURCE", "copy_source_params"]

BUCKET_RE = re.compile(SDK_BUCKET_PATTERN)
REGION_RE = re.compile(REGION_PATTERN)
COMPATIBLE_REGION_RE = re.compile(r"^[a-z\d.-]+$")
COPY_SOURCE = re.compile(
    r"^([^.]+-\d+)\.cos(v6|-cdc|-cdz|-internal)?\.([^.]+)\.((myqcloud\.com)|(tencentcos\.cn))/(.+)$"
)

# Parameter kinds: each known parameter and what it may be.
_STR = (str,)
_SCALAR = (str, int, float)
_KINDS: dict[str, tuple[type, ...] | str] = {
    "Bucket": _STR,
    "Region": _STR,
    "Key": _STR,
    "Prefix": _STR,
    "Delimiter": _STR,
    "Marker": _STR,
    "MaxKeys": _SCALAR,
    "EncodingType": _STR,
    "UploadId": _STR,
    "PartNumber": _SCALAR,
    "MaxParts": _SCALAR,
    "PartNumberMarker": _SCALAR,
    "MaxUploads": _SCALAR,
    "KeyMarker": _STR,
    "UploadIdMarker": _STR,
    "VersionId": _STR,
    "VersionIdMarker": _STR,
    "VersioningConfiguration": (dict,),
    "ACL": _STR,
    "StorageClass": _STR,
    **dict.fromkeys(GRANT_PARAMS, _STR),
    "CopySource": _STR,
    "MetadataDirective": _STR,
    "Origin": _STR,
    "AccessControlRequestMethod": _STR,
    "AccessControlRequestHeaders": _STR,
    "Range": _STR,
    "ContentLength": _SCALAR,
    "ContentType": _STR,
    "DataType": _STR,
    "Quiet": (bool,),
    "Objects": (list, tuple),
    "Parts": (list, tuple),
    "CORSRules": (list, tuple, dict),
    "CORSConfiguration": (dict,),
    "Headers": (dict,),
    "Query": (dict,),
    "AccessControlPolicy": (dict,),
    "Tagging": (dict,),
    "Tags": (list, tuple, dict),
    "RefererConfiguration": (dict,),
    "BucketLoggingStatus": (dict, str),
    "AccelerateConfiguration": (dict,),
    "ServerSideEncryptionConfiguration": (dict,),
    "DomainConfiguration": (dict,),
    "DomainRule": (list, tuple, dict),
    "OriginConfiguration": (dict,),
    "OriginRule": (list, tuple, dict),
    "ReplicationConfiguration": (dict,),
    "InventoryConfiguration": (dict,),
    "WebsiteConfiguration": (dict,),  # policyweb
    "Id": _STR,
    "AppId": _SCALAR,
    "ContinuationToken": _STR,
    "onProgress": "callable",
    "Body": "body",
}

_SURROGATE = re.compile("[\ud800-\udfff]")
DATA_TYPES = frozenset({"text", "blob", "arraybuffer", "bytes"})


def _is_js(value: Any) -> bool:
    return type(value).__name__.startswith("Js") and hasattr(value, "typeof")


def is_body(value: Any) -> bool:
    """A request body cos_web can send: str, bytes-like, or a JS Blob/File/ArrayBuffer/TypedArray."""
    if isinstance(value, (str, bytes, bytearray, memoryview)):
        return True
    from ._js import Body

    if isinstance(value, Body):
        return True  # classified where it entered (an upload's source)
    if _is_js(value):
        from ._js import js_body_kind

        return js_body_kind(value) is not None
    return False


def _check_text(name: str, value: Any) -> None:
    """No lone surrogate in a string param, nor in a Headers/Query value: not text a URL or header
    can carry (JS's encodeURIComponent throws URIError on it too)."""
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise invalid_parameter(name, "holds a lone surrogate (not valid Unicode text)")
    elif isinstance(value, Mapping):  # Headers, Query
        for k, v in value.items():
            _check_text(name, k)
            if isinstance(v, str):
                _check_text(f"{name}[{k!r}]", v)


def _check_kind(name: str, value: Any) -> None:
    _check_text(name, value)
    kind = _KINDS.get(name)
    if kind is None or value is None:
        return
    if kind == "callable":
        if not callable(value):
            raise invalid_parameter(name, f"must be a function, got {type(value).__name__}")
        return
    if kind == "body":
        if not is_body(value):
            raise invalid_parameter(
                name, f"must be str, bytes, or a JS File/Blob/ArrayBuffer/Uint8Array, got {type(value).__name__}"
            )
        return
    assert isinstance(kind, tuple)
    if isinstance(value, bool) and bool not in kind:
        raise invalid_parameter(name, f"must be {_kind_name(kind)}, got bool")
    if not isinstance(value, kind):
        raise invalid_parameter(name, f"must be {_kind_name(kind)}, got {type(value).__name__}")


def _kind_name(kind: tuple[type, ...]) -> str:
    if kind == _SCALAR:
        return "a string or number"
    return " or ".join(t.__name__ for t in kind)


def simplify_path(path: str) -> str:
    """util.simplifyPath: resolve ``.`` and ``..`` segments."""
    stack: list[str] = []
    for name in path.split("/"):
        if name == "..":
            if stack:
                stack.pop()
        elif name and name != ".":
            stack.append(name)
    return "/" + "/".join(stack)


def copy_source_params(source: Any, options: Mapping[str, Any]) -> dict[str, Any] | None:
    """``util.getSourceParams``: the ``{Bucket, Region, Key}`` a CopySource names, or None.

    The ``CopySourceParser`` option (a function, JS or Python) replaces the parsing of
    ``{Bucket}.cos.{Region}.myqcloud.com/{Key}``, for copy sources on other domains.
    """
    parser = options.get("CopySourceParser")
    if parser is not None:
        from ._js import to_py

        found = to_py(parser(source))
        if not found or not isinstance(found, Mapping):
            return None
        return {"Bucket": found.get("Bucket"), "Region": found.get("Region"), "Key": found.get("Key")}
    m = COPY_SOURCE.match(source) if isinstance(source, str) else None
    return {"Bucket": m.group(1), "Region": m.group(3), "Key": m.group(7)} if m else None


def check_bucket_region(params: Mapping[str, Any], options: Mapping[str, Any], need: bool = True) -> None:
    """Bucket ``{name}-{appid}`` and a valid Region (required unless Domain does without them)."""
    domain = options.get("Domain")
    check_bucket = not domain or (isinstance(domain, str) and "{Bucket}" in domain)
    check_region = not domain or (isinstance(domain, str) and "{Region}" in domain)
    bucket = params.get("Bucket")
    region = params.get("Region")
    _check_kind("Bucket", bucket)
    _check_kind("Region", region)
    if need and check_bucket and not bucket:
        raise invalid_parameter("Bucket", "missing param Bucket")
    if need and check_region and not region:
        raise invalid_parameter("Region", "missing param Region")
    if region and options.get("CompatibilityMode"):
        if not COMPATIBLE_REGION_RE.match(region):  # as the JS SDK in CompatibilityMode
            raise invalid_parameter("Region", f"Region format error: {region!r}")
    elif region:
        if "cos." in region:
            raise invalid_parameter("Region", 'param Region should not be start with "cos."')
        if not REGION_RE.match(region):
            raise invalid_parameter("Region", f"Region format error: {region!r}")
    if bucket and not BUCKET_RE.match(bucket):
        raise invalid_parameter("Bucket", f'Bucket should format as "test-1250000000", got {bucket!r}')


def check(op: Op, params: dict[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``params`` for ``op``; returns them with the Key normalised (leading ``/`` dropped)."""
    # a generic request (cos.request) to a given Url needs no Bucket/Region
    check_bucket_region(params, options, need=not (op.service or (op.name == "request" and params.get("Url"))))
    for name, value in params.items():
        _check_kind(name, value)
    key = params.get("Key")
    if op.key and not key:
        raise invalid_parameter("Key", "missing param Key")
    if op.path_key and isinstance(key, str) and key:
        if not options.get("UseRawKey") and key.startswith("/"):
            key = params["Key"] = key[1:]
    for name in op.required:
        value = params.get(name)
        if name == "CORSRules" and value is None:
            value = (params.get("CORSConfiguration") or {}).get("CORSRules")
        if value is None or value == "" or (isinstance(value, (list, tuple)) and not value):
            raise invalid_parameter(name, f"missing param {name}")
    _check_values(op, params, options)
    return params


def _check_values(op: Op, params: Mapping[str, Any], options: Mapping[str, Any]) -> None:
    acl = params.get("ACL")
    if acl is not None:
        allowed = BUCKET_ACLS if op.acl == "bucket" else OBJECT_ACLS
        if acl not in allowed:
            raise invalid_parameter("ACL", f"{acl!r} is not one of {', '.join(sorted(allowed))}")
    sc = params.get("StorageClass")
    if sc is not None and sc.upper() not in STORAGE_CLASSES:
        raise invalid_parameter("StorageClass", f"{sc!r} is not one of {', '.join(sorted(STORAGE_CLASSES))}")
    md = params.get("MetadataDirective")
    if md is not None and md not in METADATA_DIRECTIVES:
        raise invalid_parameter("MetadataDirective", f"{md!r} is not Copy or Replaced")
    dt = params.get("DataType")
    if dt is not None and dt not in DATA_TYPES:
        raise invalid_parameter("DataType", f"{dt!r} is not one of text, blob, arraybuffer")
    name = op.name
    key = params.get("Key") or ""
    if name == "putObject":
        body = params.get("Body")
        if body is None:
            raise invalid_parameter("Body", "missing param Body")
        if key.endswith("/") and not _empty_body(body):
            # The seed: a Key may not end in "/" (it names a folder); only an empty
            # body may create the folder marker.
            raise invalid_parameter("Key", f"{key!r} ends with '/': only an empty Body may create a folder")
    elif name == "multipartUpload":
        if params.get("Body") is None:
            raise invalid_parameter("Body", "missing param Body")
        _check_part_number(params.get("PartNumber"))
    elif name == "getObject":
        if options.get("ObjectKeySimplifyCheck", True) and simplify_path(key) == "/":
            raise invalid_parameter("Key", f"The Getobject Key is illegal: {key!r}")
    elif name in ("putObjectCopy", "uploadPartCopy"):
        if copy_source_params(params["CopySource"], options) is None:
            raise invalid_parameter("CopySource", "CopySource format error")
        if name == "uploadPartCopy":
            _check_part_number(params.get("PartNumber"))
    elif name == "deleteMultipleObject":
        for i, obj in enumerate(params["Objects"]):
            if not isinstance(obj, Mapping) or not isinstance(obj.get("Key"), str) or not obj.get("Key"):
                raise invalid_parameter("Objects", f"item {i} needs a Key string")
    elif name == "multipartComplete":
        for i, part in enumerate(params["Parts"]):
            if not isinstance(part, Mapping) or part.get("PartNumber") is None or not part.get("ETag"):
                raise invalid_parameter("Parts", f"item {i} needs PartNumber and ETag")
    elif name == "putBucketCors":
        rules = params.get("CORSRules") or (params.get("CORSConfiguration") or {}).get("CORSRules")
        for i, rule in enumerate(rules if isinstance(rules, (list, tuple)) else [rules]):
            if not isinstance(rule, Mapping):
                raise invalid_parameter("CORSRules", f"item {i} must be a dict")
    elif name in ("putBucketTagging", "putObjectTagging"):
        _check_tags(tag_list(params), MAX_BUCKET_TAGS if name == "putBucketTagging" else MAX_OBJECT_TAGS)
    elif name == "putBucketVersioning":
        status = params["VersioningConfiguration"].get("Status")
        if status not in VERSIONING_STATUSES:
            raise invalid_parameter("VersioningConfiguration",
                                    f"Status {status!r} is not one of {', '.join(VERSIONING_STATUSES)}")
    elif name in ("putBucketAcl", "putObjectAcl"):
        policy = params.get("AccessControlPolicy")
        if policy is not None and not (policy.get("Owner") or {}).get("ID"):
            raise invalid_parameter("AccessControlPolicy", "needs Owner.ID")


def _check_tags(tags: list[Any], limit: int) -> None:
    """COS's tag rules, before sending: at most ``limit`` tags, distinct keys, lengths, characters."""
    if len(tags) > limit:
        raise invalid_parameter("Tags", f"at most {limit} tags, got {len(tags)}")
    seen: set[str] = set()
    for i, tag in enumerate(tags):
        if not isinstance(tag, Mapping) or not isinstance(tag.get("Key"), str) or not isinstance(tag.get("Value"), str):
            raise invalid_parameter("Tags", f"item {i} needs Key and Value strings")
        problem = check_tag(tag["Key"], tag["Value"])
        if problem:
            raise invalid_parameter("Tags", f"item {i}: {problem}")
        if tag["Key"] in seen:
            raise invalid_parameter("Tags", f"item {i}: the key {tag['Key']!r} is given twice")
        seen.add(tag["Key"])


def _check_part_number(value: Any) -> None:
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise invalid_parameter("PartNumber", f"must be an integer, got {value!r}") from None
    if not 1 <= n <= MAX_PARTS:
        raise invalid_parameter("PartNumber", f"must be in 1..{MAX_PARTS}, got {n}")


def _empty_body(body: Any) -> bool:
    if isinstance(body, (str, bytes, bytearray, memoryview)):
        return len(body) == 0
    size = getattr(body, "size", None)
    if size is None:
        size = getattr(body, "byteLength", None)
    return size == 0

