// Where notices come from: an activity interceptor on the pools worker that, after each projection of a
// pool or a round and after each contribution charge with a definite outcome (alone, or a batch's together), signals the pool's
// notices workflow (starting it if need be). The pool and round workflows stay as they are: every event
// worth a notice already passes through these activities. A signal that fails fails the activity, which
// Temporal retries; the notices workflow drops what it has already seen.
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { Context } from '@temporalio/activity';
import type { SignalDefinition } from '@temporalio/common';
import type { RoundReport } from '../../domain/pools/round-report';
import type { PoolChange } from '../../domain/pools/state';
import type { PoolView } from '../../domain/pools/pool-view';
import type { ContributionBatchInput, MemberChargeOutcome } from '../pools/contribution-batch';
import { workflowIds } from '../../temporal-config/workflow-ids';
import {
  chargeReportedSignal,
  chargesReportedSignal,
  poolChangeReportedSignal,
  poolNotices,
  poolViewReportedSignal,
  roundReportedSignal,
  type ChargeReport,
} from '../../workflows/notifications/pool-notices';

interface Movement {
  poolId: string;
  round: number;
  memberId: string;
  amountMinor: string;
  purpose: string;
}

async function report<T>(ctx: Context, poolId: string, signal: SignalDefinition<[T]>, arg: T): Promise<void> {
  await ctx.client.workflow.signalWithStart(poolNotices, {
    workflowId: workflowIds.poolNotices(poolId),
    taskQueue: ctx.info.taskQueue,
    args: [{ poolId }],
    signal,
    signalArgs: [arg],
  });
}

/** The failure code a declined charge carries (payments/errors.ts), as the round records it. */
function failureCode(error: ApplicationFailure): string {
  const details = error.details?.[0] as { code?: string | null } | undefined;
  return details?.code ?? error.type ?? 'declined';
}

export function notificationTap(): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        switch (ctx.info.activityType) {
          case 'projectPool': {
            const result = await next(input);
            const view = input.args[0] as PoolView;
            await report(ctx, view.poolId, poolViewReportedSignal, view);
            return result;
          }
          case 'projectPoolChange': {
            const result = await next(input);
            const { poolId, change } = input.args[0] as { poolId: string; change: PoolChange };
            await report(ctx, poolId, poolChangeReportedSignal, change);
            return result;
          }
          case 'projectRound': {
            const result = await next(input);
            const round = input.args[0] as { poolId: string; kind: 'contribution' | 'distribution'; result: RoundReport };
            await report(ctx, round.poolId, roundReportedSignal, { kind: round.kind, result: round.result });
            return result;
          }
          case 'chargeContribution': {
            const movement = input.args[0] as Movement;
            const charge = (outcome: ChargeReport['outcome'], code: string | null): ChargeReport => ({
              round: movement.round,
              memberId: movement.memberId,
              purpose: movement.purpose,
              amountMinor: movement.amountMinor,
              outcome,
              failureCode: code,
            });
            let summary: { status: string };
            try {
              summary = (await next(input)) as { status: string };
            } catch (error) {
              // Only a definite decline is news; an unknown outcome is asked again by the round.
              if (error instanceof ApplicationFailure && error.nonRetryable)
                await report(ctx, movement.poolId, chargeReportedSignal, charge('failed', failureCode(error)));
              throw error;
            }
            if (summary.status === 'succeeded') await report(ctx, movement.poolId, chargeReportedSignal, charge('succeeded', null));
            return summary;
          }
          case 'chargeContributions': {
            // A batch of a round's charges: each member's definite outcome is news, as a lone charge's is,
            // and the batch's go in one signal (one per member made a round of 1,000 a thousand signals).
            const batch = input.args[0] as ContributionBatchInput;
            const outcomes = (await next(input)) as MemberChargeOutcome[];
            const reports = outcomes.flatMap((outcome, i): ChargeReport[] =>
              outcome.outcome === 'charged' && outcome.status !== 'succeeded'
                ? []
                : [
                    {
                      round: batch.round,
                      memberId: outcome.memberId,
                      purpose: outcome.purpose,
                      amountMinor: batch.charges[i]!.amountMinor,
                      outcome: outcome.outcome === 'charged' ? 'succeeded' : 'failed',
                      failureCode: outcome.outcome === 'failed' ? (outcome.failureCode ?? outcome.failureType) : null,
                    },
                  ],
            );
            if (reports.length > 0) await report(ctx, batch.poolId, chargesReportedSignal, reports);
            return outcomes;
          }
          default:
            return next(input);
        }
      },
    },
  });
}
