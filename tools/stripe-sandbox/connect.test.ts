// Connected accounts, onboarding links, transfers and customers through the SDK: objects come back on
// retrieve, transfers need an onboarded destination, and unknown ids are Stripe's resource_missing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Stripe from 'stripe';
import { startTestSandbox, uniqueKey, uniqueSecretKey, type TestSandbox } from './test-support';

let sandbox: TestSandbox;

before(async () => {
  sandbox = await startTestSandbox();
});
after(async () => {
  await sandbox.close();
});

const missing = (param: string) => (error: unknown) => {
  assert.ok(error instanceof Stripe.errors.StripeInvalidRequestError, String(error));
  assert.equal(error.code, 'resource_missing');
  assert.equal(error.param, param);
  return true;
};

describe('connected accounts and transfers', () => {
  test('a new Express account cannot receive transfers until its onboarding link was followed', async () => {
    const secretKey = uniqueSecretKey();
    const stripe = sandbox.stripe(secretKey);
    const account = await stripe.accounts.create({
      type: 'express',
      country: 'US',
      email: 'payee@example.com',
      capabilities: { transfers: { requested: true } },
      metadata: { member: 'm1' },
    });
    assert.match(account.id, /^acct_\w{24}$/);
    assert.equal(account.type, 'express');
    assert.equal(account.charges_enabled, false);
    assert.equal(account.capabilities?.transfers, 'inactive');
    assert.deepEqual((await stripe.accounts.retrieve(account.id)).metadata, { member: 'm1' });

    const transfer = { amount: 1_500, currency: 'usd', destination: account.id, transfer_group: uniqueKey('payout') };
    await assert.rejects(stripe.transfers.create(transfer), (error: unknown) => {
      assert.ok(error instanceof Stripe.errors.StripeInvalidRequestError);
      assert.equal(error.code, 'insufficient_capabilities_for_transfer');
      return true;
    });

    const link = await stripe.accountLinks.create({
      account: account.id,
      type: 'account_onboarding',
      refresh_url: 'http://localhost:3000/connect/refresh',
      return_url: 'http://localhost:3000/connect/done',
    });
    assert.ok(link.url.startsWith(`${sandbox.url}/__sandbox/connect/onboard/${account.id}`), link.url);
    assert.ok(link.expires_at > link.created);
    const visit = await fetch(link.url, { redirect: 'manual' });
    assert.equal(visit.status, 302);
    assert.equal(visit.headers.get('location'), 'http://localhost:3000/connect/done');

    const onboarded = await stripe.accounts.retrieve(account.id);
    assert.equal(onboarded.charges_enabled, true);
    assert.equal(onboarded.payouts_enabled, true);
    assert.equal(onboarded.capabilities?.transfers, 'active');
    const [updated] = await sandbox.client.events({ type: 'account.updated', secretKey });
    assert.equal((updated?.data.object as Stripe.Account).id, account.id);

    const created = await stripe.transfers.create({ ...transfer, metadata: { payout: 'p1' } }, { idempotencyKey: uniqueKey() });
    assert.match(created.id, /^tr_\w{24}$/);
    assert.equal(created.destination, account.id);
    assert.equal(created.amount, 1_500);
    const { lastResponse: _created, ...createdFields } = created;
    const { lastResponse: _fetched, ...fetchedFields } = await stripe.transfers.retrieve(created.id);
    assert.deepEqual(fetchedFields, createdFields);
    const listed = await stripe.transfers.list({ transfer_group: transfer.transfer_group });
    assert.deepEqual(
      listed.data.map((item) => item.id),
      [created.id],
    );
  });

  test('unknown accounts and transfers are resource_missing', async () => {
    const stripe = sandbox.stripe(uniqueSecretKey());
    await assert.rejects(stripe.transfers.create({ amount: 100, currency: 'usd', destination: 'acct_nobody' }), missing('destination'));
    await assert.rejects(
      stripe.accountLinks.create({ account: 'acct_nobody', type: 'account_onboarding', refresh_url: 'http://x/r', return_url: 'http://x/d' }),
      missing('account'),
    );
    await assert.rejects(
      stripe.transfers.retrieve('tr_nothing'),
      (error: unknown) => error instanceof Stripe.errors.StripeInvalidRequestError && error.statusCode === 404,
    );
    await assert.rejects(sandbox.client.onboardAccount('acct_nobody'), /404/);
  });
});

describe('customers', () => {
  test('customers are created, retrieved and updated (metadata merges; an empty value removes a key)', async () => {
    const stripe = sandbox.stripe(uniqueSecretKey());
    const customer = await stripe.customers.create({ email: 'a@example.com', name: 'Abebe', metadata: { member: 'm1', pool: 'p1' } });
    assert.match(customer.id, /^cus_\w{24}$/);
    assert.equal((await stripe.customers.retrieve(customer.id)).id, customer.id);
    const card = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    const updated = await stripe.customers.update(customer.id, {
      email: 'b@example.com',
      metadata: { pool: '', round: '2' },
      invoice_settings: { default_payment_method: card.id },
    });
    assert.equal(updated.email, 'b@example.com');
    assert.equal(updated.name, 'Abebe');
    assert.deepEqual(updated.metadata, { member: 'm1', round: '2' });
    assert.equal(updated.invoice_settings.default_payment_method, card.id);
    const found = await stripe.customers.search({ query: "metadata['member']:'m1' AND email:'b@example.com'" });
    assert.deepEqual(
      found.data.map((item) => item.id),
      [customer.id],
    );
  });

  test('unknown customers are resource_missing, on retrieve and as a PaymentIntent parameter', async () => {
    const stripe = sandbox.stripe(uniqueSecretKey());
    await assert.rejects(
      stripe.customers.retrieve('cus_nobody'),
      (error: unknown) => error instanceof Stripe.errors.StripeInvalidRequestError && error.statusCode === 404,
    );
    await assert.rejects(
      stripe.paymentIntents.create({ amount: 100, currency: 'usd', customer: 'cus_nobody', payment_method: 'pm_card_visa', confirm: true }),
      missing('customer'),
    );
    await assert.rejects(stripe.paymentMethods.attach('pm_card_visa', { customer: 'cus_nobody' }), missing('customer'));
  });
});

test('each secret key is its own account: another key neither retrieves, lists, searches nor references its objects', async () => {
  const owner = sandbox.stripe(uniqueSecretKey());
  const stranger = sandbox.stripe(uniqueSecretKey());
  const member = uniqueKey('member');
  const customer = await owner.customers.create({ email: 'owner@example.com', metadata: { member } });
  await assert.rejects(
    stranger.customers.retrieve(customer.id),
    (error: unknown) => error instanceof Stripe.errors.StripeInvalidRequestError && error.statusCode === 404,
  );
  assert.deepEqual((await stranger.customers.list({ email: 'owner@example.com' })).data, []);
  assert.deepEqual((await stranger.customers.search({ query: `metadata['member']:'${member}'` })).data, []);
  assert.equal((await owner.customers.search({ query: `metadata['member']:'${member}'` })).data.length, 1);
  await assert.rejects(stranger.paymentMethods.attach('pm_card_visa', { customer: customer.id }), missing('customer'));
});

test('endpoints the sandbox does not model answer with stripe-mock’s fixture', async () => {
  const balance = await sandbox.stripe(uniqueSecretKey()).balance.retrieve();
  assert.equal(balance.object, 'balance');
});

test('a sandbox in front of another sandbox gets stripe-mock’s validation, not the other’s state', async () => {
  const front = await startTestSandbox({ upstreamUrl: sandbox.url });
  try {
    const secretKey = uniqueSecretKey();
    const stripe = front.stripe(secretKey);
    const customer = await stripe.customers.create({ email: 'chained@example.com' });
    const intent = await stripe.paymentIntents.create({
      amount: 500,
      currency: 'usd',
      customer: customer.id,
      payment_method: 'pm_card_visa',
      confirm: true,
      off_session: true,
    });
    assert.equal(intent.status, 'succeeded');
    await assert.rejects(stripe.paymentIntents.create({ currency: 'usd' } as Stripe.PaymentIntentCreateParams), /amount/);
    assert.deepEqual(await sandbox.client.requests({ secretKey }), []);
    assert.equal((await front.client.requests({ secretKey })).length, 3);
  } finally {
    await front.close();
  }
});
