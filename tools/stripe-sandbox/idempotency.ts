// Stripe's Idempotency-Key semantics for POSTs: the first response for a key (per secret key) is saved
// once the endpoint starts executing and replayed for the same parameters; different parameters or a
// different endpoint get 400 idempotency_error; a retry while the first is still running gets 409.
import { StripeHttpError, invalidRequest } from './errors';

export interface SavedResponse {
  status: number;
  body: unknown;
  requestId: string;
}

export interface IdempotentRequest {
  method: string;
  path: string;
  fingerprint: string;
}

export type Claim =
  | { kind: 'new'; commit: (response: SavedResponse) => void; abandon: () => void }
  | { kind: 'replay'; response: SavedResponse }
  | { kind: 'rejected'; error: StripeHttpError };

interface Entry extends IdempotentRequest {
  secretKey: string;
  idempotencyKey: string;
  response?: SavedResponse;
}

/** Stripe's documented maximum length of an idempotency key. */
export const idempotencyKeyLengthMax = 255;

export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  claim(secretKey: string, idempotencyKey: string, request: IdempotentRequest): Claim {
    if (idempotencyKey.length > idempotencyKeyLengthMax) {
      return { kind: 'rejected', error: invalidRequest(`Idempotency-Key must be at most ${idempotencyKeyLengthMax} characters.`) };
    }
    const slot = `${secretKey}\u0000${idempotencyKey}`;
    const existing = this.entries.get(slot);
    if (!existing) {
      const entry: Entry = { ...request, secretKey, idempotencyKey };
      this.entries.set(slot, entry);
      return {
        kind: 'new',
        commit: (response) => {
          entry.response = response;
        },
        // Nothing was executed (the handler failed before any effect): the key stays free, as on Stripe.
        abandon: () => {
          if (this.entries.get(slot) === entry) this.entries.delete(slot);
        },
      };
    }
    const retryHint = `Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`;
    if (existing.method !== request.method || existing.path !== request.path) {
      return {
        kind: 'rejected',
        error: new StripeHttpError(400, {
          type: 'idempotency_error',
          message:
            'Keys for idempotent requests can only be used for the same endpoint they were first used for ' +
            `('${existing.method} ${existing.path}' vs '${request.method} ${request.path}'). ${retryHint}`,
        }),
      };
    }
    if (existing.fingerprint !== request.fingerprint) {
      return {
        kind: 'rejected',
        error: new StripeHttpError(400, {
          type: 'idempotency_error',
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. ${retryHint}`,
        }),
      };
    }
    if (!existing.response) {
      return {
        kind: 'rejected',
        error: invalidRequest(
          'There is currently another in-progress request using this Idempotent Key (that probably means you submitted ' +
            `twice, and the other request is still going through): ${idempotencyKey}. Please try again later.`,
          { status: 409, code: 'idempotency_key_in_use' },
        ),
      };
    }
    return { kind: 'replay', response: existing.response };
  }

  /**
   * Forgets saved keys, as Stripe does once they are 24 hours old: the next request with such a key runs
   * again. Without a filter every key is forgotten. Keys whose first request is still running are kept.
   */
  expire(filter: { secretKey?: string; idempotencyKey?: string } = {}): number {
    let expired = 0;
    for (const [slot, entry] of this.entries) {
      if (!entry.response) continue;
      if (filter.secretKey !== undefined && entry.secretKey !== filter.secretKey) continue;
      if (filter.idempotencyKey !== undefined && entry.idempotencyKey !== filter.idempotencyKey) continue;
      this.entries.delete(slot);
      expired++;
    }
    return expired;
  }

  reset(): void {
    this.entries.clear();
  }
}
