/** Fastboot flashing: the protocol client, the WebUSB transport, and whole-disk / partition flashes. */
export * from './errors.ts';
export * from './transport.ts';
export * from './fastboot.ts';
export * from './webusb.ts';
export * from './table-ranges.ts';
export * from './flash-image.ts';
