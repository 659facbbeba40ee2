#!/usr/bin/env bash
# `npm run assets`: fetches the boot files the examples need from Debian's packages (never from
# anywhere else) and puts them under examples/*/assets/ (not committed). Needs apt-get (no root:
# `apt-get download` works as any user once the package lists exist).
set -euo pipefail
cd "$(dirname "$0")/.."
cache=.cache/debs
mkdir -p "$cache"

fetch() { # package → extracted tree under .cache/debs/<package>/
  local pkg=$1 dir="$cache/$1"
  if [ ! -d "$dir" ]; then
    (cd "$cache" && apt-get download -qq "$pkg" 2>/dev/null) || {
      [ "$(id -u)" -eq 0 ] && apt-get update -qq && (cd "$cache" && apt-get download -qq "$pkg")
    }
    mkdir -p "$dir"
    dpkg-deb -x "$cache/${pkg}"_*.deb "$dir"
  fi
  echo "$dir"
}

isolinux=$(fetch isolinux)
syslinux=$(fetch syslinux-common)
sdboot=$(fetch systemd-boot-efi)

out=examples/iso-hybrid/assets
# Already in place and equal: leave it alone (tests running side by side read these files).
same() { cmp -s "$1" "$2"; }
if same "$isolinux/usr/lib/ISOLINUX/isolinux.bin" "$out/isolinux/isolinux.bin" &&
  same "$isolinux/usr/lib/ISOLINUX/isohdpfx.bin" "$out/isohdpfx.bin" &&
  same "$syslinux/usr/lib/syslinux/modules/bios/ldlinux.c32" "$out/isolinux/ldlinux.c32" &&
  same "$sdboot/usr/lib/systemd/boot/efi/systemd-bootx64.efi" "$out/efi/EFI/BOOT/BOOTX64.EFI"; then
  echo "assets: $(find "$out" -type f | wc -l) files in $out (up to date)"
  exit 0
fi
rm -rf "$out"
mkdir -p "$out/isolinux" "$out/efi/EFI/BOOT"
cp "$isolinux/usr/lib/ISOLINUX/isolinux.bin" "$out/isolinux/"
cp "$isolinux/usr/lib/ISOLINUX/isohdpfx.bin" "$out/"
cp "$syslinux/usr/lib/syslinux/modules/bios/ldlinux.c32" "$out/isolinux/"
cp "$sdboot/usr/lib/systemd/boot/efi/systemd-bootx64.efi" "$out/efi/EFI/BOOT/BOOTX64.EFI"
echo "assets: $(find "$out" -type f | wc -l) files in $out"
