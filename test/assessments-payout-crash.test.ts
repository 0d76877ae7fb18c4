// A funded trader's payout with the assessments worker killed (SIGKILL) while Stripe holds the transfer:
// a second worker finishes the saga, and the trader is paid exactly once — one Stripe transfer, one
// posted ledger reservation, the fee refunded with the first payout as the tier says — and asking again
// finds nothing left to pay.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { assessmentChart } from '../activities/assessments/money';
import { getBalances } from '../db/ledger/accounts';
import { listPayouts } from '../db/assessments/payouts';
import { parseCurrency } from '../domain/core/money';
import { startAssessmentHarness, startAssessmentsWorkerProcess, type AssessmentHarness } from './support/assessment-harness';
import { eventually } from './support/eventually';

/** Long enough to kill the worker while Stripe holds the transfer. */
const TRANSFER_HOLD_MS = 4_000;

describe('a funded payout with the worker killed mid-saga', () => {
  let h: AssessmentHarness;
  const children: Array<{ child: ChildProcess }> = [];

  before(async () => {
    h = await startAssessmentHarness({ monitor: false, worker: false });
  });
  after(async () => {
    for (const worker of children) worker.child.kill('SIGKILL');
    await h.close();
  });

  test('is paid exactly once', { timeout: 240_000 }, async () => {
    const first = await startAssessmentsWorkerProcess(h);
    children.push(first);
    const traderId = await h.trader();
    const account = await h.call<{ accountId: string }>('POST', '/v1/traders/me/payout-account', traderId, 'trader', {
      returnUrl: 'https://example.com/done',
      refreshUrl: 'https://example.com/again',
    });
    assert.equal(account.status, 201, JSON.stringify(account.body));
    await h.kit.control.onboardAccount(account.body.accountId);

    const bought = await h.call<{ assessment: { assessmentId: string } }>('POST', '/v1/assessments', traderId, 'trader', {
      tier: 'two-step-100k',
      displayName: 'Funded F',
    });
    const { assessmentId } = bought.body.assessment;
    await h.waitFor(assessmentId, (row) => row.status === 'active');
    // Ops pass the challenge and the verification (audited), reaching the funded phase.
    for (const phase of [1, 2]) {
      const passed = await h.call('POST', `/v1/assessments/${assessmentId}/ops-actions`, 'ops-1', 'ops', {
        action: 'override-pass',
        reason: `desk review ${phase}`,
      });
      assert.equal(passed.status, 200, JSON.stringify(passed.body));
    }
    await h.waitFor(assessmentId, (row) => row.phaseIndex === 2);

    // +2,000 USD a coin, less spread (10) and commissions (2 × 3): 1,984 USD profit; 80 % is 1,587.20.
    await h.tick('BTC-USD', '64000');
    const opened = await h.call<{ fill: { fillId: string } }>('POST', `/v1/assessments/${assessmentId}/orders`, traderId, 'trader', {
      action: 'open',
      symbol: 'BTC-USD',
      side: 'long',
      quantity: '1',
    });
    assert.equal(opened.status, 201, JSON.stringify(opened.body));
    await h.tick('BTC-USD', '66000');
    const closed = await h.call('POST', `/v1/assessments/${assessmentId}/orders`, traderId, 'trader', { action: 'close', positionId: opened.body.fill.fillId });
    assert.equal(closed.status, 201, JSON.stringify(closed.body));

    await h.kit.control.addFault({
      kind: 'latency',
      method: 'POST',
      pathPrefix: '/v1/transfers',
      secretKey: h.kit.secretKey,
      times: 1,
      holdMs: TRANSFER_HOLD_MS,
    });
    const payout = h.call<{ status: string; splitMinor: string; feeRefundMinor: string; transferId: string }>(
      'POST',
      `/v1/assessments/${assessmentId}/payouts`,
      traderId,
      'trader',
    );
    // The reservation is written, and the transfer is held at Stripe: kill the worker now.
    await eventually('the payout to be reserved', async () => ((await listPayouts(h.db, assessmentId)).length > 0 ? true : undefined), 30_000);
    await eventually('the transfer to be held at Stripe', async () => {
      const transfers = await h.kit.control.requests({ method: 'POST', pathPrefix: '/v1/transfers', secretKey: h.kit.secretKey });
      return transfers.some((request) => request.outcome === 'running') ? true : undefined;
    });
    first.child.kill('SIGKILL');
    assert.equal(await first.exited, 'SIGKILL');
    children.push(await startAssessmentsWorkerProcess(h));

    const paid = await payout;
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
    assert.equal(paid.body.status, 'paid');
    assert.equal(paid.body.splitMinor, '158720');
    assert.equal(paid.body.feeRefundMinor, '54000');

    const transfers = (await h.kit.control.objects({ type: 'transfer', secretKey: h.kit.secretKey })) as Array<{ id: string }>;
    assert.equal(transfers.length, 1, 'one Stripe transfer');
    const payouts = await listPayouts(h.db, assessmentId);
    assert.deepEqual(
      payouts.map((p) => [p.payoutNumber, p.status, p.transferId]),
      [[1, 'paid', paid.body.transferId]],
    );
    const [paidOut] = await getBalances(h.db, [assessmentChart.traderPaidOut(assessmentId, parseCurrency('usd')).key]);
    assert.equal(paidOut!.creditsPostedMinor, 158_720n + 54_000n);
    assert.equal(paidOut!.creditsPendingMinor, 0n);

    const again = await h.call('POST', `/v1/assessments/${assessmentId}/payouts`, traderId, 'trader');
    assert.equal(again.status, 409, JSON.stringify(again.body));
  });
});
