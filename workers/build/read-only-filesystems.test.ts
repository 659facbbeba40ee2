/**
 * Format=squashfs / Format=erofs through buildImage: partition sizes follow the made images
 * (Minimize=best pins them, Minimize=off keeps at least repart's 10 MiB default), the bytes in each
 * partition are a valid image of the tree (unsquashfs / fsck.erofs --extract), blkid sees the erofs
 * UUID repart derives from the partition UUID, Compression=/CompressionLevel= reach the image, bad
 * combinations are refused with coded errors, and two builds are byte-identical.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNodeTool } from '../hosts/node/tools.ts';
import type { SparseImage } from '../disk/sparse-image.ts';
import { isPartwrightError } from '../model/errors.ts';
import type { ImageSpec, PartitionSpec } from '../model/spec.ts';
import { requireTools } from '../test-support/debian.ts';
import { erofsUuidFromPartitionUuid } from '../tools/mkfs-erofs.ts';
import { imageDigest } from '../tools/test-support/sample-tree.ts';
import { expectExtractedTree, ORACLE_EPOCH, oracleTree } from '../tools/test-support/tree-oracle.ts';
import { buildImage, type BuildInputs } from './build-image.ts';

let tmp: string;
beforeAll(() => {
  requireTools('unsquashfs', 'fsck.erofs', 'blkid');
  tmp = mkdtempSync(join(tmpdir(), 'pw-rofs-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const inputs = (): BuildInputs => ({
  open: () => { throw new Error('no files'); },
  openTree: () => oracleTree(),
});
const content = [{ source: '/content', target: '/' }];

function spec(partitions: PartitionSpec[]): ImageSpec {
  return { table: 'gpt', sourceDateEpoch: ORACLE_EPOCH, partitions };
}

function save(image: SparseImage, offsetBytes: number, sizeBytes: number, name: string): string {
  const path = join(tmp, name);
  const fd = openSync(path, 'w');
  for (let at = 0; at < sizeBytes; at += 1 << 20) {
    const n = Math.min(1 << 20, sizeBytes - at);
    writeSync(fd, image.read(offsetBytes + at, n), 0, n, at);
  }
  closeSync(fd);
  return path;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  expect(r.status, `${cmd} ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout + r.stderr;
}

describe('read-only file systems in an image', () => {
  it('squashfs and erofs partitions hold the tree, sized by their images', () => {
    const { plan, image } = buildImage(spec([
      { type: 'usr', format: 'erofs', compression: 'lz4hc', compressionLevel: 12, minimize: 'best', copyFiles: content },
      { type: 'root', format: 'squashfs', compression: 'zstd', compressionLevel: 19, copyFiles: content },
      { type: 'linux-generic', format: 'squashfs', minimize: 'best', copyFiles: content },
    ]), inputs(), { loadTool: loadNodeTool });
    const [usr, root, generic] = plan.partitions;
    // Minimize=best: the image size (4 KiB multiple); Minimize=off: repart's 10 MiB default minimum.
    expect(usr!.sizeBytes % 4096).toBe(0);
    expect(usr!.sizeBytes).toBeLessThan(3 << 20);
    expect(root!.sizeBytes).toBe(10 << 20);
    expect(generic!.sizeBytes).toBeLessThan(3 << 20);

    const erofs = save(image, usr!.offsetBytes, usr!.sizeBytes, 'usr.erofs');
    run('fsck.erofs', [erofs]);
    expect(run('blkid', ['-o', 'export', erofs])).toContain(`UUID=${erofsUuidFromPartitionUuid(usr!.uuid)}`);
    const x1 = join(tmp, 'x-erofs');
    run('fsck.erofs', [`--extract=${x1}`, '--preserve', erofs]);
    expectExtractedTree(x1, oracleTree(), { epoch: ORACLE_EPOCH, root: true, symlinkTimes: false, fileModeMask: 0o1777 });

    for (const [p, name, compression] of [[root!, 'root.sqfs', /zstd[\s\S]*compression-level 19/], [generic!, 'generic.sqfs', /Compression gzip/]] as const) {
      const path = save(image, p.offsetBytes, p.sizeBytes, name);
      expect(run('unsquashfs', ['-s', path])).toMatch(compression);
      expect(run('blkid', ['-o', 'export', path])).toContain('TYPE=squashfs');
      const x = join(tmp, `x-${name}`);
      run('unsquashfs', ['-q', '-n', '-d', x, path]);
      expectExtractedTree(x, oracleTree(), { epoch: ORACLE_EPOCH, root: true, symlinkTimes: false });
    }
  });

  it('two builds are byte-identical', () => {
    const s = spec([
      { type: 'usr', format: 'erofs', compression: 'lz4', minimize: 'best', copyFiles: content },
      { type: 'root', format: 'squashfs', minimize: 'best', copyFiles: content },
    ]);
    const a = buildImage(s, inputs(), { loadTool: loadNodeTool }).image;
    const b = buildImage(s, inputs(), { loadTool: loadNodeTool }).image;
    expect(imageDigest(a)).toBe(imageDigest(b));
  });

  it('refuses what it cannot make, with coded errors', () => {
    const attempt = (p: PartitionSpec) => {
      try {
        buildImage(spec([p]), inputs(), { loadTool: loadNodeTool });
        return 'built';
      } catch (e) {
        return isPartwrightError(e) ? e.code : String(e);
      }
    };
    expect(attempt({ type: 'root', format: 'squashfs', compression: 'lzo', copyFiles: content })).toBe('unsupported');
    expect(attempt({ type: 'usr', format: 'erofs', compression: 'zstd', copyFiles: content })).toBe('unsupported');
    expect(attempt({ type: 'root', format: 'ext4', compression: 'zstd', copyFiles: content })).toBe('invalid-spec');
    expect(attempt({ type: 'root', format: 'squashfs', compressionLevel: 30, copyFiles: content })).toBe('invalid-spec');
    expect(attempt({ type: 'root', format: 'squashfs', sizeMaxBytes: 64 * 1024, copyFiles: content })).toBe('does-not-fit');
    expect(attempt({ type: 'root', format: 'erofs', sizeMaxBytes: 64 * 1024, minimize: 'best', copyFiles: content })).toBe('does-not-fit');
  });
});
