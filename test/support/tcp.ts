import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** Network faults between the product and a real server, on 127.0.0.1. */

export interface SilentServer {
  port: number;
  close(): Promise<void>;
}

/** Accepts TCP connections and never sends a byte: a host that hangs instead of refusing. */
export async function silentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface TcpProxy {
  port: number;
  /** Stop passing the server's answers on; connections stay open (a network black hole). */
  freeze(): void;
  /** Drop every connection and refuse new ones (the server went down). */
  down(): Promise<void>;
  /** Listen again on the same port (the server is back). */
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function tcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let frozen = false;
  const sockets = new Set<Socket>();
  const server = createServer((downstream) => {
    const upstream = connect(targetPort, targetHost);
    sockets.add(downstream).add(upstream);
    downstream.on('error', () => undefined);
    upstream.on('error', () => undefined);
    downstream.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (!frozen) downstream.write(chunk);
    });
    downstream.on('close', () => {
      sockets.delete(downstream);
      upstream.destroy();
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      downstream.destroy();
    });
  });
  const listen = (port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  const down = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });
  return {
    port,
    freeze: () => {
      frozen = true;
    },
    down,
    up: async () => {
      frozen = false;
      await listen(port);
    },
    close: down,
  };
}

/** A TCP port free on 127.0.0.1 right now (for a child process that must be told its port). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
