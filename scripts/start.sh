#!/usr/bin/env bash
# `npm start`: install dependencies when needed, build the web app, serve it on 127.0.0.1.
# Arguments go to the server: `npm start -- --port 3000` (or PORT=3000 npm start; 0 = any free port).
# Needs Node >= 20.19 and npm; no root.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step says what it does and, when done, how long it took.
step_start=0
step() { step_start=$SECONDS; printf 'partwright: %s\n' "$1"; }
done_step() { printf 'partwright:   done in %ss\n' "$((SECONDS - step_start))"; }

if ! command -v node >/dev/null 2>&1; then
  echo "partwright: Node.js >= 20.19 is required (https://nodejs.org/ or your distribution's nodejs 20+)." >&2
  exit 1
fi
if ! node -e '
  const [major, minor] = process.versions.node.split(".").map(Number);
  process.exit(major > 20 || (major === 20 && minor >= 19) ? 0 : 1);
'; then
  echo "partwright: Node.js >= 20.19 is required; this is $(node --version)." >&2
  exit 1
fi

# node_modules must hold what package-lock.json lists (compared by content, not by file times).
if [ ! -f package-lock.json ] || ! node scripts/deps-current.mjs; then
  step "installing dependencies with npm (first run or package-lock.json changed; a few minutes on a slow line)…"
  # npm is quiet for minutes at a time: say every 30 s that it still runs.
  ( while sleep 30; do printf 'partwright:   still installing (%ss)…\n' "$((SECONDS - step_start))"; done ) &
  ticker=$!
  trap 'kill "$ticker" 2>/dev/null || true' EXIT
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund
  else
    npm install --no-audit --no-fund
  fi
  kill "$ticker" 2>/dev/null || true
  done_step
fi

step "building the command-line tool (if its sources changed)…"
node scripts/build-cli.mjs --if-stale
done_step

step "building the web app (vite: app, engine worker, WASM tools)…"
npx --no-install vite build --logLevel warn
done_step

step "starting the server…"

exec npx --no-install tsx server/main.ts "$@"
