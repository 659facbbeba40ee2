#!/usr/bin/env bash
# Makes src.img, the image this example copies partitions from (CopyFrom=): a 4 MiB GPT disk with
# one 2 MiB partition named "data" (fixed UUIDs, made by the real sfdisk) holding 1 MiB of text.
set -euo pipefail
cd "$(dirname "$0")"
rm -f src.img
truncate -s 4M src.img
sfdisk --quiet src.img <<'SFDISK'
label: gpt
label-id: 3C0F9E2A-6B1D-4F7E-9A2C-5D4E3F2A1B0C
first-lba: 2048
start=2048, size=4096, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=7D3E1A2B-9C4F-4E5D-8A6B-1C2D3E4F5A6B, name="data"
SFDISK
{ yes 'copied from src.img by CopyFrom=' || true; } | head -c 1048576 | dd of=src.img bs=1M seek=1 conv=notrunc status=none
