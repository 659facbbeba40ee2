/**
 * The WebUSB stand-in in a real browser: Debian's Chromium (via playwright-core), the stand-in
 * injected with `page.addInitScript` and bridged with `page.exposeBinding` (e2e/support's
 * `installFastbootSim` does the same for specs), and Partwright's flash code bundled into the page.
 * The page builds the test disk, flashes it through `navigator.usb`; the simulator here must then
 * hold the same bytes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTableRanges } from '../../workers/flash/table-ranges.ts';
import { makeGptDisk, tableWritesLast } from '../../workers/flash/test-support/disk.ts';
import { FastbootSimDevice } from './device.ts';
import { FASTBOOT_SIM_BINDING, fakeWebUsbInitScript, SimUsbPort, simUsbBindingHandler } from './webusb-standin.ts';

const MiB = 1 << 20;
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
let browser: Browser;
let bundle: string;

beforeAll(async () => {
  if (spawnSync('sh', ['-c', `command -v ${CHROMIUM}`]).status !== 0 && process.getuid?.() === 0) {
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'ignore' });
  }
  const out = await build({
    entryPoints: [new URL('../../workers/flash/test-support/browser-entry.ts', import.meta.url).pathname],
    bundle: true,
    format: 'iife',
    globalName: 'partwrightFlash',
    platform: 'browser',
    target: 'es2022',
    write: false,
  });
  bundle = out.outputFiles[0]!.text;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
});
afterAll(async () => {
  await browser?.close();
});

describe('WebUSB stand-in in Chromium', () => {
  it('the page flashes a disk through navigator.usb; the simulator holds the same bytes, tables last', async () => {
    const device = new FastbootSimDevice({ diskSizeBytes: 8 * MiB, maxDownloadBytes: MiB });
    const port = new SimUsbPort(device);
    const handler = simUsbBindingHandler(port);
    const page = await browser.newPage();
    try {
      await page.exposeBinding(FASTBOOT_SIM_BINDING, (_source, op: string, arg: string) => handler(op, arg));
      await page.addInitScript(fakeWebUsbInitScript());
      await page.goto('data:text/html,<title>flash</title>');
      await page.addScriptTag({ content: bundle });
      const result = await page.evaluate(async () => {
        const w = globalThis as unknown as { partwrightFlash: typeof import('../../workers/flash/test-support/browser-entry.ts'); navigator: { usb: unknown } };
        const { flashDisk, requestFastbootDevice, makeGptDisk } = w.partwrightFlash;
        const usbDevice = await requestFastbootDevice(w.navigator.usb as Parameters<typeof requestFastbootDevice>[0]);
        const stages: string[] = [];
        const r = await flashDisk(usbDevice, makeGptDisk(8).image, { onProgress: (p) => stages.push(p.stage) });
        return { ...r, stages: [...new Set(stages)] };
      });
      expect(result.stages).toEqual(['connect', 'clear-tables', 'data', 'tables', 'done']);
      const { image } = makeGptDisk(8);
      expect(Buffer.compare(device.diskBytes(), Buffer.from(image.read(0, image.sizeBytes)))).toBe(0);
      expect(tableWritesLast(device.writes, findTableRanges(image)).ok).toBe(true);
    } finally {
      await page.close();
    }
  });
});
