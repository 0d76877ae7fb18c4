// Commit-reveal of the random payout draw: the commitment binds the secret, the seed binds the secret,
// the members (in order) and the pool, and verification catches any change to what was published.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { drawCommitment, drawnPayoutOrder, PayoutDrawMismatch, payoutDrawSeed, revealPayoutDraw, verifyPayoutDraw } from './payout-draw';

const secret = 'a'.repeat(64);
const members = ['m-ada', 'm-bo', 'm-cy', 'm-di', 'm-ed', 'm-fa'];
const commitment = drawCommitment(secret);
const draw = revealPayoutDraw({ commitment, secret, poolId: 'pool_1', memberIds: members });

describe('payout draw', () => {
  test('the commitment is the SHA-256 of the secret text, and the seed that of [scheme, secret, members, pool]', () => {
    assert.equal(commitment, createHash('sha256').update(secret).digest('hex'));
    const preimage = JSON.stringify(['poolflow/payout-draw/v1', secret, members, 'pool_1']);
    assert.equal(draw.seed, createHash('sha256').update(preimage).digest('hex'));
  });

  test('a secret that does not match the commitment is refused', () => {
    assert.throws(() => revealPayoutDraw({ commitment, secret: 'b'.repeat(64), poolId: 'pool_1', memberIds: members }), PayoutDrawMismatch);
  });

  test('the order is a permutation of the members, pinned for a known draw', () => {
    const order = drawnPayoutOrder(draw);
    assert.deepEqual([...order].sort(), [...members].sort());
    // Changing this breaks the verifiability of every published draw.
    assert.deepEqual(order, drawnPayoutOrder({ seed: draw.seed, memberIds: members }));
    assert.deepEqual(order, ['m-ed', 'm-cy', 'm-fa', 'm-di', 'm-ada', 'm-bo']);
  });

  test('the seed changes with the secret, the member order and the pool', () => {
    assert.notEqual(payoutDrawSeed('b'.repeat(64), members, 'pool_1'), draw.seed);
    assert.notEqual(payoutDrawSeed(secret, [...members].reverse(), 'pool_1'), draw.seed);
    assert.notEqual(payoutDrawSeed(secret, members, 'pool_2'), draw.seed);
    // Joining two member IDs cannot pass for one: the JSON array keeps them apart.
    assert.notEqual(payoutDrawSeed(secret, ['ab', 'c'], 'p'), payoutDrawSeed(secret, ['a', 'bc'], 'p'));
  });

  test('verification accepts the published draw and refuses any change to it', () => {
    const order = drawnPayoutOrder(draw);
    assert.equal(verifyPayoutDraw(draw, order), true);
    assert.equal(verifyPayoutDraw(draw, [...order].reverse()), false, 'another order');
    assert.equal(verifyPayoutDraw({ ...draw, secret: 'b'.repeat(64) }, order), false, 'another secret');
    assert.equal(verifyPayoutDraw({ ...draw, commitment: drawCommitment('c'.repeat(64)) }, order), false, 'another commitment');
    assert.equal(verifyPayoutDraw({ ...draw, memberIds: [...members].reverse() }, order), false, 'members in another order');
    assert.equal(verifyPayoutDraw({ ...draw, poolId: 'pool_2' }, order), false, 'another pool');
  });

  test('every member takes every place with roughly equal frequency over random secrets', () => {
    const draws = 6_000;
    const counts = members.map(() => members.map(() => 0));
    for (let i = 0; i < draws; i++) {
      const s = randomBytes(32).toString('hex');
      drawnPayoutOrder({ seed: payoutDrawSeed(s, members, 'pool_1'), memberIds: members }).forEach((id, place) => counts[members.indexOf(id)]![place]!++);
    }
    const expected = draws / members.length;
    for (const row of counts)
      for (const count of row) assert.ok(Math.abs(count - expected) < expected * 0.2, `place count ${count}, expected about ${expected}`);
  });
});
