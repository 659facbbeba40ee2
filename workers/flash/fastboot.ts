/**
 * The host side of the fastboot protocol (AOSP `fastboot/README.md`; the Debian `fastboot` package
 * is the reference client): ASCII commands of at most 64 bytes, each answered by packets that start
 * with OKAY, FAIL, INFO, TEXT or DATA. INFO and TEXT may repeat before the final answer; DATA%08x
 * opens the data phase of `download:%08x`.
 *
 * One command at a time. After a timeout, an abort or a broken transport the client is dead: the
 * device may be anywhere in a command, so the only safe thing is to close and start again.
 */
import { abortedError, FlashError, FlashProblem, isFlashError } from './errors.ts';
import type { FastbootTransport } from './transport.ts';

/** Commands are one packet of at most 64 bytes (README "Transport and Framing"; U-Boot's limit). */
export const FASTBOOT_MAX_COMMAND_BYTES = 64;
/** `download:%08x`: the size field is 32 bits. */
export const FASTBOOT_MAX_DOWNLOAD_BYTES = 0xffff_ffff;
/** Data-phase packets are cut at this size (WebUSB and TCP both take large transfers). */
export const FASTBOOT_DATA_PACKET_BYTES = 1 << 20;

const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;
/** Writing a download to flash, or erasing, can take minutes on slow eMMC. */
export const DEFAULT_FLASH_TIMEOUT_MS = 5 * 60_000;

export interface FastbootCommandOptions {
  /** How long to wait for each reply packet (INFO resets it). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface FastbootClientOptions {
  /** Default wait for a reply to a short command (getvar, download:), 10 s. */
  commandTimeoutMs?: number;
  /** Wait for the reply to flash/erase, 5 min. */
  flashTimeoutMs?: number;
  /** INFO and TEXT lines from the device ("(bootloader) writing…"). */
  onInfo?: (text: string) => void;
}

type Reply = { kind: 'OKAY' | 'FAIL' | 'INFO' | 'TEXT' | 'DATA'; text: string };

const ascii = new TextEncoder();
const latin1 = new TextDecoder('latin1');

/** `max-download-size` and `partition-size:*` come as "0x10000000", "10000000" (hex) or decimal. */
export function parseFastbootNumber(text: string): number | undefined {
  const t = text.trim();
  let value: number;
  if (/^0x[0-9a-f]+$/i.test(t)) value = parseInt(t.slice(2), 16);
  else if (/^[0-9]+$/.test(t)) value = parseInt(t, 10);
  else if (/^[0-9a-f]+$/i.test(t)) value = parseInt(t, 16);
  else return undefined;
  return Number.isSafeInteger(value) ? value : undefined;
}

export class FastbootClient {
  private broken: FlashError | undefined;
  private readonly commandTimeoutMs: number;
  readonly flashTimeoutMs: number;

  constructor(
    readonly transport: FastbootTransport,
    private readonly options: FastbootClientOptions = {},
  ) {
    this.commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.flashTimeoutMs = options.flashTimeoutMs ?? DEFAULT_FLASH_TIMEOUT_MS;
  }

  /** Send a command and return the text after OKAY; FAIL throws `device-failed` with the device's text. */
  async command(cmd: string, opts: FastbootCommandOptions = {}): Promise<string> {
    await this.sendCommand(cmd, opts);
    const reply = await this.readFinal(cmd, opts);
    if (reply.kind === 'DATA') throw this.fatal(FlashProblem.Protocol, `The device answered "${cmd}" with DATA, which only download may get.`);
    return reply.text;
  }

  /** `getvar:NAME`; FAIL (an unknown variable) throws. */
  getVar(name: string, opts: FastbootCommandOptions = {}): Promise<string> {
    return this.command(`getvar:${name}`, opts);
  }

  /** `getvar:NAME`, or undefined when the device does not know the variable (FAIL or empty OKAY). */
  async getVarOptional(name: string, opts: FastbootCommandOptions = {}): Promise<string | undefined> {
    try {
      const value = await this.getVar(name, opts);
      return value === '' ? undefined : value;
    } catch (e) {
      if (isFlashError(e) && e.problem === FlashProblem.DeviceFailed) return undefined;
      throw e;
    }
  }

  /** The largest download the device takes, or undefined when it does not say. */
  async maxDownloadBytes(opts: FastbootCommandOptions = {}): Promise<number | undefined> {
    const text = await this.getVarOptional('max-download-size', opts);
    if (text === undefined) return undefined;
    const n = parseFastbootNumber(text);
    if (n === undefined || n <= 0) throw this.fatal(FlashProblem.Protocol, `The device gave max-download-size "${text}", which is not a number.`);
    return Math.min(n, FASTBOOT_MAX_DOWNLOAD_BYTES);
  }

  /** `partition-size:NAME` in bytes, or undefined when the device does not know it. */
  async partitionSizeBytes(name: string, opts: FastbootCommandOptions = {}): Promise<number | undefined> {
    const text = await this.getVarOptional(`partition-size:${name}`, opts);
    return text === undefined ? undefined : parseFastbootNumber(text);
  }

  /**
   * `download:%08x`, then `sizeBytes` of data from `chunks` (cut or joined into packets), then OKAY.
   * `onBytes` gets the running count of bytes sent.
   */
  async download(
    sizeBytes: number,
    chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
    opts: FastbootCommandOptions & { onBytes?: (sentBytes: number) => void } = {},
  ): Promise<void> {
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0 || sizeBytes > FASTBOOT_MAX_DOWNLOAD_BYTES) {
      throw new FlashError(FlashProblem.TooLarge, `A download of ${sizeBytes} bytes is not possible: fastboot sends 1 to ${FASTBOOT_MAX_DOWNLOAD_BYTES} bytes at a time.`);
    }
    const cmd = `download:${sizeBytes.toString(16).padStart(8, '0')}`;
    await this.sendCommand(cmd, opts);
    const reply = await this.readFinal(cmd, opts);
    if (reply.kind !== 'DATA') throw this.fatal(FlashProblem.Protocol, `The device answered "${cmd}" with OKAY instead of DATA.`);
    const accepted = parseInt(reply.text.slice(0, 8), 16);
    if (accepted !== sizeBytes) {
      throw this.fatal(FlashProblem.Protocol, `The device offered to take ${accepted} bytes (DATA${reply.text}) for a download of ${sizeBytes}.`);
    }
    let sent = 0;
    for await (const packet of packets(chunks, FASTBOOT_DATA_PACKET_BYTES)) {
      this.checkSignal(opts.signal);
      if (sent + packet.length > sizeBytes) throw new FlashError(FlashProblem.Protocol, `The data to download is longer than the announced ${sizeBytes} bytes (internal error).`);
      await this.guard(this.transport.send(packet), opts, 'sending data');
      sent += packet.length;
      opts.onBytes?.(sent);
    }
    if (sent !== sizeBytes) throw this.fatal(FlashProblem.Protocol, `Only ${sent} of the announced ${sizeBytes} bytes were available to send (internal error).`);
    const done = await this.readFinal(cmd, opts);
    if (done.kind !== 'OKAY') throw this.fatal(FlashProblem.Protocol, `The device answered the end of a download with ${done.kind}.`);
  }

  /** `flash:PARTITION`: write the last download. */
  flash(partition: string, opts: FastbootCommandOptions = {}): Promise<string> {
    return this.command(`flash:${partition}`, { timeoutMs: this.flashTimeoutMs, ...opts });
  }

  erase(partition: string, opts: FastbootCommandOptions = {}): Promise<string> {
    return this.command(`erase:${partition}`, { timeoutMs: this.flashTimeoutMs, ...opts });
  }

  /** `reboot` (or `reboot-bootloader`); the device may drop the connection right after OKAY. */
  async reboot(target: 'system' | 'bootloader' = 'system', opts: FastbootCommandOptions = {}): Promise<void> {
    await this.command(target === 'system' ? 'reboot' : 'reboot-bootloader', opts);
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  private async sendCommand(cmd: string, opts: FastbootCommandOptions): Promise<void> {
    if (this.broken) throw this.broken;
    this.checkSignal(opts.signal);
    const bytes = ascii.encode(cmd);
    if (bytes.length > FASTBOOT_MAX_COMMAND_BYTES || /[^\x20-\x7e]/.test(cmd)) {
      throw new FlashError(FlashProblem.Protocol, `The fastboot command "${cmd}" is not up to ${FASTBOOT_MAX_COMMAND_BYTES} printable ASCII characters (is a partition name too long?).`);
    }
    await this.guard(this.transport.send(bytes), opts, `sending "${cmd}"`);
  }

  /** Read replies until one that is not INFO/TEXT; FAIL throws with the device's text. */
  private async readFinal(cmd: string, opts: FastbootCommandOptions): Promise<Reply> {
    for (;;) {
      const packet = await this.guard(this.transport.receive(), opts, `waiting for the answer to "${cmd}"`);
      const reply = decodeReply(packet);
      if (!reply) throw this.fatal(FlashProblem.Protocol, `The device answered "${cmd}" with "${latin1.decode(packet.subarray(0, 64))}", which is not a fastboot reply.`);
      if (reply.kind === 'INFO' || reply.kind === 'TEXT') {
        this.options.onInfo?.(reply.text);
        continue;
      }
      if (reply.kind === 'FAIL') {
        throw new FlashError(FlashProblem.DeviceFailed, `The device refused "${cmd}": ${reply.text === '' ? '(no reason given)' : `"${reply.text}"`}.`, {
          command: cmd,
          deviceMessage: reply.text,
        });
      }
      return reply;
    }
  }

  /** Race a transport call against the timeout and the abort signal; either kills the session. */
  private async guard<T>(work: Promise<T>, opts: FastbootCommandOptions, doing: string): Promise<T> {
    if (this.broken) throw this.broken;
    const timeoutMs = opts.timeoutMs ?? this.commandTimeoutMs;
    const signal = opts.signal;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new FlashError(FlashProblem.Timeout, `${this.transport.description} stopped answering (${Math.round(timeoutMs / 1000)} s without a reply while ${doing}). Unplug it, put it back into fastboot mode and try again.`)), timeoutMs);
      if (signal) {
        onAbort = () => reject(abortedError());
        signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    try {
      return await Promise.race([work, stop]);
    } catch (e) {
      const error = isFlashError(e)
        ? e
        : new FlashError(FlashProblem.Disconnected, `Lost the connection to ${this.transport.description} while ${doing}: ${e instanceof Error ? e.message : String(e)}.`);
      if (error.problem !== FlashProblem.DeviceFailed) this.kill(error);
      throw error;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      if (onAbort && signal) signal.removeEventListener('abort', onAbort);
      work.catch(() => {}); // a receive left behind by a timeout must not become an unhandled rejection
    }
  }

  private checkSignal(signal: AbortSignal | undefined): void {
    if (signal?.aborted) {
      const error = abortedError();
      this.kill(error);
      throw error;
    }
  }

  private fatal(problem: FlashProblem, message: string): FlashError {
    const error = new FlashError(problem, message);
    this.kill(error);
    return error;
  }

  private kill(error: FlashError): void {
    if (this.broken) return;
    this.broken = error;
    void this.transport.close().catch(() => {});
  }
}

function decodeReply(packet: Uint8Array): Reply | undefined {
  if (packet.length < 4) return undefined;
  const kind = latin1.decode(packet.subarray(0, 4));
  if (kind !== 'OKAY' && kind !== 'FAIL' && kind !== 'INFO' && kind !== 'TEXT' && kind !== 'DATA') return undefined;
  // Some bootloaders send the C string's NUL terminator along.
  let end = packet.length;
  while (end > 4 && packet[end - 1] === 0) end--;
  return { kind, text: latin1.decode(packet.subarray(4, end)) };
}

/** Re-cut a stream of chunks into packets of at most `maxBytes`, joining small ones (12-byte sparse headers). */
export async function* packets(chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, maxBytes: number): AsyncGenerator<Uint8Array> {
  let buf = new Uint8Array(maxBytes);
  let used = 0;
  for await (const chunk of chunks) {
    let pos = 0;
    while (pos < chunk.length) {
      if (used === 0 && chunk.length - pos >= maxBytes) {
        yield chunk.subarray(pos, pos + maxBytes);
        pos += maxBytes;
        continue;
      }
      const n = Math.min(maxBytes - used, chunk.length - pos);
      buf.set(chunk.subarray(pos, pos + n), used);
      used += n;
      pos += n;
      if (used === maxBytes) {
        yield buf;
        buf = new Uint8Array(maxBytes);
        used = 0;
      }
    }
  }
  if (used > 0) yield buf.slice(0, used); // a copy: structured clone (comlink) would otherwise copy the whole 1 MiB buffer
}
