// How a round groups its members for the activities that charge them and record their contributions:
// the limits both sides share, and the split itself. Pure, so the workflow and the activities agree.

/** The most members one charge activity takes: its input and result stay a few tens of KB. */
export const CHARGES_PER_BATCH_MAX = 100;
/** Charge batches a round runs at once; with the charges each runs at once, about 50 Stripe requests in flight. */
export const CHARGE_BATCHES_IN_FLIGHT_MAX = 5;
/** Charges of one batch in flight at once, inside its activity. */
export const CHARGES_PER_BATCH_CONCURRENCY_MAX = 10;
/** The most contributions one ledger activity records in its single transaction (postTransfers takes up to 1,000). */
export const CONTRIBUTIONS_PER_RECORD_MAX = 500;

/** `items` in consecutive chunks of at most `sizeMax`, in order. */
export function chunks<T>(items: readonly T[], sizeMax: number): T[][] {
  if (!Number.isInteger(sizeMax) || sizeMax < 1) throw new RangeError(`chunk size ${sizeMax} is not a positive integer`);
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += sizeMax) result.push(items.slice(start, start + sizeMax));
  return result;
}
