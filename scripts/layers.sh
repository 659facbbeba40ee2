#!/usr/bin/env bash
# Layer rules (STYLE.md §1) with dependency-cruiser (.dependency-cruiser.cjs), plus the one rule an
# import graph cannot see: wasm/ files are reached by `new URL('…wasm/…', import.meta.url)`, which
# only workers/tools/ may write.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
node scripts/layers.mjs || status=1
urls=$(grep -rnE "new URL\([^)]*wasm/" --include=*.ts --include=*.svelte web workers cli server | grep -v '^workers/tools/' | grep -v '\.test\.ts:' | grep -v '/test-support/' || true)
if [ -n "$urls" ]; then
  echo "layers: only workers/tools/ may load from wasm/:"; echo "$urls"; status=1
fi
exit $status
