import { describe, expect, it } from 'vitest';
import { formatDiagnostic, type Diagnostic } from './diagnostics.ts';
import { parseLayoutJson, stringifyLayoutJson } from './layout-json.ts';
import { exportRepartDirectory, lexConf, parseRepartConf, parseRepartDirectory } from './repart-conf.ts';
import type { ImageSpec, PartitionSpec } from './spec.ts';
import { PRESETS, installerIso, presetLayout, vmDisk } from './presets/index.ts';

const M = 1024 ** 2;
const G = 1024 ** 3;

function only(text: string, name = '10-root.conf') {
  return parseRepartConf(name, text);
}
function lines(ds: Diagnostic[]): string[] {
  return ds.map((d) => `${d.severity} ${formatDiagnostic(d)}`);
}
function stripSource(spec: ImageSpec): ImageSpec {
  return { ...spec, partitions: spec.partitions.map(({ sourceName: _s, ...p }) => p) };
}

const SPECS: Record<string, ImageSpec> = {
  minimal: { table: 'gpt', partitions: [{ type: 'esp' }] },
  typical: {
    table: 'gpt',
    partitions: [
      { type: 'esp', label: 'ESP', format: 'vfat', sizeMinBytes: 512 * M, sizeMaxBytes: 512 * M, copyFiles: [{ source: '/boot', target: '/' }] },
      { type: 'root', label: 'nixos', format: 'ext4', sizeMinBytes: 1.5 * G, weight: 2000, makeDirectories: ['/nix', '/home'] },
      { type: 'swap', sizeMaxBytes: 64 * M, priority: 10, weight: 0 },
    ],
  },
  everyRepartKey: {
    table: 'gpt',
    partitions: [
      {
        type: 'root-arm64',
        label: '100% root %H',
        uuid: '01234567-89ab-cdef-0123-456789abcdef',
        priority: -3,
        weight: 0,
        paddingWeight: 7,
        sizeMinBytes: 4097,
        sizeMaxBytes: 10 * G,
        paddingMinBytes: 1,
        paddingMaxBytes: 2 * M,
        factoryReset: true,
        format: 'ext4',
        copyFiles: [
          { source: '/a b/c:d', target: '/x\\y' },
          { source: '/same', target: '/same' },
        ],
        makeDirectories: ['/with space', '/q"uote', '/plain'],
        encrypt: 'key-file+tpm2',
        flags: '0x1000000000000000',
        readOnly: false,
        noAuto: true,
        growFileSystem: false,
        splitName: '%t.%U',
        minimize: 'guess',
      },
      { type: 'usr-verity', verity: 'hash', verityMatchKey: 'usr', label: '' },
      { type: 'linux-generic', copyBlocks: '/images/fs.img', uuid: 'null', flags: '12345' },
      { type: '21686148-6449-6e6f-744e-656564454649', copyBlocks: 'auto' },
    ],
  },
  partwright: {
    table: 'hybrid',
    sectorSizeBytes: 4096,
    sizeBytes: 8 * G,
    seed: '0867da16-f251-457d-a9e8-c31f9a3c220b',
    architecture: 'arm64',
    firstPartitionOffsetBytes: 16 * M,
    gpt: { entriesLba: 64, entryCount: 56 },
    mbr: { diskId: 0x2178694e, protectiveFirst: true },
    base: { source: 'base.img', inPlace: true },
    partitions: [
      { type: 'esp', label: 'FIRMWARE', mbrType: 0x0c, mbrBootable: true, hybridMbr: true, sizeMinBytes: 30 * M },
      { type: 'root', label: 'NIXOS_SD', mbrType: 0x83, hybridMbr: false, storePaths: ['/nix/store/aaaa-system', '/nix/store/bbbb-etc'] },
    ],
    blobs: [
      { name: 'idbloader', offsetBytes: 32 * 1024, source: 'idbloader.img' },
      { name: 'u-boot', offsetBytes: 8 * M, sizeBytes: 4 * M },
    ],
  },
  mbrSdImage: {
    table: 'mbr',
    sizeBytes: 'auto',
    sourceDateEpoch: 946684800,
    copySource: 'content',
    mbr: { diskId: 0 },
    partitions: [
      { type: 'linux-generic', mbrType: 0x0b, mbrBootable: true, sizeMinBytes: 30 * M, sizeMaxBytes: 30 * M, format: 'vfat', fatType: 16, volumeId: 0x2178694e },
      { type: 'linux-generic', label: 'NIXOS_SD', format: 'ext4', fileSystemUuid: '44444444-4444-4444-8888-888888888888' },
    ],
  },
  onlyDisk: { table: 'mbr', partitions: [], blobs: [{ name: 'spl', offsetBytes: 8192, sizeBytes: 1000 }] },
  vmDiskPreset: presetLayout(vmDisk),
  isoPreset: presetLayout(installerIso),
  manyPartitions: {
    table: 'gpt',
    partitions: Array.from({ length: 12 }, (_, i): PartitionSpec => ({ type: 'linux-generic', label: `p${i}`, sizeMinBytes: (i + 1) * M })),
  },
};

describe('round trip spec → repart.d → spec', () => {
  for (const [name, spec] of Object.entries(SPECS)) {
    it(name, () => {
      const files = exportRepartDirectory(spec);
      const back = parseRepartDirectory(files);
      const relevant = back.diagnostics.filter((d) => !/^No \[Partition\] section/.test(d.message) && !/Specifier %H/.test(d.message));
      expect(lines(relevant)).toEqual([]);
      expect(stripSource(back.spec)).toEqual(stripSource(spec));
      // Exporting the import again gives the same files.
      expect(exportRepartDirectory(back.spec)).toEqual(files);
    });
  }

  for (const [name, spec] of Object.entries(SPECS)) {
    it(`layout JSON: ${name}`, () => {
      const text = stringifyLayoutJson(spec);
      expect(parseLayoutJson(text)).toEqual(spec);
      expect(stringifyLayoutJson(parseLayoutJson(text))).toBe(text);
    });
  }

  it('writes the expected text', () => {
    const files = exportRepartDirectory(SPECS.partwright as ImageSpec);
    expect(files.map((f) => f.name)).toEqual(['10-firmware.conf', '20-nixos_sd.conf']);
    expect(files[0]?.text).toBe(
      [
        '[Partition]',
        'Type=esp',
        'Label=FIRMWARE',
        'SizeMinBytes=30M',
        '',
        '[X-Partwright]',
        'MBRType=0x0c',
        'MBRBootable=yes',
        'HybridMBR=yes',
        '',
        '[X-Partwright-Disk]',
        'Table=hybrid',
        'SectorSize=4096',
        'Size=8G',
        'Seed=0867da16-f251-457d-a9e8-c31f9a3c220b',
        'Architecture=arm64',
        'FirstPartitionOffset=16M',
        'GPTEntriesLBA=64',
        'GPTEntryCount=56',
        'MBRDiskId=0x2178694e',
        'MBRProtectiveFirst=yes',
        'BaseImage=base.img',
        'BaseImageInPlace=yes',
        '',
        '[X-Partwright-Blob]',
        'Name=idbloader',
        'Offset=32K',
        'Source=idbloader.img',
        '',
        '[X-Partwright-Blob]',
        'Name=u-boot',
        'Offset=8M',
        'Size=4M',
        '',
      ].join('\n'),
    );
    expect(files[1]?.text).toContain('StorePaths=/nix/store/aaaa-system /nix/store/bbbb-etc\n');
  });

  it('escapes what the syntax needs', () => {
    const text = exportRepartDirectory(SPECS.everyRepartKey as ImageSpec)[0]?.text ?? '';
    expect(text).toContain('Label=100%% root %%H\n');
    expect(text).toContain('CopyFiles=/a b/c\\x3ad:/x\\\\y\n');
    expect(text).toContain('CopyFiles=/same\n');
    expect(text).toContain('MakeDirectories="/with space" "/q\\"uote" /plain\n');
    expect(text).toContain('Minimize=guess\n');
  });

  it('keeps sourceName when the order allows, else renumbers', () => {
    const keep = exportRepartDirectory({
      table: 'gpt',
      partitions: [{ type: 'esp', sourceName: '00-esp.conf' }, { type: 'root' }, { type: 'swap', sourceName: 'zz-swap.conf' }],
    });
    expect(keep.map((f) => f.name)).toEqual(['00-esp.conf', '20-root-x86-64.conf'.replace('-x86-64', ''), 'zz-swap.conf']);
    const renumber = exportRepartDirectory({
      table: 'gpt',
      partitions: [{ type: 'esp', sourceName: 'zz.conf' }, { type: 'root' }],
    });
    expect(renumber.map((f) => f.name)).toEqual(['10-esp.conf', '20-root.conf']);
    expect(exportRepartDirectory(SPECS.manyPartitions as ImageSpec).map((f) => f.name).slice(0, 2)).toEqual(['010-p0.conf', '020-p1.conf']);
  });

  it('refuses values a .conf cannot carry', () => {
    expect(() => exportRepartDirectory({ table: 'gpt', partitions: [{ type: 'esp', label: 'x'.repeat(37) }] })).toThrow(/partitions\.0\.label/);
    expect(() => exportRepartDirectory({ table: 'gpt', partitions: [{ type: 'esp', label: 'a\nb' }] })).toThrow(/line breaks/);
    expect(() => exportRepartDirectory({ table: 'gpt', partitions: [{ type: 'esp', makeDirectories: ['relative'] }] })).toThrow(/absolute/);
    expect(() => exportRepartDirectory({ table: 'gpt', partitions: [{ type: 'esp', sizeMinBytes: -1 }] })).toThrow(/sizeMinBytes/);
  });
});

describe('conf syntax (systemd conf-parser)', () => {
  it('comments, whitespace, continuation, BOM, CRLF', () => {
    const r = only(
      '\uFEFF# comment\r\n  ; another\r\n[Partition]\r\n  Type  =  esp  \r\nLabel=my\\\r\n# comment inside a continuation\r\n  label\r\nSizeMinBytes=1\\\n  G\n',
    );
    // As in systemd, a comment right after the BOM is not recognised as one.
    expect(lines(r.diagnostics)).toEqual(['warning 10-root.conf:1: Assignment outside of section. Ignoring.']);
    expect(r.spec.partitions[0]).toMatchObject({ type: 'esp', label: 'my   label', sizeMinBytes: G });
  });

  it('line numbers of a continuation are its last line; at EOF one past', () => {
    const r = only('[Partition]\nType=esp\nSizeMinBytes=12\\\nQ\n');
    expect(lines(r.diagnostics)).toEqual(['error 10-root.conf:4: Failed to parse size value: 12 Q']);
    const eof = only('[Partition]\nType=esp\nWeight=x\\');
    expect(lines(eof.diagnostics)).toEqual(['warning 10-root.conf:4: Failed to parse Weight= value, ignoring: x']);
  });

  it('repeated keys: last wins; lists append; empty assignment resets lists', () => {
    const r = only(
      [
        '[Partition]',
        'Type=esp',
        'Type=root',
        'CopyFiles=/a',
        'CopyFiles=',
        'CopyFiles=/b:/c',
        'CopyFiles=/d',
        'MakeDirectories=/x /y',
        'MakeDirectories=',
        'MakeDirectories=/z',
        "MakeDirectories='/w w'",
        'Weight=5',
        'Weight=6',
        'ReadOnly=yes',
        'ReadOnly=',
        '[X-Partwright]',
        'StorePaths=/nix/store/a',
        'StorePaths=/nix/store/b /nix/store/c',
      ].join('\n'),
    );
    expect(lines(r.diagnostics)).toEqual([]);
    expect(r.spec.partitions[0]).toEqual({
      type: 'root',
      copyFiles: [
        { source: '/b', target: '/c' },
        { source: '/d', target: '/d' },
      ],
      makeDirectories: ['/z', '/w w'],
      weight: 6,
      storePaths: ['/nix/store/a', '/nix/store/b', '/nix/store/c'],
      sourceName: '10-root.conf',
    });
  });

  it.each([
    ['yes', true], ['no', false], ['1', true], ['0', false], ['true', true], ['false', false],
    ['on', true], ['off', false], ['Y', true], ['N', false], ['TRUE', true], ['t', true], ['f', false],
  ])('boolean %s', (text, value) => {
    const r = only(`[Partition]\nType=esp\nFactoryReset=${text}\nNoAuto=${text}\n[X-Partwright]\nMBRBootable=${text}`);
    expect(lines(r.diagnostics)).toEqual([]);
    expect(r.spec.partitions[0]).toMatchObject({ factoryReset: value, noAuto: value, mbrBootable: value });
  });

  it('quotes are literal except where the key unquotes', () => {
    const r = only('[Partition]\nType=esp\nLabel="quoted"\nMakeDirectories="/a b" \'/c\'\n');
    expect(r.spec.partitions[0]).toMatchObject({ label: '"quoted"', makeDirectories: ['/a b', '/c'] });
  });

  it('specifiers: %% is a percent sign; host specifiers stay literal with a warning', () => {
    const r = only('[Partition]\nType=esp\nLabel=a%%b-%a\nCopyFiles=/src/%%:/x\n');
    expect(r.spec.partitions[0]).toMatchObject({ label: 'a%b-%a', copyFiles: [{ source: '/src/%', target: '/x' }] });
    expect(lines(r.diagnostics)).toEqual([
      'warning 10-root.conf:3: Specifier %a in Label= depends on the machine repart runs on; Partwright keeps it as literal text',
    ]);
    expect(lines(only('[Partition]\nType=esp\nLabel=%z\n').diagnostics)).toEqual([
      'warning 10-root.conf:3: Failed to expand specifiers in Label= (unknown specifier %z), ignoring: %z',
    ]);
  });

  it('paths are simplified; relative and .. paths are ignored with a warning', () => {
    const r = only('[Partition]\nType=esp\nMakeDirectories=//a/./b/ rel /x/../y\nCopyBlocks=/img//fs.img\n');
    expect(r.spec.partitions[0]).toMatchObject({ makeDirectories: ['/a/b'] });
    expect(lines(r.diagnostics)).toEqual([
      'warning 10-root.conf:3: MakeDirectories= path is not absolute, ignoring: rel',
      'warning 10-root.conf:3: MakeDirectories= path is not normalized, ignoring: /x/../y',
      'error 10-root.conf:1: Format=/CopyFiles=/MakeDirectories= and CopyBlocks= cannot be combined, refusing.',
    ]);
  });

  it('lexes sections and assignments', () => {
    expect(lexConf('[A]\nk = v = w\n').items).toEqual([
      { kind: 'section', name: 'A', line: 1 },
      { kind: 'assign', key: 'k', value: 'v = w', line: 2 },
    ]);
  });
});

describe('diagnostics (severity as systemd-repart 252)', () => {
  const cases: [string, string[]][] = [
    ['SizeMinBytes=12Q', ['error 10-root.conf:3: Failed to parse size value: 12Q']],
    ['SizeMaxBytes=-1', ['error 10-root.conf:3: Size value out of range: -1']],
    ['PaddingMinBytes=', ['error 10-root.conf:3: Failed to parse size value: ']],
    ['Format=a/b', ['warning 10-root.conf:3: File system type is not valid, refusing: a/b']],
    // The newest repart reads a third field as options (252 refuses it: withoutKeysUnknownTo252()).
    ['CopyFiles=/a:/b:/c', ["warning 10-root.conf:3: Encountered unknown option '/c', ignoring."]],
    ['CopyFiles=/a:/b:/c:/d', ['error 10-root.conf:3: Too many arguments: /a:/b:/c:/d']],
    ['Weight=abc', ['warning 10-root.conf:3: Failed to parse Weight= value, ignoring: abc']],
    ['Weight=1000001', ['warning 10-root.conf:3: Weight= needs to be in range 0…1000000, ignoring: 1000001']],
    ['Priority=x', ['warning 10-root.conf:3: Failed to parse Priority= value, ignoring: x']],
    ['ReadOnly=maybe', ['warning 10-root.conf:3: Failed to parse boolean value for ReadOnly=, ignoring: maybe']],
    ['FactoryReset=', ['warning 10-root.conf:3: Failed to parse boolean value for FactoryReset=, ignoring: ']],
    ['UUID=zz', ['warning 10-root.conf:3: Failed to parse 128bit ID/UUID, ignoring: zz']],
    ['Flags=0x10000000000000000', ['warning 10-root.conf:3: Failed to parse Flags= value, ignoring: 0x10000000000000000']],
    ['Encrypt=rot13', ['warning 10-root.conf:3: Invalid encryption mode, ignoring: rot13']],
    ['Label=' + 'x'.repeat(37), ['warning 10-root.conf:3: Partition label too long for GPT table (37 > 36 UTF-16 units), ignoring: ' + 'x'.repeat(37)]],
    ['Foo=bar', ["warning 10-root.conf:3: Unknown key 'Foo' in section [Partition], ignoring."]],
    ['X-Mine=1', ["warning 10-root.conf:3: Extension key 'X-Mine' in section [Partition] is not used, ignoring."]],
    ['no equals sign', ["warning 10-root.conf:3: Missing '=', ignoring line."]],
    ['=value', ["warning 10-root.conf:3: Missing key name before '=', ignoring line."]],
    ['[Weird]\nA=b', ["warning 10-root.conf:3: Unknown section 'Weird'. Ignoring."]],
    ['[X-Other]\nA=b', ["warning 10-root.conf:3: Unknown extension section 'X-Other'. Ignoring."]],
    ['[Bad', ["error 10-root.conf:3: Invalid section header '[Bad'"]],
    ['SizeMinBytes=2M\nSizeMaxBytes=1M', ['error 10-root.conf:1: SizeMinBytes= larger than SizeMaxBytes=, refusing.']],
    ['SizeMinBytes=5000\nSizeMaxBytes=4500', []],
    ['Verity=data', ['error 10-root.conf:1: VerityMatchKey= must be set if Verity=data']],
    ['Format=swap\nCopyFiles=/a', ['error 10-root.conf:1: Format=swap and CopyFiles= cannot be combined, refusing.']],
    ['[X-Partwright]\nMBRType=0x100', ['error 10-root.conf:4: MBRType= must be a partition type byte 0x01…0xff: 0x100']],
    ['[X-Partwright]\nMBRBootable=perhaps', ['error 10-root.conf:4: Failed to parse boolean value for MBRBootable=: perhaps']],
    ['[X-Partwright]\nStorePaths=nix/store/x', ['error 10-root.conf:4: StorePaths= path is not absolute: nix/store/x']],
    ['[X-Partwright-Disk]\nTable=zfs', ['error 10-root.conf:4: Invalid partition table type: zfs']],
    ['[X-Partwright-Disk]\nSectorSize=1000', ['error 10-root.conf:4: SectorSize= must be 512, 1024, 2048 or 4096: 1000']],
    ['[X-Partwright-Disk]\nMBRDiskId=0x1ffffffff', ['error 10-root.conf:4: MBRDiskId= must be a 32-bit number such as 0x2178694e: 0x1ffffffff']],
    ['[X-Partwright-Disk]\nBogus=1', ["warning 10-root.conf:4: Unknown key 'Bogus' in section [X-Partwright-Disk], ignoring."]],
    ['[X-Partwright-Blob]\nName=spl', ['error 10-root.conf:3: [X-Partwright-Blob] needs Offset=.']],
  ];
  it.each(cases)('%s', (body, expected) => {
    const r = only(`[Partition]\nType=esp\n${body}\n`);
    expect(lines(r.diagnostics)).toEqual(expected);
  });

  it('Type= missing or bad', () => {
    expect(lines(only('[Partition]\nSizeMinBytes=1M\n').diagnostics)).toEqual(['error 10-root.conf:1: Type= not defined, refusing.']);
    expect(lines(only('').diagnostics)).toEqual(['error 10-root.conf:1: Type= not defined, refusing.']);
    expect(lines(only('[Partition]\nType=rooot\n').diagnostics)).toEqual(['error 10-root.conf:2: Failed to parse partition type: rooot']);
    expect(lines(only('[Partition]\nType=esp\nSizeMinBytes=1M\n[X-Partwright-Disk]\nArchitecture=riscv64\n', 'a.conf').diagnostics)).toEqual([]);
    const secondary = parseRepartDirectory([
      { name: '10-a.conf', text: '[Partition]\nType=root-secondary\n' },
      { name: '20-b.conf', text: '[Partition]\nType=esp\n[X-Partwright-Disk]\nArchitecture=riscv64\n' },
    ]);
    expect(lines(secondary.diagnostics)).toEqual([
      'error 10-a.conf:2: Failed to parse partition type: root-secondary (not defined for architecture riscv64)',
    ]);
  });

  it('a disk key set in two files is an error naming both', () => {
    const r = parseRepartDirectory([
      { name: '20-root.conf', text: '[Partition]\nType=root\n[X-Partwright-Disk]\nSize=2G\n' },
      { name: '10-esp.conf', text: '[Partition]\nType=esp\n\n[X-Partwright-Disk]\nTable=mbr\nSize=1G\n' },
    ]);
    expect(lines(r.diagnostics)).toEqual([
      'error 20-root.conf:4: Size= in [X-Partwright-Disk] is already set in 10-esp.conf:6',
    ]);
    expect(r.spec.table).toBe('mbr');
    expect(r.spec.sizeBytes).toBe(G);
  });

  it('directory: *.conf only, sorted by name, first of a duplicate name wins', () => {
    const r = parseRepartDirectory([
      { name: 'b/20-swap.conf', text: '[Partition]\nType=swap\n' },
      { name: 'README', text: 'hello' },
      { name: 'a/10-esp.conf', text: '[Partition]\nType=esp\n' },
      { name: 'c/10-esp.conf', text: '[Partition]\nType=home\n' },
    ]);
    expect(r.spec.partitions.map((p) => [p.type, p.sourceName])).toEqual([
      ['esp', '10-esp.conf'],
      ['swap', '20-swap.conf'],
    ]);
    expect(lines(r.diagnostics)).toEqual([
      'warning README: Not a *.conf file, skipped.',
      'warning c/10-esp.conf: Same file name as a/10-esp.conf, which takes precedence; skipped.',
    ]);
  });

  it('Preset=: a known name is kept, an unknown one is an error at file:line naming the presets', () => {
    const ok = parseRepartDirectory([{ name: '10-esp.conf', text: '[Partition]\nType=esp\n[X-Partwright-Disk]\nPreset=vm-disk\n' }]);
    expect(lines(ok.diagnostics)).toEqual([]);
    expect(ok.spec.preset).toBe('vm-disk');
    expect(exportRepartDirectory(ok.spec)[0]!.text).toMatch(/\[X-Partwright-Disk\]\n(.*\n)*Preset=vm-disk\n/);
    const bad = parseRepartDirectory([{ name: '10-esp.conf', text: '[Partition]\nType=esp\n\n[X-Partwright-Disk]\nPreset=vm-dsk\n' }]);
    expect(lines(bad.diagnostics)).toEqual([`error 10-esp.conf:5: Unknown preset vm-dsk; presets are ${PRESETS.map((p) => p.name).join(', ')}`]);
  });

  it('a settings-only file imports with a warning', () => {
    const r = parseRepartDirectory([{ name: '00-disk.conf', text: '[X-Partwright-Disk]\nTable=mbr\n' }]);
    expect(r.spec).toEqual({ table: 'mbr', partitions: [] });
    expect(r.diagnostics.map((d) => d.severity)).toEqual(['warning']);
  });

  it('imports real-world repart.d files', () => {
    // nixpkgs image.repart style (rendered by its systemd-lib), and systemd's man page examples.
    const r = parseRepartDirectory([
      { name: '10-esp.conf', text: '[Partition]\nCopyFiles=/nix/store/abc-systemd-boot/EFI/BOOT/BOOTX64.EFI:/EFI/BOOT/BOOTX64.EFI\nCopyFiles=/nix/store/def-kernel/bzImage:/EFI/nixos/kernel.efi\nFormat=vfat\nSizeMinBytes=96M\nType=esp\n' },
      { name: '20-root.conf', text: '[Partition]\nFormat=ext4\nLabel=nixos\nMinimize=guess\nSplitName=-\nType=root\n' },
      { name: '50-root.conf', text: '# /usr/lib/repart.d/50-root.conf\n[Partition]\nType=root\nSizeMinBytes=512M\nSizeMaxBytes=20G\n' },
      { name: '60-swap.conf', text: '[Partition]\nType=swap\nSizeMinBytes=64M\nSizeMaxBytes=1G\nPriority=1\nWeight=333\n' },
      { name: '70-home.conf', text: '[Partition]\nType=home\nEncrypt=tpm2\nFactoryReset=yes\nGrowFileSystem=yes\nPaddingWeight=100\n' },
      { name: '80-usr.conf', text: '[Partition]\nType=usr\nLabel=usr-%A\nVerity=data\nVerityMatchKey=usr\nCopyBlocks=auto\n' },
    ]);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.spec.partitions).toHaveLength(6);
    expect(r.spec.partitions[0]?.copyFiles).toHaveLength(2);
    expect(r.spec.partitions[1]?.minimize).toBe('guess');
  });
});
