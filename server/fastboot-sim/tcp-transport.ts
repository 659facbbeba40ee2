/**
 * The host side of fastboot's TCP protocol v1 as a `FastbootTransport` (Node): what `fastboot -s
 * tcp:HOST:PORT` does, for tests and for a CLI `flash --tcp`. Handshake "FB01", then packets with an
 * 8-byte big-endian length in front.
 */
import { connect, type Socket } from 'node:net';
import { FlashError, FlashProblem } from '../../workers/flash/errors.ts';
import type { FastbootTransport } from '../../workers/flash/transport.ts';

export async function connectFastbootTcp(host: string, port: number, timeoutMs = 10_000): Promise<FastbootTransport> {
  const description = `tcp:${host}:${port}`;
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new FlashError(FlashProblem.Timeout, `${description} did not accept a connection within ${timeoutMs} ms.`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(new FlashError(FlashProblem.NoDevice, `Could not connect to ${description}: ${e.message}.`));
    });
  });
  const transport = new TcpTransport(socket, description);
  await transport.handshake(timeoutMs);
  return transport;
}

class TcpTransport implements FastbootTransport {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly packets: Uint8Array[] = [];
  private waiter: { resolve: () => void; reject: (e: FlashError) => void } | undefined;
  private ended: FlashError | undefined;
  private handshaken = false;

  constructor(
    private readonly socket: Socket,
    readonly description: string,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.end(new FlashError(FlashProblem.Disconnected, `${description} failed: ${e.message}.`)));
    socket.on('close', () => this.end(new FlashError(FlashProblem.Disconnected, `${description} closed the connection.`)));
  }

  async handshake(timeoutMs: number): Promise<void> {
    this.socket.write('FB01');
    const timer = setTimeout(() => this.end(new FlashError(FlashProblem.Timeout, `${this.description} did not answer the FB01 handshake.`)), timeoutMs);
    try {
      while (!this.handshaken) await this.wait();
    } finally {
      clearTimeout(timer);
    }
  }

  async send(data: Uint8Array): Promise<void> {
    if (this.ended) throw this.ended;
    const header = Buffer.alloc(8);
    header.writeBigUInt64BE(BigInt(data.length));
    const flushed = this.socket.write(Buffer.concat([header, data]));
    if (!flushed) await new Promise<void>((resolve) => this.socket.once('drain', () => resolve()));
  }

  async receive(): Promise<Uint8Array> {
    for (;;) {
      const packet = this.packets.shift();
      if (packet) return packet;
      if (this.ended) throw this.ended;
      await this.wait();
    }
  }

  async close(): Promise<void> {
    this.end(new FlashError(FlashProblem.Disconnected, `${this.description} was closed.`));
    this.socket.destroy();
  }

  private wait(): Promise<void> {
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve();
  }

  private end(error: FlashError): void {
    if (!this.ended) this.ended = error;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(this.ended);
  }

  private onData(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    if (!this.handshaken) {
      if (this.buffered.length < 4) return;
      const hello = this.buffered.subarray(0, 4).toString('latin1');
      if (!/^FB\d\d$/.test(hello)) {
        this.end(new FlashError(FlashProblem.Protocol, `${this.description} answered the handshake with "${hello}", not FBnn: not a fastboot device.`));
        this.socket.destroy();
        return;
      }
      this.handshaken = true;
      this.buffered = this.buffered.subarray(4);
    }
    while (this.buffered.length >= 8) {
      const length = Number(this.buffered.readBigUInt64BE(0));
      if (this.buffered.length < 8 + length) break;
      this.packets.push(new Uint8Array(this.buffered.subarray(8, 8 + length)));
      this.buffered = this.buffered.subarray(8 + length);
    }
    this.wake();
  }
}
