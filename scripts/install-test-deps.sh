#!/usr/bin/env bash
# What `make test` needs beyond scripts/install-deps.sh, for the browser tests (idempotent):
# Debian's Chromium, and in a project-local virtual environment (.venv) Playwright for Python,
# which drives that Chromium (Playwright downloads no browser of its own here), and Schemathesis,
# which tests the API against its OpenAPI document.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(chromium python3-venv fonts-dejavu-core)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian's python3, so the environment works the same on every machine.
playwright=1.65.3
schemathesis=4.32.5
installed() { .venv/bin/python -c "import sys, importlib.metadata as m; sys.exit(m.version('$1') != '$2')" 2>/dev/null; }
if ! installed playwright "$playwright" || ! installed schemathesis "$schemathesis"; then
  rm -rf .venv
  /usr/bin/python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "playwright==$playwright" "schemathesis==$schemathesis"
fi
