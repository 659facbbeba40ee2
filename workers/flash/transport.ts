/**
 * What the fastboot client needs from a connection: packets out, packets in. WebUSB (webusb.ts),
 * TCP (server/fastboot-sim/tcp-transport.ts, Node) and the test simulator implement it; a transport
 * living in another thread can be handed over as a comlink proxy, since every method is async.
 *
 * Transports report failures as `FlashError`s (`disconnected`, `device-busy`, …). Timeouts and
 * aborts are the client's job: it races `receive()` and closes the transport when one fires.
 */
export interface FastbootTransport {
  /** Send one packet: a command (≤ 64 bytes) or a piece of download data. */
  send(data: Uint8Array): Promise<void>;
  /** The next reply packet from the device (≤ 256 bytes: OKAY/FAIL/INFO/TEXT/DATA + text). */
  receive(): Promise<Uint8Array>;
  /** Release the device; pending `receive()`s reject with `disconnected`. Safe to call twice. */
  close(): Promise<void>;
  /** Human name for messages ("Pixel 7 (fastboot, USB)", "tcp:127.0.0.1:5554"). */
  readonly description: string;
}
