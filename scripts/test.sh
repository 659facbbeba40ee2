#!/usr/bin/env bash
# `npm test`: installs what the tests need (Debian packages when run as root, npm packages), then
# type-checks every runtime, runs the unit tests (Vitest, real tools as oracles) and the e2e tests
# (Playwright in Debian's Chromium against the production build), and prints one closing line.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh
node scripts/build-cli.mjs --if-stale

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

status=0
echo "== typecheck"
bash scripts/typecheck.sh || status=1

echo "== unit tests (vitest)"
# The examples' boot files (examples/iso-hybrid/assets) from Debian's packages, before any test reads them.
bash scripts/assets.sh
npx vitest run --reporter=default --reporter=json --outputFile.json="$results/vitest.json" || status=1

echo "== boot tests (QEMU, TCG)"
bash scripts/boot-assets.sh
npx vitest run --config test/boot/vitest.config.ts --reporter=default --reporter=json --outputFile.json="$results/vitest-boot.json" || status=1

if [ -f playwright.config.ts ]; then
  echo "== e2e tests (playwright, Debian chromium)"
  PLAYWRIGHT_JSON_OUTPUT_NAME="$results/playwright.json" npx playwright test --reporter=list,json || status=1
fi

node scripts/test-summary.mjs "$results" || status=1
exit $status
