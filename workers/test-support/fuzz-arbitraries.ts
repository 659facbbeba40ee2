/**
 * Generators for fuzzing the layout model: repart.d directories built from the real field tables'
 * keys, with values that are sometimes right, sometimes nearly right and sometimes hostile
 * (control characters, C escapes, specifiers, huge numbers, long strings, Unicode).
 */
import fc from 'fast-check';
import { BLOB_FIELDS, CLOUD_INIT_FIELDS, DISK_FIELDS, PARTITION_FIELDS } from '../model/fields.ts';
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
const cloudInitKeys = CLOUD_INIT_FIELDS.map((f) => f.confKey);



/** Values that suit a key (mostly valid), so that many generated layouts are accepted. */
const GOOD: Record<string, readonly string[]> = {
  Type: ['root', 'esp', 'swap', 'home', 'linux-generic', 'xbootldr', 'var', 'usr', 'srv', 'root-verity', '0fc63daf-8483-4772-8e79-3d69d8477de4'],
  Label: ['ESP', 'nixos', 'data', 'a b', 'ünïcödé', 'x'.repeat(36)],
  UUID: ['0867da16-f251-457d-a9e8-c31f9a3c220b', 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b'],
  Priority: ['0', '1', '10', '-5'], Weight: ['0', '1000', '3000'], PaddingWeight: ['0', '10'],
  SizeMinBytes: ['1M', '10M', '64M', '512M', '4097'], SizeMaxBytes: ['10M', '64M', '1G'],
  PaddingMinBytes: ['0', '1M'], PaddingMaxBytes: ['1M', '16M'],
  Format: ['vfat', 'ext4', 'swap', 'squashfs', 'erofs'], CopyFiles: ['/srv/data', '/a:/b', '/x\\:y:/z', '/boot:/EFI/Linux'],
  MakeDirectories: ['/log /lib/machines', '/x'], CopyBlocks: ['/dev/zero', '/srv/blob.img', 'auto'],
  Flags: ['0x8000000000000000', '1'], ReadOnly: ['yes', 'no'], NoAuto: ['yes'], GrowFileSystem: ['yes', 'no'],
  SplitName: ['%t', '%t-%n', '-'], Minimize: ['off', 'best', 'guess'], MBRType: ['0x0c', '0x83', '12'], MBRBootable: ['yes'],
  FATType: ['12', '16', '32'], VolumeID: ['0x12345678'], Encrypt: ['off'], Verity: ['off'],
  Table: ['gpt', 'mbr', 'hybrid'], SectorSize: ['512', '4096'], Size: ['auto', '1G', '8G'], Seed: ['0867da16-f251-457d-a9e8-c31f9a3c220b'],
  Architecture: ['x86-64', 'arm64'], CopySource: ['.', 'src'], SourceDateEpoch: ['0', '1700000000'], BaseImage: ['base.img'], BaseImageInPlace: ['no'],
  FirstPartitionOffset: ['1M', '16M'], GPTEntriesLBA: ['2', '64'], GPTEntryCount: ['128', '16'], MBRDiskId: ['0x2178694e'], MBRProtectiveFirst: ['yes', 'no'], Preset: ['vm-disk', 'installer-iso', 'sd-card'],
  Empty: ['refuse', 'allow', 'force', 'create'], CopyFrom: ['src.img', 'a.img "b c.img"'], GrainSize: ['512', '4K', '1M'], DeferPartitions: ['root', 'home,swap', 'esp, 0fc63daf-8483-4772-8e79-3d69d8477de4'],
  FactoryReset: ['no'], VerityMatchKey: ['root'], ISOBIOSBoot: ['no'], ISOHybridMBR: ['no'], ISOEFIImage: ['no'], ISOPublisher: ['NixOS'], ISOApplication: ['app'], ISOFileOrder: ['/a'], StorePaths: ['/nix/store/0123456789abcdfghijklmnpqrsvwxyz-x'], HybridMBR: ['yes'], FileSystemUUID: ['0867da16-f251-457d-a9e8-c31f9a3c220b'],
  Name: ['uboot'], Offset: ['8K', '32K'], Source: ['u-boot.bin'],
  // [X-Partwright-CloudInit] (near misses in NEAR below).
  Hostname: ['pi-kitchen', 'a'], User: ['ada', 'root'], PasswordHash: ['$6$salt$0123456789abcdef', '$y$j9T$abc$def'],
  SSHAuthorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7nXK9aOqQ3mX0m5r3Vt5y7H2m3g8Yb0y8nQ7xQ1Zk3 ada@laptop', 'ecdsa-sha2-nistp256 AAAAE2VjZHNh x', ''],
  WifiSSID: ['home', 'Kitchen "5G" #1', 'ünï'], WifiPassword: ['correct horse'], WifiCountry: ['GB'],
  Locale: ['en_GB.UTF-8', 'C.UTF-8'], Timezone: ['Europe/London', 'UTC'], Partition: ['ESP', 'esp', 'nixos'],
  ExcludeFiles: ['/srv/cache/', '/a "/b c/"'], ExcludeFilesTarget: ['/var/log/', '/tmp'], MakeSymlinks: ['/bin:usr/bin', '/etc/x:../y /z:w', '/q:%%w'],
  SupplementFor: ['10-esp', '20-root'], VolumeLabel: ['luks-x'], MountPoint: ['/', '/efi:umask=0077', '/srv'], Discard: ['yes', 'no'],
};
(GOOD as Record<string, readonly string[]>).CopyFiles = [...GOOD.CopyFiles!, '/a:/b:fsverity=off', '/c::x'];

const goodValue = (key: string) => (GOOD[key] ? fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...GOOD[key]!) }, { weight: 1, arbitrary: value }) : value);

const partitionLine = fc.constantFrom(...partitionKeys.filter((k) => k.section === 'Partition').map((k) => k.key)).chain((key) => goodValue(key).map((v) => `${key}=${v}`));
const extensionLine = fc.constantFrom(...partitionKeys.filter((k) => k.section === 'X-Partwright').map((k) => k.key)).chain((key) => goodValue(key).map((v) => `${key}=${v}`));
const diskLine = fc.constantFrom(...diskKeys).chain((key) => goodValue(key).map((v) => `${key}=${v}`));
/**
 * Values cloud-init refuses that look right (a clear-text password, a cut key, a lower-case country),
 * and Partition= names that miss: no such label, a partition that is not vfat.
 */
const NEAR: Record<string, readonly string[]> = {
  Hostname: ['-bad', 'x'.repeat(64)], User: ['Ada'], PasswordHash: ['hunter2'], SSHAuthorizedKeys: ['ssh-ed25519'], WifiPassword: ['short', 'x'.repeat(64)],
  WifiCountry: ['gb'], Locale: ['english'], Timezone: ['Europe/../x'], Partition: ['missing', 'CIDATA', 'root', 'data', 'x'.repeat(37)],
};
const cloudInitValue = (key: string) =>
  fc.oneof({ weight: 8, arbitrary: goodValue(key) }, { weight: 1, arbitrary: fc.constantFrom(...(NEAR[key] ?? ['x'])) });
const cloudInitLine = fc.constantFrom(...cloudInitKeys).chain((key) => cloudInitValue(key).map((v) => `${key}=${v}`));
/**
 * One whole [X-Partwright-CloudInit] section: a few distinct keys, so that settings that need another
 * (PasswordHash= or SSHAuthorizedKeys= without User=, WifiPassword= without WifiSSID=) and Partition=
 * naming no vfat partition come up often, beside valid sections.
 */
const cloudInitSection = fc
  .uniqueArray(fc.constantFrom(...cloudInitKeys), { minLength: 1, maxLength: 6 })
  .chain((keys) => fc.tuple(...keys.map((key) => cloudInitValue(key).map((v) => `${key}=${v}`))))
  .map((lines) => ['[X-Partwright-CloudInit]', ...lines]);
const blobLines = fc.tuple(goodValue('Name'), goodValue('Offset'), goodValue('Source')).map(([n, o, src]) => [`Name=${n}`, `Offset=${o}`, `Source=${src}`]);

/** One definition file: a [Partition] with a Type= and a few settings, sometimes more sections and junk. */
export const confFileText = fc
  .record({
    type: goodValue('Type'),
    partition: fc.array(partitionLine, { maxLength: 3 }),
    extension: fc.option(fc.array(extensionLine, { minLength: 1, maxLength: 2 }), { freq: 4 }),
    disk: fc.option(fc.array(diskLine, { minLength: 1, maxLength: 3 }), { freq: 3 }),
    blob: fc.option(blobLines, { freq: 6 }),
    // In about one file in eight (beside the directory's own section below): two files of a directory
    // setting one key is an error.
    cloudInit: fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.array(cloudInitLine, { minLength: 1, maxLength: 5 }) }),
    junk: fc.option(fc.constantFrom('# comment', 'junk', '=x', '[Unknown]', ' ', 'Bogus=1'), { freq: 5 }),
  })
  .map((f) => {
    const lines = ['[Partition]', `Type=${f.type}`, ...f.partition];
    if (f.extension) lines.push('[X-Partwright]', ...f.extension);
    if (f.disk) lines.push('[X-Partwright-Disk]', ...f.disk);
    if (f.blob) lines.push('[X-Partwright-Blob]', ...f.blob);
    if (f.cloudInit) lines.push('[X-Partwright-CloudInit]', ...f.cloudInit);
    if (f.junk) lines.push(f.junk);
    return `${lines.join('\n')}\n`;
  });

/** A vfat partition a seed can go into (CIDATA, or the ESP), so that sections without problems come up too. */
const seedFile = fc.constantFrom(
  '[Partition]\nType=esp\nFormat=vfat\nLabel=ESP\nSizeMinBytes=64M\n',
  '[Partition]\nType=linux-generic\nFormat=vfat\nLabel=CIDATA\nSizeMinBytes=16M\n',
);

/**
 * A definitions directory; in about half of them one file also has a whole [X-Partwright-CloudInit]
 * section, mostly with a vfat partition for its seed (05-seed.conf).
 */
export function confDirectoryArbitrary(): fc.Arbitrary<ConfFile[]> {
  const files = fc.uniqueArray(fc.tuple(fc.constantFrom('10-esp', '20-root', '30-data', '40-swap', '50-x', 'a', 'z.d/x'), confFileText), { minLength: 1, maxLength: 4, selector: ([n]) => n });
  const section = fc.option(fc.tuple(fc.nat(), cloudInitSection, fc.option(seedFile, { freq: 3 })), { freq: 2 });
  return fc.tuple(files, section).map(([files, section]) => {
    const out = files.map(([name, text], i) => ({ name: `${name}.conf`, text: section && section[0] % files.length === i ? `${text}${section[1].join('\n')}\n` : text }));
    return section?.[2] ? [{ name: '05-seed.conf', text: section[2] }, ...out] : out;
  });
}

/** The conf key of each `spec.cloudInit` key. */
const CLOUD_INIT_CONF_KEY = Object.fromEntries(CLOUD_INIT_FIELDS.map((f) => [f.key, f.confKey])) as Record<string, string>;

/**
 * `spec.cloudInit` as layout JSON (or a share link) holds it: any of its keys, with values that are
 * right, near misses (the ones above) or hostile, and settings missing the one they need; now and then
 * an empty object or an empty key list.
 */
export function cloudInitJsonArbitrary(): fc.Arbitrary<Record<string, unknown>> {
  const text = (key: string) => fc.oneof({ weight: 6, arbitrary: cloudInitValue(CLOUD_INIT_CONF_KEY[key]!) }, { weight: 1, arbitrary: value });
  const keys = CLOUD_INIT_FIELDS.map((f) => f.key as string);
  return fc.uniqueArray(fc.constantFrom(...keys), { maxLength: 7 }).chain((chosen) =>
    fc.tuple(...chosen.map((k) =>
      (k === 'sshAuthorizedKeys' ? fc.array(text(k), { maxLength: 3 }) : fc.oneof({ weight: 20, arbitrary: text(k) }, { weight: 1, arbitrary: fc.constantFrom(42, null, ['x']) })).map((v) => [k, v] as const),
    )).map((entries) => Object.fromEntries(entries)),
  );
}
