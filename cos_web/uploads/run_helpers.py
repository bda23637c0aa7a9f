"""Pure helpers of a file's run (:mod:`.run`): the error of a part given up on, where a
finished multipartInit's UploadId goes, and the order resume candidates are tried in."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from ..errors import CosError
from ..upload import Part, Plan

__all__ = ["part_error", "keep_upload_id", "truthy", "newest_first"]


def part_error(err: CosError, part: Part, attempts: int, upload_id: str | None) -> CosError:
    """The error of a part that will not be sent again: which part, how often, which upload
    (in the message and as ``PartNumber`` / ``Attempts`` / ``UploadId``), COS's code and status kept."""
    tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
    return CosError(
        f"part {part.number} of upload {upload_id} failed after {tries}: {err.message}",
        code=err.code,
        statusCode=err.statusCode,
        headers=err.headers,
        requestId=err.requestId,
        resource=err.resource,
        **{**err.extra, "PartNumber": part.number, "Attempts": attempts, "UploadId": upload_id},
    )


def keep_upload_id(plan: Plan, call: asyncio.Future[dict[str, Any]]) -> None:
    """A finished multipartInit's UploadId goes into the plan, even if its run was stopped meanwhile."""
    if call.cancelled() or call.exception() is not None:
        return  # (retrieving the exception: a stopped run's failed init is not an error to log)
    upload_id = call.result().get("UploadId")
    if upload_id and plan.upload_id is None:
        plan.upload_id = upload_id


def truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def newest_first(uploads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def when(u: dict[str, Any]) -> float:
        try:
            return datetime.fromisoformat(str(u.get("Initiated")).replace("Z", "+00:00")).timestamp()
        except ValueError:
            return 0.0

    ordered = list(reversed(uploads))  # listings are oldest first for one key
    ordered.sort(key=when, reverse=True)  # stable: ties keep the reversed order
    return ordered
