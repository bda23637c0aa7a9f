"""The harness itself: Pyodide boots with the fresh wheel, values and errors cross the boundary."""

import pytest

import cos_web
from tests.conftest import PageError


def test_wheel_imports_in_pyodide(harness, wheel_path):
    info = harness.run(
        """
import sys, cos_web
{"version": cos_web.__version__, "file": cos_web.__file__, "python": sys.version_info[:2]}
"""
    )
    assert info["version"] == cos_web.__version__
    assert "site-packages/cos_web" in info["file"]  # installed from the wheel, not a source tree
    assert info["python"][0] == 3 and info["python"][1] >= 12
    assert wheel_path.name.endswith("py3-none-any.whl")


def test_no_network_beyond_loopback(new_harness):
    """Booting loads Pyodide and the wheel from the local static server only."""
    seen = []
    page = new_harness()
    page.page.on("request", lambda r: seen.append(r.url))
    page.reload()
    assert seen, "no request recorded"
    assert all(url.startswith("http://127.0.0.1:") for url in seen), seen


def test_top_level_await_and_variables(harness):
    assert harness.run("import asyncio\nawait asyncio.sleep(0)\nx * 2", x=21) == 42


def test_js_blob_round_trips_through_python(harness):
    result = harness.run(
        """
import js
from pyodide.ffi import to_js
blob = js.Blob.new(to_js([js.Uint8Array.new(to_js(list(range(256)))), "héllo"]), to_js({"type": "application/x-test"}, dict_converter=js.Object.fromEntries))
data = (await blob.arrayBuffer()).to_bytes()
[blob.size, blob.type, data]
"""
    )
    size, mime, data = result
    assert size == 256 + len("héllo".encode())
    assert mime == "application/x-test"
    assert data == bytes(range(256)) + "héllo".encode()


def test_python_traceback_reaches_pytest(harness):
    with pytest.raises(PageError) as info:
        harness.run("def inner():\n    assert 1 + 1 == 3, 'arithmetic broke'\ninner()")
    text = str(info.value)
    assert "Traceback" in text and "AssertionError: arithmetic broke" in text
    assert "assert 1 + 1 == 3" in text  # the failing source line is shown
    assert "in inner" in text


def test_file_backed_file_from_disk(harness, tmp_path):
    path = tmp_path / "pick.bin"
    path.write_bytes(b"\x00\x01hello" * 1000)
    name = harness.add_file(path)
    size = harness.run("import js\njs.testFiles.get(name).size", name=name)
    assert size == path.stat().st_size
