/**
 * systemd-boot on an ESP: the loader binary at the removable-media path `EFI/BOOT/BOOTX64.EFI`
 * (what firmware boots without NVRAM entries), `loader/loader.conf`, and one Boot Loader
 * Specification type #1 entry per kernel in `loader/entries/<id>.conf` (keys: title, linux, initrd,
 * options; https://uapi-group.org/specifications/specs/boot_loader_specification/). Text only;
 * where the files go is decided by boot-files.ts.
 */
import { ErrorCode, PartwrightError } from '../model/errors.ts';

/** Paths on the ESP (the loader reads them relative to the ESP's root). */
export const SYSTEMD_BOOT_PATHS = {
  /** The fallback path UEFI firmware boots from removable and fresh disks (UEFI 2.10 §3.5.1.1, x64). */
  efiX64: '/EFI/BOOT/BOOTX64.EFI',
  loaderConf: '/loader/loader.conf',
  entriesDir: '/loader/entries',
} as const;

export interface LoaderEntry {
  id: string;
  title: string;
  /** Path of the kernel inside the ESP, e.g. `/kernels/linux/linux`. */
  linux: string;
  initrd?: string;
  options: string;
}

export interface LoaderConf {
  /** Entry id booted by default (the first entry). */
  defaultId: string;
  timeoutSeconds: number;
}

const ENTRY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function line(key: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new PartwrightError(ErrorCode.InvalidSpec, `Loader entry ${key} must be one line.`, { where: 'boot.entries' });
  return `${key} ${value}\n`;
}

export function encodeLoaderConf(conf: LoaderConf): string {
  return '# Written by Partwright from the layout.\n'
    + line('default', `${conf.defaultId}.conf`)
    + line('timeout', String(conf.timeoutSeconds))
    + line('console-mode', 'keep')
    + line('editor', 'no');
}

export function encodeLoaderEntry(entry: LoaderEntry): string {
  if (!ENTRY_ID.test(entry.id)) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `Boot entry id '${entry.id}' must be letters, digits, '.', '_' or '-' (it names loader/entries/${entry.id}.conf).`, { where: 'boot.entries' });
  }
  return line('title', entry.title)
    + line('linux', entry.linux)
    + (entry.initrd !== undefined ? line('initrd', entry.initrd) : '')
    + line('options', entry.options);
}

export function loaderEntryPath(id: string): string {
  return `${SYSTEMD_BOOT_PATHS.entriesDir}/${id}.conf`;
}
