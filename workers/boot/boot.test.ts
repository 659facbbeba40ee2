/**
 * Bootloader installation without booting: GRUB's sector patches byte by byte (GRUB 2.06
 * util/setup.c), where core.img is embedded, and systemd-boot's files as mtools reads them back
 * from the built ESP with the PARTUUID sfdisk reports. (test/boot/ boots the same presets in QEMU.)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planImage } from '../plan/plan-image.ts';
import { SparseImage } from '../disk/sparse-image.ts';
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import { repartDisk, vmDisk, vmDiskLegacy, PRESET_INPUTS } from '../model/presets/index.ts';
import { BOOT_IMG, BLOCKLIST, buildBootableImage, encodeGrubCore, encodeGrubMbr, encodeLoaderEntry, expandCmdline, grubEmbeddingArea, installGrubBios, partitionIdentity, planBootFiles } from './index.ts';
import { FileSource } from '../hosts/node/file.ts';
import { readTree } from '../hosts/node/tree.ts';
import { writeOutputFiles as writeOutput } from '../hosts/node/outputs.ts';
import { ext4UuidFromPartitionUuid } from '../tools/mke2fs.ts';
import { loadNodeTool } from '../hosts/node/tools.ts';

const work = mkdtempSync(join(tmpdir(), 'partwright-boot-unit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const ENV = { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin`, LC_ALL: 'C.UTF-8', MTOOLS_SKIP_CHECK: '1' };

/** A stand-in boot.img: every byte 0xb0 except the signature. */
function fakeBootImg(): Uint8Array {
  const b = new Uint8Array(512).fill(0xb0);
  b[510] = 0x55;
  b[511] = 0xaa;
  return b;
}

describe('GRUB BIOS embedding', () => {
  it('boot.img keeps the disk BPB, disk signature and partition table and points at core.img', () => {
    const disk = new Uint8Array(512).map((_, i) => i & 0xff);
    const mbr = encodeGrubMbr(fakeBootImg(), disk, 2048);
    const view = new DataView(mbr.buffer);
    expect([...mbr.subarray(BOOT_IMG.bpbStart, BOOT_IMG.bpbEnd)]).toEqual([...disk.subarray(BOOT_IMG.bpbStart, BOOT_IMG.bpbEnd)]);
    expect([...mbr.subarray(BOOT_IMG.windowsNtMagic, BOOT_IMG.partEnd)]).toEqual([...disk.subarray(0x1b8, 0x1fe)]);
    expect(view.getBigUint64(BOOT_IMG.kernelSector, true)).toBe(2048n);
    expect(mbr[BOOT_IMG.bootDrive]).toBe(0xff);
    expect([mbr[0x66], mbr[0x67]]).toEqual([0x90, 0x90]);
    expect([mbr[0], mbr[1], mbr[2], mbr[0x5a], mbr[0x5b], mbr[0x65], mbr[0x68], mbr[0x1b7]]).toEqual(Array(8).fill(0xb0));
    expect([mbr[510], mbr[511]]).toEqual([0x55, 0xaa]);
  });

  it('refuses a boot.img that is not one signed sector', () => {
    expect(() => encodeGrubMbr(new Uint8Array(1024), new Uint8Array(512), 1)).toThrow(/must be 512 bytes/);
    expect(() => encodeGrubMbr(new Uint8Array(512), new Uint8Array(512), 1)).toThrow(/0x55AA/);
  });

  it("core.img's block list names the sectors after its first, loaded at 0x820, then a terminator", () => {
    const core = new Uint8Array(3 * 512 - 100).fill(0x11);
    // Stale lists as grub-mkimage may leave them: two entries, then the terminator.
    core.fill(0, 512 - 36, 512);
    const stale = new DataView(core.buffer);
    stale.setUint16(512 - 12 + 8, 5, true);
    stale.setUint16(512 - 24 + 8, 7, true);
    const out = encodeGrubCore(core, 2048);
    const v = new DataView(out.buffer);
    expect(out.length).toBe(3 * 512);
    expect(v.getBigUint64(BLOCKLIST.firstEntry + BLOCKLIST.start, true)).toBe(2049n);
    expect(v.getUint16(BLOCKLIST.firstEntry + BLOCKLIST.len, true)).toBe(2);
    expect(v.getUint16(BLOCKLIST.firstEntry + BLOCKLIST.segment, true)).toBe(0x820);
    expect([...out.subarray(512 - 24, 512 - 12)]).toEqual(Array(12).fill(0));
    expect(out[0]).toBe(0x11);
    expect([...out.subarray(3 * 512 - 100)]).toEqual(Array(100).fill(0));
  });

  it('embeds into the BIOS boot partition on GPT and after the MBR on MBR disks', () => {
    expect(grubEmbeddingArea(planImage(vmDisk.spec))).toEqual({ kind: 'bios-boot-partition', firstSector: 2048, sectors: 2048 });
    expect(grubEmbeddingArea(planImage(vmDiskLegacy.spec))).toEqual({ kind: 'post-mbr-gap', firstSector: 1, sectors: 2047 });
    expect(() => grubEmbeddingArea(planImage(repartDisk.spec))).toThrow(/BIOS boot partition/);
  });

  it('refuses a core.img larger than the embedding area', () => {
    const plan = planImage({ ...vmDiskLegacy.spec, firstPartitionOffsetBytes: 64 * 1024 });
    const image = new SparseImage(plan.diskSizeBytes);
    const core = new Uint8Array(200 * 512);
    try {
      installGrubBios(image, plan, fakeBootImg(), core);
      expect.unreachable();
    } catch (e) {
      expect((e as PartwrightError).code).toBe(ErrorCode.DoesNotFit);
      expect((e as Error).message).toMatch(/needs 200 sectors but the gap between the MBR and the first partition has 127/);
    }
  });
});

describe('systemd-boot entries and command lines', () => {
  it('names planned identities: GPT PARTUUID, MBR DISKID-NN, ext4 UUID, label', () => {
    const gpt = planImage(repartDisk.spec);
    const root = gpt.partitions.find((p) => p.label === 'root')!;
    const id = partitionIdentity(gpt, root);
    expect(id.partUuid).toBe(root.uuid);
    expect(id.fsUuid).toBe(ext4UuidFromPartitionUuid(root.uuid));
    expect(id.fsLabel).toBe('root'); // ext4 keeps the label's case (vfat would upper-case it)
    expect(expandCmdline('root={root.device} x={root.partuuid} y=UUID={root.fsuuid} z=LABEL={root.label}', id))
      .toBe(`root=PARTUUID=${root.uuid} x=${root.uuid} y=UUID=${id.fsUuid} z=LABEL=root`);
    expect(() => expandCmdline('{root.nope}', id)).toThrow(/not one of/);

    const mbr = planImage(vmDiskLegacy.spec);
    const mbrId = partitionIdentity(mbr, mbr.partitions[0]!);
    expect(mbrId.partUuid).toBe(`${mbr.mbrDiskId!.toString(16).padStart(8, '0')}-01`);
    expect(() => expandCmdline('{root.partlabel}', mbrId)).toThrow(/no such value/);
  });

  it('writes a Boot Loader Specification entry', () => {
    expect(encodeLoaderEntry({ id: 'linux', title: 'Linux', linux: '/kernels/linux/linux', initrd: '/kernels/linux/initrd', options: 'root=PARTUUID=x rw' }))
      .toBe('title Linux\nlinux /kernels/linux/linux\ninitrd /kernels/linux/initrd\noptions root=PARTUUID=x rw\n');
    expect(() => encodeLoaderEntry({ id: '../x', title: 'a', linux: '/l', options: '' })).toThrow(/Boot entry id/);
  });

  it('refuses systemd-boot outside an ESP root and a missing boot partition', () => {
    const plan = planImage(vmDiskLegacy.spec);
    expect(() => planBootFiles(vmDiskLegacy.spec, plan, { ...vmDiskLegacy.boot!, systemdBoot: { efi: '/x' } })).toThrow(/root of the ESP/);
    expect(() => planBootFiles(vmDiskLegacy.spec, plan, { ...vmDiskLegacy.boot!, bootPartition: 'ESP' })).toThrow(/no partition is labelled 'ESP'/);
  });

  it('builds the repart disk: mtools reads loader.conf and the entry, whose PARTUUID sfdisk reports', async () => {
    const src = join(work, 'src');
    const put = (p: string, text: string) => {
      mkdirSync(join(src, p, '..'), { recursive: true });
      writeFileSync(join(src, p), text);
    };
    put(PRESET_INPUTS.kernel, 'kernel');
    put(PRESET_INPUTS.initrd, 'initrd');
    put(PRESET_INPUTS.systemdBootEfi, 'MZ systemd-boot');
    put(`${PRESET_INPUTS.rootfs}/partwright-marker`, 'hello\n');
    const opened: FileSource[] = [];
    const result = buildBootableImage(repartDisk.spec, repartDisk.boot!, {
      open: (p) => { const s = new FileSource(join(src, p)); opened.push(s); return s; },
      openTree: (p) => readTree(join(src, p)),
    }, { loadTool: loadNodeTool });
    const img = join(work, 'repart.img');
    await writeOutput(result.image, result.plan, 'raw', img);
    for (const s of opened) s.close();

    const table = JSON.parse(execFileSync('sfdisk', ['--json', img], { encoding: 'utf8', env: ENV })).partitiontable;
    const rootUuid = (table.partitions[1].uuid as string).toLowerCase();
    const esp = `${img}@@${result.plan.partitions[0]!.offsetBytes}`;
    const mtype = (p: string) => execFileSync('mtype', ['-i', esp, `::${p}`], { encoding: 'utf8', env: ENV });
    expect(mtype('/loader/entries/linux.conf')).toBe(`title Linux\nlinux /kernels/linux/linux\ninitrd /kernels/linux/initrd\noptions root=PARTUUID=${rootUuid} rw console=ttyS0,115200 panic=-1\n`);
    expect(mtype('/loader/loader.conf')).toContain('default linux.conf\ntimeout 0\n');
    expect(mtype('/EFI/BOOT/BOOTX64.EFI')).toBe('MZ systemd-boot');
    expect(mtype('/kernels/linux/linux')).toBe('kernel');
    expect(result.boot.cmdlines.linux).toContain(`root=PARTUUID=${rootUuid}`);
  });
});
