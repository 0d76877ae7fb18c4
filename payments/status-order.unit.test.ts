// The monotone-state rule that keeps repeated and out-of-order webhooks (and API responses racing them)
// from moving a stored PaymentIntent, refund or transfer backwards.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decideUpdate, type Observation, paymentIntentOrder, paymentIntentState, refundOrder, transferOrder } from './status-order';

const webhook = (state: string, at: number): Observation => ({ state, at, source: 'webhook' });
const api = (state: string, at: number): Observation => ({ state, at, source: 'api' });

describe('PaymentIntent order', () => {
  test('nothing stored: any observation is a transition', () => {
    assert.equal(decideUpdate(paymentIntentOrder, null, webhook('processing', 10)), 'transition');
  });

  test('succeeded is never overwritten by an older (or any) processing delivered later', () => {
    assert.equal(decideUpdate(paymentIntentOrder, webhook('succeeded', 20), webhook('processing', 10)), 'stale');
    assert.equal(decideUpdate(paymentIntentOrder, webhook('succeeded', 20), webhook('processing', 30)), 'stale');
    assert.equal(decideUpdate(paymentIntentOrder, api('succeeded', 20), webhook('requires_payment_method', 20)), 'stale');
  });

  test('a newer event moves a non-terminal state, also backwards (an asynchronous payment failing)', () => {
    assert.equal(decideUpdate(paymentIntentOrder, webhook('processing', 10), webhook('succeeded', 11)), 'transition');
    assert.equal(decideUpdate(paymentIntentOrder, webhook('processing', 10), webhook('failed', 50)), 'transition');
    assert.equal(decideUpdate(paymentIntentOrder, webhook('processing', 10), webhook('failed', 9)), 'stale');
  });

  test('within one second the state further along wins, whatever the arrival order', () => {
    assert.equal(decideUpdate(paymentIntentOrder, webhook('requires_payment_method', 10), webhook('succeeded', 10)), 'transition');
    assert.equal(decideUpdate(paymentIntentOrder, webhook('failed', 10), webhook('requires_payment_method', 10)), 'stale');
    assert.equal(decideUpdate(paymentIntentOrder, webhook('requires_payment_method', 10), webhook('failed', 10)), 'transition');
    assert.equal(decideUpdate(paymentIntentOrder, api('processing', 10), webhook('failed', 10)), 'transition', 'a fast asynchronous failure');
    assert.equal(decideUpdate(paymentIntentOrder, webhook('failed', 10), webhook('processing', 10)), 'stale');
  });

  test('a webhook confirming what an API response said is a confirmation, once', () => {
    assert.equal(decideUpdate(paymentIntentOrder, api('succeeded', 10), webhook('succeeded', 9)), 'confirmation');
    assert.equal(decideUpdate(paymentIntentOrder, webhook('succeeded', 10), webhook('succeeded', 10)), 'stale');
    assert.equal(decideUpdate(paymentIntentOrder, webhook('succeeded', 10), api('succeeded', 12)), 'stale');
  });

  test('a declined PaymentIntent is "failed", not the freshly created state', () => {
    assert.equal(paymentIntentState('requires_payment_method', 'card_declined'), 'failed');
    assert.equal(paymentIntentState('requires_payment_method', null), 'requires_payment_method');
    assert.equal(paymentIntentState('succeeded', null), 'succeeded');
  });
});

describe('refund and transfer orders', () => {
  test('a succeeded refund can still fail; failed and canceled are final', () => {
    assert.equal(decideUpdate(refundOrder, webhook('succeeded', 10), webhook('failed', 20)), 'transition');
    assert.equal(decideUpdate(refundOrder, webhook('failed', 20), webhook('succeeded', 30)), 'stale');
    assert.equal(decideUpdate(refundOrder, webhook('succeeded', 10), webhook('pending', 5)), 'stale');
  });

  test('the reversed amount of a transfer only grows; fully reversed is final', () => {
    const order = transferOrder(500n);
    assert.equal(decideUpdate(order, webhook('0', 10), webhook('200', 20)), 'transition');
    assert.equal(decideUpdate(order, webhook('200', 20), webhook('0', 10)), 'stale');
    assert.equal(decideUpdate(order, webhook('0', 10), webhook('500', 10)), 'transition');
    assert.equal(decideUpdate(order, webhook('500', 10), webhook('200', 30)), 'stale');
  });
});
