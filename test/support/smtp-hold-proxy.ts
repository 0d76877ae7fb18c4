// A TCP proxy in front of the mail catcher's SMTP port that holds the first `holdCount` connections
// before connecting them through: an SMTP server slow to greet, so a test can kill a worker while an
// email is in flight. A held connection whose client goes away is dropped without reaching the catcher.
import { createConnection, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface SmtpHoldProxy {
  url: string;
  /** Connections accepted so far, and how many of them were held. */
  connections: number;
  held: number;
  close(): Promise<void>;
}

export async function startSmtpHoldProxy(upstreamUrl: string, options: { holdCount: number; holdMs: number }): Promise<SmtpHoldProxy> {
  const upstream = new URL(upstreamUrl);
  const sockets = new Set<Socket>();
  const state = { connections: 0, held: 0 };
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    state.connections++;
    const hold = state.held < options.holdCount;
    if (hold) state.held++;
    const connect = () => {
      if (client.destroyed) return;
      const server = createConnection({ host: upstream.hostname, port: Number(upstream.port) });
      sockets.add(server);
      server.on('close', () => sockets.delete(server));
      server.on('error', () => client.destroy());
      client.on('close', () => server.destroy());
      client.pipe(server).pipe(client);
    };
    // A held client's bytes wait in the socket until it is connected through (or gone).
    client.pause();
    setTimeout(
      () => {
        client.resume();
        connect();
      },
      hold ? options.holdMs : 0,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `smtp://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
}
