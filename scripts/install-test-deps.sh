#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian 12 machine: the real tools that are the tests'
# oracles, and Debian's Chromium for the e2e tests (browsers are never downloaded).
# Runs apt only for packages that are missing, and only as root; otherwise says what to install.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use (one per line in scripts/test-packages.txt, comments allowed).
mapfile -t packages < <(awk '{ sub(/#.*/, ""); gsub(/[ \t]+/, ""); if ($0 != "") print }' scripts/test-packages.txt)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "install-test-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "install-test-deps: missing Debian packages: ${missing[*]}" >&2
    echo "install-test-deps: run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

# npm packages: install when node_modules is missing or older than the lockfile.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install-test-deps: npm ci"
  npm ci --no-audit --no-fund
fi
