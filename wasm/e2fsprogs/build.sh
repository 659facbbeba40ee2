#!/usr/bin/env bash
# Builds mke2fs.wasm from Debian's e2fsprogs 1.47.0 source with Debian's clang-16 + wasi-libc.
#
#   bash wasm/e2fsprogs/build.sh            # rebuild mke2fs.wasm + build-info.json here
#   OUT_DIR=/tmp/x bash wasm/e2fsprogs/build.sh   # write them elsewhere (the reproducibility test)
#   E2FS_SRC_DIR=/work/src ...              # where e2fsprogs_1.47.0.orig.tar.gz is (else: apt-get source)
#
# Reproducible: pinned source hash, the temporary build directory mapped to /build with
# -ffile-prefix-map, no debug info, llvm-ar's deterministic archives, no timestamps; the same Debian
# toolchain gives the same bytes (workers/tools/mke2fs-build.test.ts checks).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/../recipe-lib.sh"
OUT_DIR="${OUT_DIR:-$HERE}"

UPSTREAM_VERSION=1.47.0
DEBIAN_VERSION=1.47.0-2
ORIG_TARBALL="e2fsprogs_${UPSTREAM_VERSION}.orig.tar.gz"
ORIG_SHA256=6667afde56eef0c6af26684974400e4d2288ea49e9441bf5e6229195d51a3578
CLANG=clang-16
WASM_OPT=wasm-opt
# clang-16 generic wasm32 uses sign-ext and mutable-globals; --strip-all removed the target_features
# section wasm-opt would otherwise read them from.
WASM_OPT_FLAGS="-O3 --enable-sign-ext --enable-mutable-globals --enable-bulk-memory --strip-debug --strip-producers"

require_tools "clang-16 lld-16 llvm-16 wasi-libc libclang-rt-16-dev-wasm32 binaryen make patch" \
  "$CLANG" wasm-ld-16 llvm-ar-16 llvm-ranlib-16 "$WASM_OPT" make patch sha256sum

WORK="$(mktemp -d /tmp/partwright-e2fsprogs.XXXXXX)"
[ -n "${KEEP_WORK:-}" ] || trap 'rm -rf "$WORK"' EXIT

# --- source: Debian's pinned .orig tarball -------------------------------------------------------
tarball="$(pinned_source e2fsprogs "$DEBIAN_VERSION" "$ORIG_TARBALL" "$ORIG_SHA256" "$HERE/.cache" "${E2FS_SRC_DIR:-}" /work/src)"

SRC="$WORK/e2fsprogs-$UPSTREAM_VERSION"
tar -xzf "$tarball" -C "$WORK"
for patch in "$HERE"/patches/*.patch; do
  patch -d "$SRC" -p1 --quiet --no-backup-if-mismatch < "$patch"
done

# --- private sysroot: only wasi-libc (Debian's clang would otherwise fall back to /usr/include) -----
SYSROOT="$WORK/sysroot"
make_sysroot "$SYSROOT"
cp -r "$HERE/compat/include/." "$SYSROOT/include/"

COMPAT="$WORK/compat"
cp -r "$HERE/compat" "$COMPAT"

TARGET_CC="$CLANG --target=wasm32-wasi --sysroot=$SYSROOT"
EMULATED="-D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_MMAN -D_WASI_EMULATED_PROCESS_CLOCKS -D_WASI_EMULATED_GETPID"
CFLAGS="-O2 -mbulk-memory $EMULATED -include $COMPAT/wasi-compat.h -ffile-prefix-map=$WORK=/build -Wno-unused-command-line-argument"
LDFLAGS="-Wl,--strip-all -Wl,-z,stack-size=1048576"
LIBS="-lwasi-emulated-signal -lwasi-emulated-mman -lwasi-emulated-process-clocks -lwasi-emulated-getpid"
CONFIGURE_FLAGS=(
  --host=wasm32-wasi --build=x86_64-linux-gnu
  --without-pthread --disable-tls --disable-nls --disable-backtrace --disable-rpath
  --disable-debugfs --disable-imager --disable-resizer --disable-defrag --disable-fuse2fs
  --disable-uuidd --disable-mmp --disable-tdb --disable-bmap-stats --disable-elf-shlibs
  --enable-libuuid --enable-libblkid
)

(
  cd "$SRC"
  export SOURCE_DATE_EPOCH=0 LC_ALL=C TZ=UTC
  CC="$TARGET_CC" AR=llvm-ar-16 RANLIB=llvm-ranlib-16 CFLAGS="$CFLAGS" LDFLAGS="$LDFLAGS" LIBS="$LIBS" \
    ./configure "${CONFIGURE_FLAGS[@]}" >"$WORK/configure.log" 2>&1 \
    || { tail -40 "$WORK/configure.log" >&2; exit 1; }
  # util/subst runs on the build machine.
  make -C util subst BUILD_CC=cc >"$WORK/make.log" 2>&1
  $TARGET_CC $CFLAGS -c "$COMPAT/wasi-stubs.c" -o "$WORK/wasi-stubs.o"
  # Generated headers the libraries include from one another (compile_et is a shell script).
  make -C lib/et compile_et >>"$WORK/make.log" 2>&1
  make -C lib/ext2fs ext2_err.h >>"$WORK/make.log" 2>&1
  # Only the libraries mke2fs links (not their test programs), then mke2fs itself.
  for lib in et:com_err uuid:uuid blkid:blkid ext2fs:ext2fs e2p:e2p support:support; do
    make -C "lib/${lib%%:*}" -j"$(nproc)" "../../lib/lib${lib#*:}.a" >>"$WORK/make.log" 2>&1 \
      || { tail -40 "$WORK/make.log" >&2; exit 1; }
  done
  make -C misc -j"$(nproc)" mke2fs SYSLIBS="$WORK/wasi-stubs.o $LIBS" >>"$WORK/make.log" 2>&1 \
    || { tail -40 "$WORK/make.log" >&2; exit 1; }
)

mkdir -p "$OUT_DIR"
"$WASM_OPT" $WASM_OPT_FLAGS "$SRC/misc/mke2fs" -o "$OUT_DIR/mke2fs.wasm"

# --- build-info.json ------------------------------------------------------------------------------
wasm_sha256="$(sha256sum "$OUT_DIR/mke2fs.wasm" | cut -d' ' -f1)"
wasm_bytes="$(stat -c %s "$OUT_DIR/mke2fs.wasm")"
patches_json="$(cd "$HERE/patches" && for p in *.patch; do printf '    {"file": "%s", "sha256": "%s"},\n' "$p" "$(sha256sum "$p" | cut -d' ' -f1)"; done | sed '$ s/,$//')"
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }
cat >"$OUT_DIR/build-info.json" <<EOF
{
  "tool": "mke2fs",
  "upstream": "e2fsprogs",
  "upstreamVersion": "$UPSTREAM_VERSION",
  "debianSourceVersion": "$DEBIAN_VERSION",
  "source": {"file": "$ORIG_TARBALL", "sha256": "$ORIG_SHA256"},
  "patches": [
$patches_json
  ],
  "toolchain": {
    "clang-16": "$(pkgver clang-16)",
    "lld-16": "$(pkgver lld-16)",
    "wasi-libc": "$(pkgver wasi-libc)",
    "libclang-rt-16-dev-wasm32": "$(pkgver libclang-rt-16-dev-wasm32)",
    "binaryen": "$(pkgver binaryen)"
  },
  "target": "wasm32-wasi",
  "configure": "$(printf '%s ' "${CONFIGURE_FLAGS[@]}" | sed 's/ $//')",
  "cflags": "$(echo "$CFLAGS" | sed "s#$WORK#\$WORK#g")",
  "ldflags": "$LDFLAGS $LIBS",
  "wasmOpt": "$WASM_OPT_FLAGS",
  "output": {"file": "mke2fs.wasm", "bytes": $wasm_bytes, "sha256": "$wasm_sha256"}
}
EOF
echo "mke2fs.wasm: $wasm_bytes bytes, sha256 $wasm_sha256"
