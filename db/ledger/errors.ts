// The ledger's domain errors. Each carries a stable `type`, which activities/core/ledger.ts hands to
// ApplicationFailure.nonRetryable: retrying any of them would fail the same way.

export abstract class LedgerError extends Error {
  abstract readonly type: string;

  constructor(message: string) {
    super(message);
    // Each error is named for its class, as a stack trace and a log line show it.
    this.name = new.target.name;
  }
}

export type LedgerValidationReason = 'invalid_request' | 'unbalanced' | 'mixed_currency' | 'unknown_account' | 'duplicate_account' | 'overflow';

/** Thrown when a request is malformed, unbalanced, mixes currencies, names unknown accounts or would overflow. */
export class LedgerValidationError extends LedgerError {
  readonly type = 'LedgerValidation';
  constructor(
    readonly reason: LedgerValidationReason,
    message: string,
  ) {
    super(message);
  }
}

/** Thrown when an idempotency key is replayed with content different from the transfer it recorded. */
export class LedgerConflictError extends LedgerError {
  readonly type = 'LedgerIdempotencyConflict';
  constructor(readonly idempotencyKey: string) {
    super(`idempotency key "${idempotencyKey}" was already used for a transfer with different content`);
  }
}

/** Thrown when an account key already exists with another currency or floor. */
export class LedgerAccountConflictError extends LedgerError {
  readonly type = 'LedgerAccountConflict';
  constructor(
    readonly accountKey: string,
    detail: string,
  ) {
    super(`account "${accountKey}" already exists ${detail}`);
  }
}

/** Thrown when a transfer would take an account below its floor; nothing is written. */
export class LedgerFloorError extends LedgerError {
  readonly type = 'LedgerFloorViolation';
  constructor(
    readonly idempotencyKey: string,
    readonly accountKeys: string[],
  ) {
    super(`transfer "${idempotencyKey}" would take ${accountKeys.map((key) => `"${key}"`).join(', ')} below its floor`);
  }
}

/** Thrown when posting or voiding a pending transfer whose key the ledger does not know. */
export class LedgerTransferNotFoundError extends LedgerError {
  readonly type = 'LedgerTransferNotFound';
  constructor(readonly idempotencyKey: string) {
    super(`no transfer has the idempotency key "${idempotencyKey}"`);
  }
}

/** Thrown when posting or voiding a transfer that is not pending (already voided, posted, or never pending). */
export class LedgerTransferStateError extends LedgerError {
  readonly type = 'LedgerTransferNotPending';
  constructor(
    readonly idempotencyKey: string,
    readonly state: string,
    action: string,
  ) {
    super(`cannot ${action} transfer "${idempotencyKey}": it is ${state}, not pending`);
  }
}
