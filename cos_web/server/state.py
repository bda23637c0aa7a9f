"""The server's configuration and long-lived state: storage and credentials."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import acl as acls
from . import cors, sts
from .authz import Credential
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
    secret_id: str = DEMO_SECRET_ID
    secret_key: str = DEMO_SECRET_KEY
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
    faults: str | None = None  # fault rules (docs/reliability.md); None: fault injection off


class CosServer:
    """State shared by all requests: storage, the permanent key and temporary keys."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.uploads_in_flight = 0  # request bodies being stored now (event-loop thread only)
        self.storage = Storage(config.data_dir, durable=config.durable)
        self.owner = acls.owner_id(config.owner_uin)
        self.faults = None  # a faults.Faults when config.faults is set (made by fault_wire.install)
        for name in config.buckets:
            if self.storage.find_bucket(name) is None:
                self.storage.create_bucket(name, config.region, {"canned": "private", "grants": []}, [cors.OPEN_RULE])

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
