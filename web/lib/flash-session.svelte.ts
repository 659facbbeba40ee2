/**
 * Flashing the last build to a fastboot device: the page owns the USBDevice (WebUSB's chooser needs
 * a click, and the permission belongs to the page), opens it here and hands the engine worker a
 * comlink proxy of the transport; the worker reads the image from OPFS and runs the protocol.
 *
 * The one place web/ takes values from workers/flash/: `webusb.ts` (the chooser filter, opening the
 * fastboot interface) and `errors.ts`. Both are DOM-free and small; the protocol client and the
 * sparse writer stay in the worker.
 */
import { proxy } from 'comlink';
import type { BuiltImageRef, FastbootDeviceInfo, FlashFailure, FlashProgress, FlashResult } from '../../workers/engine.ts';
import { flashFailure } from '../../workers/flash/errors.ts';
import { openWebUsbTransport, requestFastbootDevice, type UsbDeviceLike, type UsbLike } from '../../workers/flash/webusb.ts';
import { buildClient, type EngineClient } from './engine-client.ts';

export type FlashStatus = 'idle' | 'connecting' | 'connected' | 'flashing' | 'done' | 'failed' | 'cancelled';

/** U-Boot's name for the whole eMMC user area (`fastboot usb 0`). */
export const DEFAULT_FLASH_PARTITION = 'mmc0';

const STAGE_TEXT: Record<FlashProgress['stage'], string> = {
  connect: 'connecting',
  'clear-tables': 'clearing the old partition table',
  data: 'writing data',
  tables: 'writing the partition table (last)',
  partition: 'writing the partition',
  reboot: 'rebooting the device',
  done: 'done',
};

export function flashStageText(stage: FlashProgress['stage']): string {
  return STAGE_TEXT[stage] ?? stage;
}

/** Why flashing cannot work in this browser, or undefined when WebUSB is there. */
export function webUsbUnavailable(): string | undefined {
  if (typeof window !== 'undefined' && !window.isSecureContext) return 'Flashing needs WebUSB, which browsers offer only on HTTPS or localhost pages.';
  if (typeof navigator === 'undefined' || !('usb' in navigator) || !navigator.usb) {
    return 'This browser has no WebUSB: flashing works in Chromium-based browsers (Chrome, Edge, Brave, Opera). Download the image with a .bmap instead.';
  }
  return undefined;
}

function usb(): UsbLike {
  return (navigator as unknown as { usb: UsbLike }).usb;
}

/** A failure thrown on this side (opening the device) as data; anything else as a plain failure. */
function failureOf(e: unknown): FlashFailure {
  return flashFailure(e) ?? { problem: 'disconnected', message: e instanceof Error ? e.message : String(e), partial: false };
}

export class FlashSession {
  status = $state<FlashStatus>('idle');
  device = $state.raw<UsbDeviceLike | undefined>(undefined);
  info = $state.raw<FastbootDeviceInfo | undefined>(undefined);
  progress = $state.raw<FlashProgress | undefined>(undefined);
  result = $state.raw<FlashResult | undefined>(undefined);
  error = $state.raw<FlashFailure | undefined>(undefined);
  /** The flashed image's size, for the success line (the image may be rebuilt after). */
  flashedBytes = $state<number | undefined>(undefined);

  readonly #client: EngineClient;
  #controller: AbortController | undefined;
  #transport: { close(): Promise<void> } | undefined;

  constructor(client: EngineClient = buildClient) {
    this.#client = client;
  }

  get busy(): boolean {
    return this.status === 'connecting' || this.status === 'flashing';
  }

  get deviceName(): string {
    const d = this.device;
    if (!d) return 'the device';
    return `${this.info?.product || d.productName || 'fastboot device'}${d.serialNumber ? ` (serial ${d.serialNumber})` : ''}`;
  }

  /** Opens the browser's chooser (call from a click), then asks the device about itself. */
  async connect(partition: string): Promise<void> {
    if (this.busy) return;
    this.#reset('connecting');
    this.info = undefined;
    try {
      this.device = await requestFastbootDevice(usb());
    } catch (e) {
      this.error = failureOf(e);
      this.status = this.device ? 'connected' : 'idle';
      return;
    }
    await this.refreshInfo(partition);
  }

  /** Reads product, max-download-size and the target's size (opens and closes the device). */
  async refreshInfo(partition: string): Promise<void> {
    const device = this.device;
    if (!device) return;
    this.#reset('connecting');
    const controller = (this.#controller = new AbortController());
    try {
      const transport = await openWebUsbTransport(device);
      this.#transport = transport;
      const r = await this.#client.call('flashDeviceInfo', [proxy(transport), { partition, deviceName: this.deviceName }], controller.signal);
      await transport.close();
      if (r.ok) this.info = r.info;
      else this.error = r.error;
    } catch (e) {
      if (!controller.signal.aborted) this.error = failureOf(e);
    } finally {
      this.#finish(controller);
    }
    if (this.status === 'connecting') this.status = 'connected';
  }

  /**
   * Flashes `image` to `partition`. `done` only when the device accepted every piece; anything
   * else ends in `failed` or `cancelled` with what the device said.
   */
  async flash(image: BuiltImageRef, partition: string, reboot: boolean): Promise<void> {
    const device = this.device;
    if (!device || this.busy) return;
    this.#reset('flashing');
    const controller = (this.#controller = new AbortController());
    const onProgress = (p: FlashProgress): void => {
      if (this.#controller === controller) this.progress = p;
    };
    try {
      const transport = await openWebUsbTransport(device);
      this.#transport = transport;
      const r = await this.#client.call('flash', [image, proxy(transport), { partition, reboot, deviceName: this.deviceName }, proxy(onProgress)], controller.signal);
      await transport.close().catch(() => {});
      if (this.#controller !== controller) return;
      if (r.ok) {
        this.result = r.result;
        this.flashedBytes = image.sizeBytes;
        this.status = 'done';
      } else {
        this.error = r.error;
        this.status = 'failed';
      }
    } catch (e) {
      if (this.#controller !== controller) return;
      this.error = failureOf(e);
      this.status = 'failed';
    } finally {
      this.#finish(controller);
    }
  }

  /** Stops a flash (the worker is terminated) and releases the device. */
  cancel(): void {
    const c = this.#controller;
    if (!c) return;
    const stage = this.progress?.stage;
    const wasFlashing = this.status === 'flashing';
    c.abort();
    void this.#transport?.close().catch(() => {});
    this.#controller = undefined;
    this.#transport = undefined;
    this.progress = undefined;
    if (!wasFlashing) {
      this.status = 'connected';
      return;
    }
    const partial = stage === 'clear-tables' || stage === 'data' || stage === 'tables';
    this.status = 'cancelled';
    this.error = {
      problem: 'aborted',
      partial,
      message: partial
        ? 'Flashing was cancelled part way: the device holds part of the image and no valid partition table. Flash again before booting it.'
        : 'Flashing was cancelled before anything was written.',
    };
  }

  #reset(status: FlashStatus): void {
    this.status = status;
    this.error = undefined;
    this.result = undefined;
    this.progress = undefined;
  }

  #finish(controller: AbortController): void {
    if (this.#controller !== controller) return;
    this.#controller = undefined;
    this.#transport = undefined;
  }
}
