// The request record: every API request the sandbox received, what it answered, which object it created
// and whether it was a replay, so tests can count effects per idempotency key.
import type { Params } from './params';

export interface RecordedRequest {
  seq: number;
  at: string;
  method: string;
  path: string;
  idempotencyKey: string | null;
  secretKey: string;
  params: Params;
  /** null while running, and for requests that were never answered (hung or dropped). */
  status: number | null;
  outcome: 'running' | 'answered' | 'dropped' | 'hung';
  /** The object this request created (a replay or a read creates none). */
  objectId: string | null;
  replayed: boolean;
  fault: { id: string; kind: string; when: string } | null;
}

export interface RequestFilter {
  method?: string;
  pathPrefix?: string;
  idempotencyKey?: string;
  secretKey?: string;
}

/** What one idempotency key led to: the objects actually created, however many times it was sent. */
export interface IdempotencyEffects {
  idempotencyKey: string;
  secretKey: string;
  requests: number;
  replays: number;
  objectIds: string[];
}

/** The oldest entries are forgotten beyond this many, so a long-running dev sandbox stays small. */
export const requestLogEntriesMax = 20_000;

export class RequestLog {
  private entries: RecordedRequest[] = [];
  private seq = 0;

  start(request: Pick<RecordedRequest, 'method' | 'path' | 'idempotencyKey' | 'secretKey' | 'params'>): RecordedRequest {
    const entry: RecordedRequest = {
      ...request,
      seq: ++this.seq,
      at: new Date().toISOString(),
      status: null,
      outcome: 'running',
      objectId: null,
      replayed: false,
      fault: null,
    };
    this.entries.push(entry);
    if (this.entries.length > requestLogEntriesMax) this.entries.splice(0, this.entries.length - requestLogEntriesMax);
    return entry;
  }

  list(filter: RequestFilter = {}): RecordedRequest[] {
    return this.entries.filter((entry) => matches(entry, filter));
  }

  effects(filter: RequestFilter = {}): IdempotencyEffects[] {
    const byKey = new Map<string, IdempotencyEffects>();
    for (const entry of this.list(filter)) {
      if (entry.idempotencyKey === null) continue;
      const slot = `${entry.secretKey}\u0000${entry.idempotencyKey}`;
      let effects = byKey.get(slot);
      if (!effects) {
        effects = { idempotencyKey: entry.idempotencyKey, secretKey: entry.secretKey, requests: 0, replays: 0, objectIds: [] };
        byKey.set(slot, effects);
      }
      effects.requests++;
      if (entry.replayed) effects.replays++;
      if (entry.objectId !== null && !effects.objectIds.includes(entry.objectId)) effects.objectIds.push(entry.objectId);
    }
    return [...byKey.values()];
  }

  reset(): void {
    this.entries = [];
  }
}

function matches(entry: RecordedRequest, filter: RequestFilter): boolean {
  return (
    (filter.method === undefined || entry.method === filter.method.toUpperCase()) &&
    (filter.pathPrefix === undefined || entry.path.startsWith(filter.pathPrefix)) &&
    (filter.idempotencyKey === undefined || entry.idempotencyKey === filter.idempotencyKey) &&
    (filter.secretKey === undefined || entry.secretKey === filter.secretKey)
  );
}
