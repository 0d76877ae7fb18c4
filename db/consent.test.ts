// The join lease of an agreement on real PostgreSQL: while it runs, the agreement cannot be ended as
// stale; a second accept on the same terms extends it (never shortens it) and keeps the first update's ID;
// an accept whose call ended cuts it short, and then the stale agreement can be ended, once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testDb, uniqueId } from '../test/support/env';
import {
  AgreementTermsConflict,
  findAgreementInForce,
  joinLeaseLeftMs,
  recordAgreement,
  shortenJoinLease,
  withdrawAgreement,
  type AgreementTerms,
} from './consent';
import type { Db } from './pool';

const terms = (commitmentMinor: bigint): AgreementTerms => ({
  kind: 'investment',
  currency: 'usd',
  contributionMinor: null,
  commitmentMinor,
  lateFeeMinor: 0n,
});

describe('agreement join leases', () => {
  let db: Db;
  before(() => (db = testDb()));
  after(async () => db.end());

  test('a running lease keeps the agreement from being ended as stale; a same-terms accept extends it and keeps its update', async () => {
    const [poolId, memberId] = [uniqueId('pool'), uniqueId('member')];
    const first = await recordAgreement(db, { poolId, memberId, terms: terms(100n), requestId: 'req-1', join: { updateId: 'cmd-first', leaseMs: 60_000 } });
    assert.equal(first.created, true);
    assert.equal(first.agreement.joinUpdateId, 'cmd-first');
    const twin = await recordAgreement(db, { poolId, memberId, terms: terms(100n), requestId: 'req-2', join: { updateId: 'cmd-twin', leaseMs: 1_000 } });
    assert.equal(twin.created, false);
    assert.equal(twin.agreement.agreementId, first.agreement.agreementId);
    assert.equal(twin.agreement.joinUpdateId, 'cmd-first', "the twin sends the first accept's update again");
    assert.ok((await joinLeaseLeftMs(db, first.agreement.agreementId))! > 50_000, 'a shorter lease never cuts a longer one');

    const stale = { poolId, memberId, agreementId: first.agreement.agreementId, reason: 'stale: test', requestId: 'req-3', afterJoinLease: true };
    assert.equal(await withdrawAgreement(db, stale), false, 'its join may still be on its way');
    assert.equal((await findAgreementInForce(db, poolId, memberId))?.agreementId, first.agreement.agreementId);
    await assert.rejects(
      recordAgreement(db, { poolId, memberId, terms: terms(200n), requestId: 'req-4', join: { updateId: 'cmd-other', leaseMs: 60_000 } }),
      AgreementTermsConflict,
    );

    await shortenJoinLease(db, first.agreement.agreementId, 0);
    assert.equal(await joinLeaseLeftMs(db, first.agreement.agreementId), 0);
    assert.equal(await withdrawAgreement(db, stale), true);
    assert.equal(await withdrawAgreement(db, stale), false, 'ended once');
    assert.equal(await joinLeaseLeftMs(db, first.agreement.agreementId), null, 'no longer in force');
    const renewed = await recordAgreement(db, { poolId, memberId, terms: terms(200n), requestId: 'req-5', join: { updateId: 'cmd-other', leaseMs: 60_000 } });
    assert.equal(renewed.created, true);
    assert.equal(renewed.agreement.joinUpdateId, 'cmd-other');
  });

  test('an agreement recorded without a join (an assessment purchase, or before leases) can be ended at once', async () => {
    const [poolId, memberId] = [uniqueId('pool'), uniqueId('member')];
    const { agreement } = await recordAgreement(db, { poolId, memberId, terms: terms(100n), requestId: 'req-1' });
    assert.equal(agreement.joinUpdateId, null);
    assert.equal(agreement.joinLeaseUntil, null);
    assert.equal(await joinLeaseLeftMs(db, agreement.agreementId), 0);
    assert.equal(await withdrawAgreement(db, { poolId, memberId, reason: 'stale: test', requestId: 'req-2', afterJoinLease: true }), true);
  });
});
