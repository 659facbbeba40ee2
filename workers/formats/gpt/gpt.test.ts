import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, truncateSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from '../crc32.ts';
import { encodeHybridMbr } from '../mbr/encode.ts';
import { decodeMbr } from '../mbr/decode.ts';
import { readFromBytes, regionsToBytes, type TableRegion } from '../table-region.ts';
import {
  cleanupTemp, firstDifference, fixturePath, parseSfdiskAttrs, readFile, readFixture, readJson,
  requireTools, run, runStatus, sfdiskJson, writeImage, type SfdiskJson,
} from '../test-support/tools.ts';
import { decodeGpt, detectGptSectorSize, encodeGpt, type GptPartitionInput, type GptTable } from './index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const ESP = 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b';
const LINUX = '0fc63daf-8483-4772-8e79-3d69d8477de4';
const ROOT_X86_64 = '4f68bce3-e8cd-4db1-96e7-fbcaf984b709';

beforeAll(() => requireTools('sfdisk', 'sgdisk', 'fdisk'));
afterAll(() => cleanupTemp());

/** The bytes the regions put into [offsetBytes, offsetBytes + sizeBytes). */
function window(regions: readonly TableRegion[], offsetBytes: number, sizeBytes: number): Uint8Array {
  const out = new Uint8Array(sizeBytes);
  for (const r of regions) {
    const from = Math.max(r.offsetBytes, offsetBytes);
    const to = Math.min(r.offsetBytes + r.bytes.length, offsetBytes + sizeBytes);
    if (from < to) out.set(r.bytes.subarray(from - r.offsetBytes, to - r.offsetBytes), from - offsetBytes);
  }
  return out;
}

/** The table an sfdisk script (`*.sfd`, the input both sfdisk and our encoder get) describes. */
function tableFromSfd(text: string, diskSizeBytes: number, sectorSizeBytes: number): GptTable {
  const header = new Map<string, string>();
  const partitions: GptPartitionInput[] = [];
  for (const line of text.split('\n').filter((l) => l.trim())) {
    if (!line.includes('=')) {
      const [k, v] = line.split(/:\s*/);
      header.set(k!, v!);
      continue;
    }
    const f = new Map<string, string>();
    for (const m of line.matchAll(/(\w+)=("[^"]*"|[^,]*)/g)) f.set(m[1]!, m[2]!.replace(/^"|"$/g, ''));
    const start = Number(f.get('start'));
    partitions.push({
      typeGuid: f.get('type')!,
      uniqueGuid: f.get('uuid')!,
      firstLba: start,
      lastLba: start + Number(f.get('size')) - 1,
      name: f.get('name') ?? '',
      attributes: parseSfdiskAttrs(f.get('attrs')),
    });
  }
  const table: GptTable = { diskGuid: header.get('label-id')!, sectorSizeBytes, diskSizeBytes, partitions };
  if (header.has('first-lba')) table.firstUsableLba = Number(header.get('first-lba'));
  if (header.has('table-length')) table.entryCount = Number(header.get('table-length'));
  return table;
}

interface Meta { diskSizeBytes: number; sectorSizeBytes: number; headSectors: number; tailSectors: number }

function fixture(name: string) {
  const meta = readJson<Meta>(fixturePath(here, `${name}.meta.json`));
  const head = readFixture(here, `${name}.head.bin`);
  const tail = readFixture(here, `${name}.tail.bin`);
  const tailOffset = meta.diskSizeBytes - tail.length;
  const read = (offsetBytes: number, sizeBytes: number): Uint8Array => {
    const out = new Uint8Array(sizeBytes);
    for (const [src, at] of [[head, 0], [tail, tailOffset]] as const) {
      const from = Math.max(at, offsetBytes);
      const to = Math.min(at + src.length, offsetBytes + sizeBytes);
      if (from < to) out.set(src.subarray(from - at, to - at), from - offsetBytes);
    }
    return out;
  };
  return { meta, head, tail, tailOffset, read };
}

function expectSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  const at = firstDifference(actual, expected);
  expect(at, `${what}: first difference at byte ${at}`).toBe(-1);
}

describe('encodeGpt matches sfdisk/fdisk byte for byte (golden fixtures from fixtures/gen.sh)', () => {
  for (const name of ['gpt-512', 'gpt-512-entries-16', 'gpt-3t', 'gpt-4096']) {
    it(name, () => {
      const f = fixture(name);
      const table = tableFromSfd(
        readFileSync(fixturePath(here, `${name}.sfd`), 'utf8'),
        f.meta.diskSizeBytes,
        f.meta.sectorSizeBytes,
      );
      const regions = encodeGpt(table);
      expectSameBytes(window(regions, 0, f.head.length), f.head, `${name} head`);
      expectSameBytes(window(regions, f.tailOffset, f.tail.length), f.tail, `${name} tail`);
    });
  }

  for (const name of ['gpt-512', 'gpt-512-entries-16', 'gpt-3t']) {
    it(`decodeGpt(${name}) agrees with sfdisk --json`, () => {
      const f = fixture(name);
      const json = readJson<SfdiskJson>(fixturePath(here, `${name}.sfdisk.json`)).partitiontable;
      const gpt = decodeGpt(f.read, f.meta.diskSizeBytes, 512);
      expect(gpt.source).toBe('primary');
      expect(gpt.warnings).toEqual([]);
      expect(gpt.diskGuid).toBe(json.id.toLowerCase());
      expect(gpt.geometry.firstUsableLba).toBe(json.firstlba);
      expect(gpt.geometry.lastUsableLba).toBe(json.lastlba);
      expect(gpt.partitions.map((p) => ({
        start: p.firstLba, size: p.lastLba - p.firstLba + 1, type: p.typeGuid, uuid: p.uniqueGuid, name: p.name, attrs: p.attributes,
      }))).toEqual(json.partitions!.map((p) => ({
        start: p.start, size: p.size, type: p.type.toLowerCase(), uuid: p.uuid!.toLowerCase(), name: p.name ?? '', attrs: parseSfdiskAttrs(p.attrs),
      })));
    });
  }

  it('detects the sector size of the 512 and 4096 fixtures', () => {
    for (const [name, size] of [['gpt-512', 512], ['gpt-4096', 4096]] as const) {
      const f = fixture(name);
      expect(detectGptSectorSize(f.read, f.meta.diskSizeBytes)).toBe(size);
    }
    expect(detectGptSectorSize(readFromBytes(new Uint8Array(8192)), 8192)).toBeUndefined();
  });
});

describe('hybrid MBR against sgdisk --hybrid (fixtures/gen.sh)', () => {
  const cases = [
    { name: 'hybrid-ee-last', protectiveFirst: false, mirrored: [{ n: 1, type: 0xef }, { n: 3, type: 0x07 }] },
    { name: 'hybrid-ee-first', protectiveFirst: true, mirrored: [{ n: 2, type: 0x83 }] },
  ];
  for (const c of cases) {
    it(`${c.name}: same MBR sector and GPT as sgdisk`, () => {
      const f = fixture(c.name);
      const table = tableFromSfd(readFileSync(fixturePath(here, 'hybrid.sfd'), 'utf8'), f.meta.diskSizeBytes, 512);
      const theirs = decodeMbr(f.read, f.meta.diskSizeBytes, 512);
      expect(theirs.kind).toBe('hybrid');
      const mbr = encodeHybridMbr({
        diskId: theirs.diskId,
        sectorSizeBytes: 512,
        diskSizeBytes: f.meta.diskSizeBytes,
        protectiveFirst: c.protectiveFirst,
        mirrored: c.mirrored.map(({ n, type }) => {
          const p = table.partitions[n - 1]!;
          return { type, firstLba: p.firstLba, sectorCount: p.lastLba - p.firstLba + 1 };
        }),
      });
      const regions = [mbr, ...encodeGpt({ ...table, protectiveMbr: false })];
      // Structurally: the same records in the same order ...
      const ours = decodeMbr(readFromBytes(window(regions, 0, 512)), f.meta.diskSizeBytes, 512);
      expect(ours).toEqual(theirs);
      // ... and in fact the same bytes, MBR and GPT.
      expectSameBytes(window(regions, 0, f.head.length), f.head, `${c.name} head`);
      expectSameBytes(window(regions, f.tailOffset, f.tail.length), f.tail, `${c.name} tail`);
    });
  }
});

const basic: Omit<GptTable, 'diskSizeBytes' | 'sectorSizeBytes'> = {
  diskGuid: '6913f4b6-6690-4a57-a202-f1b53c56dbdf',
  partitions: [
    { typeGuid: ESP, uniqueGuid: 'b2d552b0-45db-4678-b34f-066168609d1a', firstLba: 2048, lastLba: 206847, name: 'esp', attributes: 1n },
    { typeGuid: ROOT_X86_64, uniqueGuid: '9e90c9c3-c7e8-44f2-bf19-9ae2689de795', firstLba: 206848, lastLba: 411647, name: 'root-x86-64', attributes: 1n << 59n },
    { typeGuid: LINUX, uniqueGuid: '7f48db1a-b817-4c23-a5d2-cde068eb2163', firstLba: 411648, lastLba: 413695, name: 'Ünïcødé name ✓' },
  ],
};

/** Check an image the way users would: sfdisk --json field by field, sgdisk -v, fdisk -l. */
function checkWithTools(path: string, table: GptTable): void {
  const json = sfdiskJson(path).partitiontable;
  expect(json.label).toBe('gpt');
  expect(json.id.toLowerCase()).toBe(table.diskGuid);
  expect(json.sectorsize).toBe(512);
  expect(json.partitions!.map((p) => ({
    node: p.node.slice(path.length), start: p.start, size: p.size, type: p.type.toLowerCase(),
    uuid: p.uuid!.toLowerCase(), name: p.name ?? '', attrs: parseSfdiskAttrs(p.attrs),
  }))).toEqual(table.partitions.map((p, i) => ({
    node: String(p.partitionNumber ?? i + 1), start: p.firstLba, size: p.lastLba - p.firstLba + 1, type: p.typeGuid,
    uuid: p.uniqueGuid, name: p.name ?? '', attrs: p.attributes ?? 0n,
  })));
  const v = runStatus('sgdisk', ['-v', path]);
  expect(v.output).toContain('No problems found');
  expect(v.status).toBe(0);
  const fdisk = run('fdisk', ['-l', path]);
  expect(fdisk).toContain('Disklabel type: gpt');
  expect(fdisk).not.toMatch(/corrupt|invalid|mismatch/i);
  for (const [i] of table.partitions.entries()) expect(fdisk).toContain(`${path}${i + 1} `);
}

describe('images written from encodeGpt read correctly with sfdisk, sgdisk and fdisk', () => {
  it('512-byte sectors, 1 GiB, defaults (128 entries at LBA 2)', () => {
    const table: GptTable = { ...basic, sectorSizeBytes: 512, diskSizeBytes: GiB };
    const path = writeImage(encodeGpt(table), GiB);
    checkWithTools(path, table);
    const json = sfdiskJson(path).partitiontable;
    expect(json.firstlba).toBe(2048);
    expect(json.lastlba).toBe(GiB / 512 - 34);
  });

  it('a 64 GiB sparse disk', () => {
    const table: GptTable = {
      ...basic,
      sectorSizeBytes: 512,
      diskSizeBytes: 64 * GiB,
      partitions: [...basic.partitions, { typeGuid: LINUX, uniqueGuid: '11111111-2222-4333-8444-555555555555', firstLba: 413696, lastLba: 64 * GiB / 512 - 34, name: 'home' }],
    };
    const path = writeImage(encodeGpt(table), table.diskSizeBytes);
    checkWithTools(path, table);
    expect(decodeGpt(readFile(path), table.diskSizeBytes, 512).geometry.backupHeaderLba).toBe(64 * GiB / 512 - 1);
  });

  it('the primary entry array moved to LBA 2048 (room for boot blobs before it)', () => {
    const table: GptTable = {
      ...basic, sectorSizeBytes: 512, diskSizeBytes: GiB, entriesLba: 2048,
      partitions: basic.partitions.map((p) => ({ ...p, firstLba: p.firstLba + 2048, lastLba: p.lastLba + 2048 })),
    };
    const regions = encodeGpt(table);
    const path = writeImage(regions, GiB);
    checkWithTools(path, table);
    const gpt = decodeGpt(readFile(path), GiB, 512);
    expect(gpt.geometry.entriesLba).toBe(2048);
    expect(gpt.geometry.firstUsableLba).toBe(4096);
    // Nothing is written between the header and LBA 2048.
    expect(regions.some((r) => r.offsetBytes < 2048 * 512 && r.offsetBytes + r.bytes.length > 1024)).toBe(false);
    expect(run('sgdisk', ['-p', path])).toMatch(/Main partition table begins at sector 2048/);
  });

  it('i.MX layout: bytes from 1 KiB free, entries just below the first partition at 1 MiB', () => {
    // 128 entries = 32 sectors at LBA 2016..2047; LBA 2.. 2015 (1 KiB .. 1008 KiB) stays free for the SPL.
    const table: GptTable = { ...basic, sectorSizeBytes: 512, diskSizeBytes: GiB, entriesLba: 2016, firstUsableLba: 2048 };
    const regions = encodeGpt(table);
    const touched = regions.filter((r) => r.offsetBytes < 2016 * 512 && r.offsetBytes + r.bytes.length > 1024);
    expect(touched).toEqual([]);
    const path = writeImage(regions, GiB);
    checkWithTools(path, table);
    expect(run('sgdisk', ['-p', path])).toMatch(/Main partition table begins at sector 2016/);
  });

  for (const entryCount of [4, 16, 56, 129, 256]) {
    it(`${entryCount} entries`, () => {
      const table: GptTable = { ...basic, sectorSizeBytes: 512, diskSizeBytes: GiB, entryCount };
      const path = writeImage(encodeGpt(table), GiB);
      checkWithTools(path, table);
      const gpt = decodeGpt(readFile(path), GiB, 512);
      expect(gpt.geometry.entryCount).toBe(entryCount);
      expect(gpt.geometry.lastUsableLba).toBe(GiB / 512 - 2 - Math.ceil(entryCount / 4));
    });
  }

  it('partitions in chosen entry slots (gaps in the numbering)', () => {
    const table: GptTable = {
      ...basic, sectorSizeBytes: 512, diskSizeBytes: GiB,
      partitions: basic.partitions.map((p, i) => ({ ...p, partitionNumber: [1, 3, 128][i] })),
    };
    const path = writeImage(encodeGpt(table), GiB);
    const json = sfdiskJson(path).partitiontable;
    expect(json.partitions!.map((p) => p.node.slice(path.length))).toEqual(['1', '3', '128']);
    expect(runStatus('sgdisk', ['-v', path]).output).toContain('No problems found');
  });

  it('4096-byte sectors: fdisk -b 4096 lists the table with names, UUIDs and attributes', () => {
    const table: GptTable = {
      diskGuid: basic.diskGuid, sectorSizeBytes: 4096, diskSizeBytes: GiB,
      partitions: [
        { typeGuid: ESP, uniqueGuid: 'b2d552b0-45db-4678-b34f-066168609d1a', firstLba: 256, lastLba: 25855, name: 'esp', attributes: 1n },
        { typeGuid: LINUX, uniqueGuid: '7f48db1a-b817-4c23-a5d2-cde068eb2163', firstLba: 25856, lastLba: GiB / 4096 - 6, name: 'data', attributes: 1n << 60n },
      ],
    };
    const path = writeImage(encodeGpt(table), GiB);
    const out = run('fdisk', ['-b', '4096', '-l', '-o', 'Device,Start,End,Type-UUID,UUID,Name,Attrs', path]);
    expect(out).toContain('Disklabel type: gpt');
    expect(out).toContain(`Disk identifier: ${basic.diskGuid.toUpperCase()}`);
    expect(out).not.toMatch(/corrupt|invalid|mismatch/i);
    expect(out).toMatch(new RegExp(`${path}1 +256 +25855 +${ESP.toUpperCase()} +B2D552B0-45DB-4678-B34F-066168609D1A +esp +RequiredPartition`));
    expect(out).toMatch(new RegExp(`${path}2 +25856 +${GiB / 4096 - 6} +${LINUX.toUpperCase()} +7F48DB1A-B817-4C23-A5D2-CDE068EB2163 +data +GUID:60`));
    expect(detectGptSectorSize(readFile(path), GiB)).toBe(4096);
    expect(decodeGpt(readFile(path), GiB, 4096).geometry).toEqual({
      entriesLba: 2, entryCount: 128, entrySizeBytes: 128, firstUsableLba: 256,
      lastUsableLba: GiB / 4096 - 6, backupEntriesLba: GiB / 4096 - 5, backupHeaderLba: GiB / 4096 - 1,
    });
  });
});

describe('decodeGpt(encodeGpt(x)) == x', () => {
  const tables: GptTable[] = [
    { ...basic, sectorSizeBytes: 512, diskSizeBytes: GiB },
    { ...basic, sectorSizeBytes: 512, diskSizeBytes: GiB, entriesLba: 2048, entryCount: 16,
      partitions: basic.partitions.map((p) => ({ ...p, firstLba: p.firstLba + 2048, lastLba: p.lastLba + 2048 })) },
    { ...basic, sectorSizeBytes: 4096, diskSizeBytes: 4 * GiB, entrySizeBytes: 256,
      partitions: [{ ...basic.partitions[0]!, firstLba: 256, lastLba: 1000, attributes: 0xffff_ffff_ffff_ffffn, name: 'x'.repeat(36) }] },
    { ...basic, sectorSizeBytes: 512, diskSizeBytes: 4 * MiB, partitions: [] },
  ];
  for (const [i, table] of tables.entries()) {
    it(`table ${i}`, () => {
      const regions = encodeGpt(table);
      const image = regionsToBytes(regions, table.diskSizeBytes);
      const gpt = decodeGpt(readFromBytes(image), table.diskSizeBytes, table.sectorSizeBytes);
      expect(gpt.diskGuid).toBe(table.diskGuid);
      expect(gpt.source).toBe('primary');
      expect(gpt.warnings).toEqual([]);
      expect(gpt.partitions).toEqual(table.partitions.map((p, n) => ({
        partitionNumber: n + 1, attributes: 0n, name: '', ...p,
      })));
      // Re-encoding what was decoded gives the same bytes.
      const again = encodeGpt({ ...table, ...gpt.geometry, diskGuid: gpt.diskGuid, partitions: gpt.partitions });
      expect(again).toEqual(regions);
    });
  }
});

describe('encodeGpt refuses impossible tables', () => {
  const table: GptTable = { ...basic, sectorSizeBytes: 512, diskSizeBytes: GiB };
  it.each([
    ['overlap', { partitions: [basic.partitions[0]!, { ...basic.partitions[1]!, firstLba: 206000 }] }, /partition 1 \(LBA 2048\.\.206847\) overlaps partition 2/],
    ['outside usable', { partitions: [{ ...basic.partitions[0]!, firstLba: 34 }] }, /outside the usable range 2048\.\./],
    ['name too long', { partitions: [{ ...basic.partitions[0]!, name: 'x'.repeat(37) }] }, /37 UTF-16 code units/],
    ['entry size', { entrySizeBytes: 192 }, /entry size 192/],
    ['entries into usable', { entriesLba: 2040, firstUsableLba: 2048 }, /runs into the first usable LBA/],
    ['entries over header', { entriesLba: 1 }, /must be 2 or later/],
    ['odd disk size', { diskSizeBytes: GiB + 100 }, /not a multiple/],
  ] as const)('%s', (_, patch, message) => {
    expect(() => encodeGpt({ ...table, ...patch } as GptTable)).toThrow(message);
  });
});

describe('decodeGpt on corrupt images', () => {
  const table: GptTable = { ...basic, sectorSizeBytes: 512, diskSizeBytes: 64 * MiB,
    partitions: basic.partitions.map((p, i) => ({ ...p, firstLba: 2048 + i * 4096, lastLba: 2048 + i * 4096 + 4095 })) };
  const size = table.diskSizeBytes;
  const N = size / 512;
  const fresh = (): Uint8Array => regionsToBytes(encodeGpt(table), size);
  const flip = (b: Uint8Array, at: number, mask: number): void => { b[at] = (b[at] ?? 0) ^ mask; };
  const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

  /** Recompute the entries CRC and header CRC of the header at `lba` after tampering. */
  function reseal(image: Uint8Array, lba: number): void {
    const h = image.subarray(lba * 512, lba * 512 + 92);
    const dv = view(h);
    const entriesLba = Number(dv.getBigUint64(72, true));
    const bytes = dv.getUint32(80, true) * dv.getUint32(84, true);
    dv.setUint32(88, crc32(image.subarray(entriesLba * 512, entriesLba * 512 + bytes)), true);
    dv.setUint32(16, 0, true);
    dv.setUint32(16, crc32(h), true);
  }

  function decodeError(image: Uint8Array, diskSizeBytes = size): { problem: unknown; message: string; code: string } {
    try {
      decodeGpt(readFromBytes(image), diskSizeBytes, 512);
    } catch (e) {
      const err = e as { detail: { problem: unknown }; message: string; code: string };
      return { problem: err.detail.problem, message: err.message, code: err.code };
    }
    throw new Error('decodeGpt did not throw');
  }

  it('bad primary header CRC: falls back to the backup and says so; sgdisk agrees', () => {
    const image = fresh();
    flip(image, 512 + 40, 0xff); // first usable LBA
    const gpt = decodeGpt(readFromBytes(image), size, 512);
    expect(gpt.source).toBe('backup');
    expect(gpt.warnings[0]).toMatch(/primary GPT is corrupt, using the backup: primary GPT header \(LBA 1\): header CRC32/);
    expect(gpt.partitions).toHaveLength(3);
    const path = writeImage([{ kind: 'mbr', offsetBytes: 0, bytes: image }], size);
    expect(runStatus('sgdisk', ['-v', path]).output).toMatch(/main GPT header.*(corrupt|CRC)|CRC.*main/i);
  });

  it('bad header CRC in both copies', () => {
    const image = fresh();
    flip(image, 512 + 40, 0xff);
    flip(image, (N - 1) * 512 + 40, 0xff);
    const e = decodeError(image);
    expect(e).toMatchObject({ code: 'corrupt-table', problem: 'header-crc' });
    expect(e.message).toMatch(/^primary GPT header \(LBA 1\): header CRC32 is 0x[0-9a-f]{8} but the header's bytes give 0x/);
  });

  it('bad entries CRC: primary falls back, both gives entries-crc', () => {
    const image = fresh();
    flip(image, 1024 + 56, 1); // a name byte of entry 1
    const gpt = decodeGpt(readFromBytes(image), size, 512);
    expect(gpt.source).toBe('backup');
    expect(gpt.warnings[0]).toMatch(/primary GPT entry array \(LBA 2\): CRC32/);
    flip(image, (N - 33) * 512 + 56, 1);
    expect(decodeError(image)).toMatchObject({ problem: 'entries-crc' });
  });

  it('a corrupt backup is reported as a warning when the primary is fine', () => {
    const image = fresh();
    image.fill(0, (N - 1) * 512, (N - 1) * 512 + 1);
    const gpt = decodeGpt(readFromBytes(image), size, 512);
    expect(gpt.source).toBe('primary');
    expect(gpt.warnings).toEqual(['backup GPT is corrupt: backup GPT header (LBA 131071): no "EFI PART" signature']);
  });

  it('truncated image', () => {
    const image = fresh();
    const half = image.subarray(0, size / 2);
    const e = decodeError(half, size / 2);
    expect(e).toMatchObject({ code: 'corrupt-table', problem: 'alternate-lba' });
    expect(e.message).toMatch(/alternate header LBA 131071 is past the end of the disk \(65536 sectors; truncated image\?\)/);
    // Reading past the end of a short file (disk size claimed larger than the bytes there).
    const path = writeImage([{ kind: 'mbr', offsetBytes: 0, bytes: image }], size);
    truncateSync(path, 1024 + 100);
    expect(() => decodeGpt(readFile(path), size, 512)).toThrow(/truncated image/);
  });

  it('wrong entry size', () => {
    const image = fresh();
    for (const lba of [1, N - 1]) {
      view(image).setUint32(lba * 512 + 84, 100, true);
      reseal(image, lba);
    }
    const e = decodeError(image);
    expect(e).toMatchObject({ problem: 'entry-size' });
    expect(e.message).toBe('primary GPT header (LBA 1): entry size 100 is not 128 × 2^n bytes');
  });

  it('overlapping entries', () => {
    const image = fresh();
    for (const lba of [2, N - 33]) view(image).setBigUint64(lba * 512 + 128 + 32, 4000n, true); // entry 2 first LBA
    for (const lba of [1, N - 1]) reseal(image, lba);
    const e = decodeError(image);
    expect(e).toMatchObject({ problem: 'overlap' });
    expect(e.message).toBe('GPT partition 1 (LBA 2048..6143) overlaps partition 2 (LBA 4000..10239)');
    const path = writeImage([{ kind: 'mbr', offsetBytes: 0, bytes: image }], size);
    expect(runStatus('sgdisk', ['-v', path]).output).toMatch(/overlap/i);
  });

  it('an entry outside the usable range', () => {
    const image = fresh();
    for (const lba of [2, N - 33]) view(image).setBigUint64(lba * 512 + 40, BigInt(N - 2), true); // entry 1 last LBA
    for (const lba of [1, N - 1]) reseal(image, lba);
    expect(decodeError(image)).toMatchObject({ problem: 'outside-usable' });
  });

  it('my-LBA that does not match where the header is', () => {
    const image = fresh();
    for (const lba of [1, N - 1]) {
      view(image).setBigUint64(lba * 512 + 24, 7n, true);
      reseal(image, lba);
    }
    expect(decodeError(image)).toMatchObject({ problem: 'my-lba' });
  });

  it('no GPT at all', () => {
    expect(decodeError(new Uint8Array(size))).toMatchObject({ problem: 'bad-signature' });
  });
});

