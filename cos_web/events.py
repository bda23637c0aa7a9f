"""``cos.on`` / ``cos.off`` / ``cos.emit``: the JS SDK's event emitter, as small as it can be.

The uploads component emits ``task-list-update`` (and its older name ``list-update``)
with ``{"list": [task, ...]}``; listeners may be JS functions or Python callables,
and one that raises does not stop the others.
"""

from __future__ import annotations

from typing import Any

from . import _js

__all__ = ["Emitter"]


class Emitter:
    """Listeners by event name."""

    __slots__ = ("_listeners",)

    def __init__(self) -> None:
        self._listeners: dict[str, list[Any]] = {}

    def on(self, event: str, fn: Any) -> None:
        self._listeners.setdefault(event, []).append(fn)

    def off(self, event: str, fn: Any = None) -> None:
        listeners = self._listeners.get(event)
        if listeners is None:
            return
        if fn is None:
            listeners.clear()
        elif fn in listeners:
            listeners.remove(fn)

    def emit(self, event: str, data: Any = None) -> None:
        for fn in list(self._listeners.get(event, ())):
            try:
                _js.call_user(fn, data)
            except Exception:
                pass

    def listening(self) -> bool:
        """Whether anyone listens to anything (the queue skips building task lists otherwise)."""
        return any(self._listeners.values())
