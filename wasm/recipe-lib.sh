# Shared by the WASM recipes (wasm/*/build.sh): the Debian toolchain check, the pinned Debian source
# tarball, and the private wasi-libc sysroot. Sourced, not run.

WASI_INCLUDE=/usr/include/wasm32-wasi
WASI_LIB=/usr/lib/wasm32-wasi

# require_tools "PACKAGES TO SUGGEST" TOOL… — stop with the apt-get line when a tool is missing.
require_tools() {
  local hint=$1 tool
  shift
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "build.sh: $tool missing; apt-get install $hint" >&2; exit 1; }
  done
  [ -d "$WASI_INCLUDE" ] || { echo "build.sh: $WASI_INCLUDE missing; apt-get install wasi-libc" >&2; exit 1; }
}

# pinned_source DEBIAN_PACKAGE DEBIAN_VERSION ORIG_TARBALL ORIG_SHA256 CACHE_DIR [SEARCH_DIR…]
# Prints the path of Debian's .orig tarball (found in a search dir, else `apt-get source`), after
# checking its SHA-256.
pinned_source() {
  local package=$1 version=$2 file=$3 sha=$4 cache=$5 dir tarball=""
  shift 5
  for dir in "$@" "$cache"; do
    if [ -n "$dir" ] && [ -f "$dir/$file" ]; then tarball="$dir/$file"; break; fi
  done
  if [ -z "$tarball" ]; then
    mkdir -p "$cache"
    (cd "$cache" && apt-get source --download-only "$package=$version" >&2)
    tarball="$cache/$file"
  fi
  echo "$sha  $tarball" | sha256sum -c --quiet - >&2 || { echo "build.sh: $tarball has the wrong SHA-256" >&2; exit 1; }
  echo "$tarball"
}

# make_sysroot DIR — only wasi-libc in it: Debian's clang would otherwise fall back to /usr/include.
make_sysroot() {
  mkdir -p "$1/include" "$1/lib"
  cp -r "$WASI_INCLUDE/." "$1/include/"
  cp -r "$WASI_LIB" "$1/lib/wasm32-wasi"
}
