// Notices of pools on the time-skipping server, delivered for real: the feed in PostgreSQL and every
// email through SMTP into the test stack's mail catcher. Reminders at the pool's lead times, once each;
// a declined contribution told in order (failure, dunning, suspension); a paused pool reminds no one.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { msToTs } from '@temporalio/common/lib/time';
import type { Connection } from '@temporalio/client';
import { putPreferences, putReminderLeadHours } from '../../db/notifications/preferences';
import { nextDueAtMs } from '../../domain/notifications/reminders';
import { workflowIds } from '../../temporal-config/workflow-ids';
import { uniqueId } from '../../test/support/env';
import { eventually } from '../../test/support/eventually';
import { mailsTo } from '../../test/support/mail-catcher';
import { activate, joinAll, rotatingPool, startPoolHarness, waitForRound, waitForView, type PoolHarness } from '../../test/support/pool-harness';
import { pausePoolUpdate, poolStateQuery, roundDueSignal } from '../pools/pool';
import { poolNoticesQuery } from './pool-notices';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

describe('pool notices', () => {
  let h: PoolHarness;
  before(async () => (h = await startPoolHarness({}, { notifications: {} })));
  after(async () => h.close());

  const serverNowMs = async () => {
    const { testService } = h.client.connection as Connection;
    const { time } = await testService!.getCurrentTime({});
    return Number(time!.seconds) * 1000 + Math.floor((time!.nanos ?? 0) / 1e6);
  };
  /** Skips server time in steps of at most a day, so no timer is overshot while workers catch up. */
  const skip = async (totalMs: number) => {
    const { testService } = h.client.connection as Connection;
    for (let done = 0; done < totalMs; done += DAY_MS) await testService!.unlockTimeSkippingWithSleep({ duration: msToTs(Math.min(DAY_MS, totalMs - done)) });
  };
  /** Waits until the pool's notices workflow has delivered everything it has queued. */
  const drained = (poolId: string) =>
    eventually(
      `the notices of ${poolId} delivered`,
      async () => ((await h.client.workflow.getHandle(workflowIds.poolNotices(poolId)).query(poolNoticesQuery)).queued === 0 ? true : undefined),
      60_000,
    );

  const feed = async (poolId: string, recipientId: string) => {
    const { rows } = await h.db.query<{ type: string; notice_key: string; occurred_at: Date }>(
      'SELECT type, notice_key, occurred_at FROM notifications WHERE pool_id = $1 AND recipient_id = $2 ORDER BY created_at, notice_key',
      [poolId, recipientId],
    );
    return rows;
  };
  const emails = async (poolId: string, recipientId: string, type?: string) => {
    const { rows } = await h.db.query<{ type: string; notice_key: string; status: string; attempts: bigint; occurred_at: Date }>(
      `SELECT type, notice_key, status, attempts, occurred_at FROM notification_deliveries WHERE pool_id = $1 AND recipient_id = $2 AND ($3::text IS NULL OR type = $3)
       ORDER BY sent_at, delivery_key`,
      [poolId, recipientId, type ?? null],
    );
    return rows;
  };

  test('a monthly pool reminds each member at the configured lead times, once each', async () => {
    const members = await Promise.all([h.member(), h.member(), h.member()]);
    const handle = await h.startPool(rotatingPool(3, { cadence: { type: 'monthly', dayOfMonth: 5, hourUtc: 9 } }), { managerId: uniqueId('mgr') });
    const { poolId } = await handle.query(poolStateQuery);
    await putReminderLeadHours(h.db, poolId, [72, 6]);
    await joinAll(handle, members);
    await activate(handle);
    const activatedAtMs = await serverNowMs();

    const firstDue = nextDueAtMs({ type: 'monthly', dayOfMonth: 5, hourUtc: 9 }, activatedAtMs);
    const secondDue = nextDueAtMs({ type: 'monthly', dayOfMonth: 5, hourUtc: 9 }, firstDue);
    await skip(secondDue - activatedAtMs + HOUR_MS);
    await drained(poolId);

    const expected = [firstDue - 72 * HOUR_MS, firstDue - 6 * HOUR_MS, secondDue - 72 * HOUR_MS, secondDue - 6 * HOUR_MS].filter(
      (atMs) => atMs > activatedAtMs,
    );
    for (const memberId of members) {
      const reminders = (await feed(poolId, memberId)).filter((row) => row.type === 'contribution.due_soon');
      // Workflow time: the timer fires at the lead time, the worker takes a few milliseconds to act on it.
      const minute = (ms: number) => Math.floor(ms / 60_000);
      assert.deepEqual(
        reminders.map((row) => minute(row.occurred_at.getTime())),
        expected.map(minute),
        'one reminder per lead time, sent at that time',
      );
      const sent = await emails(poolId, memberId, 'contribution.due_soon');
      assert.deepEqual(
        sent.map((row) => [row.status, row.attempts]),
        expected.map(() => ['sent', 1n]),
      );
      const mails = (await mailsTo(`${memberId}@example.com`)).filter((mail) => mail.subject.includes('contribution is due'));
      assert.equal(mails.length, expected.length, 'the mail catcher holds each reminder exactly once');
      assert.match(mails[0]!.text, /\$100\.00/);
    }
  });

  test('a declined contribution is told in order: the failure, each dunning retry, then the suspension', async () => {
    const [a, b] = await Promise.all([h.member(), h.member()]);
    const late = await h.member('pm_card_chargeDeclined');
    const manager = uniqueId('mgr');
    const handle = await h.startPool(rotatingPool(3, { lateFeeMinor: 500, defaultPolicy: 'suspend', dunningRetryHours: [24, 48], gracePeriodHours: 72 }), {
      managerId: manager,
    });
    const { poolId } = await handle.query(poolStateQuery);
    await joinAll(handle, [a!, b!, late]);
    await activate(handle);
    await handle.signal(roundDueSignal);
    await waitForView(handle, (v) => v.roundInProgress === 1);
    await waitForRound(handle, 1);
    await drained(poolId);

    const told = (await emails(poolId, late)).filter((row) => row.type !== 'contribution.due_soon');
    assert.deepEqual(
      told.map((row) => row.type),
      ['pool.activated', 'payment.failed', 'payment.failed', 'payment.failed', 'member.suspended'],
    );
    assert.deepEqual(
      told.slice(1, 4).map((row) => row.notice_key),
      ['contribution', 'dunning-1', 'dunning-2'].map((purpose) => `payment.failed:${poolId}:1:${late}:${purpose}`),
    );
    assert.ok(told.every((row) => row.status === 'sent' && row.attempts === 1n));

    const mails = (await mailsTo(`${late}@example.com`)).map((mail) => mail.subject);
    assert.deepEqual(mails.slice(-4), [
      'Test circle: your payment failed',
      'Test circle: your payment failed',
      'Test circle: your payment failed',
      'Test circle: you are suspended',
    ]);
    const [first] = (await mailsTo(`${late}@example.com`)).filter((mail) => mail.deliveryKey?.endsWith(':contribution'));
    assert.match(first!.text, /We will try again on .* adding a late fee of \$5\.00/);
    assert.match(first!.text, /you are suspended until your arrears are paid/);
    const [last] = (await mailsTo(`${late}@example.com`)).filter((mail) => mail.deliveryKey?.endsWith(':dunning-2'));
    assert.match(last!.text, /no further retries/);

    // The manager hears of the suspension in their feed; the members who paid are told so.
    assert.ok((await feed(poolId, manager)).some((row) => row.type === 'member.suspended'));
    for (const paid of [a!, b!]) assert.ok((await emails(poolId, paid)).some((row) => row.type === 'payment.succeeded' && row.status === 'sent'));

    // The next morning the manager's digest names the suspended member and their arrears.
    await putPreferences(h.db, { subjectId: manager, language: 'en', emailEnabled: true, muteReminders: false, email: `${manager}@example.com` });
    await skip(DAY_MS);
    const digest = await eventually(
      'the manager’s digest',
      async () => {
        const { rows } = await h.db.query<{ data: { details: string[] }; body: string }>(
          `SELECT data, body FROM notifications WHERE recipient_id = $1 AND type = 'manager.digest' ORDER BY created_at DESC LIMIT 1`,
          [manager],
        );
        return rows[0];
      },
      60_000,
    );
    assert.ok(
      digest.data.details.some((line) => line.includes(`${late}*`)),
      JSON.stringify(digest.data),
    );
    const mail = await eventually(
      'the digest mail',
      async () => (await mailsTo(`${manager}@example.com`)).find((m) => m.subject.startsWith('Daily digest') && m.text.includes(late)),
      30_000,
    );
    assert.match(mail.text, new RegExp(`${late}\\*`));
  });

  test('a whole pool, start to finish, leaves each member’s mails in their language in the mail catcher', async () => {
    const members = await Promise.all([h.member(), h.member(), h.member()]);
    const [english, spanish, muted] = members as [string, string, string];
    await putPreferences(h.db, { subjectId: spanish, language: 'es', emailEnabled: true, muteReminders: false, email: null });
    await putPreferences(h.db, { subjectId: muted, language: 'es', emailEnabled: true, muteReminders: true, email: null });
    const handle = await h.startPool(rotatingPool(3, { currency: 'jpy', contributionMinor: 5_000, platformFeeBps: 0 }), { managerId: uniqueId('mgr') });
    const { poolId } = await handle.query(poolStateQuery);
    await joinAll(handle, members);
    await activate(handle);
    for (let round = 1; round <= 3; round++) await h.runRound(handle);
    await waitForView(handle, (v) => v.status === 'completed');
    await drained(poolId);

    const typeOf = (deliveryKey: string | null) => deliveryKey!.split(':')[2]!;
    for (const [memberId, language] of [
      [english, 'en'],
      [spanish, 'es'],
      [muted, 'es'],
    ] as const) {
      const mails = (await mailsTo(`${memberId}@example.com`)).filter((mail) => mail.deliveryKey?.includes(`:${poolId}`));
      const notices = mails.map((mail) => typeOf(mail.deliveryKey)).filter((type) => type !== 'contribution.due_soon');
      assert.deepEqual(
        notices.sort(),
        ['payment.succeeded', 'payment.succeeded', 'payment.succeeded', 'payout.sent', 'pool.activated', 'pool.completed'],
        memberId,
      );
      assert.ok(
        mails.every((mail) => mail.language === language && mail.html.includes(`<html lang="${language}">`)),
        `${memberId} reads ${language}`,
      );
      const received = mails.find((mail) => typeOf(mail.deliveryKey) === 'payment.succeeded')!;
      assert.equal(received.subject, language === 'en' ? 'Test circle: payment received' : 'Test circle: pago recibido');
      // Amounts in the member's locale, in whole yen (a zero-decimal currency); Intl separates with a no-break space.
      assert.match(received.text.replace(/\u00a0/g, ' '), language === 'en' ? /of ¥5,000 for round [123] / : /de 5000 JPY para la ronda [123] /);
      const payout = mails.find((mail) => typeOf(mail.deliveryKey) === 'payout.sent')!;
      assert.match(payout.subject.replace(/\u00a0/g, ' '), language === 'en' ? /¥15,000 is on its way/ : /15\.000 JPY en camino/);
    }
    // A muted member's reminders stay in their feed but never become mail; the pool's other notices do.
    const mutedMails = (await mailsTo(`${muted}@example.com`)).filter((mail) => mail.deliveryKey?.includes(`:${poolId}`));
    assert.ok(mutedMails.every((mail) => typeOf(mail.deliveryKey) !== 'contribution.due_soon'));
  });

  test('a paused pool sends no reminder; nor does a resumed one for a time already past', async () => {
    const members = await Promise.all([h.member(), h.member()]);
    const handle = await h.startPool(rotatingPool(2, { cadence: { type: 'monthly', dayOfMonth: 12, hourUtc: 9 } }), { managerId: uniqueId('mgr') });
    const { poolId } = await handle.query(poolStateQuery);
    await joinAll(handle, members);
    await activate(handle);
    await handle.executeUpdate(pausePoolUpdate, { args: [{ reason: 'holidays' }] });
    await skip(70 * DAY_MS);
    await drained(poolId);
    for (const memberId of members) {
      const types = (await feed(poolId, memberId)).map((row) => row.type);
      assert.deepEqual(types, ['pool.activated', 'pool.paused']);
      assert.deepEqual((await emails(poolId, memberId, 'contribution.due_soon')).length, 0);
    }
  });
});
