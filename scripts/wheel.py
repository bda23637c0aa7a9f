"""Build the cos_web wheel from the working tree: the one builder that tests, demo, bench and
the JupyterLite build share.

The wheel also carries bytecode for the browser's interpreter: ``__pycache__/*.cpython-314.pyc``
beside every module (the .py files stay, for tracebacks), compiled by Pyodide itself under Node
(``scripts/compile_pyc.mjs``) with unchecked-hash invalidation, so ``import cos_web`` in the page
skips compiling ~7,000 lines of source (issue 17: import under 100 ms). The compiled files are
cached under ``build/pyc-cache/`` by a hash of the sources and the Pyodide version. Where that
step cannot run (no ``node``, no npm ``pyodide``, a failure) the plain wheel is kept, with a
warning; ``COS_WEB_WHEEL_PYC=0`` turns the step off (an A/B measurement).

It builds from a private copy of the sources, so builds running at the same time (two test
sessions, a test run beside the demo) never share setuptools' ``build/`` folders, and it puts
the wheel in place with an atomic rename, so a server reading it never sees half a file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WHEEL_DIR = ROOT / "build" / "wheel"
PYC_CACHE = ROOT / "build" / "pyc-cache"
COMPILER = ROOT / "scripts" / "compile_pyc.mjs"
NPM_PYODIDE = ROOT / "node_modules" / "pyodide"
COMPILE_TIMEOUT_S = 300
# Host-only modules (the local server and the demo web server: aiohttp, never run in a page):
# shipped as source only, so the wheel a page downloads stays small.
HOST_ONLY = ("cos_web/server/", "cos_web/demo.py")


def _log(message: str) -> None:
    print(f"wheel: {message}", file=sys.stderr, flush=True)


def browser_modules(pkg_dir: Path) -> list[Path]:
    """The package's .py files that can run in Pyodide: all but the host-only ``HOST_ONLY`` ones."""
    return [
        path for path in sorted(pkg_dir.rglob("*.py"))
        if "__pycache__" not in path.parts
        and not any(path.relative_to(pkg_dir.parent).as_posix().startswith(prefix) for prefix in HOST_ONLY)
    ]  # fmt: skip


def compile_for_pyodide(src_root: Path) -> Path:
    """Return a folder of ``cos_web/**/__pycache__/*.pyc`` compiled by Pyodide for the browser modules.

    Reuses ``build/pyc-cache/<key>`` (key: the modules' paths and bytes, the Pyodide package,
    the compiler) when the same sources were compiled before; raises when Node or Pyodide
    cannot do it.
    """
    if shutil.which("node") is None or not (NPM_PYODIDE / "package.json").exists():
        raise RuntimeError("node or node_modules/pyodide missing")
    modules = browser_modules(src_root / "cos_web")
    digest = hashlib.sha256()
    for path in modules:
        digest.update(path.relative_to(src_root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update((NPM_PYODIDE / "package.json").read_bytes() + COMPILER.read_bytes())
    cached = PYC_CACHE / digest.hexdigest()[:32]
    if (cached / "info.json").exists():
        return cached
    PYC_CACHE.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=".staging-", dir=PYC_CACHE))
    try:
        sources = staged / "src"
        for path in modules:
            target = sources / path.relative_to(src_root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        out = subprocess.run(
            ["node", str(COMPILER), str(sources), str(staged)],
            check=True, cwd=ROOT, capture_output=True, text=True, timeout=COMPILE_TIMEOUT_S,
        )  # fmt: skip
        shutil.rmtree(sources)
        (staged / "info.json").write_text(out.stdout.strip().splitlines()[-1])
        try:
            os.rename(staged, cached)
        except OSError:  # a concurrent build got there first: same key, same content
            shutil.rmtree(staged, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return cached


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def add_bytecode(wheel: Path, pyc_dir: Path) -> int:
    """Rewrite ``wheel`` in place with every .pyc under ``pyc_dir`` added (and listed in RECORD)."""
    pycs = sorted(p for p in pyc_dir.rglob("*.pyc"))
    staged = wheel.with_name(wheel.name + ".pyc.tmp")
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(staged, "w", zipfile.ZIP_DEFLATED) as dst:
        record_name = next(n for n in src.namelist() if n.endswith(".dist-info/RECORD"))
        lines = src.read(record_name).decode().splitlines()
        for item in src.infolist():
            if item.filename != record_name:
                dst.writestr(item, src.read(item.filename))
        for pyc in pycs:
            name = pyc.relative_to(pyc_dir).as_posix()
            data = pyc.read_bytes()
            dst.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
            lines.insert(len(lines) - 1 if lines and lines[-1].startswith(record_name) else len(lines),
                         _record_line(name, data))  # fmt: skip
        dst.writestr(src.getinfo(record_name), "\n".join(lines) + "\n")
    os.replace(staged, wheel)
    return len(pycs)


def build_wheel(out_dir: Path = WHEEL_DIR) -> Path:
    """Build ``cos_web-*.whl`` into ``out_dir`` (no network, no build isolation) and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cos-web-wheel-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(ROOT / name, src / name)
        shutil.copytree(ROOT / "cos_web", src / "cos_web", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q",
             "--disable-pip-version-check", "-w", str(Path(tmp) / "out")],
            check=True, cwd=tmp, env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )  # fmt: skip
        (built,) = (Path(tmp) / "out").glob("cos_web-*.whl")
        if os.environ.get("COS_WEB_WHEEL_PYC", "1") != "0":
            try:
                pyc_dir = compile_for_pyodide(src)
                count = add_bytecode(built, pyc_dir)
                info = json.loads((pyc_dir / "info.json").read_text())
                _log(f"{count} .pyc for Pyodide {info['version']} ({info['cache_tag']}) added to {built.name}")
            except Exception as exc:  # never break the build: the plain wheel still works
                detail = getattr(exc, "stderr", "") or ""
                _log(f"no bytecode in the wheel ({type(exc).__name__}: {exc}) {detail[-500:]}")
        target = out_dir / built.name
        staged = out_dir / f".{built.name}.{os.getpid()}.tmp"
        shutil.copy2(built, staged)
        os.replace(staged, target)
    for stale in out_dir.glob("cos_web-*.whl"):
        if stale != target:
            stale.unlink(missing_ok=True)
    return target


if __name__ == "__main__":
    print(build_wheel())
