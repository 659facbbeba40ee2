/**
 * The planned identities of a partition as a kernel command line names them: PARTUUID (GPT entry
 * UUID, or `DISKID-NN` on an MBR disk as the kernel and blkid spell it), the file system UUID and
 * label as blkid reports them once the file system is made. Derived exactly as
 * workers/build/filesystems.ts makes the file systems (repart's derivations, FACTS.md).
 */
import { hmacSha256 } from '../crypto/sha256.ts';
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import { bytesToUuid, uuidToBytes } from '../model/uuid.ts';
import { formatVolumeId, mangleFatLabel, vfatVolumeIdFromPartitionUuid } from '../formats/fat/index.ts';
import type { ImagePlan, PlannedPartition } from '../plan/types.ts';

export interface PartitionIdentity {
  /** What `root=PARTUUID=` takes. */
  partUuid: string;
  /** blkid's UUID= (vfat: `9ED7-CD98`; ext4: a UUID); undefined without `Format=`. */
  fsUuid: string | undefined;
  /** blkid's LABEL= (vfat: upper-cased, 11 characters, as repart's mangle_fat_label). */
  fsLabel: string | undefined;
  /** The GPT partition name (PARTLABEL=); undefined on an MBR. */
  partLabel: string | undefined;
}

export function findPartitionByLabel(plan: ImagePlan, label: string, what: string): PlannedPartition {
  const p = plan.partitions.find((q) => q.label === label);
  if (!p) {
    const labels = plan.partitions.map((q) => q.label).join(', ');
    throw new PartwrightError(ErrorCode.InvalidSpec, `${what}: no partition is labelled '${label}' (labels: ${labels}).`, { where: 'boot' });
  }
  return p;
}

/** repart's file system UUID: v4(HMAC-SHA256(key = partition UUID, "file-system-uuid")). */
export function deriveFileSystemUuid(partitionUuid: string): string {
  const x = hmacSha256(uuidToBytes(partitionUuid), new TextEncoder().encode('file-system-uuid')).slice(0, 16);
  x[6] = (x[6]! & 0x0f) | 0x40;
  x[8] = (x[8]! & 0x3f) | 0x80;
  return bytesToUuid(x);
}

function vfatVolumeId(p: PlannedPartition): number {
  if (p.spec.volumeId !== undefined) return p.spec.volumeId;
  if (p.spec.fileSystemUuid !== undefined) {
    const b = uuidToBytes(p.spec.fileSystemUuid);
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  }
  return vfatVolumeIdFromPartitionUuid(p.uuid);
}

export function partitionIdentity(plan: ImagePlan, p: PlannedPartition): PartitionIdentity {
  const partUuid = plan.table === 'mbr'
    ? `${(plan.mbrDiskId ?? 0).toString(16).padStart(8, '0')}-${p.partitionNumber.toString(16).padStart(2, '0')}`
    : p.uuid;
  const format = p.spec.format;
  let fsUuid: string | undefined;
  let fsLabel: string | undefined;
  if (format === 'vfat') {
    fsUuid = formatVolumeId(vfatVolumeId(p));
    fsLabel = mangleFatLabel(p.label);
  } else if (format !== undefined && format !== 'swap') {
    fsUuid = p.spec.fileSystemUuid ?? deriveFileSystemUuid(p.uuid);
    fsLabel = p.label;
  }
  return { partUuid, fsUuid, fsLabel, partLabel: plan.table === 'mbr' ? undefined : p.label };
}

/**
 * Replace `{root.partuuid}`, `{root.fsuuid}`, `{root.label}`, `{root.partlabel}`, `{root.device}` in a
 * command line, and `{verity.KEY.roothash}` (the root hash, hex, of the dm-verity set whose
 * VerityMatchKey= is KEY: what `usrhash=`/`roothash=` or a `dm-mod.create=` table takes) from `verity`.
 */
export function expandCmdline(template: string, root: PartitionIdentity, verity: Readonly<Record<string, string>> = {}): string {
  const values: Record<string, string | undefined> = {
    'root.partuuid': root.partUuid,
    'root.fsuuid': root.fsUuid,
    'root.label': root.fsLabel,
    'root.partlabel': root.partLabel,
    'root.device': `PARTUUID=${root.partUuid}`,
  };
  return template.replace(/\{([A-Za-z0-9_.-]+)\}/g, (whole, key: string) => {
    const v = /^verity\.(.+)\.roothash$/.exec(key);
    if (v) {
      const hash = verity[v[1]!];
      if (hash === undefined) throw new PartwrightError(ErrorCode.InvalidSpec, `Kernel command line names ${whole}, but no Verity=data/hash pair has VerityMatchKey=${v[1]}.`, { where: 'boot.entries' });
      return hash;
    }
    if (!(key in values)) throw new PartwrightError(ErrorCode.InvalidSpec, `Kernel command line names ${whole}, which is not one of ${Object.keys(values).map((k) => `{${k}}`).join(', ')}, {verity.KEY.roothash}.`, { where: 'boot.entries' });
    const v2 = values[key];
    if (v2 === undefined) throw new PartwrightError(ErrorCode.InvalidSpec, `Kernel command line names ${whole}, but the root partition has no such value (no Format=, or an MBR disk for partlabel).`, { where: 'boot.entries' });
    return v2;
  });
}
