/**
 * The Linux swap area header (`SWAPSPACE2`, version 1) as mkswap writes it: one page whose last ten
 * bytes are the magic, with `union swap_header.info` at byte 1024 (linux/include/linux/swap.h;
 * util-linux's swapheader.h). Page size is the running kernel's (4096 on x86-64 and most arm64
 * kernels); a kernel with another page size refuses the area, as it refuses mkswap's.
 */
import { ErrorCode, PartwrightError } from '../../model/errors.ts';
import { bytesToUuid, uuidToBytes } from '../guid.ts';

/** Byte offsets of `swap_header.info` fields inside the first page. The only place offsets live. */
const INFO = { version: 1024, lastPage: 1028, badPageCount: 1032, uuid: 1036, volumeName: 1052 } as const;
const LE = true;
const MAGIC = 'SWAPSPACE2';
/** mkswap's label field: 16 bytes, NUL-padded (a 16-character label has no terminator). */
export const SWAP_LABEL_MAX_BYTES = 16;
/** The only header version Linux reads since 2.5. */
const SWAP_VERSION = 1;
/** mkswap refuses areas smaller than 10 pages (util-linux MIN_GOODPAGES). */
export const SWAP_MIN_PAGES = 10;
export const DEFAULT_SWAP_PAGE_BYTES = 4096;

export interface SwapHeader {
  pageSizeBytes: number;
  /** Index of the last usable page: area size in pages − 1. */
  lastPage: number;
  uuid: string;
  /** Up to 16 bytes of UTF-8. */
  label: string;
}

function checkPageSize(pageSizeBytes: number): void {
  if (!(Number.isSafeInteger(pageSizeBytes) && pageSizeBytes >= 4096 && pageSizeBytes <= 65536 && (pageSizeBytes & (pageSizeBytes - 1)) === 0)) {
    throw new PartwrightError(ErrorCode.InvalidSpec, `Swap page size ${pageSizeBytes} is not a power of two between 4096 and 65536.`);
  }
}

/** The label's bytes, truncated to 16 at a character boundary (mkswap truncates with a warning). */
export function encodeSwapLabel(label: string): Uint8Array {
  const out: number[] = [];
  for (const ch of label) {
    const b = new TextEncoder().encode(ch);
    if (out.length + b.length > SWAP_LABEL_MAX_BYTES) break;
    out.push(...b);
  }
  return Uint8Array.from(out);
}

/** The header page for an area of `sizeBytes` (whole pages; the remainder is unused, as mkswap does). */
export function swapHeaderFor(sizeBytes: number, uuid: string, label: string, pageSizeBytes = DEFAULT_SWAP_PAGE_BYTES): SwapHeader {
  checkPageSize(pageSizeBytes);
  const pages = Math.floor(sizeBytes / pageSizeBytes);
  if (pages < SWAP_MIN_PAGES) {
    throw new PartwrightError(ErrorCode.DoesNotFit, `A swap area needs at least ${SWAP_MIN_PAGES} pages (${SWAP_MIN_PAGES * pageSizeBytes} bytes); the partition has ${sizeBytes} bytes.`);
  }
  if (pages - 1 > 0xffff_ffff) throw new PartwrightError(ErrorCode.InvalidSpec, `A swap area of ${pages} pages is larger than the header can describe.`);
  return { pageSizeBytes, lastPage: pages - 1, uuid, label };
}

export function encodeSwapHeader(h: SwapHeader): Uint8Array {
  checkPageSize(h.pageSizeBytes);
  const page = new Uint8Array(h.pageSizeBytes);
  const view = new DataView(page.buffer);
  view.setUint32(INFO.version, SWAP_VERSION, LE);
  view.setUint32(INFO.lastPage, h.lastPage, LE);
  view.setUint32(INFO.badPageCount, 0, LE);
  page.set(uuidToBytes(h.uuid), INFO.uuid);
  page.set(encodeSwapLabel(h.label), INFO.volumeName);
  page.set(new TextEncoder().encode(MAGIC), h.pageSizeBytes - MAGIC.length);
  return page;
}

/** True when `bytes` (at least one page) ends its page `pageSizeBytes` with the swap magic. */
function hasMagicAt(bytes: Uint8Array, pageSizeBytes: number): boolean {
  if (bytes.length < pageSizeBytes) return false;
  const at = pageSizeBytes - MAGIC.length;
  for (let i = 0; i < MAGIC.length; i++) if (bytes[at + i] !== MAGIC.charCodeAt(i)) return false;
  return true;
}

/** Finds the page size by the magic's position (4 KiB … 64 KiB); undefined when it is not a swap area. */
export function detectSwapPageSize(bytes: Uint8Array): number | undefined {
  for (let size = 4096; size <= 65536; size *= 2) if (hasMagicAt(bytes, size)) return size;
  return undefined;
}

export function decodeSwapHeader(bytes: Uint8Array): SwapHeader {
  const pageSizeBytes = detectSwapPageSize(bytes);
  if (pageSizeBytes === undefined) throw new PartwrightError(ErrorCode.InvalidSpec, 'Not a swap area: no SWAPSPACE2 magic at the end of a 4–64 KiB page.');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(INFO.version, LE);
  if (version !== SWAP_VERSION) throw new PartwrightError(ErrorCode.InvalidSpec, `Swap header version ${version}; only version 1 exists.`);
  const nameBytes = bytes.subarray(INFO.volumeName, INFO.volumeName + SWAP_LABEL_MAX_BYTES);
  const end = nameBytes.indexOf(0);
  return {
    pageSizeBytes,
    lastPage: view.getUint32(INFO.lastPage, LE),
    uuid: bytesToUuid(bytes, INFO.uuid),
    label: new TextDecoder().decode(end < 0 ? nameBytes : nameBytes.subarray(0, end)),
  };
}
