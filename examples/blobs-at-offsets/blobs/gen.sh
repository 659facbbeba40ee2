#!/usr/bin/env bash
# Makes the example's stand-in boot blobs: recognisable, deterministic bytes of realistic sizes
# (an SPL of 24 KiB, a U-Boot of 600 KiB). Real ones come from Debian's u-boot-* packages.
set -euo pipefail
cd "$(dirname "$0")"
python3 - <<'PY'
import hashlib
def make(name, size, tag):
    out = bytearray()
    block = tag.encode()
    i = 0
    while len(out) < size:
        out += hashlib.sha256(block + i.to_bytes(4, 'little')).digest()
        i += 1
    out[:len(block)] = block
    open(name, 'wb').write(bytes(out[:size]))
make('spl.bin', 24 * 1024, 'PARTWRIGHT EXAMPLE SPL')
make('u-boot.bin', 600 * 1024, 'PARTWRIGHT EXAMPLE U-BOOT')
PY
