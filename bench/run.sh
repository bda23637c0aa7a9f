#!/usr/bin/env bash
# The benchmarks of issue 9: writes BENCHMARKS.md and bench/results.json.
# Arguments go to `python -m bench` (--quick, --profile, --reps N; see bench/run.py).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
if ! command -v curl >/dev/null 2>&1; then
  [ -f /tmp/.cos-web-apt-updated ] || { apt-get update -qq && touch /tmp/.cos-web-apt-updated; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null
fi
case " $* " in
  *" --profile "*) .venv/bin/python -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("py_spy") is None)' 2>/dev/null ||
                   [ -x .venv/bin/py-spy ] || .venv/bin/python -m pip install -q --disable-pip-version-check py-spy==0.4.2 ;;
esac
exec .venv/bin/python -m bench "$@"
