#!/usr/bin/env bash
# Builds xz.wasm (one-shot xz compression of squashfs blocks as squashfs-tools' xz_wrapper.c makes
# them, no imports) from Debian's xz-utils 5.4.1 source (liblzma) with Debian's clang-16 + wasi-libc
# (for malloc/memcpy only).
#
#   bash wasm/xz/build.sh                  # rebuild xz.wasm + build-info.json here
#   OUT_DIR=/tmp/x bash wasm/xz/build.sh   # write them elsewhere (check the committed hash)
#   XZ_SRC_DIR=/work/src ...               # where xz-utils_5.4.1.orig.tar.xz is (else: apt-get source)
#
# liblzma is configured for wasm32-wasi without threads, with only the LZMA1/LZMA2 coders and the
# CRC32 check, and built by its own Makefile; one patch (wasi-no-signals.patch) keeps mythread.h from
# using signal masks WASI does not have (they are only used with threads). xz-block.c is linked against
# liblzma.a with --gc-sections. Reproducible like wasm/zstd: pinned source hash, -ffile-prefix-map,
# no debug info, no timestamps.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/../recipe-lib.sh"
OUT_DIR="${OUT_DIR:-$HERE}"

UPSTREAM_VERSION=5.4.1
DEBIAN_VERSION=5.4.1-1+deb12u2
ORIG_TARBALL="xz-utils_5.4.1.orig.tar.xz"
ORIG_SHA256=5d9827aa1875b21c288f78864bb26d2650b436ea8d2cad364e4921eb6266a5a5
CLANG=clang-16
WASM_OPT=wasm-opt
WASM_OPT_FLAGS="-O2 --enable-sign-ext --enable-mutable-globals --enable-bulk-memory --strip-debug --strip-producers"

require_tools "clang-16 lld-16 llvm-16 wasi-libc libclang-rt-16-dev-wasm32 binaryen xz-utils make" "$CLANG" wasm-ld-16 llvm-ar-16 llvm-ranlib-16 "$WASM_OPT" sha256sum xz make patch

WORK="$(mktemp -d /tmp/partwright-xz.XXXXXX)"
[ -n "${KEEP_WORK:-}" ] || trap 'rm -rf "$WORK"' EXIT

tarball="$(pinned_source xz-utils "$DEBIAN_VERSION" "$ORIG_TARBALL" "$ORIG_SHA256" "$HERE/.cache" "${XZ_SRC_DIR:-}" /work/src)"
tar -xJf "$tarball" -C "$WORK"
SRC="$WORK/xz-$UPSTREAM_VERSION"
patch -s -d "$SRC" -p1 <"$HERE/wasi-no-signals.patch"
cp "$HERE/xz-block.c" "$WORK/"

SYSROOT="$WORK/sysroot"
make_sysroot "$SYSROOT"

# Speed over size (whole partitions go through it): -O2, then wasm-opt -O2.
CC="$CLANG --target=wasm32-wasi --sysroot=$SYSROOT"
CFLAGS="-O2 -mbulk-memory -ffile-prefix-map=$WORK=/build -ffunction-sections -fdata-sections"
LDFLAGS="-nostartfiles -Wl,--no-entry -Wl,--gc-sections -Wl,--strip-all -Wl,-z,stack-size=262144 -Wl,--initial-memory=4194304"
CONFIGURE_FLAGS="--host=wasm32-wasi --disable-threads --disable-shared --enable-static --disable-nls --disable-xz --disable-xzdec --disable-lzmadec --disable-lzmainfo --disable-lzma-links --disable-scripts --disable-doc --enable-encoders=lzma1,lzma2 --enable-decoders=lzma1,lzma2 --enable-checks=crc32 --disable-assembler --disable-clmul-crc --disable-microlzma --disable-lzip-decoder --disable-symbol-versions"

(
  cd "$SRC"
  export SOURCE_DATE_EPOCH=0 LC_ALL=C TZ=UTC
  CC="$CC" CFLAGS="$CFLAGS" AR=llvm-ar-16 RANLIB=llvm-ranlib-16 ./configure $CONFIGURE_FLAGS >"$WORK/configure.log" 2>&1 || { tail -20 "$WORK/configure.log" >&2; exit 1; }
  make -C src/liblzma >"$WORK/make.log" 2>&1 || { tail -20 "$WORK/make.log" >&2; exit 1; }
  cd "$WORK"
  $CC $CFLAGS -I"$SRC/src/liblzma/api" -c xz-block.c -o xz-block.o
  # Linked without -O: clang-16 would otherwise run wasm-opt itself, with its own feature flags.
  $CC $LDFLAGS xz-block.o "$SRC/src/liblzma/.libs/liblzma.a" -o "$WORK/xz.wasm"
)

mkdir -p "$OUT_DIR"
"$WASM_OPT" $WASM_OPT_FLAGS "$WORK/xz.wasm" -o "$OUT_DIR/xz.wasm"

wasm_sha256="$(sha256sum "$OUT_DIR/xz.wasm" | cut -d' ' -f1)"
wasm_bytes="$(stat -c %s "$OUT_DIR/xz.wasm")"
wrapper_sha256="$(sha256sum "$HERE/xz-block.c" | cut -d' ' -f1)"
patch_sha256="$(sha256sum "$HERE/wasi-no-signals.patch" | cut -d' ' -f1)"
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }
cat >"$OUT_DIR/build-info.json" <<JSON
{
  "tool": "xz (squashfs xz block compressor, liblzma)",
  "upstream": "xz-utils",
  "upstreamVersion": "$UPSTREAM_VERSION",
  "debianSourcePackage": "xz-utils",
  "debianSourceVersion": "$DEBIAN_VERSION",
  "source": {"file": "$ORIG_TARBALL", "sha256": "$ORIG_SHA256"},
  "patches": [{"file": "wasi-no-signals.patch", "sha256": "$patch_sha256"}],
  "wrapper": {"file": "xz-block.c", "sha256": "$wrapper_sha256"},
  "compiled": "liblzma (configure $CONFIGURE_FLAGS; make -C src/liblzma) + xz-block.c",
  "toolchain": {
    "clang-16": "$(pkgver clang-16)",
    "lld-16": "$(pkgver lld-16)",
    "llvm-16": "$(pkgver llvm-16)",
    "wasi-libc": "$(pkgver wasi-libc)",
    "libclang-rt-16-dev-wasm32": "$(pkgver libclang-rt-16-dev-wasm32)",
    "binaryen": "$(pkgver binaryen)"
  },
  "target": "wasm32-wasi (no imports)",
  "cflags": "$(echo "$CFLAGS" | sed "s#$WORK#\$WORK#g")",
  "ldflags": "$LDFLAGS",
  "wasmOpt": "$WASM_OPT_FLAGS",
  "output": {"file": "xz.wasm", "bytes": $wasm_bytes, "sha256": "$wasm_sha256"}
}
JSON
echo "xz.wasm: $wasm_bytes bytes, sha256 $wasm_sha256"
