// The Temporal Web UI, opened in a real headless Chromium, shows a pool's input decoded through the
// codec server (the ops token in its configured endpoint), while the stored payload stays encrypted.
// The screenshot is kept as .data/artifacts/web-ui-decoded-input.png.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { serve, type ServerType } from '@hono/node-server';
import { createCodecServer } from '../codec-server/app';
import { keyringFromEnv } from '../temporal-config/data-converter';
import { AesGcmPayloadCodec } from '../temporal-config/payload-codec';
import { startDevPoolHarness, type DevPoolHarness } from './support/dev-pool-harness';
import { openBrowser } from './support/headless-browser';
import { freePort, startOwnDevServer, type OwnDevServer } from './support/own-dev-server';

const ARTIFACTS = fileURLToPath(new URL('../.data/artifacts/', import.meta.url));
/** The Web UI loads, fetches the history and calls the codec server within this long, even on a loaded machine. */
const PAGE_TIMEOUT_MS = 60_000;

describe('the Web UI decodes payloads through the codec server', () => {
  const token = randomBytes(24).toString('hex');
  let server: OwnDevServer;
  let codecServer: ServerType;
  let h: DevPoolHarness;

  before(async () => {
    const [codecPort, uiPort] = [await freePort(), await freePort()];
    const app = createCodecServer({ codec: new AesGcmPayloadCodec(keyringFromEnv()), token, allowedOrigins: [`http://localhost:${uiPort}`] });
    codecServer = serve({ fetch: app.fetch, port: codecPort, hostname: '127.0.0.1' });
    server = await startOwnDevServer({ ui: { port: uiPort, codecEndpoint: `http://localhost:${codecPort}/ops/${token}` } });
    h = await startDevPoolHarness({ address: server.address });
  });
  after(async () => {
    await h?.close();
    await server?.stop();
    codecServer?.close();
  });

  test("a pool's page shows its decoded input, and the screenshot is kept", async () => {
    const seed = `visible-seed-${randomBytes(4).toString('hex')}`;
    const handle = await h.startPool(
      {
        kind: 'rotating',
        name: 'Browser circle',
        currency: 'usd',
        cadence: { type: 'monthly', dayOfMonth: 1, hourUtc: 9 },
        membersMin: 2,
        membersMax: 2,
        contributionMinor: 4_321,
      },
      { seed },
    );
    const url = `${server.uiUrl}/namespaces/default/workflows/${encodeURIComponent(handle.workflowId)}/${handle.firstExecutionRunId}/history`;

    const browser = await openBrowser();
    try {
      // The seed and the pool's name are only inside the encrypted input: the UI shows them only decoded.
      await browser.openAndWaitForText(url, [seed, 'Browser circle'], PAGE_TIMEOUT_MS);
      await mkdir(ARTIFACTS, { recursive: true });
      await writeFile(`${ARTIFACTS}web-ui-decoded-input.png`, await browser.screenshot());
    } finally {
      await browser.close();
    }
  });
});
