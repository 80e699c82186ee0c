#!/usr/bin/env bash
# Installs the Debian packages Pictor needs to build, run and test (idempotent).
set -euo pipefail

packages=(
  libfcgi-dev libpq-dev libcurl4-openssl-dev libssl-dev libmagickwand-dev
  pkg-config postgresql nginx curl wrk
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts nginx and the distribution's PostgreSQL cluster on install; Pictor runs its own.
$SUDO systemctl disable --now nginx postgresql >/dev/null 2>&1 || true
$SUDO service nginx stop >/dev/null 2>&1 || true
