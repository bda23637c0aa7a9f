"""Credentials: which keys sign a request, and which of its headers are signed.

One :class:`Credentials` per client holds the signing policy of cos-js-sdk-v5's
``getAuthorizationAsync``: a cached temporary key (from ``getSTS`` or a
``getAuthorization`` answer with ``TmpSecretId``) while it is valid for 60 s more,
else the page's ``getAuthorization`` (an Authorization string, or temporary keys to
sign with), else ``getSTS`` (one call shared by concurrent requests), else the
client's ``SecretId``/``SecretKey``, else no Authorization (anonymous).

The maths of a signature is :mod:`cos_web.auth` (pure); the clock is injected
(``clock``, seconds) and corrected by the ``SystemClockOffset`` option (ms), which
the request pipeline updates when COS says our clock is off.

:meth:`Credentials.invalidate` drops cached temporary keys, for a caller that
learns they were refused (an ``ExpiredToken`` / ``InvalidToken`` answer). A page's
``getAuthorization`` / ``getSTS`` that never answers fails the request after
``CredentialsTimeout`` ms with a ``CredentialsError`` naming the callback.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import Any

from . import _js
from .auth import build_authorization, js_str
from .errors import CosError, invalid_parameter

__all__ = ["Credentials", "sign_headers", "check_auth_answer"]


def sign_headers(headers: Mapping[str, Any], sign_host: str, force_sign_host: bool = True) -> dict[str, Any]:
    """The headers getAuthorizationAsync signs: no empty values, no content-type/cache-control/expires, + Host."""
    out: dict[str, Any] = {}
    has_host = False
    for k, v in headers.items():
        lower = k.lower()
        if lower == "host":
            has_host = bool(v)
        if v == "" or lower in ("content-type", "cache-control", "expires"):
            continue
        out[k] = v
    if not has_host and sign_host and force_sign_host:
        out["Host"] = sign_host
    return out


def check_auth_answer(answer: Mapping[str, Any]) -> str | None:
    """checkAuthError: what is wrong with a getAuthorization / getSTS answer, if anything."""
    auth = answer.get("Authorization")
    if auth:
        if not isinstance(auth, str) or " " in auth:
            return "getAuthorization callback params format error"
        needed = ("q-sign-algorithm=", "q-ak=", "q-sign-time=", "q-key-time=", "q-url-param-list=")
        if all(n in auth for n in needed):
            return None
        try:
            import base64

            decoded = base64.b64decode(auth).decode("latin-1")
            if all(n in decoded for n in ("a=", "k=", "t=", "r=", "b=")):
                return None
        except Exception:
            pass
        return "getAuthorization callback params format error"
    if not answer.get("TmpSecretId"):
        return 'getAuthorization callback params missing "TmpSecretId"'
    if not answer.get("TmpSecretKey"):
        return 'getAuthorization callback params missing "TmpSecretKey"'
    if not answer.get("SecurityToken") and not answer.get("XCosSecurityToken"):
        return 'getAuthorization callback params missing "SecurityToken"'
    if not answer.get("ExpiredTime"):
        return 'getAuthorization callback params missing "ExpiredTime"'
    if len(js_str(answer["ExpiredTime"])) != 10:
        return 'getAuthorization callback params "ExpiredTime" should be 10 digits'
    if answer.get("StartTime") and len(js_str(answer["StartTime"])) != 10:
        return 'getAuthorization callback params "StartTime" should be 10 StartTime'
    return None


def _credentials_error(message: str) -> CosError:
    return CosError(message, code="CredentialsError")


def _token_of(entry: Mapping[str, Any]) -> str:
    return entry.get("SecurityToken") or entry.get("XCosSecurityToken") or ""


def _scope_key(scope: list[dict[str, Any]]) -> str:
    import hashlib

    return hashlib.md5(json.dumps(scope, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


ANSWER_TIMEOUT = 60.0  # seconds a getAuthorization / getSTS callback may take before the request fails


class Credentials:
    """A client's signing policy and its cache of temporary keys (see the module docstring)."""

    def __init__(self, options: dict[str, Any], clock: Callable[[], float]) -> None:
        self.options = options  # the client's options (shared: SystemClockOffset changes)
        self.clock = clock
        limit = options.get("CredentialsTimeout")
        self.answer_timeout = limit / 1000.0 if limit is not None else ANSWER_TIMEOUT  # seconds, 0 = none
        self._sts_cache: list[dict[str, Any]] = []
        self._sts_pending: asyncio.Future[Any] | None = None

    def now(self) -> float:
        """Seconds on the server's clock, as far as we know it."""
        return self.clock() + self.options["SystemClockOffset"] / 1000.0

    def invalidate(self, token: str | None = None) -> bool:
        """Forget cached temporary keys (those with ``token``, or all): the next request asks
        for fresh ones. Whether fresh keys can be had at all (a page callback gives them)."""
        if token:
            self._sts_cache[:] = [e for e in self._sts_cache if _token_of(e) != token]
        else:
            self._sts_cache.clear()
        return self.renewable()

    async def _ask(self, name: str, params: Any) -> Any:
        """The page's answer from its ``getAuthorization`` / ``getSTS``; a callback that never
        answers fails the request after ``answer_timeout`` s (``CredentialsTimeout``) instead of
        hanging it, and one that throws fails it with a ``CredentialsError`` saying so."""
        limit = self.answer_timeout
        try:
            async with asyncio.timeout(limit or None):
                return await _js.call_with_callback(self.options[name], params)
        except TimeoutError:
            raise _credentials_error(f"{name} did not answer within {limit:g} s") from None
        except CosError:
            raise
        except Exception as exc:  # the page's signer threw: say so, as a CosError like every other failure
            raise _credentials_error(f"{name} failed: {type(exc).__name__}: {exc}") from exc

    def renewable(self) -> bool:
        """Whether fresh keys can be had (getSTS, or getAuthorization answering with temporary keys)."""
        opts = self.options
        return opts["getSTS"] is not None or opts["getAuthorization"] is not None or bool(self._sts_cache)

    async def authorize(self, p: dict[str, Any]) -> dict[str, Any]:
        """getAuthorizationAsync: ``{"Authorization", "SecurityToken"}`` for one request (``{}``: anonymous).

        ``p``: Bucket, Region, Method, Key, Query, Headers, SignHost, Scope, and
        optionally Expires, ForceSignHost, SecretId/SecretKey.
        """
        force = p.get("ForceSignHost", self.options["ForceSignHost"]) is not False
        headers = sign_headers(p["Headers"], p.get("SignHost") or "", force)
        key = p.get("Key") or ""
        pathname = "/" + key
        scope = p["Scope"]
        opts = self.options
        sts = self._cached_sts(scope)
        if sts is not None and float(sts["ExpiredTime"]) - self.now() > 60:
            return self._sign_with_tmp(sts, p, headers, pathname, force)
        if opts["getAuthorization"] is not None:
            return await self._ask_page(p, headers, key, pathname, scope, force)
        if opts["getSTS"] is not None:
            sts = await self._fetch_sts(p["Bucket"], p["Region"], scope)
            return self._sign_with_tmp(sts, p, headers, pathname, force)
        return self.sign_with_keys(p, headers, pathname, force)

    def sign_ahead(self, p: dict[str, Any]) -> tuple[dict[str, Any], int, float] | None:
        """:meth:`authorize`'s answer made ahead of the send (a queued putObject while it waits),
        only where it asks nothing of the page: the client's own keys, no ``getAuthorization``
        nor ``getSTS`` (a page callback is called when, and as often as, the JS SDK calls it).
        With the second of the signing clock it is for: see :meth:`signed_still`. None: sign
        at send time."""
        opts = self.options
        if opts["getAuthorization"] is not None or opts["getSTS"] is not None or self._sts_cache:
            return None
        second, offset = self._sign_second(), opts["SystemClockOffset"]
        try:
            auth = self.sign_now(p)
        except CosError:
            return None  # missing keys: the send says so
        if self._sign_second() != second:
            return None  # the clock ticked over meanwhile: which second it is for is unclear
        return auth, second, offset

    def signed_still(self, signed: tuple[dict[str, Any], int, float]) -> dict[str, Any] | None:
        """A :meth:`sign_ahead` answer if signing now would give the very same Authorization (the
        signing clock is in the same second, the clock offset unchanged), else None."""
        auth, second, offset = signed
        if self.options["SystemClockOffset"] != offset or self._sign_second() != second:
            return None
        return auth

    def _sign_second(self) -> int:
        """The second a signature made now starts from (build_authorization's ``start`` + 1)."""
        return round(self.clock() + self.options["SystemClockOffset"] / 1000.0)

    def sign_now(self, p: Mapping[str, Any]) -> dict[str, Any]:
        """The client's own SecretId/SecretKey signature, synchronously (getObjectUrl's immediate URL)."""
        force = p.get("ForceSignHost", self.options["ForceSignHost"]) is not False
        headers = sign_headers(p["Headers"], p.get("SignHost") or "", force)
        return self.sign_with_keys(p, headers, "/" + (p.get("Key") or ""), force)

    async def _ask_page(
        self, p: Mapping[str, Any], headers: dict[str, Any], key: str, pathname: str,
        scope: list[dict[str, Any]], force: bool,
    ) -> dict[str, Any]:  # fmt: skip
        answer = await self._ask(
            "getAuthorization",
            {
                "Bucket": p["Bucket"],
                "Region": p["Region"],
                "Method": p["Method"],
                "Key": key,
                "Pathname": pathname,
                "Query": p["Query"],
                "Headers": headers,
                "Scope": scope,
                "SystemClockOffset": self.options["SystemClockOffset"],
                "ForceSignHost": force,
            },
        )
        if isinstance(answer, str):
            answer = {"Authorization": answer}
        if not isinstance(answer, Mapping):
            raise _credentials_error("getAuthorization callback params format error")
        answer = dict(answer)
        if not answer.get("Authorization"):
            answer.setdefault("TmpSecretId", answer.get("SecretId"))
            answer.setdefault("TmpSecretKey", answer.get("SecretKey"))
        problem = check_auth_answer(answer)
        if problem:
            raise _credentials_error(problem)
        if answer.get("Authorization"):
            return {
                "Authorization": answer["Authorization"],
                "SecurityToken": answer.get("SecurityToken") or answer.get("XCosSecurityToken") or "",
            }
        answer["Scope"] = scope
        answer["ScopeKey"] = _scope_key(scope)
        self._sts_cache.append(answer)
        return self._sign_with_tmp(answer, p, headers, pathname, force)

    def _cached_sts(self, scope: list[dict[str, Any]]) -> dict[str, Any] | None:
        compare = round(self.now()) + 30
        scope_key: str | None = None
        for i in range(len(self._sts_cache) - 1, -1, -1):
            entry = self._sts_cache[i]
            start = entry.get("StartTime")
            if (start and compare < int(start)) or compare >= int(entry["ExpiredTime"]):
                del self._sts_cache[i]
                continue
            if not entry.get("ScopeLimit"):
                return entry
            scope_key = scope_key or _scope_key(scope)
            if entry.get("ScopeKey") == scope_key:
                return entry
        return None

    async def _fetch_sts(self, bucket: str, region: str, scope: list[dict[str, Any]]) -> dict[str, Any]:
        """Ask getSTS for temporary keys; concurrent requests share one call."""
        if self._sts_pending is not None:
            return await asyncio.shield(self._sts_pending)
        loop = asyncio.get_running_loop()
        self._sts_pending = fut = loop.create_future()
        try:
            answer = await self._ask("getSTS", {"Bucket": bucket, "Region": region})
            sts = dict(answer) if isinstance(answer, Mapping) else {}
            sts["Scope"] = scope
            sts["ScopeKey"] = _scope_key(scope)
            sts.setdefault("TmpSecretId", sts.get("SecretId"))
            sts.setdefault("TmpSecretKey", sts.get("SecretKey"))
            problem = check_auth_answer({k: v for k, v in sts.items() if k != "Authorization"})
            if problem:
                raise _credentials_error(problem.replace("getAuthorization", "getSTS"))
            self._sts_cache.append(sts)
            fut.set_result(sts)
            return sts
        except BaseException as exc:
            if not fut.done():
                fut.set_exception(exc)
                fut.exception()  # mark retrieved
            raise
        finally:
            self._sts_pending = None

    def _sign_with_tmp(
        self, sts: Mapping[str, Any], p: Mapping[str, Any], headers: dict[str, Any], pathname: str, force: bool
    ) -> dict[str, Any]:
        authorization = self._sign(sts["TmpSecretId"], sts["TmpSecretKey"], sts.get("StartTime"),
                                   sts.get("ExpiredTime"), p, headers, pathname, force)  # fmt: skip
        return {
            "Authorization": authorization,
            "SecurityToken": sts.get("SecurityToken") or sts.get("XCosSecurityToken") or "",
        }

    def sign_with_keys(
        self, p: Mapping[str, Any], headers: dict[str, Any], pathname: str, force: bool
    ) -> dict[str, Any]:
        """Sign with the request's or the client's SecretId/SecretKey; ``{}`` when there are none."""
        opts = self.options
        secret_id = p.get("SecretId") or opts["SecretId"]
        secret_key = p.get("SecretKey") or opts["SecretKey"]
        if not secret_id and not secret_key:
            return {}  # no credentials configured: an anonymous request
        if not secret_id:
            raise invalid_parameter("SecretId", "missing param SecretId")
        if not secret_key:
            raise invalid_parameter("SecretKey", "missing param SecretKey")
        authorization = self._sign(secret_id, secret_key, opts["StartTime"], opts["ExpiredTime"],
                                   p, headers, pathname, force)  # fmt: skip
        return {"Authorization": authorization, "SecurityToken": opts["SecurityToken"] or ""}

    def _sign(
        self, secret_id: str, secret_key: str, start: Any, expired: Any,
        p: Mapping[str, Any], headers: dict[str, Any], pathname: str, force: bool,
    ) -> str:  # fmt: skip
        """One request's Authorization with these keys; a key's StartTime (and Expires or the
        keys' ExpiredTime) fixes the KeyTime window, as the JS SDK does."""
        key_time = None
        if start and p.get("Expires"):
            key_time = f"{int(start)};{int(start) + int(float(p['Expires']))}"
        elif start and expired:
            key_time = f"{int(start)};{int(expired)}"
        return build_authorization(
            SecretId=secret_id,
            SecretKey=secret_key,
            Method=p["Method"],
            Pathname=pathname,
            Query=p["Query"],
            Headers=headers,
            Expires=p.get("Expires"),
            KeyTime=key_time,
            UseRawKey=self.options["UseRawKey"],
            SystemClockOffset=self.options["SystemClockOffset"],
            ForceSignHost=force,
            now=self.clock(),
        )
