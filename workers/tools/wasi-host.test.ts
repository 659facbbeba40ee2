/**
 * The WASI host on its own, driven by mke2fs.wasm: output capture, exit codes, a fresh instance per
 * run, whole-length transfers, path resolution inside preopens.
 */
import { describe, expect, it } from 'vitest';
import { MKE2FS_CONF } from './mke2fs-conf.ts';
import { memoryDirectory, memoryFile, runWasi, type VfsFile } from './wasi-host.ts';
import { mke2fsModule } from './test-support/e2fs-tools.ts';

const MiB = 1 << 20;

/** A writable in-memory file that records every transfer the tool asked for. */
function recordingFile(sizeBytes: number) {
  const data = new Uint8Array(sizeBytes);
  const reads: number[] = [];
  const writes: number[] = [];
  const file: VfsFile = {
    kind: 'file', sizeBytes,
    read: (o, t) => { reads.push(t.length); t.set(data.subarray(o, o + t.length)); },
    write: (o, d) => { writes.push(d.length); data.set(d, o); },
  };
  return { file, data, reads, writes };
}

describe('runWasi', () => {
  it('captures stdout and stderr and returns the exit status', () => {
    // MKE2FS_CONFIG inside a preopen: /etc/mke2fs.conf would fail with ENOTCAPABLE (not ENOENT).
    const preopens = { '/pw': memoryDirectory({ 'mke2fs.conf': memoryFile(MKE2FS_CONF) }) };
    const env = { MKE2FS_CONFIG: '/pw/mke2fs.conf' };
    const bare = runWasi(mke2fsModule(), { args: ['mke2fs', '-V'], preopens: {} });
    expect(bare.stderr).toContain("Couldn't init profile successfully (error: 76)");
    const version = runWasi(mke2fsModule(), { args: ['mke2fs', '-V'], env, preopens });
    expect(version.exitCode).toBe(0);
    expect(version.stderr).toMatch(/^mke2fs 1\.47\.0 \(5-Feb-2023\)/);
    const usage = runWasi(mke2fsModule(), { args: ['mke2fs', '--no-such-option'], env, preopens });
    expect(usage.exitCode).toBe(1);
    expect(usage.stderr).toContain('Usage: mke2fs');
  });

  it('reports a missing target (mke2fs would create it; the virtual file system is read-only)', () => {
    const r = runWasi(mke2fsModule(), {
      args: ['mke2fs', '-q', '/pw/missing', '1024'], env: { MKE2FS_CONFIG: '/pw/mke2fs.conf' },
      preopens: { '/pw': memoryDirectory({ 'mke2fs.conf': memoryFile(MKE2FS_CONF) }) },
    });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('Read-only file system while trying to determine filesystem size');
  });

  it('moves whole requested lengths and runs a fresh instance each time', () => {
    const outputs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { file, data, reads, writes } = recordingFile(8 * MiB);
      const r = runWasi(mke2fsModule(), {
        args: ['mke2fs', '-q', '-F', '-t', 'ext4', '-U', '11111111-1111-4111-8111-111111111111', '-E', 'hash_seed=22222222-2222-4222-8222-222222222222', '/pw/./img'],
        env: { MKE2FS_CONFIG: '/pw/mke2fs.conf', E2FSPROGS_FAKE_TIME: '1000000' },
        preopens: { '/pw': memoryDirectory({ 'mke2fs.conf': memoryFile(MKE2FS_CONF), img: file }) },
        clockSeconds: 1_000_000,
      });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(reads.length + writes.length).toBeGreaterThan(10);
      // The superblock magic at 1024 + 56.
      expect(data[1024 + 56]).toBe(0x53);
      expect(data[1024 + 57]).toBe(0xef);
      outputs.push(Buffer.from(data).toString('base64'));
    }
    expect(outputs[1]).toBe(outputs[0]);
  });

  it('refuses paths that leave a preopen', () => {
    const r = runWasi(mke2fsModule(), {
      args: ['mke2fs', '-q', '/pw/../etc/passwd', '1024'], env: { MKE2FS_CONFIG: '/pw/mke2fs.conf' },
      preopens: { '/pw': memoryDirectory({ 'mke2fs.conf': memoryFile(MKE2FS_CONF) }) },
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('Capabilities insufficient');
  });
});
