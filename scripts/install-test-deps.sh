#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian 12 machine: the real tools that are the tests'
# oracles, and Debian's Chromium for the e2e tests (browsers are never downloaded).
# Runs apt only for packages that are missing, and only as root; otherwise says what to install.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use (one per line in scripts/test-packages.txt, comments allowed).
mapfile -t packages < <(awk '{ sub(/#.*/, ""); gsub(/[ \t]+/, ""); if ($0 != "") print }' scripts/test-packages.txt)

# The WASM recipes' rebuild tests fetch Debian's pinned sources with `apt-get source`, which needs a
# deb-src entry; a fresh Debian 12 has only binary (deb) entries. Add the matching deb-src ones.
need_update=0
if [ "$(id -u)" -eq 0 ] && ! grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  src=/etc/apt/sources.list.d/partwright-deb-src.sources
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    echo "install-test-deps: adding deb-src entries ($src) for the WASM recipes' pinned sources"
    sed -E 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$src"
    need_update=1
  elif [ -f /etc/apt/sources.list ] && grep -qE '^deb ' /etc/apt/sources.list; then
    echo "install-test-deps: adding deb-src entries (/etc/apt/sources.list.d/partwright-deb-src.list)"
    sed -nE 's/^deb (.*)/deb-src \1/p' /etc/apt/sources.list > /etc/apt/sources.list.d/partwright-deb-src.list
    need_update=1
  fi
fi

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
    need_update=0
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "install-test-deps: missing Debian packages: ${missing[*]}" >&2
    echo "install-test-deps: run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

if [ "$need_update" -eq 1 ]; then apt-get update -qq; fi

# npm packages: install when node_modules does not hold what package-lock.json lists.
if ! node scripts/deps-current.mjs; then
  echo "install-test-deps: npm ci"
  npm ci --no-audit --no-fund
fi
