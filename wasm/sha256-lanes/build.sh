#!/usr/bin/env bash
# Builds sha256-lanes.wasm (four SHA-256s at once in WebAssembly SIMD, for dm-verity hash trees) from
# sha256-lanes.c with Debian's clang-16 + lld-16. No upstream source and no libc: the C file is the
# whole program.
#
#   bash wasm/sha256-lanes/build.sh                  # rebuild sha256-lanes.wasm + build-info.json here
#   OUT_DIR=/tmp/x bash wasm/sha256-lanes/build.sh   # write them elsewhere (check the committed hash)
#
# Reproducible like the other recipes: -ffile-prefix-map, no debug info, no timestamps.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT_DIR="${OUT_DIR:-$HERE}"
CLANG=clang-16
WASM_LD=wasm-ld-16
for tool in "$CLANG" "$WASM_LD" sha256sum; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool missing; apt-get install clang-16 lld-16" >&2; exit 1; }
done

WORK="$(mktemp -d /tmp/partwright-sha256-lanes.XXXXXX)"
[ -n "${KEEP_WORK:-}" ] || trap 'rm -rf "$WORK"' EXIT

# -O3: the rounds are the whole cost. SIMD128 for the lanes, bulk memory for memcpy/memset.
CFLAGS="-O3 -msimd128 -mbulk-memory -ffreestanding -nostdlib -ffile-prefix-map=$HERE=/build -Wall -Wextra -Werror"
EXPORTS="--export=sl_input --export=sl_salt --export=sl_output --export=sl_hash_blocks"
# 1 MiB of input + 64 KiB of digests + scratch + a 64 KiB stack fit in 2 MiB; the memory never grows.
LDFLAGS="--no-entry --strip-all -z stack-size=65536 --initial-memory=2097152 --max-memory=2097152"

(
  cd "$WORK"
  export SOURCE_DATE_EPOCH=0 LC_ALL=C TZ=UTC
  $CLANG --target=wasm32 $CFLAGS -c "$HERE/sha256-lanes.c" -o sha256-lanes.o
  $WASM_LD $LDFLAGS $EXPORTS sha256-lanes.o -o sha256-lanes.wasm
)
mkdir -p "$OUT_DIR"
cp "$WORK/sha256-lanes.wasm" "$OUT_DIR/sha256-lanes.wasm"

wasm_sha256="$(sha256sum "$OUT_DIR/sha256-lanes.wasm" | cut -d' ' -f1)"
wasm_bytes="$(stat -c %s "$OUT_DIR/sha256-lanes.wasm")"
source_sha256="$(sha256sum "$HERE/sha256-lanes.c" | cut -d' ' -f1)"
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }
cat >"$OUT_DIR/build-info.json" <<JSON
{
  "tool": "sha256-lanes (SHA-256 of salt ‖ block, four blocks per SIMD vector)",
  "source": {"file": "sha256-lanes.c", "sha256": "$source_sha256"},
  "toolchain": {
    "clang-16": "$(pkgver clang-16)",
    "lld-16": "$(pkgver lld-16)"
  },
  "target": "wasm32 (SIMD128, bulk memory; no imports)",
  "cflags": "$(echo "$CFLAGS" | sed "s#$HERE#\$HERE#g")",
  "ldflags": "$LDFLAGS $EXPORTS",
  "output": {"file": "sha256-lanes.wasm", "bytes": $wasm_bytes, "sha256": "$wasm_sha256"}
}
JSON
echo "sha256-lanes.wasm: $wasm_bytes bytes, sha256 $wasm_sha256"
