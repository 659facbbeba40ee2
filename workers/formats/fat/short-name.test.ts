/**
 * Short names against mtools 4.0.32 (the oracle): the same names copied in the same order with
 * `mcopy` get the same 8.3 names, case bits and long-name decisions as ShortNameAllocator gives.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shortNameChecksum } from './dir-entry.ts';
import { readFat } from './reader.ts';
import { ShortNameAllocator, dosName, shortNameText } from './short-name.ts';
import { cleanupTemp, fileReader, requireFatTools, tempDir, tool } from './test-support/fat-tools.ts';

beforeAll(() => requireFatTools('mkfs.fat', 'mcopy'));
afterAll(cleanupTemp);

function viaMtools(names: string[]): { name: string; shortName: string; hasLongName: boolean; caseBits: number }[] {
  const dir = tempDir();
  const src = join(dir, 'src');
  mkdirSync(src);
  for (const n of names) writeFileSync(join(src, n), n);
  const img = join(dir, 'fat.img');
  expect(tool('mkfs.fat', ['-C', img, '8192']).status).toBe(0);
  // One mcopy process copying the names in order (as mcopy -s and NixOS's sdImage do).
  const r = tool('mcopy', ['-i', img, ...names.map((n) => join(src, n)), '::/']);
  expect(r.status, r.stderr).toBe(0);
  return readFat(fileReader(img)).listDir('/').map((e) => ({ name: e.name, shortName: e.shortName, hasLongName: e.hasLongName, caseBits: e.caseBits }));
}

function viaUs(names: string[]) {
  const a = new ShortNameAllocator();
  return names.map((n) => {
    const s = a.allocate(n);
    return { name: n, shortName: shortNameText(s.bytes), hasLongName: s.needsLongName, caseBits: s.caseBits };
  });
}

describe('8.3 names like mtools', () => {
  it('case rules, tails, illegal characters, reserved names, CP850', () => {
    const names = ['UPPER.TXT', 'lower.txt', 'Readme.txt', 'readme2.TXT', 'MiXeD', 'abcdefgh.tx', 'abcdefghi.txt', 'abcdefghijk',
      'abc.defg', 'a b.c', 'x.y.z', '.hidden', 'a+b.txt', 'semi;colon', "it's", 'aux.txt', 'lpt2.txt', 'Nul.c',
      'Über.TXT', 'ÜBER', '日本語.txt', '中文.txt', 'Ωmega', 'long file name.txt', 'long file name2.txt', 'long file name3.txt',
      'RÉSUMÉ.PDF', 'résumé final.pdf', '_under', '~tilde', 'a~1', 'dots...end', 'UPPER.lower', 'lower.UPPER', '1234567890',
      'EFI', 'BOOTX64.EFI', 'config.txt', 'start4.elf', 'bcm2711-rpi-4-b.dtb', 'u-boot-rpi4.bin'];
    expect(viaUs(names)).toEqual(viaMtools(names));
  });

  it('non-ASCII lower case gets a long name (mtools would read "café" back as "cafÉ")', () => {
    const a = new ShortNameAllocator();
    for (const [name, short] of [['café.txt', 'CAFÉ.TXT'], ['über', 'ÜBER'], ['ñ', 'Ñ']] as const) {
      const s = a.allocate(name);
      expect(shortNameText(s.bytes)).toBe(short);
      expect(s.needsLongName).toBe(true);
      expect(s.caseBits).toBe(0);
    }
  });

  it('tails count up past ~9 and shorten the base', () => {
    const names = Array.from({ length: 120 }, (_, i) => `same long prefix ${i}.txt`);
    expect(viaUs(names)).toEqual(viaMtools(names));
  });

  it('long-name checksum (fatgen103 §7.2)', () => {
    const { bytes } = dosName('long file name.txt');
    expect(shortNameText(bytes)).toBe('LONGFI~1.TXT');
    // Worked by hand from the rotate-and-add definition.
    let sum = 0;
    for (const b of bytes) sum = ((sum >> 1) + ((sum & 1) << 7) + b) & 0xff;
    expect(shortNameChecksum(bytes)).toBe(sum);
  });

  it('refuses names FAT cannot hold and duplicates that differ only in case', () => {
    const a = new ShortNameAllocator();
    expect(() => a.allocate('a:b')).toThrow(/not allowed/);
    expect(() => a.allocate('CON')).toThrow(/reserved/);
    expect(() => a.allocate('trailing.')).toThrow(/end in/);
    expect(() => a.allocate('x'.repeat(256))).toThrow(/255/);
    a.allocate('Readme.txt');
    expect(() => a.allocate('README.TXT')).toThrow(/ignore case/);
  });
});
