/**
 * Browser-built images boot: the app (production build, real server, Debian's Chromium) builds the
 * vm-disk preset and the installer ISO in its worker from the same boot files the Node-built boots
 * use (each dropped into the preset's slot, as a user does), the raw image is downloaded from the
 * page, and QEMU boots it with SeaBIOS and OVMF to the initramfs, which prints the marker file of
 * the root (and, for the ISO, of its /nix-store.squashfs). One line per boot:
 * `BOOT <preset> <ovmf|seabios> <disk|cdrom> OK|FAIL <seconds> (browser)`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { PRESET_INPUTS, installerIso, vmDisk, type Preset } from '../../workers/model/presets/index.ts';
import { buildInApp, downloadRaw, fillPresetSlots, openApp, openPreset, type PresetSlotFiles } from '../../e2e/pages/preset-build.ts';
import { ensureBootAssets, REPO, type BootAssets } from './assets.ts';
import { makeInitramfs } from './initramfs.ts';
import { bootImage, readableLog, type Firmware, type Media } from './qemu.ts';
import { stageCopySource } from './build-preset.ts';
import { launchChromium, serveApp, type ServedApp } from './app-server.ts';

interface Boot {
  preset: Preset;
  firmware: Firmware;
  media: Media;
}

const BOOTS: Boot[] = [
  { preset: vmDisk, firmware: 'seabios', media: 'disk' },
  { preset: vmDisk, firmware: 'ovmf', media: 'disk' },
  { preset: installerIso, firmware: 'ovmf', media: 'cdrom' },
  { preset: installerIso, firmware: 'seabios', media: 'cdrom' },
];

const BOOT_TIMEOUT_MS = Number(process.env.PARTWRIGHT_BOOT_TIMEOUT_MS ?? 120_000);
const LOG_DIR = join(REPO, '.cache/boot-logs');

let work: string;
let app: ServedApp | undefined;
let browser: Browser | undefined;
const images = new Map<string, string>();
const lines: string[] = [];

const marker = (preset: Preset) => `boot-ok ${preset.name} browser`;

/** The host file or folder for each of a preset's inputs (the same assets as the Node-built boots). */
function slotFiles(preset: Preset, assets: BootAssets, initrd: string): PresetSlotFiles {
  const src = join(work, `${preset.name}-src`);
  stageCopySource(src, {
    [`${PRESET_INPUTS.rootfs}/partwright-marker`]: { text: `${marker(preset)}\n` },
    [`${PRESET_INPUTS.nixStore}/partwright-marker`]: { text: `store-ok ${preset.name}\n` },
  });
  const host: Record<string, string> = {
    [PRESET_INPUTS.kernel]: assets.vmlinuz,
    [PRESET_INPUTS.initrd]: initrd,
    [PRESET_INPUTS.systemdBootEfi]: assets.systemdBootEfi,
    [PRESET_INPUTS.grubBootImg]: assets.grubBootImg,
    [PRESET_INPUTS.grubCoreImg]: assets.grubCoreImg,
    [PRESET_INPUTS.isolinuxBin]: assets.isolinuxBin,
    [PRESET_INPUTS.ldlinuxC32]: assets.ldlinuxC32,
    [PRESET_INPUTS.isohdpfxBin]: assets.isohdpfxBin,
    [PRESET_INPUTS.rootfs]: join(src, PRESET_INPUTS.rootfs),
    [PRESET_INPUTS.nixStore]: join(src, PRESET_INPUTS.nixStore),
  };
  return Object.fromEntries(preset.inputs.map((i) => {
    const from = host[i.path];
    if (!from) throw new Error(`no boot-test file for ${preset.name}'s ${i.path}`);
    return [i.path, from];
  }));
}

beforeAll(async () => {
  const assets = ensureBootAssets();
  work = mkdtempSync(join(tmpdir(), 'partwright-boot-browser-'));
  const initrd = join(work, 'initrd.gz');
  makeInitramfs(assets, initrd);
  app = await serveApp();
  browser = await launchChromium();
  const timings: string[] = [`app build ${app.buildSeconds.toFixed(1)} s`];
  for (const preset of new Set(BOOTS.map((b) => b.preset))) {
    // A fresh profile per preset: a first run, the start screen, as a new user sees it.
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    try {
      const started = performance.now();
      await openApp(page, app.url);
      await openPreset(page, preset.name);
      await fillPresetSlots(page, slotFiles(preset, assets, initrd));
      const built = await buildInApp(page);
      const out = join(work, `${preset.name}${preset.spec.table === 'iso' ? '.iso' : '.img'}`);
      await downloadRaw(page, out);
      images.set(preset.name, out);
      timings.push(`${preset.name}: built in the worker in ${built.seconds.toFixed(1)} s, ${((performance.now() - started) / 1000).toFixed(1)} s with the page and the download`);
    } finally {
      await context.close();
    }
  }
  console.log(`browser-built images: ${timings.join('; ')}`);
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  if (work) rmSync(work, { recursive: true, force: true });
  if (lines.length) process.stdout.write(`\n${lines.join('\n')}\n`);
});

describe('images built in the browser boot in QEMU', () => {
  for (const b of BOOTS) {
    const name = `${b.preset.name} ${b.firmware} ${b.media}`;
    it(`BOOT ${name} (browser)`, async () => {
      const outcome = await bootImage({
        image: images.get(b.preset.name)!,
        firmware: b.firmware,
        media: b.media,
        expect: `PARTWRIGHT-MARKER: ${marker(b.preset)}`,
        timeoutMs: BOOT_TIMEOUT_MS,
      });
      const line = `BOOT ${name} ${outcome.ok ? 'OK' : 'FAIL'} ${outcome.seconds.toFixed(1)} (browser)`;
      lines.push(line);
      console.log(line);
      mkdirSync(LOG_DIR, { recursive: true });
      const logFile = join(LOG_DIR, `browser-${b.preset.name}-${b.firmware}-${b.media}.log`);
      writeFileSync(logFile, readableLog(outcome.log));
      if (!outcome.ok) {
        const tail = readableLog(outcome.log).split('\n').slice(-150).join('\n');
        expect.fail(`${name} (browser): ${outcome.reason} (full serial log: ${logFile})\n--- serial log (last 150 lines) ---\n${tail}`);
      }
      if (b.preset === installerIso) expect(readableLog(outcome.log)).toContain(`PARTWRIGHT-STORE: store-ok ${installerIso.name}`);
    }, BOOT_TIMEOUT_MS + 30_000);
  }
});
