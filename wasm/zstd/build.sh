#!/usr/bin/env bash
# Builds zstd.wasm (a streaming zstd compressor and decompressor, no imports) from Debian's libzstd 1.5.4 source with
# Debian's clang-16 + wasi-libc (for malloc/memcpy only).
#
#   bash wasm/zstd/build.sh                  # rebuild zstd.wasm + build-info.json here
#   OUT_DIR=/tmp/x bash wasm/zstd/build.sh   # write them elsewhere (check the committed hash)
#   ZSTD_SRC_DIR=/work/src ...               # where libzstd_1.5.4+dfsg2.orig.tar.xz is (else: apt-get source)
#
# Only lib/common, lib/compress and lib/decompress's C files are compiled (no dictionary builder,
# legacy formats, threads, CLI, nor huf_decompress_amd64.S: ZSTD_DISABLE_ASM, and it is x86 code);
# the linker's --gc-sections keeps what zstd-stream.c reaches. Reproducible like
# wasm/e2fsprogs: pinned source hash, -ffile-prefix-map, no debug info, no timestamps.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/../recipe-lib.sh"
OUT_DIR="${OUT_DIR:-$HERE}"

UPSTREAM_VERSION=1.5.4
DEBIAN_VERSION=1.5.4+dfsg2-5
ORIG_TARBALL="libzstd_1.5.4+dfsg2.orig.tar.xz"
ORIG_SHA256=8cf4bbb65e77ec348d052c8d6230eba66d435bddf64c8b5be2fcb16880c19953
CLANG=clang-16
WASM_OPT=wasm-opt
WASM_OPT_FLAGS="-Oz --enable-sign-ext --enable-mutable-globals --enable-bulk-memory --strip-debug --strip-producers"

require_tools "clang-16 lld-16 wasi-libc libclang-rt-16-dev-wasm32 binaryen xz-utils" "$CLANG" wasm-ld-16 "$WASM_OPT" sha256sum xz

WORK="$(mktemp -d /tmp/partwright-zstd.XXXXXX)"
[ -n "${KEEP_WORK:-}" ] || trap 'rm -rf "$WORK"' EXIT

# --- source: Debian's pinned .orig tarball (source package "libzstd") ------------------------------
tarball="$(pinned_source libzstd "$DEBIAN_VERSION" "$ORIG_TARBALL" "$ORIG_SHA256" "$HERE/.cache" "${ZSTD_SRC_DIR:-}" /work/src)"

SRC="$WORK/zstd-$UPSTREAM_VERSION"
tar -xJf "$tarball" -C "$WORK"
cp "$HERE/zstd-stream.c" "$WORK/"

# --- private sysroot: only wasi-libc (Debian's clang would otherwise fall back to /usr/include) -----
SYSROOT="$WORK/sysroot"
make_sysroot "$SYSROOT"

# Speed matters more than a few KiB here (GiB-sized images go through it): -O2 for the C, then
# wasm-opt -Oz, which shrinks without undoing clang's inlining. Bulk memory makes memcpy/memset
# single instructions (every current browser and Node >= 12 have it).
DEFINES="-DZSTD_LEGACY_SUPPORT=0 -DZSTD_TRACE=0 -DDEBUGLEVEL=0 -DZSTD_DISABLE_ASM -DXXH_NAMESPACE=ZSTD_"
CFLAGS="-O2 -mbulk-memory $DEFINES -I$SRC/lib -I$SRC/lib/common -ffile-prefix-map=$WORK=/build -ffunction-sections -fdata-sections -Wno-unused-command-line-argument"
LDFLAGS="-nostartfiles -Wl,--no-entry -Wl,--gc-sections -Wl,--strip-all -Wl,-z,stack-size=262144 -Wl,--initial-memory=4194304"
SOURCES=(zstd-stream.c "$SRC"/lib/common/*.c "$SRC"/lib/compress/*.c "$SRC"/lib/decompress/*.c)

(
  cd "$WORK"
  export SOURCE_DATE_EPOCH=0 LC_ALL=C TZ=UTC
  objs=()
  for src in "${SOURCES[@]}"; do
    obj="$WORK/obj/$(basename "${src%.c}").o"
    mkdir -p "$WORK/obj"
    $CLANG --target=wasm32-wasi --sysroot="$SYSROOT" $CFLAGS -c "$src" -o "$obj"
    objs+=("$obj")
  done
  # Linked without -O: clang-16 would otherwise run wasm-opt itself, with its own feature flags.
  $CLANG --target=wasm32-wasi --sysroot="$SYSROOT" $LDFLAGS "${objs[@]}" -o "$WORK/zstd.wasm"
)

mkdir -p "$OUT_DIR"
"$WASM_OPT" $WASM_OPT_FLAGS "$WORK/zstd.wasm" -o "$OUT_DIR/zstd.wasm"

# --- build-info.json ------------------------------------------------------------------------------
wasm_sha256="$(sha256sum "$OUT_DIR/zstd.wasm" | cut -d' ' -f1)"
wasm_bytes="$(stat -c %s "$OUT_DIR/zstd.wasm")"
wrapper_sha256="$(sha256sum "$HERE/zstd-stream.c" | cut -d' ' -f1)"
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }
cat >"$OUT_DIR/build-info.json" <<JSON
{
  "tool": "zstd (streaming compressor and decompressor)",
  "upstream": "zstd",
  "upstreamVersion": "$UPSTREAM_VERSION",
  "debianSourcePackage": "libzstd",
  "debianSourceVersion": "$DEBIAN_VERSION",
  "source": {"file": "$ORIG_TARBALL", "sha256": "$ORIG_SHA256"},
  "wrapper": {"file": "zstd-stream.c", "sha256": "$wrapper_sha256"},
  "compiled": "zstd-stream.c lib/common/*.c lib/compress/*.c lib/decompress/*.c",
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
  "output": {"file": "zstd.wasm", "bytes": $wasm_bytes, "sha256": "$wasm_sha256"}
}
JSON
echo "zstd.wasm: $wasm_bytes bytes, sha256 $wasm_sha256"
