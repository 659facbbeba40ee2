/** The fastboot device simulator (tests): the device, its TCP server, a TCP client transport, the WebUSB stand-in. */
export * from './device.ts';
export * from './tcp-server.ts';
export * from './tcp-transport.ts';
export * from './webusb-standin.ts';
