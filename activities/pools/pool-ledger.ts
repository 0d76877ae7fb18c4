// The ledger entries of a pool's life, named for what happened: a contribution arrived, the reserve
// covered a default, a payout was reserved, posted or voided, a fee was taken, money was refunded.
// Every entry's idempotency key is built from pool, round, member and purpose, so a retried activity
// or a replayed workflow records each movement exactly once.
import type { Db } from '../../db/pool';
import { ensureAccounts } from '../../db/ledger/accounts';
import { chart } from '../../db/ledger/chart';
import { LedgerConflictError, LedgerFloorError, LedgerValidationError } from '../../db/ledger/errors';
import { createPendingTransfer, getTransfer, postPendingTransfer, postTransfer, voidPendingTransfer } from '../../db/ledger/transfers';
import type { PostingInput, TransferRequest } from '../../db/ledger/transfer-request';
import { postTransfers } from '../../db/ledger/batch-transfers';
import { poolLedgerKeys } from '../../domain/core/idempotency-keys';
import { parseCurrency, parseMinor, type Currency } from '../../domain/core/money';
import { asLedgerActivity } from '../core/ledger';

export interface MemberMovement {
  poolId: string;
  round: number;
  memberId: string;
  currency: string;
}

export interface PayoutKey {
  poolId: string;
  round: number;
  memberId: string;
  /** `pot-a1`, `dividend-a2`, `distribution-a1`: what is paid, and which attempt. */
  purpose: string;
}

const debit = (accountKey: string, amountMinor: bigint): PostingInput => ({ accountKey, direction: 'debit', amountMinor });
const credit = (accountKey: string, amountMinor: bigint): PostingInput => ({ accountKey, direction: 'credit', amountMinor });

/** A paid contribution as the round reports it; money as decimal strings. */
export type ContributionRecord = MemberMovement & { amountMinor: string; lateFeeMinor: string; arrearsMinor?: string; paymentIntentId: string | null };

/**
 * A paid contribution's transfer: the amount into the pot; a late fee, and any arrears paid with it,
 * into the reserve (which covers defaults, and which covered some of those arrears).
 */
function contributionTransfer(input: ContributionRecord): TransferRequest {
  const currency = parseCurrency(input.currency);
  const amountMinor = parseMinor(input.amountMinor);
  const toReserveMinor = parseMinor(input.lateFeeMinor) + parseMinor(input.arrearsMinor ?? '0');
  return {
    idempotencyKey: poolLedgerKeys.contribution(input),
    currency,
    postings: [
      debit(chart.memberContributed(input.poolId, input.memberId, currency).key, amountMinor + toReserveMinor),
      credit(chart.poolPot(input.poolId, currency).key, amountMinor),
      ...(toReserveMinor > 0n ? [credit(chart.poolReserve(input.poolId, currency).key, toReserveMinor)] : []),
    ],
    metadata: { poolId: input.poolId, round: input.round, memberId: input.memberId, paymentIntentId: input.paymentIntentId },
  };
}

/**
 * Money out of the pool's pot into one of the member's accounts (paid out, or refunded), parsed from the
 * workflow's strings, under its idempotency key, with the member's movement and `what` it was in its metadata.
 */
function outOfPot(
  input: MemberMovement & { amountMinor: string },
  memberAccount: (poolId: string, memberId: string, currency: Currency) => { key: string },
  idempotencyKey: string,
  what: Record<string, string>,
): TransferRequest {
  const currency = parseCurrency(input.currency);
  const amountMinor = parseMinor(input.amountMinor);
  return {
    idempotencyKey,
    currency,
    postings: [debit(chart.poolPot(input.poolId, currency).key, amountMinor), credit(memberAccount(input.poolId, input.memberId, currency).key, amountMinor)],
    metadata: { poolId: input.poolId, round: input.round, memberId: input.memberId, ...what },
  };
}

export function createPoolLedgerActivities(deps: { db: Db }) {
  const { db } = deps;

  async function isLegacyPlatformFee(idempotencyKey: string, currency: Currency, feeMinor: bigint): Promise<boolean> {
    const existing = await getTransfer(db, idempotencyKey);
    const revenue = existing?.postings.find((p) => p.direction === 'credit');
    return revenue?.accountKey === chart.platformFeeRevenue(currency).key && revenue.amountMinor === feeMinor;
  }

  return {
    /** Opens (idempotently) the pool's accounts and those of the given members. */
    async openPoolAccounts(input: { poolId: string; currency: string; memberIds: string[] }): Promise<void> {
      const currency = parseCurrency(input.currency);
      await asLedgerActivity(() =>
        ensureAccounts(db, [
          chart.poolPot(input.poolId, currency),
          chart.poolReserve(input.poolId, currency),
          chart.poolFees(input.poolId, currency),
          chart.poolPlatformFees(input.poolId, currency),
          ...input.memberIds.flatMap((memberId) => [
            chart.memberContributed(input.poolId, memberId, currency),
            chart.memberPaidOut(input.poolId, memberId, currency),
          ]),
        ]),
      );
    },

    /**
     * A paid contribution: the amount into the pot; a late fee, and any arrears paid with it, into the
     * reserve (which covers defaults, and which covered some of those arrears).
     */
    async recordContribution(input: ContributionRecord): Promise<void> {
      await asLedgerActivity(() => postTransfer(db, contributionTransfer(input)));
    },

    /**
     * Paid contributions of one round in one ledger transaction (postTransfers), each under the same key
     * and with the same postings as recordContribution would give it, so either records each just once.
     */
    async recordContributions(input: { contributions: ContributionRecord[] }): Promise<void> {
      if (input.contributions.length === 0) return;
      await asLedgerActivity(() => postTransfers(db, input.contributions.map(contributionTransfer)));
    },

    /** Covers a member's missed contribution from the reserve; false when the reserve cannot. */
    async coverFromReserve(input: MemberMovement & { amountMinor: string }): Promise<boolean> {
      return asLedgerActivity(async () => {
        const currency = parseCurrency(input.currency);
        const amountMinor = parseMinor(input.amountMinor);
        try {
          await postTransfer(db, {
            idempotencyKey: poolLedgerKeys.cover(input),
            currency,
            postings: [debit(chart.poolReserve(input.poolId, currency).key, amountMinor), credit(chart.poolPot(input.poolId, currency).key, amountMinor)],
            metadata: { poolId: input.poolId, round: input.round, memberId: input.memberId, reason: 'default covered from reserve' },
          });
          return true;
        } catch (error) {
          // The reserve holds too little: the round applies the fallback policy instead.
          if (error instanceof LedgerFloorError) return false;
          throw error;
        }
      });
    },

    /**
     * The round's fee out of the pot: a management fee to the pool's fees; a platform fee to the pool's
     * own platform-fee account (swept into the platform's revenue by sweepPlatformFees), so that rounds
     * of different pools never write the same row.
     */
    async recordPayoutFee(input: { poolId: string; round: number; currency: string; feeMinor: string; kind: string }): Promise<void> {
      const currency = parseCurrency(input.currency);
      const feeMinor = parseMinor(input.feeMinor);
      if (feeMinor === 0n) return;
      const to = input.kind === 'distribution' ? chart.poolFees(input.poolId, currency) : chart.poolPlatformFees(input.poolId, currency);
      const request = {
        idempotencyKey: poolLedgerKeys.fee(input.poolId, input.round),
        currency,
        postings: [debit(chart.poolPot(input.poolId, currency).key, feeMinor), credit(to.key, feeMinor)],
        metadata: { poolId: input.poolId, round: input.round, kind: input.kind },
      };
      await asLedgerActivity(async () => {
        try {
          await postTransfer(db, request);
        } catch (error) {
          // Pools opened before per-pool fee accounts existed get theirs on their first platform fee.
          if (error instanceof LedgerValidationError && error.reason === 'unknown_account' && to.key !== chart.poolFees(input.poolId, currency).key) {
            await ensureAccounts(db, [to]);
            await postTransfer(db, request);
            return;
          }
          // A fee recorded by an earlier version straight into the platform's revenue is the same fee.
          if (error instanceof LedgerConflictError && (await isLegacyPlatformFee(request.idempotencyKey, currency, feeMinor))) return;
          throw error;
        }
      });
    },

    /** Step one of a payout saga: the amount leaves the pot's available balance, pending. */
    async reservePayout(input: PayoutKey & { currency: string; amountMinor: string }): Promise<void> {
      const transfer = outOfPot(input, chart.memberPaidOut, poolLedgerKeys.payout(input), { purpose: input.purpose });
      await asLedgerActivity(() => createPendingTransfer(db, transfer));
    },

    /** Step three: the Stripe transfer went through, so the reservation becomes final. */
    async postPayout(input: PayoutKey): Promise<void> {
      await asLedgerActivity(() => postPendingTransfer(db, poolLedgerKeys.payout(input)));
    },

    /** Compensation: the Stripe transfer was refused, so the reservation is released. */
    async voidPayout(input: PayoutKey): Promise<void> {
      await asLedgerActivity(() => voidPendingTransfer(db, poolLedgerKeys.payout(input)));
    },

    /** A refunded contribution on cancellation: out of the pot, back to the member's contributed account. */
    async recordRefund(input: MemberMovement & { amountMinor: string; refundId: string }): Promise<void> {
      const transfer = outOfPot(input, chart.memberContributed, poolLedgerKeys.refund(input), { refundId: input.refundId });
      await asLedgerActivity(() => postTransfer(db, transfer));
    },
  };
}

export type PoolLedgerActivities = ReturnType<typeof createPoolLedgerActivities>;
