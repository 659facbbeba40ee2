/** Bundled (esbuild, IIFE) into a real Chromium page by server/fastboot-sim/webusb-browser.test.ts. */
export { flashDisk, readDeviceInfo } from '../flash-image.ts';
export { requestFastbootDevice } from '../webusb.ts';
export { makeGptDisk } from './disk.ts';
