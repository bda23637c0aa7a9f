"""Prepare build/pyodide/: the Pyodide folder that PyScript pages and the JupyterLite kernel load.

Why this exists
---------------
npm ``pyodide@314.0.7`` ships only the interpreter core (``pyodide.mjs``, ``pyodide.asm.*``,
``python_stdlib.zip``, ``pyodide-lock.json``) and none of the wheels its lock lists. Two
things we serve need some of them at boot:

- PyScript installs a page's ``"packages"`` through ``micropip``, which it loads from the
  lock: without the wheel the page logs "Failed to load micropip".
- The JupyterLite Pyodide kernel loads ``micropip``, then ``ipython``, ``jedi`` and their
  dependencies from the lock before the first cell runs.

So this script makes a served copy of ``node_modules/pyodide`` (hard links, or copies across
file systems; ``node_modules`` is never edited) and adds those wheels, downloaded from PyPI at
exactly the lock's versions, pinned with their hashes in ``scripts/pyodide-extra.lock``
(``pip download --no-deps --python-version 3.14 --only-binary=:all: --require-hashes``; both
the version and binary flags are needed because this machine's Python is 3.11). The PyPI
wheels are not byte-identical to the ones Pyodide built its lock from, and the browser's
integrity check refuses a wrong ``sha256`` (it shows up as "Failed to load micropip ...
Failed to fetch"), so the copy's ``pyodide-lock.json`` is rewritten: its entries are trimmed to
the wheels actually present, each with the real ``sha256`` of the file beside it. A page then
loads ``/build/pyodide/pyodide.mjs`` (or ``indexURL: "/build/pyodide/"``) instead of
``/node_modules/pyodide/``.

Idempotent: a stamp (hash of the npm package, its lock, the pinned list and this script's
format version) makes a second run return at once; downloaded wheels are cached under
``build/wheel-cache/`` and checked against their pinned hashes. Safe to run concurrently
(a file lock serialises builders).

Usage::

    .venv/bin/python scripts/prepare_pyodide.py [--force]

or from Python (tests, other scripts)::

    from scripts.prepare_pyodide import prepare_pyodide
    folder = prepare_pyodide()   # -> ROOT/build/pyodide
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NPM_PYODIDE = ROOT / "node_modules" / "pyodide"
EXTRA_LOCK = ROOT / "scripts" / "pyodide-extra.lock"
OUT_DIR = ROOT / "build" / "pyodide"
WHEEL_CACHE = ROOT / "build" / "wheel-cache"
STAMP_NAME = ".cos-web-stamp"
FORMAT_VERSION = "2"  # bump when the output layout changes

_REQ = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>\S+)\s+--hash=sha256:(?P<sha256>[0-9a-f]{64})\s*$")


def log(message: str) -> None:
    print(f"prepare_pyodide: {message}", file=sys.stderr, flush=True)


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_pins(lock_file: Path) -> list[dict]:
    """``name==version --hash=sha256:HEX`` lines (comments and blanks ignored)."""
    pins = []
    for number, line in enumerate(lock_file.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = _REQ.match(line)
        if not match:
            raise SystemExit(f"{lock_file}:{number}: expected 'name==version --hash=sha256:HEX', got {line!r}")
        pins.append(match.groupdict())
    return pins


def _wheel_matches(path: Path, pin: dict) -> bool:
    parts = path.name.split("-")
    return len(parts) >= 5 and normalize(parts[0]) == normalize(pin["name"]) and parts[1] == pin["version"]


def _cached(pin: dict, cache: Path) -> Path | None:
    for path in cache.glob("*.whl"):
        if _wheel_matches(path, pin) and sha256_of(path) == pin["sha256"]:
            return path
    return None


def _python_with_pip() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def download_pinned(lock_file: Path, cache: Path = WHEEL_CACHE, python_version: str = "3.14") -> list[Path]:
    """Return the wheels pinned in ``lock_file``, downloading the missing ones into ``cache``.

    Each wheel is fetched from the package index by pip at its pinned version and checked
    against its pinned sha256 (pip's ``--require-hashes``, then again here).
    """
    cache.mkdir(parents=True, exist_ok=True)
    pins = read_pins(lock_file)
    missing = [pin for pin in pins if _cached(pin, cache) is None]
    if missing:
        log(f"downloading {len(missing)} pinned wheel(s): " + ", ".join(f"{p['name']}=={p['version']}" for p in missing))
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as req:
            req.writelines(f"{p['name']}=={p['version']} --hash=sha256:{p['sha256']}\n" for p in missing)
        try:
            subprocess.run(
                [_python_with_pip(), "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                 "--no-deps", "--only-binary=:all:", "--python-version", python_version,
                 "--require-hashes", "-r", req.name, "-d", str(cache)],
                check=True,
            )  # fmt: skip
        finally:
            os.unlink(req.name)
    wheels = []
    for pin in pins:
        path = _cached(pin, cache)
        if path is None:
            raise SystemExit(f"{pin['name']}=={pin['version']}: no wheel with sha256 {pin['sha256']} in {cache}")
        wheels.append(path)
    return wheels


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


@contextmanager
def build_lock(name: str):
    """Serialise concurrent builders of the same output (several test sessions, the demo)."""
    lock_path = ROOT / "build" / f".{name}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _stamp() -> str:
    digest = hashlib.sha256(FORMAT_VERSION.encode())
    for path in (NPM_PYODIDE / "package.json", NPM_PYODIDE / "pyodide-lock.json", EXTRA_LOCK):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def is_current(out_dir: Path = OUT_DIR) -> bool:
    stamp = out_dir / STAMP_NAME
    return stamp.exists() and stamp.read_text().strip() == _stamp() and (out_dir / "pyodide.mjs").exists()


def prepare_pyodide(out_dir: Path = OUT_DIR, force: bool = False) -> Path:
    """Build (or reuse) the served Pyodide folder; returns its path."""
    if not (NPM_PYODIDE / "pyodide.mjs").exists():
        raise SystemExit(f"{NPM_PYODIDE} is missing: run scripts/bootstrap.sh (npm ci) first")
    if not force and is_current(out_dir):
        return out_dir
    with build_lock("prepare_pyodide"):
        if not force and is_current(out_dir):  # another process built it while we waited
            return out_dir
        wheels = download_pinned(EXTRA_LOCK)
        tmp = out_dir.with_name(out_dir.name + f".tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for src in NPM_PYODIDE.iterdir():
            if src.is_file() and src.name != "pyodide-lock.json":
                _link_or_copy(src, tmp / src.name)

        lock = json.loads((NPM_PYODIDE / "pyodide-lock.json").read_text())
        by_name = {normalize(key): (key, entry) for key, entry in lock["packages"].items()}
        packages = {}
        for wheel in wheels:
            key, entry = by_name.get(normalize(wheel.name.split("-")[0]), (None, None))
            if entry is None:
                raise SystemExit(f"{wheel.name} is pinned in {EXTRA_LOCK.name} but not in Pyodide's lock")
            if wheel.name != entry["file_name"] or f"-{entry['version']}-" not in wheel.name:
                raise SystemExit(f"{wheel.name} does not match the lock's {entry['file_name']}")
            _link_or_copy(wheel, tmp / entry["file_name"])
            packages[key] = {**entry, "sha256": sha256_of(wheel)}  # keep the lock's key (normalized name)
        # Every dependency of a kept entry must be kept too, or the loader would fetch a 404.
        kept = {normalize(name) for name in packages}
        for entry in packages.values():
            absent = [dep for dep in entry["depends"] if normalize(dep) not in kept]
            if absent:
                raise SystemExit(f"{entry['name']} depends on {absent}, which {EXTRA_LOCK.name} does not pin")
        lock["packages"] = dict(sorted(packages.items()))
        (tmp / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=False) + "\n")
        (tmp / STAMP_NAME).write_text(_stamp() + "\n")

        old = out_dir.with_name(out_dir.name + f".old-{os.getpid()}")
        if out_dir.exists():
            out_dir.rename(old)
        tmp.rename(out_dir)
        shutil.rmtree(old, ignore_errors=True)
        log(f"built {out_dir.relative_to(ROOT)} ({len(packages)} wheels added to the lock)")
    return out_dir


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args()
    out = prepare_pyodide(force=args.force)
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
