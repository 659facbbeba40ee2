/**
 * Fastboot over WebUSB. The engine's tsconfig has no DOM lib (and WebUSB is not in WebWorker's), so
 * the few WebUSB shapes used here are declared structurally; a real `USBDevice` satisfies them, and
 * so does the test stand-in (server/fastboot-sim/webusb-standin.ts).
 *
 * A fastboot device exposes a vendor-specific interface (class 0xFF, subclass 0x42, protocol 0x03)
 * with one bulk IN and one bulk OUT endpoint (AOSP fastboot/README.md "Basic Requirements").
 */
import { FlashError, FlashProblem } from './errors.ts';
import type { FastbootTransport } from './transport.ts';

export const FASTBOOT_USB_CLASS = 0xff;
export const FASTBOOT_USB_SUBCLASS = 0x42;
export const FASTBOOT_USB_PROTOCOL = 0x03;

/** The filter for `navigator.usb.requestDevice({ filters: [FASTBOOT_USB_FILTER] })`. */
export const FASTBOOT_USB_FILTER = {
  classCode: FASTBOOT_USB_CLASS,
  subclassCode: FASTBOOT_USB_SUBCLASS,
  protocolCode: FASTBOOT_USB_PROTOCOL,
} as const;

export interface UsbEndpointLike {
  endpointNumber: number;
  direction: 'in' | 'out';
  type: 'bulk' | 'interrupt' | 'isochronous';
  packetSize: number;
}
export interface UsbAlternateLike {
  alternateSetting: number;
  interfaceClass: number;
  interfaceSubclass: number;
  interfaceProtocol: number;
  endpoints: readonly UsbEndpointLike[];
}
export interface UsbInterfaceLike {
  interfaceNumber: number;
  claimed: boolean;
  alternates: readonly UsbAlternateLike[];
}
export interface UsbConfigurationLike {
  configurationValue: number;
  interfaces: readonly UsbInterfaceLike[];
}
export interface UsbInTransferResultLike {
  data?: DataView | undefined;
  status?: 'ok' | 'stall' | 'babble' | undefined;
}
export interface UsbOutTransferResultLike {
  bytesWritten: number;
  status?: 'ok' | 'stall' | undefined;
}

/** The parts of WebUSB's `USBDevice` this module uses. */
export interface UsbDeviceLike {
  readonly opened: boolean;
  readonly productName?: string | undefined;
  readonly serialNumber?: string | undefined;
  readonly vendorId: number;
  readonly productId: number;
  readonly configuration: UsbConfigurationLike | null | undefined;
  readonly configurations: readonly UsbConfigurationLike[];
  open(): Promise<void>;
  close(): Promise<void>;
  selectConfiguration(configurationValue: number): Promise<void>;
  claimInterface(interfaceNumber: number): Promise<void>;
  releaseInterface(interfaceNumber: number): Promise<void>;
  selectAlternateInterface(interfaceNumber: number, alternateSetting: number): Promise<void>;
  clearHalt(direction: 'in' | 'out', endpointNumber: number): Promise<void>;
  transferIn(endpointNumber: number, length: number): Promise<UsbInTransferResultLike>;
  transferOut(endpointNumber: number, data: Uint8Array): Promise<UsbOutTransferResultLike>;
}

/** The parts of `navigator.usb` used to find a device. */
export interface UsbLike {
  requestDevice(options: { filters: readonly object[] }): Promise<UsbDeviceLike>;
  getDevices(): Promise<UsbDeviceLike[]>;
}

export function isUsbDeviceLike(x: unknown): x is UsbDeviceLike {
  return typeof x === 'object' && x !== null && 'transferIn' in x && 'claimInterface' in x;
}

export interface FastbootUsbInterface {
  configurationValue: number;
  interfaceNumber: number;
  alternateSetting: number;
  inEndpoint: UsbEndpointLike;
  outEndpoint: UsbEndpointLike;
}

/** The fastboot interface and its bulk endpoints, in any configuration of the device. */
export function findFastbootInterface(device: UsbDeviceLike): FastbootUsbInterface | undefined {
  const configs = device.configuration ? [device.configuration, ...device.configurations] : device.configurations;
  for (const config of configs) {
    for (const iface of config.interfaces) {
      for (const alt of iface.alternates) {
        if (alt.interfaceClass !== FASTBOOT_USB_CLASS || alt.interfaceSubclass !== FASTBOOT_USB_SUBCLASS || alt.interfaceProtocol !== FASTBOOT_USB_PROTOCOL) continue;
        const inEndpoint = alt.endpoints.find((e) => e.direction === 'in' && e.type === 'bulk');
        const outEndpoint = alt.endpoints.find((e) => e.direction === 'out' && e.type === 'bulk');
        if (!inEndpoint || !outEndpoint) continue;
        return { configurationValue: config.configurationValue, interfaceNumber: iface.interfaceNumber, alternateSetting: alt.alternateSetting, inEndpoint, outEndpoint };
      }
    }
  }
  return undefined;
}

/**
 * Ask the user to pick a fastboot device (main thread, inside a click handler: the browser requires a
 * user gesture). The chosen device can then be found in a worker with `findPermittedDevice`.
 */
export async function requestFastbootDevice(usb: UsbLike): Promise<UsbDeviceLike> {
  try {
    return await usb.requestDevice({ filters: [FASTBOOT_USB_FILTER] });
  } catch (e) {
    if (errorName(e) === 'NotFoundError') throw new FlashError(FlashProblem.NoDevice, 'No device was chosen. Put the device into fastboot mode (U-Boot: `fastboot usb 0`), plug it in and try again.');
    throw new FlashError(FlashProblem.AccessDenied, `The browser would not offer USB devices: ${errorText(e)}. Flashing needs a Chromium-based browser (Chrome, Edge, Brave) on a page served over HTTPS or localhost.`);
  }
}

/** A device the user already allowed (`navigator.usb.getDevices()`, works in workers), by serial number. */
export async function findPermittedDevice(usb: UsbLike, match: { serialNumber?: string; vendorId?: number; productId?: number } = {}): Promise<UsbDeviceLike> {
  const devices = (await usb.getDevices()).filter(
    (d) =>
      findFastbootInterface(d) !== undefined &&
      (match.serialNumber === undefined || d.serialNumber === match.serialNumber) &&
      (match.vendorId === undefined || d.vendorId === match.vendorId) &&
      (match.productId === undefined || d.productId === match.productId),
  );
  const device = devices[0];
  if (!device) throw new FlashError(FlashProblem.NoDevice, 'The chosen fastboot device is not connected any more. Plug it in, put it into fastboot mode and choose it again.');
  return device;
}

function errorName(e: unknown): string {
  return typeof e === 'object' && e !== null && 'name' in e ? String((e as { name: unknown }).name) : '';
}
function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Open the device, claim its fastboot interface, and return a transport over its bulk endpoints. */
export async function openWebUsbTransport(device: UsbDeviceLike): Promise<WebUsbTransport> {
  const name = `${device.productName || 'the USB device'}${device.serialNumber ? ` (serial ${device.serialNumber})` : ''}`;
  const found = findFastbootInterface(device);
  if (!found) throw new FlashError(FlashProblem.NoDevice, `${name} has no fastboot interface (class 0xFF, subclass 0x42, protocol 0x03). Is it in fastboot mode?`);
  if (!device.opened) {
    try {
      await device.open();
    } catch (e) {
      throw new FlashError(
        FlashProblem.AccessDenied,
        `Could not open ${name}: ${errorText(e)}. On Linux your user needs access to the device (a udev rule such as the one in Debian's android-sdk-platform-tools-common); on Windows it needs the WinUSB driver.`,
      );
    }
  }
  try {
    if (device.configuration?.configurationValue !== found.configurationValue) await device.selectConfiguration(found.configurationValue);
    await device.claimInterface(found.interfaceNumber);
  } catch (e) {
    await device.close().catch(() => {});
    throw new FlashError(
      FlashProblem.DeviceBusy,
      `${name} is in use by another program (${errorText(e)}). Close whatever holds it — a running \`fastboot\` command, the adb server (\`adb kill-server\`), Android Studio, another browser tab or window using it — then unplug and replug the device and try again.`,
    );
  }
  try {
    if (found.alternateSetting !== 0) await device.selectAlternateInterface(found.interfaceNumber, found.alternateSetting);
  } catch (e) {
    await device.close().catch(() => {});
    throw new FlashError(FlashProblem.DeviceBusy, `Could not select the fastboot interface of ${name}: ${errorText(e)}.`);
  }
  return new WebUsbTransport(device, found, `${name} (fastboot over USB)`);
}

export class WebUsbTransport implements FastbootTransport {
  private closed = false;

  constructor(
    readonly device: UsbDeviceLike,
    readonly usbInterface: FastbootUsbInterface,
    readonly description: string,
  ) {}

  async send(data: Uint8Array): Promise<void> {
    this.checkOpen();
    const ep = this.usbInterface.outEndpoint.endpointNumber;
    let result: UsbOutTransferResultLike;
    try {
      result = await this.device.transferOut(ep, data);
    } catch (e) {
      throw this.lost(e);
    }
    if (result.status === 'stall') {
      await this.device.clearHalt('out', ep).catch(() => {});
      throw new FlashError(FlashProblem.Protocol, `${this.description} stalled its OUT endpoint.`);
    }
    if (result.bytesWritten !== data.length) throw new FlashError(FlashProblem.Disconnected, `${this.description} took ${result.bytesWritten} of ${data.length} bytes.`);
  }

  async receive(): Promise<Uint8Array> {
    this.checkOpen();
    const ep = this.usbInterface.inEndpoint;
    // Ask for at least one full packet: a reply (≤ 256 bytes) then always ends the transfer.
    const length = Math.max(64, ep.packetSize);
    let result: UsbInTransferResultLike;
    try {
      result = await this.device.transferIn(ep.endpointNumber, length);
    } catch (e) {
      throw this.lost(e);
    }
    if (result.status === 'stall') {
      await this.device.clearHalt('in', ep.endpointNumber).catch(() => {});
      throw new FlashError(FlashProblem.Protocol, `${this.description} stalled its IN endpoint.`);
    }
    if (result.status === 'babble') throw new FlashError(FlashProblem.Protocol, `${this.description} sent a reply longer than ${length} bytes.`);
    const view = result.data;
    return view ? new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength)) : new Uint8Array(0);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.device.releaseInterface(this.usbInterface.interfaceNumber).catch(() => {});
    await this.device.close().catch(() => {});
  }

  private checkOpen(): void {
    if (this.closed) throw new FlashError(FlashProblem.Disconnected, `${this.description} is closed.`);
  }

  private lost(e: unknown): FlashError {
    if (this.closed) return new FlashError(FlashProblem.Disconnected, `${this.description} was closed.`);
    const name = errorName(e);
    if (name === 'NotFoundError' || name === 'NetworkError' || /disconnected/i.test(errorText(e))) {
      return new FlashError(FlashProblem.Disconnected, `${this.description} was disconnected (${errorText(e)}). Check the cable, put the device back into fastboot mode and flash again.`);
    }
    return new FlashError(FlashProblem.Disconnected, `USB transfer to ${this.description} failed: ${errorText(e)}.`);
  }
}
