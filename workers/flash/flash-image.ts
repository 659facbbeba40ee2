/**
 * Flashing a built image over fastboot: the whole disk, or one partition.
 *
 * A whole disk goes as Android sparse pieces, each within the device's max-download-size and each
 * covering the whole disk with DONT_CARE around its own part, in three steps:
 *   1. `clear-tables`: the partition-table areas as FILL-zero chunks (a few dozen bytes), so the old
 *      table no longer describes a disk whose contents are being replaced;
 *   2. `data`: everything except the table areas, in as many pieces as it takes;
 *   3. `tables`: the table areas (LBA 0 up to the first partition, the backup GPT) with their real
 *      contents, holes in them written as zeros.
 * A flash cut short at any point leaves a disk without a valid partition table, never a valid table
 * over half-written partitions. Only the mapped blocks travel: a 64 GiB disk with 1 GiB of data sends
 * about 1 GiB.
 */
import {
  androidSparseChunks,
  planAndroidSparse,
  SPARSE_BLOCK_BYTES,
  SPARSE_MIN_PIECE_BYTES,
  type AndroidSparsePlan,
} from '../formats/outputs/android-sparse.ts';
import type { ImageRange, ImageSource } from '../formats/outputs/image-source.ts';
import { abortedError, FlashError, FlashProblem, isFlashError } from './errors.ts';
import { FastbootClient, type FastbootClientOptions } from './fastboot.ts';
import { alignRanges, findTableRanges, subtractRanges } from './table-ranges.ts';
import type { FastbootTransport } from './transport.ts';
import { isUsbDeviceLike, openWebUsbTransport, type UsbDeviceLike } from './webusb.ts';

/** U-Boot's default name for the whole eMMC user area (`CONFIG_FASTBOOT_MMC_USER_NAME`). */
export const DEFAULT_WHOLE_DISK_PARTITION = 'mmc0';
/** Used when the device does not answer `getvar:max-download-size` (fastboot's own fallback is no limit). */
export const FALLBACK_MAX_DOWNLOAD_BYTES = 64 << 20;

export type FlashPieceRole = 'clear-tables' | 'data' | 'tables' | 'partition';

export interface FlashPiece {
  role: FlashPieceRole;
  /** Bytes of this sparse file (what `download:` announces). */
  sizeBytes: number;
  /** Image bytes it writes (RAW and FILL blocks). */
  dataBytes: number;
  source: ImageSource;
  plan: AndroidSparsePlan;
  pieceIndex: number;
}

export interface DiskFlashPlan {
  pieces: FlashPiece[];
  /** Sum of the pieces' sizes: the progress total. */
  totalBytes: number;
  /** Block-aligned table areas written last (empty when the image has no table). */
  tableRanges: ImageRange[];
}

export interface DiskFlashPlanOptions {
  maxDownloadBytes: number;
  /** Byte ranges to write last; default: read the GPT/MBR from the image (`findTableRanges`). */
  tableRanges?: readonly ImageRange[];
  /** Zero the table areas first (default true). */
  clearTablesFirst?: boolean;
}

/** Cut a whole-disk flash into sparse pieces, table areas last. */
export function planDiskFlash(image: ImageSource, options: DiskFlashPlanOptions): DiskFlashPlan {
  const maxPieceBytes = checkMaxDownload(options.maxDownloadBytes);
  const tableRanges = alignRanges(options.tableRanges ?? findTableRanges(image), SPARSE_BLOCK_BYTES, image.sizeBytes);
  const pieces: FlashPiece[] = [];
  const add = (role: FlashPieceRole, source: ImageSource): void => {
    const plan = planAndroidSparse(source, { maxPieceBytes });
    plan.pieces.forEach((p, pieceIndex) => {
      if (p.dataBytes === 0 && role !== 'data') return;
      pieces.push({ role, sizeBytes: p.sizeBytes, dataBytes: p.dataBytes, source, plan, pieceIndex });
    });
  };
  if (tableRanges.length > 0 && (options.clearTablesFirst ?? true)) add('clear-tables', zeroSource(image.sizeBytes, tableRanges));
  add('data', maskedSource(image, tableRanges));
  if (tableRanges.length > 0) add('tables', windowedSource(image, tableRanges));
  // A 'data' plan of an empty image is one piece of DONT_CARE only: drop it when tables follow.
  const useful = pieces.filter((p) => p.dataBytes > 0 || pieces.length === 1);
  return { pieces: useful, totalBytes: useful.reduce((n, p) => n + p.sizeBytes, 0), tableRanges };
}

/** Pieces for one partition's bytes (`range` of the image), flashed to a named device partition. */
export function planPartitionFlash(image: ImageSource, range: ImageRange, maxDownloadBytes: number): DiskFlashPlan {
  const maxPieceBytes = checkMaxDownload(maxDownloadBytes);
  if (range.offsetBytes < 0 || range.offsetBytes + range.sizeBytes > image.sizeBytes) {
    throw new FlashError(FlashProblem.TooLarge, `Bytes ${range.offsetBytes}–${range.offsetBytes + range.sizeBytes} are outside the ${image.sizeBytes}-byte image.`);
  }
  const source = sliceSource(image, range);
  const plan = planAndroidSparse(source, { maxPieceBytes });
  const pieces = plan.pieces.map((p, pieceIndex): FlashPiece => ({ role: 'partition', sizeBytes: p.sizeBytes, dataBytes: p.dataBytes, source, plan, pieceIndex }));
  return { pieces, totalBytes: pieces.reduce((n, p) => n + p.sizeBytes, 0), tableRanges: [] };
}

export type FlashStage = 'connect' | FlashPieceRole | 'reboot' | 'done';

export interface FlashProgress {
  stage: FlashStage;
  /** Sparse bytes sent so far, of `totalBytes`. */
  sentBytes: number;
  totalBytes: number;
  /** 0-based piece being sent, of `pieceCount`. */
  pieceIndex: number;
  pieceCount: number;
  /** INFO/TEXT from the device, when it sent one. */
  deviceMessage?: string;
}

export interface FlashOptions extends FastbootClientOptions {
  onProgress?: (progress: FlashProgress) => void;
  signal?: AbortSignal;
  /** Send `reboot` after a successful flash (default false). */
  reboot?: boolean;
}

export interface DiskFlashOptions extends FlashOptions {
  /** The device's name for the whole disk (default `mmc0`, U-Boot's eMMC user area). */
  partition?: string;
  tableRanges?: readonly ImageRange[];
  clearTablesFirst?: boolean;
  /** Override (or supply, when the device has none) max-download-size. */
  maxDownloadBytes?: number;
}

export interface PartitionFlashOptions extends FlashOptions {
  /** The device's partition name (`boot`, `system`, `rootfs`…). */
  partition: string;
  /** Which bytes of the image to send (a partition's range); default the whole image. */
  range?: ImageRange;
  maxDownloadBytes?: number;
}

export interface FlashResult {
  partition: string;
  pieceCount: number;
  sentBytes: number;
  /** Image bytes written (RAW + FILL). */
  writtenBytes: number;
  maxDownloadBytes: number;
  rebooted: boolean;
  /** Set when `reboot` was asked for and failed after a complete flash. */
  rebootError?: string;
}

export type FlashTarget = FastbootTransport | UsbDeviceLike;

/**
 * Flash a whole disk image. Resolves only when the device has accepted every piece (and the table
 * areas last); any failure rejects with a FlashError whose `detail.partial` says whether writing had
 * started. A USBDevice is opened and closed here; a transport passed in is closed too.
 */
export async function flashDisk(target: FlashTarget, image: ImageSource, options: DiskFlashOptions = {}): Promise<FlashResult> {
  const partition = options.partition ?? DEFAULT_WHOLE_DISK_PARTITION;
  return withClient(target, options, async (client, report) => {
    const maxDownloadBytes = options.maxDownloadBytes ?? (await client.maxDownloadBytes({ signal: options.signal })) ?? FALLBACK_MAX_DOWNLOAD_BYTES;
    await checkFits(client, partition, image.sizeBytes, options.signal);
    const plan = planDiskFlash(image, { maxDownloadBytes, tableRanges: options.tableRanges, clearTablesFirst: options.clearTablesFirst });
    return sendPlan(client, plan, partition, maxDownloadBytes, options, report);
  });
}

/** Flash one partition (or a whole small image) to a named device partition. */
export async function flashPartition(target: FlashTarget, image: ImageSource, options: PartitionFlashOptions): Promise<FlashResult> {
  const range = options.range ?? { offsetBytes: 0, sizeBytes: image.sizeBytes };
  return withClient(target, options, async (client, report) => {
    const maxDownloadBytes = options.maxDownloadBytes ?? (await client.maxDownloadBytes({ signal: options.signal })) ?? FALLBACK_MAX_DOWNLOAD_BYTES;
    await checkFits(client, options.partition, range.sizeBytes, options.signal);
    const plan = planPartitionFlash(image, range, maxDownloadBytes);
    return sendPlan(client, plan, options.partition, maxDownloadBytes, options, report);
  });
}

/** Device facts worth showing before flashing. */
export interface FastbootDeviceInfo {
  product: string | undefined;
  serialNumber: string | undefined;
  version: string | undefined;
  maxDownloadBytes: number | undefined;
  /** `is-userspace: yes` means fastbootd (Android userspace), which cannot write a raw disk. */
  isUserspace: boolean;
  /** Sizes of the partitions asked about, when the device knows them. */
  partitionSizesBytes: Record<string, number | undefined>;
}

export async function readDeviceInfo(target: FlashTarget, partitions: readonly string[] = [DEFAULT_WHOLE_DISK_PARTITION], options: FlashOptions = {}): Promise<FastbootDeviceInfo> {
  return withClient(target, options, async (client) => {
    const o = { signal: options.signal };
    const info: FastbootDeviceInfo = {
      product: await client.getVarOptional('product', o),
      serialNumber: await client.getVarOptional('serialno', o),
      version: await client.getVarOptional('version', o),
      maxDownloadBytes: await client.maxDownloadBytes(o),
      isUserspace: (await client.getVarOptional('is-userspace', o)) === 'yes',
      partitionSizesBytes: {},
    };
    for (const name of partitions) info.partitionSizesBytes[name] = await client.partitionSizeBytes(name, o);
    return info;
  });
}

type Report = (p: Omit<FlashProgress, 'deviceMessage'>) => void;

async function withClient<T>(target: FlashTarget, options: FlashOptions, work: (client: FastbootClient, report: Report) => Promise<T>): Promise<T> {
  let last: Omit<FlashProgress, 'deviceMessage'> = { stage: 'connect', sentBytes: 0, totalBytes: 0, pieceIndex: 0, pieceCount: 0 };
  const report: Report = (p) => {
    last = p;
    options.onProgress?.(p);
  };
  if (options.signal?.aborted) throw abortedError();
  report(last);
  const transport = isUsbDeviceLike(target) ? await openWebUsbTransport(target) : target;
  const client = new FastbootClient(transport, {
    ...options,
    onInfo: (text) => {
      options.onInfo?.(text);
      options.onProgress?.({ ...last, deviceMessage: text });
    },
  });
  try {
    return await work(client, report);
  } finally {
    await client.close().catch(() => {});
  }
}

async function sendPlan(client: FastbootClient, plan: DiskFlashPlan, partition: string, maxDownloadBytes: number, options: FlashOptions, report: Report): Promise<FlashResult> {
  const pieceCount = plan.pieces.length;
  let sentBytes = 0;
  let writtenBytes = 0;
  let flashCommands = 0;
  try {
    for (const [i, piece] of plan.pieces.entries()) {
      report({ stage: piece.role, sentBytes, totalBytes: plan.totalBytes, pieceIndex: i, pieceCount });
      const before = sentBytes;
      await client.download(piece.sizeBytes, androidSparseChunks(piece.source, piece.plan, piece.pieceIndex), {
        signal: options.signal,
        onBytes: (n) => report({ stage: piece.role, sentBytes: before + n, totalBytes: plan.totalBytes, pieceIndex: i, pieceCount }),
      });
      sentBytes = before + piece.sizeBytes;
      flashCommands++;
      await client.flash(partition, { signal: options.signal });
      writtenBytes += piece.dataBytes;
    }
  } catch (e) {
    if (isFlashError(e)) {
      // Nothing is written until a flash: command; a device that refuses the very first one wrote nothing.
      const partial = writtenBytes > 0 || (flashCommands > 0 && e.problem !== FlashProblem.DeviceFailed);
      e.detail['partial'] = partial;
      e.detail['partition'] = partition;
      if (partial) {
        e.message += plan.tableRanges.length > 0
          ? ` The flash of "${partition}" did not finish: its partition table was cleared first, so the device holds no valid table now. Flash again.`
          : ` The flash of "${partition}" did not finish: it is only partly written. Flash again.`;
      }
    }
    throw e;
  }
  // Every piece is written: a failed reboot does not undo that, so it is reported, not thrown.
  let rebooted = false;
  let rebootError: string | undefined;
  if (options.reboot) {
    report({ stage: 'reboot', sentBytes, totalBytes: plan.totalBytes, pieceIndex: pieceCount, pieceCount });
    try {
      await client.reboot('system', { signal: options.signal });
      rebooted = true;
    } catch (e) {
      rebootError = `The image was written, but the device did not confirm the reboot (${e instanceof Error ? e.message : String(e)}); restart it by hand.`;
    }
  }
  report({ stage: 'done', sentBytes, totalBytes: plan.totalBytes, pieceIndex: pieceCount, pieceCount });
  return { partition, pieceCount, sentBytes, writtenBytes, maxDownloadBytes, rebooted, ...(rebootError ? { rebootError } : {}) };
}

async function checkFits(client: FastbootClient, partition: string, sizeBytes: number, signal: AbortSignal | undefined): Promise<void> {
  const available = await client.partitionSizeBytes(partition, { signal });
  // Sparse images count whole 4 KiB blocks: the last partial block is sent padded with zeros.
  const neededBytes = roundUpBlocks(sizeBytes);
  if (available !== undefined && sizeBytes <= available && neededBytes > available) {
    throw new FlashError(FlashProblem.TooLarge, `The image is ${sizeBytes} bytes, not a multiple of 4096, and fastboot sends whole 4 KiB blocks: its padded last block would run past the end of the device's "${partition}" (${available} bytes). Build the disk with a size that is a multiple of 4096.`, {
      neededBytes,
      availableBytes: available,
    });
  }
  if (available !== undefined && available < neededBytes) {
    throw new FlashError(FlashProblem.TooLarge, `The image needs ${neededBytes} bytes but the device's "${partition}" has ${available}. Build a smaller disk or pick another target.`, {
      neededBytes,
      availableBytes: available,
    });
  }
}

function checkMaxDownload(maxDownloadBytes: number): number {
  if (!(maxDownloadBytes >= SPARSE_MIN_PIECE_BYTES)) {
    throw new FlashError(FlashProblem.TooLarge, `The device takes downloads of at most ${maxDownloadBytes} bytes, too small for even one 4 KiB block (${SPARSE_MIN_PIECE_BYTES} bytes needed).`);
  }
  return maxDownloadBytes;
}

function roundUpBlocks(sizeBytes: number): number {
  return Math.ceil(sizeBytes / SPARSE_BLOCK_BYTES) * SPARSE_BLOCK_BYTES;
}

/** The image with `cut` (block-aligned) turned into holes. */
function maskedSource(image: ImageSource, cut: readonly ImageRange[]): ImageSource {
  return {
    sizeBytes: image.sizeBytes,
    dataRanges: () => subtractRanges(image.dataRanges(), cut),
    readInto: (offsetBytes, target) => image.readInto(offsetBytes, target),
  };
}

/** Only `keep` of the image, every byte of it (holes inside read as zeros and go as FILL 0). */
function windowedSource(image: ImageSource, keep: readonly ImageRange[]): ImageSource {
  return {
    sizeBytes: image.sizeBytes,
    dataRanges: () => keep,
    readInto: (offsetBytes, target) => image.readInto(offsetBytes, target),
  };
}

/** Zeros over `ranges`: planned as FILL 0 chunks, a few bytes per range. */
function zeroSource(sizeBytes: number, ranges: readonly ImageRange[]): ImageSource {
  return { sizeBytes, dataRanges: () => ranges, readInto: (_offsetBytes, target) => target.fill(0) };
}

/** The bytes of `range` as an image of their own. */
function sliceSource(image: ImageSource, range: ImageRange): ImageSource {
  const end = range.offsetBytes + range.sizeBytes;
  return {
    sizeBytes: range.sizeBytes,
    dataRanges: () =>
      image.dataRanges().flatMap((r) => {
        const start = Math.max(r.offsetBytes, range.offsetBytes);
        const stop = Math.min(r.offsetBytes + r.sizeBytes, end);
        return stop > start ? [{ offsetBytes: start - range.offsetBytes, sizeBytes: stop - start }] : [];
      }),
    readInto: (offsetBytes, target) => image.readInto(range.offsetBytes + offsetBytes, target),
  };
}
