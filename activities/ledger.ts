// The ledger as Temporal activities: arguments and results are JSON-safe (amounts as decimal strings,
// times as ISO strings), and the ledger's domain errors become non-retryable ApplicationFailures with
// their stable `type`. Serialization conflicts are retried inside, by db/transaction.ts.
import { ApplicationFailure } from '@temporalio/common';
import { ensureAccounts, getBalances } from '../db/ledger/accounts';
import type { AccountFloor } from '../db/ledger/chart';
import { LedgerError, LedgerFloorError, LedgerValidationError } from '../db/ledger/errors';
import { checkLedgerInvariants, type InvariantScope, type LedgerViolation } from '../db/ledger/invariants';
import type { Direction, TransferMetadata, TransferRequest } from '../db/ledger/transfer-request';
import {
  createPendingTransfer,
  postPendingTransfer,
  postTransfer,
  type TransferOutcome,
  type TransferState,
  voidPendingTransfer,
} from '../db/ledger/transfers';
import type { Db } from '../db/pool';
import type { TransactionOptions } from '../db/transaction';
import { formatMinor, MoneyError, parseCurrency, parseMinor } from '../domain/money';

export interface PostingWire {
  accountKey: string;
  direction: Direction;
  /** Minor units in canonical decimal form ('1234'). */
  amountMinor: string;
}

export interface TransferRequestWire {
  idempotencyKey: string;
  currency: string;
  postings: PostingWire[];
  metadata?: TransferMetadata;
}

export interface TransferWire {
  transferId: string;
  idempotencyKey: string;
  currency: string;
  state: TransferState;
  postings: PostingWire[];
  metadata: TransferMetadata;
  createdAt: string;
  resolvedAt: string | null;
  /** True when the key had already been used for this very request and nothing was written. */
  replayed: boolean;
}

export interface AccountSpecWire {
  key: string;
  currency: string;
  floor: AccountFloor;
}

export interface AccountBalanceWire {
  key: string;
  currency: string;
  floor: AccountFloor;
  debitsPostedMinor: string;
  creditsPostedMinor: string;
  debitsPendingMinor: string;
  creditsPendingMinor: string;
}

/**
 * Runs a ledger call, turning the errors a retry would only repeat into non-retryable failures with a
 * stable type (and the offending accounts or reason as details). Anything else stays retryable.
 */
export async function asLedgerActivity<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (thrown) {
    // A malformed amount or currency in the input is a validation error like any other.
    const error = thrown instanceof MoneyError ? new LedgerValidationError('invalid_request', thrown.message) : thrown;
    if (error instanceof LedgerFloorError) throw ApplicationFailure.nonRetryable(error.message, error.type, { accountKeys: error.accountKeys });
    if (error instanceof LedgerValidationError) throw ApplicationFailure.nonRetryable(error.message, error.type, { reason: error.reason });
    if (error instanceof LedgerError) throw ApplicationFailure.nonRetryable(error.message, error.type);
    throw error;
  }
}

/** Input arrives as JSON from a workflow: a missing list is a bad request, not a crash to retry. */
function list<T>(value: T[], name: string): T[] {
  if (!Array.isArray(value)) throw new LedgerValidationError('invalid_request', `${name} must be a list`);
  return value;
}

function requestFromWire(wire: TransferRequestWire): TransferRequest {
  return {
    idempotencyKey: wire.idempotencyKey,
    currency: wire.currency,
    postings: list(wire.postings, 'postings').map((p) => ({ accountKey: p.accountKey, direction: p.direction, amountMinor: parseMinor(p.amountMinor) })),
    ...(wire.metadata === undefined ? {} : { metadata: wire.metadata }),
  };
}

function outcomeToWire({ transfer, replayed }: TransferOutcome): TransferWire {
  return {
    transferId: transfer.transferId,
    idempotencyKey: transfer.idempotencyKey,
    currency: transfer.currency,
    state: transfer.state,
    postings: transfer.postings.map((p) => ({ accountKey: p.accountKey, direction: p.direction, amountMinor: formatMinor(p.amountMinor) })),
    metadata: transfer.metadata,
    createdAt: transfer.createdAt.toISOString(),
    resolvedAt: transfer.resolvedAt?.toISOString() ?? null,
    replayed,
  };
}

export function createLedgerActivities(deps: { db: Db; transactionOptions?: TransactionOptions }) {
  const { db, transactionOptions } = deps;
  return {
    /** Creates the accounts that do not exist yet; existing ones must match in currency and floor. */
    async ensureAccounts(input: { accounts: AccountSpecWire[] }): Promise<void> {
      await asLedgerActivity(() =>
        ensureAccounts(
          db,
          list(input.accounts, 'accounts').map((spec) => ({ key: spec.key, currency: parseCurrency(spec.currency), floor: spec.floor })),
          transactionOptions,
        ),
      );
    },

    async postTransfer(input: TransferRequestWire): Promise<TransferWire> {
      return outcomeToWire(await asLedgerActivity(() => postTransfer(db, requestFromWire(input), transactionOptions)));
    },

    async createPendingTransfer(input: TransferRequestWire): Promise<TransferWire> {
      return outcomeToWire(await asLedgerActivity(() => createPendingTransfer(db, requestFromWire(input), transactionOptions)));
    },

    async postPendingTransfer(input: { idempotencyKey: string }): Promise<TransferWire> {
      return outcomeToWire(await asLedgerActivity(() => postPendingTransfer(db, input.idempotencyKey, transactionOptions)));
    },

    async voidPendingTransfer(input: { idempotencyKey: string }): Promise<TransferWire> {
      return outcomeToWire(await asLedgerActivity(() => voidPendingTransfer(db, input.idempotencyKey, transactionOptions)));
    },

    async getBalances(input: { accountKeys: string[] }): Promise<AccountBalanceWire[]> {
      const balances = await asLedgerActivity(() => getBalances(db, input.accountKeys));
      return balances.map((b) => ({
        key: b.key,
        currency: b.currency,
        floor: b.floor,
        debitsPostedMinor: formatMinor(b.debitsPostedMinor),
        creditsPostedMinor: formatMinor(b.creditsPostedMinor),
        debitsPendingMinor: formatMinor(b.debitsPendingMinor),
        creditsPendingMinor: formatMinor(b.creditsPendingMinor),
      }));
    },

    /** The invariant violations found (already JSON-safe); an empty list means the ledger is healthy. */
    async checkInvariants(input: InvariantScope = {}): Promise<LedgerViolation[]> {
      return asLedgerActivity(() => checkLedgerInvariants(db, input, transactionOptions));
    },
  };
}

export type LedgerActivities = ReturnType<typeof createLedgerActivities>;
