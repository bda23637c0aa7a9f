"""Run the demo: the local COS server (demo bucket, data under .cos-data/) and the pages in static/.

Prints the URLs to open. Ctrl-C stops both.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import PWCONFIG, build_wheel, start_static_server  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000, help="port of the page server (default 8000)")
    parser.add_argument("--cos-port", type=int, default=9000, help="port of the local COS server (default 9000)")
    parser.add_argument("--data-dir", default=str(ROOT / ".cos-data"), help="where the COS server keeps data")
    args = parser.parse_args()

    wheel = build_wheel()
    cos = subprocess.Popen(
        [sys.executable, "-m", "cos_web.server", "--port", str(args.cos_port), "--data-dir", args.data_dir,
         "--secret-id", PWCONFIG.SECRET_ID, "--secret-key", PWCONFIG.SECRET_KEY, "--bucket", PWCONFIG.BUCKET],
        cwd=ROOT,
    )  # fmt: skip
    static = start_static_server(ROOT, args.port)
    base = f"http://127.0.0.1:{static.server_address[1]}"
    print(f"cos_web wheel: {wheel.name}")
    print(f"upload page:   {base}/static/index.html")
    sys.stdout.flush()
    try:
        return cos.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        cos.terminate()
        static.shutdown()


if __name__ == "__main__":
    raise SystemExit(main())
