import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeGpt } from '../gpt/index.ts';
import { readFromBytes, regionsToBytes, type TableRegion } from '../table-region.ts';
import {
  cleanupTemp, firstDifference, fixturePath, readFile, readFixture, readJson, requireTools, run, runStatus,
  sfdiskJson, writeImage, type SfdiskJson,
} from '../test-support/tools.ts';
import { encodeChs } from './chs.ts';
import { decodeMbr, encodeHybridMbr, encodeMbr, EXTENDED_TYPES, type MbrTable } from './index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

beforeAll(() => requireTools('sfdisk', 'fdisk', 'sgdisk', 'gdisk'));
afterAll(() => cleanupTemp());

interface Meta { diskSizeBytes: number; sectorSizeBytes: number; lbas: number[] }

/** The MBR table sfdisk reported (`sfdisk --json`) for a fixture. */
function tableFromJson(json: SfdiskJson, meta: Meta): MbrTable {
  const t = json.partitiontable;
  const parts = t.partitions!.map((p) => ({ n: Number(/(\d+)$/.exec(p.node)![1]), p }));
  return {
    diskId: Number(t.id),
    sectorSizeBytes: meta.sectorSizeBytes,
    diskSizeBytes: meta.diskSizeBytes,
    primary: parts.filter(({ n }) => n <= 4).map(({ n, p }) => ({
      partitionNumber: n, type: parseInt(p.type, 16), firstLba: p.start, sectorCount: p.size, bootable: p.bootable ?? false,
    })),
    logical: parts.filter(({ n }) => n > 4).map(({ p }) => ({
      type: parseInt(p.type, 16), firstLba: p.start, sectorCount: p.size, bootable: p.bootable ?? false,
    })),
  };
}

function sectorsOf(regions: readonly TableRegion[], lbas: readonly number[], sectorSizeBytes: number): Uint8Array {
  const out = new Uint8Array(lbas.length * sectorSizeBytes);
  lbas.forEach((lba, i) => {
    for (const r of regions) {
      if (r.offsetBytes === lba * sectorSizeBytes) out.set(r.bytes, i * sectorSizeBytes);
    }
  });
  return out;
}

const fixtures = ['mbr-primary', 'mbr-logical', 'mbr-logical-0f', 'mbr-20g'];

describe('encodeMbr matches sfdisk byte for byte (golden fixtures from fixtures/gen.sh)', () => {
  for (const name of fixtures) {
    it(name, () => {
      const meta = readJson<Meta>(fixturePath(here, `${name}.meta.json`));
      const json = readJson<SfdiskJson>(fixturePath(here, `${name}.sfdisk.json`));
      const regions = encodeMbr(tableFromJson(json, meta));
      expect(regions.map((r) => r.offsetBytes / 512)).toEqual(meta.lbas);
      const expected = readFixture(here, `${name}.sectors.bin`);
      const actual = sectorsOf(regions, meta.lbas, 512);
      expect(firstDifference(actual, expected)).toBe(-1);
    });

    it(`decodeMbr(${name}) agrees with sfdisk --json`, () => {
      const meta = readJson<Meta>(fixturePath(here, `${name}.meta.json`));
      const json = readJson<SfdiskJson>(fixturePath(here, `${name}.sfdisk.json`)).partitiontable;
      const sectors = readFixture(here, `${name}.sectors.bin`);
      const read = (offsetBytes: number, sizeBytes: number): Uint8Array => {
        const i = meta.lbas.indexOf(offsetBytes / 512);
        return i < 0 ? new Uint8Array(sizeBytes) : sectors.slice(i * 512, i * 512 + sizeBytes);
      };
      const mbr = decodeMbr(read, meta.diskSizeBytes, 512);
      expect(mbr.kind).toBe('mbr');
      expect(mbr.diskId).toBe(Number(json.id));
      expect([...mbr.primary, ...mbr.logical].map((p) => ({
        n: p.partitionNumber, start: p.firstLba, size: p.sectorCount, type: p.type.toString(16), bootable: p.bootable,
      }))).toEqual(json.partitions!.map((p) => ({
        n: Number(/(\d+)$/.exec(p.node)![1]), start: p.start, size: p.size, type: p.type, bootable: p.bootable ?? false,
      })));
    });
  }

  it('mbr-4096 (fdisk -b 4096)', () => {
    const meta = readJson<Meta>(fixturePath(here, 'mbr-4096.meta.json'));
    const regions = encodeMbr({
      diskId: 0xdeadbeef, sectorSizeBytes: 4096, diskSizeBytes: meta.diskSizeBytes,
      primary: [
        { type: 0x0c, firstLba: 256, sectorCount: 2560, bootable: true },
        { type: 0x05, firstLba: 2816, sectorCount: 20480 },
      ],
      logical: [
        { type: 0x83, firstLba: 3072, sectorCount: 2560 },
        { type: 0x83, firstLba: 5888, sectorCount: 2816 + 20480 - 5888 },
      ],
    });
    expect(regions.map((r) => r.offsetBytes / 4096)).toEqual(meta.lbas);
    const expected = readFixture(here, 'mbr-4096.sectors.bin');
    expect(firstDifference(sectorsOf(regions, meta.lbas, 4096), expected)).toBe(-1);
  });
});

describe('CHS as libfdisk computes it (255 heads, 63 sectors, clamped at cylinder 1023)', () => {
  it.each([
    [1, '000200'], [2048, '202100'], [22527, '662501'], [131071, '282008'], [16450559, 'feffff'], [2 ** 32, 'feffff'],
  ])('LBA %i', (lba, hex) => {
    expect(Buffer.from(encodeChs(lba)).toString('hex')).toBe(hex);
  });
});

const piLike: MbrTable = {
  diskId: 0x2178694e, sectorSizeBytes: 512, diskSizeBytes: 2 * GiB,
  primary: [
    { type: 0x0b, firstLba: 16384, sectorCount: 61440, bootable: true },
    { type: 0x83, firstLba: 77824, sectorCount: 2 * GiB / 512 - 77824 - 409600 },
    { type: 0x0f, firstLba: 2 * GiB / 512 - 409600, sectorCount: 409600 },
  ],
  logical: [
    { type: 0x82, firstLba: 2 * GiB / 512 - 409600 + 2048, sectorCount: 100000 },
    { type: 0x83, firstLba: 2 * GiB / 512 - 409600 + 2048 + 100000 + 1, sectorCount: 50000, bootable: true },
    { type: 0x07, firstLba: 2 * GiB / 512 - 200000, sectorCount: 200000 },
  ],
};

describe('images written from encodeMbr read correctly with sfdisk and fdisk', () => {
  function check(path: string, table: MbrTable): void {
    const json = sfdiskJson(path).partitiontable;
    expect(json.label).toBe('dos');
    expect(Number(json.id)).toBe(table.diskId);
    const expected = [
      ...table.primary.map((p, i) => ({ n: String(p.partitionNumber ?? i + 1), start: p.firstLba, size: p.sectorCount, type: p.type.toString(16), bootable: p.bootable ?? false })),
      ...(table.logical ?? []).map((p, i) => ({ n: String(5 + i), start: p.firstLba, size: p.sectorCount, type: p.type.toString(16), bootable: p.bootable ?? false })),
    ];
    expect(json.partitions!.map((p) => ({ n: p.node.slice(path.length), start: p.start, size: p.size, type: p.type, bootable: p.bootable ?? false })))
      .toEqual(expected);
    const verify = runStatus('sfdisk', ['--verify', path]);
    expect(verify.output).not.toMatch(/overlap|exceeds|wrong|bad/i);
    expect(verify.status).toBe(0);
    const fdisk = run('fdisk', ['-l', path]);
    expect(fdisk).toContain('Disklabel type: dos');
    expect(fdisk).toContain(`Disk identifier: 0x${table.diskId.toString(16).padStart(8, '0')}`);
    for (const e of expected) expect(fdisk).toContain(`${path}${e.n} `);
  }

  it('primaries, a bootable flag, an 0x0F extended partition and logical partitions with custom gaps', () => {
    const path = writeImage(encodeMbr(piLike), piLike.diskSizeBytes);
    check(path, piLike);
  });

  it('four primaries on a 64 GiB sparse disk (CHS clamped)', () => {
    const s = 64 * GiB / 512;
    const table: MbrTable = {
      diskId: 0x12345678, sectorSizeBytes: 512, diskSizeBytes: 64 * GiB,
      primary: [
        { type: 0x0c, firstLba: 2048, sectorCount: 1048576, bootable: true },
        { type: 0x83, firstLba: 1050624, sectorCount: 20971520 },
        { type: 0x82, firstLba: 22022144, sectorCount: 8388608 },
        { type: 0x83, firstLba: 30410752, sectorCount: s - 30410752 },
      ],
    };
    const path = writeImage(encodeMbr(table), table.diskSizeBytes);
    check(path, table);
  });

  it('4096-byte sectors: fdisk -b 4096 lists it', () => {
    const table: MbrTable = {
      diskId: 0xcafe0001, sectorSizeBytes: 4096, diskSizeBytes: GiB,
      primary: [{ type: 0x0c, firstLba: 256, sectorCount: 25600, bootable: true }, { type: 0x05, firstLba: 25856, sectorCount: 100000 }],
      logical: [{ type: 0x83, firstLba: 26112, sectorCount: 50000 }, { type: 0x83, firstLba: 76368, sectorCount: 49488 }],
    };
    const path = writeImage(encodeMbr(table), GiB);
    const out = run('fdisk', ['-b', '4096', '-l', path]);
    expect(out).toContain('Disk identifier: 0xcafe0001');
    expect(out).toMatch(new RegExp(`${path}1 +\\* +256 +25855 +25600 `));
    expect(out).toMatch(new RegExp(`${path}5 +26112 +76111 +50000 `));
    expect(out).toMatch(new RegExp(`${path}6 +76368 +125855 +49488 `));
    const mbr = decodeMbr(readFile(path), GiB, 4096);
    expect(mbr.logical.map((l) => l.ebrLba)).toEqual([25856, 76112]);
  });
});

describe('decodeMbr(encodeMbr(x)) == x', () => {
  it('primaries and logicals, with EBR positions', () => {
    const regions = encodeMbr(piLike);
    const image = regionsToBytes(regions, piLike.diskSizeBytes);
    const mbr = decodeMbr(readFromBytes(image), piLike.diskSizeBytes, 512);
    expect(mbr.diskId).toBe(piLike.diskId);
    expect(mbr.primary.map(({ partitionNumber, type, firstLba, sectorCount, bootable }) => ({ partitionNumber, type, firstLba, sectorCount, bootable })))
      .toEqual(piLike.primary.map((p, i) => ({ partitionNumber: i + 1, bootable: false, ...p })));
    expect(mbr.logical.map(({ type, firstLba, sectorCount, bootable }) => ({ type, firstLba, sectorCount, bootable })))
      .toEqual(piLike.logical!.map((p) => ({ bootable: false, ...p })));
    // Re-encoding with the decoded EBR positions gives the same bytes.
    const again = encodeMbr({
      ...piLike,
      primary: mbr.primary.map((p) => ({ ...p })),
      logical: mbr.logical.map((p) => ({ ...p })),
    });
    expect(again).toEqual(regions);
  });
});

describe('protective and hybrid MBRs', () => {
  const gpt = {
    diskGuid: '01234567-89ab-cdef-0123-456789abcdef', sectorSizeBytes: 512, diskSizeBytes: GiB,
    partitions: [
      { typeGuid: 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b', uniqueGuid: '11111111-2222-3333-4444-555555555555', firstLba: 8192, lastLba: 69631, name: 'firmware' },
      { typeGuid: '0fc63daf-8483-4772-8e79-3d69d8477de4', uniqueGuid: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', firstLba: 69632, lastLba: GiB / 512 - 34, name: 'root' },
    ],
  };

  it('a GPT protective MBR reads as protective', () => {
    const image = regionsToBytes(encodeGpt(gpt), GiB);
    const mbr = decodeMbr(readFromBytes(image), GiB, 512);
    expect(mbr.kind).toBe('protective');
    expect(mbr.primary).toMatchObject([{ type: 0xee, firstLba: 1, sectorCount: GiB / 512 - 1, bootable: false }]);
  });

  for (const protectiveFirst of [false, true]) {
    it(`hybrid, 0xEE ${protectiveFirst ? 'first' : 'last'}: sgdisk and fdisk accept it`, () => {
      const hybrid = encodeHybridMbr({
        diskId: 0x2178694e, sectorSizeBytes: 512, diskSizeBytes: GiB, protectiveFirst,
        mirrored: [{ type: 0x0c, firstLba: 8192, sectorCount: 61440, bootable: true }],
      });
      const path = writeImage([hybrid, ...encodeGpt({ ...gpt, protectiveMbr: false })], GiB);
      const mbr = decodeMbr(readFile(path), GiB, 512);
      expect(mbr.kind).toBe('hybrid');
      const records = mbr.primary.map(({ type, firstLba, sectorCount, bootable }) => ({ type, firstLba, sectorCount, bootable }));
      const fat = { type: 0x0c, firstLba: 8192, sectorCount: 61440, bootable: true };
      const ee = { type: 0xee, firstLba: 1, sectorCount: 8191, bootable: false };
      expect(records).toEqual(protectiveFirst ? [ee, fat] : [fat, ee]);
      const v = runStatus('sgdisk', ['-v', path]);
      expect(v.output).toContain('No problems found');
      expect(run('gdisk', ['-l', path])).toMatch(/MBR: hybrid/);
      const dos = run('fdisk', ['-l', '-t', 'dos', path]);
      expect(dos).toMatch(new RegExp(`\\* +8192 +69631 +61440 +30M +c W95 FAT32 \\(LBA\\)`));
    });
  }

  it('hybrid MBR refuses more than three mirrored partitions', () => {
    expect(() => encodeHybridMbr({
      diskId: 0, sectorSizeBytes: 512, diskSizeBytes: GiB,
      mirrored: [1, 2, 3, 4].map((i) => ({ type: 0x83, firstLba: i * 2048, sectorCount: 2048 })),
    })).toThrow(/1 to 3 partitions, not 4/);
  });
});

describe('decodeMbr on corrupt images', () => {
  const size = piLike.diskSizeBytes;
  const fresh = (): Uint8Array => regionsToBytes(encodeMbr(piLike), size);
  const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const extStart = piLike.primary[2]!.firstLba;
  function problem(image: Uint8Array): { problem: unknown; message: string; code: string } {
    try {
      decodeMbr(readFromBytes(image), size, 512);
    } catch (e) {
      const err = e as { detail: { problem: unknown }; message: string; code: string };
      return { problem: err.detail.problem, message: err.message, code: err.code };
    }
    throw new Error('decodeMbr did not throw');
  }

  it('no 0x55AA signature', () => {
    const image = fresh();
    image.fill(0, 510, 512);
    expect(problem(image)).toEqual({ code: 'corrupt-table', problem: 'bad-signature', message: 'MBR: no 0x55AA boot signature at bytes 510–511' });
  });

  it('overlapping primary entries', () => {
    const image = fresh();
    view(image).setUint32(446 + 16 + 8, 20000, true); // partition 2 starts inside partition 1
    expect(problem(image)).toMatchObject({ problem: 'overlap' });
    expect(problem(image).message).toMatch(/^MBR partition 1 \(LBA 16384\.\.77823\) overlaps partition 2 \(LBA 20000\.\.\d+\)$/);
  });

  it('an entry past the end of the disk', () => {
    const image = fresh();
    view(image).setUint32(446 + 16 + 12, size / 512, true);
    expect(problem(image)).toMatchObject({ problem: 'past-end' });
    expect(problem(image).message).toMatch(/^MBR partition 2: LBA 77824 \+ 4194304 sectors is empty or past the disk's end \(4194304 sectors\)$/);
  });

  it('an EBR chain that loops', () => {
    const regions = encodeMbr(piLike);
    const third = regions.filter((r) => r.kind === 'ebr')[2]!.bytes;
    // Link the third EBR back to the first (relative start 0, type 0x05).
    third[446 + 16 + 4] = 0x05;
    view(third).setUint32(446 + 16 + 8, 0, true);
    view(third).setUint32(446 + 16 + 12, 1000, true);
    const e = problem(regionsToBytes(regions, size));
    expect(e).toMatchObject({ code: 'corrupt-table', problem: 'ebr-loop' });
    expect(e.message).toBe(`EBR at LBA ${extStart}: the EBR chain comes back to an EBR it already visited`);
    // sfdisk lists the table anyway; it stops following the loop on its own.
    expect(runStatus('sfdisk', ['--json', writeImage(regions, size)]).status).toBe(0);
  });

  it('an EBR without its signature', () => {
    const image = fresh();
    const second = encodeMbr(piLike).filter((r) => r.kind === 'ebr')[1]!.offsetBytes;
    image.fill(0, second + 510, second + 512);
    expect(problem(image)).toMatchObject({ problem: 'bad-signature', message: `EBR at LBA ${second / 512}: no 0x55AA signature` });
  });

  it('a logical partition outside its extended partition', () => {
    const image = fresh();
    view(image).setUint32(extStart * 512 + 446 + 12, 500000, true);
    expect(problem(image)).toMatchObject({ problem: 'outside-extended' });
  });

  it('extended types are recognised', () => {
    expect(EXTENDED_TYPES).toEqual([0x05, 0x0f, 0x85]);
  });
});

describe('encodeMbr refuses impossible tables', () => {
  it.each([
    ['five primaries', { primary: [1, 2, 3, 4, 5].map((i) => ({ type: 0x83, firstLba: i * 2048, sectorCount: 2048 })) }, /5 primary partitions, at most 4/],
    ['overlap', { primary: [{ type: 0x83, firstLba: 2048, sectorCount: 4096 }, { type: 0x83, firstLba: 4096, sectorCount: 10 }] }, /overlaps partition 2/],
    ['past end', { primary: [{ type: 0x83, firstLba: 2048, sectorCount: 2 * GiB / 512 }] }, /past the disk's end/],
    ['logical without extended', { primary: [], logical: [{ type: 0x83, firstLba: 4096, sectorCount: 10 }] }, /no extended partition/],
    ['logical outside extended', { logical: [{ type: 0x83, firstLba: 100, sectorCount: 10 }] }, /outside the extended partition/],
    ['0xEE in a plain MBR', { primary: [{ type: 0xee, firstLba: 1, sectorCount: 10 }], logical: [] }, /belongs to GPT/],
  ] as const)('%s', (_, patch, message) => {
    expect(() => encodeMbr({ ...piLike, ...patch } as MbrTable)).toThrow(message);
  });
});
