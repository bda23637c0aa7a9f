"""Run the demo: the local COS server with a demo bucket (data under .cos-data/), and the upload page.

Prints the URLs to open. Ctrl-C stops both.

With COS_SECRET_ID, COS_SECRET_KEY and COS_BUCKET (and COS_REGION) in the environment, no
local server starts: the page talks to real Tencent Cloud COS and the signing endpoint signs
with those keys (the bucket needs a CORS rule allowing this page's origin).
"""

from __future__ import annotations

import argparse
import errno
import os
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cos_web.demo import DemoServer, DemoSettings, pyodide_dir  # noqa: E402
from scripts.wheel import build_wheel  # noqa: E402


def prepare_pyodide() -> bool:
    """build/pyodide with micropip, so PyScript's ``packages`` works; False if it cannot be made
    (e.g. offline on a fresh machine): the page then installs the wheel through ``files``."""
    if pyodide_dir(ROOT)[1]:
        return True
    script = ROOT / "scripts" / "prepare_pyodide.py"
    if not script.exists():
        return False
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, stdout=subprocess.DEVNULL)
    return done.returncode == 0 and pyodide_dir(ROOT)[1]


def build_notebooks(wheel: Path) -> bool:
    """build/jupyterlite (scripts/build_jupyterlite.py, incremental), served at /jupyterlite/;
    False if it cannot be built here: the upload page works without it."""
    try:
        from scripts.build_jupyterlite import build_site

        build_site(wheel=wheel)
        return True
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - reported, then the demo goes on
        print(f"notebooks: not built ({exc}); the upload page works without them", file=sys.stderr)
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address of both servers (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port of the page server (default 8000)")
    parser.add_argument("--cos-port", type=int, default=9000, help="port of the local COS server (default 9000)")
    parser.add_argument("--data-dir", default=str(ROOT / ".cos-data"), help="where the local COS server keeps data")
    args = parser.parse_args()

    wheel = build_wheel()
    with_packages = prepare_pyodide()
    build_notebooks(wheel)
    settings = DemoSettings.from_env(cos_port=args.cos_port)
    cos = None
    try:
        if settings.mode == "local":
            from cos_web.server import start_in_thread

            cos = start_in_thread(host=args.host, port=args.cos_port, data_dir=args.data_dir, quiet=True,
                                  buckets=[settings.bucket], region=settings.region,
                                  secret_id=settings.secret_id, secret_key=settings.secret_key)  # fmt: skip
            settings = DemoSettings.from_env(cos_port=cos.port, sts_issuer=cos.issue_temporary_credentials)
        demo = DemoServer(settings, host=args.host, port=args.port).start()
    except OSError as exc:
        if cos is not None:
            cos.stop()
        if exc.errno == errno.EADDRINUSE:
            which = "--port" if cos is not None else "--cos-port"
            print(f"demo: a port is already in use ({exc.strerror}); is the demo already running? "
                  f"Pick another with {which}.", file=sys.stderr)  # fmt: skip
            return 1
        raise

    print(f"cos_web wheel:   {wheel.relative_to(ROOT)} (installed by PyScript through "
          f"{'packages/micropip' if with_packages else 'files, unpacked; no micropip here'})")  # fmt: skip
    if cos is not None:
        print(f"local COS:       {cos.url}  bucket {settings.bucket} ({settings.region}), data in {os.path.relpath(args.data_dir)}")
    else:
        print(f"real COS:        bucket {settings.bucket} ({settings.region}), keys from COS_SECRET_ID/COS_SECRET_KEY")
    print(f"upload page:     {demo.url}/static/index.html")
    print(f"minimal widget:  {demo.url}/static/widget-minimal.html")
    if (ROOT / "build" / "jupyterlite" / "index.html").exists():
        print(f"notebook:        {demo.url}/jupyterlite/notebooks/index.html?path=cos_web_demo.ipynb")
    else:
        print("notebook:        (build the JupyterLite site first: bash scripts/jupyterlite.sh)")
    print("Ctrl-C stops.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        demo.stop()
        if cos is not None:
            cos.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
