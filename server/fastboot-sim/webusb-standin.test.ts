/**
 * The WebUSB stand-in, run in Node exactly as a page runs it: the text of `fakeWebUsbInitScript()`
 * is evaluated against a fake global whose binding calls the simulator's port (what
 * `page.exposeBinding` does in a browser). Partwright's WebUSB transport then flashes through it.
 */
import { describe, expect, it } from 'vitest';
import { FlashError, FlashProblem } from '../../workers/flash/errors.ts';
import { flashDisk, readDeviceInfo } from '../../workers/flash/flash-image.ts';
import { findTableRanges } from '../../workers/flash/table-ranges.ts';
import { makeGptDisk, tableWritesLast } from '../../workers/flash/test-support/disk.ts';
import { FASTBOOT_USB_FILTER, findPermittedDevice, requestFastbootDevice, type UsbLike } from '../../workers/flash/webusb.ts';
import { FastbootSimDevice } from './device.ts';
import { FASTBOOT_SIM_BINDING, fakeWebUsbInitScript, SimUsbPort, simUsbBindingHandler, type SimUsbPortOptions } from './webusb-standin.ts';

const MiB = 1 << 20;

/** A "page": a global object with the binding, the init script evaluated in it. */
function pageWith(device: FastbootSimDevice, options: SimUsbPortOptions = {}): { usb: UsbLike; port: SimUsbPort } {
  const port = new SimUsbPort(device, options);
  const handler = simUsbBindingHandler(port);
  const scope: Record<string, unknown> = { navigator: {}, [FASTBOOT_SIM_BINDING]: (op: string, arg: string) => handler(op, arg) };
  new Function('globalThis', fakeWebUsbInitScript())(scope);
  return { usb: (scope['navigator'] as { usb: UsbLike }).usb, port };
}

async function failure(p: Promise<unknown>): Promise<FlashError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(FlashError);
  return e as FlashError;
}

describe('WebUSB stand-in', () => {
  it('offers the device only for the fastboot interface filter', async () => {
    const device = new FastbootSimDevice({ diskSizeBytes: 8 * MiB });
    const { usb } = pageWith(device);
    expect(await usb.getDevices()).toEqual([]);
    await expect(usb.requestDevice({ filters: [{ classCode: 0x08 }] })).rejects.toMatchObject({ name: 'NotFoundError' });
    const chosen = await usb.requestDevice({ filters: [FASTBOOT_USB_FILTER] });
    expect(chosen.productName).toBe('Partwright fastboot simulator');
    expect(chosen.vendorId).toBe(0x18d1);
    expect(await findPermittedDevice(usb, { serialNumber: 'PWSIM0001' })).toBe(chosen);
  });

  it('flashes a built image through navigator.usb byte for byte, tables last', async () => {
    const { image } = makeGptDisk(8);
    const device = new FastbootSimDevice({ diskSizeBytes: 8 * MiB, maxDownloadBytes: MiB });
    const { usb } = pageWith(device);
    const usbDevice = await requestFastbootDevice(usb);
    const info = await readDeviceInfo(usbDevice);
    expect(info).toMatchObject({ product: 'partwright-sim', maxDownloadBytes: MiB, isUserspace: false, partitionSizesBytes: { mmc0: 8 * MiB } });
    expect(usbDevice.opened).toBe(false);
    const result = await flashDisk(usbDevice, image, { reboot: true });
    expect(result.rebooted).toBe(true);
    expect(Buffer.compare(device.diskBytes(), Buffer.from(image.read(0, image.sizeBytes)))).toBe(0);
    expect(tableWritesLast(device.writes, findTableRanges(image)).ok).toBe(true);
    expect(usbDevice.opened).toBe(false);
  });

  it('a device another program holds: says what to close', async () => {
    const device = new FastbootSimDevice({ diskSizeBytes: 8 * MiB });
    const { usb } = pageWith(device, { claimedByOtherProgram: true });
    const e = await failure(flashDisk(await usb.requestDevice({ filters: [FASTBOOT_USB_FILTER] }), makeGptDisk(8).image));
    expect(e.problem).toBe(FlashProblem.DeviceBusy);
    expect(e.message).toContain('Unable to claim interface');
    expect(e.message).toContain('adb kill-server');
    expect(device.commands).toEqual([]);
  });

  it('unplugged in the middle: disconnected, partial, no success', async () => {
    const { image } = makeGptDisk(8);
    const device = new FastbootSimDevice({ diskSizeBytes: 8 * MiB, maxDownloadBytes: 256 * 1024 });
    const { usb, port } = pageWith(device);
    let pieces = 0;
    const e = await failure(
      flashDisk(await requestFastbootDevice(usb), image, {
        onProgress: (p) => {
          if (p.pieceIndex === 3 && pieces++ === 0) port.unplug();
        },
      }),
    );
    expect(e.problem).toBe(FlashProblem.Disconnected);
    expect(e.message).toContain('disconnected');
    expect(e.detail['partial']).toBe(true);
  });

  it('a device that stops answering times out and is released', async () => {
    const device = new FastbootSimDevice({ diskSizeBytes: 8 * MiB });
    device.addFault({ on: 'getvar:max-download-size', action: 'hang' });
    const { usb } = pageWith(device);
    const usbDevice = await requestFastbootDevice(usb);
    const e = await failure(flashDisk(usbDevice, makeGptDisk(8).image, { commandTimeoutMs: 200 }));
    expect(e.problem).toBe(FlashProblem.Timeout);
    expect(e.detail['partial']).toBeUndefined();
    expect(usbDevice.opened).toBe(false);
  });

  it('FAIL through USB quotes the device', async () => {
    const device = new FastbootSimDevice({ diskSizeBytes: 8 * MiB });
    device.addFault({ on: 'download:', action: 'fail', message: 'not enough memory for download' });
    const { usb } = pageWith(device);
    const e = await failure(flashDisk(await requestFastbootDevice(usb), makeGptDisk(8).image));
    expect(e.problem).toBe(FlashProblem.DeviceFailed);
    expect(e.message).toContain('"not enough memory for download"');
    expect(e.detail['partial']).toBe(false);
  });
});
