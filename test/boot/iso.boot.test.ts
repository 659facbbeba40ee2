/**
 * The installer ISO boots all four ways: OVMF from a CD-ROM (El Torito EFI image, systemd-boot),
 * OVMF from a disk (the isohybrid GPT's ESP), SeaBIOS from a CD-ROM (El Torito BIOS, isolinux) and
 * SeaBIOS from a disk (the isohybrid MBR into isolinux). Each time the initramfs finds the ISO by its
 * volume ID (root=LABEL=), mounts it, loop-mounts /nix-store.squashfs from it and prints the marker
 * files of both. One line per boot:
 * `BOOT installer-iso <ovmf|seabios> <disk|cdrom> OK|FAIL <seconds>`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESET_INPUTS, installerIso } from '../../workers/model/presets/index.ts';
import { ensureBootAssets, REPO } from './assets.ts';
import { makeInitramfs } from './initramfs.ts';
import { bootImage, readableLog, type Firmware, type Media } from './qemu.ts';
import { buildPreset, stageCopySource } from './build-preset.ts';

const BOOTS: { firmware: Firmware; media: Media }[] = [
  { firmware: 'ovmf', media: 'cdrom' },
  { firmware: 'ovmf', media: 'disk' },
  { firmware: 'seabios', media: 'cdrom' },
  { firmware: 'seabios', media: 'disk' },
];

const BOOT_TIMEOUT_MS = Number(process.env.PARTWRIGHT_BOOT_TIMEOUT_MS ?? 120_000);
/** Serial logs of every boot (outside test-results/, which Playwright empties when it starts). */
const LOG_DIR = join(REPO, '.cache/boot-logs');
const MARKER = `boot-ok ${installerIso.name}`;

let work: string;
let image: string;
const lines: string[] = [];

beforeAll(async () => {
  const assets = ensureBootAssets();
  work = mkdtempSync(join(tmpdir(), 'partwright-boot-iso-'));
  const initrd = join(work, 'initrd.gz');
  makeInitramfs(assets, initrd);
  const src = join(work, 'src');
  stageCopySource(src, {
    [PRESET_INPUTS.kernel]: assets.vmlinuz,
    [PRESET_INPUTS.initrd]: initrd,
    [PRESET_INPUTS.systemdBootEfi]: assets.systemdBootEfi,
    [PRESET_INPUTS.isolinuxBin]: assets.isolinuxBin,
    [PRESET_INPUTS.ldlinuxC32]: assets.ldlinuxC32,
    [PRESET_INPUTS.isohdpfxBin]: assets.isohdpfxBin,
    [`${PRESET_INPUTS.rootfs}/partwright-marker`]: { text: `${MARKER}\n` },
    [`${PRESET_INPUTS.nixStore}/partwright-marker`]: { text: `store-ok ${installerIso.name}\n` },
  });
  image = join(work, `${installerIso.name}.iso`);
  await buildPreset(installerIso, src, image);
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
  if (lines.length) process.stdout.write(`\n${lines.join('\n')}\n`);
});

describe('the installer ISO boots in QEMU', () => {
  for (const b of BOOTS) {
    const name = `${installerIso.name} ${b.firmware} ${b.media}`;
    it(`BOOT ${name}`, async () => {
      const outcome = await bootImage({ image, firmware: b.firmware, media: b.media, expect: `PARTWRIGHT-MARKER: ${MARKER}`, timeoutMs: BOOT_TIMEOUT_MS });
      const line = `BOOT ${name} ${outcome.ok ? 'OK' : 'FAIL'} ${outcome.seconds.toFixed(1)}`;
      lines.push(line);
      console.log(line);
      mkdirSync(LOG_DIR, { recursive: true });
      const logFile = join(LOG_DIR, `${installerIso.name}-${b.firmware}-${b.media}.log`);
      writeFileSync(logFile, readableLog(outcome.log));
      if (!outcome.ok) {
        const tail = readableLog(outcome.log).split('\n').slice(-150).join('\n');
        expect.fail(`${name}: ${outcome.reason} (full serial log: ${logFile})\n--- serial log (last 150 lines) ---\n${tail}`);
      }
      // The ISO was found on the medium it booted from: the CD-ROM drive, or the disk (or its
      // isohybrid GPT's first partition, which starts at the ISO's first byte).
      // The initramfs loop-mounted /nix-store.squashfs from the ISO and read it.
      expect(readableLog(outcome.log)).toContain(`PARTWRIGHT-STORE: store-ok ${installerIso.name}`);
      expect(readableLog(outcome.log)).toMatch(b.media === 'cdrom' ? /root LABEL=\S+ is \/dev\/sr0\n/ : /root LABEL=\S+ is \/dev\/vda1?\n/);
    }, BOOT_TIMEOUT_MS + 30_000);
  }
});
