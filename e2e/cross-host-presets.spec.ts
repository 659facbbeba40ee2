/**
 * @cross-host for the engine's presets (`partwright presets`): each is built in Chromium's worker
 * through the app (its card, a file or folder dropped into each of its slots, whole-image SHA-256
 * on) and by `partwright build --preset NAME --copy-source DIR` from the same files, with the same
 * SOURCE_DATE_EPOCH in the environment (the presets carry their own, which both hosts apply): the
 * SHA-256s must be equal. The boot files are the boot tests' (Debian's kernel, systemd-boot, GRUB's
 * boot.img and core.img, isolinux; scripts/boot-assets.sh), so the boot installation writes real
 * loaders; U-Boot and the firmware folder are stand-in bytes (no board boots here).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PRESETS, PRESET_INPUTS, type Preset } from '../workers/model/presets/index.ts';
import { expect, test } from './fixtures.ts';
import { buildInApp, fillPresetSlots, openApp, openPreset } from './pages/preset-build.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ASSETS = process.env.PARTWRIGHT_BOOT_ASSETS ?? join(ROOT, '.cache/boot-assets');
const EPOCH = '1700000000';

/** Where each of a preset's inputs comes from: a boot asset, or bytes / a folder made here. */
const FROM_ASSETS: Partial<Record<string, string>> = {
  [PRESET_INPUTS.kernel]: 'vmlinuz',
  [PRESET_INPUTS.systemdBootEfi]: 'systemd-bootx64.efi',
  [PRESET_INPUTS.grubBootImg]: 'grub/i386-pc/boot.img',
  [PRESET_INPUTS.grubCoreImg]: 'grub/i386-pc/core.img',
  [PRESET_INPUTS.isolinuxBin]: 'isolinux/isolinux.bin',
  [PRESET_INPUTS.ldlinuxC32]: 'isolinux/ldlinux.c32',
  [PRESET_INPUTS.isohdpfxBin]: 'isolinux/isohdpfx.bin',
};

/** Deterministic stand-in bytes (an initrd, a U-Boot image): `n` bytes from a name. */
function standIn(name: string, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
  for (let i = 0; i < n; i++) out[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return out;
}

/** The copy source the CLI reads, holding every input of `preset` at its path; returns slot → host path. */
function makeCopySource(preset: Preset, dir: string): Record<string, string> {
  const slots: Record<string, string> = {};
  for (const input of preset.inputs) {
    const at = join(dir, input.path);
    mkdirSync(dirname(at), { recursive: true });
    if (input.kind === 'dir') {
      mkdirSync(join(at, 'etc'), { recursive: true });
      writeFileSync(join(at, 'etc/hostname'), `${preset.name}\n`);
      writeFileSync(join(at, 'marker'), `cross-host ${input.path}\n`);
    } else if (FROM_ASSETS[input.path]) {
      execFileSync('cp', [join(ASSETS, FROM_ASSETS[input.path]!), at]);
    } else {
      writeFileSync(at, standIn(input.path, 64 * 1024));
    }
    slots[input.path] = at;
  }
  return slots;
}

test.beforeAll(() => {
  // The boot files, fetched once (idempotent) from Debian's packages, as `npm run test:boot` does;
  // under a lock, since each Playwright worker runs this.
  if (!existsSync(join(ASSETS, 'manifest.txt'))) {
    mkdirSync(ASSETS, { recursive: true });
    execFileSync('flock', [join(ASSETS, '.lock'), 'bash', join(ROOT, 'scripts/boot-assets.sh'), ASSETS], { stdio: 'inherit' });
  }
});

for (const preset of PRESETS) {
  test(`${preset.name}: the browser and the CLI build the same bytes from the same files @cross-host`, async ({ page, baseURL }) => {
    test.setTimeout(600_000);
    const dir = mkdtempSync(join(tmpdir(), `pw-cross-preset-${preset.name}-`));
    try {
      const src = join(dir, 'src');
      const slots = makeCopySource(preset, src);
      const signed = preset.spec.partitions.some((p) => p.verity === 'signature');
      const key = join(dir, 'key.pem');
      const cert = join(dir, 'cert.pem');
      if (signed) {
        // RSA: PKCS#1 v1.5 signatures are deterministic, so both hosts sign the root hash alike.
        execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '3650', '-subj', '/CN=partwright cross-host'], { stdio: 'pipe' });
      }

      await openApp(page, baseURL!);
      await openPreset(page, preset.name);
      // Build stays disabled, saying why, until every slot is filled.
      await expect(page.getByRole('button', { name: 'Build ▸' })).toBeDisabled();
      await expect(page.getByTestId('build-status')).toContainText(/Choose the file \/|Add the contents of CopyFiles=\/|stage its source/);
      const epoch = page.getByTestId('source-date-epoch');
      if (await epoch.isEnabled()) {
        await epoch.fill(EPOCH);
        await epoch.press('Enter');
      }
      await fillPresetSlots(page, slots);
      if (signed) {
        await page.getByLabel('private key').setInputFiles(key);
        await page.getByLabel('certificate').setInputFiles(cert);
      }
      const browser = await buildInApp(page, { sha256: true, timeoutMs: 540_000 });
      expect(browser.sha256).toMatch(/^[0-9a-f]{64}$/);

      const out = join(dir, 'cli.img');
      execFileSync(
        process.execPath,
        [join(ROOT, 'cli/bin/partwright.mjs'), 'build', '--preset', preset.name, '--copy-source', src, '-o', out, ...(signed ? ['--private-key', key, '--certificate', cert] : [])],
        { env: { ...process.env, SOURCE_DATE_EPOCH: EPOCH }, stdio: 'pipe' },
      );
      const cliSha = execFileSync('sha256sum', [out], { encoding: 'utf8' }).split(' ')[0];
      expect(cliSha, `${preset.name}: browser ${browser.sha256}, CLI ${cliSha}`).toBe(browser.sha256);

      if (preset.name === 'vm-disk') {
        // The layout as the app exports it names its preset (Preset=): `partwright build layout.json`
        // without --preset installs the same boot loaders, byte for byte.
        const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
        const layout = join(dir, 'layout.json');
        await download.saveAs(layout);
        expect(JSON.parse(readFileSync(layout, 'utf8')).preset).toBe(preset.name);
        const fromJson = join(dir, 'cli-json.img');
        execFileSync(process.execPath, [join(ROOT, 'cli/bin/partwright.mjs'), 'build', layout, '--copy-source', src, '-o', fromJson], { env: { ...process.env, SOURCE_DATE_EPOCH: EPOCH }, stdio: 'pipe' });
        const jsonSha = execFileSync('sha256sum', [fromJson], { encoding: 'utf8' }).split(' ')[0];
        expect(jsonSha, `${preset.name}: exported layout JSON built by the CLI`).toBe(browser.sha256);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
