"""Which transport a name stands for on this platform: ``COS(Transport=name)``.

``"auto"`` (the default) is XHR where ``XMLHttpRequest`` exists (pages, Web Workers), fetch
where it does not (Node.js, Deno, service workers) and urllib in CPython; ``"xhr"``,
``"fetch"``, ``"pyfetch"`` and ``"urllib"`` name one transport of :mod:`cos_web.transport`.
The table is pure (:func:`transport_class` takes the platform as arguments), so every
platform's answer is tested in CPython.
"""

from __future__ import annotations

import sys

from .errors import invalid_parameter
from .transport import (
    BrowserTransport,
    FetchTransport,
    PyfetchTransport,
    Transport,
    UrllibTransport,
    XHRTransport,
    _has_xhr,
)

__all__ = ["TRANSPORT_NAMES", "transport_class", "make_transport", "default_transport"]

TRANSPORT_NAMES = ("auto", "xhr", "fetch", "pyfetch", "urllib")
_BY_NAME: dict[str, type] = {
    "xhr": XHRTransport,
    "fetch": FetchTransport,
    "pyfetch": PyfetchTransport,
    "urllib": UrllibTransport,
}


def transport_class(name: str, *, in_pyodide: bool, has_xhr: bool) -> type:
    """The transport class ``name`` stands for on the platform described; a name the platform
    cannot serve is refused here (``CosError`` InvalidParameter), not at the first request."""
    key = name.lower() if isinstance(name, str) else name
    if key not in TRANSPORT_NAMES:
        raise invalid_parameter("Transport", f"{name!r} is not one of {', '.join(TRANSPORT_NAMES)}")
    if key == "auto":
        return (BrowserTransport if has_xhr else FetchTransport) if in_pyodide else UrllibTransport
    if (key == "urllib") == in_pyodide:
        where = "Pyodide" if key != "urllib" else "CPython"
        raise invalid_parameter("Transport", f"{name!r} runs only in {where}")
    if key == "xhr" and not has_xhr:
        raise invalid_parameter("Transport", "'xhr': XMLHttpRequest is not defined here (use 'fetch' or 'auto')")
    return _BY_NAME[key]


def make_transport(choice: str | Transport | None = None) -> Transport:
    """A transport from a name (None means ``"auto"``) or an object with ``async send(request)``,
    which is used as it is."""
    if choice is None or isinstance(choice, str):
        in_pyodide = sys.platform == "emscripten"
        cls = transport_class(choice or "auto", in_pyodide=in_pyodide, has_xhr=in_pyodide and _has_xhr())
        return cls()
    if not callable(getattr(choice, "send", None)):
        raise invalid_parameter("Transport", "must be a name or an object with async send(request)")
    return choice


def default_transport() -> Transport:
    """The ``"auto"`` transport of this platform."""
    return make_transport("auto")
