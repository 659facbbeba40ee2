#!/usr/bin/env bash
# Type-check each runtime on its own so that DOM code cannot reach the engine and Node code stays out
# of the worker: one tsconfig per runtime (see STYLE.md §1). Checks all of them, fails if any fails.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
for p in workers/tsconfig.json workers/hosts/node/tsconfig.json cli/tsconfig.json server/tsconfig.json e2e/tsconfig.json test/tsconfig.json tsconfig.test.json; do
  [ -f "$p" ] || continue
  echo "typecheck: $p"
  npx tsc -p "$p" || status=1
done
if [ -f web/tsconfig.json ]; then
  echo "typecheck: web/tsconfig.json (svelte-check)"
  npx svelte-check --tsconfig web/tsconfig.json --fail-on-warnings=false --output human || status=1
fi
exit $status
