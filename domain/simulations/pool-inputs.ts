// "Simulate this pool": the pool-shortfall parameters from a rotating pool's live state. A member's
// default probability is their own record shrunk towards a prior: (defaults + prior·w) / (rounds + w)
// with w = PRIOR_WEIGHT_ROUNDS, so a new member is not taken for a perfect payer or a certain defaulter.
import type { PoolView } from '../pools/pool-view';
import type { PoolShortfallParams } from './pool-shortfall';

/** How many rounds of evidence the prior is worth. */
export const PRIOR_WEIGHT_ROUNDS = 10;

export interface PoolSimulationOptions {
  /** history: each member's own record; parameters: `defaultProbability` for everyone. */
  defaultsFrom: 'history' | 'parameters';
  defaultProbability: number;
  reserveMinor: bigint;
  targetCoverage: number;
}

/** Thrown when a pool cannot be simulated as a rotating pool (wrong kind, no paying members, amounts too large). */
export class PoolNotSimulableError extends Error {}

export function shortfallParamsFromPool(
  view: PoolView,
  record: Map<string, { rounds: number; defaults: number }>,
  options: PoolSimulationOptions,
): PoolShortfallParams {
  if (view.config.kind !== 'rotating') throw new PoolNotSimulableError('only rotating pools have a shortfall to simulate');
  const paying = view.members.filter((m) => m.status === 'active' || m.status === 'suspended');
  if (paying.length < 2) throw new PoolNotSimulableError('the pool has fewer than two paying members');
  const contribution = BigInt(view.config.contributionMinor);
  if (
    contribution * BigInt(paying.length) * BigInt(paying.length) > BigInt(Number.MAX_SAFE_INTEGER) ||
    options.reserveMinor > BigInt(Number.MAX_SAFE_INTEGER)
  ) {
    throw new PoolNotSimulableError('the pool’s amounts are too large to simulate exactly');
  }
  // A rotating pool has one round per member; what is left is what can still run short.
  const planned = view.roundsPlanned > 0 ? view.roundsPlanned : paying.length;
  const rounds = Math.max(1, planned - view.roundsCompleted);
  const probabilities = paying.map((member) => {
    if (options.defaultsFrom === 'parameters') return options.defaultProbability;
    const own = record.get(member.memberId) ?? { rounds: 0, defaults: 0 };
    return (own.defaults + options.defaultProbability * PRIOR_WEIGHT_ROUNDS) / (own.rounds + PRIOR_WEIGHT_ROUNDS);
  });
  return {
    defaultProbabilities: probabilities,
    contributionMinor: Number(contribution),
    rounds,
    reserveMinor: Number(options.reserveMinor),
    defaultPolicy: view.config.defaultPolicy,
    arrearsRecovered: true,
    targetCoverage: options.targetCoverage,
  };
}
