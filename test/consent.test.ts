// Member consent through the API and below it, on the dev server with a real worker and Stripe sandbox:
// a manager can only invite; the member accepts with their own token, and the agreement is recorded;
// a charge without a recorded agreement is refused where the PaymentIntent would be created, even when
// the API is bypassed with a direct workflow update; replacement and withdrawal follow the same rule.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Role } from '../api/auth';
import type { PoolView } from '../domain/pools/pool-view';
import { parseMovementMetadata } from '../payments/metadata';
import { payableMember } from './support/payments-kit';
import { workflowIds } from '../temporal-config/workflow-ids';
import { joinPoolUpdate } from '../workflows/pools/pool';
import { roundProgressQuery, type RoundProgress } from '../workflows/pools/round';
import { authHeaders } from './support/api';
import { startApiHarness, type ApiHarness } from './support/api-harness';
import { uniqueId } from './support/env';
import { eventually } from './support/eventually';

const base = { currency: 'usd', cadence: { type: 'interval', every: 30, unit: 'days' }, gracePeriodHours: 1, dunningRetryHours: [] };

describe('member consent', () => {
  let h: ApiHarness;
  before(async () => (h = await startApiHarness()));
  after(async () => h.close());

  async function request<T>(method: string, path: string, sub: string, role: Role, body?: unknown, headers: Record<string, string> = {}) {
    const response = await h.app.request(path, {
      method,
      headers: { ...(await authHeaders(sub, role)), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  }
  async function ok<T>(method: string, path: string, sub: string, role: Role, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const response = await request<T>(method, path, sub, role, body, headers);
    assert.ok(response.status < 300, `${method} ${path} → ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }
  async function cardHolder(): Promise<string> {
    const { memberId } = await payableMember(h.kit);
    await h.kit.members.attachPaymentMethod(memberId, 'pm_card_visa');
    return memberId;
  }
  const agreements = async (poolId: string, memberId: string) =>
    (
      await h.db.query<{
        kind: string;
        currency: string;
        contribution_minor: bigint | null;
        commitment_minor: bigint | null;
        request_id: string;
        agreed_at: Date;
        withdrawn_at: Date | null;
        withdrawn_reason: string | null;
      }>('SELECT * FROM charge_agreements WHERE pool_id = $1 AND member_id = $2 ORDER BY agreed_at', [poolId, memberId])
    ).rows;
  /** The PaymentIntents the sandbox holds for one member of one pool. */
  const paymentIntentsOf = async (poolId: string, memberId: string) =>
    (await h.kit.control.objects({ type: 'payment_intent', secretKey: h.kit.secretKey })).filter((o) => {
      const key = parseMovementMetadata((o.object as { metadata?: Record<string, string> }).metadata ?? null);
      return key?.poolId === poolId && key.memberId === memberId;
    });
  const rotating = (name: string) => ({ ...base, kind: 'rotating', name, membersMin: 2, membersMax: 3, contributionMinor: 5_000 });

  test('a manager cannot put a member with a saved card into a pool; an invitation waits for the member to accept', async () => {
    const manager = uniqueId('mgr');
    const victim = await cardHolder();
    const pool = await ok<PoolView>('POST', '/v1/pools', manager, 'manager', rotating('Invite'));
    const added = await request('POST', `/v1/pools/${pool.poolId}/members`, manager, 'manager', { memberId: victim, agreeToCharges: true });
    assert.equal(added.status, 403);
    const invited = await request<{ memberId: string; acceptUrl: string }>('POST', `/v1/pools/${pool.poolId}/invitations`, manager, 'manager', {
      memberId: victim,
    });
    assert.equal(invited.status, 201);
    assert.equal((await ok<PoolView>('GET', `/v1/pools/${pool.poolId}`, manager, 'manager')).members.length, 0, 'an invitation joins nobody');
    assert.equal((await agreements(pool.poolId, victim)).length, 0);

    const listed = await ok<{ invitations: Array<{ poolId: string; terms: { contributionMinor: string } }> }>(
      'GET',
      '/v1/members/me/invitations',
      victim,
      'member',
    );
    assert.deepEqual(
      listed.invitations.map((i) => [i.poolId, i.terms.contributionMinor]),
      [[pool.poolId, '5000']],
    );

    assert.equal((await request('POST', `/v1/pools/${pool.poolId}/members`, victim, 'member', {})).status, 422, 'accepting needs the agreement');
    const requestId = uniqueId('req');
    const joined = await ok<PoolView>('POST', `/v1/pools/${pool.poolId}/members`, victim, 'member', { agreeToCharges: true }, { 'x-request-id': requestId });
    assert.deepEqual(
      joined.members.map((m) => m.memberId),
      [victim],
    );
    const [agreement, ...more] = await agreements(pool.poolId, victim);
    assert.equal(more.length, 0);
    assert.equal(agreement!.kind, 'rotating');
    assert.equal(agreement!.currency, 'usd');
    assert.equal(agreement!.contribution_minor, 5_000n);
    assert.equal(agreement!.request_id, requestId);
    assert.ok(Math.abs(agreement!.agreed_at.getTime() - Date.now()) < 60_000);
    assert.equal(agreement!.withdrawn_at, null);
    assert.equal((await ok<{ invitations: unknown[] }>('GET', '/v1/members/me/invitations', victim, 'member')).invitations.length, 0, 'accepted');
  });

  test('in an investment pool each member chooses their own commitment, and agrees to that', async () => {
    const manager = uniqueId('mgr');
    const member = await cardHolder();
    const pool = await ok<PoolView>('POST', '/v1/pools', manager, 'manager', { ...base, kind: 'investment', name: 'Fund', membersMin: 2, membersMax: 2 });
    assert.equal(
      (await request('POST', `/v1/pools/${pool.poolId}/members`, member, 'member', { agreeToCharges: true })).status,
      422,
      "a commitment is the member's to choose",
    );
    const joined = await ok<PoolView>('POST', `/v1/pools/${pool.poolId}/members`, member, 'member', { agreeToCharges: true, commitmentMinor: '120000' });
    assert.equal(joined.members[0]!.commitmentMinor, '120000');
    const [agreement] = await agreements(pool.poolId, member);
    assert.equal(agreement!.kind, 'investment');
    assert.equal(agreement!.commitment_minor, 120_000n);
  });

  test('accepting again, or several times at once, leaves the member in once with their agreement in force', async () => {
    const manager = uniqueId('mgr');
    const member = await cardHolder();
    const pool = await ok<PoolView>('POST', '/v1/pools', manager, 'manager', rotating('Repeated accept'));
    // Under heavy load the create may answer 202, before the pool is open and readable.
    await eventually('the pool open to members', async () =>
      (await request<PoolView>('GET', `/v1/pools/${pool.poolId}`, manager, 'manager')).body.status === 'open' ? true : undefined,
    );
    // Found by the chaos suite: the accepts the pool refused as "already a member" withdrew the agreement
    // the winning accept had just recorded, so the member's first charge was refused.
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => request('POST', `/v1/pools/${pool.poolId}/members`, member, 'member', { agreeToCharges: true })),
    );
    // Accepts that meet the agreement in force send its join under the same update ID, so those that arrive
    // while it runs learn its outcome (201); those after it are told the member is in. One join either way.
    assert.ok(answers.some((a) => a.status === 201));
    for (const answer of answers.filter((a) => a.status !== 201)) {
      assert.equal(answer.status, 409);
      assert.equal((answer.body as { title: string }).title, 'AlreadyMember');
    }
    const view = await ok<PoolView>('GET', `/v1/pools/${pool.poolId}`, manager, 'manager');
    assert.deepEqual(
      view.members.map((m) => m.memberId),
      [member],
      'the member is in once',
    );
    const again = await request<{ title: string }>('POST', `/v1/pools/${pool.poolId}/members`, member, 'member', { agreeToCharges: true });
    assert.equal(again.status, 409);
    assert.equal(again.body.title, 'AlreadyMember');
    const inForce = (await agreements(pool.poolId, member)).filter((a) => a.withdrawn_at === null);
    assert.equal(inForce.length, 1, 'one agreement in force');
    assert.equal(inForce[0]!.contribution_minor, 5_000n);
  });

  test('two accepts at once with different commitments: one joins, and the agreement in force holds its terms', async () => {
    const manager = uniqueId('mgr');
    // Several pools, so that the interleaving in which both accepts record before either joins is met.
    for (let attempt = 0; attempt < 3; attempt++) {
      const member = await cardHolder();
      const pool = await ok<PoolView>('POST', '/v1/pools', manager, 'manager', { ...base, kind: 'investment', name: 'Race', membersMin: 2, membersMax: 3 });
      await eventually('the pool open to members', async () =>
        (await request<PoolView>('GET', `/v1/pools/${pool.poolId}`, manager, 'manager')).body.status === 'open' ? true : undefined,
      );
      const commitments = ['100000', '500000'];
      const answers = await Promise.all(
        commitments.map((commitmentMinor) =>
          request<PoolView & { title?: string; detail?: string }>('POST', `/v1/pools/${pool.poolId}/members`, member, 'member', {
            agreeToCharges: true,
            commitmentMinor,
          }),
        ),
      );
      assert.deepEqual(answers.map((a) => a.status).sort(), [201, 409], JSON.stringify(answers.map((a) => a.body)));
      const winner = answers.findIndex((a) => a.status === 201);
      const loser = answers[1 - winner]!;
      assert.ok(
        loser.body.title === 'AgreementConflict' || loser.body.title === 'AlreadyMember',
        `the losing accept is told why: ${JSON.stringify(loser.body)}`,
      );
      const joined = answers[winner]!.body.members.find((m) => m.memberId === member);
      assert.equal(joined?.commitmentMinor, commitments[winner]);
      const inForce = (await agreements(pool.poolId, member)).filter((a) => a.withdrawn_at === null);
      assert.equal(inForce.length, 1, 'one agreement in force');
      assert.equal(inForce[0]!.commitment_minor, BigInt(commitments[winner]!), 'the agreement holds the terms of the join that won');
    }
  });

  test('a charge without a recorded agreement is refused at the activity, even through a direct workflow update', async () => {
    const manager = uniqueId('mgr');
    const [consenting, victim] = [await cardHolder(), await cardHolder()];
    const pool = await ok<PoolView>('POST', '/v1/pools', manager, 'manager', rotating('Bypass'));
    await ok('POST', `/v1/pools/${pool.poolId}/members`, consenting, 'member', { agreeToCharges: true });
    // Around the API: straight to the workflow, as anyone with Temporal access (or the Web UI) could.
    const handle = h.client.workflow.getHandle(workflowIds.pool(pool.poolId));
    await handle.executeUpdate(joinPoolUpdate, { args: [{ memberId: victim }] });
    await ok('POST', `/v1/pools/${pool.poolId}/activate`, manager, 'manager');
    await ok('POST', `/v1/pools/${pool.poolId}/rounds`, manager, 'manager');

    const round = h.client.workflow.getHandle(workflowIds.round(pool.poolId, 1));
    const progress = await eventually(
      'the round to have asked to charge both members',
      async () => {
        const p: RoundProgress = await round.query(roundProgressQuery);
        // The refused charge escalates to operations (workflows/pools/round.ts); a charge made would settle.
        const charged = p.members.every((m) => m.attempts >= 1 && (m.state !== 'charging' || p.phase === 'collection-escalated'));
        return charged ? p : undefined;
      },
      60_000,
    );
    assert.equal(progress.phase, 'collection-escalated', 'operations are called; the member is not put into dunning');
    assert.equal(progress.members.find((m) => m.memberId === victim)!.paymentIntentId, null);
    assert.deepEqual(await paymentIntentsOf(pool.poolId, victim), [], 'no PaymentIntent was created for the member who never agreed');
    const { rows } = await h.db.query('SELECT 1 FROM stripe_payment_intents WHERE idempotency_key LIKE $1', [`contribution:${pool.poolId}:%:${victim}:%`]);
    assert.equal(rows.length, 0);
    assert.equal((await paymentIntentsOf(pool.poolId, consenting)).length, 1, 'the member who agreed is charged');
  });

  test('a replacement takes effect when the incoming member accepts; the outgoing agreement ends', async () => {
    const manager = uniqueId('mgr');
    const [m1, m2, newcomer] = [await cardHolder(), await cardHolder(), await cardHolder()];
    const pool = await ok<PoolView>('POST', '/v1/pools', manager, 'manager', { ...rotating('Swap'), membersMax: 2 });
    for (const m of [m1, m2]) await ok('POST', `/v1/pools/${pool.poolId}/members`, m, 'member', { agreeToCharges: true });
    await ok('POST', `/v1/pools/${pool.poolId}/activate`, manager, 'manager');
    const invitation = await request<{ replacesMemberId: string }>('POST', `/v1/pools/${pool.poolId}/members/${m1}/replace`, manager, 'manager', {
      incomingMemberId: newcomer,
    });
    assert.equal(invitation.status, 202);
    assert.equal(invitation.body.replacesMemberId, m1);
    assert.equal(
      (await ok<PoolView>('GET', `/v1/pools/${pool.poolId}`, manager, 'manager')).members.some((m) => m.memberId === newcomer),
      false,
    );
    assert.equal(
      (await request('POST', `/v1/pools/${pool.poolId}/members`, uniqueId('stranger'), 'member', { agreeToCharges: true })).status,
      404,
      'only the invited member',
    );

    const replaced = await ok<PoolView>('POST', `/v1/pools/${pool.poolId}/members`, newcomer, 'member', { agreeToCharges: true });
    assert.equal(replaced.members.find((m) => m.memberId === newcomer)?.replacedMemberId, m1);
    assert.equal(replaced.members.find((m) => m.memberId === m1)?.status, 'left');
    assert.equal((await agreements(pool.poolId, newcomer))[0]!.withdrawn_at, null);
    const [outgoing] = await agreements(pool.poolId, m1);
    assert.ok(outgoing!.withdrawn_at);
    assert.equal(outgoing!.withdrawn_reason, 'replaced');
  });

  test("withdrawing consent is leaving under the pool's rules, and ends the agreement", async () => {
    const manager = uniqueId('mgr');
    const [m1, m2] = [await cardHolder(), await cardHolder()];
    const pool = await ok<PoolView>('POST', '/v1/pools', manager, 'manager', rotating('Leave'));
    for (const m of [m1, m2]) await ok('POST', `/v1/pools/${pool.poolId}/members`, m, 'member', { agreeToCharges: true });
    const left = await ok<PoolView>('DELETE', `/v1/pools/${pool.poolId}/members/${m1}`, m1, 'member');
    assert.equal(left.members.find((m) => m.memberId === m1)?.status, 'left');
    const [agreement] = await agreements(pool.poolId, m1);
    assert.ok(agreement!.withdrawn_at);
    assert.equal(agreement!.withdrawn_reason, 'left');

    // Once active, the pool's rules keep members in (they leave by being replaced), and so the agreement.
    const m3 = await cardHolder();
    await ok('POST', `/v1/pools/${pool.poolId}/members`, m3, 'member', { agreeToCharges: true });
    await ok('POST', `/v1/pools/${pool.poolId}/activate`, manager, 'manager');
    assert.equal((await request('DELETE', `/v1/pools/${pool.poolId}/members/${m2}`, m2, 'member')).status, 409);
    assert.equal((await agreements(pool.poolId, m2))[0]!.withdrawn_at, null);
  });
});
