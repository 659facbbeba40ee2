/**
 * Damaged archives never escape as anything but a coded error: archives made by the real tools,
 * with random bytes overwritten, cut short or extended (fast-check), either read as a tree that stays
 * inside itself or throw `corrupt-archive` — never a TypeError, a RangeError or a hang. Part of
 * `npm run fuzz` (FUZZ_SECONDS per archive kind).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireTools } from '../../test-support/debian.ts';
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import { memoryScratch, memorySource, readArchive, type ArchiveCodecs, type ArchiveDir } from './index.ts';
import { loadNodeTool } from '../../hosts/node/tools.ts';
import { ZstdDecompressor } from '../../tools/zstd.ts';
import { fuzzAssert, fuzzOptions, fuzzTimeoutMs } from '../../test-support/fuzz.ts';

const CODECS: ArchiveCodecs = { zstd: (onData) => new ZstdDecompressor(loadNodeTool('zstd'), onData) };

const samples: Record<string, Uint8Array> = {};

beforeAll(() => {
  requireTools('tar', 'gzip', 'zstd', 'cpio', 'zip');
  const work = fs.mkdtempSync(join(tmpdir(), 'partwright-archive-fuzz-'));
  const tree = join(work, 'tree');
  fs.mkdirSync(join(tree, 'usr/bin'), { recursive: true });
  fs.writeFileSync(join(tree, 'usr/bin/hello'), '#!/bin/sh\necho hello\n'.repeat(40), { mode: 0o755 });
  fs.writeFileSync(join(tree, `${'long-name-'.repeat(12)}.txt`), 'x');
  fs.symlinkSync('usr/bin', join(tree, 'bin'));
  fs.linkSync(join(tree, 'usr/bin/hello'), join(tree, 'usr/bin/hello2'));
  const make = (name: string, command: string) => {
    execFileSync('sh', ['-c', command.replace('OUT', join(work, name))], { cwd: tree });
    samples[name] = new Uint8Array(fs.readFileSync(join(work, name)));
  };
  make('a.tar', 'tar --format=pax -cf OUT .');
  make('a.tar.gz', 'tar -czf OUT .');
  make('a.tar.zst', 'tar --zstd -cf OUT .');
  make('a.cpio', 'find . | cpio --quiet -o -H crc > OUT');
  make('a.zip', 'zip -q -r -y OUT .');
});

function paths(dir: ArchiveDir, prefix = ''): string[] {
  return dir.children.flatMap((c) => [`${prefix}${c.name}`, ...(c.kind === 'dir' ? paths(c, `${prefix}${c.name}/`) : [])]);
}

function readOrCodedError(bytes: Uint8Array, name: string): void {
  try {
    const tree = readArchive(memorySource(bytes), name, memoryScratch(), '', CODECS);
    for (const p of paths(tree)) {
      expect(p.split('/').every((part) => part !== '' && part !== '.' && part !== '..'), p).toBe(true);
    }
  } catch (e) {
    if (!(e instanceof PartwrightError)) throw e;
    expect(e.code).toBe(ErrorCode.CorruptArchive);
  }
}

describe('damaged archives (fast-check)', () => {
  for (const name of ['a.tar', 'a.tar.gz', 'a.tar.zst', 'a.cpio', 'a.zip']) {
    it(`${name}: overwritten bytes, cut short or extended`, () => {
      const sample = samples[name]!;
      const damage = fc.oneof(
        fc.array(fc.tuple(fc.nat({ max: sample.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((edits) => {
          const b = sample.slice();
          for (const [at, v] of edits) b[at] = v;
          return b;
        }),
        fc.nat({ max: sample.length - 1 }).map((n) => sample.subarray(0, n)),
        fc.uint8Array({ minLength: 1, maxLength: 2048 }).map((tail) => Uint8Array.from([...sample, ...tail])),
      );
      fuzzAssert(fc.property(damage, (bytes) => readOrCodedError(bytes, name)), fuzzOptions(`archive ${name}`, 150));
    }, fuzzTimeoutMs());
  }
});
