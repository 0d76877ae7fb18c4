// Accepting after an accept whose join got no answer: the agreement that accept recorded is kept while
// the join may have happened, and the pool decides what becomes of it. The lost answer is made at the
// network edge, by an API whose Temporal connection runs through a proxy that is cut; a join that
// reached the pool anyway is delivered late under the agreement's own update ID.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, Connection, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Hono } from 'hono';
import type { AppEnv } from '../api/context';
import type { Role } from '../api/auth';
import { recordAgreement, agreementTerms, shortenJoinLease } from '../db/consent';
import type { PoolView } from '../domain/pools/pool-view';
import { poolflowDataConverter } from '../temporal-config/data-converter';
import { createPoolsWorker } from '../workers/pools/worker';
import { workflowIds } from '../temporal-config/workflow-ids';
import { joinPoolUpdate, poolStateQuery } from '../workflows/pools/pool';
import { roundProgressQuery, type RoundProgress } from '../workflows/pools/round';
import { parseMovementMetadata } from '../payments/metadata';
import { startFaultProxy, type FaultProxy } from './chaos/proxy';
import { authHeaders, testApp } from './support/api';
import { startApiHarness, type ApiHarness } from './support/api-harness';
import { devServerWorkerConnection, testConfig, uniqueId, workflowBundle } from './support/env';
import { eventually } from './support/eventually';
import { payableMember } from './support/payments-kit';

const investment = (name: string) => ({
  kind: 'investment',
  name,
  currency: 'usd',
  cadence: { type: 'interval', every: 30, unit: 'days' },
  gracePeriodHours: 1,
  dunningRetryHours: [],
  membersMin: 2,
  membersMax: 3,
});

interface AgreementRecord {
  agreement_id: string;
  commitment_minor: bigint | null;
  request_id: string;
  join_update_id: string | null;
  withdrawn_at: Date | null;
  withdrawn_reason: string | null;
  withdrawn_request_id: string | null;
}

describe('accepting after an accept whose join got no answer', () => {
  let h: ApiHarness;
  let proxy: FaultProxy;
  let edgeConnection: Connection;
  /** The API over the cuttable Temporal connection; otherwise the same database, Redis and worker. */
  let edgeApp: Hono<AppEnv>;

  before(async () => {
    h = await startApiHarness();
    const [host, port] = testConfig.temporalAddress.split(':');
    proxy = await startFaultProxy(host!, Number(port));
    // No client-side retries: an unreachable server is answered at once, as it would be after them.
    edgeConnection = await Connection.connect({ address: proxy.address, interceptors: [] });
    edgeApp = testApp({
      ...h.deps,
      temporal: new Client({ connection: edgeConnection, namespace: testConfig.namespace, dataConverter: poolflowDataConverter() }),
    });
  });
  after(async () => {
    await edgeConnection.close();
    await proxy.close();
    await h.close();
  });

  async function request<T>(app: Hono<AppEnv>, method: string, path: string, sub: string, role: Role, body?: unknown, headers: Record<string, string> = {}) {
    const response = await app.request(path, {
      method,
      headers: { ...(await authHeaders(sub, role)), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as T & { title?: string; detail?: string } };
  }
  async function cardHolder(): Promise<string> {
    const { memberId } = await payableMember(h.kit);
    await h.kit.members.attachPaymentMethod(memberId, 'pm_card_visa');
    return memberId;
  }
  async function openPool(name: string, overrides: Record<string, unknown> = {}, app = h.app): Promise<PoolView> {
    const manager = uniqueId('mgr');
    const created = await request<PoolView>(app, 'POST', '/v1/pools', manager, 'manager', { ...investment(name), ...overrides });
    assert.ok(created.status < 300, JSON.stringify(created.body));
    const poolId = created.body.poolId;
    return eventually('the pool open to members', async () => {
      const { body } = await request<PoolView>(h.app, 'GET', `/v1/pools/${poolId}`, manager, 'manager');
      return body.status === 'open' ? body : undefined;
    });
  }
  const agreements = async (poolId: string, memberId: string) =>
    (await h.db.query<AgreementRecord>('SELECT * FROM charge_agreements WHERE pool_id = $1 AND member_id = $2 ORDER BY agreed_at', [poolId, memberId])).rows;
  /** The PaymentIntents the sandbox holds for one member of one pool. */
  const paymentIntentsOf = async (poolId: string, memberId: string) =>
    (await h.kit.control.objects({ type: 'payment_intent', secretKey: h.kit.secretKey })).filter((o) => {
      const key = parseMovementMetadata((o.object as { metadata?: Record<string, string> }).metadata ?? null);
      return key?.poolId === poolId && key.memberId === memberId;
    });
  /** The member as the pool's workflow holds them now (not its projection); those who left are not members. */
  const memberInPool = async (poolId: string, memberId: string) =>
    (await h.client.workflow.getHandle(workflowIds.pool(poolId)).query(poolStateQuery)).members.find((m) => m.memberId === memberId && m.status !== 'left');
  const accept = (app: Hono<AppEnv>, poolId: string, memberId: string, commitmentMinor: string, headers: Record<string, string> = {}) =>
    request<PoolView>(app, 'POST', `/v1/pools/${poolId}/members`, memberId, 'member', { agreeToCharges: true, commitmentMinor }, headers);

  /** An accept whose call to the pool finds Temporal unreachable: 503, the agreement kept, nobody joined. */
  async function unansweredAccept(poolId: string, memberId: string, commitmentMinor: string): Promise<AgreementRecord> {
    proxy.cut('refuse');
    try {
      const answer = await accept(edgeApp, poolId, memberId, commitmentMinor);
      assert.equal(answer.status, 503, JSON.stringify(answer.body));
      assert.ok(Number(answer.headers.get('retry-after')) > 0);
    } finally {
      proxy.restore();
    }
    const [kept, ...more] = await agreements(poolId, memberId);
    assert.equal(more.length, 0);
    assert.equal(kept!.withdrawn_at, null, 'the join may have happened: the agreement is kept');
    assert.equal(kept!.commitment_minor, BigInt(commitmentMinor));
    assert.ok(kept!.join_update_id, 'the agreement names the update that carries its join');
    return kept!;
  }

  /** Accepts, sent again while the API answers 503 (an outcome not known yet), as a client would. */
  const acceptUntilDecided = (poolId: string, memberId: string, commitmentMinor: string, requestId: string) =>
    eventually(
      'an answer other than 503',
      async () => {
        const answer = await accept(h.app, poolId, memberId, commitmentMinor, { 'x-request-id': requestId });
        return answer.status === 503 ? undefined : answer;
      },
      15_000,
    );

  test('a member whose unanswered accept never joined them can accept again on other terms; the stale agreement ends', async () => {
    const { poolId } = await openPool('Lost answer');
    const member = await cardHolder();
    const stale = await unansweredAccept(poolId, member, '100000');
    assert.equal(await memberInPool(poolId, member), undefined, 'the join never reached the pool');

    const requestId = uniqueId('req');
    const again = await acceptUntilDecided(poolId, member, '250000', requestId);
    assert.equal(again.status, 201, `not stuck: ${JSON.stringify(again.body)}`);
    assert.equal((await memberInPool(poolId, member))?.commitmentMinor, '250000');
    const [ended, inForce, ...more] = await agreements(poolId, member);
    assert.equal(more.length, 0);
    assert.equal(ended!.agreement_id, stale.agreement_id);
    assert.ok(ended!.withdrawn_at);
    assert.equal(ended!.withdrawn_reason, 'stale: the join it was given for never reached the pool');
    assert.equal(ended!.withdrawn_request_id, requestId, 'the withdrawal names the request that ended it');
    assert.equal(inForce!.withdrawn_at, null);
    assert.equal(inForce!.commitment_minor, 250_000n, 'the agreement in force is what the member joined on');

    // The first join arriving after all (a request the pool had not seen yet) adds nobody on its terms.
    const late = h.client.workflow
      .getHandle(workflowIds.pool(poolId))
      .executeUpdate(joinPoolUpdate, { updateId: stale.join_update_id!, args: [{ memberId: member, commitmentMinor: '100000' }] });
    await assert.rejects(
      late,
      (error) => error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && error.cause.type === 'AlreadyMember',
    );
    assert.equal((await memberInPool(poolId, member))?.commitmentMinor, '250000');
    assert.equal((await agreements(poolId, member)).filter((a) => a.withdrawn_at === null).length, 1);
  });

  test('a member whose unanswered accept did join them is told so, and that agreement stands', async () => {
    const { poolId } = await openPool('Answer lost after the join');
    const member = await cardHolder();
    const kept = await unansweredAccept(poolId, member, '100000');
    // The pool took the join after all: its answer was what got lost.
    await h.client.workflow
      .getHandle(workflowIds.pool(poolId))
      .executeUpdate(joinPoolUpdate, { updateId: kept.join_update_id!, args: [{ memberId: member, commitmentMinor: '100000' }] });

    const again = await acceptUntilDecided(poolId, member, '250000', uniqueId('req'));
    assert.equal(again.status, 409);
    assert.equal(again.body.title, 'AlreadyMember');
    assert.match(again.body.detail!, /commitment of 100000/);
    assert.match(again.body.detail!, new RegExp(`leave the pool first \\(DELETE /v1/pools/${poolId}/members/${member}\\)`), 'advice the member can follow');
    const [agreement, ...more] = await agreements(poolId, member);
    assert.equal(more.length, 0);
    assert.equal(agreement!.withdrawn_at, null, 'the agreement the member joined on stands');
    assert.equal((await memberInPool(poolId, member))?.commitmentMinor, '100000');
  });

  test('while an earlier accept may still send its join, a later one on other terms is told to retry, and nothing changes', async () => {
    const { poolId, config } = await openPool('Join on its way');
    const member = await cardHolder();
    // As an accept does just before it sends its join: the agreement recorded, its lease running.
    const { agreement: earlier } = await recordAgreement(h.db, {
      poolId,
      memberId: member,
      terms: agreementTerms(config, 100_000n),
      requestId: uniqueId('req'),
      join: { updateId: uniqueId('cmd'), leaseMs: 60_000 },
    });

    const waiting = await accept(h.app, poolId, member, '250000');
    assert.equal(waiting.status, 503, JSON.stringify(waiting.body));
    assert.ok(Number(waiting.headers.get('retry-after')) >= 1, 'told when to come back');
    assert.match(waiting.body.detail!, /earlier acceptance \(commitment 100000 usd\) has no answer from the pool yet/);
    const [unchanged, ...more] = await agreements(poolId, member);
    assert.equal(more.length, 0);
    assert.equal(unchanged!.withdrawn_at, null);
    assert.equal(await memberInPool(poolId, member), undefined);

    // Once that accept has given up sending, the pool's answer decides: it never joined the member.
    await shortenJoinLease(h.db, earlier.agreementId, 0);
    const again = await acceptUntilDecided(poolId, member, '250000', uniqueId('req'));
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.equal((await memberInPool(poolId, member))?.commitmentMinor, '250000');
  });

  test("a caller cannot end another member's agreement through this path, nor join for them", async () => {
    const { poolId } = await openPool('Not yours');
    const [victim, attacker] = [await cardHolder(), await cardHolder()];
    const stale = await unansweredAccept(poolId, victim, '100000');
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // past the settle time: the victim's agreement could be judged stale now

    const forVictim = await request(h.app, 'POST', `/v1/pools/${poolId}/members`, attacker, 'member', {
      agreeToCharges: true,
      commitmentMinor: '250000',
      memberId: victim,
    });
    assert.equal(forVictim.status, 403);
    assert.equal((await accept(h.app, poolId, attacker, '250000')).status, 201, 'the attacker joins for themselves only');

    const [agreement, ...more] = await agreements(poolId, victim);
    assert.equal(more.length, 0);
    assert.equal(agreement!.agreement_id, stale.agreement_id);
    assert.equal(agreement!.withdrawn_at, null, "the victim's agreement is theirs to settle");
    assert.equal(await memberInPool(poolId, victim), undefined);
    assert.equal((await memberInPool(poolId, attacker))?.commitmentMinor, '250000');
  });
  test('a join that lands after its agreement ended moves no money: the charge is refused where it would be made', async () => {
    const { poolId, managerId } = await openPool('Late join');
    const [member, other] = [await cardHolder(), await cardHolder()];
    const stale = await unansweredAccept(poolId, member, '100000');
    assert.equal((await acceptUntilDecided(poolId, member, '250000', uniqueId('req'))).status, 201);
    const left = await request(h.app, 'DELETE', `/v1/pools/${poolId}/members/${member}`, member, 'member');
    assert.equal(left.status, 200, JSON.stringify(left.body));
    assert.equal((await agreements(poolId, member)).filter((a) => a.withdrawn_at === null).length, 0, 'no agreement in force');

    // Only now does the first join reach the pool. Its validator knows the members, not the agreements
    // (those live in the database), so it takes the member back on the first join's terms.
    await h.client.workflow
      .getHandle(workflowIds.pool(poolId))
      .executeUpdate(joinPoolUpdate, { updateId: stale.join_update_id!, args: [{ memberId: member, commitmentMinor: '100000' }] });
    assert.equal((await memberInPool(poolId, member))?.commitmentMinor, '100000');
    assert.equal((await accept(h.app, poolId, other, '300000')).status, 201);
    assert.equal((await request(h.app, 'POST', `/v1/pools/${poolId}/activate`, managerId, 'manager')).status, 200);
    assert.equal((await request(h.app, 'POST', `/v1/pools/${poolId}/rounds`, managerId, 'manager', {})).status, 202);

    // The charge activity reads the agreement in force when it would create the PaymentIntent: none, so none.
    const round = h.client.workflow.getHandle(workflowIds.round(poolId, 1));
    const progress = await eventually(
      'the round to have asked to charge both members',
      async () => {
        const p: RoundProgress = await round.query(roundProgressQuery);
        const asked = p.members.every((m) => m.attempts >= 1 && (m.state !== 'charging' || p.phase === 'collection-escalated'));
        return asked ? p : undefined;
      },
      60_000,
    );
    assert.equal(progress.phase, 'collection-escalated', 'operations are called; the member is neither charged nor put into dunning');
    assert.equal(progress.members.find((m) => m.memberId === member)!.paymentIntentId, null);
    assert.deepEqual(await paymentIntentsOf(poolId, member), [], 'no PaymentIntent for the member whose agreement ended');
    assert.equal((await paymentIntentsOf(poolId, other)).length, 1, 'the member who agreed is charged');
  });
  test('a member whose join landed after its agreement ended can give it, on the terms they joined on, and on those only', async () => {
    const { poolId } = await openPool('Agreement given again');
    const member = await cardHolder();
    const stale = await unansweredAccept(poolId, member, '100000');
    assert.equal((await acceptUntilDecided(poolId, member, '250000', uniqueId('req'))).status, 201);
    assert.equal((await request(h.app, 'DELETE', `/v1/pools/${poolId}/members/${member}`, member, 'member')).status, 200);
    await h.client.workflow
      .getHandle(workflowIds.pool(poolId))
      .executeUpdate(joinPoolUpdate, { updateId: stale.join_update_id!, args: [{ memberId: member, commitmentMinor: '100000' }] });
    assert.equal((await agreements(poolId, member)).filter((a) => a.withdrawn_at === null).length, 0, 'in the pool without an agreement');

    const otherTerms = await accept(h.app, poolId, member, '250000');
    assert.equal(otherTerms.status, 409);
    assert.equal(otherTerms.body.title, 'AlreadyMember');
    assert.match(otherTerms.body.detail!, /no agreement of yours is in force: accept on the terms you joined on \(commitmentMinor 100000\) to give it/);
    assert.equal((await agreements(poolId, member)).filter((a) => a.withdrawn_at === null).length, 0, 'nothing recorded on other terms');

    const requestId = uniqueId('req');
    const given = await accept(h.app, poolId, member, '100000', { 'x-request-id': requestId });
    assert.equal(given.status, 201, JSON.stringify(given.body));
    const inForce = (await agreements(poolId, member)).filter((a) => a.withdrawn_at === null);
    assert.equal(inForce.length, 1);
    assert.equal(inForce[0]!.commitment_minor, 100_000n, 'the terms the member is in the pool on');
    assert.equal(inForce[0]!.request_id, requestId);
    assert.equal((await memberInPool(poolId, member))?.commitmentMinor, '100000', 'no second join');
    const again = await accept(h.app, poolId, member, '100000');
    assert.equal(again.status, 409);
    assert.match(again.body.detail!, /nothing to accept; to join on other terms, leave the pool first/);
  });

  test('an accept the pool refuses is told what the member can still do, and its agreement ends', async () => {
    const { poolId } = await openPool('Full', { membersMax: 2 });
    const [first, second, late] = [await cardHolder(), await cardHolder(), await cardHolder()];
    for (const member of [first, second]) assert.equal((await accept(h.app, poolId, member, '100000')).status, 201);
    const refused = await accept(h.app, poolId, late, '100000');
    assert.equal(refused.status, 409);
    assert.equal(refused.body.title, 'PoolFull');
    assert.match(refused.body.detail!, /a place opens if a member leaves while the pool is open: accept again then/);
    const [agreement, ...more] = await agreements(poolId, late);
    assert.equal(more.length, 0);
    assert.ok(agreement!.withdrawn_at);
    assert.equal(agreement!.withdrawn_reason, 'join refused');
  });
  test('an earlier join the pool holds without an answer yet: a later accept is told to retry, and once it lands, that the member is in', async () => {
    // This pool's workflow runs on a worker of the test's own, which is stopped while the join waits.
    const taskQueue = uniqueId('pending-join');
    const startWorker = async () => {
      const connection = await devServerWorkerConnection();
      const worker = await createPoolsWorker({
        connection,
        namespace: testConfig.namespace,
        client: h.client,
        db: h.db,
        redis: h.redis,
        stripe: h.kit.stripe,
        taskQueue,
        workflowBundle: await workflowBundle(),
      });
      const running = worker.run();
      return async () => {
        worker.shutdown();
        await running;
        await connection.close();
      };
    };
    let stopWorker = await startWorker();
    try {
      const { poolId } = await openPool('Join held by the server', {}, testApp({ ...h.deps, poolsTaskQueue: taskQueue }));
      const member = await cardHolder();
      const earlier = await unansweredAccept(poolId, member, '100000');
      await stopWorker();
      // The earlier join reaches the server now, with no worker to run it: the server holds it, unanswered.
      const pool = h.client.workflow.getHandle(workflowIds.pool(poolId));
      const held = h.client
        .withDeadline(Date.now() + 1_000, () =>
          pool.executeUpdate(joinPoolUpdate, { updateId: earlier.join_update_id!, args: [{ memberId: member, commitmentMinor: '100000' }] }),
        )
        .catch(() => 'held');
      assert.equal(await held, 'held');
      await new Promise((resolve) => setTimeout(resolve, 2_500)); // past the earlier accept's settle time

      const waiting = await accept(h.app, poolId, member, '250000');
      assert.equal(waiting.status, 503, JSON.stringify(waiting.body));
      assert.match(waiting.body.detail!, /earlier acceptance \(commitment 100000 usd\) has no answer from the pool yet/);
      const [unchanged, ...more] = await agreements(poolId, member);
      assert.equal(more.length, 0);
      assert.equal(unchanged!.withdrawn_at, null, 'nothing changed while the outcome is unknown');

      stopWorker = await startWorker();
      await eventually('the held join to land', async () => ((await memberInPool(poolId, member))?.commitmentMinor === '100000' ? true : undefined), 30_000);
      const decided = await acceptUntilDecided(poolId, member, '250000', uniqueId('req'));
      assert.equal(decided.status, 409);
      assert.equal(decided.body.title, 'AlreadyMember');
      assert.equal((await agreements(poolId, member)).filter((a) => a.withdrawn_at === null)[0]!.agreement_id, earlier.agreement_id, 'that agreement stands');
    } finally {
      await stopWorker();
    }
  });
});
