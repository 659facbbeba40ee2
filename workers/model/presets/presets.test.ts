/**
 * Presets as data: each plans; the SD card equals NixOS's sdImage layout (FACTS.md) as sfdisk,
 * blkid and fsck.fat read it; U-Boot blobs land at their offsets byte for byte; overlaps are refused.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, readSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planImage } from '../../plan/plan-image.ts';
import { buildImage, type BuildInputs } from '../../build/build-image.ts';
import { ErrorCode, PartwrightError } from '../errors.ts';
import { PRESETS, PRESET_INPUTS, SD_DISK_ID, layoutPreset, presetByName, presetLayout, sdCardPreset } from './index.ts';
import { FileSource } from '../../hosts/node/file.ts';
import { readTree } from '../../hosts/node/tree.ts';
import { writeOutputFiles as writeOutput } from '../../hosts/node/outputs.ts';
import type { Preset } from './preset.ts';
import { loadNodeTool } from '../../hosts/node/tools.ts';

const MiB = 1024 * 1024;
const work = mkdtempSync(join(tmpdir(), 'partwright-presets-'));
afterAll(() => void (process.env.KEEP ? 0 : rmSync(work, { recursive: true, force: true })));

const ENV = { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin`, LC_ALL: 'C' };
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', env: ENV });

/** A copy source with the SD card's inputs: firmware files and U-Boot blobs with recognisable bytes. */
function sdSource(name: string, blobBytes: Record<string, number> = {}): string {
  const src = join(work, name);
  mkdirSync(join(src, PRESET_INPUTS.firmware), { recursive: true });
  writeFileSync(join(src, PRESET_INPUTS.firmware, 'config.txt'), 'arm_64bit=1\nenable_uart=1\n');
  writeFileSync(join(src, PRESET_INPUTS.firmware, 'start4.elf'), new Uint8Array(70_000).fill(0x5a));
  mkdirSync(join(src, PRESET_INPUTS.rootfs), { recursive: true });
  for (const [path, size] of Object.entries(blobBytes)) {
    mkdirSync(join(src, path, '..'), { recursive: true });
    writeFileSync(join(src, path), blobPattern(path, size));
  }
  return src;
}

function blobPattern(path: string, size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 7 + path.length) & 0xff || 1;
  return b;
}

async function build(preset: Preset, src: string): Promise<string> {
  const opened: FileSource[] = [];
  const inputs: BuildInputs = {
    open: (p) => { const s = new FileSource(join(src, p)); opened.push(s); return s; },
    openTree: (p) => readTree(join(src, p)),
  };
  const { image, plan } = buildImage(preset.spec, inputs, { loadTool: loadNodeTool });
  const out = join(work, `${preset.name}.img`);
  await writeOutput(image, plan, 'raw', out);
  for (const s of opened) s.close();
  return out;
}

function readBytes(file: string, offsetBytes: number, sizeBytes: number): Uint8Array {
  const fd = openSync(file, 'r');
  const b = new Uint8Array(sizeBytes);
  readSync(fd, b, 0, sizeBytes, offsetBytes);
  closeSync(fd);
  return b;
}

interface SfdiskTable { label: string; id: string; partitions: { node: string; start: number; size: number; type: string; bootable?: boolean }[] }
const sfdisk = (img: string): SfdiskTable => JSON.parse(run('sfdisk', ['--json', img])).partitiontable;

describe('presets', () => {
  it('have unique names, descriptions and plan without errors', () => {
    const names = PRESETS.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['repart-disk', 'vm-disk', 'vm-disk-legacy', 'sd-card', 'sd-card-hybrid', 'installer-iso']));
    for (const p of PRESETS) {
      expect(p.description.length, p.name).toBeGreaterThan(20);
      expect(presetByName(p.name)).toBe(p);
      // An ISO is laid out by the ISO builder from its contents, not planned: iso.test.ts builds it.
      if (p.spec.table === 'iso') continue;
      const blobSizes = Object.fromEntries((p.spec.blobs ?? []).map((b) => [b.name, 4096]));
      expect(() => planImage(p.spec, { blobSizes }), p.name).not.toThrow();
    }
  });

  it('a layout names its preset (Preset=): resolved by name, an unknown name refused naming the presets', () => {
    for (const p of PRESETS) {
      const spec = presetLayout(p);
      expect(spec.preset).toBe(p.name);
      expect(layoutPreset(spec)).toBe(p);
      // The layout is the user's copy: editing it leaves the preset's definition alone.
      spec.partitions.pop();
      expect(p.spec.partitions.length).toBeGreaterThan(spec.partitions.length);
      expect(p.spec.preset).toBeUndefined();
    }
    expect(layoutPreset({})).toBeUndefined();
    const err = (() => {
      try {
        layoutPreset({ preset: 'vm-dsk' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PartwrightError);
    expect((err as PartwrightError).code).toBe(ErrorCode.InvalidSpec);
    expect((err as PartwrightError).message).toBe(`Unknown preset vm-dsk; presets are ${PRESETS.map((p) => p.name).join(', ')}.`);
  });

  it('sd-card: MBR like NixOS sdImage (sfdisk, blkid, fsck.fat, e2fsck)', async () => {
    const preset = sdCardPreset();
    const img = await build(preset, sdSource('sd'));
    const t = sfdisk(img);
    expect(t.label).toBe('dos');
    expect(t.id).toBe(`0x${SD_DISK_ID.toString(16)}`);
    expect(t.partitions).toHaveLength(2);
    expect(t.partitions[0]).toMatchObject({ start: (8 * MiB) / 512, size: (30 * MiB) / 512, type: 'b', bootable: true });
    expect(t.partitions[1]).toMatchObject({ start: (38 * MiB) / 512, type: '83' });
    expect(t.partitions[1]!.bootable).toBeFalsy();

    const probe = run('blkid', ['--probe', '--offset', String(8 * MiB), '--size', String(30 * MiB), '-o', 'export', img]);
    expect(probe).toContain('LABEL=FIRMWARE');
    expect(probe).toContain('UUID=2178-694E');
    expect(probe).toContain('VERSION=FAT16');
    const fat = join(work, 'firmware.fat');
    writeFileSync(fat, readBytes(img, 8 * MiB, 30 * MiB));
    expect(run('fsck.fat', ['-n', fat])).toMatch(/\d+ files, \d+\/\d+ clusters/);

    // The root: ext4 NIXOS_SD with make-ext4-fs.nix's UUID, from 38 MiB to the end.
    const rootStart = 38 * MiB;
    const rootSize = t.partitions[1]!.size as number * 512;
    const root = join(work, 'sd-root.ext4');
    writeFileSync(root, readBytes(img, rootStart, rootSize));
    const fsck = spawnSync('e2fsck', ['-fn', root], { encoding: 'utf8' });
    expect(fsck.status, fsck.stdout).toBe(0);
    const rootProbe = run('blkid', ['-p', '-o', 'export', root]);
    expect(rootProbe).toContain('LABEL=NIXOS_SD');
    expect(rootProbe).toContain('UUID=44444444-4444-4444-8888-888888888888');
    expect(rootProbe).toContain('TYPE=ext4');
  });

  it('sd-card-hybrid: GPT with a hybrid MBR whose first entry is FIRMWARE', async () => {
    const preset = presetByName('sd-card-hybrid')!;
    const img = await build(preset, sdSource('sd-hybrid'));
    const t = sfdisk(img);
    expect(t.label).toBe('gpt');
    expect(t.partitions[0]).toMatchObject({ start: (8 * MiB) / 512, size: (30 * MiB) / 512 });
    expect(t.partitions[1]).toMatchObject({ start: (38 * MiB) / 512 });
    const mbr = readBytes(img, 0, 512);
    const entry = (i: number) => mbr.subarray(446 + 16 * i, 462 + 16 * i);
    expect(entry(0)[0]).toBe(0x80); // bootable
    expect(entry(0)[4]).toBe(0x0b);
    expect(new DataView(entry(0).buffer, entry(0).byteOffset).getUint32(8, true)).toBe((8 * MiB) / 512);
    expect([...mbr.subarray(0, 0)]).toEqual([]);
    expect(new DataView(mbr.buffer).getUint32(440, true)).toBe(SD_DISK_ID);
    expect([entry(1)[4], entry(2)[4]]).toContain(0xee);
    expect(run('sgdisk', ['-v', img])).toContain('No problems found');
  });

  it('sd-card-allwinner: U-Boot at 8 KiB byte for byte; hybrid moves the GPT entry array clear of it', async () => {
    const size = 600_000;
    for (const hybrid of [false, true]) {
      const preset = sdCardPreset({ uboot: 'allwinner', hybrid });
      const src = sdSource(`sd-aw-${hybrid}`, { [PRESET_INPUTS.ubootSunxi]: size });
      const img = await build(preset, src);
      expect(readBytes(img, 8 * 1024, size)).toEqual(new Uint8Array(readFileSync(join(src, PRESET_INPUTS.ubootSunxi))));
      expect(sfdisk(img).partitions[0]).toMatchObject({ start: (8 * MiB) / 512 });
      if (hybrid) expect(run('sgdisk', ['-v', img])).toContain('No problems found');
    }
  });

  it('sd-card-rockchip: idbloader at 32 KiB, u-boot.itb at 8 MiB, FIRMWARE at 16 MiB', async () => {
    const preset = presetByName('sd-card-rockchip')!;
    const src = sdSource('sd-rk', { [PRESET_INPUTS.rockchipIdbloader]: 150_000, [PRESET_INPUTS.rockchipUbootItb]: 900_000 });
    const img = await build(preset, src);
    expect(readBytes(img, 32 * 1024, 150_000)).toEqual(new Uint8Array(readFileSync(join(src, PRESET_INPUTS.rockchipIdbloader))));
    expect(readBytes(img, 8 * MiB, 900_000)).toEqual(new Uint8Array(readFileSync(join(src, PRESET_INPUTS.rockchipUbootItb))));
    expect(sfdisk(img).partitions[0]).toMatchObject({ start: (16 * MiB) / 512, type: 'b' });
  });

  it('refuses U-Boot blobs that overlap FIRMWARE or each other', () => {
    const aw = sdCardPreset({ uboot: 'allwinner' });
    const tooBig = () => planImage(aw.spec, { blobSizes: { 'u-boot-sunxi-with-spl': 8 * MiB } });
    expect(tooBig).toThrow(PartwrightError);
    expect(tooBig).toThrow(/overlaps/);
    try { tooBig(); } catch (e) { expect((e as PartwrightError).code).toBe(ErrorCode.Overlap); }
    const rk = sdCardPreset({ uboot: 'rockchip' });
    expect(() => planImage(rk.spec, { blobSizes: { idbloader: 8 * MiB, 'u-boot-itb': 1 * MiB } })).toThrow(/overlaps blob 'idbloader'/);
  });
});
