#!/usr/bin/env bash
# The main job: the local COS server with a demo bucket, plus the upload page, on built-in defaults.
# Extra arguments go to scripts/demo.py (--help lists them).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/python scripts/demo.py "$@"
