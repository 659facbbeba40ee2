/**
 * A WebUSB stand-in for the fastboot simulator: `navigator.usb` and one `USBDevice` with a fastboot
 * interface, implemented in the page (or any JS scope) on top of a bridge to the simulator running
 * in the test process.
 *
 * Two halves:
 * - `installFakeWebUsb(scope, bridge)`: self-contained (no imports, no closures over module state),
 *   so `fakeWebUsbInitScript()` can send its source into a page with Playwright's
 *   `page.addInitScript`; the bridge there is a `page.exposeBinding` function.
 * - `SimUsbPort` + `simUsbBindingHandler`: the Node side, one USB "cable" to a `FastbootSimDevice`.
 *
 * Every bridge call is `(op, arg: string) → Promise<string>` carrying JSON and base64, because that is
 * what crosses a Playwright binding. Errors come back as `{ error: { name, message } }` and become
 * DOMExceptions with WebUSB's names (NetworkError for a claimed interface or an unplugged device).
 */
import type { FastbootSimDevice, FastbootSimSession } from './device.ts';

export const FASTBOOT_SIM_BINDING = '__partwrightFastbootSim';

export interface FakeWebUsbBridge {
  call(op: string, arg: string): Promise<string>;
}

/**
 * Install `navigator.usb` in `scope` (a window, or a plain object in Node tests). Must stay
 * self-contained: its source text is what runs in the page.
 */
export function installFakeWebUsb(scope: Record<string, unknown>, bridge: FakeWebUsbBridge): void {
  const toB64 = (bytes: Uint8Array): string => {
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, Array.from(bytes.subarray(i, i + 0x8000)));
    return btoa(s);
  };
  const fromB64 = (text: string): Uint8Array => {
    const s = atob(text);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  };
  const call = async (op: string, arg: unknown): Promise<unknown> => {
    const answer = JSON.parse(await bridge.call(op, JSON.stringify(arg ?? null))) as { value?: unknown; error?: { name: string; message: string } };
    if (answer.error) throw new DOMException(answer.error.message, answer.error.name);
    return answer.value;
  };
  const asBytes = (data: unknown): Uint8Array => {
    if (data instanceof Uint8Array) return data;
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return new Uint8Array(data as ArrayBuffer);
  };

  const alternate = {
    alternateSetting: 0,
    interfaceClass: 0xff,
    interfaceSubclass: 0x42,
    interfaceProtocol: 0x03,
    interfaceName: 'fastboot',
    endpoints: [
      { endpointNumber: 1, direction: 'in', type: 'bulk', packetSize: 512 },
      { endpointNumber: 1, direction: 'out', type: 'bulk', packetSize: 512 },
    ],
  };
  const usbInterface = { interfaceNumber: 0, claimed: false, alternate, alternates: [alternate] };
  const configuration = { configurationValue: 1, configurationName: 'fastboot', interfaces: [usbInterface] };
  let permitted = false;
  let opened = false;
  let info: { productName: string; serialNumber: string; vendorId: number; productId: number } | undefined;

  const device = {
    get opened() {
      return opened;
    },
    get productName() {
      return info?.productName;
    },
    get serialNumber() {
      return info?.serialNumber;
    },
    get vendorId() {
      return info?.vendorId ?? 0;
    },
    get productId() {
      return info?.productId ?? 0;
    },
    usbVersionMajor: 2,
    usbVersionMinor: 0,
    deviceClass: 0,
    deviceSubclass: 0,
    deviceProtocol: 0,
    manufacturerName: 'Partwright',
    configuration: null as typeof configuration | null,
    configurations: [configuration],
    async open() {
      await call('open', null);
      opened = true;
    },
    async close() {
      opened = false;
      usbInterface.claimed = false;
      device.configuration = null;
      await call('close', null);
    },
    async selectConfiguration(value: number) {
      if (!opened) throw new DOMException('The device must be opened first.', 'InvalidStateError');
      if (value !== 1) throw new DOMException('The configuration value provided is not supported by the device.', 'NotFoundError');
      device.configuration = configuration;
    },
    async claimInterface(n: number) {
      if (!opened || !device.configuration) throw new DOMException('The device must be opened first.', 'InvalidStateError');
      if (n !== 0) throw new DOMException('The interface number provided is not supported by the device in its current configuration.', 'NotFoundError');
      await call('claim', null);
      usbInterface.claimed = true;
    },
    async releaseInterface(_n: number) {
      usbInterface.claimed = false;
      await call('release', null);
    },
    async selectAlternateInterface(_n: number, alt: number) {
      if (alt !== 0) throw new DOMException('The alternate setting provided is not supported by the device.', 'NotFoundError');
    },
    async clearHalt(_direction: string, _ep: number) {},
    async reset() {},
    async transferOut(ep: number, data: unknown) {
      if (!usbInterface.claimed) throw new DOMException('The specified endpoint is not part of a claimed and selected alternate interface.', 'NotFoundError');
      if (ep !== 1) throw new DOMException('The specified endpoint number is out of range.', 'IndexSizeError');
      const bytes = asBytes(data);
      await call('out', toB64(bytes));
      return { status: 'ok', bytesWritten: bytes.length };
    },
    async transferIn(ep: number, length: number) {
      if (!usbInterface.claimed) throw new DOMException('The specified endpoint is not part of a claimed and selected alternate interface.', 'NotFoundError');
      if (ep !== 1) throw new DOMException('The specified endpoint number is out of range.', 'IndexSizeError');
      const bytes = fromB64((await call('in', length)) as string);
      if (bytes.length > length) return { status: 'babble', data: new DataView(bytes.buffer, 0, length) };
      return { status: 'ok', data: new DataView(bytes.buffer) };
    },
    async controlTransferIn() {
      throw new DOMException('Control transfers are not simulated.', 'NotSupportedError');
    },
    async controlTransferOut() {
      throw new DOMException('Control transfers are not simulated.', 'NotSupportedError');
    },
  };

  const matches = (filter: Record<string, unknown>): boolean =>
    (filter['classCode'] === undefined || filter['classCode'] === 0xff) &&
    (filter['subclassCode'] === undefined || filter['subclassCode'] === 0x42) &&
    (filter['protocolCode'] === undefined || filter['protocolCode'] === 0x03) &&
    (filter['vendorId'] === undefined || filter['vendorId'] === info?.vendorId) &&
    (filter['productId'] === undefined || filter['productId'] === info?.productId);

  const listeners = new Map<string, Set<(e: unknown) => void>>();
  const usb = {
    async requestDevice(options: { filters?: Record<string, unknown>[] }) {
      info = (await call('describe', null)) as typeof info;
      const filters = options?.filters ?? [];
      if (!info || (filters.length > 0 && !filters.some(matches))) throw new DOMException('No device selected.', 'NotFoundError');
      permitted = true;
      return device;
    },
    async getDevices() {
      if (!permitted) return [];
      return (await call('present', null)) ? [device] : [];
    },
    addEventListener(type: string, fn: (e: unknown) => void) {
      if (!listeners.has(type)) listeners.set(type, new Set());
      listeners.get(type)!.add(fn);
    },
    removeEventListener(type: string, fn: (e: unknown) => void) {
      listeners.get(type)?.delete(fn);
    },
    onconnect: null,
    ondisconnect: null,
  };
  const nav = (scope['navigator'] ?? {}) as Record<string, unknown>;
  Object.defineProperty(nav, 'usb', { value: usb, configurable: true, enumerable: true });
  if (!scope['navigator']) scope['navigator'] = nav;
}

/** The script for `page.addInitScript`: installs the stand-in, bridged to the binding `bindingName`. */
export function fakeWebUsbInitScript(bindingName = FASTBOOT_SIM_BINDING): string {
  return `(${installFakeWebUsb.toString()})(globalThis, { call: (op, arg) => globalThis[${JSON.stringify(bindingName)}](op, arg) });`;
}

class UsbError extends Error {
  constructor(
    readonly usbName: string,
    message: string,
  ) {
    super(message);
  }
}

export interface SimUsbPortOptions {
  productName?: string;
  vendorId?: number;
  productId?: number;
  /** Another program holds the interface: claimInterface fails as Chromium's does. */
  claimedByOtherProgram?: boolean;
}

/** The device end of one USB cable to a simulated device. */
export class SimUsbPort {
  private session: FastbootSimSession | undefined;
  private readonly replies: Uint8Array[] = [];
  private waiter: { resolve: (p: Uint8Array) => void; reject: (e: Error) => void } | undefined;
  private plugged = true;
  claimedByOtherProgram: boolean;

  constructor(
    readonly device: FastbootSimDevice,
    readonly options: SimUsbPortOptions = {},
  ) {
    this.claimedByOtherProgram = options.claimedByOtherProgram ?? false;
  }

  describe(): { productName: string; serialNumber: string; vendorId: number; productId: number } | undefined {
    if (!this.plugged) return undefined;
    return {
      productName: this.options.productName ?? this.device.options.product ?? 'Partwright fastboot simulator',
      serialNumber: this.device.options.serialNumber ?? 'PWSIM0001',
      // Google's vendor ID and the fastboot product ID Android bootloaders use.
      vendorId: this.options.vendorId ?? 0x18d1,
      productId: this.options.productId ?? 0x4ee0,
    };
  }

  open(): void {
    if (!this.plugged) throw new UsbError('NotFoundError', 'The device was disconnected.');
  }

  claim(): void {
    if (!this.plugged) throw new UsbError('NotFoundError', 'The device was disconnected.');
    if (this.claimedByOtherProgram) throw new UsbError('NetworkError', 'Unable to claim interface.');
    this.session = this.device.session({
      reply: (packet) => {
        const w = this.waiter;
        this.waiter = undefined;
        if (w) w.resolve(packet);
        else this.replies.push(packet);
      },
      disconnect: () => this.unplug(),
    });
  }

  release(): void {
    this.session = undefined;
    this.replies.length = 0;
    this.cancel(new UsbError('AbortError', 'The transfer was cancelled.'));
  }

  out(data: Uint8Array): void {
    if (!this.plugged) throw new UsbError('NetworkError', 'A transfer error has occurred.');
    if (!this.session) throw new UsbError('InvalidStateError', 'The interface is not claimed.');
    this.session.handle(data);
  }

  in(): Promise<Uint8Array> {
    // Replies sent before the device went away (OKAY to reboot) are still read.
    const next = this.replies.shift();
    if (next) return Promise.resolve(next);
    if (!this.plugged) return Promise.reject(new UsbError('NetworkError', 'A transfer error has occurred.'));
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** Pull the cable: pending and later transfers fail as Chromium's do. */
  unplug(): void {
    this.plugged = false;
    this.session = undefined;
    this.cancel(new UsbError('NetworkError', 'A transfer error has occurred.'));
  }

  private cancel(error: Error): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(error);
  }
}

/** The Node side of the bridge: what `page.exposeBinding(FASTBOOT_SIM_BINDING, …)` calls. */
export function simUsbBindingHandler(port: SimUsbPort): (op: string, arg: string) => Promise<string> {
  return async (op, arg) => {
    try {
      const value = await runOp(port, op, JSON.parse(arg) as unknown);
      return JSON.stringify({ value: value ?? null });
    } catch (e) {
      const name = e instanceof UsbError ? e.usbName : 'NetworkError';
      return JSON.stringify({ error: { name, message: e instanceof Error ? e.message : String(e) } });
    }
  };
}

async function runOp(port: SimUsbPort, op: string, arg: unknown): Promise<unknown> {
  switch (op) {
    case 'describe':
      return port.describe();
    case 'present':
      return port.describe() !== undefined;
    case 'open':
      return port.open();
    case 'close':
    case 'release':
      return port.release();
    case 'claim':
      return port.claim();
    case 'out':
      return port.out(new Uint8Array(Buffer.from(arg as string, 'base64')));
    case 'in':
      return Buffer.from(await port.in()).toString('base64');
    default:
      throw new UsbError('NotSupportedError', `unknown stand-in operation ${op}`);
  }
}
