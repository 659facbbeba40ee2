import { describe, expect, it } from 'vitest';
import { FastbootSimDevice } from '../../server/fastboot-sim/device.ts';
import { SparseImage } from '../disk/sparse-image.ts';
import { FlashError, FlashProblem } from './errors.ts';
import { FastbootClient, packets, parseFastbootNumber } from './fastboot.ts';
import { flashDisk, flashPartition, planDiskFlash, readDeviceInfo, type FlashProgress } from './flash-image.ts';
import { findTableRanges } from './table-ranges.ts';
import { directTransport, makeGptDisk, noise, tableWritesLast } from './test-support/disk.ts';

const MiB = 1 << 20;

async function rejection(p: Promise<unknown>): Promise<FlashError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(FlashError);
    return e as FlashError;
  }
  throw new Error('expected the flash to fail');
}

describe('fastboot numbers', () => {
  it.each([
    ['0x10000000', 0x10000000],
    ['0X00100000', 0x100000],
    ['268435456', 268435456],
    ['  4096 ', 4096],
    ['1a000', 0x1a000],
    ['0x0000000000800000', 0x800000],
    ['', undefined],
    ['lots', undefined],
  ])('%j → %s', (text, value) => {
    expect(parseFastbootNumber(text)).toBe(value);
  });
});

describe('packets', () => {
  it('joins small chunks and cuts big ones without losing bytes', async () => {
    const chunks = [new Uint8Array(12).fill(1), new Uint8Array(10).fill(2), new Uint8Array(25).fill(3), new Uint8Array(3).fill(4)];
    const out: Uint8Array[] = [];
    for await (const p of packets(chunks, 16)) out.push(p.slice());
    expect(out.map((p) => p.length)).toEqual([16, 16, 16, 2]);
    expect(Buffer.concat(out)).toEqual(Buffer.concat(chunks));
  });
});

describe('fastboot client', () => {
  it('reads variables; max-download-size in hex or decimal; unknown variables FAIL', async () => {
    for (const numberStyle of ['hex', 'decimal'] as const) {
      const device = new FastbootSimDevice({ diskSizeBytes: 8 * MiB, maxDownloadBytes: 3 * MiB, numberStyle });
      const client = new FastbootClient(directTransport(device));
      expect(await client.maxDownloadBytes()).toBe(3 * MiB);
      expect(await client.getVar('is-userspace')).toBe('no');
      expect(await client.partitionSizeBytes('mmc0')).toBe(8 * MiB);
      expect(await client.getVar('partition-type:mmc0')).toBe('raw');
      expect(await client.getVarOptional('nonexistent')).toBeUndefined();
      const e = await rejection(client.getVar('nonexistent'));
      expect(e.problem).toBe(FlashProblem.DeviceFailed);
      expect(e.message).toContain('"Variable not implemented"');
    }
  });

  it('passes INFO lines on and refuses commands longer than 64 bytes', async () => {
    const device = new FastbootSimDevice({ diskSizeBytes: 8 * MiB });
    const infos: string[] = [];
    const client = new FastbootClient(directTransport(device), { onInfo: (t) => infos.push(t) });
    await client.command('getvar:all');
    expect(infos).toContain('partition-size:mmc0: 0x800000');
    const e = await rejection(client.flash('p'.repeat(60)));
    expect(e.problem).toBe(FlashProblem.Protocol);
    expect(device.commands).not.toContain(`flash:${'p'.repeat(60)}`);
  });

  it('downloads, flashes a raw image to a partition, erases it', async () => {
    const device = new FastbootSimDevice({ diskSizeBytes: 8 * MiB, partitions: [{ name: 'boot', offsetBytes: MiB, sizeBytes: MiB }] });
    const client = new FastbootClient(directTransport(device));
    const data = noise(300_000, 3);
    const sent: number[] = [];
    await client.download(data.length, [data], { onBytes: (n) => sent.push(n) });
    expect(sent.at(-1)).toBe(data.length);
    await client.flash('boot');
    expect(Buffer.compare(device.disk.read(MiB, data.length), data)).toBe(0);
    await client.erase('boot');
    expect(device.disk.dataRanges()).toEqual([]);
  });
});

describe('whole-disk flash', () => {
  it('finds the GPT areas: LBA 0 up to the first partition, the backup GPT at the end', () => {
    const { image } = makeGptDisk(8);
    expect(findTableRanges(image)).toEqual([
      { offsetBytes: 0, sizeBytes: MiB },
      { offsetBytes: 8 * MiB - 33 * 512, sizeBytes: 33 * 512 },
    ]);
    expect(findTableRanges(new SparseImage(MiB))).toEqual([]);
  });

  it('plans the table areas first as zeros, then the data, then the tables, each piece within the limit', () => {
    const { image } = makeGptDisk(8);
    const plan = planDiskFlash(image, { maxDownloadBytes: 256 * 1024 });
    const roles = plan.pieces.map((p) => p.role);
    expect(roles[0]).toBe('clear-tables');
    expect(roles.at(-1)).toBe('tables');
    expect(roles.filter((r) => r === 'data').length).toBeGreaterThan(4);
    for (const p of plan.pieces) expect(p.sizeBytes).toBeLessThanOrEqual(256 * 1024);
    expect(plan.pieces[0]!.sizeBytes).toBeLessThan(200); // FILL chunks only
    expect(plan.tableRanges).toEqual([
      { offsetBytes: 0, sizeBytes: MiB },
      { offsetBytes: 8 * MiB - 5 * 4096, sizeBytes: 5 * 4096 },
    ]);
  });

  it('writes the image byte for byte, tables last, with progress in bytes', async () => {
    const { image } = makeGptDisk(8);
    const device = new FastbootSimDevice({ diskSizeBytes: 8 * MiB, maxDownloadBytes: 300 * 1024 });
    // Stale bytes where the new table and a new hole go: the flash must replace the table areas whole.
    device.disk.write(0, noise(MiB, 99));
    const progress: FlashProgress[] = [];
    const result = await flashDisk(directTransport(device), image, { onProgress: (p) => progress.push(p) });
    expect(Buffer.compare(device.diskBytes().subarray(0, MiB), Buffer.from(image.read(0, MiB)))).toBe(0);
    expect(Buffer.compare(device.diskBytes(), Buffer.from(image.read(0, image.sizeBytes)))).toBe(0);
    expect(result.pieceCount).toBeGreaterThan(3);
    expect(result.partition).toBe('mmc0');
    expect(result.maxDownloadBytes).toBe(300 * 1024);
    const order = tableWritesLast(device.writes, findTableRanges(image));
    expect(order.ok).toBe(true);
    // The first writes are the zeroed table areas.
    expect(device.writes[0]).toMatchObject({ offsetBytes: 0, kind: 'sparse-fill' });
    const sent = progress.map((p) => p.sentBytes);
    expect(sent).toEqual([...sent].sort((a, b) => a - b));
    expect(progress.at(-1)).toMatchObject({ stage: 'done', sentBytes: result.sentBytes, totalBytes: result.sentBytes });
    expect(progress.some((p) => p.deviceMessage?.includes('writing sparse image'))).toBe(true);
    // After the flash the device knows the GPT's partitions by label.
    expect((await readDeviceInfo(directTransport(device), ['boot', 'rootfs'])).partitionSizesBytes).toEqual({ boot: 2 * MiB, rootfs: 8 * MiB - 3 * MiB - 33 * 512 });
  });

  it('flashes a single partition by name', async () => {
    const { image, boot } = makeGptDisk(8);
    const device = new FastbootSimDevice({ diskSizeBytes: 8 * MiB, maxDownloadBytes: 128 * 1024 });
    await flashDisk(directTransport(device), image);
    device.disk.discard(boot.offsetBytes, boot.sizeBytes);
    const before = device.writes.length;
    const result = await flashPartition(directTransport(device), image, { partition: 'boot', range: boot });
    expect(result.pieceCount).toBeGreaterThan(1);
    expect(device.writes.slice(before).every((w) => w.partition === 'boot')).toBe(true);
    expect(Buffer.compare(device.diskBytes(), Buffer.from(image.read(0, image.sizeBytes)))).toBe(0);
  });

  it('refuses an image larger than the target before writing anything', async () => {
    const { image } = makeGptDisk(8);
    const device = new FastbootSimDevice({ diskSizeBytes: 4 * MiB });
    const e = await rejection(flashDisk(directTransport(device), image));
    expect(e.problem).toBe(FlashProblem.TooLarge);
    expect(e.message).toContain('8388608');
    expect(device.writes).toEqual([]);
  });
});

describe('failures never end in success', () => {
  it('FAIL on a flash: quotes the device, says the flash is partial, never reports done', async () => {
    const { image } = makeGptDisk(8);
    const device = new FastbootSimDevice({ diskSizeBytes: 8 * MiB, maxDownloadBytes: 256 * 1024 });
    device.addFault({ on: 'flash:', action: 'fail', message: 'eMMC write error at block 4242', skip: 3 });
    const progress: FlashProgress[] = [];
    const e = await rejection(flashDisk(directTransport(device), image, { onProgress: (p) => progress.push(p) }));
    expect(e.problem).toBe(FlashProblem.DeviceFailed);
    expect(e.message).toContain('"eMMC write error at block 4242"');
    expect(e.message).toContain('did not finish');
    expect(e.detail['partial']).toBe(true);
    expect(e.detail['deviceMessage']).toBe('eMMC write error at block 4242');
    expect(progress.some((p) => p.stage === 'done')).toBe(false);
    // The old table was cleared and the new one never written: no valid GPT on the device.
    expect(device.disk.read(512, 8)).toEqual(new Uint8Array(8));
  });

  it('FAIL on the very first flash leaves nothing written and says so', async () => {
    const { image } = makeGptDisk(8);
    const device = new FastbootSimDevice({ diskSizeBytes: 8 * MiB });
    device.addFault({ on: 'flash:', action: 'fail', message: 'Flashing is not allowed in Lock State' });
    const e = await rejection(flashDisk(directTransport(device), image));
    expect(e.detail['partial']).toBe(false);
    expect(e.message).toContain('Lock State');
    expect(device.writes).toEqual([]);
  });

  it('a disconnect in the middle of a download', async () => {
    const { image } = makeGptDisk(8);
    const device = new FastbootSimDevice({ diskSizeBytes: 8 * MiB, maxDownloadBytes: 256 * 1024 });
    device.addFault({ on: 'download:', action: 'disconnect', afterDataBytes: 100_000, skip: 2 });
    const transport = directTransport(device);
    const e = await rejection(flashDisk(transport, image));
    expect(e.problem).toBe(FlashProblem.Disconnected);
    expect(e.detail['partial']).toBe(true);
    expect(transport.closed).toBe(true);
  });

  it('a device that stops answering times out', async () => {
    const { image } = makeGptDisk(8);
    const device = new FastbootSimDevice({ diskSizeBytes: 8 * MiB, maxDownloadBytes: 256 * 1024 });
    device.addFault({ on: 'flash:', action: 'hang', skip: 1 });
    const started = Date.now();
    const e = await rejection(flashDisk(directTransport(device), image, { flashTimeoutMs: 300 }));
    expect(e.problem).toBe(FlashProblem.Timeout);
    expect(e.message).toContain('stopped answering');
    expect(e.detail['partial']).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('abort stops the flash with a coded error', async () => {
    const { image } = makeGptDisk(8);
    const device = new FastbootSimDevice({ diskSizeBytes: 8 * MiB, maxDownloadBytes: 128 * 1024 });
    const controller = new AbortController();
    const e = await rejection(
      flashDisk(directTransport(device), image, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.pieceIndex === 2) controller.abort();
        },
      }),
    );
    expect(e.problem).toBe(FlashProblem.Aborted);
    expect(e.detail['partial']).toBe(true);
  });
});

describe('flashFailure', () => {
  it('turns a FlashError into data and ignores other errors', async () => {
    const { flashFailure } = await import('./errors.ts');
    const device = new FastbootSimDevice({ diskSizeBytes: 8 * MiB });
    device.addFault({ on: 'flash:', action: 'fail', message: 'locked' });
    const e = await rejection(flashDisk(directTransport(device), makeGptDisk(8).image));
    expect(flashFailure(e)).toEqual({ problem: 'device-failed', message: e.message, partial: false, deviceMessage: 'locked' });
    expect(flashFailure(new Error('bug'))).toBeUndefined();
  });
});

describe('big disks', () => {
  it('a 64 GiB disk with a few MiB of data sends only its mapped blocks', async () => {
    const GiB = 1024 * MiB;
    const disk = makeGptDisk(64 * 1024);
    const device = new FastbootSimDevice({ diskSizeBytes: 64 * GiB, maxDownloadBytes: 4 * MiB });
    const started = Date.now();
    const result = await flashDisk(directTransport(device), disk.image);
    expect(result.sentBytes).toBeLessThan(4 * MiB);
    expect(result.pieceCount).toBe(3);
    for (const r of [...disk.image.dataRanges(), ...findTableRanges(disk.image)]) {
      expect(Buffer.compare(device.disk.read(r.offsetBytes, r.sizeBytes), disk.image.read(r.offsetBytes, r.sizeBytes))).toBe(0);
    }
    expect(device.disk.mappedBytes).toBeLessThan(8 * MiB);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('an image whose size is not a multiple of 4096 that exactly fills the target is refused with the reason', async () => {
    const image = new SparseImage(8 * MiB + 512);
    image.write(0, noise(4096, 1));
    const device = new FastbootSimDevice({ diskSizeBytes: 8 * MiB + 512 });
    const e = await rejection(flashDisk(directTransport(device), image));
    expect(e.problem).toBe(FlashProblem.TooLarge);
    expect(e.message).toContain('multiple of 4096');
  });
});
