// /v1/pools: thin handlers over the pool workflows, each route defined once (request and response
// schemas, every problem it answers) for validation and GET /openapi.json alike. Writes become workflow
// starts, updates and signals (whose validators have the final word); reads come from the read models.
// Access to the pool in the path is decided (poolAccess) before anything else about the request.
import { createHash } from 'node:crypto';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { commitDrawSecret } from '../../db/pools/draw-secrets';
import {
  AgreementTermsConflict,
  agreementTerms,
  findPendingInvitation,
  type InvitationRow,
  findAgreementInForce,
  markInvitationAccepted,
  recordAgreement,
  recordInvitation,
  shortenJoinLease,
  withdrawAgreement,
} from '../../db/consent';
import { chart } from '../../db/ledger/chart';
import { getBalances } from '../../db/ledger/accounts';
import { checkLedgerInvariants } from '../../db/ledger/invariants';
import { listAccountPostings } from '../../db/ledger/postings';
import { findConnectAccount, findCustomer } from '../../db/payments/members';
import { listPoolViews } from '../../db/pools/pools';
import { findFinishedRound } from '../../db/pools/rounds';
import { parseCurrency } from '../../domain/core/money';
import { poolConfigSchema } from '../../domain/pools/pool-config';
import { withMembers } from '../../db/pools/pool-views';
import type { PoolView } from '../../domain/pools/pool-view';
import { initialPoolState, poolView } from '../../domain/pools/state';
import { PoolIdAttribute, PoolKindAttribute, PoolManagerAttribute, PoolStatusAttribute } from '../../temporal-config/search-attributes';
import { workflowIds } from '../../temporal-config/workflow-ids';
import {
  activatePoolUpdate,
  bidRequestSchema,
  cancelPoolUpdate,
  distributeRequestSchema,
  joinPoolUpdate,
  leavePoolUpdate,
  pausePoolUpdate,
  placeBidUpdate,
  PoolRejection,
  poolWorkflow,
  reasonSchema,
  replaceMemberUpdate,
  replaceRequestSchema,
  resumePoolUpdate,
  distributeUpdate,
  roundTriggerQuery,
  runRoundNowSignal,
  type PoolCommandResult,
} from '../../workflows/pools/pool';
import { roundProgressQuery } from '../../workflows/pools/round';
import { contractApp, emptyBodyAsObject, requireRole, jsonRequest, jsonResponse, jsonText, optionalJsonRequest, problemResponses } from '../contract';
import type { ApiDeps } from '../deps';
import { executePoolUpdate } from './pool-commands';
import { poolAccess, poolEntryFor, type PoolEnv, poolFor, poolViewAfterCommand, POOL_ID_PATTERN, readPoolEntry, readPoolView } from './pool-access';
import * as s from './pool-schemas';
import { ProblemError } from '../problem';
import { rejectionType } from '../temporal-errors';
import { unavailableProblem } from '../unavailable';
import { alreadyMemberProblem, claimAgreement, JOIN_LEASE_MS, JOIN_SEND_WINDOW_MS, JOIN_SETTLE_MS, memberAsPoolKnows } from './stale-agreement';

/** How long creating a pool waits for its workflow to open it and for its projection, before answering 202. */
const POOL_OPEN_WAIT_MS = 10_000;
/** How long a round trigger waits for the pool's verdict before answering 503 (the retry finds it). */
export const ROUND_TRIGGER_WAIT_MS = 10_000;
export const LEDGER_POSTINGS_PAGE_MAX = 200;

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

const tags = (tag: string) => ({ tags: [tag] });

export function poolRoutes(deps: ApiDeps): OpenAPIHono<PoolEnv> {
  const app = contractApp<PoolEnv>();
  const handle = (poolId: string) => deps.temporal.workflow.getHandle<typeof poolWorkflow>(workflowIds.pool(poolId));
  const access = (action: Parameters<typeof poolAccess>[1]) => poolAccess(deps, action);
  /**
   * Runs an update under the request's command ID (its scoped Idempotency-Key), so Temporal drops a repeat
   * too, and answers with the pool's view after it. The pool answers a command with what changed only;
   * the view comes from the projection, which the pool wrote before answering. With `sending`, the update
   * goes under that ID instead, and its call ends at that deadline.
   */
  const update = async <Args extends unknown[]>(
    c: { get(key: 'commandId'): string | undefined },
    id: string,
    definition: UpdateDefinition<PoolCommandResult, Args>,
    args: Args,
    sending?: { updateId: string; deadline: number },
  ) => {
    try {
      const options = { args, updateId: sending?.updateId ?? c.get('commandId') };
      const result = sending
        ? await deps.temporal.withDeadline(sending.deadline, () => executePoolUpdate(handle(id), definition, options))
        : await executePoolUpdate(handle(id), definition, options);
      return await poolViewAfterCommand(deps, id, result.version);
    } catch (error) {
      // A completed or cancelled pool's workflow has ended: it exists, it just takes no more commands.
      const view = error instanceof WorkflowNotFoundError ? await readPoolView(deps, id) : null;
      if (view) throw new ProblemError(409, 'InvalidPoolState', `a ${view.status} pool takes no more commands`);
      throw error;
    }
  };

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      summary: 'Create a pool (manager)',
      ...tags('Pools'),
      middleware: [requireRole(['manager'], 'only managers create pools')],
      request: { body: jsonRequest(poolConfigSchema) },
      responses: {
        201: jsonResponse('The new pool, open and readable at Location (the same pool again for a repeated Idempotency-Key)', s.poolView),
        202: jsonResponse('The pool is being set up (its workflow has not opened it yet): GET Location after Retry-After seconds', s.poolView),
        ...problemResponses(403, 415),
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      const config = c.req.valid('json');
      // The pool's ID derives from the caller and the Idempotency-Key: a repeated request finds the same pool.
      const id = `pool_${createHash('sha256')
        .update(`${principal.sub}\n${c.get('idempotencyKey')}`)
        .digest('hex')
        .slice(0, 20)}`;
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
      const opened = await waitForOpen(id);
      c.header('location', `/v1/pools/${id}`);
      if (opened) return c.json(opened, 201);
      // A 201 now would invite a join that finds no pool yet: answer with the pool as created, still being set up.
      c.header('retry-after', '1');
      return c.json(poolView({ poolId: id, managerId: principal.sub, config, seedCommitment }, initialPoolState(config)), 202);
    },
  );

  /**
   * The pool's view once its workflow has opened it and projected it (what the caller's next request
   * reads), or null at the deadline. Read from the projection, so a worker that is down cannot hang the request.
   */
  const waitForOpen = async (id: string): Promise<PoolView | null> => {
    const deadline = Date.now() + (deps.poolOpenWaitMs ?? POOL_OPEN_WAIT_MS);
    for (;;) {
      const view = await readPoolView(deps, id);
      if (view && view.status !== 'draft') return view;
      if (Date.now() > deadline) return null;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      summary: 'List the pools the caller may see, newest first (filters: status, kind; paging: limit, before)',
      ...tags('Pools'),
      request: { query: s.listPoolsQuery },
      responses: { 200: jsonResponse('A page of pools', s.poolPage), ...problemResponses(403, 422) },
    }),
    async (c) => {
      const principal = c.get('principal');
      const q = c.req.valid('query');
      const rows = await listPoolViews(deps.db, {
        ...(principal.role === 'manager' ? { managerId: principal.sub } : {}),
        // Former members (left, replaced, expelled) no longer see the pool.
        ...(principal.role === 'member' ? { currentMemberId: principal.sub } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.kind ? { kind: q.kind } : {}),
        ...(q.before ? { before: q.before } : {}),
        limit: q.limit,
      });
      const next = rows.length === q.limit ? rows.at(-1)!.createdAt.toISOString() : null;
      return c.json(
        {
          pools: await withMembers(
            deps.db,
            rows.map((r) => r.view),
          ),
          next,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{poolId}',
      summary: 'A pool’s current view',
      ...tags('Pools'),
      middleware: [access('read')],
      request: { params: s.poolParams },
      responses: { 200: jsonResponse('The pool', s.poolView), ...problemResponses(403, 404) },
    }),
    // Answered with the cached JSON text as it is: the hottest read does no serialising of its own.
    (c) => jsonText<PoolView, PoolEnv>(c, c.get('pool').json),
  );

  // Accepting an invitation: only the member, with their own token, joins — agreeing to be charged
  // off-session on the pool's terms (their own commitment in an investment pool). An open pool's ID is
  // an invitation link anyone may accept; otherwise the manager's invitation must name them.
  app.openapi(
    createRoute({
      method: 'post',
      path: '/{poolId}/members',
      summary:
        'Accept an invitation (member, for themselves): an open pool’s ID, or the manager’s invitation naming you. `agreeToCharges: true` records your agreement to be charged off-session on the pool’s terms (your own `commitmentMinor` in an investment pool); a replacement takes the outgoing member’s place',
      ...tags('Members'),
      middleware: [acceptAccess(deps)],
      request: { params: s.poolParams, body: jsonRequest(s.acceptInvitationBody) },
      responses: { 201: jsonResponse('The pool with you in it', s.poolView), ...problemResponses(403, 404, 409, 415, 422, 503) },
    }),
    async (c) => {
      const principal = c.get('principal');
      const { view } = c.get('pool');
      const id = view.poolId;
      const invitation = c.get('invitation');
      const body = c.req.valid('json');
      if (body.memberId !== undefined && body.memberId !== principal.sub) throw new ProblemError(403, 'Forbidden', 'members join for themselves');
      await requirePayable(principal.sub, view.config.kind === 'rotating' || invitation?.replacesMemberId != null);
      const outgoing = invitation?.replacesMemberId ? view.members.find((m) => m.memberId === invitation.replacesMemberId) : undefined;
      // A newcomer takes over the outgoing member's commitment, so that is what they agree to.
      const commitment = outgoing ? outgoing.commitmentMinor : body.commitmentMinor !== undefined ? String(body.commitmentMinor) : null;
      if (outgoing && body.commitmentMinor !== undefined && String(body.commitmentMinor) !== outgoing.commitmentMinor) {
        throw new ProblemError(
          422,
          'Validation Failed',
          `commitmentMinor: a replacement takes over ${outgoing.memberId}'s commitment of ${outgoing.commitmentMinor}`,
        );
      }
      const consent = { poolId: id, memberId: principal.sub, requestId: c.get('requestId') };
      if (view.config.kind === 'rotating' && commitment !== null)
        throw new ProblemError(422, 'Validation Failed', 'commitmentMinor: a rotating pool takes no commitment');
      if (view.config.kind === 'investment' && !/^[1-9][0-9]{0,17}$/.test(commitment ?? '')) {
        throw new ProblemError(422, 'Validation Failed', 'commitmentMinor: an investment pool needs your commitment, a positive whole number of minor units');
      }
      const pool = handle(id);
      const where = { poolId: id, memberId: principal.sub, poolStatus: view.status };
      const terms = agreementTerms(view.config, commitment === null ? null : BigInt(commitment));
      // A member already in the pool joined under an agreement in force: a repeated accept must not restate
      // it. One without (their join reached the pool after its agreement had ended) gives it here, on the
      // terms they joined on as the pool's workflow holds them: there is no join to send.
      if (!invitation?.replacesMemberId && view.members.some((m) => m.memberId === principal.sub && m.status !== 'left')) {
        const member = await memberAsPoolKnows(deps, pool, id, principal.sub);
        const inForce = member ? await findAgreementInForce(deps.db, id, principal.sub) : null;
        if (member && !inForce && member.commitmentMinor === commitment) {
          // Another accept of theirs, on other terms, may have recorded one meanwhile: that one is then refused at the charge.
          await recordAgreement(deps.db, { ...consent, terms }).catch((error: unknown) => {
            throw error instanceof AgreementTermsConflict ? alreadyMemberProblem(where, member) : error;
          });
          return c.json(view, 201);
        }
        if (member) throw alreadyMemberProblem(where, member, inForce !== null);
      }
      const lease = { updateId: c.get('commandId') ?? `accept-${consent.requestId}`, leaseMs: JOIN_LEASE_MS };
      const { agreement, created } = await claimAgreement(deps, pool, { ...consent, terms, join: lease, poolStatus: view.status });
      // An agreement names its join: an accept that finds one in force on the same terms (a retry, a twin)
      // sends that very update again, and so learns its outcome instead of sending a second join. Not a
      // replacement: Temporal would answer it with whatever update holds that ID, a join's outcome included.
      const updateId = invitation?.replacesMemberId ? lease.updateId : (agreement.joinUpdateId ?? lease.updateId);
      const sending = { updateId, deadline: Date.now() + JOIN_SEND_WINDOW_MS };
      try {
        const joined = invitation?.replacesMemberId
          ? await update(c, id, replaceMemberUpdate, [{ outgoingMemberId: invitation.replacesMemberId, incomingMemberId: principal.sub }], sending)
          : await update(
              c,
              id,
              joinPoolUpdate,
              [{ memberId: principal.sub, ...(body.commitmentMinor !== undefined ? { commitmentMinor: body.commitmentMinor } : {}) }],
              sending,
            );
        await markInvitationAccepted(deps.db, id, principal.sub);
        if (invitation?.replacesMemberId)
          await withdrawAgreement(deps.db, { poolId: id, memberId: invitation.replacesMemberId, reason: 'replaced', requestId: consent.requestId });
        return c.json(joined, 201);
      } catch (error) {
        if (error instanceof WorkflowUpdateFailedError && rejectionType(error) === PoolRejection.alreadyMember) {
          // Already in: by a twin of this accept (on these terms, under this agreement), or by an earlier
          // accept on other terms whose join reached the pool late: then this agreement is not what the
          // member joined on, and must not stand for it. Not in now (a replacement of a former member):
          // the agreement this attempt recorded backs nobody.
          const member = await memberAsPoolKnows(deps, pool, id, principal.sub);
          if (member ? member.commitmentMinor !== commitment : created) {
            await withdrawAgreement(deps.db, {
              ...consent,
              reason: member ? `join refused: already a member on other terms (commitment ${member.commitmentMinor})` : 'join refused',
              agreementId: agreement.agreementId,
            });
          }
          // In on these terms with no agreement before this one (its join landed after its agreement had
          // ended): this accept has just given it, which is all there was to do.
          if (member && member.commitmentMinor === commitment && created) return c.json((await readPoolView(deps, id)) ?? view, 201);
          if (member) throw alreadyMemberProblem(where, member, member.commitmentMinor === commitment);
          const advice = invitation?.replacesMemberId ? 'a former member does not come back as a replacement' : 'you are not in the pool now: accept again';
          throw new ProblemError(409, PoolRejection.alreadyMember, `${error.cause?.message ?? 'already a member'}; ${advice}`);
        }
        // Refused by the pool (or the pool has ended): the agreement this attempt recorded is void. An
        // agreement another accept recorded is that accept's to end: a duplicate accept refused for
        // another reason (the pool was activated meanwhile) must not end the one its twin joined on.
        const refused = error instanceof WorkflowUpdateFailedError || (error instanceof ProblemError && error.status < 500);
        if (refused) {
          if (created) await withdrawAgreement(deps.db, { ...consent, reason: 'join refused', agreementId: agreement.agreementId });
          throw withAcceptAdvice(error);
        }
        // No answer: the join may have happened. The agreement stays; this accept sends nothing more, so
        // after a moment for a request already on its way, a later accept may ask the pool what became of it.
        await shortenJoinLease(deps.db, agreement.agreementId, JOIN_SETTLE_MS).catch(() => {});
        if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError || unavailableProblem(error)) {
          throw new ProblemError(
            503,
            'Service Unavailable',
            'the pool has not answered your acceptance, which may still have joined you; your agreement is kept until its outcome is known: send the same request again',
            undefined,
            { 'retry-after': String(Math.ceil(JOIN_SETTLE_MS / 1_000)) },
          );
        }
        throw error;
      }
    },
  );

  /** A member must be able to pay (a saved card) and, to receive a rotating pot, be paid (onboarded). */
  const requirePayable = async (memberId: string, needsPayoutAccount: boolean) => {
    const customer = await findCustomer(deps.db, memberId);
    if (!customer?.defaultPaymentMethodId)
      throw new ProblemError(422, 'Member Not Payable', `${memberId} has no saved payment method (POST /v1/members/me/payment-methods)`);
    if (needsPayoutAccount && !(await findConnectAccount(deps.db, memberId))) {
      throw new ProblemError(422, 'Member Not Payable', `${memberId} has no payout account (POST /v1/members/me/payout-account)`);
    }
  };

  // The manager names who may join; the invitation does nothing until that member accepts.
  app.openapi(
    createRoute({
      method: 'post',
      path: '/{poolId}/invitations',
      summary: 'Invite a member to an open pool by member ID (manager); nothing changes until the member accepts',
      ...tags('Members'),
      middleware: [access('manage')],
      request: { params: s.poolParams, body: jsonRequest(s.invitationBody) },
      responses: { 201: jsonResponse('The invitation', s.invitation), ...problemResponses(403, 404, 409, 415, 422) },
    }),
    async (c) => {
      const { view } = c.get('pool');
      const { memberId } = c.req.valid('json');
      if (view.status !== 'open') throw new ProblemError(409, 'InvalidPoolState', `a ${view.status} pool takes no new members; replace one instead`);
      if (view.members.some((m) => m.memberId === memberId && m.status !== 'left'))
        throw new ProblemError(409, 'AlreadyMember', `${memberId} is already a member`);
      const invitation = await recordInvitation(deps.db, {
        poolId: view.poolId,
        memberId,
        invitedBy: c.get('principal').sub,
        replacesMemberId: null,
        requestId: c.get('requestId'),
      });
      return c.json(invitationJson(invitation), 201);
    },
  );

  // Withdrawing consent is leaving, under the pool's rules: an open pool lets members go; later they
  // leave by being replaced. Leaving ends the agreement to be charged.
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{poolId}/members/{memberId}',
      summary: 'Leave an open pool, withdrawing your agreement to be charged (member), or remove a member (manager)',
      ...tags('Members'),
      middleware: [leaveAccess(deps)],
      request: { params: s.poolMemberParams },
      responses: { 200: jsonResponse('The pool without the member', s.poolView), ...problemResponses(403, 404, 409, 422) },
    }),
    async (c) => {
      const principal = c.get('principal');
      const { poolId, memberId } = c.req.valid('param');
      const view = await update(c, poolId, leavePoolUpdate, [{ memberId }]);
      const self = principal.role === 'member' && principal.sub === memberId;
      await withdrawAgreement(deps.db, { poolId, memberId, reason: self ? 'left' : 'removed by the manager', requestId: c.get('requestId') });
      return c.json(view, 200);
    },
  );

  // A replacement is an invitation too: the incoming member takes the outgoing one's place when they accept.
  app.openapi(
    createRoute({
      method: 'post',
      path: '/{poolId}/members/{memberId}/replace',
      summary: 'Invite a member to take this member’s place (manager); the replacement happens when they accept',
      ...tags('Members'),
      middleware: [access('manage')],
      request: { params: s.poolMemberParams, body: jsonRequest(replaceRequestSchema.omit({ outgoingMemberId: true })) },
      responses: { 202: jsonResponse('The invitation of the incoming member', s.invitation), ...problemResponses(403, 404, 409, 415, 422) },
    }),
    async (c) => {
      const { view } = c.get('pool');
      const body = c.req.valid('json');
      const outgoingMemberId = c.req.valid('param').memberId;
      if (view.status !== 'active' && view.status !== 'paused')
        throw new ProblemError(409, 'InvalidPoolState', `replacement happens in an active or paused pool, this one is ${view.status}`);
      if (view.members.some((m) => m.memberId === body.incomingMemberId))
        throw new ProblemError(409, 'AlreadyMember', `${body.incomingMemberId} is or was a member`);
      await requirePayable(body.incomingMemberId, true);
      if (!view.members.some((m) => m.memberId === outgoingMemberId && m.status !== 'left'))
        throw new ProblemError(404, 'NotAMember', `${outgoingMemberId} is not a member`);
      const invitation = await recordInvitation(deps.db, {
        poolId: view.poolId,
        memberId: body.incomingMemberId,
        invitedBy: c.get('principal').sub,
        replacesMemberId: outgoingMemberId,
        requestId: c.get('requestId'),
      });
      return c.json(invitationJson(invitation), 202);
    },
  );

  const lifecycle = (path: string, summary: string) => ({ method: 'post' as const, path: `/{poolId}/${path}`, summary, ...tags('Lifecycle') });
  const command = (path: string, summary: string, action: 'manage' | 'steer', definition: UpdateDefinition<PoolCommandResult, []>) =>
    app.openapi(
      createRoute({
        ...lifecycle(path, summary),
        middleware: [access(action)],
        request: { params: s.poolParams },
        responses: { 200: jsonResponse('The pool after the command', s.poolView), ...problemResponses(403, 404, 409) },
      }),
      async (c) => c.json(await update(c, c.get('pool').view.poolId, definition, []), 200),
    );
  const commandWithReason = (
    path: string,
    summary: string,
    action: 'manage' | 'steer',
    definition: UpdateDefinition<PoolCommandResult, [{ reason?: string }]>,
  ) =>
    app.openapi(
      createRoute({
        ...lifecycle(path, summary),
        middleware: [access(action), emptyBodyAsObject],
        request: { params: s.poolParams, body: optionalJsonRequest(reasonSchema) },
        responses: { 200: jsonResponse('The pool after the command', s.poolView), ...problemResponses(403, 404, 409, 415, 422) },
      }),
      async (c) => c.json(await update(c, c.get('pool').view.poolId, definition, [c.req.valid('json')]), 200),
    );
  command('activate', 'Start the pool’s rounds and schedule (manager)', 'manage', activatePoolUpdate);
  commandWithReason('pause', 'Pause the pool and its schedule (manager, ops); optional `reason`', 'steer', pausePoolUpdate);
  command('resume', 'Resume the pool and its schedule (manager, ops)', 'steer', resumePoolUpdate);
  commandWithReason('cancel', 'Cancel the pool; a round under way refunds what it collected (manager); optional `reason`', 'manage', cancelPoolUpdate);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{poolId}/distributions',
      summary: 'Distribute from an investment pool’s pot (manager)',
      ...tags('Rounds'),
      middleware: [access('manage')],
      request: { params: s.poolParams, body: jsonRequest(distributeRequestSchema) },
      responses: { 202: jsonResponse('The pool with the distribution under way', s.poolView), ...problemResponses(403, 404, 409, 415, 422) },
    }),
    async (c) => c.json(await update(c, c.get('pool').view.poolId, distributeUpdate, [c.req.valid('json')]), 202),
  );

  // "Run the next round now": a signal that names the round it expects and carries the command's ID.
  // The pool records a verdict per ID — accepted, or refused because that round is already requested,
  // running or done (409) — which this route reads back; a retry after any crash finds the first verdict
  // instead of starting another round.
  app.openapi(
    createRoute({
      method: 'post',
      path: '/{poolId}/rounds',
      summary: 'Run the next round now; `round` names the round expected (409 when it is already running or done) (manager, ops)',
      ...tags('Rounds'),
      middleware: [access('steer'), emptyBodyAsObject],
      request: { params: s.poolParams, body: optionalJsonRequest(s.roundTriggerBody) },
      responses: { 202: jsonResponse('The round the pool accepted to run', s.roundTriggered), ...problemResponses(403, 404, 409, 415, 422, 503) },
    }),
    async (c) => {
      const { view } = c.get('pool');
      const body = c.req.valid('json');
      const requestId = c.get('commandId')!;
      const pool = handle(view.poolId);
      let verdict = await pool.query(roundTriggerQuery, requestId).catch(() => null);
      if (!verdict) {
        if (view.status !== 'active') throw new ProblemError(409, 'InvalidPoolState', `a ${view.status} pool runs no rounds`);
        try {
          await pool.signal(runRoundNowSignal, { ...body, requestId });
        } catch (error) {
          const ended = error instanceof WorkflowNotFoundError ? await readPoolView(deps, view.poolId) : null;
          if (ended) throw new ProblemError(409, 'InvalidPoolState', `a ${ended.status} pool runs no rounds`);
          throw error;
        }
        const deadline = Date.now() + ROUND_TRIGGER_WAIT_MS;
        while (!(verdict = await pool.query(roundTriggerQuery, requestId))) {
          // The signal is durable: a retry under the same key finds its verdict.
          if (Date.now() > deadline)
            throw new ProblemError(503, 'Service Unavailable', 'the pool has not taken the trigger yet; retry with the same Idempotency-Key');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      if (!verdict.accepted) throw new ProblemError(409, 'RoundInProgress', verdict.reason ?? `round ${verdict.round} cannot start`);
      return c.json({ triggered: true as const, round: verdict.round, nextRound: verdict.round }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{poolId}/rounds/{round}',
      summary: 'A round: each member’s contribution with its PaymentIntent, and the payout',
      ...tags('Rounds'),
      middleware: [access('read')],
      request: { params: s.poolRoundParams },
      responses: { 200: jsonResponse('The round, finished or in progress', s.roundReport), ...problemResponses(403, 404, 422) },
    }),
    async (c) => {
      const principal = c.get('principal');
      const { poolId: id, round } = c.req.valid('param');
      // A member's outcome is the pool's business; their Stripe object IDs and failure codes are theirs
      // (and operations'): the manager and the other members do not see them.
      const private_ = (memberId: string) => principal.role === 'ops' || (principal.role === 'member' && principal.sub === memberId);
      const finished = await findFinishedRound(deps.db, id, round);
      if (!finished) {
        // Not finished: the round workflow itself says where it is.
        try {
          const progress = await deps.temporal.workflow.getHandle(workflowIds.round(id, round)).query(roundProgressQuery);
          const members = progress.members.map((m) => ({ ...m, paymentIntentId: private_(m.memberId) ? m.paymentIntentId : null }));
          return c.json({ round, status: 'in-progress' as const, progress: { ...progress, members } }, 200);
        } catch {
          throw new ProblemError(404, 'Not Found', `round ${round} has not started`);
        }
      }
      return c.json(
        {
          round,
          status: 'finished' as const,
          kind: finished.kind as 'contribution' | 'distribution',
          potMinor: finished.potMinor.toString(),
          feeMinor: finished.feeMinor.toString(),
          discountMinor: finished.discountMinor.toString(),
          winnerMemberId: finished.winnerMemberId,
          finishedAt: finished.finishedAt.toISOString(),
          contributions: finished.contributions.map((r) => ({
            memberId: r.memberId,
            outcome: r.outcome,
            paidMinor: r.paidMinor.toString(),
            lateFeeMinor: r.lateFeeMinor.toString(),
            paymentIntentId: private_(r.memberId) ? r.paymentIntentId : null,
            failureCode: private_(r.memberId) ? r.failureCode : null,
          })),
          payouts: finished.payouts.map((r) => ({ memberId: r.memberId, purpose: r.purpose, amountMinor: r.amountMinor.toString() })),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{poolId}/rounds/{round}/bids',
      summary: 'Bid the discount you accept for this round’s pot (member)',
      ...tags('Rounds'),
      middleware: [access('read'), membersOnly('members bid for themselves')],
      request: { params: s.poolRoundParams, body: jsonRequest(bidRequestSchema.pick({ discountMinor: true })) },
      responses: { 201: jsonResponse('The pool with your bid counted', s.poolView), ...problemResponses(403, 404, 409, 415, 422) },
    }),
    async (c) => {
      const { poolId, round } = c.req.valid('param');
      const { discountMinor } = c.req.valid('json');
      return c.json(await update(c, poolId, placeBidUpdate, [{ memberId: c.get('principal').sub, round, discountMinor }]), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{poolId}/ledger',
      summary: 'Ledger balances, pot entries and invariant status',
      ...tags('Ledger'),
      middleware: [access('read')],
      request: { params: s.poolParams },
      responses: { 200: jsonResponse('The pool’s accounts', s.poolLedger), ...problemResponses(403, 404) },
    }),
    async (c) => {
      const { view } = c.get('pool');
      const id = view.poolId;
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
      return c.json(
        {
          currency,
          balances: balances.map((b) => ({
            account: b.key,
            debitsPostedMinor: b.debitsPostedMinor.toString(),
            creditsPostedMinor: b.creditsPostedMinor.toString(),
            debitsPendingMinor: b.debitsPendingMinor.toString(),
            creditsPendingMinor: b.creditsPendingMinor.toString(),
            balanceMinor: (b.creditsPostedMinor - b.debitsPostedMinor).toString(),
          })),
          potEntries: potPostings.postings.map((p) => ({ ...p, amountMinor: p.amountMinor.toString(), createdAt: p.createdAt.toISOString() })),
          invariants: { balanced: violations.length === 0, violations },
        },
        200,
      );
    },
  );

  // The event stream is served by api/pools/pool-events.ts, mounted beside this app; its contract is listed here.
  app.openAPIRegistry.registerPath(
    createRoute({
      method: 'get',
      path: '/{poolId}/events',
      summary: 'Server-sent events of the pool’s changes: one `pool` event with the whole view per version (resumable with Last-Event-ID)',
      ...tags('Pools'),
      request: {
        params: s.poolParams,
        headers: z.object({
          'last-event-id': z
            .string()
            .regex(/^\d{1,15}$/)
            .optional()
            .describe('The last version received'),
        }),
        query: z.object({
          lastEventId: z
            .string()
            .regex(/^\d{1,15}$/)
            .optional()
            .describe('Last-Event-ID for clients that cannot set headers'),
        }),
      },
      responses: {
        200: { description: 'An event stream', content: { 'text/event-stream': { schema: z.string() } } },
        ...problemResponses(400, 403, 404),
      },
    }),
  );

  return app;
}

/** A pool's refusal of a join as a 409 that says what the member can still do; other errors as they are. */
function withAcceptAdvice(error: unknown): unknown {
  if (!(error instanceof WorkflowUpdateFailedError)) return error;
  const type = rejectionType(error);
  const reason = error.cause?.message ?? 'the pool refused the join';
  if (type === PoolRejection.full) return new ProblemError(409, type, `${reason}; a place opens if a member leaves while the pool is open: accept again then`);
  if (type === PoolRejection.invalidState) {
    return new ProblemError(
      409,
      type,
      `${reason}; a pool takes new members only while it is open, and an active one only replacements, on its manager's invitation`,
    );
  }
  return error;
}

/** Route middleware: the rest of the route is for members acting for themselves. */
function membersOnly(detail: string): MiddlewareHandler<PoolEnv> {
  return async (c, next) => {
    if (c.get('principal').role !== 'member') throw new ProblemError(403, 'Forbidden', detail);
    await next();
  };
}

/**
 * Who may accept: a member named by a pending invitation, or any member given an open pool's ID.
 * Anyone else who can see the pool is told only members accept; anyone who cannot, that it does not exist.
 */
function acceptAccess(deps: ApiDeps): MiddlewareHandler<PoolEnv> {
  return async (c, next) => {
    const principal = c.get('principal');
    const id = c.req.param('poolId') ?? '';
    if (principal.role !== 'member') {
      await poolFor(deps, principal, id, 'read');
      throw new ProblemError(403, 'Forbidden', 'managers invite members (POST /v1/pools/{poolId}/invitations); only the member accepts');
    }
    const invitation = POOL_ID_PATTERN.test(id) ? await findPendingInvitation(deps.db, id, principal.sub) : null;
    const entry = invitation ? await readPoolEntry(deps, id) : await poolEntryFor(deps, principal, id, 'participate');
    if (!entry) throw new ProblemError(404, 'Not Found', 'no such pool');
    c.set('pool', entry);
    c.set('invitation', invitation);
    await next();
  };
}

/** A member may leave by themselves; removing anyone else is the manager's. */
function leaveAccess(deps: ApiDeps): MiddlewareHandler<PoolEnv> {
  return async (c, next) => {
    const principal = c.get('principal');
    const self = principal.role === 'member' && principal.sub === c.req.param('memberId');
    c.set('pool', await poolEntryFor(deps, principal, c.req.param('poolId') ?? '', self ? 'read' : 'manage'));
    await next();
  };
}
