"""Build the cos_web wheel from the working tree: the one builder that tests, demo, bench and
the JupyterLite build share.

It builds from a private copy of the sources, so builds running at the same time (two test
sessions, a test run beside the demo) never share setuptools' ``build/`` folders, and it puts
the wheel in place with an atomic rename, so a server reading it never sees half a file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WHEEL_DIR = ROOT / "build" / "wheel"


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
