// A round's report as rows: it reads back as the very result the round built, refuses a result whose
// payments it could not rebuild, and keeps a round of the most members with the longest IDs well
// under the payload bound that a result of named fields broke.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { POOL_MEMBERS_MAX } from './pool-config';
import { roundResultOf, roundResultRows } from './round-report';
import type { MemberRoundResult, RoundResult } from './round-types';

/** The payload bound of issue 9 (Temporal's own limit is 2 MB). */
const PAYLOAD_BYTES_MAX = 256 * 1024;
/** The longest member ID the API accepts (ID_PART_PATTERN). */
const longestId = (i: number) => `m${i}`.padEnd(64, 'x');
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

const member = (memberId: string, outcome: MemberRoundResult['outcome'], amounts: Partial<MemberRoundResult> = {}): MemberRoundResult => {
  const paid = outcome === 'paid' || outcome === 'paid-late' || outcome === 'refunded';
  const owedMinor = amounts.owedMinor ?? '1000';
  const lateFeeMinor = paid ? (amounts.lateFeeMinor ?? '0') : '0';
  const arrearsPaidMinor = paid ? (amounts.arrearsPaidMinor ?? '0') : '0';
  return {
    memberId,
    outcome,
    owedMinor,
    paidMinor: paid ? (BigInt(owedMinor) + BigInt(lateFeeMinor) + BigInt(arrearsPaidMinor)).toString() : '0',
    lateFeeMinor,
    arrearsPaidMinor,
    policyApplied: outcome === 'covered' ? 'covered' : outcome === 'defaulted' ? 'suspend' : 'none',
    paymentIntentId: outcome === 'defaulted' ? null : `pi_${memberId.slice(0, 24)}`,
    failureCode: paid ? null : 'card_declined',
  };
};

describe('a round report of rows', () => {
  const result: RoundResult = {
    round: 3,
    potMinor: '4000',
    payoutAttempts: 2,
    payout: {
      winnerMemberId: 'ada',
      discountMinor: '100',
      feeMinor: '40',
      recipients: [
        { memberId: 'ada', amountMinor: '3860', purpose: 'pot' },
        { memberId: 'bo', amountMinor: '50', purpose: 'dividend' },
      ],
    },
    members: [
      member('ada', 'paid'),
      member('bo', 'paid-late', { lateFeeMinor: '25', arrearsPaidMinor: '1000' }),
      member('cy', 'covered'),
      member('dee', 'defaulted'),
      member('eve', 'refunded', { arrearsPaidMinor: '300' }),
    ],
  };

  test('reads back as the result the round built, every outcome and the payout included', () => {
    const rows = roundResultRows(result);
    assert.equal(rows.form, 'rows');
    assert.deepEqual(roundResultOf(JSON.parse(JSON.stringify(rows))), result);
    assert.deepEqual(roundResultOf({ ...result, payout: null }), { ...result, payout: null }, 'a report of objects passes as it is');
  });

  test('refuses a result whose payment does not follow from its outcome and amounts', () => {
    const wrong = { ...result, members: [{ ...member('ada', 'paid'), paidMinor: '999' }] };
    assert.throws(() => roundResultRows(wrong), /ada paid 999, which their outcome paid and amounts do not explain/);
    const defaultedButPaid = { ...result, members: [{ ...member('dee', 'defaulted'), paidMinor: '1000' }] };
    assert.throws(() => roundResultRows(defaultedButPaid), /dee paid 1000/);
  });

  test(`a round of ${POOL_MEMBERS_MAX} members with the longest IDs reports under the payload bound`, () => {
    const ids = Array.from({ length: POOL_MEMBERS_MAX }, (_, i) => longestId(i));
    // Amounts of nine digits: a pot of a thousand such contributions is still far inside INT8.
    const amount = '123456789';
    // Paid late with arrears and a dividend for everyone but the winner: the largest report such a round makes.
    const report = roundResultRows({
      round: 1,
      potMinor: '123456789000',
      payoutAttempts: 1,
      payout: {
        winnerMemberId: ids[0]!,
        discountMinor: amount,
        feeMinor: amount,
        recipients: [
          { memberId: ids[0]!, amountMinor: amount, purpose: 'pot' },
          ...ids.slice(1).map((memberId) => ({ memberId, amountMinor: amount, purpose: 'dividend' as const })),
        ],
      },
      members: ids.map((id) => member(id, 'paid-late', { owedMinor: amount, lateFeeMinor: amount, arrearsPaidMinor: amount })),
    });
    assert.ok(bytes(report) < PAYLOAD_BYTES_MAX, `the round's report takes ${bytes(report)} bytes`);
  });
});
