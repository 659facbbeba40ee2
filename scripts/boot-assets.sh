#!/usr/bin/env bash
# Fetches the boot files the boot tests (test/boot/) need from Debian 12 packages into a cache
# folder (default .cache/boot-assets/, gitignored) and makes GRUB's core.img. Nothing is installed
# system-wide: packages are fetched with `apt-get download` and unpacked with `dpkg-deb -x`.
# QEMU and firmware (qemu-system-x86, ovmf, seabios) are the only system packages the tests need;
# they are installed by the test setup (apt-get install) when missing.
#
# Output (all paths inside the cache folder):
#   vmlinuz                     Debian's linux-image-amd64 kernel
#   modules/                    the kernel modules the initramfs loads, in load order (modules.order)
#   busybox                     busybox-static
#   systemd-bootx64.efi         systemd-boot-efi
#   grub/i386-pc/boot.img       GRUB's MBR boot sector (grub-pc-bin)
#   grub/i386-pc/core.img       grub-mkimage -O i386-pc with the modules below and early.cfg embedded
#   isolinux/isolinux.bin       El Torito BIOS boot file (isolinux)
#   isolinux/isohdpfx.bin       isohybrid MBR boot code (isolinux)
#   isolinux/ldlinux.c32        isolinux's core module (syslinux-common)
#   manifest.txt                package versions and sha256 of every output
#
# Usage: scripts/boot-assets.sh [CACHE_DIR]      (idempotent: does nothing when manifest.txt exists
#                                                  and matches this script's recipe version)
set -euo pipefail
cd "$(dirname "$0")/.."

RECIPE=6
cache=$(realpath -m "${1:-.cache/boot-assets}")
if [ -f "$cache/manifest.txt" ] && grep -qx "recipe $RECIPE" "$cache/manifest.txt"; then
  exit 0
fi

# System tools the recipe itself uses (not the boot files).
need=()
command -v cpio >/dev/null || need+=(cpio)
command -v xz >/dev/null || need+=(xz-utils)
command -v zstd >/dev/null || need+=(zstd)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else echo "boot-assets: missing ${need[*]}: apt-get install ${need[*]}" >&2; exit 1; fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$cache"
rm -rf "$cache/modules" "$cache/grub" "$cache/isolinux" "$cache/manifest.txt"

# linux-image-amd64 is a metapackage: resolve the versioned kernel package it depends on.
kernel_pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
packages=("$kernel_pkg" busybox-static systemd-boot-efi grub-pc-bin grub-common isolinux syslinux-common)

debs="$cache/debs"
mkdir -p "$debs"
for p in "${packages[@]}"; do
  if ! ls "$debs/${p}_"*.deb >/dev/null 2>&1; then
    (cd "$debs" && apt-get download -q "$p" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
  fi
  deb=$(ls "$debs/${p}_"*.deb | head -n1)
  dpkg-deb -x "$deb" "$work/root"
done

root="$work/root"

# Kernel.
kver=${kernel_pkg#linux-image-}
cp "$root/boot/vmlinuz-$kver" "$cache/vmlinuz"

# Modules for disks (virtio, AHCI/IDE, SCSI disks and CD-ROMs) and file systems (FAT, ext4, ISO
# 9660), with their dependencies, in dependency order (a module after what it needs). The package
# ships no modules.dep (depmod makes it at install time), so dependencies come from each module's
# own `.modinfo` section (`depends=a,b`), which is what depmod reads too.
moddir="$root/lib/modules/$kver"
# Recipe 6: squashfs and loop (the installer ISO's /nix-store.squashfs), erofs and dm-verity (the
# appliance's verity-protected /usr).
wanted=(virtio_pci virtio_blk virtio_scsi ahci ata_piix sd_mod sr_mod vfat nls_cp437 nls_ascii nls_utf8 ext4 isofs crc32c_generic loop squashfs erofs dm_mod dm_verity)
mkdir -p "$cache/modules"
: > "$cache/modules/modules.order"
declare -A index=()
while IFS= read -r f; do
  n=${f##*/}; n=${n%%.ko*}; n=${n//-/_}
  index[$n]=$f
done < <(find "$moddir/kernel" -name '*.ko*' | LC_ALL=C sort)
declare -A seen=()
module_text() { # path: the module's bytes, decompressed
  case "$1" in
    *.ko.xz) xz -dc "$1" ;;
    *.ko.zst) zstd -qdc "$1" ;;
    *) cat "$1" ;;
  esac
}
add_module() { # name
  local name=${1//-/_} path deps d
  [ -n "${seen[$name]:-}" ] && return 0
  seen[$name]=1
  path=${index[$name]:-}
  # Not a module file: built into the kernel (modules.builtin), nothing to load.
  [ -z "$path" ] && return 0
  deps=$(module_text "$path" | tr '\0' '\n' | sed -n 's/^depends=//p' | head -n1 | tr ',' ' ')
  for d in $deps; do add_module "$d"; done
  module_text "$path" > "$cache/modules/$name.ko"
  echo "$name.ko" >> "$cache/modules/modules.order"
}
for m in "${wanted[@]}"; do add_module "$m"; done

# Busybox and systemd-boot.
cp "$root/bin/busybox" "$cache/busybox"
cp "$root/usr/lib/systemd/boot/efi/systemd-bootx64.efi" "$cache/systemd-bootx64.efi"

# GRUB for BIOS: boot.img as shipped; core.img from grub-mkimage with an embedded early config
# that finds the partition holding grub.cfg (an ESP's /grub/grub.cfg or a root's /boot/grub/grub.cfg)
# and runs it. Partwright writes grub.cfg from the layout, so one core.img serves every preset.
# The embedded config runs in GRUB's rescue parser (kern/parser.c: one command a line, no `if`; a
# failing line prints its error and the next runs), hence search+configfile twice rather than a
# conditional: on an ESP the first configfile boots; on a root the first pair fails harmlessly.
mkdir -p "$cache/grub/i386-pc"
cp "$root/usr/lib/grub/i386-pc/boot.img" "$cache/grub/i386-pc/boot.img"
cat > "$cache/grub/early.cfg" <<'EOF2'
search --no-floppy --set=root --file /grub/grub.cfg
configfile /grub/grub.cfg
search --no-floppy --set=root --file /boot/grub/grub.cfg
configfile /boot/grub/grub.cfg
EOF2
grub_modules=(biosdisk part_gpt part_msdos fat ext2 iso9660 normal configfile search search_fs_file search_fs_uuid search_label linux echo test serial terminal boot)
# grub-mkimage comes from the unpacked grub-common; it needs only libc and liblzma here.
"$root/usr/bin/grub-mkimage" -d "$root/usr/lib/grub/i386-pc" -O i386-pc -C xz \
  -c "$cache/grub/early.cfg" -p /grub -o "$cache/grub/i386-pc/core.img" "${grub_modules[@]}"

# isolinux for the installer ISO: the BIOS El Torito boot file, its isohybrid MBR code, ldlinux.c32.
mkdir -p "$cache/isolinux"
cp "$root/usr/lib/ISOLINUX/isolinux.bin" "$root/usr/lib/ISOLINUX/isohdpfx.bin" "$cache/isolinux/"
cp "$root/usr/lib/syslinux/modules/bios/ldlinux.c32" "$cache/isolinux/"

{
  echo "recipe $RECIPE"
  for p in "${packages[@]}"; do
    echo "package $(dpkg-deb -f "$(ls "$debs/${p}_"*.deb | head -n1)" Package Version | paste -sd' ')"
  done
  (cd "$cache" && find . -path ./debs -prune -o -type f ! -name manifest.txt -print | LC_ALL=C sort | xargs sha256sum)
} > "$cache/manifest.txt.tmp"
mv "$cache/manifest.txt.tmp" "$cache/manifest.txt"
echo "boot-assets: ready in $cache"
