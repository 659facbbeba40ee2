#!/usr/bin/env bash
# Builds mkfs.erofs.wasm from Debian's erofs-utils 1.5 source, with the lz4/lz4hc compressors from
# Debian's lz4 1.9.4 source and the lzma (MicroLZMA) compressor from Debian's xz-utils 5.4.1 source,
# using Debian's clang-16 + wasi-libc.
#
#   bash wasm/erofs-utils/build.sh              # rebuild mkfs.erofs.wasm + build-info.json here
#   OUT_DIR=/tmp/x bash wasm/erofs-utils/build.sh   # write them elsewhere (the reproducibility test)
#   EROFS_SRC_DIR=/work/src ...                 # where the .orig tarballs are (else: apt-get source)
#
# The .orig tarball ships no configure script: the sources are compiled directly with a hand-written
# compat/config.h (what wasi-libc has), as the zstd recipe does. Reproducible like wasm/e2fsprogs:
# pinned source hashes, -ffile-prefix-map, no debug info, no timestamps; the same Debian toolchain
# gives the same bytes (workers/tools/mkfs-erofs-build.test.ts checks).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/../recipe-lib.sh"
OUT_DIR="${OUT_DIR:-$HERE}"

UPSTREAM_VERSION=1.5
DEBIAN_VERSION=1.5-1
ORIG_TARBALL="erofs-utils_${UPSTREAM_VERSION}.orig.tar.gz"
ORIG_SHA256=2310fa4377b566bf943e8eef992db3990f759528d5973e700efe3e4cb115ec23
LZ4_UPSTREAM_VERSION=1.9.4
LZ4_DEBIAN_VERSION=1.9.4-1
LZ4_TARBALL="lz4_${LZ4_UPSTREAM_VERSION}.orig.tar.gz"
LZ4_SHA256=0b0e3aa07c8c063ddf40b082bdf7e37a1562bda40a0ff5272957f3e987e0e54b
XZ_UPSTREAM_VERSION=5.4.1
XZ_DEBIAN_VERSION=5.4.1-1+deb12u2
XZ_TARBALL="xz-utils_${XZ_UPSTREAM_VERSION}.orig.tar.xz"
XZ_SHA256=5d9827aa1875b21c288f78864bb26d2650b436ea8d2cad364e4921eb6266a5a5
CLANG=clang-16
WASM_OPT=wasm-opt
WASM_OPT_FLAGS="-O2 --enable-sign-ext --enable-mutable-globals --enable-bulk-memory --strip-debug --strip-producers"

require_tools "clang-16 lld-16 wasi-libc libclang-rt-16-dev-wasm32 binaryen patch xz-utils" \
  "$CLANG" wasm-ld-16 "$WASM_OPT" patch sha256sum xz

WORK="$(mktemp -d /tmp/partwright-erofs.XXXXXX)"
[ -n "${KEEP_WORK:-}" ] || trap 'rm -rf "$WORK"' EXIT

# --- sources: Debian's pinned .orig tarballs -------------------------------------------------------
tarball="$(pinned_source erofs-utils "$DEBIAN_VERSION" "$ORIG_TARBALL" "$ORIG_SHA256" "$HERE/.cache" "${EROFS_SRC_DIR:-}" /work/src)"
lz4_tarball="$(pinned_source lz4 "$LZ4_DEBIAN_VERSION" "$LZ4_TARBALL" "$LZ4_SHA256" "$HERE/.cache" "${EROFS_SRC_DIR:-}" /work/src)"
xz_tarball="$(pinned_source xz-utils "$XZ_DEBIAN_VERSION" "$XZ_TARBALL" "$XZ_SHA256" "$HERE/.cache" "${EROFS_SRC_DIR:-}" /work/src)"

SRC="$WORK/erofs-utils-$UPSTREAM_VERSION"
LZ4="$WORK/lz4-$LZ4_UPSTREAM_VERSION"
XZ="$WORK/xz-$XZ_UPSTREAM_VERSION"
tar -xzf "$tarball" -C "$WORK"
tar -xzf "$lz4_tarball" -C "$WORK"
tar -xJf "$xz_tarball" -C "$WORK"
for patch in "$HERE"/patches/*.patch; do
  patch -d "$SRC" -p1 --quiet --no-backup-if-mismatch < "$patch"
done

# --- private sysroot: only wasi-libc (Debian's clang would otherwise fall back to /usr/include) -----
SYSROOT="$WORK/sysroot"
make_sysroot "$SYSROOT"
COMPAT="$WORK/compat"
cp -r "$HERE/compat" "$COMPAT"

# -O2 rather than -Oz: the compressors and the tree walk run over whole partitions.
EMULATED="-D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_MMAN -D_WASI_EMULATED_PROCESS_CLOCKS -D_WASI_EMULATED_GETPID"
COMMON_CFLAGS="-O2 -mbulk-memory -DNDEBUG -ffile-prefix-map=$WORK=/build -ffunction-sections -fdata-sections -Wno-unused-command-line-argument"
CFLAGS="$COMMON_CFLAGS -D_GNU_SOURCE $EMULATED -include $COMPAT/wasi-compat.h -I$COMPAT -I$COMPAT/include -I$SRC/include -I$SRC/lib -I$LZ4/lib -I$XZ/src/liblzma/api"
# liblzma has its own config.h (compat/liblzma/); only the LZMA1/MicroLZMA encoder path is compiled.
LZMA_CFLAGS="$COMMON_CFLAGS -D_WASI_EMULATED_SIGNAL -DHAVE_CONFIG_H -I$COMPAT/liblzma -I$XZ/src/liblzma/api -I$XZ/src/liblzma/common -I$XZ/src/liblzma/check -I$XZ/src/liblzma/lz -I$XZ/src/liblzma/rangecoder -I$XZ/src/liblzma/lzma -I$XZ/src/common"
LZMA_SOURCES="common/common.c common/microlzma_encoder.c lz/lz_encoder.c lz/lz_encoder_mf.c lzma/lzma_encoder.c lzma/lzma_encoder_optimum_fast.c lzma/lzma_encoder_optimum_normal.c lzma/lzma_encoder_presets.c lzma/fastpos_table.c rangecoder/price_table.c check/crc32_table.c"
LDFLAGS="-Wl,--gc-sections -Wl,--strip-all -Wl,-z,stack-size=1048576"
LIBS="-lwasi-emulated-signal -lwasi-emulated-mman -lwasi-emulated-process-clocks -lwasi-emulated-getpid"
# lib/Makefile.am's liberofs sources with lz4 + lz4hc, mkfs/main.c, lz4's two compressors, the stubs.
EROFS_LIB="config.c io.c cache.c super.c inode.c xattr.c exclude.c namei.c data.c compress.c compressor.c zmap.c decompress.c compress_hints.c hashmap.c sha256.c blobchunk.c dir.c compressor_lz4.c compressor_lz4hc.c compressor_liblzma.c"
SOURCES=()
for f in $EROFS_LIB; do SOURCES+=("$SRC/lib/$f"); done
SOURCES+=("$SRC/mkfs/main.c" "$LZ4/lib/lz4.c" "$LZ4/lib/lz4hc.c" "$COMPAT/uuid.c" "$COMPAT/wasi-stubs.c")

(
  cd "$WORK"
  export SOURCE_DATE_EPOCH=0 LC_ALL=C TZ=UTC
  objs=()
  mkdir -p "$WORK/obj"
  for src in "${SOURCES[@]}"; do
    obj="$WORK/obj/$(basename "$(dirname "$src")")-$(basename "${src%.c}").o"
    $CLANG --target=wasm32-wasi --sysroot="$SYSROOT" $CFLAGS -c "$src" -o "$obj" 2>>"$WORK/cc.log" \
      || { tail -40 "$WORK/cc.log" >&2; exit 1; }
    objs+=("$obj")
  done
  for f in $LZMA_SOURCES; do
    obj="$WORK/obj/liblzma-$(basename "${f%.c}").o"
    $CLANG --target=wasm32-wasi --sysroot="$SYSROOT" $LZMA_CFLAGS -c "$XZ/src/liblzma/$f" -o "$obj" 2>>"$WORK/cc.log" \
      || { tail -40 "$WORK/cc.log" >&2; exit 1; }
    objs+=("$obj")
  done
  # Linked without -O: clang-16 would otherwise run wasm-opt itself, with its own feature flags.
  $CLANG --target=wasm32-wasi --sysroot="$SYSROOT" $LDFLAGS "${objs[@]}" $LIBS -o "$WORK/mkfs.erofs.wasm"
)

mkdir -p "$OUT_DIR"
"$WASM_OPT" $WASM_OPT_FLAGS "$WORK/mkfs.erofs.wasm" -o "$OUT_DIR/mkfs.erofs.wasm"

# --- build-info.json ------------------------------------------------------------------------------
wasm_sha256="$(sha256sum "$OUT_DIR/mkfs.erofs.wasm" | cut -d' ' -f1)"
wasm_bytes="$(stat -c %s "$OUT_DIR/mkfs.erofs.wasm")"
patches_json="$(cd "$HERE/patches" && for p in *.patch; do printf '    {"file": "%s", "sha256": "%s"},\n' "$p" "$(sha256sum "$p" | cut -d' ' -f1)"; done | sed '$ s/,$//')"
compat_json="$(cd "$HERE/compat" && find . -type f | LC_ALL=C sort | while read -r f; do printf '    {"file": "%s", "sha256": "%s"},\n' "${f#./}" "$(sha256sum "$f" | cut -d' ' -f1)"; done | sed '$ s/,$//')"
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }
cat >"$OUT_DIR/build-info.json" <<JSON
{
  "tool": "mkfs.erofs",
  "upstream": "erofs-utils",
  "upstreamVersion": "$UPSTREAM_VERSION",
  "debianSourceVersion": "$DEBIAN_VERSION",
  "source": {"file": "$ORIG_TARBALL", "sha256": "$ORIG_SHA256"},
  "libraries": [
    {"upstream": "lz4", "debianSourceVersion": "$LZ4_DEBIAN_VERSION", "file": "$LZ4_TARBALL", "sha256": "$LZ4_SHA256", "compiled": "lib/lz4.c lib/lz4hc.c"},
    {"upstream": "xz-utils (liblzma)", "debianSourceVersion": "$XZ_DEBIAN_VERSION", "file": "$XZ_TARBALL", "sha256": "$XZ_SHA256", "compiled": "$(echo $LZMA_SOURCES | sed 's# # src/liblzma/#g; s#^#src/liblzma/#')", "cflags": "$(echo "$LZMA_CFLAGS" | sed "s#$WORK#\$WORK#g")"}
  ],
  "compressors": ["lz4", "lz4hc", "lzma"],
  "patches": [
$patches_json
  ],
  "compat": [
$compat_json
  ],
  "toolchain": {
    "clang-16": "$(pkgver clang-16)",
    "lld-16": "$(pkgver lld-16)",
    "wasi-libc": "$(pkgver wasi-libc)",
    "libclang-rt-16-dev-wasm32": "$(pkgver libclang-rt-16-dev-wasm32)",
    "binaryen": "$(pkgver binaryen)"
  },
  "target": "wasm32-wasi",
  "compiled": "lib/{$(echo $EROFS_LIB | tr ' ' ',')} mkfs/main.c",
  "cflags": "$(echo "$CFLAGS" | sed "s#$WORK#\$WORK#g")",
  "ldflags": "$LDFLAGS $LIBS",
  "wasmOpt": "$WASM_OPT_FLAGS",
  "output": {"file": "mkfs.erofs.wasm", "bytes": $wasm_bytes, "sha256": "$wasm_sha256"}
}
JSON
echo "mkfs.erofs.wasm: $wasm_bytes bytes, sha256 $wasm_sha256"
