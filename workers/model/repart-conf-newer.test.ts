/**
 * Keys of newer systemd-repart versions, and repart.d directories read the way repart reads them:
 * drop-ins and several definitions directories (parseRepartDirectories), specifiers with values.
 * (The same directories are checked against the real systemd-repart 252 in cli/repart-252.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { parseRepartDirectories, parseRepartDirectory } from './repart-conf.ts';
import { specifierValuesFromOsRelease, parseOsRelease } from './repart-conf/values.ts';
import { validateSpec } from '../plan/validate.ts';
import { exportRepartDirectory } from './repart-conf/export.ts';
import { unknownTo252, withoutKeysUnknownTo252 } from './fields.ts';
import { readLayoutJson, stringifyLayoutJson } from './layout-json.ts';

const lines = (d: { severity: string; file: string; line: number; message: string }[]) => d.map((x) => `${x.severity} ${x.file}:${x.line}: ${x.message}`);

describe('keys newer than 252', () => {
  it('LUKS and btrfs-subvolume keys are errors naming the key; the others warnings with file:line', () => {
    const r = parseRepartDirectory([{
      name: '10-root.conf',
      text: '[Partition]\nType=root\nSubvolumes=/home\nEncryptedVolume=root\nMountPoint=/\nMakeSymlinks=/a:/b\nSupplementFor=10-esp\nBogusKey=1\n',
    }]);
    expect(lines(r.diagnostics)).toEqual([
      'error 10-root.conf:3: Subvolumes= (systemd-repart 255) needs btrfs subvolumes, which Partwright does not make yet; remove the key.',
      'error 10-root.conf:4: EncryptedVolume= (systemd-repart 256) needs LUKS encryption, which Partwright does not make yet; remove the key.',
      "warning 10-root.conf:8: Unknown key 'BogusKey' in section [Partition], ignoring.",
    ]);
    // MountPoint=, MakeSymlinks=, SupplementFor= are fields now (kept in layout JSON and forms).
    expect(r.spec.partitions[0]).toMatchObject({ mountPoints: [{ where: '/' }], makeSymlinks: [{ path: '/a', target: '/b' }], supplementFor: '10-esp' });
  });

  it('reads the newer content keys at their documented syntax, and round-trips them', () => {
    const r = parseRepartDirectory([{
      name: '10-root.conf',
      text: [
        '[Partition]', 'Type=root', 'Format=ext4', 'CopyFiles=/src:/', 'ExcludeFiles=/src/cache/', 'ExcludeFiles=/src/tmp',
        'ExcludeFilesTarget=/var/log/', 'MakeSymlinks=/etc/resolv.conf:../run/systemd/resolve/stub-resolv.conf /bin:usr/bin',
        'MountPoint=/:x-systemd.growfs', 'MountPoint=/sysroot', 'VolumeLabel=luks-root', 'Discard=yes', '',
      ].join('\n'),
    }]);
    expect(r.spec.partitions[0]).toMatchObject({
      excludeFiles: ['/src/cache/', '/src/tmp'],
      excludeFilesTarget: ['/var/log/'],
      makeSymlinks: [{ path: '/etc/resolv.conf', target: '../run/systemd/resolve/stub-resolv.conf' }, { path: '/bin', target: 'usr/bin' }],
      mountPoints: [{ where: '/', options: 'x-systemd.growfs' }, { where: '/sysroot' }],
      volumeLabel: 'luks-root',
      discard: true,
    });
    // partition_read_definition(): Discard= without Encrypt= is a warning at its line.
    expect(lines(r.diagnostics)).toEqual(['warning 10-root.conf:12: Discard=yes has no effect with Encrypt=off.']);
    // The app keeps them: layout JSON and repart.d export reopen the same spec.
    const json = stringifyLayoutJson(r.spec);
    expect(stringifyLayoutJson(readLayoutJson(json).spec!)).toBe(json);
    expect(stringifyLayoutJson(parseRepartDirectory(exportRepartDirectory(r.spec)).spec)).toBe(json);
  });

  it('CopyFiles=SOURCE:TARGET:OPTIONS (config_parse_copy_files): fsverity=off kept, unknown words warned, fsverity=copy refused', () => {
    const r = parseRepartDirectory([{ name: '10-root.conf', text: '[Partition]\nType=root\nFormat=ext4\nCopyFiles=/a:/b:fsverity=off,,xattr\nCopyFiles=/c::fsverity=maybe\n' }]);
    expect(r.spec.partitions[0]!.copyFiles).toEqual([
      { source: '/a', target: '/b', options: 'fsverity=off,,xattr' },
      { source: '/c', target: '/c', options: 'fsverity=maybe' },
    ]);
    expect(lines(r.diagnostics)).toEqual([
      "warning 10-root.conf:4: Encountered unknown option 'xattr', ignoring.",
      "warning 10-root.conf:5: fsverity= expects either 'off' or 'copy'.",
    ]);
    const json = stringifyLayoutJson(r.spec);
    expect(stringifyLayoutJson(parseRepartDirectory(exportRepartDirectory(r.spec)).spec)).toBe(json);
    const copy = parseRepartDirectory([{ name: '10-root.conf', text: '[Partition]\nType=root\nFormat=ext4\nCopyFiles=/a:/b:fsverity=copy\n' }]);
    expect(lines(copy.diagnostics)).toEqual([expect.stringMatching(/^error 10-root\.conf:4: CopyFiles= option fsverity=copy: Partwright cannot/)]);
    expect(lines(parseRepartDirectory([{ name: 'x.conf', text: '[Partition]\nType=root\nCopyFiles=/a:/b:c:d\n' }]).diagnostics)).toEqual(['error x.conf:3: Too many arguments: /a:/b:c:d']);
  });

  it('252 mode: options on CopyFiles= are refused as 252 refuses them; the keys 252 does not know are dropped', () => {
    const spec = { table: 'gpt' as const, repartVersion: '252' as const, partitions: [{ type: 'root', format: 'ext4', sourceName: '10-root.conf', copyFiles: [{ source: '/a', target: '/b', options: 'fsverity=off' }] }] };
    expect(() => withoutKeysUnknownTo252(spec)).toThrow(/10-root\.conf: CopyFiles=\/a:\/b:fsverity=off has options, which systemd-repart 252 refuses/);
    const newer = { table: 'gpt' as const, repartVersion: '252' as const, partitions: [{ type: 'root', makeSymlinks: [{ path: '/a', target: 'b' }], supplementFor: 'x', label: 'r' }] };
    expect(unknownTo252(newer).map((u) => u.confKey)).toEqual(['MakeSymlinks', 'SupplementFor']);
    expect(withoutKeysUnknownTo252(newer).partitions).toEqual([{ type: 'root', label: 'r' }]);
    const latest = { ...newer, repartVersion: 'latest' as const };
    expect(withoutKeysUnknownTo252(latest)).toBe(latest);
  });

  it('[X-Partwright-Disk] run options (GrainSize=, DeferPartitions=, Empty=, CopyFrom=) round-trip through layout JSON and repart.d', () => {
    const r = parseRepartDirectory([
      { name: '10-root.conf', text: '[Partition]\nType=root\n\n[X-Partwright-Disk]\nGrainSize=1M\nDeferPartitions=home, 0FC63DAF-8483-4772-8E79-3D69D8477DE4\nEmpty=force\nCopyFrom=src.img "with space.img"\n' },
    ]);
    expect(lines(r.diagnostics)).toEqual([]);
    expect(r.spec).toMatchObject({ grainSizeBytes: 1024 * 1024, deferPartitions: ['home', '0fc63daf-8483-4772-8e79-3d69d8477de4'], empty: 'force', copyFrom: ['src.img', 'with space.img'] });
    const json = stringifyLayoutJson(r.spec);
    expect(JSON.parse(json)).toMatchObject({ grainSizeBytes: 1048576, deferPartitions: ['home', '0fc63daf-8483-4772-8e79-3d69d8477de4'], empty: 'force', copyFrom: ['src.img', 'with space.img'] });
    expect(stringifyLayoutJson(readLayoutJson(json).spec!)).toBe(json);
    const exported = exportRepartDirectory(r.spec);
    expect(exported.map((f) => f.text).join('')).toContain('CopyFrom=src.img "with space.img"');
    expect(stringifyLayoutJson(parseRepartDirectory(exported).spec)).toBe(json);
  });

  it('[X-Partwright-Disk] run options: bad values are errors at file:line; layout JSON names the field', () => {
    const r = parseRepartDirectory([{ name: '00-disk.conf', text: '[Partition]\nType=root\n[X-Partwright-Disk]\nGrainSize=3000\nDeferPartitions=root,,home\nEmpty=sometimes\nCopyFrom="a.img\n' }]);
    expect(lines(r.diagnostics)).toEqual([
      'error 00-disk.conf:4: GrainSize= must be a power of two of at least 512: 3000',
      'error 00-disk.conf:5: DeferPartitions= takes partition types separated by commas, without empty entries: root,,home',
      'error 00-disk.conf:6: Invalid empty mode: sometimes',
      'error 00-disk.conf:7: Invalid syntax in CopyFrom= (unterminated quote): "a.img',
    ]);
    expect(lines(parseRepartDirectory([{ name: 'd.conf', text: '[Partition]\nType=root\n[X-Partwright-Disk]\nDeferPartitions=root,nosuch\n' }]).diagnostics)).toEqual(['error d.conf:4: Failed to parse partition type in DeferPartitions=: nosuch']);
    const bad = readLayoutJson(JSON.stringify({ table: 'gpt', grainSizeBytes: 1000, deferPartitions: [], copyFrom: [''], empty: 'x', partitions: [] }));
    expect(bad.spec).toBeUndefined();
    expect(bad.diagnostics.map((d) => `${d.path}: ${d.message}`).sort()).toEqual([
      'copyFrom: [0]: must not be empty', 'deferPartitions: must name at least one partition type', 'empty: must be one of refuse, allow, require, force, create', 'grainSizeBytes: must be a power of two of at least 512 bytes',
    ]);
  });

  it('252 mode: CopyFrom=, GrainSize=, DeferPartitions= are unknown to 252 and left out; Empty= stays', () => {
    const spec = { table: 'gpt' as const, repartVersion: '252' as const, grainSizeBytes: 1 << 20, deferPartitions: ['root'], copyFrom: ['a.img'], empty: 'force' as const, partitions: [{ type: 'root' }] };
    expect(unknownTo252(spec).map((u) => [u.specIndex, u.confKey, u.since])).toEqual([[undefined, 'CopyFrom', 255], [undefined, 'GrainSize', 261], [undefined, 'DeferPartitions', 255]]);
    expect(withoutKeysUnknownTo252(spec)).toEqual({ table: 'gpt', repartVersion: '252', empty: 'force', partitions: [{ type: 'root' }] });
  });

  it('ExcludeFiles= takes several words; MakeSymlinks= skips a bad word and an empty assignment changes nothing', () => {
    const r = parseRepartDirectory([{ name: '10-root.conf', text: '[Partition]\nType=root\nFormat=ext4\nExcludeFiles=/a/ "/b c/"\nMakeSymlinks=/x:y /nocolon /z:%%w\nMakeSymlinks=\n' }]);
    expect(r.spec.partitions[0]).toMatchObject({ excludeFiles: ['/a/', '/b c/'], makeSymlinks: [{ path: '/x', target: 'y' }, { path: '/z', target: '%w' }] });
    expect(lines(r.diagnostics)).toEqual(['warning 10-root.conf:5: Missing source or target in /x:y /nocolon /z:%%w, ignoring']);
    const json = stringifyLayoutJson(r.spec);
    expect(stringifyLayoutJson(parseRepartDirectory(exportRepartDirectory(r.spec)).spec)).toBe(json);
  });

  it('SupplementFor= with CopyBlocks=/Encrypt=/Verity= is refused (partition_read_definition)', () => {
    const r = parseRepartDirectory([{ name: '20-x.conf', text: '[Partition]\nType=xbootldr\nCopyBlocks=/x.img\nSupplementFor=10-esp\n' }]);
    expect(lines(r.diagnostics)).toEqual(['error 20-x.conf:1: SupplementFor= cannot be combined with CopyBlocks=/Encrypt=/Verity=']);
  });

  it('Encrypt= other than off and CopyBlocks=auto are refused when planning, naming the key', () => {
    const problems = validateSpec({ table: 'gpt', partitions: [{ type: 'root', encrypt: 'tpm2' }, { type: 'usr', copyBlocks: 'auto' }] });
    expect(problems.map((p) => p.where)).toEqual(['partitions.0.encrypt', 'partitions.1.copyBlocks']);
    expect(problems[0]!.message).toMatch(/^Encrypt=tpm2 needs LUKS2/);
  });
});

describe('drop-ins and several directories', () => {
  it('drop-ins apply in name order after the file; list keys append; the earlier directory wins', () => {
    const r = parseRepartDirectories([
      { dir: '/a', files: [
        { name: '10-root.conf', text: '[Partition]\nType=root\nLabel=a\nMakeDirectories=/x\n' },
        { name: '10-root.conf.d/20-b.conf', text: '[Partition]\nLabel=b\nMakeDirectories=/y\n' },
      ] },
      { dir: '/b', files: [
        { name: '10-root.conf', text: '[Partition]\nType=home\n' },
        { name: '10-root.conf.d/10-a.conf', text: '[Partition]\nLabel=from-b-dir\nSizeMaxBytes=1G\n' },
        { name: '10-root.conf.d/20-b.conf', text: '[Partition]\nLabel=shadowed\n' },
        { name: '20-orphan.conf.d/x.conf', text: '[Partition]\nLabel=orphan\n' },
      ] },
    ]);
    expect(r.spec.partitions).toEqual([{ type: 'root', label: 'b', makeDirectories: ['/x', '/y'], sizeMaxBytes: 1024 ** 3, sourceName: '10-root.conf' }]);
    expect(r.sources).toEqual([{
      file: '/a/10-root.conf', dropIns: ['/b/10-root.conf.d/10-a.conf', '/a/10-root.conf.d/20-b.conf'],
      // Where each key was last set (for later messages such as the 252-mode warnings).
      places: expect.objectContaining({ type: { file: '/a/10-root.conf', line: 2 }, label: { file: '/a/10-root.conf.d/20-b.conf', line: 2 }, sizeMaxBytes: { file: '/b/10-root.conf.d/10-a.conf', line: 3 } }),
    }]);
    expect(lines(r.diagnostics)).toEqual([
      'warning /b/10-root.conf:0: Same file name as /a/10-root.conf, which takes precedence; skipped.',
      'warning /b/10-root.conf.d/20-b.conf:0: Same drop-in name as /a/10-root.conf.d/20-b.conf, which takes precedence; skipped.',
      'warning /b/20-orphan.conf.d/x.conf:0: Drop-in for 20-orphan.conf, which no definitions directory holds; skipped.',
    ]);
  });

  it('an empty directory is an image without partitions', () => {
    const r = parseRepartDirectories([{ dir: '/empty', files: [] }]);
    expect(r.spec.partitions).toEqual([]);
    expect(r.diagnostics).toEqual([]);
  });
});

describe('specifiers with values', () => {
  const specifiers = { ...specifierValuesFromOsRelease(parseOsRelease('ID=nixos\nVERSION_ID="24.11"\nIMAGE_VERSION=\'3\'\n# c\nBROKEN\n')), a: 'arm64' };
  it('expand in Label=, CopyFiles=, MakeDirectories=; %% stays a percent sign', () => {
    const r = parseRepartDirectory([{ name: '10-root.conf', text: '[Partition]\nType=root\nLabel=%o_%w_%A_%a_100%%\nCopyFiles=/src/%o:/%w\nMakeDirectories=%T/x %V\n' }], { specifiers });
    expect(r.diagnostics).toEqual([]);
    expect(r.spec.partitions[0]).toMatchObject({ label: 'nixos_24.11_3_arm64_100%', copyFiles: [{ source: '/src/nixos', target: '/24.11' }], makeDirectories: ['/tmp/x', '/var/tmp'] });
  });
  it('a specifier without a value (%H unless asked) is an error at its line', () => {
    const r = parseRepartDirectory([{ name: '10-root.conf', text: '[Partition]\nType=root\nLabel=%H\n' }], { specifiers });
    expect(lines(r.diagnostics)).toEqual([
      'error 10-root.conf:3: Failed to expand specifiers in Label= (specifier %H (host name) has no value: give --host-specifiers to take it from the building machine): %H',
    ]);
  });
});
