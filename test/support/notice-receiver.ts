// A manager's webhook receiver for tests: verifies each delivery with the README's snippet, records the
// events it accepted in arrival order, and can be taken down (503) and brought back up.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkPoolflowWebhook } from './receiver-snippet';

export interface NoticeReceiver {
  url: string;
  /** Events accepted, in the order they arrived. */
  accepted: Array<{ id: string; type: string; poolId: string; data: Record<string, unknown> }>;
  /** Deliveries refused: a bad signature or a stale timestamp. */
  refused: number;
  /** Deliveries of an event already accepted. */
  repeats: number;
  /** While down, every delivery is answered 503. */
  down: boolean;
  attemptsWhileDown: number;
  secret: string;
  close(): Promise<void>;
}

async function rawBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startNoticeReceiver(): Promise<NoticeReceiver> {
  const receiver: Omit<NoticeReceiver, 'url' | 'close'> = { accepted: [], refused: 0, repeats: 0, down: false, attemptsWhileDown: 0, secret: '' };
  const server = createServer((req, res) => {
    void (async () => {
      const body = await rawBody(req);
      if (receiver.down) {
        receiver.attemptsWhileDown++;
        res.writeHead(503).end('down for maintenance');
        return;
      }
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
      const verdict = checkPoolflowWebhook(receiver.secret, headers, body);
      if (verdict === null) {
        receiver.refused++;
        res.writeHead(400).end('refused');
        return;
      }
      if (verdict === 'repeat') {
        receiver.repeats++;
        res.writeHead(204).end();
        return;
      }
      receiver.accepted.push(JSON.parse(body) as NoticeReceiver['accepted'][number]);
      res.writeHead(204).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/poolflow-events`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  });
}
