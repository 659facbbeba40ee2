/**
 * Content archives: 128 MiB in 2,000 files (with symlinks and a hard link) as tar, tar.gz, tar.zst,
 * cpio and zip, read by Partwright's readers (index every entry, then read every file's bytes once,
 * the way a file-system writer does) beside the native tool extracting the same archive to a
 * directory, in the same run. Run: `npx tsx bench/archives.ts`.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { memoryScratch, readArchive, type ArchiveDir, type ByteSource } from '../workers/formats/archive/index.ts';
import { loadNodeTool } from '../workers/hosts/node/tools.ts';
import { ZstdDecompressor } from '../workers/tools/zstd.ts';
import { ensureGnuTime, measure } from './measure.ts';

ensureGnuTime();
if (process.getuid?.() === 0 && !fs.existsSync('/usr/bin/unzip')) execFileSync('apt-get', ['install', '-y', '-qq', 'unzip'], { stdio: 'ignore' });
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-archives-'));
const tree = path.join(work, 'tree');
const total = 128 << 20;
const count = 2000;
let written = 0;
for (let i = 0; i < count; i++) {
  const dir = path.join(tree, `usr/lib/dir${String(i % 40).padStart(2, '0')}`);
  fs.mkdirSync(dir, { recursive: true });
  const size = i === count - 1 ? total - written : Math.floor((total / count) * (0.5 + ((i * 7919) % 1000) / 1000));
  const block = createHash('sha256').update(String(i)).digest();
  const buf = Buffer.alloc(size);
  for (let o = 0; o < size; o += block.length) block.copy(buf, o);
  fs.writeFileSync(path.join(dir, `file-${i}.so`), buf, { mode: i % 3 === 0 ? 0o755 : 0o644 });
  written += size;
}
fs.symlinkSync('usr/lib', path.join(tree, 'lib'));
fs.linkSync(path.join(tree, 'usr/lib/dir00/file-0.so'), path.join(tree, 'usr/lib/hard-link.so'));

const archives: [string, string, string][] = [
  ['tar', 'tar -cf A .', 'tar -xf A'],
  ['tar.gz', 'tar -czf A .', 'tar -xzf A'],
  ['tar.zst', 'tar --zstd -cf A .', 'tar --zstd -xf A'],
  ['cpio', 'find . | cpio --quiet -o -H newc > A', 'cpio --quiet -id < A'],
  ['zip', 'zip -q -r -y A .', 'unzip -q A'],
];

function fileSource(file: string): ByteSource {
  const fd = fs.openSync(file, 'r');
  return { sizeBytes: fs.fstatSync(fd).size, read: (o, t) => void fs.readSync(fd, t, 0, t.length, o) };
}

function readAll(dir: ArchiveDir, buf: Uint8Array): number {
  let n = 0;
  for (const c of dir.children) {
    if (c.kind === 'dir') n += readAll(c, buf);
    else if (c.kind === 'file') {
      for (let o = 0; o < c.sizeBytes; o += buf.length) {
        const part = buf.subarray(0, Math.min(buf.length, c.sizeBytes - o));
        c.read(o, part);
        n += part.length;
      }
    }
  }
  return n;
}

console.log(`${count} files, ${(written / 2 ** 20).toFixed(0)} MiB; Partwright: index + read every byte (memory scratch); native: extract to a directory`);
for (const [ext, make, extract] of archives) {
  const file = path.join(work, `a.${ext}`);
  execFileSync('sh', ['-c', make.replace('A', file)], { cwd: tree });
  const started = performance.now();
  const root = readArchive(fileSource(file), `a.${ext}`, memoryScratch(), '', { zstd: (onData) => new ZstdDecompressor(loadNodeTool('zstd'), onData) });
  const indexedMs = performance.now() - started;
  const bytes = readAll(root, new Uint8Array(1 << 20));
  const oursS = (performance.now() - started) / 1000;
  const out = path.join(work, `x-${ext}`);
  fs.mkdirSync(out);
  const native = measure(`native-${ext}`, ['sh', '-c', `cd '${out}' && ${extract.replace('A', file)}`], work);
  fs.rmSync(out, { recursive: true, force: true });
  console.log(
    `${ext.padEnd(8)} ${(fs.statSync(file).size / 2 ** 20).toFixed(1).padStart(6)} MiB  partwright ${oursS.toFixed(2).padStart(6)} s (index ${(indexedMs / 1000).toFixed(2)} s, ${(bytes / 2 ** 20).toFixed(0)} MiB read)  native ${native.wallS.toFixed(2).padStart(6)} s  ratio ${(oursS / native.wallS).toFixed(2)}×`,
  );
}
fs.rmSync(work, { recursive: true, force: true });
