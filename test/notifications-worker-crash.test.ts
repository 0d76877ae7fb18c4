// A worker killed (SIGKILL) while its emails are in flight — the SMTP server has taken the connection
// and not yet greeted — sends nothing then; a new worker process takes the delivery activities over once
// they time out, and each member receives exactly one mail per notice (checked in the mail catcher).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { poolStateQuery } from '../workflows/pools/pool';
import { startDevPoolHarness, type DevPoolHarness } from './support/dev-pool-harness';
import { testConfig, uniqueId } from './support/env';
import { eventually } from './support/eventually';
import { mailsTo } from './support/mail-catcher';
import { activate, joinAll } from './support/pool-harness';
import { startSmtpHoldProxy, type SmtpHoldProxy } from './support/smtp-hold-proxy';
import { removeSharedBundle, startWorkerProcess, type TestProcess } from './support/worker-process';

const MEMBERS = 2;
/** Longer than it takes to see the connections held and kill the worker; shorter than SMTP's greeting timeout. */
const HOLD_MS = 12_000;
/** EMAIL_ACTIVITY's 30 s start-to-close timeout, then a 5 s backoff, must pass before the retry. */
const AFTER_CRASH_TIMEOUT_MS = 120_000;

describe('a worker killed in the middle of sending email', () => {
  let h: DevPoolHarness;
  let proxy: SmtpHoldProxy;
  const workers: TestProcess[] = [];

  before(async () => {
    h = await startDevPoolHarness({ worker: false });
    proxy = await startSmtpHoldProxy(testConfig.smtpUrl, { holdCount: MEMBERS, holdMs: HOLD_MS });
  });
  after(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((worker) => worker.exited));
    await proxy?.close();
    await h?.close();
    await removeSharedBundle();
  });

  const startWorker = async () => {
    const worker = await startWorkerProcess({
      TEMPORAL_ADDRESS: h.address,
      POOLS_TASK_QUEUE: h.taskQueue,
      STRIPE_API_URL: h.kit.sandbox.url,
      STRIPE_SECRET_KEY: h.kit.secretKey,
      REDIS_KEY_PREFIX: `${uniqueId('crash')}:`,
      NOTIFICATIONS_SMTP_URL: proxy.url,
    });
    workers.push(worker);
    return worker;
  };

  test('each member still gets exactly one mail of the pool’s activation', { timeout: 240_000 }, async () => {
    const members = await Promise.all(Array.from({ length: MEMBERS }, () => h.member()));
    const first = await startWorker();
    const handle = await h.startPool({
      kind: 'rotating',
      name: 'Crash mail pool',
      currency: 'usd',
      cadence: { type: 'monthly', dayOfMonth: 28, hourUtc: 3 },
      membersMin: MEMBERS,
      membersMax: MEMBERS,
      contributionMinor: 5_000,
    });
    const poolId = (await handle.query(poolStateQuery)).poolId;
    await joinAll(handle, members);
    await activate(handle);

    await eventually('both emails held at the SMTP server', async () => (proxy.held === MEMBERS ? true : undefined), 60_000);
    first.child.kill('SIGKILL');
    assert.equal(await first.exited, 'SIGKILL');
    const claimed = await h.db.query<{ status: string }>(`SELECT status FROM notification_deliveries WHERE pool_id = $1 AND type = 'pool.activated'`, [poolId]);
    assert.deepEqual(
      claimed.rows.map((r) => r.status),
      ['sending', 'sending'],
      'the worker died with both deliveries claimed and unsent',
    );

    await startWorker();
    const sent = await eventually(
      'the deliveries sent by the new worker',
      async () => {
        const { rows } = await h.db.query<{ recipient_id: string; status: string; attempts: bigint }>(
          `SELECT recipient_id, status, attempts FROM notification_deliveries WHERE pool_id = $1 AND type = 'pool.activated' ORDER BY recipient_id`,
          [poolId],
        );
        return rows.length === MEMBERS && rows.every((r) => r.status === 'sent') ? rows : undefined;
      },
      AFTER_CRASH_TIMEOUT_MS,
    );
    assert.ok(
      sent.every((r) => r.attempts === 2n),
      'each was sent on its second attempt',
    );
    for (const memberId of members) {
      const mails = (await mailsTo(`${memberId}@example.com`)).filter((mail) => mail.deliveryKey?.includes(`pool.activated:${poolId}`));
      assert.equal(mails.length, 1, `${memberId} received one activation mail`);
      assert.equal(mails[0]!.subject, 'Crash mail pool has started');
    }
  });
});
