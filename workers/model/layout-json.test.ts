import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from './diagnostics.ts';
import { BLOB_FIELDS, DISK_FIELDS, PARTITION_FIELDS } from './fields.ts';
import { MAX_PARTITIONS, parseLayoutJson, readLayoutJson, stringifyLayoutJson } from './layout-json.ts';
import type { PartitionSpec } from './spec.ts';

function problems(text: string): string[] {
  return readLayoutJson(text).diagnostics.map((d) => `${d.severity} ${formatDiagnostic(d)}`);
}

describe('layout JSON', () => {
  it('writes keys in a stable order', () => {
    const a = stringifyLayoutJson({ partitions: [{ sizeMinBytes: 1, type: 'esp' }], table: 'gpt', mbr: { protectiveFirst: true, diskId: 1 } });
    expect(a).toBe(
      '{\n  "table": "gpt",\n  "mbr": {\n    "diskId": 1,\n    "protectiveFirst": true\n  },\n  "partitions": [\n    {\n      "type": "esp",\n      "sizeMinBytes": 1\n    }\n  ]\n}\n',
    );
  });

  it('names the line of each problem in a layout file (one-line text, a share link, has none)', () => {
    const spec = { table: 'gpt' as const, partitions: [{ type: 'esp', sizeMinBytes: 1 }, { type: 'root', label: 'x' }] };
    const text = stringifyLayoutJson(spec)
      .replace('"label": "x"', '"label": "x",\n      "weight": -1,\n      "bogus": [1, {"a": "b\\"c"}]')
      .replace('"sizeMinBytes": 1', '"sizeMinBytes": "1G"');
    const lines = text.split('\n');
    const lineOf = (needle: string): number => lines.findIndex((l) => l.includes(needle)) + 1;
    expect(problems(text)).toContain(`error layout.json:${lineOf('"weight"')}: partitions[1].weight: must be an integer 0…1000000`);
    const d = readLayoutJson(text).diagnostics;
    const by = (path: string) => d.find((x) => x.path === path)?.line;
    expect(by('partitions[0].sizeMinBytes')).toBe(lineOf('"sizeMinBytes"'));
    expect(by('partitions[1].weight')).toBe(lineOf('"weight"'));
    expect(by('partitions[1].bogus')).toBe(lineOf('"bogus"'));
    expect(lineOf('"weight"')).toBeGreaterThan(lineOf('"sizeMinBytes"'));
    // Broken JSON: the line where the parser stopped.
    const broken = readLayoutJson('{\n  "table": "gpt",\n  "partitions": [\n    {"type": "esp",}\n  ]\n}\n').diagnostics;
    expect(broken[0]).toMatchObject({ line: 4, severity: 'error' });
    // One line (a share link's text): no line, the path says where.
    expect(readLayoutJson(JSON.stringify({ ...spec, partitions: [{ type: 'esp', weight: -1 }] })).diagnostics[0]).toMatchObject({ line: 0, path: 'partitions[0].weight' });
  });

  it('reports wrong types with their JSON path', () => {
    expect(problems('{"table":"gpt","partitions":[{"type":"esp","sizeMinBytes":"1G"}]}')).toEqual([
      'error layout.json: partitions[0].sizeMinBytes: must be a whole number of bytes (0…2^53−1)',
    ]);
    expect(problems('{"table":"zfs","partitions":[{"type":"nope","weight":-1,"copyFiles":[{"source":"/a","target":"b"}]}]}')).toEqual([
      'error layout.json: table: must be one of gpt, mbr, hybrid, iso',
      'error layout.json: partitions[0].type: unknown partition type "nope" (use a repart identifier or a GUID)',
      'error layout.json: partitions[0].weight: must be an integer 0…1000000',
      'error layout.json: partitions[0].copyFiles: [0]: target: must be an absolute path without "..", "//" or a trailing "/"',
    ]);
    expect(problems('{"partitions":[{"label":"x"}], "mbr": 5}')).toEqual([
      'error layout.json: mbr: must be an object',
      'error layout.json: partitions[0].type: is required',
    ]);
  });

  it('carries the preset: a known name round-trips, an unknown one names the presets', () => {
    const text = stringifyLayoutJson({ table: 'gpt', partitions: [{ type: 'esp' }], preset: 'vm-disk' });
    expect(JSON.parse(text).preset).toBe('vm-disk');
    expect(parseLayoutJson(text).preset).toBe('vm-disk');
    expect(problems('{"preset":"nope","partitions":[{"type":"esp"}]}')).toEqual([
      `error layout.json: preset: must be one of ${DISK_FIELDS.find((f) => f.id === 'preset')!.choices!.join(', ')}`,
    ]);
    expect(DISK_FIELDS.find((f) => f.id === 'preset')!.choices).toContain('installer-iso');
  });

  it('refuses absurd values and hostile input', () => {
    expect(problems(`{"partitions":[{"type":"esp","sizeMaxBytes":${2 ** 53}}]}`)[0]).toMatch(/sizeMaxBytes: must be a whole number/);
    expect(problems('{"partitions":[{"type":"esp","sizeMaxBytes":1.5}]}')[0]).toMatch(/sizeMaxBytes/);
    expect(problems(`{"partitions":[{"type":"esp","label":"${'x'.repeat(5000)}"}]}`)).toEqual([
      'error layout.json: partitions[0].label: string too long (5000 > 4096 characters)',
    ]);
    const many = JSON.stringify({ table: 'gpt', partitions: Array.from({ length: MAX_PARTITIONS + 1 }, () => ({ type: 'esp' })) });
    expect(problems(many)).toEqual([`error layout.json: partitions: too many partitions (${MAX_PARTITIONS + 1} > ${MAX_PARTITIONS})`]);
    expect(problems('{"partitions":[],"__proto__":{"polluted":1}}')).toEqual(['error layout.json: __proto__: key "__proto__" is not allowed']);
    expect(problems('{"partitions":[{"type":"esp","constructor":{"prototype":{}}}]}')).toEqual([
      'error layout.json: partitions[0].constructor: key "constructor" is not allowed',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(problems('[1]')).toEqual(['error layout.json: must be a JSON object']);
    expect(problems('{')[0]).toMatch(/^error layout.json: not valid JSON/);
    expect(problems('x'.repeat(1_000_001))[0]).toMatch(/too large/);
    expect(problems(`{"partitions":${'['.repeat(40)}${']'.repeat(40)}}`)[0]).toMatch(/nested too deeply/);
    expect(() => parseLayoutJson('{"partitions":[{}]}')).toThrow(/partitions\[0\]\.type: is required/);
  });

  it('reports unknown keys as warnings and drops them', () => {
    const r = readLayoutJson('{"partitions":[{"type":"esp","colour":"red"}],"blobs":[{"name":"a","offsetBytes":0,"x":1}],"gpt":{"y":2}}');
    expect(r.diagnostics.map((d) => `${d.severity} ${formatDiagnostic(d)}`)).toEqual([
      'warning layout.json: gpt.y: unknown key "y", ignored',
      'warning layout.json: partitions[0].colour: unknown key "colour", ignored',
      'warning layout.json: blobs[0].x: unknown key "x", ignored',
    ]);
    expect(r.spec).toEqual({ table: 'gpt', partitions: [{ type: 'esp' }], blobs: [{ name: 'a', offsetBytes: 0 }] });
  });
});

describe('field tables', () => {
  it('cover every spec key, once', () => {
    const partitionKeys: Record<Exclude<keyof PartitionSpec, 'sourceName'>, true> = {
      type: true, label: true, uuid: true, priority: true, weight: true, paddingWeight: true, sizeMinBytes: true,
      sizeMaxBytes: true, paddingMinBytes: true, paddingMaxBytes: true, factoryReset: true, copyBlocks: true, format: true,
      copyFiles: true, makeDirectories: true, minimize: true, flags: true, readOnly: true, noAuto: true, growFileSystem: true,
      encrypt: true, verity: true, verityMatchKey: true, verityDataBlockSizeBytes: true, verityHashBlockSizeBytes: true, splitName: true, mbrType: true, mbrBootable: true, hybridMbr: true,
      storePaths: true, fatType: true, volumeId: true, fileSystemUuid: true, compression: true, compressionLevel: true,
      isoBiosBoot: true, isoHybridMbr: true, isoEfiImage: true, isoPublisher: true, isoApplication: true, isoFileOrder: true, isoPath: true,
      excludeFiles: true, excludeFilesTarget: true, makeSymlinks: true, supplementFor: true, volumeLabel: true, mountPoints: true, discard: true,
    };
    expect(PARTITION_FIELDS.map((f) => f.id).sort()).toEqual(Object.keys(partitionKeys).sort());
    expect(DISK_FIELDS.map((f) => f.confKey)).toEqual([
      'Table', 'SectorSize', 'Size', 'Seed', 'Architecture', 'FirstPartitionOffset', 'GPTEntriesLBA', 'GPTEntryCount',
      'CopySource', 'SourceDateEpoch', 'MBRDiskId', 'MBRProtectiveFirst', 'BaseImage', 'BaseImageInPlace', 'Empty', 'CopyFrom', 'GrainSize',
      'DeferPartitions', 'RepartVersion', 'Preset',
    ]);
    expect(BLOB_FIELDS.map((f) => f.confKey)).toEqual(['Name', 'Offset', 'Source', 'Size']);
    for (const f of [...PARTITION_FIELDS, ...DISK_FIELDS, ...BLOB_FIELDS]) {
      expect(f.help.length, f.id).toBeGreaterThan(10);
      expect(f.title.length, f.id).toBeGreaterThan(1);
      if (f.defaultValue !== undefined) expect(f.check(f.defaultValue), f.id).toBeUndefined();
    }
  });

  it('know every key of repart 252 [Partition]', () => {
    // The keys of repart.c's ConfigTableItem table in systemd 252; newer keys with their since-versions below.
    const repart252 = [
      'Type', 'Label', 'UUID', 'Priority', 'Weight', 'PaddingWeight', 'SizeMinBytes', 'SizeMaxBytes', 'PaddingMinBytes',
      'PaddingMaxBytes', 'FactoryReset', 'CopyBlocks', 'Format', 'CopyFiles', 'MakeDirectories', 'Encrypt', 'Verity',
      'VerityMatchKey', 'Flags', 'ReadOnly', 'NoAuto', 'GrowFileSystem', 'SplitName',
    ];
    // Newer keys sit beside the 252 ones in the table, each with its own since-version (checked here).
    const newer: Record<string, number> = {
      ExcludeFiles: 254, ExcludeFilesTarget: 254, MakeSymlinks: 257, SupplementFor: 257, VolumeLabel: 256, MountPoint: 256, Discard: 258,
      VerityDataBlockSizeBytes: 255, VerityHashBlockSizeBytes: 255, Minimize: 253, Compression: 257, CompressionLevel: 257,
    };
    const partitionKeys = PARTITION_FIELDS.filter((f) => f.section === 'Partition');
    expect(partitionKeys.filter((f) => !(f.confKey in newer)).map((f) => f.confKey)).toEqual(repart252);
    for (const f of partitionKeys) if (f.confKey in newer) expect(f.sinceRepart, f.confKey).toBe(newer[f.confKey]);
    expect(PARTITION_FIELDS.filter((f) => f.section === 'Partition' && f.sinceRepart! <= 252).map((f) => f.confKey)).toEqual(repart252);
    expect(Object.fromEntries(PARTITION_FIELDS.filter((f) => ['UUID', 'CopyBlocks', 'Format', 'MakeDirectories', 'Verity'].includes(f.confKey)).map((f) => [f.confKey, f.sinceRepart])))
      .toEqual({ UUID: 246, CopyBlocks: 246, Format: 247, MakeDirectories: 249, Verity: 252 });
  });
});
