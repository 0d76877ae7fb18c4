// Deliveries that keep failing, on the time-skipping server (retry backoff is skipped time): an email
// whose SMTP server never answers is retried with backoff and then recorded as failed for operations;
// a webhook endpoint that fails every attempt is disabled, with the reason in its delivery log.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { listDeliveries } from '../../db/notifications/deliveries';
import { findEndpoint, insertEndpoint, listEndpointDeliveries } from '../../db/notifications/webhooks';
import { EMAIL_ATTEMPTS_MAX, WEBHOOK_ATTEMPTS_MAX } from '../../temporal-config/notifications';
import { uniqueId } from '../../test/support/env';
import { activate, joinAll, rotatingPool, startPoolHarness, type PoolHarness } from '../../test/support/pool-harness';
import { poolStateQuery } from '../pools/pool';

const HOUR_MS = 3_600_000;
/** Both retry schedules end within this much skipped time (about two and five hours). */
const SKIP_MAX_MS = 12 * HOUR_MS;

describe('deliveries that keep failing', () => {
  let h: PoolHarness;
  let attempts = 0;
  const failing = createServer((_req, res) => {
    attempts++;
    res.writeHead(500).end('broken');
  });

  before(async () => {
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    // Nothing listens on port 1: every SMTP connection is refused at once.
    h = await startPoolHarness({}, { notifications: { smtpUrl: 'smtp://127.0.0.1:1' } });
  });
  after(async () => {
    await h.close();
    failing.closeAllConnections();
    await new Promise<void>((resolve) => failing.close(() => resolve()));
  });

  /** Skips server time an hour at a time until `done` holds. */
  const skipUntil = async (done: () => Promise<boolean>) => {
    const { testService } = h.client.connection as Connection;
    for (let skipped = 0; skipped <= SKIP_MAX_MS; skipped += HOUR_MS) {
      if (await done()) return;
      await testService!.unlockTimeSkippingWithSleep({ duration: msToTs(HOUR_MS) });
    }
    assert.fail(`not done after ${SKIP_MAX_MS / HOUR_MS} hours of skipped time`);
  };

  test('an undeliverable email is retried with backoff, then shown to operations as failed; a failing endpoint is disabled', async () => {
    const { port } = failing.address() as AddressInfo;
    const managerId = uniqueId('mgr');
    const endpoint = await insertEndpoint(h.db, {
      managerId,
      url: `http://127.0.0.1:${port}/hook`,
      eventTypes: ['pool.activated'],
      secret: 'whsec_test_failing',
    });
    const members = await Promise.all([h.member(), h.member()]);
    const handle = await h.startPool(rotatingPool(2), { managerId });
    const { poolId } = await handle.query(poolStateQuery);
    await joinAll(handle, members);
    await activate(handle);

    await skipUntil(async () => (await listDeliveries(h.db, { status: 'failed', poolId, limit: 10 })).length === members.length);
    const failed = await listDeliveries(h.db, { status: 'failed', poolId, limit: 10 });
    assert.deepEqual(failed.map((d) => d.recipientId).sort(), [...members].sort());
    for (const delivery of failed) {
      assert.equal(delivery.type, 'pool.activated');
      assert.equal(delivery.attempts, EMAIL_ATTEMPTS_MAX, 'every attempt was made');
      assert.match(delivery.lastError ?? '', /ECONNREFUSED/);
    }

    await skipUntil(async () => (await findEndpoint(h.db, endpoint.endpointId))?.status === 'disabled');
    const disabled = await findEndpoint(h.db, endpoint.endpointId);
    assert.match(disabled!.disabledReason ?? '', /persistent delivery failure: .*HTTP 500/);
    const [delivery] = await listEndpointDeliveries(h.db, endpoint.endpointId, { limit: 10 });
    assert.deepEqual([delivery!.status, delivery!.attempts, delivery!.lastStatusCode], ['failed', WEBHOOK_ATTEMPTS_MAX, 500]);
    assert.equal(attempts, WEBHOOK_ATTEMPTS_MAX);
  });
});
