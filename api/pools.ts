// /v1/pools: thin handlers over the pool workflows. Writes become workflow starts, updates and signals
// (whose validators have the final word); reads come from the projections. Each handler checks what
// the caller may do with the pool before touching it.
import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { Hono } from 'hono';
import { z } from 'zod';
import { commitDrawSecret } from '../db/draw-secrets';
import { agreementTerms, findPendingInvitation, type InvitationRow, markInvitationAccepted, recordAgreement, recordInvitation, withdrawAgreement } from '../db/consent';
import { chart } from '../db/ledger/chart';
import { getBalances } from '../db/ledger/accounts';
import { checkLedgerInvariants } from '../db/ledger/invariants';
import { listAccountPostings } from '../db/ledger/postings';
import { findConnectAccount, findCustomer } from '../db/payments/members';
import { parseCurrency } from '../domain/money';
import { poolConfigSchema } from '../domain/pool-config';
import type { PoolView } from '../domain/pool-view';
import { PoolIdAttribute, PoolKindAttribute, PoolManagerAttribute, PoolStatusAttribute } from '../temporal-config/search-attributes';
import { workflowIds } from '../temporal-config/workflow-ids';
import {
  activatePoolUpdate,
  bidRequestSchema,
  cancelPoolUpdate,
  distributeRequestSchema,
  joinPoolUpdate,
  leavePoolUpdate,
  pausePoolUpdate,
  placeBidUpdate,
  poolStateQuery,
  poolWorkflow,
  reasonSchema,
  replaceMemberUpdate,
  replaceRequestSchema,
  resumePoolUpdate,
  distributeUpdate,
  roundTriggerQuery,
  runRoundNowSignal,
} from '../workflows/pool';
import { roundProgressQuery } from '../workflows/round';
import type { AppEnv } from './context';
import type { ApiDeps } from './deps';
import { poolEntryFor, poolFor, POOL_ID_PATTERN, readPoolView, rememberPoolView } from './pool-access';
import { ProblemError } from './problem';
import { jsonBody } from './validation';

/** How long creating a pool waits for its workflow to open it before answering anyway. */
export const POOL_OPEN_WAIT_MS = 5_000;
/** How long a round trigger waits for the pool's verdict before answering 503 (the retry finds it). */
export const ROUND_TRIGGER_WAIT_MS = 10_000;
export const POOLS_PAGE_MAX = 100;
export const LEDGER_POSTINGS_PAGE_MAX = 200;

const listQuery = z.strictObject({
  status: z.enum(['draft', 'open', 'active', 'paused', 'completed', 'cancelled']).optional(),
  kind: z.enum(['rotating', 'investment']).optional(),
  limit: z.coerce.number().int().min(1).max(POOLS_PAGE_MAX).default(20),
  /** The created_at of the last pool on the previous page, as returned in `next`. */
  before: z.iso.datetime().optional(),
});
const acceptBody = z.strictObject({
  memberId: z.string().optional(),
  commitmentMinor: z.union([z.string(), z.number()]).optional(),
  /** The member's agreement to be charged off-session for this pool, on its terms: must be given. */
  agreeToCharges: z.literal(true, 'must be true: joining means agreeing to be charged off-session on the pool\'s terms'),
});
const invitationBody = z.strictObject({ memberId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "_" or "-"') });

/** An invitation as the API shows it. */
export function invitationJson(invitation: InvitationRow) {
  return {
    poolId: invitation.poolId,
    memberId: invitation.memberId,
    invitedBy: invitation.invitedBy,
    replacesMemberId: invitation.replacesMemberId,
    createdAt: invitation.createdAt.toISOString(),
    acceptUrl: `/v1/pools/${invitation.poolId}/members`,
  };
}
const roundParam = z.coerce.number().int().min(1).max(1_000_000);
const roundTriggerBody = z.strictObject({ round: z.int().min(1).max(1_000_000).optional() });

function query<S extends z.ZodType>(schema: S, values: Record<string, string>): z.output<S> {
  const result = schema.safeParse(values);
  if (result.success) return result.data;
  const errors = result.error.issues.map((i) => ({ field: i.path.join('.') || '(query)', message: i.message }));
  throw new ProblemError(422, 'Validation Failed', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
}

export function poolRoutes(deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const handle = (poolId: string) => deps.temporal.workflow.getHandle<typeof poolWorkflow>(workflowIds.pool(poolId));
  const poolId = (value: string) => {
    if (!POOL_ID_PATTERN.test(value)) throw new ProblemError(404, 'Not Found', 'no such pool');
    return value;
  };
  /** Runs an update under the request's command ID (its scoped Idempotency-Key), so Temporal drops a repeat too. */
  const update = async <Args extends unknown[]>(c: { get(key: 'commandId'): string | undefined }, id: string, definition: UpdateDefinition<PoolView, Args>, args: Args) => {
    try {
      // The SDK's overloads split updates with and without arguments; one cast covers both here.
      const view = await handle(id).executeUpdate(definition as unknown as UpdateDefinition<PoolView, [unknown]>, { args: args as unknown as [unknown], updateId: c.get('commandId') });
      rememberPoolView(view);
      return view;
    } catch (error) {
      // A completed or cancelled pool's workflow has ended: it exists, it just takes no more commands.
      const view = error instanceof WorkflowNotFoundError ? await readPoolView(deps, id) : null;
      if (view) throw new ProblemError(409, 'InvalidPoolState', `a ${view.status} pool takes no more commands`);
      throw error;
    }
  };

  app.post('/', async (c) => {
    const principal = c.get('principal');
    if (principal.role !== 'manager') throw new ProblemError(403, 'Forbidden', 'only managers create pools');
    const config = await jsonBody(c, poolConfigSchema);
    // The pool's ID derives from the caller and the Idempotency-Key: a repeated request finds the same pool.
    const id = `pool_${createHash('sha256').update(`${principal.sub}\n${c.get('idempotencyKey')}`).digest('hex').slice(0, 20)}`;
    const indexed = deps.searchAttributes !== false;
    // The workflow gets only the commitment to the pool's draw secret: its draws stay unpredictable until activation.
    const seedCommitment = await commitDrawSecret(deps.db, id);
    try {
      await deps.temporal.workflow.start(poolWorkflow, {
        workflowId: workflowIds.pool(id),
        taskQueue: deps.poolsTaskQueue,
        args: [{ poolId: id, managerId: principal.sub, config, seedCommitment, searchAttributes: indexed }],
        staticSummary: `Pool "${config.name}" (${config.kind}, ${config.currency.toUpperCase()})`,
        staticDetails: `Manager \`${principal.sub}\`; ${config.membersMin}-${config.membersMax} members; cadence \`${JSON.stringify(config.cadence)}\`.`,
        ...(indexed
          ? {
              typedSearchAttributes: [
                { key: PoolIdAttribute, value: id },
                { key: PoolKindAttribute, value: config.kind },
                { key: PoolStatusAttribute, value: 'draft' },
                { key: PoolManagerAttribute, value: principal.sub },
              ],
            }
          : {}),
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    const view = await waitForOpen(id);
    c.header('location', `/v1/pools/${id}`);
    return c.json(view, 201);
  });

  const waitForOpen = async (id: string): Promise<PoolView> => {
    const deadline = Date.now() + POOL_OPEN_WAIT_MS;
    for (;;) {
      const view = await handle(id).query(poolStateQuery);
      // Open is not enough: the caller's next request reads the projection, which an activity writes after.
      if ((view.status !== 'draft' && (await readPoolView(deps, id))) || Date.now() > deadline) return view;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  app.get('/', async (c) => {
    const principal = c.get('principal');
    const q = query(listQuery, c.req.query());
    const conditions: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      conditions.push(sql.replace('?', `$${params.length}`));
    };
    if (principal.role === 'manager') add('p.manager_id = ?', principal.sub);
    // Former members (left, replaced, expelled) no longer see the pool.
    if (principal.role === 'member') add("EXISTS (SELECT 1 FROM pool_members m WHERE m.pool_id = p.pool_id AND m.member_id = ? AND m.status IN ('active', 'suspended'))", principal.sub);
    if (q.status) add('p.status = ?', q.status);
    if (q.kind) add('p.kind = ?', q.kind);
    if (q.before) add('p.created_at < ?', q.before);
    params.push(q.limit);
    const { rows } = await deps.db.query<{ view: PoolView; created_at: Date }>(
      `SELECT p.view, p.created_at FROM pools p ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
       ORDER BY p.created_at DESC LIMIT $${params.length}`,
      params,
    );
    const next = rows.length === q.limit ? rows.at(-1)!.created_at.toISOString() : null;
    return c.json({ pools: rows.map((r) => r.view), next });
  });

  // Answered with the cached JSON text as it is: the hottest read does no serialising of its own.
  app.get('/:poolId', async (c) => c.body((await poolEntryFor(deps, c.get('principal'), c.req.param('poolId'), 'read')).json, 200, { 'content-type': 'application/json' }));

  // Accepting an invitation: only the member, with their own token, joins — agreeing to be charged
  // off-session on the pool's terms (their own commitment in an investment pool). An open pool's ID is
  // an invitation link anyone may accept; otherwise the manager's invitation must name them.
  app.post('/:poolId/members', async (c) => {
    const principal = c.get('principal');
    const id = poolId(c.req.param('poolId'));
    if (principal.role !== 'member') {
      await poolFor(deps, principal, id, 'read');
      throw new ProblemError(403, 'Forbidden', 'managers invite members (POST /v1/pools/{poolId}/invitations); only the member accepts');
    }
    const invitation = await findPendingInvitation(deps.db, id, principal.sub);
    const view = invitation ? await readPoolView(deps, id) : await poolFor(deps, principal, id, 'participate');
    if (!view) throw new ProblemError(404, 'Not Found', 'no such pool');
    const body = await jsonBody(c, acceptBody);
    if (body.memberId !== undefined && body.memberId !== principal.sub) throw new ProblemError(403, 'Forbidden', 'members join for themselves');
    await requirePayable(principal.sub, view.config.kind === 'rotating' || invitation?.replacesMemberId != null);
    const outgoing = invitation?.replacesMemberId ? view.members.find((m) => m.memberId === invitation.replacesMemberId) : undefined;
    // A newcomer takes over the outgoing member's commitment, so that is what they agree to.
    const commitment = outgoing ? outgoing.commitmentMinor : body.commitmentMinor !== undefined ? String(body.commitmentMinor) : null;
    if (outgoing && body.commitmentMinor !== undefined && String(body.commitmentMinor) !== outgoing.commitmentMinor) {
      throw new ProblemError(422, 'Validation Failed', `commitmentMinor: a replacement takes over ${outgoing.memberId}'s commitment of ${outgoing.commitmentMinor}`);
    }
    const consent = { poolId: id, memberId: principal.sub, requestId: c.get('requestId') };
    if (view.config.kind === 'rotating' && commitment !== null) throw new ProblemError(422, 'Validation Failed', 'commitmentMinor: a rotating pool takes no commitment');
    if (view.config.kind === 'investment' && !/^[1-9][0-9]{0,17}$/.test(commitment ?? '')) {
      throw new ProblemError(422, 'Validation Failed', 'commitmentMinor: an investment pool needs your commitment, a positive whole number of minor units');
    }
    await recordAgreement(deps.db, { ...consent, terms: agreementTerms(view.config, commitment === null ? null : BigInt(commitment)) });
    try {
      const joined = invitation?.replacesMemberId
        ? await update(c, id, replaceMemberUpdate, [{ outgoingMemberId: invitation.replacesMemberId, incomingMemberId: principal.sub }])
        : await update(c, id, joinPoolUpdate, [{ memberId: principal.sub, ...(body.commitmentMinor !== undefined ? { commitmentMinor: body.commitmentMinor } : {}) }]);
      await markInvitationAccepted(deps.db, id, principal.sub);
      if (invitation?.replacesMemberId) await withdrawAgreement(deps.db, { poolId: id, memberId: invitation.replacesMemberId, reason: 'replaced', requestId: consent.requestId });
      return c.json(joined, 201);
    } catch (error) {
      // Refused by the pool: the agreement given for this attempt is void.
      if (error instanceof WorkflowUpdateFailedError) await withdrawAgreement(deps.db, { ...consent, reason: 'join refused' });
      throw error;
    }
  });

  /** A member must be able to pay (a saved card) and, to receive a rotating pot, be paid (onboarded). */
  const requirePayable = async (memberId: string, needsPayoutAccount: boolean) => {
    const customer = await findCustomer(deps.db, memberId);
    if (!customer?.defaultPaymentMethodId) throw new ProblemError(422, 'Member Not Payable', `${memberId} has no saved payment method (POST /v1/members/me/payment-methods)`);
    if (needsPayoutAccount && !(await findConnectAccount(deps.db, memberId))) {
      throw new ProblemError(422, 'Member Not Payable', `${memberId} has no payout account (POST /v1/members/me/payout-account)`);
    }
  };

  // The manager names who may join; the invitation does nothing until that member accepts.
  app.post('/:poolId/invitations', async (c) => {
    const id = poolId(c.req.param('poolId'));
    const view = await poolFor(deps, c.get('principal'), id, 'manage');
    const { memberId } = await jsonBody(c, invitationBody);
    if (view.status !== 'open') throw new ProblemError(409, 'InvalidPoolState', `a ${view.status} pool takes no new members; replace one instead`);
    if (view.members.some((m) => m.memberId === memberId && m.status !== 'left')) throw new ProblemError(409, 'AlreadyMember', `${memberId} is already a member`);
    const invitation = await recordInvitation(deps.db, { poolId: id, memberId, invitedBy: c.get('principal').sub, replacesMemberId: null, requestId: c.get('requestId') });
    return c.json(invitationJson(invitation), 201);
  });

  // Withdrawing consent is leaving, under the pool's rules: an open pool lets members go; later they
  // leave by being replaced. Leaving ends the agreement to be charged.
  app.delete('/:poolId/members/:memberId', async (c) => {
    const principal = c.get('principal');
    const id = poolId(c.req.param('poolId'));
    const memberId = c.req.param('memberId');
    const self = principal.role === 'member' && principal.sub === memberId;
    await poolFor(deps, principal, id, self ? 'read' : 'manage');
    const view = await update(c, id, leavePoolUpdate, [{ memberId }]);
    await withdrawAgreement(deps.db, { poolId: id, memberId, reason: self ? 'left' : 'removed by the manager', requestId: c.get('requestId') });
    return c.json(view);
  });

  // A replacement is an invitation too: the incoming member takes the outgoing one's place when they accept.
  app.post('/:poolId/members/:memberId/replace', async (c) => {
    const id = poolId(c.req.param('poolId'));
    const view = await poolFor(deps, c.get('principal'), id, 'manage');
    const body = await jsonBody(c, replaceRequestSchema.omit({ outgoingMemberId: true }));
    const outgoingMemberId = c.req.param('memberId');
    if (view.status !== 'active' && view.status !== 'paused') throw new ProblemError(409, 'InvalidPoolState', `replacement happens in an active or paused pool, this one is ${view.status}`);
    if (view.members.some((m) => m.memberId === body.incomingMemberId)) throw new ProblemError(409, 'AlreadyMember', `${body.incomingMemberId} is or was a member`);
    await requirePayable(body.incomingMemberId, true);
    if (!view.members.some((m) => m.memberId === outgoingMemberId && m.status !== 'left')) throw new ProblemError(404, 'NotAMember', `${outgoingMemberId} is not a member`);
    const invitation = await recordInvitation(deps.db, {
      poolId: id,
      memberId: body.incomingMemberId,
      invitedBy: c.get('principal').sub,
      replacesMemberId: outgoingMemberId,
      requestId: c.get('requestId'),
    });
    return c.json(invitationJson(invitation), 202);
  });

  const command = (path: string, action: 'manage' | 'steer', definition: UpdateDefinition<PoolView, [] | [{ reason?: string }]>, withReason: boolean) =>
    app.post(`/:poolId/${path}`, async (c) => {
      const id = poolId(c.req.param('poolId'));
      await poolFor(deps, c.get('principal'), id, action);
      const args: [] | [{ reason?: string }] = withReason ? [await optionalBody(c)] : [];
      return c.json(await update(c, id, definition, args));
    });
  // Whether there is a body is read from the body itself: a chunked request has no Content-Length.
  const optionalBody = async (c: Parameters<typeof jsonBody>[0]) => ((await c.req.text()) === '' ? {} : jsonBody(c, reasonSchema));
  command('activate', 'manage', activatePoolUpdate, false);
  command('pause', 'steer', pausePoolUpdate, true);
  command('resume', 'steer', resumePoolUpdate, false);
  command('cancel', 'manage', cancelPoolUpdate, true);

  app.post('/:poolId/distributions', async (c) => {
    const id = poolId(c.req.param('poolId'));
    await poolFor(deps, c.get('principal'), id, 'manage');
    const body = await jsonBody(c, distributeRequestSchema);
    return c.json(await update(c, id, distributeUpdate, [body]), 202);
  });

  // Runs the next round now, through the schedule, so the Web UI shows it as a manual trigger.
  // "Run the next round now": a signal that names the round it expects and carries the command's ID.
  // The pool records a verdict per ID — accepted, or refused because that round is already requested,
  // running or done (409) — which this route reads back; a retry after any crash finds the first verdict
  // instead of starting another round.
  app.post('/:poolId/rounds', async (c) => {
    const id = poolId(c.req.param('poolId'));
    const view = await poolFor(deps, c.get('principal'), id, 'steer');
    const body = (await c.req.text()) === '' ? {} : await jsonBody(c, roundTriggerBody);
    const requestId = c.get('commandId')!;
    const pool = handle(id);
    let verdict = await pool.query(roundTriggerQuery, requestId).catch(() => null);
    if (!verdict) {
      if (view.status !== 'active') throw new ProblemError(409, 'InvalidPoolState', `a ${view.status} pool runs no rounds`);
      try {
        await pool.signal(runRoundNowSignal, { ...body, requestId });
      } catch (error) {
        const ended = error instanceof WorkflowNotFoundError ? await readPoolView(deps, id) : null;
        if (ended) throw new ProblemError(409, 'InvalidPoolState', `a ${ended.status} pool runs no rounds`);
        throw error;
      }
      const deadline = Date.now() + ROUND_TRIGGER_WAIT_MS;
      while (!(verdict = await pool.query(roundTriggerQuery, requestId))) {
        // The signal is durable: a retry under the same key finds its verdict.
        if (Date.now() > deadline) throw new ProblemError(503, 'Service Unavailable', 'the pool has not taken the trigger yet; retry with the same Idempotency-Key');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    if (!verdict.accepted) throw new ProblemError(409, 'RoundInProgress', verdict.reason ?? `round ${verdict.round} cannot start`);
    return c.json({ triggered: true, round: verdict.round, nextRound: verdict.round }, 202);
  });

  app.get('/:poolId/rounds/:round', async (c) => {
    const id = poolId(c.req.param('poolId'));
    const principal = c.get('principal');
    await poolFor(deps, principal, id, 'read');
    // A member's outcome is the pool's business; their Stripe object IDs and failure codes are theirs
    // (and operations'): the manager and the other members do not see them.
    const private_ = (memberId: string) => principal.role === 'ops' || (principal.role === 'member' && principal.sub === memberId);
    const round = query(z.object({ round: roundParam }), { round: c.req.param('round') }).round;
    const [summary, contributions, payouts] = await Promise.all([
      deps.db.query<{ kind: string; pot_minor: bigint; fee_minor: bigint; discount_minor: bigint; winner_member_id: string | null; finished_at: Date }>(
        'SELECT kind, pot_minor, fee_minor, discount_minor, winner_member_id, finished_at FROM pool_rounds WHERE pool_id = $1 AND round = $2',
        [id, round],
      ),
      deps.db.query<{ member_id: string; outcome: string; paid_minor: bigint; late_fee_minor: bigint; payment_intent_id: string | null; failure_code: string | null }>(
        'SELECT member_id, outcome, paid_minor, late_fee_minor, payment_intent_id, failure_code FROM pool_contributions WHERE pool_id = $1 AND round = $2 ORDER BY member_id',
        [id, round],
      ),
      deps.db.query<{ member_id: string; purpose: string; amount_minor: bigint }>(
        'SELECT member_id, purpose, amount_minor FROM pool_payouts WHERE pool_id = $1 AND round = $2 ORDER BY member_id, purpose',
        [id, round],
      ),
    ]);
    const finished = summary.rows[0];
    if (!finished) {
      // Not finished: the round workflow itself says where it is.
      try {
        const progress = await deps.temporal.workflow.getHandle(workflowIds.round(id, round)).query(roundProgressQuery);
        const members = progress.members.map((m) => ({ ...m, paymentIntentId: private_(m.memberId) ? m.paymentIntentId : null }));
        return c.json({ round, status: 'in-progress', progress: { ...progress, members } });
      } catch {
        throw new ProblemError(404, 'Not Found', `round ${round} has not started`);
      }
    }
    return c.json({
      round,
      status: 'finished',
      kind: finished.kind,
      potMinor: finished.pot_minor.toString(),
      feeMinor: finished.fee_minor.toString(),
      discountMinor: finished.discount_minor.toString(),
      winnerMemberId: finished.winner_member_id,
      finishedAt: finished.finished_at.toISOString(),
      contributions: contributions.rows.map((r) => ({
        memberId: r.member_id,
        outcome: r.outcome,
        paidMinor: r.paid_minor.toString(),
        lateFeeMinor: r.late_fee_minor.toString(),
        paymentIntentId: private_(r.member_id) ? r.payment_intent_id : null,
        failureCode: private_(r.member_id) ? r.failure_code : null,
      })),
      payouts: payouts.rows.map((r) => ({ memberId: r.member_id, purpose: r.purpose, amountMinor: r.amount_minor.toString() })),
    });
  });

  app.post('/:poolId/rounds/:round/bids', async (c) => {
    const principal = c.get('principal');
    const id = poolId(c.req.param('poolId'));
    await poolFor(deps, principal, id, 'read');
    if (principal.role !== 'member') throw new ProblemError(403, 'Forbidden', 'members bid for themselves');
    const round = query(z.object({ round: roundParam }), { round: c.req.param('round') }).round;
    const body = await jsonBody(c, bidRequestSchema.pick({ discountMinor: true }));
    return c.json(await update(c, id, placeBidUpdate, [{ memberId: principal.sub, round, discountMinor: body.discountMinor }]), 201);
  });

  app.get('/:poolId/ledger', async (c) => {
    const id = poolId(c.req.param('poolId'));
    const view = await poolFor(deps, c.get('principal'), id, 'read');
    const currency = parseCurrency(view.config.currency);
    const keys = [
      chart.poolPot(id, currency).key,
      chart.poolReserve(id, currency).key,
      chart.poolFees(id, currency).key,
      ...view.members.flatMap((m) => [chart.memberContributed(id, m.memberId, currency).key, chart.memberPaidOut(id, m.memberId, currency).key]),
    ];
    const [balances, violations, potPostings] = await Promise.all([
      getBalances(deps.db, keys),
      checkLedgerInvariants(deps.db, { accountPrefix: `pool:${id}:` }),
      listAccountPostings(deps.db, chart.poolPot(id, currency).key, { limit: LEDGER_POSTINGS_PAGE_MAX }),
    ]);
    return c.json({
      currency,
      balances: balances.map((b) => ({
        account: b.key,
        debitsPostedMinor: b.debitsPostedMinor.toString(),
        creditsPostedMinor: b.creditsPostedMinor.toString(),
        debitsPendingMinor: b.debitsPendingMinor.toString(),
        creditsPendingMinor: b.creditsPendingMinor.toString(),
        balanceMinor: (b.creditsPostedMinor - b.debitsPostedMinor).toString(),
      })),
      potEntries: potPostings.postings.map((p) => ({ ...p, amountMinor: p.amountMinor.toString() })),
      invariants: { balanced: violations.length === 0, violations },
    });
  });

  return app;
}
