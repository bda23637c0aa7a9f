"""JavaScript interop, used only on browser paths (imports of ``js``/``pyodide`` are lazy).

- bodies: what kind of JS object a body is, its size and MIME type, and how it
  is handed to fetch/XHR (a File or Blob is passed as is, never copied);
- values: Python dicts -> plain JS objects for JS callbacks, JS objects -> Python;
- calls: invoking a user function that may be JS or Python, sync or async,
  answering by return value or by callback.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from .errors import CosError

__all__ = [
    "Body",
    "is_js",
    "js_body_kind",
    "body_size",
    "body_type",
    "to_js_body",
    "to_py",
    "to_js",
    "call_user",
    "call_with_callback",
]


def is_js(value: Any) -> bool:
    """A pyodide JsProxy (without importing pyodide in CPython)."""
    return type(value).__module__ == "pyodide.ffi" or type(value).__name__.startswith("Js") and hasattr(
        value, "typeof"
    )


def js_body_kind(value: Any) -> str | None:
    """"blob" (File/Blob), "buffer" (ArrayBuffer), "view" (TypedArray/DataView) or None."""
    import js  # type: ignore[import-not-found]

    g = js.globalThis
    if js_instanceof(value, getattr(g, "Blob", None)):
        return "blob"
    if js_instanceof(value, g.ArrayBuffer):
        return "buffer"
    if g.ArrayBuffer.isView(value):
        return "view"
    return None


def js_instanceof(value: Any, cls: Any) -> bool:
    if cls is None:
        return False
    try:
        import js  # type: ignore[import-not-found]

        return bool(js.Reflect.apply(_instanceof(), None, [value, cls]))
    except Exception:
        return False


_INSTANCEOF: Any = None


def _instanceof() -> Any:
    global _INSTANCEOF
    if _INSTANCEOF is None:
        import js  # type: ignore[import-not-found]

        _INSTANCEOF = js.Function.new("v", "c", "return v instanceof c")
    return _INSTANCEOF


class Body:
    """A request body classified once, where it entered cos_web (an upload's file or part).

    ``value`` is what the transport sends (bytes, or a JS Blob/File, never copied);
    ``size`` and ``type`` were read when the upload's source was made, so checking,
    preparing and sending the request need not ask the browser again.
    """

    __slots__ = ("value", "size", "type")

    def __init__(self, value: Any, size: int, type: str = "") -> None:
        self.value = value
        self.size = size
        self.type = type

    def __repr__(self) -> str:
        return f"Body({type(self.value).__name__}, size={self.size}, type={self.type!r})"


def body_size(body: Any) -> int:
    """Bytes the body will occupy on the wire."""
    if body is None:
        return 0
    if isinstance(body, Body):
        return body.size
    if isinstance(body, str):
        return len(body.encode("utf-8")) if not body.isascii() else len(body)
    if isinstance(body, (bytes, bytearray)):
        return len(body)
    if isinstance(body, memoryview):
        return body.nbytes
    size = getattr(body, "size", None)  # Blob / File
    if size is None:
        size = getattr(body, "byteLength", 0)  # ArrayBuffer / view
    return int(size or 0)


def body_type(body: Any) -> str:
    """The MIME type the JS SDK would give the body (a string body becomes a text/plain Blob)."""
    if isinstance(body, str):
        return "text/plain"
    if isinstance(body, (bytes, bytearray, memoryview)) or body is None:
        return ""
    if isinstance(body, Body):
        return body.type
    t = getattr(body, "type", None)
    return t if isinstance(t, str) else ""


def to_js_body(body: Any) -> Any:
    """A value fetch/XHR accept as a body: JS objects as they are, bytes as a Uint8Array."""
    if isinstance(body, str) or is_js(body):
        return body
    from pyodide.ffi import to_js as _to_js  # type: ignore[import-not-found]

    if isinstance(body, memoryview):
        body = body.cast("B") if body.format != "B" else body
    return _to_js(body)


def to_py(value: Any) -> Any:
    """A JS value as Python (objects -> dict, arrays -> list); Python values unchanged."""
    if is_js(value) and hasattr(value, "to_py"):
        try:
            return value.to_py()
        except Exception:
            return value
    return value


def to_js(value: Any) -> Any:
    """A Python value as a plain JS value (dict -> Object); bytes become Uint8Array."""
    from js import Object  # type: ignore[import-not-found]
    from pyodide.ffi import to_js as _to_js  # type: ignore[import-not-found]

    if isinstance(value, CosError):
        value = value.to_dict()
    return _to_js(value, dict_converter=Object.fromEntries)


def call_user(fn: Callable[..., Any], *args: Any) -> Any:
    """Call a user callback (progress, result): JS functions get JS arguments."""
    if is_js(fn):
        return fn(*(to_js(a) if a is not None else None for a in args))
    return fn(*args)


async def call_with_callback(fn: Callable[..., Any], options: dict[str, Any]) -> Any:
    """Call ``fn(options, callback)`` and wait for its answer.

    ``fn`` may be a JS function (its ``options`` a JS object; it may call back
    later, e.g. after its own fetch, or return a Promise) or a Python callable
    (plain or async, returning the answer or calling ``callback``). The answer is
    returned as Python (JS objects converted).
    """
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[Any] = loop.create_future()

    def callback(*answer: Any) -> None:
        _settle(fut, answer[0] if answer else None)

    if is_js(fn):
        from pyodide.ffi import create_once_callable  # type: ignore[import-not-found]

        js_cb = create_once_callable(callback)
        result = fn(to_js(options), js_cb)
    else:
        result = fn(options, callback)
    if inspect.isawaitable(result):
        result = await result
    if not fut.done():
        answer = to_py(result) if result is not None and not _is_undefined(result) else None
        if _looks_like_answer(answer):
            return answer
    return to_py(await fut)


_ANSWER_FIELDS = ("Authorization", "SecretId", "TmpSecretId", "XCosSecurityToken")


def _looks_like_answer(value: Any) -> bool:
    """A returned value counts as the answer only if it is one: a signature string or a
    credentials object. Anything else a function happens to return (a timer id from
    ``setTimeout``, a jqXHR from ``$.get``) is not, and the callback is awaited instead."""
    if isinstance(value, str):
        return bool(value)
    return isinstance(value, Mapping) and any(name in value for name in _ANSWER_FIELDS)


def _settle(fut: asyncio.Future[Any], value: Any) -> None:
    if not fut.done():
        fut.set_result(value)


def _is_undefined(value: Any) -> bool:
    return is_js(value) and getattr(value, "typeof", "") == "undefined"


async def deliver(call: Awaitable[Any], callback: Any) -> Any:
    """Await a call's result; with a ``callback(err, data)`` (JS or Python), hand it the
    JS-style outcome instead of raising, as the JS SDK's callback style does."""
    try:
        data = await call
    except CosError as err:
        if callback is None:
            raise
        call_user(callback, err, None)
        return None
    if callback is not None:
        call_user(callback, None, data)
    return data
