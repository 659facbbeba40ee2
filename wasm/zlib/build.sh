#!/usr/bin/env bash
# Builds zlib.wasm (one-shot zlib compression of squashfs blocks, no imports) from Debian's zlib
# 1.2.13 source with Debian's clang-16 + wasi-libc (for malloc/memcpy only).
#
#   bash wasm/zlib/build.sh                  # rebuild zlib.wasm + build-info.json here
#   OUT_DIR=/tmp/x bash wasm/zlib/build.sh   # write them elsewhere (check the committed hash)
#   ZLIB_SRC_DIR=/work/src ...               # where zlib_1.2.13.dfsg.orig.tar.bz2 is (else: apt-get source)
#
# Only the compressor is compiled (deflate, trees, adler32, crc32, zutil) with zlib-block.c; the
# linker's --gc-sections keeps what it reaches. Reproducible like wasm/zstd: pinned source hash,
# -ffile-prefix-map, no debug info, no timestamps.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/../recipe-lib.sh"
OUT_DIR="${OUT_DIR:-$HERE}"

UPSTREAM_VERSION=1.2.13
DEBIAN_VERSION=1:1.2.13.dfsg-1
ORIG_TARBALL="zlib_1.2.13.dfsg.orig.tar.bz2"
ORIG_SHA256=71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1
CLANG=clang-16
WASM_OPT=wasm-opt
WASM_OPT_FLAGS="-O2 --enable-sign-ext --enable-mutable-globals --enable-bulk-memory --strip-debug --strip-producers"

require_tools "clang-16 lld-16 wasi-libc libclang-rt-16-dev-wasm32 binaryen bzip2" "$CLANG" wasm-ld-16 "$WASM_OPT" sha256sum bzip2

WORK="$(mktemp -d /tmp/partwright-zlib.XXXXXX)"
[ -n "${KEEP_WORK:-}" ] || trap 'rm -rf "$WORK"' EXIT

tarball="$(pinned_source zlib "$DEBIAN_VERSION" "$ORIG_TARBALL" "$ORIG_SHA256" "$HERE/.cache" "${ZLIB_SRC_DIR:-}" /work/src)"
tar -xjf "$tarball" -C "$WORK"
SRC="$(find "$WORK" -maxdepth 1 -type d -name 'zlib-*' | head -1)"
cp "$HERE/zlib-block.c" "$WORK/"

SYSROOT="$WORK/sysroot"
make_sysroot "$SYSROOT"

# Speed over size (whole partitions go through it): -O2, then wasm-opt -O2.
CFLAGS="-O2 -mbulk-memory -Wno-deprecated-non-prototype -I$SRC -ffile-prefix-map=$WORK=/build -ffunction-sections -fdata-sections -Wno-unused-command-line-argument"
LDFLAGS="-nostartfiles -Wl,--no-entry -Wl,--gc-sections -Wl,--strip-all -Wl,-z,stack-size=262144 -Wl,--initial-memory=4194304"
SOURCES=(zlib-block.c "$SRC/deflate.c" "$SRC/trees.c" "$SRC/adler32.c" "$SRC/crc32.c" "$SRC/zutil.c")

(
  cd "$WORK"
  export SOURCE_DATE_EPOCH=0 LC_ALL=C TZ=UTC
  objs=()
  mkdir -p "$WORK/obj"
  for src in "${SOURCES[@]}"; do
    obj="$WORK/obj/$(basename "${src%.c}").o"
    $CLANG --target=wasm32-wasi --sysroot="$SYSROOT" $CFLAGS -c "$src" -o "$obj"
    objs+=("$obj")
  done
  $CLANG --target=wasm32-wasi --sysroot="$SYSROOT" $LDFLAGS "${objs[@]}" -o "$WORK/zlib.wasm"
)

mkdir -p "$OUT_DIR"
"$WASM_OPT" $WASM_OPT_FLAGS "$WORK/zlib.wasm" -o "$OUT_DIR/zlib.wasm"

wasm_sha256="$(sha256sum "$OUT_DIR/zlib.wasm" | cut -d' ' -f1)"
wasm_bytes="$(stat -c %s "$OUT_DIR/zlib.wasm")"
wrapper_sha256="$(sha256sum "$HERE/zlib-block.c" | cut -d' ' -f1)"
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }
cat >"$OUT_DIR/build-info.json" <<JSON
{
  "tool": "zlib (squashfs gzip block compressor)",
  "upstream": "zlib",
  "upstreamVersion": "$UPSTREAM_VERSION",
  "debianSourcePackage": "zlib",
  "debianSourceVersion": "$DEBIAN_VERSION",
  "source": {"file": "$ORIG_TARBALL", "sha256": "$ORIG_SHA256"},
  "wrapper": {"file": "zlib-block.c", "sha256": "$wrapper_sha256"},
  "compiled": "zlib-block.c deflate.c trees.c adler32.c crc32.c zutil.c",
  "toolchain": {
    "clang-16": "$(pkgver clang-16)",
    "lld-16": "$(pkgver lld-16)",
    "wasi-libc": "$(pkgver wasi-libc)",
    "libclang-rt-16-dev-wasm32": "$(pkgver libclang-rt-16-dev-wasm32)",
    "binaryen": "$(pkgver binaryen)"
  },
  "target": "wasm32-wasi (no imports)",
  "cflags": "$(echo "$CFLAGS" | sed "s#$WORK#\$WORK#g")",
  "ldflags": "$LDFLAGS",
  "wasmOpt": "$WASM_OPT_FLAGS",
  "output": {"file": "zlib.wasm", "bytes": $wasm_bytes, "sha256": "$wasm_sha256"}
}
JSON
echo "zlib.wasm: $wasm_bytes bytes, sha256 $wasm_sha256"
