// The chart of accounts: the business keys of every ledger account and the floor each kind carries.
// Pure (no I/O), so that workflows could build the same keys; db/ledger/README.md shows the flows.
import type { Currency } from '../../domain/core/money';

/**
 * A floor keeps an account from going below zero on its normal side:
 * - 'debits_must_not_exceed_credits': credit-normal accounts (what a pool holds: pot, reserve, fees);
 *   posted and pending debits together may not exceed posted credits.
 * - 'credits_must_not_exceed_debits': debit-normal accounts (what a member put in); posted and pending
 *   credits together may not exceed posted debits, so a member is never refunded more than they paid.
 * - 'none': clearing and revenue accounts, whose balance may swing either way while money moves.
 */
export type AccountFloor = 'none' | 'debits_must_not_exceed_credits' | 'credits_must_not_exceed_debits';

export const ACCOUNT_FLOORS: readonly AccountFloor[] = ['none', 'debits_must_not_exceed_credits', 'credits_must_not_exceed_debits'];

export interface AccountSpec {
  key: string;
  currency: Currency;
  floor: AccountFloor;
}

/** Every account key: letters, digits and `_ : . -`, at most ACCOUNT_KEY_LENGTH_MAX characters. */
export const ACCOUNT_KEY_PATTERN = /^[A-Za-z0-9_:.-]+$/;
export const ACCOUNT_KEY_LENGTH_MAX = 200;

/** A credit-normal account: what something holds, which cannot go negative. */
export const creditNormal = (key: string, currency: Currency): AccountSpec => ({ key, currency, floor: 'debits_must_not_exceed_credits' });
/** A debit-normal account: what someone put in, which can never be given back beyond it. */
export const debitNormal = (key: string, currency: Currency): AccountSpec => ({ key, currency, floor: 'credits_must_not_exceed_debits' });
/** A clearing or revenue account, whose balance may swing either way while money moves. */
export const unfloored = (key: string, currency: Currency): AccountSpec => ({ key, currency, floor: 'none' });

const segment = (id: string) => {
  if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw new RangeError(`"${id}" cannot be part of an account key`);
  return id;
};

/**
 * The accounts of one pool (one currency per pool) and of the platform (one per currency).
 * Money flows between them as the README's table shows; debit the account money leaves, credit the
 * account it arrives in.
 */
export const chart = {
  /** What the pool has collected and not yet paid out (credit-normal, cannot go negative). */
  poolPot: (poolId: string, currency: Currency): AccountSpec => creditNormal(`pool:${segment(poolId)}:pot`, currency),
  /** Money set aside to cover defaults (credit-normal, cannot go negative). */
  poolReserve: (poolId: string, currency: Currency): AccountSpec => creditNormal(`pool:${segment(poolId)}:reserve`, currency),
  /** Fees charged inside the pool (late fees, management fee) before they are swept to the platform. */
  poolFees: (poolId: string, currency: Currency): AccountSpec => creditNormal(`pool:${segment(poolId)}:fees`, currency),
  /** The member's money entering the pool: debited by each contribution, credited by refunds. */
  memberContributed: (poolId: string, memberId: string, currency: Currency): AccountSpec =>
    debitNormal(`pool:${segment(poolId)}:member:${segment(memberId)}:contributed`, currency),
  /** Money the pool paid to the member: credited by each payout, debited only by a reversal. */
  memberPaidOut: (poolId: string, memberId: string, currency: Currency): AccountSpec =>
    creditNormal(`pool:${segment(poolId)}:member:${segment(memberId)}:paid_out`, currency),
  /**
   * The platform's fee income from one pool, not yet swept into platformFeeRevenue (credit-normal). Each
   * round credits its own pool's account, so rounds of different pools never wait on one shared row.
   */
  poolPlatformFees: (poolId: string, currency: Currency): AccountSpec => creditNormal(`pool:${segment(poolId)}:platform_fees`, currency),
  /** Fees the platform has earned, swept from the pools' platform-fee accounts. */
  platformFeeRevenue: (currency: Currency): AccountSpec => unfloored(`platform:fee_revenue:${currency}`, currency),
  /**
   * Money Stripe holds for us that no pool owns yet or any more: charges that succeeded for a round
   * that no longer takes them, and Stripe's own fees and adjustments found by reconciliation.
   */
  stripeClearing: (currency: Currency): AccountSpec => unfloored(`stripe:clearing:${currency}`, currency),
};
