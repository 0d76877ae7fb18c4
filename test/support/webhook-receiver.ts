// An HTTP endpoint for the Stripe sandbox's signed webhook deliveries: verifies each one over the raw
// body, as POST /v1/webhooks/stripe does, and hands the event to the real webhook router
// (payments/webhook-router.ts), which stores it and signals the workflow waiting for it.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Stripe } from '../../payments/stripe-client';
import type { WebhookRouter } from '../../payments/webhook-router';

export interface WebhookReceiver {
  url: string;
  /** Events accepted so far, by type. */
  received: Map<string, number>;
  close(): Promise<void>;
}

async function rawBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startWebhookReceiver(deps: { stripe: Stripe; secret: string; router: WebhookRouter }): Promise<WebhookReceiver> {
  const received = new Map<string, number>();
  const server = createServer((req, res) => {
    void (async () => {
      const body = await rawBody(req);
      let event: Awaited<ReturnType<Stripe['webhooks']['constructEventAsync']>>;
      try {
        event = await deps.stripe.webhooks.constructEventAsync(body, req.headers['stripe-signature'] ?? '', deps.secret);
      } catch {
        res.writeHead(400).end('bad signature');
        return;
      }
      try {
        await deps.router.ingest(event);
        received.set(event.type, (received.get(event.type) ?? 0) + 1);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"received":true}');
      } catch (error) {
        // The sandbox retries a delivery that failed, as Stripe does.
        res.writeHead(500).end(error instanceof Error ? error.message : String(error));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/webhooks/stripe`,
    received,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // The sandbox keeps its connections alive; they would hold close() open.
        server.closeAllConnections();
      }),
  };
}
