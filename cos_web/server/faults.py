"""Fault injection rules: which requests to pick and what to do to them.

Off unless the server starts with ``--faults RULES`` or ``--faults-admin`` (loopback
only). This module is pure: it parses rules, matches and counts requests and keeps
the log of fired faults; what an action does to a connection is in
``fault_wire.py``. The grammar, with an example per action, is in
docs/reliability.md::

    RULES  = RULE { (";" | newline) RULE }
    RULE   = FIELD { " " FIELD }           e.g.  op=part part=2 nth=1 action=status:503
    FIELD  = selector "=" value | "action=" ACTION { "," ACTION }

Selectors: ``op``, ``part``, ``prefix``, ``key``, ``bucket``, ``method``, ``nth``,
``per``, ``times``, ``p`` (with ``seed``). Actions: ``status``, ``reset``, ``stall``,
``drop``, ``delay``, ``delay-after``, ``clock``, ``expire-token``, ``invalid-token``,
``fsync``.
"""

from __future__ import annotations

import random
import re
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote

# Route names (routes.py) -> the short operation names rules use.
OPS = {
    "InitiateMultipartUpload": "init",
    "UploadPart": "part",
    "CompleteMultipartUpload": "complete",
    "ListParts": "listparts",
    "ListMultipartUploads": "uploads",
    "AbortMultipartUpload": "abort",
    "PutObject": "put",
    "AppendObject": "append",
    "GetObject": "get",
    "HeadObject": "head",
    "DeleteObject": "delete",
    "DeleteMultipleObjects": "deletes",
    "GetBucket": "list",
}
# With an x-cos-copy-source header these become copies.
COPY_OPS = {"put": "copy", "part": "copypart"}
SHORT_OPS = set(OPS.values()) | set(COPY_OPS.values()) | {"any"}

# The COS error code a bare ``status:N`` answers with.
STATUS_CODES = {
    400: ("InvalidRequest", "The request is invalid."),
    403: ("AccessDenied", "Access Denied."),
    404: ("NoSuchKey", "The specified key does not exist."),
    409: ("OperationAborted", "A conflicting operation is in progress."),
    429: ("TooManyRequests", "Please reduce your request rate."),
    500: ("InternalError", "We encountered an internal error. Please try again."),
    502: ("BadGateway", "Bad gateway."),
    503: ("ServiceUnavailable", "Please reduce your request rate."),
    504: ("GatewayTimeout", "Gateway timeout."),
}
ACTIONS = ("status", "reset", "stall", "drop", "delay", "delay-after", "clock", "expire-token", "invalid-token",
           "fsync")
PER = ("rule", "key", "part", "upload")
SELECTORS = ("op", "part", "prefix", "key", "bucket", "method", "nth", "per", "times", "p", "seed", "action")


class FaultRuleError(ValueError):
    """A rule that does not parse; the message names the field."""


@dataclass(frozen=True)
class Action:
    """One thing to do to a picked request (see docs/reliability.md)."""

    kind: str
    text: str
    status: int = 0
    code: str = ""
    message: str = ""
    after: int = 0  # body bytes (reset, stall)
    seconds: float = 0.0  # stall, delay, delay-after; the offset for clock


@dataclass(frozen=True)
class Request:
    """What a rule looks at: the operation and where it points."""

    op: str
    route: str
    method: str
    bucket: str | None
    key: str
    part: int | None = None
    upload_id: str | None = None
    token: str | None = None
    request_id: str = ""


@dataclass
class Rule:
    id: int
    text: str
    actions: tuple[Action, ...]
    ops: frozenset[str] | None = None
    parts: tuple[tuple[int, int], ...] | None = None
    prefix: str | None = None
    key: str | None = None
    bucket: str | None = None
    methods: frozenset[str] | None = None
    nth: tuple[tuple[int, int], ...] | None = None
    per: str = "rule"
    times: int | None = None
    p: float | None = None
    seed: str = "0"
    fired: int = 0
    counts: dict = field(default_factory=dict)  # scope -> requests selected
    draws: dict = field(default_factory=dict)  # (op, bucket, key, part) -> coins drawn

    @property
    def needs_token(self) -> bool:
        return any(a.kind in ("expire-token", "invalid-token") for a in self.actions)

    def selects(self, req: Request) -> bool:
        if self.ops is not None and "any" not in self.ops and not ({req.op, req.route.lower()} & self.ops):
            return False
        if self.parts is not None and (req.part is None or not _within(req.part, self.parts)):
            return False
        if self.prefix is not None and not req.key.startswith(self.prefix):
            return False
        if self.key is not None and req.key != self.key:
            return False
        if self.bucket is not None and req.bucket != self.bucket:
            return False
        if self.methods is not None and req.method not in self.methods:
            return False
        return not (self.needs_token and not req.token)

    def scope(self, req: Request) -> tuple:
        if self.per == "key":
            return (req.bucket, req.key)
        if self.per == "part":
            return (req.bucket, req.key, req.upload_id, req.part)
        if self.per == "upload":
            return (req.bucket, req.key, req.upload_id)
        return ()

    def to_json(self) -> dict:
        return {"id": self.id, "text": self.text, "fired": self.fired}


def _within(n: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(low <= n <= high for low, high in ranges)


_SIZE = re.compile(r"^(\d+)(k|m|kib|mib|kb|mb)?$", re.IGNORECASE)
_SECONDS = re.compile(r"^([+-]?\d+(?:\.\d+)?)(ms|s|m|h)?$")
_UNIT = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}


def parse_size(text: str, what: str) -> int:
    found = _SIZE.match(text.strip())
    if not found:
        raise FaultRuleError(f"{what}: {text!r} is not a byte count (e.g. 0, 1024, 64k, 1m)")
    unit = (found.group(2) or "").lower()[:1]
    return int(found.group(1)) * {"": 1, "k": 1024, "m": 1 << 20}[unit]


def parse_seconds(text: str, what: str, signed: bool = False) -> float:
    found = _SECONDS.match(text.strip())
    if not found or (not signed and found.group(1).startswith(("+", "-"))):
        raise FaultRuleError(f"{what}: {text!r} is not a duration (e.g. 2, 1.5s, 500ms, 1h)")
    return float(found.group(1)) * _UNIT[found.group(2)]


def _ranges(text: str, what: str, open_end: bool = False) -> tuple[tuple[int, int], ...]:
    out = []
    for item in text.split(","):
        low, dash, high = item.strip().partition("-")
        if not low.isdigit() or (high and not high.isdigit()) or (dash and not high and not open_end):
            raise FaultRuleError(f"{what}: {text!r} is not a number, list or range (e.g. 2, 1-3, 2,5)")
        first = int(low)
        last = int(high) if high else (sys.maxsize if dash else first)
        if first < 1 or last < first:
            raise FaultRuleError(f"{what}: {text!r} counts from 1")
        out.append((first, last))
    return tuple(out)


def parse_action(text: str) -> Action:
    name, _, rest = text.strip().partition(":")
    args = rest.split(":") if rest else []
    name = name.lower()
    if name == "status":
        if not args or not args[0].isdigit() or not 400 <= int(args[0]) <= 599 or len(args) > 2:
            raise FaultRuleError(f"action {text!r}: status:CODE[:ErrorCode] with CODE 400-599")
        status = int(args[0])
        code, message = STATUS_CODES.get(status, ("InternalError" if status >= 500 else "InvalidRequest",
                                                   f"HTTP {status}."))
        if len(args) == 2:
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9.]*", args[1]):
                raise FaultRuleError(f"action {text!r}: the error code is letters and digits")
            code, message = args[1], f"{args[1]}."
        return Action("status", text, status=status, code=code, message=message)
    if name == "reset":
        if len(args) > 1:
            raise FaultRuleError(f"action {text!r}: reset or reset:BYTES")
        return Action("reset", text, after=parse_size(args[0], f"action {text!r}") if args else 0)
    if name == "stall":
        if len(args) not in (1, 2):
            raise FaultRuleError(f"action {text!r}: stall:SECONDS or stall:BYTES:SECONDS")
        after = parse_size(args[0], f"action {text!r}") if len(args) == 2 else 0
        return Action("stall", text, after=after, seconds=parse_seconds(args[-1], f"action {text!r}"))
    if name in ("delay", "delay-after"):
        if len(args) != 1:
            raise FaultRuleError(f"action {text!r}: {name}:SECONDS")
        return Action(name, text, seconds=parse_seconds(args[0], f"action {text!r}"))
    if name == "clock":
        if len(args) != 1:
            raise FaultRuleError(f"action {text!r}: clock:[+-]SECONDS (e.g. clock:+1h, clock:-600)")
        return Action("clock", text, seconds=parse_seconds(args[0], f"action {text!r}", signed=True))
    if name in ("drop", "expire-token", "invalid-token"):
        if args:
            raise FaultRuleError(f"action {text!r}: {name} takes no argument")
        return Action(name, text)
    if name == "fsync":
        if args != ["eio"]:
            raise FaultRuleError(f"action {text!r}: fsync:eio")
        return Action("fsync", text)
    raise FaultRuleError(f"action {text!r}: unknown (one of {', '.join(ACTIONS)})")


def parse_rule(text: str, rule_id: int = 0, routes: Iterable[str] = ()) -> Rule:
    """One rule: space-separated ``name=value`` fields, ``action=`` required.

    ``routes``: the server's route names (routes.py), also accepted by ``op=``.
    """
    fields: dict[str, str] = {}
    for token in text.split():
        name, eq, value = token.partition("=")
        name = name.lower()
        if not eq or not value:
            raise FaultRuleError(f"{token!r}: a field is name=value")
        if name not in SELECTORS:
            raise FaultRuleError(f"{token!r}: unknown field (one of {', '.join(SELECTORS)})")
        if name in fields:
            raise FaultRuleError(f"{token!r}: {name}= given twice")
        fields[name] = value
    if "action" not in fields:
        raise FaultRuleError(f"{text.strip()!r}: action= is required")
    rule = Rule(rule_id, " ".join(text.split()), tuple(parse_action(a) for a in fields["action"].split(",")))
    if "op" in fields:
        ops = frozenset(o.lower() for o in fields["op"].split(","))
        known = SHORT_OPS | {r.lower() for r in routes}
        unknown = sorted(ops - known)
        if unknown:
            raise FaultRuleError(f"op={fields['op']}: unknown {unknown[0]!r} (one of {', '.join(sorted(SHORT_OPS))} "
                                 "or a route name such as PutBucketCors)")
        rule.ops = ops
    if "part" in fields:
        rule.parts = _ranges(fields["part"], "part=")
    if "prefix" in fields:
        rule.prefix = unquote(fields["prefix"])
    if "key" in fields:
        rule.key = unquote(fields["key"])
    if "bucket" in fields:
        rule.bucket = fields["bucket"]
    if "method" in fields:
        rule.methods = frozenset(m.upper() for m in fields["method"].split(","))
    if "nth" in fields:
        rule.nth = _ranges(fields["nth"], "nth=", open_end=True)
    if "per" in fields:
        if fields["per"] not in PER:
            raise FaultRuleError(f"per={fields['per']}: one of {', '.join(PER)}")
        rule.per = fields["per"]
    if "times" in fields:
        if not fields["times"].isdigit() or int(fields["times"]) < 1:
            raise FaultRuleError(f"times={fields['times']}: a count from 1")
        rule.times = int(fields["times"])
    if "p" in fields:
        try:
            rule.p = float(fields["p"])
        except ValueError:
            rule.p = -1
        if not 0 <= rule.p <= 1:
            raise FaultRuleError(f"p={fields['p']}: a probability from 0 to 1")
    if "seed" in fields:
        if "p" not in fields:
            raise FaultRuleError("seed= goes with p=")
        rule.seed = fields["seed"]
    return rule


def split_rules(text: str) -> list[str]:
    """The rules in a RULES string (``;`` or newline between them; ``#`` starts a comment)."""
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        out += [r.strip() for r in line.split(";") if r.strip()]
    return out


def parse_rules(text: str, routes: Iterable[str] = ()) -> list[Rule]:
    return [parse_rule(r, i + 1, routes) for i, r in enumerate(split_rules(text))]


@dataclass(frozen=True)
class Fired:
    """One fired action, as logged."""

    rule: Rule
    action: Action
    request: Request

    def to_json(self) -> dict:
        r = self.request
        return {"rule": self.rule.id, "rule_text": self.rule.text, "action": self.action.text,
                "request_id": r.request_id, "op": r.op, "method": r.method, "bucket": r.bucket, "key": r.key,
                "part": r.part, "upload_id": r.upload_id, "time": time.time()}


class Faults:
    """The rules in force, what they fired, and tokens a rule has expired.

    Thread-safe: the event loop picks, tests (in-process) or the admin endpoint edit.
    """

    def __init__(self, rules: str = "", quiet: bool = False, routes: Iterable[str] = ()) -> None:
        self.quiet = quiet
        self.routes = tuple(routes)
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._log: list[dict] = []
        self._tokens: dict[str, tuple[str, Rule]] = {}  # token -> (error code, the rule that killed it)
        self._next_id = 1
        if rules:
            self.add(rules)

    def add(self, text: str) -> list[Rule]:
        """Parse and append rules (all or none); returns them with their ids."""
        parsed = [parse_rule(r, 0, self.routes) for r in split_rules(text)]
        with self._lock:
            for rule in parsed:
                rule.id = self._next_id
                self._next_id += 1
            self._rules += parsed
        return parsed

    def clear(self) -> None:
        """Forget every rule, the log and expired tokens (ids keep counting up)."""
        with self._lock:
            self._rules, self._log, self._tokens = [], [], {}

    def rules(self) -> list[dict]:
        with self._lock:
            return [r.to_json() for r in self._rules]

    def log(self) -> list[dict]:
        with self._lock:
            return list(self._log)

    def pick(self, req: Request) -> list[Fired]:
        """The actions to apply to this request, in rule order; counts and logs them."""
        fired: list[Fired] = []
        with self._lock:
            if req.token and req.token in self._tokens:
                code, rule = self._tokens[req.token]
                kind = "expire-token" if code == "ExpiredToken" else "invalid-token"
                fired.append(Fired(rule, Action(kind, f"{kind} (token expired earlier)"), req))
            for rule in self._rules:
                if not rule.selects(req) or (rule.times is not None and rule.fired >= rule.times):
                    continue
                scope = rule.scope(req)
                count = rule.counts[scope] = rule.counts.get(scope, 0) + 1
                if rule.nth is not None and not _within(count, rule.nth):
                    continue
                if rule.p is not None and not self._draw(rule, req):
                    continue
                rule.fired += 1
                fired += [Fired(rule, action, req) for action in rule.actions]
                for action in rule.actions:
                    if action.kind in ("expire-token", "invalid-token") and req.token:
                        code = "ExpiredToken" if action.kind == "expire-token" else "InvalidToken"
                        self._tokens[req.token] = (code, rule)
            self._log += [f.to_json() for f in fired]
        if not self.quiet:
            for f in fired:
                part = f" part={req.part}" if req.part is not None else ""
                print(f"fault #{f.rule.id} {f.action.text}: {req.method} {req.bucket or '-'} {req.key or '-'}{part} "
                      f"request_id={req.request_id}", file=sys.stderr, flush=True)
        return fired

    @staticmethod
    def _draw(rule: Rule, req: Request) -> bool:
        """A reproducible coin: the same request (op, key, part, attempt) draws the same, in any order."""
        where = (req.op, req.bucket, req.key, req.part)
        attempt = rule.draws[where] = rule.draws.get(where, 0) + 1
        rng = random.Random(f"{rule.seed}|{req.op}|{req.bucket}|{req.key}|{req.part}|{attempt}")
        return rng.random() < (rule.p or 0)
