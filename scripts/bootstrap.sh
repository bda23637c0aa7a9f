#!/usr/bin/env bash
# Install what a fresh machine lacks, idempotently and quickly when nothing changed:
#   Debian chromium (as root), Node.js/npm if absent, .venv from requirements.lock,
#   node_modules from package-lock.json (npm ci).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'bootstrap: %s\n' "$*" >&2; }

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    log "need Debian packages: $*; run as root or: sudo apt-get install -y $*"
    exit 1
  fi
  if [ ! -f /tmp/.cos-web-apt-updated ]; then
    apt-get update -qq && touch /tmp/.cos-web-apt-updated
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# 1. A browser: Debian's chromium (Playwright cannot download its own here).
if [ -n "${COS_WEB_CHROMIUM:-}" ]; then
  [ -x "$COS_WEB_CHROMIUM" ] || { log "COS_WEB_CHROMIUM=$COS_WEB_CHROMIUM is not executable"; exit 1; }
elif [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi

# 2. Node.js and npm, for Pyodide/PyScript/cos-js-sdk-v5 from package-lock.json.
command -v npm >/dev/null 2>&1 || apt_install nodejs npm

# 3. Python 3.11+ virtualenv with the pinned packages.
pick_python() {
  for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return
    fi
  done
  log "need Python 3.11 or newer (set PYTHON=/path/to/python3.11)"; exit 1
}
stamp_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

if [ ! -x .venv/bin/python ]; then
  py=$(pick_python)
  log "creating .venv with $py"
  "$py" -m venv .venv
fi
want=$(stamp_of requirements.lock pyproject.toml)
if [ "$(cat .venv/.cos-web-stamp 2>/dev/null)" != "$want" ]; then
  log "installing Python packages from requirements.lock"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.lock
  echo "$want" > .venv/.cos-web-stamp
fi

# 4. Browser-side packages, exactly as locked.
want=$(stamp_of package-lock.json)
if [ "$(cat node_modules/.cos-web-stamp 2>/dev/null)" != "$want" ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  echo "$want" > node_modules/.cos-web-stamp
fi
