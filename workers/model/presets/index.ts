/**
 * Presets: layouts for the image kinds NixOS builds, as typed data the CLI (`partwright presets`,
 * `partwright build --preset NAME`) and the web app both offer. A preset's spec is an ordinary
 * ImageSpec the user can edit; its BootSpec says which boot files go where.
 */
import { repartDisk, vmDisk, vmDiskLegacy } from './x86.ts';
import { sdCardPreset } from './sd-card.ts';
import { installerIso } from './iso.ts';
import { appliance, applianceSigned } from './appliance.ts';
import type { Preset } from './preset.ts';
import type { ImageSpec } from '../spec.ts';
import { ErrorCode, PartwrightError } from '../errors.ts';

export type { Preset, Firmware } from './preset.ts';
export { ROOT_FORMAT, DEFAULT_CMDLINE } from './preset.ts';
export { PRESET_INPUTS, presetInput, type PresetInput } from './inputs.ts';
export { sdCardPreset, SD_DISK_ID, SD_ROOT_FS_UUID, SD_EPOCH, SD_ROOT_FORMAT, type SdCardOptions, type UbootSlot } from './sd-card.ts';
export { repartDisk, vmDisk, vmDiskLegacy, installerIso, appliance, applianceSigned };
export { APPLIANCE_CMDLINE, APPLIANCE_VERITY_KEY } from './appliance.ts';
export { ISO_VOLUME_ID, ISO_KERNEL, ISO_INITRD, ISO_CMDLINE, ISO_PRESET_FILES, ISO_STORE_IMAGE } from './iso.ts';

export const PRESETS: readonly Preset[] = [
  repartDisk,
  vmDisk,
  vmDiskLegacy,
  sdCardPreset(),
  sdCardPreset({ hybrid: true }),
  sdCardPreset({ uboot: 'allwinner' }),
  sdCardPreset({ uboot: 'rockchip' }),
  installerIso,
  appliance,
  applianceSigned,
];

export function presetByName(name: string): Preset | undefined {
  return PRESETS.find((p) => p.name === name);
}

/**
 * The preset a layout names (`Preset=`), resolved here for every host (the build job, the CLI's
 * --preset, the app's preset cards); an unknown name is an error naming the presets.
 */
export function layoutPreset(spec: Pick<ImageSpec, 'preset'>): Preset | undefined {
  if (spec.preset === undefined) return undefined;
  const preset = presetByName(spec.preset);
  if (!preset) throw new PartwrightError(ErrorCode.InvalidSpec, `Unknown preset ${spec.preset}; presets are ${PRESETS.map((p) => p.name).join(', ')}.`, { where: 'preset' });
  return preset;
}

/** A preset's layout as a user starts from it: its spec naming the preset (so a build adds its boot installation). */
export function presetLayout(preset: Preset): ImageSpec {
  return { ...structuredClone(preset.spec), preset: preset.name };
}
