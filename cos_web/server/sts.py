"""Temporary keys: minting them, the server's STS endpoint, and ``python -m cos_web.server sts``.

Endpoint: ``POST /`` on the service host (``http://127.0.0.1:9000/``, no bucket),
signed with the permanent key (temporary keys are refused), JSON body
``{"Policy": {...} | "<json>", "DurationSeconds": 900}``. The answer is JSON::

    {"Credentials": {"TmpSecretId", "TmpSecretKey", "Token"},   # Tencent Cloud STS's shape
     "SecretId", "SecretKey", "XCosSecurityToken", "StartTime", "ExpiredTime", "Expiration"}

CLI (prints the same JSON)::

    python -m cos_web.server sts --endpoint http://127.0.0.1:9000 --policy policy.json --duration 900
    python -m cos_web.server sts --data-dir DIR --policy policy.json    # server not running

Without ``--policy`` the keys act as the owner (as before policies existed).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import sys
import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from .errors import CosServerError
from .policy import Policy, PolicyError

MIN_DURATION = 1
MAX_DURATION = 43200  # 12 h, Tencent Cloud STS's longest (role) duration
BODY_LIMIT = 64 << 10


def mint(storage, duration: int = 1800, policy: str | Mapping[str, Any] | None = None) -> dict:
    """Store a new key pair + token (with the policy, canonicalised) and return it in ``getSTS`` shape."""
    policy_text = Policy.parse(policy).text if policy is not None else None
    start = int(time.time())
    expires = start + int(duration)
    secret_id = "AKIDtmp" + secrets.token_hex(14)
    secret_key = base64.b64encode(os.urandom(24)).decode().replace("+", "A").replace("/", "B")
    token = secrets.token_urlsafe(48)
    storage.add_credential(secret_id, secret_key, token, expires, policy_text)
    return {
        "SecretId": secret_id,
        "SecretKey": secret_key,
        "XCosSecurityToken": token,
        "SecurityToken": token,
        "StartTime": start,
        "ExpiredTime": expires,
    }


def sts_answer(creds: Mapping[str, Any]) -> dict:
    """The endpoint's JSON: the flat ``getSTS`` fields plus Tencent Cloud STS's ``Credentials`` object."""
    expiration = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(creds["ExpiredTime"]))
    return {
        "Credentials": {"TmpSecretId": creds["SecretId"], "TmpSecretKey": creds["SecretKey"],
                        "Token": creds["XCosSecurityToken"]},
        **creds,
        "Expiration": expiration,
    }


def _duration(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isascii() \
            or not str(value).isdigit() or not MIN_DURATION <= int(value) <= MAX_DURATION:
        raise CosServerError("InvalidArgument", f"DurationSeconds must be {MIN_DURATION}..{MAX_DURATION}.")
    return int(value)


async def get_federation_token(ctx, request: web.Request) -> web.Response:
    """The STS endpoint's handler (route GetFederationToken): permanent key only."""
    if ctx.credential is None or ctx.credential.token is not None:
        raise CosServerError("AccessDenied", "Temporary keys are issued to the permanent key only.")
    raw = await request.content.read(BODY_LIMIT + 1)
    if len(raw) > BODY_LIMIT:
        raise CosServerError("InvalidArgument", "The request body is too large.")
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise CosServerError("InvalidArgument", "The request body must be JSON.") from None
    if not isinstance(body, dict):
        raise CosServerError("InvalidArgument", "The request body must be a JSON object.")
    duration = _duration(body.get("DurationSeconds", 1800))
    try:
        creds = ctx.server.issue_temporary_credentials(duration, body.get("Policy"))
    except PolicyError as exc:
        raise CosServerError("InvalidArgument", f"Invalid policy: {exc}") from None
    return web.json_response(sts_answer(creds))


# --------------------------------------------------------------------------- CLI


def _request_over_http(endpoint: str, secret_id: str, secret_key: str, body: bytes) -> dict:
    import urllib.error
    import urllib.request
    from urllib.parse import urlsplit

    from ..auth import build_authorization

    host = urlsplit(endpoint).netloc
    headers = {"Host": host, "Content-Type": "application/json", "Content-Length": str(len(body))}
    headers["Authorization"] = build_authorization(SecretId=secret_id, SecretKey=secret_key, Method="POST", Key="",
                                                   Headers=headers)
    request = urllib.request.Request(endpoint.rstrip("/") + "/", data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"cos_web.server sts: {exc.code} {exc.read().decode(errors='replace')}") from None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cos_web.server sts",
                                description="Print temporary keys (JSON) for the local COS server.")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--endpoint", help="a running server, e.g. http://127.0.0.1:9000 (signed with --secret-id/--secret-key)")
    where.add_argument("--data-dir", help="the data dir of a server that is not running")
    p.add_argument("--policy", help="CAM policy JSON file (default: none, the keys act as the owner)")
    p.add_argument("--duration", type=int, default=1800, help="seconds the keys stay valid (default 1800)")
    p.add_argument("--secret-id", help="the server's permanent SecretId (needed with --endpoint)")
    p.add_argument("--secret-key", help="the server's permanent SecretKey (needed with --endpoint)")
    args = p.parse_args(argv)
    if args.endpoint and not (args.secret_id and args.secret_key):
        p.error("--endpoint needs --secret-id and --secret-key (the request is signed with the permanent key)")
    policy = None
    if args.policy:
        with open(args.policy, encoding="utf-8") as fh:
            policy = fh.read()
    if args.endpoint:
        request: dict[str, Any] = {"DurationSeconds": args.duration}
        if policy is not None:
            request["Policy"] = policy
        answer = _request_over_http(args.endpoint, args.secret_id, args.secret_key, json.dumps(request).encode())
    else:
        from .storage import DataDirBusy, Storage

        try:
            _duration(args.duration)
            storage = Storage(args.data_dir)
        except CosServerError as exc:
            print(f"cos_web.server sts: {exc.message}", file=sys.stderr)
            return 2
        except DataDirBusy as exc:
            print(f"cos_web.server sts: {exc}; use --endpoint with the running server", file=sys.stderr)
            return 2
        try:
            answer = sts_answer(mint(storage, args.duration, policy))
        except PolicyError as exc:
            print(f"cos_web.server sts: invalid policy: {exc}", file=sys.stderr)
            return 2
        finally:
            storage.close()
    print(json.dumps(answer, indent=2))
    return 0
