/**
 * The simulator is faithful when Debian's real `fastboot` client (package `fastboot`) drives it over
 * TCP and what it stores is what was sent; Partwright's client is right when it gets the same result
 * from the same simulator.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FlashError, FlashProblem } from '../../workers/flash/errors.ts';
import { flashDisk, flashPartition } from '../../workers/flash/flash-image.ts';
import { findTableRanges } from '../../workers/flash/table-ranges.ts';
import { makeGptDisk, noise, tableWritesLast } from '../../workers/flash/test-support/disk.ts';
import { FastbootSimDevice } from './device.ts';
import { startFastbootTcpServer, type FastbootTcpServer } from './tcp-server.ts';
import { connectFastbootTcp } from './tcp-transport.ts';

const MiB = 1 << 20;
const TOOL_PACKAGES: Record<string, string> = { fastboot: 'fastboot', img2simg: 'android-sdk-libsparse-utils' };

function requireTools(...tools: string[]): void {
  const has = (t: string): boolean => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0;
  const missing = tools.filter((t) => !has(t));
  if (missing.length === 0) return;
  const packages = missing.map((t) => TOOL_PACKAGES[t] ?? t);
  if (process.getuid?.() === 0 && has('apt-get')) execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { stdio: 'ignore' });
  const still = tools.filter((t) => !has(t));
  if (still.length > 0) throw new Error(`tests need ${still.join(', ')}: apt-get install ${packages.join(' ')}`);
}

/** Run the real client without blocking the event loop (the simulator lives in this process). */
function fastboot(port: number, ...args: string[]): Promise<{ status: number; output: string }> {
  return new Promise((resolve) => {
    execFile('fastboot', ['-s', `tcp:127.0.0.1:${port}`, ...args], { timeout: 60_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ status, output: `${stdout}${stderr}` });
    });
  });
}

let dir: string;
const servers: FastbootTcpServer[] = [];

async function serve(device: FastbootSimDevice): Promise<number> {
  const server = await startFastbootTcpServer(device);
  servers.push(server);
  return server.port;
}

beforeAll(() => {
  requireTools('fastboot', 'img2simg');
  dir = mkdtempSync(join(tmpdir(), 'partwright-fastboot-'));
});
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("Debian's fastboot against the simulator (TCP)", () => {
  it.each(['hex', 'decimal'] as const)('getvar max-download-size (%s)', async (numberStyle) => {
    const device = new FastbootSimDevice({ diskSizeBytes: 8 * MiB, maxDownloadBytes: MiB, numberStyle });
    const port = await serve(device);
    const r = await fastboot(port, 'getvar', 'max-download-size');
    expect(r.status).toBe(0);
    expect(r.output).toContain(`max-download-size: ${numberStyle === 'hex' ? '0x00100000' : '1048576'}`);
    expect(device.commands).toEqual(['getvar:max-download-size']);
  });

  it('flash of a sparse image (img2simg), split by fastboot to fit max-download-size; then raw, erase, reboot', async () => {
    const { image, boot } = makeGptDisk(8);
    const rawPath = join(dir, 'disk.img');
    writeFileSync(rawPath, image.read(0, image.sizeBytes));
    const sparsePath = join(dir, 'disk.simg');
    execFileSync('img2simg', [rawPath, sparsePath]);
    const device = new FastbootSimDevice({ diskSizeBytes: 8 * MiB, maxDownloadBytes: MiB });
    const port = await serve(device);

    const flashed = await fastboot(port, 'flash', 'mmc0', sparsePath);
    expect(flashed.output).toContain('Finished');
    expect(flashed.status).toBe(0);
    expect(device.commands.filter((c) => c.startsWith('download:')).length).toBeGreaterThan(1);
    expect(Buffer.compare(device.diskBytes(), Buffer.from(image.read(0, image.sizeBytes)))).toBe(0);

    // A raw file larger than max-download-size: fastboot turns it into sparse pieces itself.
    const bootData = noise(boot.sizeBytes, 42);
    const bootPath = join(dir, 'boot.img');
    writeFileSync(bootPath, bootData);
    const raw = await fastboot(port, 'flash', 'boot', bootPath);
    expect(raw.status).toBe(0);
    expect(raw.output).toMatch(/Sending sparse 'boot' 1\/\d/);
    expect(Buffer.compare(device.disk.read(boot.offsetBytes, boot.sizeBytes), bootData)).toBe(0);

    // A raw file within the limit goes as it is.
    const small = noise(200_000, 5);
    writeFileSync(join(dir, 'small.img'), small);
    expect((await fastboot(port, 'flash', 'boot', join(dir, 'small.img'))).status).toBe(0);
    expect(device.writes.at(-1)).toMatchObject({ kind: 'raw', partition: 'boot', offsetBytes: boot.offsetBytes, sizeBytes: 200_000 });
    expect(Buffer.compare(device.disk.read(boot.offsetBytes, small.length), small)).toBe(0);

    const erased = await fastboot(port, 'erase', 'boot');
    expect(erased.status).toBe(0);
    expect(device.disk.dataRanges(boot.offsetBytes, boot.sizeBytes)).toEqual([]);

    const reboot = await fastboot(port, 'reboot');
    expect(reboot.status).toBe(0);
    expect(device.rebootCount).toBe(1);
  });

  it("shows the device's FAIL text and fails", async () => {
    const device = new FastbootSimDevice({ diskSizeBytes: 8 * MiB, maxDownloadBytes: MiB });
    device.addFault({ on: 'flash:', action: 'fail', message: 'Flashing is not allowed in Lock State' });
    const port = await serve(device);
    writeFileSync(join(dir, 'x.img'), noise(4096, 1));
    const r = await fastboot(port, 'flash', 'mmc0', join(dir, 'x.img'));
    expect(r.status).not.toBe(0);
    expect(r.output).toContain("FAILED (remote: 'Flashing is not allowed in Lock State')");
    const missing = await fastboot(port, 'flash', 'nosuch', join(dir, 'x.img'));
    expect(missing.status).not.toBe(0);
    expect(device.writes).toEqual([]);
  });
});

describe('Partwright client against the simulator (TCP)', () => {
  it('stores the built image byte for byte, tables last — the same disk the real client makes', async () => {
    const { image } = makeGptDisk(8);
    const device = new FastbootSimDevice({ diskSizeBytes: 8 * MiB, maxDownloadBytes: MiB });
    const port = await serve(device);
    const result = await flashDisk(await connectFastbootTcp('127.0.0.1', port), image, { reboot: true });
    expect(result.rebooted).toBe(true);
    expect(device.rebootCount).toBe(1);
    expect(Buffer.compare(device.diskBytes(), Buffer.from(image.read(0, image.sizeBytes)))).toBe(0);
    expect(tableWritesLast(device.writes, findTableRanges(image)).ok).toBe(true);
    for (const c of device.commands.filter((c) => c.startsWith('download:'))) expect(parseInt(c.slice(9), 16)).toBeLessThanOrEqual(MiB);

    // Flash one partition with our client, then read everything back with the real one's view: the
    // real client flashing the same raw image gives the same disk.
    const { boot } = makeGptDisk(8);
    await flashPartition(await connectFastbootTcp('127.0.0.1', port), image, { partition: 'boot', range: boot });
    const other = new FastbootSimDevice({ diskSizeBytes: 8 * MiB, maxDownloadBytes: MiB });
    const otherPort = await serve(other);
    const rawPath = join(dir, 'same.img');
    writeFileSync(rawPath, image.read(0, image.sizeBytes));
    expect((await fastboot(otherPort, 'flash', 'mmc0', rawPath)).status).toBe(0);
    expect(Buffer.compare(other.diskBytes(), device.diskBytes())).toBe(0);
  });

  it('a dropped connection and a silent device give coded errors, not success', async () => {
    const { image } = makeGptDisk(8);
    const device = new FastbootSimDevice({ diskSizeBytes: 8 * MiB, maxDownloadBytes: 512 * 1024 });
    device.addFault({ on: 'download:', action: 'disconnect', afterDataBytes: 200_000, skip: 1 });
    const port = await serve(device);
    const dropped = await flashDisk(await connectFastbootTcp('127.0.0.1', port), image).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(dropped).toBeInstanceOf(FlashError);
    expect((dropped as FlashError).problem).toBe(FlashProblem.Disconnected);
    expect((dropped as FlashError).detail['partial']).toBe(true);

    device.addFault({ on: 'flash:', action: 'hang' });
    const silent = await flashDisk(await connectFastbootTcp('127.0.0.1', port), image, { flashTimeoutMs: 300 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((silent as FlashError).problem).toBe(FlashProblem.Timeout);

    const refused = await connectFastbootTcp('127.0.0.1', 1).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((refused as FlashError).problem).toBe(FlashProblem.NoDevice);
  });
});
