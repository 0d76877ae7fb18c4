// The workflow's state rules without a server: every change is logged so that replaying a phase's log
// through the domain from its start reproduces the account and the verdict exactly; a passed phase
// advances with a fresh account; ops actions end or pass a phase; the funded split is exact.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyEvents, presetPack, startPhase, type AccountEvent } from '../../domain/assessments/index';
import { apply, endByOps, initialState, noChanges, passByOps, payableSplit, settlePhase, type LoggedEvent } from './state';

const pack = presetPack('two-step-100k');
const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);

function started() {
  return initialState({ assessmentId: 'a-1', traderId: 't-1', tier: pack.tierId, packId: 'two-step-100k-v1', pack, startedAtMs: T0 });
}

describe('assessment workflow state', () => {
  test('replaying the logged events reproduces the account and the failure by price', () => {
    const { state: s, changes } = started();
    const log: LoggedEvent[] = [...changes.events];
    const step = (key: string, event: AccountEvent) => {
      const c = noChanges();
      apply(s, c, key, key.startsWith('t') ? 'risk-monitor' : 'order', event);
      settlePhase(s, c, T0);
      log.push(...c.events);
      return c;
    };
    step('t1', { kind: 'tick', tick: { symbol: 'BTC-USD', price: '64000', atMs: T0 + 1 } });
    step('o1', {
      kind: 'fill',
      fill: { kind: 'open', fillId: 'o1', atMs: T0 + 2, symbol: 'BTC-USD', side: 'long', quantity: '10', price: '64005', commissionMinor: '3000' },
    });
    const breach = step('t2', { kind: 'tick', tick: { symbol: 'BTC-USD', price: '63400', atMs: T0 + 3 } });
    assert.equal(s.status, 'failed');
    assert.equal(breach.phasesEnded.length, 1);
    assert.equal(breach.phasesEnded[0]!.result, 'failed');
    assert.ok(breach.violations.some((v) => v.rule === 'daily-loss' && v.severity === 'hard'));
    assert.match(s.endedReason ?? '', /daily/i);
    assert.deepEqual(
      log.map((e) => e.seq),
      log.map((_, i) => i),
      'the log is numbered without gaps',
    );

    const [start, ...rest] = log;
    const replayed = applyEvents(
      startPhase(pack, 0, (start!.event as { atMs: number }).atMs),
      pack,
      rest.map((e) => e.event as AccountEvent),
    );
    assert.deepEqual(replayed.state, s.account);
  });

  test('a passed phase advances with a fresh account; ops fail and stop end the assessment', () => {
    const { state: s } = started();
    const c = noChanges();
    assert.equal(passByOps(s, c, 'desk review', T0 + 10), false);
    assert.equal(s.account.phaseIndex, 1);
    assert.equal(s.account.balanceMinor, pack.accountSizeMinor);
    assert.deepEqual(
      c.events.map((e) => e.key),
      ['phase-start:1'],
    );
    const failed = started().state;
    endByOps(failed, noChanges(), 'fail', 'copy trading', T0 + 5);
    assert.equal(failed.status, 'failed');
    const stopped = started().state;
    endByOps(stopped, noChanges(), 'stop', 'exchange outage', T0 + 5);
    assert.equal(stopped.status, 'stopped');
    assert.match(stopped.endedReason ?? '', /exchange outage/);
  });

  test('the funded split is exact, the fee refunded on the first payout only', () => {
    const { state: s } = started();
    s.account = { ...s.account, balanceMinor: String(BigInt(pack.accountSizeMinor) + 198_400n) };
    assert.deepEqual(payableSplit(s, 54_000n), { profitMinor: 198_400n, splitMinor: 158_720n, feeRefundMinor: 54_000n });
    s.payoutsMade = 1;
    s.profitSplitPaidMinor = '198400';
    assert.deepEqual(payableSplit(s, 54_000n), { profitMinor: 0n, splitMinor: 0n, feeRefundMinor: 0n });
  });
});
