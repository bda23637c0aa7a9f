"""The one error family of cos_web: what COS said, or why nothing was sent.

    CosError
      .code        COS's error Code ("NoSuchKey", "SignatureDoesNotMatch", ...),
                   "InvalidParameter" for bad input caught before sending,
                   "NetworkError" / "Timeout" / "Aborted" when no response came.
      .statusCode  HTTP status (int), or None when no response came.
"""

from __future__ import annotations

from typing import Any


class CosError(Exception):
    """A failed COS call, shaped like the JS SDK's ``err`` object."""

    def __init__(
        self,
        message: str,
        code: str | None = None,
        statusCode: int | None = None,
        headers: dict[str, str] | None = None,
        requestId: str | None = None,
        resource: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.statusCode = statusCode
        self.headers = dict(headers or {})
        self.requestId = requestId
        self.resource = resource
        self.extra = extra

    def __str__(self) -> str:
        where = f" (HTTP {self.statusCode})" if self.statusCode is not None else ""
        return f"{self.code or 'CosError'}: {self.message}{where}"

    def to_dict(self) -> dict[str, Any]:
        """The JS-style ``err`` object handed to callbacks."""
        data: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "statusCode": self.statusCode,
            "headers": self.headers,
        }
        if self.requestId:
            data["RequestId"] = self.requestId
        if self.resource:
            data["Resource"] = self.resource
        data.update(self.extra)
        return data


def invalid_parameter(name: str, why: str) -> CosError:
    """The error for bad input caught before any request is sent."""
    return CosError(f"{name}: {why}", code="InvalidParameter")
