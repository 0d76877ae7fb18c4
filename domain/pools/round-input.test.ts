// A round's input as rows: it reads back as the input the pool planned for every kind of plan, refuses
// a plan it could not rebuild, and keeps a round of the most members with the longest IDs under the
// payload bound that an auction's input of objects broke.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { POOL_MEMBERS_MAX } from './pool-config';
import { roundInputOf, roundInputRows } from './round-input';
import { GIVEN_ROUND_SHAPE, type PayoutPlan, type RoundInput } from './round-types';

/** The payload bound of issue 9 (Temporal's own limit is 2 MB). */
const PAYLOAD_BYTES_MAX = 256 * 1024;
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
const throughJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const inputWith = (payout: PayoutPlan, memberIds = ['ada', 'bo', 'cy'], amountMinor = '1000'): RoundInput => ({
  poolId: 'p1',
  round: 2,
  currency: 'usd',
  dues: memberIds.map((memberId, i) => ({ memberId, amountMinor, arrearsMinor: i === 1 ? amountMinor : '0' })),
  gracePeriodHours: 72,
  lateFeeMinor: '25',
  dunningRetryHours: [24, 48],
  defaultPolicy: 'cover-from-reserve',
  payout,
  shape: GIVEN_ROUND_SHAPE,
});
const members = ['ada', 'bo', 'cy'];

describe('a round input of rows', () => {
  test('reads back as the input the pool planned, for every kind of plan', () => {
    const plans: PayoutPlan[] = [
      { kind: 'none' },
      { kind: 'order', candidates: ['cy', 'ada'], members, platformFeeBps: 100 },
      { kind: 'auction', eligible: ['bo', 'cy'], bids: [{ memberId: 'cy', discountMinor: '70' }], seed: 'seed', members, platformFeeBps: 100 },
      { kind: 'distribution', amountMinor: '900', paidInMinor: [{ memberId: 'ada', amountMinor: '600' }], managementFeeBps: 50 },
    ];
    for (const plan of plans) {
      const input = inputWith(plan);
      const rows = throughJson(roundInputRows(input));
      assert.equal(rows.form, 'rows');
      assert.deepEqual(roundInputOf(rows), input, plan.kind);
    }
    const objects = inputWith({ kind: 'none' });
    assert.equal(roundInputOf(objects), objects, 'an input of objects passes as it is');
  });

  test('refuses a plan whose sharers are not its dues’ members, or a bid from someone not eligible', () => {
    assert.throws(
      () => roundInputRows(inputWith({ kind: 'order', candidates: [], members: ['ada', 'bo'], platformFeeBps: 0 })),
      /dividend sharers must be its dues' members/,
    );
    assert.throws(() => roundInputRows(inputWith({ kind: 'order', candidates: [], members: ['bo', 'ada', 'cy'], platformFeeBps: 0 })), /in order/);
    const stranger = { kind: 'auction' as const, eligible: ['bo'], bids: [{ memberId: 'zed', discountMinor: '1' }], seed: 's', members, platformFeeBps: 0 };
    assert.throws(() => roundInputRows(inputWith(stranger)), /zed bid but is not eligible/);
    const rows = roundInputRows(inputWith({ ...stranger, bids: [] }));
    assert.throws(() => roundInputOf({ ...rows, payout: { ...rows.payout, bids: [[3, '1']] } as typeof rows.payout }), /eligible member 3 of 1/);
  });

  test(`a round of ${POOL_MEMBERS_MAX} members with the longest IDs, everyone bidding, stays under the payload bound`, () => {
    /** The longest member ID the API accepts (ID_PART_PATTERN). */
    const ids = Array.from({ length: POOL_MEMBERS_MAX }, (_, i) => `m${i}`.padEnd(64, 'x'));
    // Amounts of nine digits, arrears for everyone: a pot of a thousand such contributions is still far inside INT8.
    const amount = '123456789';
    const auction = inputWith(
      {
        kind: 'auction',
        eligible: ids,
        bids: ids.map((memberId) => ({ memberId, discountMinor: amount })),
        seed: 'x'.repeat(64),
        members: ids,
        platformFeeBps: 100,
      },
      ids,
      amount,
    );
    auction.dues.forEach((due) => (due.arrearsMinor = amount));
    const order = inputWith({ kind: 'order', candidates: ids, members: ids, platformFeeBps: 100 }, ids, amount);
    const distribution = inputWith(
      { kind: 'distribution', amountMinor: amount, paidInMinor: ids.map((memberId) => ({ memberId, amountMinor: amount })), managementFeeBps: 0 },
      ids,
      amount,
    );
    assert.ok(bytes(auction) > PAYLOAD_BYTES_MAX, 'as objects the auction would not fit: the test measures the worst case');
    for (const input of [auction, order, distribution]) {
      const size = bytes(roundInputRows(input));
      assert.ok(size < PAYLOAD_BYTES_MAX, `a round of a ${input.payout.kind} plan takes ${size} bytes`);
    }
  });
});
