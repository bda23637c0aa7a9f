"""build/pyodide (scripts/prepare_pyodide.py): micropip and the kernel's boot wheels load offline,
with the integrity check of the patched lock, and micropip installs the cos_web wheel."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.browser


# served_pyodide: the session fixture of tests/browser/conftest.py (prepare_pyodide once per session).


def test_lock_lists_exactly_the_wheels_present(served_pyodide):
    import hashlib

    lock = json.loads((served_pyodide / "pyodide-lock.json").read_text())
    upstream = json.loads((ROOT / "node_modules" / "pyodide" / "pyodide-lock.json").read_text())
    assert lock["info"] == upstream["info"]
    assert {"micropip", "ipython", "jedi"} <= set(lock["packages"])
    for key, entry in lock["packages"].items():
        assert key in upstream["packages"] and entry["version"] == upstream["packages"][key]["version"]
        wheel = served_pyodide / entry["file_name"]
        assert hashlib.sha256(wheel.read_bytes()).hexdigest() == entry["sha256"], key
    # node_modules is untouched
    assert upstream["packages"]["micropip"]["sha256"] != lock["packages"]["micropip"]["sha256"]


def test_micropip_installs_the_wheel_from_served_pyodide(browser, static_url, wheel_path, served_pyodide):
    context = browser.new_context()
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    try:
        page = context.new_page()
        page.goto(f"{static_url}/build/pyodide/package.json")
        wheel_url = f"{static_url}/{wheel_path.relative_to(ROOT).as_posix()}"
        result = page.evaluate(
            """async (wheelUrl) => {
                 const { loadPyodide } = await import("/build/pyodide/pyodide.mjs");
                 const pyodide = await loadPyodide({ indexURL: "/build/pyodide/" });
                 await pyodide.loadPackage(["micropip", "ipython"]);
                 return await pyodide.runPythonAsync(`
import micropip, IPython
await micropip.install(${JSON.stringify(wheelUrl)})
import cos_web
cos_web.__version__ + " " + IPython.__version__`);
               }""",
            wheel_url,
        )
    finally:
        context.close()
    assert result.split() == [__import__("cos_web").__version__, "9.12.0"]
    assert all(url.startswith(static_url) for url in requests), [u for u in requests if not u.startswith(static_url)]
