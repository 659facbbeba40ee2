/** Volume label checks, names, the catalog checksum and coded errors for corrupt images. */
import { describe, expect, it } from 'vitest';
import { SparseImage } from '../../disk/sparse-image.ts';
import { isPartwrightError } from '../../model/errors.ts';
import { decodeBootCatalog, decodeIso, encodeBootCatalog, planIso, validateVolumeId, writeIso, type IsoEntryInput } from './index.ts';
import { IsoNameAllocator, JolietNameAllocator } from './names.ts';

function code(fn: () => unknown): { code?: string; problem?: unknown; message?: string } {
  try {
    fn();
  } catch (e) {
    if (isPartwrightError(e)) return { code: e.code, problem: e.detail.problem, message: e.message };
    throw e;
  }
  throw new Error('expected an error');
}

const file = (path: string, text: string): IsoEntryInput => {
  const bytes = new TextEncoder().encode(text);
  return { path, kind: 'file', sizeBytes: bytes.length, mode: 0o644, uid: 0, gid: 0, read: (o, t) => t.set(bytes.subarray(o, o + t.length)) };
};

function smallIso(): SparseImage {
  const plan = planIso([file('a.txt', 'hello'), file('boot/x.bin', 'B'.repeat(4096))], { volumeId: 'SMALL', sourceDateEpoch: 0, boot: { bios: { path: 'boot/x.bin' } } });
  const image = new SparseImage(plan.sizeBytes);
  writeIso(image, plan);
  return image;
}

describe('volume label', () => {
  it('accepts d-characters up to 32', () => {
    expect(() => validateVolumeId('NIXOS_ISO_2405', true)).not.toThrow();
    expect(() => validateVolumeId('A'.repeat(32), true)).not.toThrow();
  });
  it('says which characters are wrong and what to use', () => {
    const e = code(() => validateVolumeId('nixos-24.05', true));
    expect(e.code).toBe('invalid-spec');
    expect(e.message).toContain('"n"');
    expect(e.message).toContain('"-"');
    expect(e.message).toContain('NIXOS_24_05');
  });
  it('says when it is too long', () => {
    expect(code(() => validateVolumeId('A'.repeat(33), true)).message).toMatch(/33 characters; ISO 9660 allows at most 32/);
  });
  it('relaxed labels allow printable ASCII (NixOS labels)', () => {
    expect(() => validateVolumeId('nixos-minimal-24.05-x86_64', false)).not.toThrow();
    expect(code(() => validateVolumeId('tab\there', false)).code).toBe('invalid-spec');
  });
  it('planIso checks the label', () => {
    expect(code(() => planIso([], { volumeId: 'bad label', sourceDateEpoch: 0 })).code).toBe('invalid-spec');
  });
});

describe('names', () => {
  it('makes unique level-2/3 identifiers', () => {
    const a = new IsoNameAllocator();
    expect(['readme', 'README', 'archive.tar.gz', 'x'.repeat(40) + '.txt', 'dir'].map((n, i) => a.allocate(n, i === 4)))
      .toEqual(['README.', 'README1.', 'ARCHIVE_TAR.GZ', `${'X'.repeat(26)}.TXT`, 'DIR']);
  });
  it('makes Joliet names of at most 64 characters with ;1', () => {
    const j = new JolietNameAllocator();
    const long = j.allocate('y'.repeat(100) + '.conf', false);
    expect(long.length).toBe(64);
    expect(long.endsWith('.conf;1')).toBe(true);
    expect(j.allocate('a:b*c', false)).toBe('a_b_c;1');
  });
});

describe('input errors', () => {
  it('rejects duplicates, files used as folders and missing boot files', () => {
    expect(code(() => planIso([file('a', 'x'), file('a', 'y')], { volumeId: 'X', sourceDateEpoch: 0 })).message).toMatch(/listed twice/);
    expect(code(() => planIso([file('a', 'x'), file('a/b', 'y')], { volumeId: 'X', sourceDateEpoch: 0 })).message).toMatch(/is a file but other entries/);
    expect(code(() => planIso([file('a', 'x')], { volumeId: 'X', sourceDateEpoch: 0, boot: { bios: { path: 'isolinux.bin' } } })).message).toMatch(/not a file in the tree/);
    expect(code(() => planIso([file('../a', 'x')], { volumeId: 'X', sourceDateEpoch: 0 })).message).toMatch(/"\.\."/);
  });
});

describe('corrupt images give coded errors', () => {
  it('no descriptor: not an ISO', () => {
    const image = new SparseImage(64 * 2048);
    expect(code(() => decodeIso((o, n) => image.read(o, n)))).toMatchObject({ code: 'corrupt-table', problem: 'no-primary-descriptor' });
  });
  it('truncated image', () => {
    const image = smallIso();
    expect(code(() => decodeIso((o, n) => (o + n > 17 * 2048 ? new Uint8Array(0) : image.read(o, n))))).toMatchObject({ code: 'corrupt-table', problem: 'truncated' });
  });
  it('catalog checksum', () => {
    const catalog = encodeBootCatalog([{ platformId: 0, loadLba: 30, sectorCount: 4 }]);
    expect(decodeBootCatalog(catalog)[0]).toMatchObject({ platformId: 0, loadLba: 30, sectorCount: 4, bootable: true });
    catalog[4] = 0x41;
    expect(code(() => decodeBootCatalog(catalog))).toMatchObject({ code: 'corrupt-table', problem: 'catalog-checksum' });
  });
  it('a directory record longer than its sector', () => {
    const image = smallIso();
    const iso = decodeIso((o, n) => image.read(o, n));
    expect(iso.entries.map((e) => e.path)).toEqual(['a.txt', 'boot', 'boot/x.bin']);
    // Break the root directory's third record (after "." and ".."): an identifier longer than the record.
    const pvd = image.read(16 * 2048, 2048);
    const rootLba = new DataView(pvd.buffer).getUint32(156 + 2, true);
    const root = image.read(rootLba * 2048, 2048);
    const third = root[0]! + root[root[0]!]!;
    image.write(rootLba * 2048 + third + 32, Uint8Array.of(250));
    expect(code(() => decodeIso((o, n) => image.read(o, n)))).toMatchObject({ code: 'corrupt-table', problem: 'bad-directory-record' });
  });
});
