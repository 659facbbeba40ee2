/**
 * The simulator over fastboot's TCP protocol v1 (AOSP fastboot/README.md "TCP Protocol v1"; what
 * `fastboot -s tcp:HOST:PORT` speaks): both sides send "FB" + two ASCII digits of version, then every
 * fastboot packet travels as an 8-byte big-endian length followed by the packet. Listens on
 * 127.0.0.1 only.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { FastbootSimDevice } from './device.ts';

export const FASTBOOT_TCP_HANDSHAKE = 'FB01';

export interface FastbootTcpServer {
  port: number;
  /** Stop listening and drop every connection. */
  close(): Promise<void>;
}

export async function startFastbootTcpServer(device: FastbootSimDevice, port = 0): Promise<FastbootTcpServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    serveConnection(device, socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the fastboot simulator got no TCP port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function serveConnection(device: FastbootSimDevice, socket: Socket): void {
  let buffered: Buffer = Buffer.alloc(0);
  let handshaken = false;
  const session = device.session({
    reply: (packet) => {
      if (socket.destroyed) return;
      const header = Buffer.alloc(8);
      header.writeBigUInt64BE(BigInt(packet.length));
      socket.write(Buffer.concat([header, packet]));
    },
    disconnect: () => socket.end(),
  });
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    if (!handshaken) {
      if (buffered.length < 4) return;
      const hello = buffered.subarray(0, 4).toString('latin1');
      if (!/^FB\d\d$/.test(hello) || Number(hello.slice(2)) < 1) {
        socket.destroy();
        return;
      }
      socket.write(FASTBOOT_TCP_HANDSHAKE);
      handshaken = true;
      buffered = buffered.subarray(4);
    }
    while (buffered.length >= 8) {
      const length = Number(buffered.readBigUInt64BE(0));
      if (buffered.length < 8 + length) {
        // Long data messages: hand over what has arrived so far, so a download is not buffered twice.
        if (length > 65536 && buffered.length > 8) {
          const part = buffered.subarray(8);
          session.handle(new Uint8Array(part));
          const header = Buffer.alloc(8);
          header.writeBigUInt64BE(BigInt(length - part.length));
          buffered = header;
        }
        return;
      }
      const packet = new Uint8Array(buffered.subarray(8, 8 + length));
      buffered = buffered.subarray(8 + length);
      session.handle(packet);
    }
  });
}
