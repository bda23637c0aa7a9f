#!/usr/bin/env bash
# The whole test suite: CPython unit tests, the local COS server, and Chromium end to end.
# Extra arguments go to pytest (e.g. scripts/test.sh -k resume -x).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/python -m pytest "$@"
