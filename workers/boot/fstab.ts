/**
 * `--generate-fstab=` (systemd-repart 256): /etc/fstab lines for the partitions that have a
 * `MountPoint=` and a `Format=`, as repart's context_fstab() writes them — `WHAT WHERE FSTYPE OPTIONS
 * 0 PASS`, WHAT from make_by_uuid_symlink_path() (vfat: the volume ID `XXXX-XXXX`, else the file
 * system UUID), OPTIONS from partition_pick_mount_options() for a read-write mount (discard except on
 * ESP/XBOOTLDR) with the entry's own options appended, PASS 1 for root and 2 otherwise — between
 * repart's start/end marker lines, so `--append-fstab=auto` can replace the section in an existing file.
 */
import { partitionTypeByGuid } from '../model/partition-types.ts';
import type { ImagePlan, PlannedPartition } from '../plan/types.ts';
import { partitionIdentity } from './root-identity.ts';

/** repart.c AUTOMATIC_FSTAB_HEADER_START / _END: the markers an existing fstab's section is found by. */
export const FSTAB_SECTION_START = '# Start section ↓ of automatically generated fstab by systemd-repart';
export const FSTAB_SECTION_END = '# End section ↑ of automatically generated fstab by systemd-repart';

/** File systems the kernel mounts with `discard` (fstype_can_discard()). */
const CAN_DISCARD = ['btrfs', 'f2fs', 'ext4', 'vfat', 'xfs'];
/** File systems with fmask=/dmask= (fstype_can_fmask_dmask()). */
const CAN_FMASK = ['vfat', 'msdos', 'exfat', 'ntfs3'];

function designatorOf(p: PlannedPartition): string {
  const id = partitionTypeByGuid(p.typeGuid)?.id ?? '';
  if (/^root(-|$)/.test(id) && !id.includes('verity')) return 'root';
  return id;
}

/** partition_pick_mount_options(designator, fstype, rw=true, discard) folded into one option string. */
export function fstabMountOptions(designator: string, format: string, discard: boolean): string {
  const options: string[] = [];
  const boot = designator === 'esp' || designator === 'xbootldr';
  if (boot && CAN_FMASK.includes(format)) options.push('fmask=0177,dmask=0077');
  if (discard && CAN_DISCARD.includes(format)) options.push('discard');
  options.push('rw', 'nodev', boot || designator === 'tmp' ? 'nosuid' : 'suid', boot ? 'noexec' : 'exec');
  // MS_NOSYMFOLLOW on ESP/XBOOTLDR (every kernel since 5.10 has it).
  if (boot) options.push('nosymfollow');
  return options.join(',');
}

/** The fstab section, or undefined when no partition has MountPoint= and Format= (repart then writes nothing). */
export function generateFstab(plan: ImagePlan): string | undefined {
  const lines: string[] = [];
  for (const p of plan.partitions) {
    const format = p.spec.format;
    if (format === undefined || !p.spec.mountPoints?.length) continue;
    const fsUuid = partitionIdentity(plan, p).fsUuid;
    const what = fsUuid !== undefined ? `UUID=${fsUuid}` : `PARTUUID=${p.uuid}`;
    const designator = designatorOf(p);
    for (const m of p.spec.mountPoints) {
      let options = fstabMountOptions(designator, format, designator !== 'esp' && designator !== 'xbootldr');
      if (m.options) options += `,${m.options}`;
      lines.push(`${what} ${m.where} ${format} ${options} 0 ${designator === 'root' ? 1 : 2}`);
    }
  }
  if (lines.length === 0) return undefined;
  return [FSTAB_SECTION_START, ...lines, FSTAB_SECTION_END, ''].join('\n');
}

/**
 * `--append-fstab=` (v257): `auto` keeps what an existing file holds around the generated section
 * (replacing an earlier section), `replace`/`no` write the section alone.
 */
export function mergeFstab(section: string, previous: string | undefined, mode: 'no' | 'auto' | 'replace'): string {
  if (mode !== 'auto' || previous === undefined) return section;
  const lines = previous.split('\n');
  const start = lines.indexOf(FSTAB_SECTION_START);
  if (start < 0) return section + previous;
  const endRel = lines.slice(start + 1).indexOf(FSTAB_SECTION_END);
  const before = lines.slice(0, start).join('\n');
  const after = endRel < 0 ? '' : lines.slice(start + 2 + endRel).join('\n');
  return section + (before ? `${before}\n` : '') + after;
}
