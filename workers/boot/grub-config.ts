/**
 * grub.cfg for the GRUB that core.img starts (BIOS). The core.img Partwright expects (made by
 * scripts/boot-assets.sh) embeds an early config that searches for `/grub/grub.cfg` or
 * `/boot/grub/grub.cfg`, sets `$root` to that partition and reads it; so the paths here are relative
 * to the boot partition's root. Output goes to both the screen and the first serial port.
 */
import { ErrorCode, PartwrightError } from '../model/errors.ts';

export interface GrubMenuEntry {
  title: string;
  /** Kernel path inside the boot partition. */
  linux: string;
  initrd?: string;
  options: string;
}

function quote(text: string): string {
  // GRUB script single quotes: no escapes inside; close, add \', reopen.
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function word(path: string): string {
  if (/[\s'"\\$;{}]/.test(path)) throw new PartwrightError(ErrorCode.InvalidSpec, `Boot file path ${path} must not contain spaces, quotes or GRUB script characters.`, { where: 'boot.entries' });
  return path;
}

export function encodeGrubConfig(entries: readonly GrubMenuEntry[], timeoutSeconds = 0): string {
  let out = '# Written by Partwright from the layout.\n'
    + 'serial --unit=0 --speed=115200\n'
    + 'terminal_input console serial\n'
    + 'terminal_output console serial\n'
    + `set timeout=${timeoutSeconds}\n`
    + 'set default=0\n';
  for (const e of entries) {
    if (/[\r\n]/.test(e.options)) throw new PartwrightError(ErrorCode.InvalidSpec, 'A kernel command line must be one line.', { where: 'boot.entries' });
    out += `menuentry ${quote(e.title)} {\n`
      + `  linux ${word(e.linux)} ${e.options}\n`
      + (e.initrd !== undefined ? `  initrd ${word(e.initrd)}\n` : '')
      + '}\n';
  }
  return out;
}
