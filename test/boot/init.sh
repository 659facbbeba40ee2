#!/bin/sh
# /init of the boot tests' initramfs (busybox). Loads the disk and file system modules, finds the
# root the kernel command line names (root=PARTUUID=… read from the GPT or MBR itself, since
# nothing like udev makes /dev/disk/by-partuuid here; or LABEL=/UUID= via findfs; or /dev/…),
# mounts it read-only, prints the marker file's contents on the console and powers off.
# Before that: a /nix-store.squashfs on the root (the installer ISO) is loop-mounted and its marker
# printed (PARTWRIGHT-STORE:); with usrhash= (the appliance), /usr is opened with dm-verity by
# veritysetup (the data and hash partitions are the ones whose PARTUUIDs are the hash's halves, as
# systemd's gpt-auto finds them), mounted, and its marker printed (PARTWRIGHT-USR:).
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1

fail() {
  echo "PARTWRIGHT-FAIL: $*"
  echo "cmdline: $(cat /proc/cmdline)"
  for b in /sys/class/block/*; do echo "block: ${b##*/} $(cat "$b/size" 2>/dev/null) sectors"; done
  poweroff -f
  sleep 10
}

for m in $(cat /lib/modules/modules.order); do insmod "/lib/modules/$m" 2>/dev/null; done

# PARTUUID of partition number $2 on disk $1: GPT entry's unique GUID (mixed-endian on disk,
# UEFI 2.10 §5.3.3) or, without a GPT, the MBR disk signature and the number (kernel/blkid style).
partuuid() {
  disk=$1 n=$2
  if [ "$(dd if="$disk" bs=512 skip=1 count=1 2>/dev/null | head -c 8)" = "EFI PART" ]; then
    lba=$(od -An -tu4 -j $((512 + 72)) -N4 "$disk" | tr -d ' ')
    esz=$(od -An -tu4 -j $((512 + 84)) -N4 "$disk" | tr -d ' ')
    set -- $(od -An -tx1 -j $((lba * 512 + (n - 1) * esz + 16)) -N16 "$disk")
    echo "$4$3$2$1-$6$5-$8$7-$9${10}-${11}${12}${13}${14}${15}${16}"
  else
    set -- $(od -An -tx1 -j 440 -N4 "$disk")
    printf '%s%s%s%s-%02x\n' "$4" "$3" "$2" "$1" "$n"
  fi
}

find_partuuid() {
  want=$(echo "$1" | tr 'A-Z' 'a-z')
  for b in /sys/class/block/*; do
    [ -f "$b/partition" ] || continue
    disk=$(readlink -f "$b/..")
    if [ "$(partuuid "/dev/${disk##*/}" "$(cat "$b/partition")")" = "$want" ]; then
      echo "/dev/${b##*/}"
      return 0
    fi
  done
  return 1
}

root= fstype= usrhash=
for w in $(cat /proc/cmdline); do
  case "$w" in
    root=*) root=${w#root=} ;;
    usrhash=*) usrhash=${w#usrhash=} ;;
    rootfstype=*) fstype=${w#rootfstype=} ;;
  esac
done
[ -n "$root" ] || fail "no root= on the kernel command line"

dev=
i=0
while [ $i -lt 50 ]; do
  case "$root" in
    PARTUUID=*) dev=$(find_partuuid "${root#PARTUUID=}") ;;
    LABEL=*|UUID=*) dev=$(findfs "$root" 2>/dev/null) ;;
    /dev/*) [ -b "$root" ] && dev=$root ;;
  esac
  [ -n "$dev" ] && break
  sleep 0.2
  i=$((i + 1))
done
[ -n "$dev" ] || fail "root $root not found"
echo "partwright-init: root $root is $dev"

if [ -n "$fstype" ]; then mount -t "$fstype" -o ro "$dev" /root; else mount -o ro "$dev" /root; fi || fail "cannot mount $dev"
[ -f /root/partwright-marker ] || fail "no /partwright-marker on $dev"

if [ -f /root/nix-store.squashfs ]; then
  mkdir -p /store
  mount -t squashfs -o loop,ro /root/nix-store.squashfs /store || fail "cannot mount /nix-store.squashfs"
  echo "PARTWRIGHT-STORE: $(cat /store/partwright-marker)"
  umount /store
fi

# The UUID form of 32 hex digits.
as_uuid() { echo "$1" | sed 's/^\(.\{8\}\)\(.\{4\}\)\(.\{4\}\)\(.\{4\}\)\(.\{12\}\)$/\1-\2-\3-\4-\5/'; }

if [ -n "$usrhash" ]; then
  data=$(find_partuuid "$(as_uuid "$(echo "$usrhash" | cut -c1-32)")") || fail "no partition has PARTUUID = first half of usrhash"
  hash=$(find_partuuid "$(as_uuid "$(echo "$usrhash" | cut -c33-64)")") || fail "no partition has PARTUUID = second half of usrhash"
  echo "partwright-init: usr data $data hash $hash"
  DM_DISABLE_UDEV=1 veritysetup open "$data" usr "$hash" "$usrhash" || fail "veritysetup open failed"
  DM_DISABLE_UDEV=1 veritysetup status usr
  mkdir -p /usr-ro
  mount -t erofs -o ro /dev/mapper/usr /usr-ro || fail "cannot mount /dev/mapper/usr"
  echo "PARTWRIGHT-USR: $(cat /usr-ro/partwright-marker)"
  umount /usr-ro
fi
echo "PARTWRIGHT-MARKER: $(cat /root/partwright-marker)"
umount /root
poweroff -f
sleep 10
