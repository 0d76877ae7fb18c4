// Movement metadata: a lossless round trip of the business key through Stripe metadata, refusal of
// metadata that is not ours, and the search query that finds an object by its key.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { idempotencyKeySearchQuery, movementMetadata, parseMovementMetadata } from './metadata';

const key = { poolId: 'pool-1', round: 3, memberId: 'member_7', purpose: 'contribution' };

describe('movement metadata', () => {
  test('round-trips the business key and names the kind', () => {
    const metadata = movementMetadata('payout', key);
    assert.deepEqual(metadata, {
      poolflow_kind: 'payout',
      pool_id: 'pool-1',
      round: '3',
      member_id: 'member_7',
      purpose: 'contribution',
      idempotency_key: 'payout:pool-1:3:member_7:contribution',
    });
    assert.deepEqual(parseMovementMetadata(metadata), { kind: 'payout', ...key, idempotencyKey: 'payout:pool-1:3:member_7:contribution' });
  });

  test('is not ours when absent, incomplete or inconsistent', () => {
    const good = movementMetadata('contribution', key);
    assert.equal(parseMovementMetadata(null), null);
    assert.equal(parseMovementMetadata({}), null);
    assert.equal(parseMovementMetadata({ ...good, poolflow_kind: 'gift' }), null);
    assert.equal(parseMovementMetadata({ ...good, round: '' }), null);
    assert.equal(parseMovementMetadata({ ...good, round: '3.0' }), null);
    assert.equal(parseMovementMetadata({ ...good, member_id: 'someone-else' }), null, 'key and fields disagree');
  });

  test('search query matches the key exactly', () => {
    assert.equal(
      idempotencyKeySearchQuery('contribution:pool-1:3:member_7:contribution'),
      "metadata['idempotency_key']:'contribution:pool-1:3:member_7:contribution'",
    );
  });
});
