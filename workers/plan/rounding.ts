/** Integer rounding on byte counts, as repart's round_up_size/round_down_size and LESS_BY. */

export function roundDown(valueBytes: number, unitBytes: number): number {
  return Math.floor(valueBytes / unitBytes) * unitBytes;
}

/** Rounds up; `Infinity` (repart's UINT64_MAX, "unlimited") stays `Infinity`. */
export function roundUp(valueBytes: number, unitBytes: number): number {
  if (valueBytes === Infinity) return Infinity;
  return Math.ceil(valueBytes / unitBytes) * unitBytes;
}

/** Saturating subtraction: `a - b`, but never below zero. */
export function lessBy(a: number, b: number): number {
  return a > b ? a - b : 0;
}

export const KiB = 1024;
export const MiB = 1024 * 1024;

/** "10354688 bytes (9.9 MiB)" — exact first, then a human figure. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const human = unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
  return `${bytes} bytes (${human})`;
}
