/**
 * Put the fastboot simulator behind `navigator.usb` in a Playwright page: the page's WebUSB calls
 * cross `page.exposeBinding` to a `SimUsbPort` in the test process, so a spec can flash from the app
 * and then read `device.diskBytes()` / `device.writes`.
 *
 *   const device = new FastbootSimDevice({ diskSizeBytes: 64 << 20, maxDownloadBytes: 1 << 20 });
 *   const port = await installFastbootSim(page, device);   // before page.goto
 *   … click "Flash device", pick the device (requestDevice resolves at once) …
 *   expect(device.diskBytes()).toEqual(builtImageBytes);
 */
import type { Page } from '@playwright/test';
import type { FastbootSimDevice } from '../../server/fastboot-sim/device.ts';
import { FASTBOOT_SIM_BINDING, fakeWebUsbInitScript, SimUsbPort, simUsbBindingHandler, type SimUsbPortOptions } from '../../server/fastboot-sim/webusb-standin.ts';

export async function installFastbootSim(page: Page, device: FastbootSimDevice, options: SimUsbPortOptions = {}): Promise<SimUsbPort> {
  const port = new SimUsbPort(device, options);
  const handler = simUsbBindingHandler(port);
  await page.exposeBinding(FASTBOOT_SIM_BINDING, (_source, op: string, arg: string) => handler(op, arg));
  await page.addInitScript(fakeWebUsbInitScript(FASTBOOT_SIM_BINDING));
  return port;
}
