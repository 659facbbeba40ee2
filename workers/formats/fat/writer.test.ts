/**
 * Populated volumes against the real tools: `fsck.fat -n` is clean, `mcopy -s` (mtools) copies every
 * file back byte-identical under the same (long, UTF-8) names, our reader agrees; plus determinism,
 * errors, the seed-derived volume ID and Minimize=.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SparseImage } from '../../disk/sparse-image.ts';
import { readFat } from './reader.ts';
import { minimumFatSizeBytes } from './minimize.ts';
import { formatVolumeId, vfatVolumeIdFromPartitionUuid } from './volume-id.ts';
import { writeFat, type FatOptions } from './writer.ts';
import type { FatDirInput, FatEntryInput, FatFileInput } from './layout.ts';
import { FileSink, cleanupTemp, fileReader, requireFatTools, tempDir, tool } from './test-support/fat-tools.ts';

const MiB = 1024 * 1024;
const EPOCH = 946684800; // 2000-01-01, what NixOS's sdImage dates files to

beforeAll(() => requireFatTools('mkfs.fat', 'fsck.fat', 'mcopy', 'mdir'));
afterAll(cleanupTemp);

/** Deterministic file content: a byte pattern derived from the name. */
function file(name: string, sizeBytes: number, mtimeSeconds?: number): FatFileInput {
  let seed = 0;
  for (const ch of name) seed = (seed * 31 + ch.codePointAt(0)!) >>> 0;
  return {
    kind: 'file', name, sizeBytes, mtimeSeconds,
    read(offsetBytes, target) {
      for (let i = 0; i < target.length; i++) target[i] = (seed + offsetBytes + i * 7 + ((offsetBytes + i) >> 9)) & 0xff;
    },
  };
}
const dir = (name: string, children: FatEntryInput[]): FatDirInput => ({ kind: 'dir', name, children });
function content(f: FatFileInput): Uint8Array {
  const b = new Uint8Array(f.sizeBytes);
  f.read(0, b);
  return b;
}

/** mtools writes and reads long names as UCS-2 (no surrogate pairs): astral characters only go through our reader. */
function astralTree(): FatEntryInput[] {
  return [file('emoji 😀.bin', 33), dir('🎉 party', [file('𝄞 clef.txt', 4)])];
}

function sampleTree(): FatEntryInput[] {
  let deep: FatEntryInput[] = [file('bottom.txt', 5)];
  for (let i = 20; i >= 1; i--) deep = [dir(`level ${i}`, deep)];
  return [
    file('config.txt', 1234),
    file('Readme.md', 0),
    file('start4.elf', 2 * 1024 * 1024 + 17),
    file('bcm2711-rpi-4-b.dtb', 50_000),
    file('A very long file name with spaces and more than thirteen characters.txt', 4097),
    file('café.txt', 10),
    file('日本語のファイル名.txt', 600),
    file('über', 1),
    dir('EFI', [dir('BOOT', [file('BOOTX64.EFI', 700_000), file('grub.cfg', 300)])]),
    dir('empty dir', []),
    dir('overlays', Array.from({ length: 40 }, (_, i) => file(`overlay-number-${i}.dtbo`, 100 + i))),
    dir('deep', deep),
  ];
}

/** Every file of a tree by path → input. */
function flatten(entries: readonly FatEntryInput[], prefix = ''): Map<string, FatFileInput | FatDirInput> {
  const out = new Map<string, FatFileInput | FatDirInput>();
  for (const e of entries) {
    const p = `${prefix}/${e.name}`;
    out.set(p, e);
    if (e.kind === 'dir') for (const [k, v] of flatten(e.children, p)) out.set(k, v);
  }
  return out;
}

/** Files and directories on disk below `root`, by path. */
function onDisk(root: string, prefix = ''): Map<string, 'dir' | Buffer> {
  const out = new Map<string, 'dir' | Buffer>();
  for (const name of readdirSync(root)) {
    const full = join(root, name);
    const p = `${prefix}/${name}`;
    if (statSync(full).isDirectory()) {
      out.set(p, 'dir');
      for (const [k, v] of onDisk(full, p)) out.set(k, v);
    } else out.set(p, readFileSync(full));
  }
  return out;
}

function build(options: FatOptions, tree: FatEntryInput[], offsetBytes = 0, name = 'vol.img'): string {
  const path = join(tempDir(), name);
  const sink = new FileSink(path, offsetBytes + options.sizeBytes);
  writeFat(sink, offsetBytes, options, tree);
  sink.close();
  return path;
}

function checkWithTools(img: string, tree: FatEntryInput[], offsetBytes = 0): void {
  if (offsetBytes === 0) {
    const fsck = tool('fsck.fat', ['-n', '-V', img]);
    expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);
    expect(fsck.stdout).not.toMatch(/differ|wrong|invalid|free cluster summary/i);
  }
  const spec = offsetBytes ? `${img}@@${offsetBytes}` : img;
  const out = join(tempDir(), 'out');
  mkdirSync(out);
  const r = tool('mcopy', ['-s', '-n', '-m', '-i', spec, '::/', out]);
  expect(r.status, r.stderr).toBe(0);
  const got = onDisk(out);
  const want = flatten(tree);
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [p, e] of want) {
    if (e.kind === 'dir') expect(got.get(p)).toBe('dir');
    else expect(Buffer.compare(got.get(p) as Buffer, Buffer.from(content(e))), p).toBe(0);
  }
  // mdir lists every top-level name.
  const mdir = tool('mdir', ['-b', '-i', spec, '::/']);
  expect(mdir.status).toBe(0);
  expect(mdir.stdout.split('\n').filter(Boolean).sort()).toEqual(tree.map((e) => `::/${e.name}${e.kind === 'dir' ? '/' : ''}`).sort());
  // Our reader agrees.
  const vol = readFat(fileReader(img), offsetBytes);
  const walked = vol.walk();
  expect(walked.map((e) => e.path).sort()).toEqual([...want.keys()].sort());
  for (const e of walked) {
    const input = want.get(e.path)!;
    if (input.kind !== 'file') continue;
    const bytes = new Uint8Array(e.sizeBytes);
    vol.readFile(e, 0, bytes);
    expect(Buffer.compare(Buffer.from(bytes), Buffer.from(content(input))), e.path).toBe(0);
  }
}

describe('populated volumes vs fsck.fat and mtools', () => {
  const cases: [string, Partial<FatOptions> & { sizeBytes: number }][] = [
    ['FAT12 8 MiB', { sizeBytes: 8 * MiB, fatType: 12 }],
    ['FAT16 30 MiB (sdImage FIRMWARE)', { sizeBytes: 30 * MiB, label: 'FIRMWARE' }],
    ['FAT32 forced 100 MiB (repart ESP)', { sizeBytes: 100 * MiB, fatType: 32, label: 'ESP' }],
    ['FAT32 auto 600 MiB', { sizeBytes: 600 * MiB }],
    ['FAT32 4096-byte sectors', { sizeBytes: 300 * MiB, fatType: 32, sectorBytes: 4096 }],
  ];
  for (const [title, c] of cases) {
    it(title, () => {
      const tree = sampleTree();
      const options: FatOptions = { volumeId: 0x2178694e, epochSeconds: EPOCH, ...c };
      checkWithTools(build(options, tree), tree);
    });
  }

  it('at a partition offset (mtools IMG@@OFFSET), hidden sectors set', () => {
    const tree = sampleTree();
    const offset = 8 * MiB;
    const img = build({ sizeBytes: 30 * MiB, volumeId: 0x2178694e, label: 'FIRMWARE', epochSeconds: EPOCH, hiddenSectors: offset / 512 }, tree, offset);
    checkWithTools(img, tree, offset);
    expect(readFat(fileReader(img), offset).boot.hiddenSectors).toBe(16384);
  });

  it('thousands of files in one directory (FAT32 root, FAT16 subdirectory)', () => {
    const many = Array.from({ length: 3000 }, (_, i) => file(`file with a long name number ${i}.dat`, i % 5 === 0 ? 0 : 10 + (i % 300)));
    const t32 = many;
    checkWithTools(build({ sizeBytes: 64 * MiB, fatType: 32, volumeId: 1, epochSeconds: EPOCH }, t32), t32);
    const t16 = [dir('many', many)];
    checkWithTools(build({ sizeBytes: 64 * MiB, volumeId: 1, epochSeconds: EPOCH }, t16), t16);
  });

  it('astral-plane names as UTF-16 surrogate pairs (fsck.fat clean, our reader reads them back)', () => {
    const tree = astralTree();
    const img = build({ sizeBytes: 8 * MiB, volumeId: 1, epochSeconds: EPOCH }, tree);
    expect(tool('fsck.fat', ['-n', img]).status).toBe(0);
    const vol = readFat(fileReader(img));
    expect(vol.walk().map((e) => e.path).sort()).toEqual(['/emoji 😀.bin', '/🎉 party', '/🎉 party/𝄞 clef.txt']);
    expect(vol.extract('/🎉 party/𝄞 clef.txt')).toEqual(content(tree[1]!.kind === 'dir' ? tree[1]!.children[0] as FatFileInput : tree[0] as FatFileInput));
  });

  it('timestamps: epoch by default, kept on request', () => {
    const tree = [file('a.txt', 3, 1_600_000_000)];
    const img1 = build({ sizeBytes: 8 * MiB, volumeId: 1, epochSeconds: EPOCH }, tree);
    expect(readFat(fileReader(img1)).listDir()[0]!.mtimeSeconds).toBe(EPOCH);
    const img2 = build({ sizeBytes: 8 * MiB, volumeId: 1, epochSeconds: EPOCH, timestamps: 'keep' }, tree);
    expect(readFat(fileReader(img2)).listDir()[0]!.mtimeSeconds).toBe(1_600_000_000);
  });
});

describe('writer properties', () => {
  it('same input, same bytes; only written ranges are mapped in a SparseImage', () => {
    const digest = () => {
      const image = new SparseImage(4 * 1024 * MiB);
      writeFat(image, MiB, { sizeBytes: 2 * 1024 * MiB, volumeId: 7, epochSeconds: EPOCH, label: 'SAME' }, sampleTree());
      const h = createHash('sha256');
      for (const r of image.dataRanges()) h.update(`${r.offsetBytes}:${r.sizeBytes}`).update(image.read(r.offsetBytes, r.sizeBytes));
      return { hash: h.digest('hex'), mapped: image.mappedBytes };
    };
    const a = digest();
    expect(digest()).toEqual(a);
    expect(a.mapped).toBeLessThan(8 * MiB); // a 2 GiB volume with ~3 MiB of files
  });

  it('refuses files of 4 GiB and more, naming the file; accepts 4 GiB − 1 in the plan', () => {
    const big = file('huge.iso', 2 ** 32);
    expect(() => writeFat(new SparseImage(8 * 1024 * MiB), 0, { sizeBytes: 8 * 1024 * MiB, volumeId: 1, epochSeconds: EPOCH }, [dir('isos', [big])]))
      .toThrow(/"\/isos\/huge\.iso" is 4294967296 bytes.*4294967295/);
    expect(minimumFatSizeBytes([file('max.bin', 2 ** 32 - 1)], { fatType: 32 })).toBeGreaterThan(2 ** 32);
  });

  it('says how much is needed when the content does not fit', () => {
    expect(() => writeFat(new SparseImage(8 * MiB), 0, { sizeBytes: 8 * MiB, volumeId: 1, epochSeconds: EPOCH }, [file('big', 9 * MiB)]))
      .toThrow(/needs \d+ clusters/);
    const rootFull = Array.from({ length: 600 }, (_, i) => file(`f${i}`, 1));
    expect(() => writeFat(new SparseImage(8 * MiB), 0, { sizeBytes: 8 * MiB, volumeId: 1, epochSeconds: EPOCH }, rootFull))
      .toThrow(/root directory holds 512 entries/);
  });

  it('streams file data in chunks smaller than the file', () => {
    const calls: number[] = [];
    const f = file('stream.bin', 5 * MiB + 3);
    const spy: FatFileInput = { ...f, read(o, t) { calls.push(t.length); f.read(o, t); } };
    writeFat(new SparseImage(64 * MiB), 0, { sizeBytes: 64 * MiB, volumeId: 1, epochSeconds: EPOCH, chunkBytes: MiB }, [spy]);
    expect(Math.max(...calls)).toBeLessThanOrEqual(MiB);
    expect(calls.reduce((a, b) => a + b, 0)).toBe(5 * MiB + 3);
  });

  it('a sink that copies files itself (copyFiles) gets every file with a ref, and the volume is the same bytes', () => {
    // Refs name files of sampleTree(); the copying sink reads them by ref, the plain one through read().
    const withRefs = (entries: FatEntryInput[]): FatEntryInput[] => entries.map((e) =>
      e.kind === 'dir' ? { ...e, children: withRefs(e.children) } : e.name === 'config.txt' ? e : { ...e, ref: e });
    const bytesOf = (sink: SparseImage) => {
      const h = createHash('sha256');
      for (const r of sink.dataRanges()) h.update(`${r.offsetBytes}:${r.sizeBytes}`).update(sink.read(r.offsetBytes, r.sizeBytes));
      return h.digest('hex');
    };
    const options: FatOptions = { sizeBytes: 64 * MiB, volumeId: 3, epochSeconds: EPOCH, label: 'COPY' };
    const plain = new SparseImage(64 * MiB);
    writeFat(plain, 0, options, withRefs(sampleTree()));

    const copying = new SparseImage(64 * MiB);
    const copied: string[] = [];
    const sink = Object.assign(Object.create(copying) as SparseImage, {
      copyFiles(copies: readonly { offsetBytes: number; ref: unknown; sizeBytes: number; paddedBytes: number }[]) {
        for (const c of copies) {
          const f = c.ref as FatFileInput;
          copied.push(f.name);
          const padded = new Uint8Array(c.paddedBytes);
          f.read(0, padded.subarray(0, c.sizeBytes));
          copying.write(c.offsetBytes, padded);
        }
        return true;
      },
    });
    writeFat(sink, 0, options, withRefs(sampleTree()));
    expect(copied).toContain('start4.elf');
    expect(copied).toContain('BOOTX64.EFI');
    expect(copied).not.toContain('config.txt'); // no ref: streamed by the writer
    expect(copied).not.toContain('Readme.md'); // empty: no clusters
    expect(bytesOf(copying)).toBe(bytesOf(plain));
  });
});

describe('volume ID from the seed (FACTS.md vector, systemd-repart 252)', () => {
  it('ESP partition d5fb892f-… → 9ED7-CD98, and mkfs.fat -i stores it the same way', () => {
    const id = vfatVolumeIdFromPartitionUuid('d5fb892f-a1d2-425c-9e07-5e9bb5709dae');
    expect(formatVolumeId(id)).toBe('9ED7-CD98');
    const img = build({ sizeBytes: 64 * MiB, fatType: 32, volumeId: id, epochSeconds: EPOCH }, []);
    expect(tool('mdir', ['-i', img, '::/']).stdout).toContain('9ED7-CD98');
  });
});

describe('Minimize=', () => {
  const trees: [string, FatEntryInput[], Omit<FatOptions, 'sizeBytes' | 'volumeId' | 'epochSeconds'>][] = [
    ['sample, auto type', sampleTree(), {}],
    ['sample, FAT32 forced', sampleTree(), { fatType: 32 }],
    ['many small files', Array.from({ length: 2000 }, (_, i) => file(`small file ${i}.txt`, 700)), { fatType: 32 }],
    ['one big file', [file('big.bin', 300 * MiB)], {}],
  ];
  for (const [title, tree, opts] of trees) {
    it(title, () => {
      const size = minimumFatSizeBytes(tree, opts);
      expect(size % 4096).toBe(0);
      const base = { volumeId: 1, epochSeconds: EPOCH, ...opts };
      // It fits, and one grain less does not.
      const img = build({ ...base, sizeBytes: size }, tree);
      if (!title.startsWith('one big')) checkWithTools(img, tree);
      // One grain less: the content does not fit, or (FAT32) it would have fewer than 65525 clusters.
      const smaller = () => {
        const r = writeFat(new SparseImage(size), 0, { ...base, sizeBytes: size - 4096 }, tree);
        if (r.geometry.fatType === 32 && r.geometry.clusterCount < 65525) throw new Error('FAT32 below 65525 clusters');
      };
      expect(smaller).toThrow();
    });
  }

  it('names the bytes needed when SizeMaxBytes= is too small', () => {
    const tree = [file('big.bin', 20 * MiB)];
    const need = minimumFatSizeBytes(tree);
    expect(() => minimumFatSizeBytes(tree, { maxSizeBytes: 10 * MiB })).toThrow(new RegExp(`${need} bytes`));
  });
});

// Keep the unused-import checker quiet for helpers used only in some environments.
void existsSync;
