// Members and their Stripe objects against the Stripe sandbox and PostgreSQL: one Customer per member
// however often or however interrupted the registration, a saved card as the default payment method,
// and an Express account with an onboarding link. Every Stripe ID is stored.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { findConnectAccount, findCustomer, listPaymentMethods } from '../db/payments/members';
import type { Db } from '../db/pool';
import { testDb, uniqueId } from '../test/support/env';
import { idempotencyKeys } from '../domain/core/idempotency-keys';
import { InvalidMemberProfileError, MemberNotFoundError } from './members';
import { type PaymentsTestKit, startPaymentsTestKit } from '../test/support/payments-kit';

describe('member payments', () => {
  let db: Db;
  let kit: PaymentsTestKit;

  before(async () => {
    db = testDb();
    kit = await startPaymentsTestKit(db);
  });
  after(async () => {
    await kit.close();
    await db.end();
  });

  const profile = (memberId: string) => ({ memberId, displayName: 'Abebe Bikila', email: `${memberId}@example.com` });

  async function customersOf(memberId: string) {
    const objects = await kit.control.objects({ type: 'customer', secretKey: kit.secretKey });
    return objects.filter((o) => (o.object as { metadata: Record<string, string> }).metadata.poolflow_member_id === memberId);
  }

  test('registering creates one Customer under the member’s key, and registering again reuses it', async () => {
    const memberId = uniqueId('member');
    const first = await kit.members.registerMember(profile(memberId));
    const second = await kit.members.registerMember({ ...profile(memberId), displayName: 'Abebe B.' });
    assert.equal(second.customer.customerId, first.customer.customerId);
    assert.equal(second.member.displayName, 'Abebe B.');
    assert.equal((await findCustomer(db, memberId))?.customerId, first.customer.customerId);

    const customers = await customersOf(memberId);
    assert.equal(customers.length, 1);
    assert.equal((customers[0]!.object as { name: string }).name, 'Abebe B.', 'the profile change reached Stripe');
    const [create] = await kit.control.requests({ secretKey: kit.secretKey, method: 'POST', idempotencyKey: idempotencyKeys.customer(memberId) });
    assert.equal(create?.path, '/v1/customers');
  });

  test('a registration that crashed after Stripe created the Customer finds it instead of making another', async () => {
    const memberId = uniqueId('member');
    await kit.control.addFault({
      kind: 'drop',
      when: 'after',
      times: 2,
      method: 'POST',
      pathPrefix: '/v1/customers',
      idempotencyKey: idempotencyKeys.customer(memberId),
    });
    await assert.rejects(kit.members.registerMember(profile(memberId)), /connection/i);
    assert.equal(await findCustomer(db, memberId), null, 'nothing recorded');
    // Stripe forgot the key too (24 h later): only the search by member metadata can find the Customer.
    await kit.control.expireIdempotencyKeys({ secretKey: kit.secretKey, idempotencyKey: idempotencyKeys.customer(memberId) });
    const { customer } = await kit.members.registerMember(profile(memberId));
    const customers = await customersOf(memberId);
    assert.deepEqual(
      customers.map((c) => c.id),
      [customer.customerId],
    );
  });

  test('a saved card is attached to the Customer and becomes the default', async () => {
    const memberId = uniqueId('member');
    const { customer } = await kit.members.registerMember(profile(memberId));
    const first = await kit.members.attachPaymentMethod(memberId, 'pm_card_visa');
    const second = await kit.members.attachPaymentMethod(memberId, 'pm_card_mastercard');
    assert.match(first.paymentMethodId, /^pm_/);
    assert.equal(first.cardBrand, 'visa');
    assert.equal(first.cardLast4, '4242');
    assert.equal(second.cardBrand, 'mastercard');

    const stored = await findCustomer(db, memberId);
    assert.equal(stored?.defaultPaymentMethodId, second.paymentMethodId);
    assert.deepEqual((await listPaymentMethods(db, memberId)).map((m) => m.paymentMethodId).sort(), [first.paymentMethodId, second.paymentMethodId].sort());
    const atStripe = await kit.stripe.customers.retrieve(customer.customerId);
    assert.ok(!atStripe.deleted);
    assert.equal(atStripe.invoice_settings.default_payment_method, second.paymentMethodId);
  });

  test('an Express account is created once, with a fresh onboarding link, and its flags follow onboarding', async () => {
    const memberId = uniqueId('payee');
    await kit.members.registerMember(profile(memberId));
    const account = await kit.members.ensureConnectAccount(memberId);
    assert.match(account.accountId, /^acct_/);
    assert.equal(account.payoutsEnabled, false);
    assert.deepEqual(await kit.members.ensureConnectAccount(memberId), account);
    const atStripe = await kit.stripe.accounts.retrieve(account.accountId);
    assert.equal(atStripe.type, 'express');

    const link = await kit.members.createOnboardingLink(memberId, {
      refreshUrl: 'https://poolflow.example/refresh',
      returnUrl: 'https://poolflow.example/done',
    });
    assert.equal(link.accountId, account.accountId);
    assert.match(link.url, /^https?:\/\//);
    assert.ok(link.expiresAt > Date.now() / 1000);

    await kit.control.onboardAccount(account.accountId);
    const refreshed = await kit.members.refreshConnectAccount(memberId);
    assert.equal(refreshed.payoutsEnabled, true);
    assert.equal((await findConnectAccount(db, memberId))?.payoutsEnabled, true);
    const creates = await kit.control.requests({ secretKey: kit.secretKey, method: 'POST', idempotencyKey: idempotencyKeys.connectAccount(memberId) });
    assert.equal(creates.length, 1);
  });

  test('a bad profile is refused before anything is stored or sent to Stripe', async () => {
    const memberId = uniqueId('member');
    for (const bad of [
      { ...profile(memberId), memberId: 'auth0|123' },
      { ...profile(memberId), displayName: '  ' },
      { ...profile(memberId), email: 'not-an-email' },
    ]) {
      await assert.rejects(kit.members.registerMember(bad), InvalidMemberProfileError, JSON.stringify(bad));
    }
    const { rows } = await db.query('SELECT 1 FROM members WHERE member_id = $1', [memberId]);
    assert.equal(rows.length, 0);
    assert.equal((await customersOf(memberId)).length, 0);
  });

  test('operations on someone who is not a member are refused', async () => {
    await assert.rejects(kit.members.attachPaymentMethod(uniqueId('ghost'), 'pm_card_visa'), MemberNotFoundError);
    await assert.rejects(kit.members.ensureConnectAccount(uniqueId('ghost')), MemberNotFoundError);
  });
});
