// Queries for stripe_transfers: one row per payout transfer to a member's connected account, found by
// its business key (the idempotency key) or by Stripe's transfer ID.
import { type MovementIdentity, type MovementStatus, movementTable } from './movement-table';

export interface TransferStatusFields extends MovementStatus {
  amountReversedMinor: bigint;
}

export interface TransferRow extends MovementIdentity, TransferStatusFields {
  transferId: string;
  destinationAccountId: string;
}

export const transfersTable = movementTable<TransferRow, TransferStatusFields>({
  name: 'stripe_transfers',
  idField: 'transferId',
  objectColumns: { transferId: 'transfer_id', destinationAccountId: 'destination_account_id' },
  ownStatusColumns: { amountReversedMinor: 'amount_reversed_minor' },
});
export const findTransferByKey = transfersTable.byKey;
export const listTransfersByPool = transfersTable.byPool;
