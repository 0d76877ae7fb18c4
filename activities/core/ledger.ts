// Ledger calls inside activities: the ledger's domain errors become non-retryable ApplicationFailures
// with their stable `type`, since a retry would only repeat them. Serialization conflicts are retried
// inside, by db/transaction.ts; anything else (a database that is gone) stays retryable.
import { ApplicationFailure } from '@temporalio/common';
import { LedgerError, LedgerFloorError, LedgerValidationError } from '../../db/ledger/errors';
import { MoneyError } from '../../domain/core/money';

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
