"""One upload task as plain data: what a page reads of it, and nothing that runs.

``state`` moves ``waiting -> checking -> uploading -> success | error``; ``pauseTask``
turns waiting/checking/uploading into ``paused``, ``restartTask`` turns paused/error
back into ``waiting``, ``cancelTask`` makes any unfinished task ``canceled``.

The record holds no asyncio object: the queue (:mod:`.queue`) keeps each task's
runner, outcome and progress reporter beside it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from ..errors import CosError
from ..upload import BlobSource, BytesSource, Plan

__all__ = ["UploadTask", "UploadCall", "TASK_STATES", "ACTIVE", "RUNNING"]

TASK_STATES = ("waiting", "checking", "uploading", "paused", "canceled", "error", "success")
ACTIVE = frozenset({"waiting", "checking", "uploading"})
RUNNING = frozenset({"checking", "uploading"})


@dataclass(slots=True, eq=False)
class UploadTask:
    """One file's upload: its params, its source and plan, and its state."""

    id: str
    api: str  # "sliceUploadFile" | "putObject"
    params: dict[str, Any] | None  # the call's params (freed once the task succeeds)
    callback: Any  # the call's callback(err, data), if any
    source: BytesSource | BlobSource | None  # the Body, classified once (freed with params)
    Bucket: str | None = None
    Region: str | None = None
    Key: str | None = None
    FilePath: str = ""
    state: str = "waiting"
    size: int = 0
    loaded: int = 0
    speed: float = 0.0
    percent: float = 0.0
    hashPercent: float = 0.0
    error: CosError | None = None
    plan: Plan | None = None
    put_sent: int = 0  # bytes of a putObject body sent
    upload_id: str | None = None  # kept after the plan is freed
    reported: int = 0  # the largest loaded reported: progress never goes back

    @classmethod
    def new(cls, task_id: str, api: str, params: dict[str, Any], callback: Any, source: Any) -> UploadTask:
        return cls(
            task_id, api, params, callback, source,
            Bucket=params.get("Bucket"), Region=params.get("Region"), Key=params.get("Key"),
            FilePath=params.get("FilePath") or "", size=source.size,
        )  # fmt: skip

    def param(self, name: str) -> Any:
        return self.params.get(name) if self.params else None

    def current_loaded(self) -> int:
        """Bytes sent, derived from the plan (or the single PUT)."""
        return self.plan.loaded() if self.plan is not None else self.put_sent

    def to_dict(self) -> dict[str, Any]:
        """The JS SDK's formatTask fields, plus UploadId and part counts."""
        err = self.error.to_dict() if isinstance(self.error, CosError) else self.error
        plan = self.plan
        return {
            "id": self.id,
            "Bucket": self.Bucket,
            "Region": self.Region,
            "Key": self.Key,
            "FilePath": self.FilePath,
            "state": self.state,
            "loaded": self.loaded,
            "size": self.size,
            "speed": self.speed,
            "percent": self.percent,
            "hashPercent": self.hashPercent,
            "error": err,
            "api": self.api,
            "UploadId": plan.upload_id if plan is not None else self.upload_id,
            "partCount": len(plan.parts) if plan is not None else 0,
            "partsDone": sum(1 for p in plan.parts if p.etag is not None) if plan is not None else 0,
        }


class UploadCall:
    """What ``slice_upload_file`` / ``upload_file`` return: awaitable result data, plus ``taskId``."""

    __slots__ = ("taskId", "_future")

    def __init__(self, task_id: str | None, future: asyncio.Future[Any]) -> None:
        self.taskId = task_id
        self._future = future

    @property
    def task_id(self) -> str | None:
        return self.taskId

    def done(self) -> bool:
        return self._future.done()

    def __await__(self):
        return self._future.__await__()
