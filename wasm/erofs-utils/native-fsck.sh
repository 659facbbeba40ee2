#!/usr/bin/env bash
# Builds a native fsck.erofs from the same pinned erofs-utils 1.5 source, with liblzma (Debian's
# liblzma-dev), as the tests' oracle for lzma-compressed images: Debian's fsck.erofs 1.5 is built
# without liblzma and cannot read them. Prints the binary's path. Test-only; nothing ships it.
#
#   bash wasm/erofs-utils/native-fsck.sh OUT_DIR
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/../recipe-lib.sh"
OUT="${1:?usage: native-fsck.sh OUT_DIR}"
eval "$(grep -E '^(UPSTREAM_VERSION|DEBIAN_VERSION|ORIG_TARBALL|ORIG_SHA256)=' "$HERE/build.sh")"
command -v gcc >/dev/null || { echo "native-fsck.sh: gcc missing; apt-get install gcc" >&2; exit 1; }
[ -f /usr/include/lzma.h ] || { echo "native-fsck.sh: lzma.h missing; apt-get install liblzma-dev" >&2; exit 1; }

tarball="$(pinned_source erofs-utils "$DEBIAN_VERSION" "$ORIG_TARBALL" "$ORIG_SHA256" "$HERE/.cache" "${EROFS_SRC_DIR:-}" /work/src)"
mkdir -p "$OUT"
WORK="$(mktemp -d /tmp/partwright-erofs-fsck.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
tar -xzf "$tarball" -C "$WORK"
SRC="$WORK/erofs-utils-$UPSTREAM_VERSION"
cat >"$WORK/config.h" <<'H'
#define PACKAGE_VERSION "1.5"
#define HAVE_LINUX_TYPES_H 1
#define HAVE_SYS_SYSMACROS_H 1
#define HAVE_PREAD64 1
#define HAVE_PWRITE64 1
#define HAVE_STRUCT_STAT_ST_ATIM 1
#define HAVE_UTIMENSAT 1
#define HAVE_MEMRCHR 1
#define HAVE_LIBLZMA 1
H
objs=()
for f in "$SRC"/lib/*.c "$SRC"/fsck/main.c; do
  case "$f" in *lz4*) continue ;; esac
  obj="$WORK/$(basename "$(dirname "$f")")-$(basename "${f%.c}").o"
  gcc -O1 -D_GNU_SOURCE -D_LARGEFILE64_SOURCE -include "$WORK/config.h" -include sys/ioctl.h \
    -I"$WORK" -I"$SRC/include" -I"$SRC/lib" -w -c "$f" -o "$obj"
  objs+=("$obj")
done
gcc "${objs[@]}" -llzma -o "$OUT/fsck.erofs"
echo "$OUT/fsck.erofs"
