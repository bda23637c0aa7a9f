"""The server's configuration and long-lived state: storage and credentials."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import acl as acls
from . import cors, sts
from .authz import Credential
from .clock import Clock
from .storage import Storage

DEMO_SECRET_ID = "AKIDcosWebLocalDemoSecretId000000000"
DEMO_SECRET_KEY = "cosWebLocalDemoSecretKey00000000"
DEMO_BUCKET = "examplebucket-1250000000"
DEFAULT_REGION = "ap-guangzhou"


@dataclass
class ServerConfig:
    """Everything the CLI flags set; every field has a demo-friendly default."""

    host: str = "127.0.0.1"
    port: int = 9000
    data_dir: str = ".cos-data"
    # None: the data dir's own random pair, made once and kept in OWNER_KEY_FILE (0600).
    secret_id: str | None = None
    secret_key: str | None = None
    buckets: list[str] = field(default_factory=lambda: [DEMO_BUCKET])
    region: str = DEFAULT_REGION  # region of the --bucket buckets
    owner_uin: str = "100000000001"
    quiet: bool = False
    durable: bool = True  # fsync object files and SQLite commits
    # A connection that has not sent a whole request head this long after it opened or after its
    # previous response is closed (idle keep-alive, trickled headers, sockets that never send).
    idle_timeout: float = 30.0
    # A request body (or a response a client does not read) that makes no progress this long is cut off.
    body_timeout: float = 60.0
    max_uploads: int = 64  # request bodies being stored at once; beyond this, 503 SlowDown
    # Listen beyond loopback although a bucket's CORS rule lets every origin in (else refused).
    allow_network: bool = False
    faults: str | None = None  # fault rules (docs/reliability.md); None: fault injection off
    # Incomplete multipart uploads initiated longer ago than this are aborted (0: never), as COS's
    # lifecycle rule AbortIncompleteMultipartUpload does.
    multipart_ttl: float = 7 * 86400.0
    # Seconds from a POST Object restore to its readable copy (0: at once; tests set it to see the wait).
    restore_delay: float = 0.0
    # How often the buckets' lifecycle rules are applied (0: only when asked through /_cos_web/lifecycle).
    lifecycle_interval: float = 3600.0


class NetworkExposure(RuntimeError):
    """Refusal to listen beyond loopback with a bucket open to every origin (see `allow_network`)."""


OWNER_KEY_FILE = "owner-key.json"


def owner_key(data_dir: str) -> tuple[str, str]:
    """The data dir's permanent key pair: read from OWNER_KEY_FILE, or made at random and kept there (0600).

    So no two data dirs share a key, and no key is a constant anyone can read in the package.
    """
    path = os.path.join(data_dir, OWNER_KEY_FILE)
    try:
        with open(path, encoding="utf-8") as fh:
            stored = json.load(fh)
        return str(stored["SecretId"]), str(stored["SecretKey"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    secret_id = "AKID" + secrets.token_hex(16)
    # Letters and digits only, like COS's keys: a urlsafe key may start with "-", which a command line
    # (``--secret-key -x...``) then reads as an option.
    secret_key = secrets.token_hex(16)
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"SecretId": secret_id, "SecretKey": secret_key}, fh)
    os.replace(path + ".tmp", path)
    return secret_id, secret_key


def listens_on_loopback(host: str) -> bool:
    """Whether listening on ``host`` keeps the server on this machine."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name that may resolve anywhere, or "" (every interface)


def open_cors_buckets(storage: Storage) -> list[str]:
    """Buckets with a CORS rule whose AllowedOrigin is ``*``."""
    return [b.name for b in storage.list_buckets()
            if any("*" in rule.get("AllowedOrigin", []) for rule in b.cors or [])]


class CosServer:
    """State shared by all requests: storage, the permanent key and temporary keys."""

    def __init__(self, config: ServerConfig) -> None:
        self.uploads_in_flight = 0  # request bodies being stored now (event-loop thread only)
        self.storage = Storage(config.data_dir, durable=config.durable)
        if not config.secret_id or not config.secret_key:
            secret_id, secret_key = owner_key(self.storage.data_dir)
            config = dataclasses.replace(config, secret_id=secret_id, secret_key=secret_key)
        self.config = config
        self.owner = acls.owner_id(config.owner_uin)
        self.faults = None  # a faults.Faults when config.faults is set (made by fault_wire.install)
        self.sweeper = None  # a lifecycle.UploadSweeper when multipart_ttl > 0 (made by lifecycle.install)
        self.clock = Clock()  # what the background sweeps read (tests move it: /_cos_web/clock)
        self.lifecycle = None  # the lifecycle_run.LifecycleSweeper (made by lifecycle.install)
        for name in config.buckets:
            if self.storage.find_bucket(name) is None:
                self.storage.create_bucket(name, config.region, {"canned": "private", "grants": []}, [cors.OPEN_RULE])
        open_to_all = open_cors_buckets(self.storage)
        if open_to_all and not listens_on_loopback(config.host):
            message = (f"listening on {config.host} (beyond this machine) while bucket(s) {', '.join(open_to_all)} "
                       "let every origin in (CORS AllowedOrigin *): any web page any visitor opens can use them "
                       "with a key it gets hold of")
            if not config.allow_network:
                self.storage.close()
                raise NetworkExposure(message + "; pass --allow-network (allow_network=True) to do it anyway, or "
                                      "listen on 127.0.0.1")
            print(f"cos_web.server: WARNING: {message}", file=sys.stderr, flush=True)

    def close(self) -> None:
        self.storage.close()

    def lookup(self, secret_id: str) -> Credential | None:
        if secret_id == self.config.secret_id:
            return Credential(secret_id, self.config.secret_key)
        row = self.storage.find_credential(secret_id) if secret_id else None
        if row is None:
            return None
        return Credential(row["secret_id"], row["secret_key"], row["token"], row["expires"], row["policy"])

    def issue_temporary_credentials(self, duration: int = 1800, policy: str | Mapping[str, Any] | None = None) -> dict:
        """Mint an STS-style key pair plus token that this server accepts until it expires.

        ``policy`` (a CAM policy, JSON text or dict; see :mod:`.policy`) limits what the
        keys may do, as Tencent Cloud STS's policies do; without one they act as the owner.
        Raises :class:`~.policy.PolicyError` for a policy this server cannot enforce.
        Returns ``{"SecretId", "SecretKey", "XCosSecurityToken", "SecurityToken",
        "StartTime", "ExpiredTime"}`` (the shape ``getSTS`` callbacks hand to the SDKs).
        """
        return sts.mint(self.storage, duration, policy)
