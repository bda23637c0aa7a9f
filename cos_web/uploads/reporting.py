"""A task's progress reports: throttled ``onProgress`` / ``onHashProgress`` and task-list updates.

Progress is derived from the plan (:meth:`cos_web.upload.Plan.loaded`: parts on the
server plus bytes of parts in flight), never goes back, and reaches the page at most
every ``ProgressInterval`` ms (the last report is immediate).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _js
from ..progress import ProgressThrottle
from .task import RUNNING, UploadTask

__all__ = ["TaskProgress"]


class TaskProgress:
    """A task's progress reports: throttled ``onProgress`` / ``onHashProgress`` and task-list updates."""

    __slots__ = ("task", "throttle", "user_progress", "user_hash_progress", "on_change")

    def __init__(self, task: UploadTask, interval_ms: float, on_change: Callable[[], None]) -> None:
        self.task = task
        self.throttle = ProgressThrottle(task.size, self._on_progress, interval_ms)
        self.user_progress = task.param("onProgress")
        self.user_hash_progress = task.param("onHashProgress")
        self.on_change = on_change

    def progress(self, loaded: int | None = None) -> None:
        """Bytes sent changed (``loaded``: the task's total, when the caller has it at hand)."""
        task = self.task
        if loaded is None:
            loaded = task.current_loaded()
        if loaded > task.reported:
            task.reported = min(loaded, task.size)
            self.throttle.update(task.reported, task.size)

    def progress_now(self, loaded: int | None = None) -> None:
        task = self.task
        if loaded is not None:
            task.reported = max(task.reported, loaded)
        self.throttle.update(task.reported, task.size, immediately=True)

    def _on_progress(self, info: dict[str, Any]) -> None:
        task = self.task
        if task.state not in RUNNING:
            return
        task.loaded, task.speed, task.percent = info["loaded"], info["speed"], info["percent"]
        if self.user_progress is not None:
            _js.call_user(self.user_progress, info)
        self.on_change()

    def on_hash_progress(self, info: dict[str, Any]) -> None:
        if self.task.state not in RUNNING:
            return
        self.task.hashPercent = info["percent"]
        if self.user_hash_progress is not None:
            _js.call_user(self.user_hash_progress, info)
        self.on_change()
