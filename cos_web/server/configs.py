"""Stored bucket configurations: one table of the sub-resources that are an XML document
kept as sent (``?tagging``, ``?referer``, ``?logging``, ``?inventory&id=`` ...).

Each :class:`Kind` says what one sub-resource is: its XML root and shape (a small
schema of nested :class:`El`), the checks beyond the shape, the COS error for a
bucket that has none (or the document COS answers instead), which methods it has
and the route names (= COS's action names) they get. ``routes.py`` makes one route
per (kind, method); ``handlers_config.py`` serves them all; the documents live in the
metadata DB (``config_store.py``) as the validated tree, in the order they were sent,
and come back exactly so.

Adding a configuration is one entry in :data:`KINDS` (and its action names in
``policy.ACTIONS``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

from ..values import (
    MAX_BUCKET_TAGS,
    MAX_INVENTORIES,
    MAX_OBJECT_TAGS,
    MAX_REFERER_DOMAINS,
    check_tag,
)
from .errors import CosServerError

Tree = list  # [name, value] with value a str or a list of Trees (xmlio.render's node format)


# ---------------------------------------------------------------- the schema
@dataclass(frozen=True)
class El:
    """One element of a configuration document.

    ``children`` for a container; ``text`` checks a leaf's text (raises CosServerError);
    ``free`` accepts any well-formed subtree (parts COS describes loosely); ``min``/``max``
    bound how often it occurs in its parent.
    """

    name: str
    children: tuple[El, ...] = ()
    text: Callable[[str, str], None] | None = None  # (element name, text)
    min: int = 1
    max: int = 1
    free: bool = False


def opt(el: El) -> El:
    return El(el.name, el.children, el.text, 0, el.max, el.free)


def many(el: El, low: int = 0, high: int = 1000) -> El:
    return El(el.name, el.children, el.text, low, high, el.free)


def one_of(*values: str) -> Callable[[str, str], None]:
    def check(name: str, text: str) -> None:
        if text not in values:
            raise CosServerError("InvalidArgument", f"{name} must be one of {', '.join(values)}.")

    return check


def integer(low: int, high: int) -> Callable[[str, str], None]:
    def check(name: str, text: str) -> None:
        if not (text.isascii() and text.isdigit() and low <= int(text) <= high):
            raise CosServerError("InvalidArgument", f"{name} must be an integer in {low}..{high}.")

    return check


def nonempty(name: str, text: str) -> None:
    if not text:
        raise CosServerError("InvalidArgument", f"{name} must not be empty.")


_MAX_DEPTH = 12
_MAX_TEXT = 4096


def read(element: ET.Element, schema: El, depth: int = 0) -> Tree:
    """The validated tree of ``element`` (MalformedXML for an unknown, missing or repeated element)."""
    if element.tag != schema.name or depth > _MAX_DEPTH:
        raise CosServerError("MalformedXML", f"Unexpected element {element.tag}.")
    kids = list(element)
    if schema.free:
        return [element.tag, [read(k, El(k.tag, free=True), depth + 1) for k in kids] if kids else _text(element)]
    if not schema.children:
        if kids:
            raise CosServerError("MalformedXML", f"{element.tag} holds no elements.")
        value = _text(element)
        if schema.text is not None:
            schema.text(schema.name, value)
        return [element.tag, value]
    specs = {c.name: c for c in schema.children}
    counts = dict.fromkeys(specs, 0)
    out: list[Tree] = []
    for kid in kids:
        spec = specs.get(kid.tag)
        if spec is None:
            raise CosServerError("MalformedXML", f"Unexpected element {kid.tag} in {element.tag}.")
        counts[kid.tag] += 1
        out.append(read(kid, spec, depth + 1))
    for name, spec in specs.items():
        if not spec.min <= counts[name] <= spec.max:
            raise CosServerError("MalformedXML", f"{element.tag} must hold {spec.min}..{spec.max} {name}.")
    return [element.tag, out]


def _text(element: ET.Element) -> str:
    value = (element.text or "").strip()
    if len(value) > _MAX_TEXT:
        raise CosServerError("InvalidArgument", f"{element.tag} is too long.")
    return value


def children(tree: Tree, name: str) -> list[Tree]:
    return [c for c in tree[1] if c[0] == name] if isinstance(tree[1], list) else []


def child_text(tree: Tree, name: str, default: str = "") -> str:
    found = children(tree, name)
    return found[0][1] if found and isinstance(found[0][1], str) else default


# ---------------------------------------------------------------- the kinds
@dataclass(frozen=True)
class Kind:
    """One stored configuration sub-resource."""

    sub: str  # the query sub-resource
    schema: El  # root element and shape
    actions: dict[str, str]  # HTTP method -> route name (COS's action name, without "name/cos:")
    missing: str | None  # COS's error code when none is stored
    empty: bool = False  # answer an empty root document instead of ``missing``
    check: Callable[[Tree, dict], None] | None = None  # checks beyond the shape (tree, context facts)
    keyed: str | None = None  # a query parameter naming one of several documents (inventory: id)
    clear_on_empty: bool = False  # a PUT with no body (or an empty root) removes the configuration
    level: str = "bucket"
    extra: dict = field(default_factory=dict)

    @property
    def root(self) -> str:
        return self.schema.name


def _check_tags(limit: int) -> Callable[[Tree, dict], None]:
    def check(tree: Tree, facts: dict) -> None:
        tags = [t for s in children(tree, "TagSet") for t in children(s, "Tag")]
        if len(tags) > limit:
            raise CosServerError("InvalidTag", f"At most {limit} tags are allowed.")
        seen: set[str] = set()
        for tag in tags:
            key, value = child_text(tag, "Key"), child_text(tag, "Value")
            problem = check_tag(key, value)
            if problem:
                raise CosServerError("InvalidTag", problem)
            if key in seen:
                raise CosServerError("InvalidTag", f"The tag key {key!r} is given twice.")
            seen.add(key)

    return check


def _tagging(limit: int) -> El:
    tag = El("Tag", (El("Key"), El("Value")), min=0, max=limit + 1)
    return El("Tagging", (El("TagSet", (tag,)),))


def _check_referer(tree: Tree, facts: dict) -> None:
    domains = [d[1] for lst in children(tree, "DomainList") for d in children(lst, "Domain")]
    if child_text(tree, "Status") == "Enabled" and not domains:
        raise CosServerError("InvalidArgument", "An enabled referer configuration needs a DomainList.")
    if len(domains) > MAX_REFERER_DOMAINS:
        raise CosServerError("InvalidArgument", f"At most {MAX_REFERER_DOMAINS} referer domains are allowed.")
    for domain in domains:
        if not domain or any(c.isspace() or ord(c) < 32 for c in domain) or "://" in domain:
            raise CosServerError("InvalidArgument", f"Invalid referer domain {domain!r}.")


def _check_logging(tree: Tree, facts: dict) -> None:
    for enabled in children(tree, "LoggingEnabled"):
        target = child_text(enabled, "TargetBucket")
        found = facts["storage"].find_bucket(target)
        if found is None or found.region != facts["region"]:
            raise CosServerError("InvalidTargetBucketForLogging",
                                 "The target bucket must exist in the same region as the source bucket.")


def _check_inventory(tree: Tree, facts: dict) -> None:
    if child_text(tree, "Id") != facts["id"]:
        raise CosServerError("InvalidArgument", "The Id in the document must be the id parameter.")


def _check_rule_priorities(tree: Tree, facts: dict) -> None:
    priorities = [child_text(r, "RulePriority") for r in children(tree, "OriginRule")]
    if len(set(priorities)) != len(priorities):
        raise CosServerError("InvalidArgument", "RulePriority values must be distinct.")


def _check_replication(tree: Tree, facts: dict) -> None:
    ids = [child_text(r, "ID") for r in children(tree, "Rule") if child_text(r, "ID")]
    if len(set(ids)) != len(ids):
        raise CosServerError("InvalidArgument", "Rule IDs must be distinct.")
    for rule in children(tree, "Rule"):
        for dest in children(rule, "Destination"):
            if not re.fullmatch(r"qcs::cos:[a-z0-9-]+::[a-z0-9-]+-[0-9]+", child_text(dest, "Bucket")):
                raise CosServerError("InvalidArgument", "Destination Bucket must be qcs::cos:<region>::<bucket>.")


_ENABLED = one_of("Enabled", "Disabled")


def _check_website(tree: Tree, facts: dict) -> None:
    """Each routing rule has a condition and one way to rewrite the key (website.py serves them)."""
    for rule in [r for lst in children(tree, "RoutingRules") for r in children(lst, "RoutingRule")]:
        condition, redirect = children(rule, "Condition")[0], children(rule, "Redirect")[0]
        prefix = children(condition, "KeyPrefixEquals")
        if not prefix and not children(condition, "HttpErrorCodeReturnedEquals"):
            raise CosServerError("InvalidArgument", "A Condition needs HttpErrorCodeReturnedEquals or KeyPrefixEquals.")
        if children(redirect, "ReplaceKeyWith") and children(redirect, "ReplaceKeyPrefixWith"):
            raise CosServerError("InvalidArgument", "A Redirect has ReplaceKeyWith or ReplaceKeyPrefixWith, not both.")
        if children(redirect, "ReplaceKeyPrefixWith") and not prefix:
            raise CosServerError("InvalidArgument", "ReplaceKeyPrefixWith needs a KeyPrefixEquals condition.")


_PROTOCOL = one_of("http", "https")
_WEBSITE = El("WebsiteConfiguration", (
    El("IndexDocument", (El("Suffix", text=nonempty),)),
    opt(El("RedirectAllRequestsTo", (El("Protocol", text=_PROTOCOL),))),
    opt(El("AutoAddressing", (El("Status", text=_ENABLED),))),
    opt(El("ErrorDocument", (El("Key", text=nonempty), opt(El("OriginalHttpStatus", text=_ENABLED))))),
    opt(El("RoutingRules", (many(El("RoutingRule", (
        El("Condition", (opt(El("HttpErrorCodeReturnedEquals", text=integer(400, 499))),
                         opt(El("KeyPrefixEquals", text=nonempty)))),
        El("Redirect", (opt(El("Protocol", text=_PROTOCOL)), opt(El("ReplaceKeyWith", text=nonempty)),
                        opt(El("ReplaceKeyPrefixWith")))),
    )), 1, 100),))),
))
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$")


def _domain_name(name: str, text: str) -> None:
    if not _NAME_RE.fullmatch(text):
        raise CosServerError("InvalidArgument", f"Invalid {name} {text!r}.")


_INVENTORY = El("InventoryConfiguration", (
    El("Id", text=nonempty),
    El("IsEnabled", text=one_of("true", "false")),
    El("Destination", (El("COSBucketDestination", (
        El("Format", text=one_of("CSV")), opt(El("AccountId")), El("Bucket", text=nonempty), opt(El("Prefix")),
        opt(El("Encryption", (opt(El("SSE-COS")),))),
    )),)),
    El("Schedule", (El("Frequency", text=one_of("Daily", "Weekly")),)),
    opt(El("Filter", free=True)),
    El("IncludedObjectVersions", text=one_of("All", "Current")),
    opt(El("OptionalFields", (many(El("Field", text=one_of(
        "Size", "LastModifiedDate", "ETag", "StorageClass", "IsMultipartUploaded", "ReplicationStatus", "Tag",
        "Crc64", "x-cos-meta-*")), 0, 20),))),
))

KINDS: dict[str, Kind] = {k.sub: k for k in (
    Kind("tagging", _tagging(MAX_BUCKET_TAGS),
         {"PUT": "PutBucketTagging", "GET": "GetBucketTagging", "DELETE": "DeleteBucketTagging"},
         missing="NoSuchTagSet", check=_check_tags(MAX_BUCKET_TAGS)),
    Kind("referer", El("RefererConfiguration", (
        El("Status", text=_ENABLED),
        El("RefererType", text=one_of("Black-List", "White-List")),
        opt(El("DomainList", (many(El("Domain"), 0, MAX_REFERER_DOMAINS + 1),))),
        opt(El("EmptyReferConfiguration", text=one_of("Allow", "Deny"))),
    )), {"PUT": "PutBucketReferer", "GET": "GetBucketReferer"},
        missing="NoSuchRefererConfiguration", check=_check_referer, clear_on_empty=True),
    Kind("logging", El("BucketLoggingStatus", (
        opt(El("LoggingEnabled", (El("TargetBucket", text=nonempty), opt(El("TargetPrefix"))))),
    )), {"PUT": "PutBucketLogging", "GET": "GetBucketLogging"},
        missing=None, empty=True, check=_check_logging, clear_on_empty=True),
    Kind("accelerate", El("AccelerateConfiguration", (
        El("Status", text=one_of("Enabled", "Suspended")), opt(El("Type", text=one_of("COS"))),
    )), {"PUT": "PutBucketAccelerate", "GET": "GetBucketAccelerate"}, missing=None, empty=True),
    Kind("encryption", El("ServerSideEncryptionConfiguration", (
        El("Rule", (El("ApplyServerSideEncryptionByDefault", (
            El("SSEAlgorithm", text=one_of("AES256", "SM4", "KMS")), opt(El("KMSMasterKeyID")),
        )),)),
    )), {"PUT": "PutBucketEncryption", "GET": "GetBucketEncryption", "DELETE": "DeleteBucketEncryption"},
        missing="NoSuchEncryptionConfiguration"),
    Kind("website", _WEBSITE,  # served on the website host by website.py (policyweb)
         {"PUT": "PutBucketWebsite", "GET": "GetBucketWebsite", "DELETE": "DeleteBucketWebsite"},
         missing="NoSuchWebsiteConfiguration", check=_check_website),
    Kind("domain", El("DomainConfiguration", (
        many(El("DomainRule", (
            El("Status", text=one_of("ENABLED", "DISABLED")), El("Name", text=_domain_name), El("Type", text=one_of("REST", "WEBSITE")),
            opt(El("ForcedReplacement", text=one_of("CNAME", "TXT"))),
        )), 1, 20),
    )), {"PUT": "PutBucketDomain", "GET": "GetBucketDomain", "DELETE": "DeleteBucketDomain"},
        missing="NoSuchDomainConfiguration"),
    Kind("origin", El("OriginConfiguration", (
        many(El("OriginRule", (
            El("RulePriority", text=integer(1, 100)), El("OriginType", text=one_of("Mirror", "Proxy", "Redirect")),
            opt(El("OriginCondition", free=True)), opt(El("OriginParameter", free=True)),
            El("OriginInfo", free=True),
        )), 1, 100),
    )), {"PUT": "PutBucketOrigin", "GET": "GetBucketOrigin", "DELETE": "DeleteBucketOrigin"},
        missing="NoSuchOriginConfiguration", check=_check_rule_priorities),
    Kind("replication", El("ReplicationConfiguration", (
        El("Role", text=nonempty),
        many(El("Rule", (
            opt(El("ID")), El("Status", text=_ENABLED), opt(El("Prefix")), opt(El("Filter", free=True)),
            El("Destination", (El("Bucket"), opt(El("StorageClass")))),
            opt(El("DeleteMarkerReplication", free=True)),
        )), 1, 1000),
    )), {"PUT": "PutBucketReplication", "GET": "GetBucketReplication", "DELETE": "DeleteBucketReplication"},
        missing="ReplicationConfigurationnotFoundError", check=_check_replication),
    Kind("inventory", _INVENTORY,
         {"PUT": "PutBucketInventory", "POST": "PostBucketInventory", "GET": "GetBucketInventory",
          "DELETE": "DeleteBucketInventory"},
         missing="NoSuchInventoryConfiguration", check=_check_inventory, keyed="id",
         extra={"limit": MAX_INVENTORIES}),
)}

# Object tags are kept on the object (its tagging is another kind of the same shape).
OBJECT_TAGGING = Kind("tagging", _tagging(MAX_OBJECT_TAGS),
                      {"PUT": "PutObjectTagging", "GET": "GetObjectTagging", "DELETE": "DeleteObjectTagging"},
                      missing=None, check=_check_tags(MAX_OBJECT_TAGS), level="object")
INVENTORY_PAGE = 100  # inventory configurations per ListInventoryConfigurationResult page

__all__ = ["El", "Kind", "KINDS", "OBJECT_TAGGING", "read", "children", "child_text", "Tree"]
