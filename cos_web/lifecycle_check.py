"""putBucketLifecycle's rules, checked before sending (the JS SDK sends whatever it is given).

cos_web refuses with ``InvalidParameter`` what COS would refuse anyway and what a Python
caller gets wrong most: no rules, a rule that is not a dict, a Status other than
Enabled/Disabled, a rule with no action, days that are not whole numbers in COS's range,
a transition to a class it cannot go to, an over-long or repeated ID, too many rules.
The finer points (a Date at midnight, Days and Date in one rule, the Filter's shape) are
left to the server, which answers them as COS does (MalformedXML / InvalidArgument).
Imported on the first putBucketLifecycle, not at ``import cos_web``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import invalid_parameter
from .values import (
    LIFECYCLE_STATUSES,
    MAX_LIFECYCLE_DAYS,
    MAX_LIFECYCLE_ID,
    MAX_LIFECYCLE_RULES,
    TRANSITION_CLASSES,
)

ACTIONS = ("Expiration", "Transition", "NoncurrentVersionExpiration", "NoncurrentVersionTransition",
           "AbortIncompleteMultipartUpload")


def check_rules(rules: Any) -> None:
    """Raise CosError(InvalidParameter) for rules COS cannot take (see the module docstring)."""
    rules = rules if isinstance(rules, list) else [rules] if isinstance(rules, Mapping) else rules
    if not isinstance(rules, list) or not rules:
        raise invalid_parameter("Rules", "missing param Rules (a list of rules)")
    if len(rules) > MAX_LIFECYCLE_RULES:
        raise invalid_parameter("Rules", f"at most {MAX_LIFECYCLE_RULES} rules, got {len(rules)}")
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        where = f"Rules[{i}]"
        if not isinstance(rule, Mapping):
            raise invalid_parameter(where, f"must be a dict, got {type(rule).__name__}")
        if rule.get("Status") not in LIFECYCLE_STATUSES:
            raise invalid_parameter(where + ".Status", f"must be Enabled or Disabled, got {rule.get('Status')!r}")
        ident = rule.get("ID")
        if ident is not None:
            if not isinstance(ident, str) or len(ident) > MAX_LIFECYCLE_ID:
                raise invalid_parameter(where + ".ID", f"must be a string of at most {MAX_LIFECYCLE_ID} characters")
            if ident and ident in seen:
                raise invalid_parameter(where + ".ID", f"{ident!r} is the ID of another rule")
            seen.add(ident)
        if not any(rule.get(action) for action in ACTIONS):
            raise invalid_parameter(where, f"needs an action: one of {', '.join(ACTIONS)}")
        _check_actions(where, rule)


def _check_actions(where: str, rule: Mapping[str, Any]) -> None:
    for name, field, low in (("Expiration", "Days", 1), ("Transition", "Days", 0),
                             ("NoncurrentVersionExpiration", "NoncurrentDays", 1),
                             ("NoncurrentVersionTransition", "NoncurrentDays", 0),
                             ("AbortIncompleteMultipartUpload", "DaysAfterInitiation", 1)):
        value = rule.get(name)
        if value is None:
            continue
        for j, item in enumerate(value if isinstance(value, list) else [value]):
            path = f"{where}.{name}" + (f"[{j}]" if isinstance(value, list) else "")
            if not isinstance(item, Mapping):
                raise invalid_parameter(path, f"must be a dict, got {type(item).__name__}")
            if item.get(field) is not None:
                _check_days(f"{path}.{field}", item[field], low)
            if name.endswith("Transition") and item.get("StorageClass") not in TRANSITION_CLASSES:
                raise invalid_parameter(f"{path}.StorageClass", f"{item.get('StorageClass')!r} is not one of "
                                                                f"{', '.join(sorted(TRANSITION_CLASSES))}")


def _check_days(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise invalid_parameter(name, f"must be a whole number, got {type(value).__name__}")
    text = str(value)
    if not (text.isascii() and text.isdigit() and low <= int(text) <= MAX_LIFECYCLE_DAYS):
        raise invalid_parameter(name, f"must be a whole number from {low} to {MAX_LIFECYCLE_DAYS}, got {value!r}")
