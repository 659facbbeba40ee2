/**
 * The appliance (like NixOS's image.repart with `verityStore`, and systemd's image-based OS layouts):
 * a GPT disk with an ESP holding systemd-boot and the kernel, a read-only erofs `/usr` (or Nix store)
 * partition protected by dm-verity (its hash tree in a `usr-verity` partition), and a writable root.
 *
 * The data and hash partitions' UUIDs are the two halves of the root hash (repart's convention, which
 * systemd's gpt-auto and veritysetup generators look for), and the kernel command line carries the
 * root hash itself (`usrhash=`): the boot installer writes the loader entry once the hash tree is
 * built ({verity.usr.roothash}, workers/boot/build-boot-image.ts).
 */
import type { BootEntrySpec } from '../../boot/boot-spec.ts';
import type { PartitionSpec } from '../spec.ts';
import { DEFAULT_SEED } from '../spec.ts';
import { PRESET_INPUTS as IN, presetInput } from './inputs.ts';
import { ROOT_FORMAT, type Preset } from './preset.ts';

const MiB = 1024 * 1024;
/** SOURCE_DATE_EPOCH of preset builds: 1980-01-01, the earliest time FAT can store. */
const EPOCH = 315532800;

/** VerityMatchKey= of the /usr data and hash partitions: what `{verity.usr.roothash}` names. */
export const APPLIANCE_VERITY_KEY = 'usr';

/**
 * The appliance's command line: the writable root by PARTUUID and the verity root hash of /usr
 * (`usrhash=`, read by systemd's veritysetup generator; the partitions carrying its halves as
 * their UUIDs are the data and hash devices).
 */
export const APPLIANCE_CMDLINE = `root=PARTUUID={root.partuuid} rw usrhash={verity.${APPLIANCE_VERITY_KEY}.roothash} console=ttyS0,115200 panic=-1`;

/** 512 MiB FAT32 ESP, fixed: the entry's final size is known before the root hash (x86.ts says why 512). */
const esp: PartitionSpec = { type: 'esp', label: 'ESP', format: 'vfat', sizeMinBytes: 512 * MiB, sizeMaxBytes: 512 * MiB };

/** The read-only /usr: erofs, exactly as large as its image (Minimize=best), verity data. */
const usr: PartitionSpec = {
  type: 'usr', label: 'usr', format: 'erofs',
  copyFiles: [{ source: IN.usr, target: '/' }],
  minimize: 'best',
  verity: 'data', verityMatchKey: APPLIANCE_VERITY_KEY,
};

/** Its hash tree (format 1, SHA-256, 4 KiB blocks), as large as the tree needs. */
const usrVerity: PartitionSpec = {
  type: 'usr-verity', label: 'usr-verity',
  minimize: 'best',
  verity: 'hash', verityMatchKey: APPLIANCE_VERITY_KEY,
};

/** The writable root (state, /etc overlay, …). */
const root: PartitionSpec = {
  type: 'root', label: 'root', format: ROOT_FORMAT,
  copyFiles: [{ source: IN.rootfs, target: '/' }],
  sizeMinBytes: 64 * MiB,
};

const entry: BootEntrySpec = { id: 'appliance', title: 'Appliance', kernel: IN.kernel, initrd: IN.initrd, cmdline: APPLIANCE_CMDLINE };

/**
 * The signature partition of the signed variant: repart's JSON (rootHash, certificateFingerprint,
 * PKCS#7 signature of the root hash) made from the build's private key and certificate.
 */
const usrVeritySig: PartitionSpec = {
  type: 'usr-verity-sig', label: 'usr-verity-sig',
  verity: 'signature', verityMatchKey: APPLIANCE_VERITY_KEY,
};

function appliancePreset(signed: boolean): Preset {
  return {
    name: signed ? 'appliance-signed' : 'appliance',
    title: signed ? 'Appliance: verity-protected, signed /usr (UEFI)' : 'Appliance: verity-protected /usr (UEFI)',
    description: `GPT disk with an ESP holding systemd-boot and the kernel, a read-only erofs /usr (or Nix store) checked by dm-verity with its hash partition${signed ? ' and a signature partition (PKCS#7 over the root hash; build with a private key and certificate)' : ''}, and a writable root. The loader entry carries the root hash (usrhash=); the data and hash partition UUIDs are its halves.`,
    like: 'NixOS image.repart with verityStore (repart-verity-store)',
    spec: { table: 'gpt', seed: DEFAULT_SEED, sourceDateEpoch: EPOCH, partitions: signed ? [esp, usr, usrVerity, usrVeritySig, root] : [esp, usr, usrVerity, root] },
    boot: { bootPartition: 'ESP', rootPartition: 'root', entries: [entry], systemdBoot: { efi: IN.systemdBootEfi } },
    inputs: [
      presetInput('kernel'),
      { ...presetInput('initrd'), description: 'initramfs that opens /usr with dm-verity (root hash from usrhash=, devices by the PARTUUIDs that are its halves) and mounts the root' },
      presetInput('systemdBootEfi'),
      presetInput('usr'),
      presetInput('rootfs'),
    ],
    bootsWith: ['ovmf'],
  };
}

export const appliance: Preset = appliancePreset(false);
/** The same with a `usr-verity-sig` partition: needs a private key and certificate to build. */
export const applianceSigned: Preset = appliancePreset(true);
