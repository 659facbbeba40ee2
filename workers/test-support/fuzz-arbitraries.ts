/**
 * Generators for fuzzing the layout model: repart.d directories built from the real field tables'
 * keys, with values that are sometimes right, sometimes nearly right and sometimes hostile
 * (control characters, C escapes, specifiers, huge numbers, long strings, Unicode).
 */
import fc from 'fast-check';
import { BLOB_FIELDS, DISK_FIELDS, PARTITION_FIELDS } from '../model/fields.ts';
import type { ConfFile } from '../model/repart-conf/import.ts';

const plausible = fc.constantFrom(
  '', 'yes', 'no', 'auto', 'off', 'on', '0', '1', '1000', '4096', '512M', '2G', '10K', '1T', '18446744073709551615', '-1',
  'root', 'esp', 'swap', 'home', 'linux-generic', 'root-x86-64', 'xbootldr', 'root-verity', 'usr-secondary',
  'vfat', 'ext4', 'squashfs', 'erofs', 'swap', 'btrfs', 'data', 'hash', 'signature',
  'gpt', 'mbr', 'hybrid', 'iso', '512', '2048', 'x86-64', 'arm64',
  '0867da16-f251-457d-a9e8-c31f9a3c220b', 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b', '0x0c', '0xEF', '12', '16', '32',
  '/', '/srv/data', '/srv/data:/', '/a:/b', '/boot/efi', '/nix/store/0123456789abcdfghijklmnpqrsvwxyz-x',
  'base.img', '../base.img', '%t', '%t-%n', '%U', '%H', '%%', '0x12345678', '100%', 'ESP', 'nixos',
);

const hostileChar = fc.constantFrom('\x00', '\x01', '\x1b', '\x7f', '\\', '\\n', '\\x01', '\\t', '"', "'", ':', '%', '\u2028', '\ud83d\ude00', ' ', '\t', '/', '..', '//', '=', '#', ';', '[', ']');

const hostile = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.array(fc.oneof(fc.string({ maxLength: 3 }), hostileChar), { maxLength: 8 }).map((a) => a.join('')),
  fc.tuple(plausible, hostileChar, plausible).map(([a, b, c]) => `${a}${b}${c}`),
  fc.integer({ min: 0, max: 2 ** 60 }).map(String),
  fc.constantFrom('x'.repeat(5000), '/'.repeat(300), `/${'a/'.repeat(2000)}`),
);

const value = fc.oneof({ weight: 3, arbitrary: plausible }, { weight: 2, arbitrary: hostile });

const partitionKeys = PARTITION_FIELDS.map((f) => ({ section: f.section, key: f.confKey }));
const diskKeys = DISK_FIELDS.map((f) => f.confKey);
const blobKeys = BLOB_FIELDS.map((f) => f.confKey);

const line = (key: fc.Arbitrary<string>) => fc.tuple(key, value).map(([k, v]) => `${k}=${v}`);

const section = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...partitionKeys.filter((k) => k.section === 'Partition').map((k) => k.key), 'Type', 'Type', 'Bogus'), fc.constant('Partition')) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...partitionKeys.filter((k) => k.section === 'X-Partwright').map((k) => k.key)), fc.constant('X-Partwright')) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...diskKeys), fc.constant('X-Partwright-Disk')) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...blobKeys), fc.constant('X-Partwright-Blob')) },
);

/** One file: sections in random order, each with a few assignments; sometimes junk lines. */
export const confFileText = fc
  .array(
    fc.tuple(section, fc.array(value, { maxLength: 5 }), fc.boolean(), fc.constantFrom('', '# comment', 'junk', '=x', '[Unknown]', ' ')).map(
      ([[key, name], extraValues, withType, junk]) => {
        const lines = [`[${name}]`];
        if (withType && name === 'Partition') lines.push(`Type=${extraValues[0] ?? 'root'}`);
        lines.push(`${key}=${extraValues[1] ?? extraValues[0] ?? ''}`);
        for (const v of extraValues.slice(2)) lines.push(`${key}=${v}`);
        if (junk) lines.push(junk);
        return lines.join('\n');
      },
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((sections) => `${sections.join('\n')}\n`);

export function confDirectoryArbitrary(): fc.Arbitrary<ConfFile[]> {
  return fc.array(fc.tuple(fc.constantFrom('10-esp', '20-root', '30-data', '40-swap', '50-x', 'a', 'z.d/x'), confFileText, fc.boolean()), { minLength: 1, maxLength: 4 }).map((files) =>
    files.map(([name, text, dotConf]) => ({ name: dotConf || true ? `${name}.conf` : name, text })),
  );
}

export { line as confLine };
