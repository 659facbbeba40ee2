/**
 * The presets boot in real firmware: each image is built by the engine (no VM, no loop device, no
 * root), then QEMU (TCG) boots it with OVMF or SeaBIOS to the initramfs, whose /init mounts the root
 * partition the kernel command line names and prints the marker file found there (the appliance:
 * first opens its /usr with dm-verity, the root hash from the loader entry's usrhash=, and prints
 * the marker found in /usr). One line per
 * boot: `BOOT <preset> <ovmf|seabios> <disk|cdrom> OK|FAIL <seconds>`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESET_INPUTS, appliance, repartDisk, vmDisk, vmDiskLegacy, type Preset } from '../../workers/model/presets/index.ts';
import { ensureBootAssets, REPO } from './assets.ts';
import { makeInitramfs } from './initramfs.ts';
import { bootImage, readableLog, type Firmware, type Media } from './qemu.ts';
import { buildPreset, stageCopySource } from './build-preset.ts';
import { requireTools } from '../../workers/test-support/debian.ts';

interface Boot {
  preset: Preset;
  firmware: Firmware;
  media: Media;
}

const BOOTS: Boot[] = [
  { preset: repartDisk, firmware: 'ovmf', media: 'disk' },
  { preset: vmDisk, firmware: 'seabios', media: 'disk' },
  { preset: vmDisk, firmware: 'ovmf', media: 'disk' },
  { preset: vmDiskLegacy, firmware: 'seabios', media: 'disk' },
  { preset: appliance, firmware: 'ovmf', media: 'disk' },
];

const BOOT_TIMEOUT_MS = Number(process.env.PARTWRIGHT_BOOT_TIMEOUT_MS ?? 120_000);
/** Serial logs of every boot (outside test-results/, which Playwright empties when it starts). */
const LOG_DIR = join(REPO, '.cache/boot-logs');

let work: string;
const images = new Map<string, string>();
const lines: string[] = [];

function marker(preset: Preset): string {
  return `boot-ok ${preset.name}`;
}

beforeAll(async () => {
  const assets = ensureBootAssets();
  work = mkdtempSync(join(tmpdir(), 'partwright-boot-'));
  const initrd = join(work, 'initrd.gz');
  makeInitramfs(assets, initrd);
  // The appliance's initramfs also has veritysetup (Debian's cryptsetup-bin) to open /usr.
  requireTools('veritysetup');
  const verityInitrd = join(work, 'initrd-verity.gz');
  makeInitramfs(assets, verityInitrd, { veritysetup: true });
  for (const preset of new Set(BOOTS.map((b) => b.preset))) {
    const src = join(work, `${preset.name}-src`);
    stageCopySource(src, {
      [PRESET_INPUTS.kernel]: assets.vmlinuz,
      [PRESET_INPUTS.initrd]: preset === appliance ? verityInitrd : initrd,
      [`${PRESET_INPUTS.usr}/partwright-marker`]: { text: `usr-ok ${preset.name}\n` },
      [PRESET_INPUTS.systemdBootEfi]: assets.systemdBootEfi,
      [PRESET_INPUTS.grubBootImg]: assets.grubBootImg,
      [PRESET_INPUTS.grubCoreImg]: assets.grubCoreImg,
      [`${PRESET_INPUTS.rootfs}/partwright-marker`]: { text: `${marker(preset)}\n` },
    });
    const out = join(work, `${preset.name}.img`);
    await buildPreset(preset, src, out);
    images.set(preset.name, out);
  }
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
  if (lines.length) process.stdout.write(`\n${lines.join('\n')}\n`);
});

describe('presets boot in QEMU', () => {
  for (const b of BOOTS) {
    const name = `${b.preset.name} ${b.firmware} ${b.media}`;
    it(`BOOT ${name}`, async () => {
      const outcome = await bootImage({
        image: images.get(b.preset.name)!,
        firmware: b.firmware,
        media: b.media,
        expect: `PARTWRIGHT-MARKER: ${marker(b.preset)}`,
        timeoutMs: BOOT_TIMEOUT_MS,
      });
      const line = `BOOT ${name} ${outcome.ok ? 'OK' : 'FAIL'} ${outcome.seconds.toFixed(1)}`;
      lines.push(line);
      console.log(line);
      mkdirSync(LOG_DIR, { recursive: true });
      const logFile = join(LOG_DIR, `${b.preset.name}-${b.firmware}-${b.media}.log`);
      writeFileSync(logFile, readableLog(outcome.log));
      if (!outcome.ok) {
        const tail = readableLog(outcome.log).split('\n').slice(-150).join('\n');
        expect.fail(`${name}: ${outcome.reason} (full serial log: ${logFile})\n--- serial log (last 150 lines) ---\n${tail}`);
      }
      if (b.preset === appliance) {
        // /usr was opened by dm-verity with the root hash from the loader entry, and read.
        const log = readableLog(outcome.log);
        expect(log).toMatch(/status:\s+verified/);
        expect(log).toContain(`PARTWRIGHT-USR: usr-ok ${b.preset.name}`);
      }
    }, BOOT_TIMEOUT_MS + 30_000);
  }
});
