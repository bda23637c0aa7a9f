"""Choosing a transport (``COS(Transport=name)`` / ``COS(transport=...)``) in CPython: the
platform table is pure, so every platform's answer is checked here; the Pyodide side runs
in tests/node (no XMLHttpRequest) and the browser tests (XHR)."""

from __future__ import annotations

import pytest

from cos_web import COS, CosError
from cos_web.client import DEFAULT_OPTIONS
from cos_web.transport import (
    BrowserTransport,
    FetchTransport,
    MockTransport,
    PyfetchTransport,
    Response,
    UrllibTransport,
    XHRTransport,
)
from cos_web.transport_choice import TRANSPORT_NAMES, default_transport, make_transport, transport_class

PAGE = {"in_pyodide": True, "has_xhr": True}  # a page or a Web Worker
NODE = {"in_pyodide": True, "has_xhr": False}  # Node.js, Deno, a service worker
CPYTHON = {"in_pyodide": False, "has_xhr": False}


@pytest.mark.parametrize(
    ("name", "where", "expected"),
    [
        ("auto", PAGE, BrowserTransport),
        ("auto", NODE, FetchTransport),
        ("auto", CPYTHON, UrllibTransport),
        ("xhr", PAGE, XHRTransport),
        ("fetch", PAGE, FetchTransport),
        ("fetch", NODE, FetchTransport),
        ("pyfetch", PAGE, PyfetchTransport),
        ("pyfetch", NODE, PyfetchTransport),
        ("urllib", CPYTHON, UrllibTransport),
        ("FETCH", NODE, FetchTransport),
    ],
)
def test_names_per_platform(name, where, expected):
    assert transport_class(name, **where) is expected


@pytest.mark.parametrize(
    ("name", "where", "says"),
    [
        ("xhr", NODE, "XMLHttpRequest is not defined"),
        ("xhr", CPYTHON, "only in Pyodide"),
        ("fetch", CPYTHON, "only in Pyodide"),
        ("pyfetch", CPYTHON, "only in Pyodide"),
        ("urllib", PAGE, "only in CPython"),
        ("curl", CPYTHON, "not one of auto, xhr, fetch, pyfetch, urllib"),
    ],
)
def test_a_name_the_platform_cannot_serve_is_refused_up_front(name, where, says):
    with pytest.raises(CosError) as err:
        transport_class(name, **where)
    assert err.value.code == "InvalidParameter" and says in err.value.message and "Transport" in err.value.message


def test_names_listed_and_auto_is_the_default():
    assert TRANSPORT_NAMES == ("auto", "xhr", "fetch", "pyfetch", "urllib")
    assert DEFAULT_OPTIONS["Transport"] == "auto"
    assert isinstance(default_transport(), UrllibTransport)
    assert isinstance(make_transport(None), UrllibTransport)


def test_cos_takes_a_name_as_option_or_keyword_and_an_object_as_is():
    assert isinstance(COS()._pipeline.transport, UrllibTransport)
    assert isinstance(COS(Transport="urllib")._pipeline.transport, UrllibTransport)
    assert isinstance(COS({"Transport": "auto"})._pipeline.transport, UrllibTransport)
    assert isinstance(COS(transport="urllib")._pipeline.transport, UrllibTransport)
    mock = MockTransport(lambda req: Response(200, {}, ""))
    assert COS(transport=mock)._pipeline.transport is mock
    assert COS({"Transport": "fetch"}, transport=mock)._pipeline.transport is mock  # the object wins over the option


def test_cos_refuses_what_cannot_work_here():
    with pytest.raises(CosError, match="only in Pyodide"):
        COS(Transport="fetch")
    with pytest.raises(CosError, match="async send"):
        COS(transport=object())
