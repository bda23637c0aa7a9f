"""The served wheel carries bytecode compiled by Pyodide (scripts/wheel.py, issue 17's import row):
a .pyc for every browser module, for the interpreter that runs it, read instead of the source."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

from scripts import wheel as wheel_mod
from tests.conftest import ROOT


def _modules() -> list[str]:
    return [p.relative_to(ROOT).as_posix() for p in wheel_mod.browser_modules(ROOT / "cos_web")]


def test_every_browser_module_has_unchecked_hash_pyc_for_pyodide(wheel_path, node_py):
    tag, magic = node_py.run("import sys, importlib.util\n[sys.implementation.cache_tag, importlib.util.MAGIC_NUMBER.hex()]")
    assert tag.startswith("cpython-3") and tag != f"cpython-3{__import__('sys').version_info.minor}"  # not the host's
    modules = _modules()
    assert "cos_web/client.py" in modules and "cos_web/uploads/run.py" in modules and len(modules) > 30
    with zipfile.ZipFile(wheel_path) as zf:
        names = set(zf.namelist())
        record = zf.read(next(n for n in names if n.endswith(".dist-info/RECORD"))).decode()
        for py in modules:
            assert py in names, py  # the source stays, for tracebacks
            folder, stem = py.rsplit("/", 1)
            pyc = f"{folder}/__pycache__/{stem[:-3]}.{tag}.pyc"
            data = zf.read(pyc)
            assert data[:4].hex() == magic, pyc
            assert int.from_bytes(data[4:8], "little") == 0b01, pyc  # PEP 552: hash-based, source not checked
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert f"{pyc},sha256={digest},{len(data)}" in record.splitlines(), pyc
        # host-only modules ship as source alone
        assert not [n for n in names if n.startswith("cos_web/server/") and n.endswith(".pyc")]
        assert [n for n in names if n.startswith("cos_web/server/") and n.endswith(".py")]


def test_pyodide_imports_cos_web_from_the_pyc(node_py):
    # The import system's own loader, asked for every browser module's code object (not
    # executed, so the session's modules stay as they are), reads the .pyc and compiles nothing.
    out = node_py.run(
        "import os, sys, importlib.machinery as m, cos_web\n"
        "root = os.path.dirname(os.path.dirname(cos_web.__file__))\n"
        "compiled = []\n"
        "orig = m.SourceFileLoader.source_to_code\n"
        "def spy(self, data, path, *a, **k):\n"
        "    compiled.append(path)\n"
        "    return orig(self, data, path, *a, **k)\n"
        "m.SourceFileLoader.source_to_code = spy\n"
        "try:\n"
        "    codes = [m.SourceFileLoader(rel[:-3].replace('/', '.'), os.path.join(root, rel)).get_code(None)\n"
        "             for rel in modules]\n"
        "finally:\n"
        "    m.SourceFileLoader.source_to_code = orig\n"
        "loaded = sorted(n for n in sys.modules if n.startswith('cos_web'))\n"
        "[len(codes), all(codes), compiled, loaded,\n"
        " all(os.path.exists(sys.modules[n].__spec__.cached) for n in loaded)]\n",
        modules=_modules(),
    )
    count, all_code, compiled, loaded, cached = out
    assert count == len(_modules()) and all_code
    assert compiled == []  # every module read from its .pyc, none compiled from source
    assert "cos_web.client" in loaded and cached  # the imported modules have their .pyc beside them


def test_build_falls_back_to_the_plain_wheel(tmp_path, monkeypatch, capsys):
    failing = tmp_path / "fail.mjs"
    failing.write_text("process.stderr.write('boom\\n'); process.exit(3);\n")
    monkeypatch.setattr(wheel_mod, "COMPILER", failing)  # node runs and fails
    monkeypatch.setattr(wheel_mod, "PYC_CACHE", tmp_path / "cache")
    built = wheel_mod.build_wheel(tmp_path / "out")
    with zipfile.ZipFile(built) as zf:
        names = zf.namelist()
    assert "cos_web/client.py" in names and not [n for n in names if n.endswith(".pyc")]
    err = capsys.readouterr().err
    assert "no bytecode in the wheel" in err and "boom" in err
    assert not list((tmp_path / "cache").glob("*"))  # nothing half-made left in the cache


def test_switch_off_builds_the_plain_wheel(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("COS_WEB_WHEEL_PYC", "0")
    with zipfile.ZipFile(wheel_mod.build_wheel(tmp_path / "out")) as zf:
        assert not [n for n in zf.namelist() if n.endswith(".pyc")]
