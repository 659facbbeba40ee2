#!/usr/bin/env bash
# Makes base.img, the existing image this example adds to: a 16 MiB GPT disk with one 8 MiB ESP
# holding a FAT file system (made by the real sfdisk and mkfs.fat, fixed IDs so it is reproducible).
set -euo pipefail
cd "$(dirname "$0")"
rm -f base.img esp.fat
truncate -s 16M base.img
sfdisk --quiet base.img <<'SFDISK'
label: gpt
label-id: 5E1F3A2B-0C4D-4E6F-8A9B-C0D1E2F3A4B5
first-lba: 2048
start=2048, size=16384, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=0A1B2C3D-4E5F-4061-8273-94A5B6C7D8E9, name="ESP"
SFDISK
mkfs.fat --invariant -i 0x12345678 -n BASE-ESP -C esp.fat 8192 >/dev/null
dd if=esp.fat of=base.img bs=1M seek=1 conv=notrunc status=none
rm -f esp.fat
