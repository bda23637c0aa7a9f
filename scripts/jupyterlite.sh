#!/usr/bin/env bash
# Build the JupyterLite site (notebooks in the browser, cos_web installable with %pip) offline into
# build/jupyterlite/. Needs the package registries only (pinned wheels), never a CDN at run time.
# Extra arguments go to scripts/build_jupyterlite.py (--help lists them).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/python scripts/build_jupyterlite.py "$@"
