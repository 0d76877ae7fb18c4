// A TCP proxy in front of one of the stack's servers (PostgreSQL, Redis, Temporal) whose outage a test
// controls: `cut` drops every open connection and then either refuses new ones (a server restarting)
// or accepts and never answers them (a server hung); `restore` resets what it swallowed, as the server
// coming back would, and lets traffic through again.
import { connect, createServer, type Server, type Socket } from 'node:net';

export type OutageKind = 'refuse' | 'blackhole';

export interface FaultProxy {
  /** host:port of the proxy. */
  address: string;
  port: number;
  cut(kind?: OutageKind): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(targetHost: string, targetPort: number): Promise<FaultProxy> {
  const sockets = new Set<Socket>();
  let outage: OutageKind | null = null;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  };
  const swallowed = new Set<Socket>();
  const server: Server = createServer((client) => {
    track(client);
    if (outage === 'refuse') return void client.destroy();
    if (outage === 'blackhole') {
      // Whatever the client sends is swallowed until the outage ends, when the connection is reset.
      swallowed.add(client);
      return;
    }
    const upstream = connect(targetPort, targetHost);
    track(upstream);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    address: `127.0.0.1:${port}`,
    port,
    cut(kind = 'refuse') {
      outage = kind;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      outage = null;
      for (const socket of swallowed) socket.destroy();
      swallowed.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
