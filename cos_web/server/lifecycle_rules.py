"""A bucket's lifecycle configuration (``PUT/GET/DELETE /?lifecycle``): its document shape,
COS's rules for it, and the rules as the sweep (`lifecycle_run`) applies them.

    <LifecycleConfiguration>
      <Rule>                                   1 to MAX_LIFECYCLE_RULES
        <ID>logs</ID>                          optional, at most 255 characters, distinct
        <Status>Enabled</Status>               Enabled | Disabled
        <Filter>                               optional; at most one of Prefix, Tag, And
          <And><Prefix>logs/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag>...</And>
        </Filter>                              (ObjectSizeGreaterThan / LessThan too)
        <Expiration><Days>30</Days></Expiration>     Days | Date | ExpiredObjectDeleteMarker
        <Transition><Days>7</Days><StorageClass>ARCHIVE</StorageClass></Transition>   repeatable
        <NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>
        <NoncurrentVersionTransition>NoncurrentDays + StorageClass</NoncurrentVersionTransition>
        <AbortIncompleteMultipartUpload><DaysAfterInitiation>7</...></AbortIncompleteMultipartUpload>
      </Rule>
    </LifecycleConfiguration>

Errors: an unknown, missing or repeated element, a rule with no action, a Filter holding
two of Prefix/Tag/And, an Expiration or Transition with both or neither of Days and Date:
MalformedXML. Bad values (days out of range, a Date not at midnight, a storage class a
transition cannot go to, two rules with one ID, Days and Date in one rule, more than
MAX_LIFECYCLE_RULES rules, a tag filter with ExpiredObjectDeleteMarker or
AbortIncompleteMultipartUpload): InvalidArgument.

Dates: ISO 8601 with a time of exactly 00:00:00 in the offset given (``2030-01-01T00:00:00Z``,
``...+08:00`` as COS's examples write them; a bare ``2030-01-01`` is midnight UTC).
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone

from ..values import (
    LIFECYCLE_STATUSES,
    MAX_LIFECYCLE_DAYS,
    MAX_LIFECYCLE_ID,
    MAX_LIFECYCLE_RULES,
    MAX_OBJECT_TAGS,
    TRANSITION_CLASSES,
    check_tag,
)
from .configs import El, Tree, child_text, children, many, one_of, opt, read
from .errors import CosServerError

DAY = 86400.0
SUB = "lifecycle"  # the bucket_configs row

_TAG = El("Tag", (El("Key"), El("Value")))
_SIZES = (opt(El("ObjectSizeGreaterThan")), opt(El("ObjectSizeLessThan")))
_AND = El("And", (opt(El("Prefix")), many(_TAG, 0, MAX_OBJECT_TAGS + 1), *_SIZES))
_WHEN = (opt(El("Days")), opt(El("Date")))
SCHEMA = El("LifecycleConfiguration", (many(El("Rule", (
    opt(El("ID")),
    El("Status", text=one_of(*LIFECYCLE_STATUSES)),
    opt(El("Filter", (opt(El("Prefix")), opt(_TAG), opt(_AND), *_SIZES))),
    opt(El("Prefix")),  # the older form of Filter/Prefix
    opt(El("Expiration", (*_WHEN, opt(El("ExpiredObjectDeleteMarker", text=one_of("true", "false")))))),
    many(El("Transition", (*_WHEN, El("StorageClass"))), 0, len(TRANSITION_CLASSES)),
    opt(El("NoncurrentVersionExpiration", (El("NoncurrentDays"),))),
    many(El("NoncurrentVersionTransition", (El("NoncurrentDays"), El("StorageClass"))), 0, len(TRANSITION_CLASSES)),
    opt(El("AbortIncompleteMultipartUpload", (El("DaysAfterInitiation"),))),
)), 1, MAX_LIFECYCLE_RULES + 1),))
ACTIONS = ("Expiration", "Transition", "NoncurrentVersionExpiration", "NoncurrentVersionTransition",
           "AbortIncompleteMultipartUpload")


# ---------------------------------------------------------------- the rules as the sweep sees them
@dataclass(frozen=True)
class Filter:
    prefix: str = ""
    tags: tuple[tuple[str, str], ...] = ()
    larger_than: int | None = None  # ObjectSizeGreaterThan
    smaller_than: int | None = None  # ObjectSizeLessThan

    def matches(self, key: str, tags: list, size: int | None = None) -> bool:
        """Whether an object (its key, its tags as [[k, v]...], its size) is one the rule applies to."""
        if not key.startswith(self.prefix):
            return False
        if self.tags and not set(self.tags) <= {(k, v) for k, v in tags}:
            return False
        if size is not None and self.larger_than is not None and not size > self.larger_than:
            return False
        return not (size is not None and self.smaller_than is not None and not size < self.smaller_than)


@dataclass(frozen=True)
class When:
    """Days after a time (rounded up to the next midnight UTC), or a Date."""

    days: int | None = None
    date: float | None = None

    def due(self, since: float) -> float:
        """When the action is due for something that started (was written, initiated) at ``since``."""
        if self.date is not None:
            return self.date
        return after_days(since, self.days or 0)


@dataclass(frozen=True)
class Rule:
    id: str
    enabled: bool
    filter: Filter
    expiration: When | None = None
    expired_object_delete_marker: bool = False
    transitions: tuple[tuple[When, str], ...] = ()
    noncurrent_days: int | None = None
    noncurrent_transitions: tuple[tuple[int, str], ...] = ()
    abort_days: int | None = None


def after_days(since: float, days: int) -> float:
    """``since`` + ``days``, rounded up to the next midnight UTC, as COS and S3 count lifecycle days
    (an object written any time on 1 March with Days 1 is due at 00:00 UTC on 3 March)."""
    return math.ceil((since + days * DAY) / DAY) * DAY


# ---------------------------------------------------------------- parsing and checking
def parse(root: ET.Element) -> tuple[Tree, list[Rule]]:
    """The validated document (kept as sent) and its rules; raises CosServerError."""
    tree = read(root, SCHEMA)
    rules_xml = children(tree, "Rule")
    if len(rules_xml) > MAX_LIFECYCLE_RULES:
        raise CosServerError("InvalidArgument", f"A lifecycle configuration has at most {MAX_LIFECYCLE_RULES} rules.")
    rules = [_rule(r) for r in rules_xml]
    ids = [r.id for r in rules if r.id]
    if len(set(ids)) != len(ids):
        raise CosServerError("InvalidArgument", "Rule IDs must be distinct.")
    return tree, rules


def rules_of(tree: Tree) -> list[Rule]:
    """The rules of a stored (already validated) document."""
    return [_rule(r) for r in children(tree, "Rule")]


def _rule(tree: Tree) -> Rule:
    rule_id = child_text(tree, "ID")
    if len(rule_id) > MAX_LIFECYCLE_ID:
        raise CosServerError("InvalidArgument", f"A rule ID has at most {MAX_LIFECYCLE_ID} characters.")
    if not any(children(tree, name) for name in ACTIONS):
        raise CosServerError("MalformedXML", "A rule needs at least one action.")
    filters, legacy = children(tree, "Filter"), children(tree, "Prefix")
    if filters and legacy:
        raise CosServerError("MalformedXML", "A rule has a Filter or a Prefix, not both.")
    flt = _filter(filters[0]) if filters else Filter(legacy[0][1] if legacy else "")
    expiration, marker = None, False
    for exp in children(tree, "Expiration"):
        given = [n for n in ("Days", "Date", "ExpiredObjectDeleteMarker") if children(exp, n)]
        if len(given) != 1:
            raise CosServerError("MalformedXML", "Expiration has one of Days, Date and ExpiredObjectDeleteMarker.")
        if given[0] == "ExpiredObjectDeleteMarker":
            marker = child_text(exp, "ExpiredObjectDeleteMarker") == "true"
        else:
            expiration = _when(exp, low=1)
    transitions = []
    for tr in children(tree, "Transition"):
        transitions.append((_when(tr, low=0), _storage_class(child_text(tr, "StorageClass"))))
    kinds = {("date" if w.date is not None else "days") for w, _ in transitions}
    if expiration is not None:
        kinds.add("date" if expiration.date is not None else "days")
    if len(kinds) > 1:
        raise CosServerError("InvalidArgument", "Days and Date cannot both be used in one rule.")
    if len({c for _, c in transitions}) != len(transitions):
        raise CosServerError("InvalidArgument", "Two transitions of a rule go to the same storage class.")
    noncurrent = [_days(child_text(e, "NoncurrentDays"), "NoncurrentDays", 1)
                  for e in children(tree, "NoncurrentVersionExpiration")]
    noncurrent_transitions = tuple(
        (_days(child_text(t, "NoncurrentDays"), "NoncurrentDays", 0), _storage_class(child_text(t, "StorageClass")))
        for t in children(tree, "NoncurrentVersionTransition"))
    abort = [_days(child_text(a, "DaysAfterInitiation"), "DaysAfterInitiation", 1)
             for a in children(tree, "AbortIncompleteMultipartUpload")]
    if flt.tags and (marker or abort):
        raise CosServerError("InvalidArgument", "A rule with a tag filter cannot have ExpiredObjectDeleteMarker "
                                                "or AbortIncompleteMultipartUpload.")
    return Rule(rule_id, child_text(tree, "Status") == "Enabled", flt, expiration, marker, tuple(transitions),
                noncurrent[0] if noncurrent else None, noncurrent_transitions, abort[0] if abort else None)


def _filter(tree: Tree) -> Filter:
    parts = [n for n in ("Prefix", "Tag", "And") if children(tree, n)]
    if len(parts) > 1:
        raise CosServerError("MalformedXML", "A Filter holds one of Prefix, Tag and And.")
    source = children(tree, "And")[0] if parts == ["And"] else tree
    tags = tuple((child_text(t, "Key"), child_text(t, "Value")) for t in children(source, "Tag"))
    if len(tags) > MAX_OBJECT_TAGS:
        raise CosServerError("InvalidArgument", f"A filter has at most {MAX_OBJECT_TAGS} tags.")
    for key, value in tags:
        problem = check_tag(key, value)
        if problem:
            raise CosServerError("InvalidArgument", problem)
    if len({k for k, _ in tags}) != len(tags):
        raise CosServerError("InvalidArgument", "A tag key is given twice in one filter.")
    larger = _size(source, "ObjectSizeGreaterThan")
    smaller = _size(source, "ObjectSizeLessThan")
    if larger is not None and smaller is not None and not larger < smaller:
        raise CosServerError("InvalidArgument", "ObjectSizeGreaterThan must be less than ObjectSizeLessThan.")
    return Filter(child_text(source, "Prefix"), tags, larger, smaller)


def _size(tree: Tree, name: str) -> int | None:
    if not children(tree, name):
        return None
    text = child_text(tree, name)
    if not (text.isascii() and text.isdigit() and len(text) <= 19):
        raise CosServerError("InvalidArgument", f"{name} must be a non-negative integer.")
    return int(text)


def _when(tree: Tree, low: int) -> When:
    has_days, has_date = bool(children(tree, "Days")), bool(children(tree, "Date"))
    if has_days == has_date:
        raise CosServerError("MalformedXML", f"{tree[0]} has one of Days and Date.")
    if has_days:
        return When(days=_days(child_text(tree, "Days"), "Days", low))
    return When(date=parse_date(child_text(tree, "Date")))


def _days(text: str, name: str, low: int) -> int:
    if not (text.isascii() and text.isdigit() and low <= int(text) <= MAX_LIFECYCLE_DAYS):
        raise CosServerError("InvalidArgument", f"{name} must be an integer from {low} to {MAX_LIFECYCLE_DAYS}.")
    return int(text)


def _storage_class(text: str) -> str:
    if text not in TRANSITION_CLASSES:
        raise CosServerError("InvalidArgument", f"A transition cannot go to storage class {text!r}; one of "
                                                f"{', '.join(sorted(TRANSITION_CLASSES))}.")
    return text


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(T00:00:00(\.0+)?(Z|[+-]\d{2}:\d{2}))?$")


def parse_date(text: str) -> float:
    """A lifecycle Date as a timestamp; InvalidArgument unless ISO 8601 at midnight (see the module doc)."""
    if not _DATE_RE.fullmatch(text):
        raise CosServerError("InvalidArgument", "Date must be an ISO 8601 date at midnight, like 2030-01-01T00:00:00Z.")
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CosServerError("InvalidArgument", f"Date {text!r} is not a date.") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()
