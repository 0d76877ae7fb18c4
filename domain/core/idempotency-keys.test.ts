// Idempotency keys: the documented formats, pinned value by value (stored rows, ledger transfers and
// Stripe objects are found by them), and refusal of identifiers that could make two movements share a key.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assessmentRecordKeys,
  assessmentUpdateId,
  IDEMPOTENCY_KEY_LENGTH_MAX,
  idempotencyKeys,
  InvalidKeyPartError,
  ledgerKeys,
  noticeKeys,
  poolLedgerKeys,
  poolTransferGroup,
} from './idempotency-keys';

const key = { poolId: 'pool-1', round: 3, memberId: 'member_7', purpose: 'contribution' };

describe('idempotency keys', () => {
  test('follow the documented formats', () => {
    assert.equal(idempotencyKeys.contribution(key), 'contribution:pool-1:3:member_7:contribution');
    assert.equal(idempotencyKeys.payout(key), 'payout:pool-1:3:member_7:contribution');
    assert.equal(idempotencyKeys.refund({ ...key, purpose: 'cancellation' }), 'refund:pool-1:3:member_7:cancellation');
    assert.equal(idempotencyKeys.customer('member_7'), 'customer:member_7');
    assert.equal(idempotencyKeys.connectAccount('member_7'), 'connect-account:member_7');
    assert.equal(idempotencyKeys.attachPaymentMethod('member_7', 'pm_card_visa'), 'attach-payment-method:member_7:pm_card_visa');
    assert.equal(poolTransferGroup('pool-1'), 'pool-pool-1');
  });

  test('differ whenever any business identifier differs, and never depend on anything else', () => {
    const variants = [key, { ...key, poolId: 'pool-2' }, { ...key, round: 4 }, { ...key, memberId: 'member_8' }, { ...key, purpose: 'late-fee' }];
    const keys = variants.map(idempotencyKeys.contribution);
    assert.equal(new Set(keys).size, variants.length);
    assert.equal(idempotencyKeys.contribution({ ...key }), keys[0]);
  });

  test('refuse identifiers that could collide (":" inside a part), are empty or too long, and bad rounds', () => {
    for (const bad of [
      { ...key, poolId: 'a:b' },
      { ...key, memberId: '' },
      { ...key, purpose: 'x'.repeat(65) },
      { ...key, purpose: 'with space' },
      { ...key, round: -1 },
      { ...key, round: 1.5 },
      { ...key, round: Number.MAX_SAFE_INTEGER + 1 },
    ]) {
      assert.throws(() => idempotencyKeys.contribution(bad), InvalidKeyPartError, JSON.stringify(bad));
    }
    assert.throws(() => idempotencyKeys.attachPaymentMethod('m', 'card_123'), InvalidKeyPartError);
  });

  test('stay within Stripe’s 255-character limit at the longest identifiers', () => {
    const longest = { poolId: 'p'.repeat(64), round: Number.MAX_SAFE_INTEGER, memberId: 'm'.repeat(64), purpose: 'x'.repeat(64) };
    assert.ok(idempotencyKeys.contribution(longest).length <= IDEMPOTENCY_KEY_LENGTH_MAX);
  });
});

describe('ledger keys', () => {
  test('keep their stored values', () => {
    assert.equal(ledgerKeys.assessmentFee('a-1'), 'ledger:assessment-fee:a-1');
    assert.equal(ledgerKeys.assessmentFeeRefund('a-1'), 'ledger:assessment-fee-refund:a-1');
    assert.equal(ledgerKeys.assessmentPayout('a-1', 2, 'profit-split-a1'), 'ledger:assessment-payout:a-1:2:profit-split-a1');
    assert.equal(ledgerKeys.platformFeeSweep('pool:p-1:platform_fees', 1250n), 'ledger:platform-fee-sweep:pool:p-1:platform_fees:1250');
  });
});

describe('pool ledger keys', () => {
  test('keep their stored values, and their prefixes match them', () => {
    const movement = { poolId: 'pool-1', round: 3, memberId: 'member_7' };
    assert.equal(poolLedgerKeys.contribution(movement), 'ledger:contribution:pool-1:3:member_7');
    assert.equal(poolLedgerKeys.cover(movement), 'ledger:cover:pool-1:3:member_7');
    assert.equal(poolLedgerKeys.fee('pool-1', 3), 'ledger:fee:pool-1:3');
    assert.equal(poolLedgerKeys.payout({ ...movement, purpose: 'pot-a1' }), 'ledger:payout:pool-1:3:member_7:pot-a1');
    assert.equal(poolLedgerKeys.refund(movement), 'ledger:refund:pool-1:3:member_7');
    assert.equal(poolLedgerKeys.prefix('payout', 'pool-1'), 'ledger:payout:pool-1:');
    assert.ok(poolLedgerKeys.refund(movement).startsWith(poolLedgerKeys.prefix('refund', 'pool-1')));
  });
});

describe('notice keys', () => {
  test('keep their stored values', () => {
    assert.equal(noticeKeys.pool('payment.succeeded', 'pool-1', '3:member_7'), 'payment.succeeded:pool-1:3:member_7');
    assert.equal(noticeKeys.managerDigest('mgr-1', '2026-04-01'), 'manager.digest:mgr-1:2026-04-01');
    assert.equal(noticeKeys.delivery('email', 'member_7', 'pool.paused:pool-1:2'), 'email:member_7:pool.paused:pool-1:2');
  });
});

describe('assessment update IDs', () => {
  test('keep the request’s key under the command’s kind', () => {
    assert.equal(assessmentUpdateId('order', 'key-12345678'), 'order:key-12345678');
    assert.equal(assessmentUpdateId('fills', 'key-12345678'), 'fills:key-12345678');
    assert.equal(assessmentUpdateId('payout', 'key-12345678'), 'payout:key-12345678');
    assert.equal(assessmentUpdateId('ops', 'key-12345678'), 'ops:key-12345678');
  });
});

describe('assessment record keys', () => {
  test('keep their stored values', () => {
    assert.equal(assessmentRecordKeys.violation(1, 'daily-loss', 'order:key-12345678'), '1:daily-loss:order:key-12345678');
    assert.equal(assessmentRecordKeys.warning(0, 'max-loss', '2026-04-01'), '0:max-loss:2026-04-01');
    assert.equal(assessmentRecordKeys.storedWarning('0:max-loss:2026-04-01'), 'warning:0:max-loss:2026-04-01');
  });
});
