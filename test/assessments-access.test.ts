// Who may touch an assessment, and what bad input does to it, through the API on the dev server:
// another trader can neither read nor trade someone's assessment (404 on every route, as if it did not
// exist), ops read and steer but never trade, other roles are refused, traders are shut out of pools;
// and fuzzed orders and fill batches — malformed JSON, wrong types, bad decimals, unknown keys, oversize
// batches, impossible fills — all get a 4xx problem and change nothing (workflow version, event log).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { listEvents } from '../db/assessments/events';
import { workflowIds } from '../temporal-config/workflow-ids';
import { assessmentViewQuery } from '../workflows/assessments/assessment';
import { IMPORTED_FILLS_MAX } from '../workflows/assessments/requests';
import { startAssessmentHarness, type AssessmentHarness } from './support/assessment-harness';
import { uniqueId } from './support/env';
import { rateLimitKey } from '../cache/keys';

/** fast-check runs per property. */
const RUNS = { orders: 150, fills: 120 };

describe('assessment access and bad input', () => {
  let h: AssessmentHarness;
  let owner: string;
  let assessmentId: string;

  before(async () => {
    h = await startAssessmentHarness({ monitor: false });
    await h.tick('BTC-USD', '64000');
    owner = await h.trader();
    const bought = await h.call<{ assessment: { assessmentId: string } }>('POST', '/v1/assessments', owner, 'trader', {
      tier: 'two-step-100k',
      displayName: 'Owner O',
    });
    assessmentId = bought.body.assessment.assessmentId;
    await h.waitFor(assessmentId, (row) => row.status === 'active');
    const order = await h.call('POST', `/v1/assessments/${assessmentId}/orders`, owner, 'trader', {
      action: 'open',
      symbol: 'BTC-USD',
      side: 'long',
      quantity: '0.5',
    });
    assert.equal(order.status, 201, JSON.stringify(order.body));
  });
  after(async () => {
    await h.close();
  });

  /** Fuzzing sends more writes than a trader may in a minute: the limiter's count is reset so every request is judged on its input. */
  const resetWriteLimit = async () => {
    await h.redis.del(rateLimitKey('write', owner));
  };
  const version = async () => (await h.client.workflow.getHandle(workflowIds.assessment(assessmentId)).query(assessmentViewQuery))!.version;
  const eventCount = async () => (await listEvents(h.db, assessmentId, 0)).length;

  test('another trader can neither read nor trade the assessment; ops read and steer but never trade', async () => {
    const intruder = await h.trader();
    const reads = ['', '/violations', '/report', '/report.svg', '/events'];
    for (const suffix of reads) {
      const response = await h.call('GET', `/v1/assessments/${assessmentId}${suffix}`, intruder, 'trader');
      assert.equal(response.status, 404, `GET ${suffix}: ${JSON.stringify(response.body)}`);
    }
    const writes: Array<[string, unknown]> = [
      ['/orders', { action: 'open', symbol: 'BTC-USD', side: 'short', quantity: '1' }],
      [
        '/fills',
        {
          fills: [
            {
              externalId: 'e1',
              kind: 'open',
              symbol: 'BTC-USD',
              side: 'long',
              quantity: '1',
              price: '64000',
              commissionMinor: '0',
              executedAtMs: Date.now() + 5_000,
            },
          ],
        },
      ],
      ['/payouts', undefined],
    ];
    const before = [await version(), await eventCount()];
    for (const [suffix, body] of writes) {
      const response = await h.call('POST', `/v1/assessments/${assessmentId}${suffix}`, intruder, 'trader', body);
      assert.equal(response.status, 404, `POST ${suffix}: ${JSON.stringify(response.body)}`);
      const asOps = await h.call('POST', `/v1/assessments/${assessmentId}${suffix}`, 'ops-1', 'ops', body);
      assert.equal(asOps.status, 403, `ops POST ${suffix}`);
    }
    for (const role of ['member', 'manager'] as const) {
      assert.equal((await h.call('GET', `/v1/assessments/${assessmentId}`, owner, role)).status, 403);
      assert.equal((await h.call('POST', `/v1/assessments/${assessmentId}/orders`, owner, role, writes[0]![1])).status, 403);
    }
    // Steering is for ops only: not even the owner may override or stop their own assessment.
    const selfPass = await h.call('POST', `/v1/assessments/${assessmentId}/ops-actions`, owner, 'trader', { action: 'override-pass', reason: 'I deserve it' });
    assert.equal(selfPass.status, 403);
    assert.deepEqual([await version(), await eventCount()], before, 'nothing changed');
    // The intruder's list holds only their own (none); ops read it.
    assert.deepEqual((await h.call<{ assessments: unknown[] }>('GET', '/v1/assessments', intruder, 'trader')).body.assessments, []);
    assert.equal((await h.call('GET', `/v1/assessments/${assessmentId}`, 'ops-1', 'ops')).status, 200);
    // IDs that are not assessment IDs are refused before any lookup.
    assert.equal((await h.call('GET', `/v1/assessments/${assessmentId}'%20OR%201=1`, owner, 'trader')).status, 422);
  });

  test('traders are shut out of the pool routes', async () => {
    assert.equal((await h.call('GET', '/v1/pools', owner, 'trader')).status, 403);
    assert.equal((await h.call('GET', `/v1/pools/${uniqueId('pool')}`, owner, 'trader')).status, 403);
    assert.equal((await h.call('POST', '/v1/pools', owner, 'trader', { name: 'x' })).status, 403);
  });

  const decimalish = fc.oneof(
    fc.constantFrom('', '-1', '0', '1e3', '1.123456789', ' 1', '1,5', 'NaN', 'Infinity', '0x10', '9999999999999.1', '१२'),
    fc
      .integer()
      .map(String)
      .filter((v) => v.startsWith('-') || v === '0'),
    fc.double().map((v) => v),
    fc.constant(null),
    fc.boolean(),
  );
  const orderArbitrary = fc.oneof(
    fc.record(
      {
        action: fc.constantFrom('open', 'close', 'buy', ''),
        symbol: fc.oneof(fc.constantFrom('BTC-USD', 'btc-usd', '', 'BTC USD', "BTC';--"), fc.string()),
        side: fc.oneof(fc.constantFrom('long', 'short', 'buy'), fc.string()),
        quantity: decimalish,
      },
      { requiredKeys: [] },
    ),
    fc.record({ action: fc.constant('open'), symbol: fc.constant('BTC-USD'), side: fc.constant('long'), quantity: fc.constant('1'), stopLoss: decimalish }),
    fc.record({ action: fc.constant('close'), positionId: fc.oneof(fc.string(), fc.constant('../../etc')), quantity: decimalish }),
    fc.record({ action: fc.constant('open'), symbol: fc.constant('BTC-USD'), side: fc.constant('long'), quantity: fc.constant('1'), extra: fc.jsonValue() }),
    fc.jsonValue(),
  );

  test('fuzzed orders get a 4xx problem and change nothing', async () => {
    const before = [await version(), await eventCount()];
    await fc.assert(
      fc.asyncProperty(orderArbitrary, fc.boolean(), async (order, raw) => {
        const body = raw ? JSON.stringify(order).slice(0, Math.max(1, JSON.stringify(order).length - 1)) : order;
        await resetWriteLimit();
        const response = await h.call<{ status: number }>('POST', `/v1/assessments/${assessmentId}/orders`, owner, 'trader', body);
        assert.ok(
          response.status >= 400 && response.status < 500 && response.status !== 429,
          `${response.status} for ${JSON.stringify(body)}: ${JSON.stringify(response.body)}`,
        );
      }),
      { numRuns: RUNS.orders },
    );
    assert.deepEqual([await version(), await eventCount()], before, 'no fuzzed order changed the assessment');
  });

  const fillArbitrary = fc.record(
    {
      externalId: fc.oneof(fc.constantFrom('f-1', 'f-1', '', 'x'.repeat(101)), fc.string()),
      kind: fc.constantFrom('open', 'close', 'reverse'),
      symbol: fc.constantFrom('BTC-USD', 'ZZZ-USD', 'btc'),
      side: fc.constantFrom('long', 'short', 'flat'),
      quantity: decimalish,
      price: decimalish,
      commissionMinor: fc.oneof(fc.constantFrom('0', '-1', '1.5', '01'), fc.integer().map(String)),
      // Before the assessment began, absurd, or in seconds instead of milliseconds.
      executedAtMs: fc.oneof(fc.constant(Date.now() - 86_400_000), fc.integer({ min: 0, max: 2_000_000_000 }), fc.double()),
      openedBy: fc.constantFrom('nobody', 'f-1'),
    },
    { requiredKeys: ['kind'] },
  );

  test('fuzzed fill batches get a 4xx problem and change nothing', async () => {
    const before = [await version(), await eventCount()];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.array(fillArbitrary, { minLength: 0, maxLength: 5 }).map((fills) => ({ fills })),
          fc.jsonValue(),
        ),
        async (batch) => {
          await resetWriteLimit();
          const response = await h.call('POST', `/v1/assessments/${assessmentId}/fills`, owner, 'trader', batch);
          assert.ok(
            response.status >= 400 && response.status < 500 && response.status !== 429,
            `${response.status} for ${JSON.stringify(batch)}: ${JSON.stringify(response.body)}`,
          );
        },
      ),
      { numRuns: RUNS.fills },
    );
    // Larger than a batch may be.
    const oversize = Array.from({ length: IMPORTED_FILLS_MAX + 1 }, (_, i) => ({
      externalId: `big-${i}`,
      kind: 'open',
      symbol: 'BTC-USD',
      side: 'long',
      quantity: '0.01',
      price: '64000',
      commissionMinor: '0',
      executedAtMs: Date.now() + 10_000 + i,
    }));
    await resetWriteLimit();
    const tooMany = await h.call('POST', `/v1/assessments/${assessmentId}/fills`, owner, 'trader', { fills: oversize });
    assert.ok([413, 422].includes(tooMany.status), String(tooMany.status));
    assert.deepEqual([await version(), await eventCount()], before, 'no fuzzed batch changed the assessment');
  });
});
