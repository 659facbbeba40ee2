/**
 * Where a file's data is, without reading its holes: SEEK_DATA/SEEK_HOLE, which Node does not
 * expose, asked of python3 (present on Debian machines; without it every byte is scanned instead).
 * Inside those ranges all-zero blocks are still found by reading, so the result is the same as a
 * full scan, only cheaper for sparse files such as freshly built images.
 */
import { spawnSync } from 'node:child_process';
import type { ByteRange } from '../../plan/types.ts';
import { scanDataRanges, type ReadSource } from '../../disk/sparse-image.ts';

const SEEK_SCRIPT = `import os, sys, json
fd = os.open(sys.argv[1], os.O_RDONLY); end = os.fstat(fd).st_size; out = []; pos = 0
while pos < end:
    try: d = os.lseek(fd, pos, os.SEEK_DATA)
    except OSError: break
    h = os.lseek(fd, d, os.SEEK_HOLE); out.append([d, h - d]); pos = h
print(json.dumps(out))`;

/** The file's allocated ranges, or undefined when the system cannot say. */
export function allocatedRanges(path: string): ByteRange[] | undefined {
  const r = spawnSync('python3', ['-c', SEEK_SCRIPT, path], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout) return undefined;
  try {
    return (JSON.parse(r.stdout) as [number, number][]).map(([offsetBytes, sizeBytes]) => ({ offsetBytes, sizeBytes }));
  } catch {
    return undefined;
  }
}

/** The non-zero ranges of a file at 4 KiB granularity, reading only its allocated parts. */
export function fileDataRanges(path: string, source: ReadSource): ByteRange[] {
  const allocated = allocatedRanges(path);
  if (!allocated) return scanDataRanges(source);
  const out: ByteRange[] = [];
  for (const a of allocated) {
    // Align the window to 4 KiB so block boundaries match a full scan's.
    const start = Math.floor(a.offsetBytes / 4096) * 4096;
    const end = Math.min(source.sizeBytes, Math.ceil((a.offsetBytes + a.sizeBytes) / 4096) * 4096);
    const window: ReadSource = { sizeBytes: end - start, read: (o, t) => source.read(start + o, t) };
    for (const r of scanDataRanges(window)) {
      const prev = out.at(-1);
      if (prev && prev.offsetBytes + prev.sizeBytes === start + r.offsetBytes) prev.sizeBytes += r.sizeBytes;
      else out.push({ offsetBytes: start + r.offsetBytes, sizeBytes: r.sizeBytes });
    }
  }
  return out;
}
