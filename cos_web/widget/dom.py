"""The widget's few DOM tools: build elements from plain values (text never becomes HTML),
keep every event-handler proxy so unmounting frees them, run a handler's coroutine so its
failure is shown rather than lost, and add the stylesheet once. ``js`` and ``pyodide`` are
imported only when called, so the package imports in CPython.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Callable

__all__ = ["ICONS", "Dom", "js", "maybe_await", "install_stylesheet", "local_date"]

STYLESHEET_ID = "cos-web-widget-css"

ICONS = {
    "folder": '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3 6.5A1.5 1.5 0 0 1 4.5 5h4.4l2 2h8.6A1.5 1.5 0 0 1 21 8.5v9A1.5 1.5 0 0 1 19.5 19h-15A1.5 1.5 0 0 1 3 17.5z"/></svg>',
    "file": '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6 3h8l5 5v12.5A1.5 1.5 0 0 1 17.5 22h-11A1.5 1.5 0 0 1 5 20.5v-16A1.5 1.5 0 0 1 6.5 3zm7 1.5V9h4.5"/></svg>',
    "upload": '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 16V4m0 0-4.5 4.5M12 4l4.5 4.5M4 15v3.5A1.5 1.5 0 0 0 5.5 20h13a1.5 1.5 0 0 0 1.5-1.5V15"/></svg>',
    "refresh": '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M20 11a8 8 0 1 0-2.3 5.7M20 4v7h-7"/></svg>',
}


def js() -> Any:
    """The browser's ``js`` module (imported here so nothing else has to at import time)."""
    import js as browser  # browser only

    return browser


async def maybe_await(value: Any) -> Any:
    """The SDK's task calls return a value or an awaitable, depending on the call style."""
    if inspect.isawaitable(value):
        return await value
    return value


class Dom:
    """Builds elements and owns what must be released with them: event-handler proxies and
    the coroutines handlers start. ``on_failure(exc)`` is told about a coroutine that failed."""

    def __init__(self, on_failure: Callable[[BaseException], Any]) -> None:
        self._on_failure = on_failure
        self._proxies: list[Any] = []
        self._tasks: set[asyncio.Future] = set()

    def h(self, tag: str, attrs: dict[str, Any] | None = None, *children: Any) -> Any:
        """Create an element; strings become text nodes (never HTML)."""
        doc = js().document
        el = doc.createElement(tag)
        for name, value in (attrs or {}).items():
            if value is None or value is False:
                continue
            if name == "class":
                el.className = value
            elif name == "text":
                el.textContent = str(value)
            elif name == "html":  # trusted constants only (icons)
                el.innerHTML = value
            elif name.startswith("on"):
                self.listen(el, name[2:], value)
            else:
                el.setAttribute(name, "" if value is True else str(value))
        for child in children:
            if child is None:
                continue
            el.appendChild(doc.createTextNode(child) if isinstance(child, str) else child)
        return el

    def listen(self, el: Any, event: str, handler: Callable[[Any], Any]) -> None:
        from pyodide.ffi import create_proxy

        proxy = create_proxy(handler)
        self._proxies.append(proxy)
        el.addEventListener(event, proxy)

    def spawn(self, coro: Any) -> None:
        """Run a coroutine from an event handler; its failure goes to ``on_failure``, never lost."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(fut: asyncio.Future) -> None:
            self._tasks.discard(fut)
            if not fut.cancelled() and fut.exception() is not None:
                self._on_failure(fut.exception())

        task.add_done_callback(done)

    def release(self) -> None:
        """Free every event-handler proxy made so far (the elements are going away)."""
        for proxy in self._proxies:
            try:
                proxy.destroy()
            except Exception:  # noqa: BLE001 - already gone
                pass
        self._proxies.clear()


def install_stylesheet() -> None:
    """Add ``widget.css`` (shipped beside this module) to the page, once per page."""
    doc = js().document
    if doc.getElementById(STYLESHEET_ID):
        return
    from importlib.resources import files

    css = files(__package__).joinpath("widget.css").read_text(encoding="utf-8")
    style = doc.createElement("style")
    style.id = STYLESHEET_ID
    style.textContent = css
    doc.head.appendChild(style)


def local_date(iso: str) -> str:
    """LastModified in the person's time zone, short and sortable: 2026-11-26 13:03."""
    if not iso:
        return ""
    date = js().Date.new(iso)
    if str(date.getTime()) == "nan":
        return iso
    y, mo, d, h, mi = (int(v) for v in (date.getFullYear(), date.getMonth() + 1, date.getDate(), date.getHours(), date.getMinutes()))
    return f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}"
