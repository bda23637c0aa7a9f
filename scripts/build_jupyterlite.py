"""Build the JupyterLite site (notebooks in the browser, Pyodide kernel) offline into build/jupyterlite/.

    .venv/bin/python scripts/build_jupyterlite.py [--force] [--contents PATH ...] [--output-dir DIR]

Then serve the folder over HTTP (``scripts/demo.sh`` does, beside the upload page) and open
``notebooks/index.html?path=cos_web_demo.ipynb`` (or ``lab/index.html``).

What it does, and why (see also scripts/prepare_pyodide.py):

1. Installs the pinned site builder into ``.venv`` when missing or changed:
   ``jupyterlite-core[contents]==0.8.6`` and ``jupyterlite-pyodide-kernel==0.8.6`` with their
   dependencies (``requirements-jupyterlite.lock``, constrained by ``requirements.lock``).
2. Prepares ``build/pyodide/`` (npm ``pyodide`` plus the wheels the kernel loads at boot, with
   a corrected ``pyodide-lock.json``) and puts it in the site as ``static/pyodide/``: the kernel
   does not bundle Pyodide and would load it from a CDN otherwise.
3. Builds the cos_web wheel from the working tree (``scripts/wheel.py``, as the tests and the demo do) and puts
   it, with ``comm`` (required by the kernel, in no Pyodide lock; pinned in
   ``scripts/jupyterlite-piplite.lock``), in the site's ``pypi/`` index, so ``%pip install
   cos-web`` installs it from the site.
4. Writes ``jupyter-lite.json``: ``pyodideUrl`` pointing at the served copy,
   ``disablePyPIFallback: true`` (a missing package fails at once instead of reaching out to
   PyPI), and ``exposeAppInBrowser`` (``window.jupyterapp``, which the Chromium test drives).
5. Runs ``jupyter lite build`` from a clean staging folder (``build/jupyterlite-src/``): an
   incremental build can silently drop ``pyodideUrl`` after the config changes, and a clean
   build only takes a few seconds. The example notebooks (``notebooks/``) become the site's files.

Nothing is fetched at run time: the site only requests its own origin (plus whatever COS
endpoint a notebook talks to). A stamp over every input makes a repeated run return at once.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.prepare_pyodide import (  # noqa: E402
    STAMP_NAME,
    WHEEL_CACHE,
    build_lock,
    download_pinned,
    prepare_pyodide,
)

VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
REQUIREMENTS = ROOT / "requirements-jupyterlite.lock"
PIPLITE_LOCK = ROOT / "scripts" / "jupyterlite-piplite.lock"
NOTEBOOKS = ROOT / "notebooks"
STAGING = ROOT / "build" / "jupyterlite-src"
OUT_DIR = ROOT / "build" / "jupyterlite"
WHEEL_DIR = ROOT / "build" / "jupyterlite-wheel"
FORMAT_VERSION = "1"  # bump when the site layout or config changes

KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"
APPS = ("lab", "notebooks", "tree", "repl")


def log(message: str) -> None:
    print(f"build_jupyterlite: {message}", file=sys.stderr, flush=True)


def _python() -> str:
    return str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable


def ensure_builder() -> None:
    """Install the pinned jupyterlite packages into the venv (stamp file: fast when current)."""
    # The stamp lives in the environment it describes (the venv's python is a symlink:
    # don't resolve it, or the stamp lands in the base interpreter shared by every venv).
    stamp_file = Path(_python()).parent.parent / ".cos-web-jupyterlite-stamp"
    if not (ROOT / ".venv").exists():
        stamp_file = ROOT / "build" / ".cos-web-jupyterlite-stamp"
    want = hashlib.sha256(REQUIREMENTS.read_bytes() + (ROOT / "requirements.lock").read_bytes()).hexdigest()
    if stamp_file.exists() and stamp_file.read_text().strip() == want:
        return
    log("installing the pinned JupyterLite builder (requirements-jupyterlite.lock)")
    subprocess.run(
        [_python(), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-r", str(REQUIREMENTS), "-c", str(ROOT / "requirements.lock")],
        check=True,
    )  # fmt: skip
    stamp_file.parent.mkdir(parents=True, exist_ok=True)
    stamp_file.write_text(want + "\n")


def _wheel_digest(wheel: Path) -> str:
    """Hash of a wheel's member names and contents (zip timestamps vary between builds)."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(wheel) as zf:
        for info in sorted(zf.infolist(), key=lambda i: i.filename):
            digest.update(info.filename.encode() + b"\0" + zf.read(info) + b"\0")
    return digest.hexdigest()


def _contents_files(contents: list[Path]) -> list[Path]:
    files = []
    for item in contents:
        if item.is_dir():
            files += sorted(p for p in item.rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts)
        elif item.is_file():
            files.append(item)
    return files


def jupyter_lite_config() -> dict:
    """The site's jupyter-lite.json (runtime settings read by the page)."""
    return {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "cos_web notebooks",
            "exposeAppInBrowser": True,
            "litePluginSettings": {
                KERNEL_PLUGIN: {
                    "pyodideUrl": "./static/pyodide/pyodide.mjs",
                    "disablePyPIFallback": True,
                }
            },
        },
    }


def _link_tree(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for path in src.iterdir():
        if path.is_file() and not path.name.startswith("."):
            try:
                os.link(path, dst / path.name)
            except OSError:
                shutil.copy2(path, dst / path.name)


def build_site(
    out_dir: Path = OUT_DIR,
    wheel: Path | None = None,
    contents: list[Path] | None = None,
    force: bool = False,
) -> Path:
    """Build (or reuse) the JupyterLite site; returns its folder.

    ``wheel``: a cos_web wheel already built (tests pass theirs); default: build one.
    ``contents``: files/folders to publish (default: ``notebooks/``).
    """
    ensure_builder()
    pyodide_dir = prepare_pyodide()
    if wheel is None:
        from scripts.wheel import build_wheel

        wheel = build_wheel(WHEEL_DIR)
    contents = [Path(c).resolve() for c in (contents if contents is not None else [NOTEBOOKS])]
    piplite_wheels = download_pinned(PIPLITE_LOCK, WHEEL_CACHE)

    digest = hashlib.sha256(FORMAT_VERSION.encode())
    digest.update(json.dumps(jupyter_lite_config(), sort_keys=True).encode())
    for path in (Path(__file__), REQUIREMENTS, PIPLITE_LOCK, pyodide_dir / STAMP_NAME):
        digest.update(path.read_bytes())
    digest.update(wheel.name.encode() + _wheel_digest(wheel).encode())
    for path in _contents_files(contents):
        digest.update(str(path).encode() + b"\0" + path.read_bytes())
    stamp = digest.hexdigest()
    stamp_file = out_dir / STAMP_NAME
    if not force and stamp_file.exists() and stamp_file.read_text().strip() == stamp:
        return out_dir

    with build_lock(f"build_jupyterlite-{out_dir.name}"):
        staging = STAGING.with_name(f"{STAGING.name}-{out_dir.name}")
        shutil.rmtree(staging, ignore_errors=True)
        (staging / "pypi").mkdir(parents=True)
        for whl in [wheel, *piplite_wheels]:
            shutil.copy2(whl, staging / "pypi" / whl.name)
        _link_tree(pyodide_dir, staging / "static" / "pyodide")
        (staging / "jupyter-lite.json").write_text(json.dumps(jupyter_lite_config(), indent=2) + "\n")
        (staging / "jupyter_lite_config.json").write_text(
            json.dumps({"LiteBuildConfig": {"apps": list(APPS), "no_sourcemaps": True}}, indent=2) + "\n"
        )
        tmp_out = out_dir.with_name(out_dir.name + f".tmp-{os.getpid()}")
        shutil.rmtree(tmp_out, ignore_errors=True)
        cmd = [str(Path(_python()).parent / "jupyter"), "lite", "build", "--lite-dir", str(staging),
               "--output-dir", str(tmp_out)]  # fmt: skip
        for item in contents:
            cmd += ["--contents", str(item)]
        log("jupyter lite build (" + ", ".join(str(c.relative_to(ROOT) if c.is_relative_to(ROOT) else c) for c in contents) + ")")
        env = {**os.environ, "JUPYTER_PLATFORM_DIRS": "1", "PYTHONWARNINGS": "ignore"}
        result = subprocess.run(cmd, cwd=staging, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            sys.stderr.write(result.stdout[-5000:] + result.stderr[-5000:])
            raise SystemExit(f"jupyter lite build failed with exit code {result.returncode}")
        _check_site(tmp_out, wheel)
        (tmp_out / STAMP_NAME).write_text(stamp + "\n")
        old = out_dir.with_name(out_dir.name + f".old-{os.getpid()}")
        if out_dir.exists():
            out_dir.rename(old)
        tmp_out.rename(out_dir)
        shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
        log(f"built {out_dir.relative_to(ROOT) if out_dir.is_relative_to(ROOT) else out_dir}")
    return out_dir


def _check_site(site: Path, wheel: Path) -> None:
    """Fail the build early if a piece the kernel needs did not make it into the site."""
    config = json.loads((site / "jupyter-lite.json").read_text())["jupyter-config-data"]
    settings = config.get("litePluginSettings", {}).get(KERNEL_PLUGIN, {})
    problems = []
    if settings.get("pyodideUrl") != "./static/pyodide/pyodide.mjs":
        problems.append(f"pyodideUrl is {settings.get('pyodideUrl')!r}")
    if settings.get("disablePyPIFallback") is not True:
        problems.append("disablePyPIFallback is not true")
    for rel in ("static/pyodide/pyodide.mjs", "static/pyodide/micropip-0.11.1-py3-none-any.whl", f"pypi/{wheel.name}"):
        if not (site / rel).exists():
            problems.append(f"{rel} is missing")
    index = json.loads((site / "pypi" / "all.json").read_text())
    for name in ("cos-web", "comm"):
        if name not in index and name.replace("-", "_") not in index:
            problems.append(f"pypi/all.json lacks {name}")
    if problems:
        raise SystemExit("the built JupyterLite site is incomplete: " + "; ".join(problems))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    parser.add_argument("--output-dir", type=Path, default=OUT_DIR, help="default: build/jupyterlite")
    parser.add_argument("--contents", type=Path, action="append", help="files/folders to publish (default: notebooks/)")
    args = parser.parse_args()
    site = build_site(args.output_dir.resolve(), contents=args.contents, force=args.force)
    print(site)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
