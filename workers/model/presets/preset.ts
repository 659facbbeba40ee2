/** A preset: a layout (ImageSpec) a user picks and edits, with its boot configuration and the files it needs. */
import type { ImageSpec } from '../spec.ts';
import type { BootSpec } from '../../boot/boot-spec.ts';
import type { PresetInput } from './inputs.ts';

export type Firmware = 'ovmf' | 'seabios';

export interface Preset {
  /** What `partwright build --preset NAME` takes. */
  name: string;
  title: string;
  /** One or two sentences a user reads in the app. */
  description: string;
  /** Which NixOS builder it mirrors. */
  like: string;
  spec: ImageSpec;
  boot: BootSpec | undefined;
  /** The files the layout names (copy source paths). */
  inputs: PresetInput[];
  /**
   * Text files the preset itself provides (copy-source path → contents), which a host writes into
   * the copy source before building: loader configs of layouts the boot installer cannot write
   * (an ISO's isolinux.cfg and systemd-boot entry).
   */
  files?: Readonly<Record<string, string>>;
  /** The firmware it boots under (what the boot tests prove); empty for data-only presets. */
  bootsWith: Firmware[];
}

/**
 * The root file system's format in the x86 presets: ext4 (made by mke2fs compiled to WASM). The
 * kernel command lines name the root by PARTUUID, so the format is this one line.
 */
export const ROOT_FORMAT = 'ext4';

/** The kernel command line the x86 presets use; `{root.partuuid}` is the planned root partition's PARTUUID. */
export const DEFAULT_CMDLINE = 'root=PARTUUID={root.partuuid} rw console=ttyS0,115200 panic=-1';
