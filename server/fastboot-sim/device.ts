/**
 * A fake fastboot device for tests: the device side of the protocol (AOSP fastboot/README.md), storing
 * what it is sent in a sparse disk image. Like U-Boot's fastboot on an eMMC it has a whole-disk target
 * (`mmc0`) and named partitions (configured ones, plus whatever the GPT on its disk names, re-read
 * on each command as U-Boot does); it honours max-download-size, applies Android sparse downloads
 * (RAW, FILL, DONT_CARE) and raw ones, erases, and records every write in order so tests can check
 * that partition tables were written last.
 *
 * Transports (tcp-server.ts, webusb-standin.ts) feed a `FastbootSimSession` with packets and deliver
 * its replies. Faults (FAIL, hang, disconnect) can be injected per command.
 */
import { SparseImage } from '../../workers/disk/sparse-image.ts';
import { decodeGpt, detectGptSectorSize } from '../../workers/formats/gpt/index.ts';
import { decodeAndroidSparse, SPARSE_MAGIC } from '../../workers/formats/outputs/android-sparse.ts';

export interface SimPartition {
  name: string;
  offsetBytes: number;
  sizeBytes: number;
}

export interface SimWrite {
  /** Order of the write, from 0. */
  seq: number;
  command: string;
  partition: string;
  /** Absolute on the disk. */
  offsetBytes: number;
  sizeBytes: number;
  kind: 'raw' | 'sparse-raw' | 'sparse-fill' | 'erase';
}

export interface SimFault {
  /** Command prefix this fault fires on (`flash:`, `download:`, `getvar:max-download-size`). */
  on: string;
  action: 'fail' | 'hang' | 'disconnect';
  /** FAIL text. */
  message?: string;
  /** For `download:`: act after this many data bytes arrived (default: at the command). */
  afterDataBytes?: number;
  /** Skip this many matching commands first (default 0). */
  skip?: number;
}

export interface FastbootSimOptions {
  diskSizeBytes: number;
  maxDownloadBytes?: number;
  /** How max-download-size is written: `0x…` (U-Boot, most bootloaders) or decimal. */
  numberStyle?: 'hex' | 'decimal';
  /** Name of the whole-disk target (default `mmc0`). */
  wholeDiskName?: string;
  partitions?: SimPartition[];
  product?: string;
  serialNumber?: string;
  /** Send INFO lines while flashing (default true): exercises the client's INFO handling. */
  info?: boolean;
}

const enc = new TextEncoder();
const latin1 = new TextDecoder('latin1');

export class FastbootSimDevice {
  readonly disk: SparseImage;
  readonly maxDownloadBytes: number;
  readonly wholeDiskName: string;
  readonly writes: SimWrite[] = [];
  readonly commands: string[] = [];
  readonly faults: SimFault[] = [];
  rebootCount = 0;
  /** The last completed download, kept until the next one (fastboot "remembers" it). */
  downloaded: Uint8Array | undefined;

  constructor(readonly options: FastbootSimOptions) {
    this.disk = new SparseImage(options.diskSizeBytes);
    this.maxDownloadBytes = options.maxDownloadBytes ?? 256 << 20;
    this.wholeDiskName = options.wholeDiskName ?? 'mmc0';
  }

  /** The disk's bytes (tests; small disks). */
  diskBytes(): Uint8Array {
    return this.disk.read(0, this.disk.sizeBytes);
  }

  /** Named targets: the whole disk, configured partitions, then the GPT's partitions by label. */
  partitions(): SimPartition[] {
    const list: SimPartition[] = [{ name: this.wholeDiskName, offsetBytes: 0, sizeBytes: this.disk.sizeBytes }, ...(this.options.partitions ?? [])];
    const read = (o: number, n: number): Uint8Array => this.disk.read(o, Math.max(0, Math.min(n, this.disk.sizeBytes - o)));
    try {
      const sector = detectGptSectorSize(read, this.disk.sizeBytes);
      if (sector !== undefined) {
        for (const p of decodeGpt(read, this.disk.sizeBytes, sector).partitions) {
          if (p.name && !list.some((q) => q.name === p.name)) {
            list.push({ name: p.name, offsetBytes: p.firstLba * sector, sizeBytes: (p.lastLba - p.firstLba + 1) * sector });
          }
        }
      }
    } catch {
      // No readable table: only the configured targets.
    }
    return list;
  }

  partition(name: string): SimPartition | undefined {
    return this.partitions().find((p) => p.name === name);
  }

  addFault(fault: SimFault): void {
    this.faults.push({ ...fault });
  }

  /** The fault for this command, consumed. */
  takeFault(command: string): SimFault | undefined {
    const i = this.faults.findIndex((f) => command.startsWith(f.on));
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    if ((f.skip ?? 0) > 0) {
      f.skip = (f.skip ?? 0) - 1;
      return undefined;
    }
    this.faults.splice(i, 1);
    return f;
  }

  /** A new connection (one per TCP connection or USB open). */
  session(io: SimSessionIo): FastbootSimSession {
    return new FastbootSimSession(this, io);
  }

  record(command: string, partition: string, offsetBytes: number, sizeBytes: number, kind: SimWrite['kind']): void {
    this.writes.push({ seq: this.writes.length, command, partition, offsetBytes, sizeBytes, kind });
  }

  formatNumber(n: number): string {
    return this.options.numberStyle === 'decimal' ? String(n) : `0x${n.toString(16).padStart(8, '0')}`;
  }
}

export interface SimSessionIo {
  /** One reply packet to the host. */
  reply(packet: Uint8Array): void;
  /** Drop the connection (USB unplug, TCP close). */
  disconnect(): void;
}

export class FastbootSimSession {
  private download: { buffer: Uint8Array; received: number; fault: SimFault | undefined } | undefined;
  private dead = false;

  constructor(
    readonly device: FastbootSimDevice,
    private readonly io: SimSessionIo,
  ) {}

  /** One packet from the host: a command, or download data. */
  handle(packet: Uint8Array): void {
    if (this.dead) return;
    if (this.download) {
      this.receiveData(packet);
      return;
    }
    if (packet.length === 0) return; // zero-length packets are ignored
    const command = latin1.decode(packet);
    this.device.commands.push(command);
    if (packet.length > 4096) return this.fail('command too long');
    const fault = this.device.takeFault(command);
    if (fault && !(command.startsWith('download:') && fault.afterDataBytes !== undefined)) {
      if (this.act(fault)) return;
    }
    try {
      this.run(command, fault);
    } catch (e) {
      this.fail(e instanceof Error ? e.message : String(e));
    }
  }

  /** Apply a fault; true when the command is done with (failed, hung or dropped). */
  private act(fault: SimFault): boolean {
    if (fault.action === 'fail') this.fail(fault.message ?? 'injected failure');
    else if (fault.action === 'disconnect') this.drop();
    else this.dead = true; // hang: never answer again
    return true;
  }

  private drop(): void {
    this.dead = true;
    this.download = undefined;
    this.io.disconnect();
  }

  private send(kind: string, text = ''): void {
    this.io.reply(enc.encode(kind + text));
  }
  private okay(text = ''): void {
    this.send('OKAY', text);
  }
  private fail(text: string): void {
    this.send('FAIL', text);
  }
  private info(text: string): void {
    if (this.device.options.info ?? true) this.send('INFO', text);
  }

  private run(command: string, fault: SimFault | undefined): void {
    const [verb, ...rest] = command.split(':');
    const arg = rest.join(':');
    const d = this.device;
    switch (verb) {
      case 'getvar':
        return this.getvar(arg);
      case 'download': {
        if (!/^[0-9a-fA-F]{8}$/.test(arg)) return this.fail(`bad download size "${arg}"`);
        const sizeBytes = parseInt(arg, 16);
        if (sizeBytes === 0) return this.fail('download of 0 bytes');
        if (sizeBytes > d.maxDownloadBytes) return this.fail(`data too large (${sizeBytes} > max-download-size ${d.maxDownloadBytes})`);
        this.download = { buffer: new Uint8Array(sizeBytes), received: 0, fault };
        d.downloaded = undefined;
        return this.send('DATA', arg.toLowerCase());
      }
      case 'flash':
        return this.flash(command, arg);
      case 'erase': {
        const p = d.partition(arg);
        if (!p) return this.fail(`partition "${arg}" does not exist`);
        this.info(`erasing ${arg}`);
        d.disk.discard(p.offsetBytes, p.sizeBytes);
        d.record(command, p.name, p.offsetBytes, p.sizeBytes, 'erase');
        return this.okay();
      }
      case 'reboot':
      case 'reboot-bootloader':
        d.rebootCount++;
        this.okay();
        // A rebooting device goes away; the host must not expect more answers.
        return this.drop();
      case 'continue':
        this.okay();
        return this.drop();
      default:
        return this.fail(`unknown command "${verb}"`);
    }
  }

  private getvar(name: string): void {
    const d = this.device;
    const [key, ...rest] = name.split(':');
    const arg = rest.join(':');
    const partition = arg ? d.partition(arg) : undefined;
    switch (key) {
      case 'version':
        return this.okay('0.4');
      case 'product':
        return this.okay(d.options.product ?? 'partwright-sim');
      case 'serialno':
        return this.okay(d.options.serialNumber ?? 'PWSIM0001');
      case 'max-download-size':
        return this.okay(d.formatNumber(d.maxDownloadBytes));
      case 'is-userspace':
      case 'secure':
        return this.okay('no');
      case 'unlocked':
        return this.okay('yes');
      case 'partition-size':
        return partition ? this.okay(`0x${partition.sizeBytes.toString(16).padStart(16, '0')}`) : this.fail(`partition "${arg}" does not exist`);
      case 'partition-type':
        return partition ? this.okay('raw') : this.fail(`partition "${arg}" does not exist`);
      case 'is-logical':
      case 'has-slot':
        return partition ? this.okay('no') : this.fail(`partition "${arg}" does not exist`);
      case 'all':
        for (const p of d.partitions()) this.send('INFO', `partition-size:${p.name}: 0x${p.sizeBytes.toString(16)}`);
        this.send('INFO', `max-download-size: ${d.formatNumber(d.maxDownloadBytes)}`);
        return this.okay();
      default:
        return this.fail('Variable not implemented');
    }
  }

  private receiveData(packet: Uint8Array): void {
    const dl = this.download!;
    const room = dl.buffer.length - dl.received;
    const n = Math.min(room, packet.length);
    const limit = dl.fault?.afterDataBytes;
    if (limit !== undefined && dl.received + n >= limit) {
      dl.buffer.set(packet.subarray(0, limit - dl.received), dl.received);
      const fault = dl.fault!;
      this.download = undefined;
      this.act(fault);
      return;
    }
    dl.buffer.set(packet.subarray(0, n), dl.received);
    dl.received += n;
    if (dl.received === dl.buffer.length) {
      this.device.downloaded = dl.buffer;
      this.download = undefined;
      this.okay();
    }
  }

  private flash(command: string, name: string): void {
    const d = this.device;
    const p = d.partition(name);
    if (!p) return this.fail(`partition "${name}" does not exist`);
    const data = d.downloaded;
    if (!data) return this.fail('no image downloaded');
    const isSparse = data.length >= 28 && new DataView(data.buffer, data.byteOffset, data.length).getUint32(0, true) === SPARSE_MAGIC;
    if (isSparse) {
      const total = new DataView(data.buffer, data.byteOffset, data.length);
      const sizeBytes = total.getUint32(12, true) * total.getUint32(16, true);
      if (sizeBytes > p.sizeBytes) return this.fail(`sparse image too large for partition "${name}" (${sizeBytes} > ${p.sizeBytes})`);
      this.info(`writing sparse image to ${name}`);
      // Bounded by the partition, as a device must be: FILL chunks may not expand past it. A corrupt
      // image throws a coded error, which handle() answers with FAIL.
      const sink = {
        write: (offsetBytes: number, bytes: Uint8Array) => {
          d.disk.write(p.offsetBytes + offsetBytes, bytes);
          const last = d.writes.at(-1);
          // One record per chunk: FILL chunks arrive block by block, so merge adjacent ones.
          const kind = isFill(bytes) ? 'sparse-fill' : 'sparse-raw';
          if (last && last.command === command && last.kind === kind && last.offsetBytes + last.sizeBytes === p.offsetBytes + offsetBytes && last.seq === d.writes.length - 1) {
            last.sizeBytes += bytes.length;
          } else {
            d.record(command, name, p.offsetBytes + offsetBytes, bytes.length, kind);
          }
        },
      };
      decodeAndroidSparse(data, sink, { maxImageBytes: p.sizeBytes });
    } else {
      if (data.length > p.sizeBytes) return this.fail(`image too large for partition "${name}" (${data.length} > ${p.sizeBytes})`);
      this.info(`writing raw image to ${name}`);
      d.disk.write(p.offsetBytes, data);
      d.record(command, name, p.offsetBytes, data.length, 'raw');
    }
    this.okay();
  }
}

function isFill(bytes: Uint8Array): boolean {
  if (bytes.length < 8 || bytes.length % 4 !== 0) return false;
  for (let i = 4; i < bytes.length; i++) if (bytes[i] !== bytes[i - 4]) return false;
  return true;
}
