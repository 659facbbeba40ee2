#!/usr/bin/env bash
# `npm run fuzz`: every parser's property-based test (fast-check) for FUZZ_SECONDS each (default
# 600): GPT, MBR, disk inspection, Android sparse, qcow2, VHD, bmap, ISO 9660, FAT, narinfo, NAR,
# zstd NAR bodies, damaged tar/tar.gz/tar.zst/cpio/zip archives, repart.d import → layout JSON →
# plan → export → import, share links.
# Each property prints "fuzz NAME: starting (FUZZ_SEED=…)" when it starts and "fuzz NAME: N inputs in
# S s, … (FUZZ_SEED=…)" when it ends; FUZZ_SEED=… reproduces a run. An input still running after
# FUZZ_STALL_SECONDS (default 30) ends the run with "fuzz NAME: STALLED: run N …" and the input
# (workers/test-support/fuzz.ts); FUZZ_SEED=… FUZZ_PATH=N replays exactly that input.
# `npm test` runs the same files briefly (a few hundred inputs each).
set -euo pipefail
cd "$(dirname "$0")/.."
export FUZZ_SECONDS="${FUZZ_SECONDS:-600}"
files=(workers/formats/fuzz.test.ts workers/formats/archive/archive-fuzz.test.ts workers/nix/fuzz.test.ts workers/model/round-trip.test.ts web/lib/share-link.fuzz.test.ts)
echo "fuzz: ${FUZZ_SECONDS} s per property${FUZZ_SEED:+, FUZZ_SEED=$FUZZ_SEED}"
# The summary: vitest's colour codes stripped first (they prefix the first line a test prints); the
# exit status is vitest's, whether or not the summary found lines.
set +e +o pipefail
npx vitest run --maxWorkers=2 "${files[@]}" "$@" 2>&1 | tee /dev/stderr | sed -u 's/\x1b\[[0-9;]*m//g' | grep -E '^fuzz .*(inputs in|STALLED)' | sed 's/^/summary: /' >&2
status="${PIPESTATUS[0]}"
exit "$status"
