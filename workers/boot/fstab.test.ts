/**
 * --generate-fstab (context_fstab()): mount options as partition_pick_mount_options() folds them for a
 * read-write mount, pass numbers, and --append-fstab=auto keeping an existing file around the section.
 * The options for root match TEST-58-REPART testcase_btrfs ("discard,rw,nodev,suid,exec,…  0 1", also
 * for a second mount point of the same root partition).
 */
import { describe, expect, it } from 'vitest';
import { planImage } from '../plan/plan-image.ts';
import { FSTAB_SECTION_END, FSTAB_SECTION_START, fstabMountOptions, generateFstab, mergeFstab } from './fstab.ts';

describe('fstab lines', () => {
  it('options per partition kind', () => {
    expect(fstabMountOptions('root', 'btrfs', true)).toBe('discard,rw,nodev,suid,exec');
    expect(fstabMountOptions('esp', 'vfat', false)).toBe('fmask=0177,dmask=0077,rw,nodev,nosuid,noexec,nosymfollow');
    expect(fstabMountOptions('xbootldr', 'ext4', false)).toBe('rw,nodev,nosuid,noexec,nosymfollow');
    expect(fstabMountOptions('tmp', 'ext4', true)).toBe('discard,rw,nodev,nosuid,exec');
    expect(fstabMountOptions('home', 'erofs', true)).toBe('rw,nodev,suid,exec');
  });

  it('every MountPoint= of a partition is a line with its pass; none without Format= or MountPoint=', () => {
    const plan = planImage({ table: 'gpt', partitions: [
      { type: 'root', format: 'ext4', mountPoints: [{ where: '/', options: 'subvol=@' }, { where: '/home', options: 'subvol=@home' }] },
      { type: 'srv', format: 'ext4', mountPoints: [{ where: '/srv' }] },
      { type: 'swap', mountPoints: [{ where: 'none' }] },
      { type: 'var', format: 'ext4' },
    ] }, { sizeBytes: 'auto' });
    const lines = generateFstab(plan)!.split('\n');
    expect(lines[0]).toBe(FSTAB_SECTION_START);
    expect(lines.slice(1, 4).map((l) => l.replace(/^UUID=\S+ /, ''))).toEqual([
      '/ ext4 discard,rw,nodev,suid,exec,subvol=@ 0 1',
      '/home ext4 discard,rw,nodev,suid,exec,subvol=@home 0 1',
      '/srv ext4 discard,rw,nodev,suid,exec 0 2',
    ]);
    expect(lines[4]).toBe(FSTAB_SECTION_END);
    expect(generateFstab(planImage({ table: 'gpt', partitions: [{ type: 'var', format: 'ext4' }] }, { sizeBytes: 'auto' }))).toBeUndefined();
  });

  it('--append-fstab=auto replaces an earlier section and keeps the rest; no/replace write the section alone', () => {
    const section = `${FSTAB_SECTION_START}\nnew\n${FSTAB_SECTION_END}\n`;
    const previous = `a\n${FSTAB_SECTION_START}\nold\n${FSTAB_SECTION_END}\nb\n`;
    expect(mergeFstab(section, previous, 'auto')).toBe(`${section}a\nb\n`);
    expect(mergeFstab(section, 'x\n', 'auto')).toBe(`${section}x\n`);
    expect(mergeFstab(section, previous, 'replace')).toBe(section);
  });
});
