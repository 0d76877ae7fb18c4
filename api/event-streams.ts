// Server-sent event streams over Redis streams, for every product's live routes (pools, assessments,
// simulation batches). One reader connection per API process serves every open stream: it blocks on
// all their Redis keys in one XREAD and fans the entries out. Streams are capped per subject and per
// network address (slots leased in Redis, so the caps hold across API instances) and per process.
import type { Context } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { randomUUID } from 'node:crypto';
import { createRedis, type Redis } from '../cache/redis';
import type { Logger } from '../observability/log';
import type { AppEnv } from './context';
import type { ApiDeps } from './deps';
import { ProblemError } from './problem';
import { clientAddress } from './rate-limit';

export interface StreamCaps {
  /** Streams one subject may hold open at once, across every API instance. */
  perSubjectMax: number;
  /** Streams one network address may hold open at once, across every API instance. */
  perAddressMax: number;
  /** Streams one API process serves at once. */
  processMax: number;
}

export const DEFAULT_STREAM_CAPS: StreamCaps = { perSubjectMax: 5, perAddressMax: 20, processMax: 500 };
/** A stream ends after this long; EventSource clients reconnect by themselves with Last-Event-ID. */
export const EVENT_STREAM_MS = 10 * 60_000;
/** A comment line keeps proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;
/** Below the Redis client's command timeout, so a blocking read is never mistaken for a hang. */
const READ_BLOCK_MS = 1_500;
/** Entries one XREAD returns per key. */
const ENTRIES_PER_READ_MAX = 100;
/** Entries waiting for a slow client; beyond this its stream ends and the client resumes from its last ID. */
const QUEUED_ENTRIES_MAX = 1_000;
/** Wait after a failed read before the next, while Redis is away; open streams stay open meanwhile. */
const READ_RETRY_MS = 500;
/** How long a stream's slot is held without renewal: a process that dies frees its slots by then. */
const SLOT_LEASE_MS = 30_000;
const SLOT_RENEW_MS = SLOT_LEASE_MS / 3;

/** One entry of a Redis stream: its ID and its field/value list. */
export interface StreamEntry {
  id: string;
  fields: string[];
}

export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

export interface EventStreamSpec {
  /** The Redis stream to follow (without the key prefix). */
  key: string;
  /** Entries after this stream ID are sent; `$`: only entries added from now on. */
  after: string;
  /** Writes what comes before the entries (such as the current state); `end` closes the stream after it. */
  opening?: (send: (message: SseMessage) => Promise<void>) => Promise<'end' | void>;
  /** The message for an entry (null skips it); `last` closes the stream after it. */
  toMessage(entry: StreamEntry): (SseMessage & { last?: boolean }) | null;
  /** Asked every `recheckMs` while the stream is open: false ends it (the subscriber lost access). */
  stillAllowed?: () => Promise<boolean>;
  recheckMs?: number;
}

/** The Redis client name of a process's shared reader. */
export const readerName = (keyPrefix: string) => `sse-reader:${keyPrefix.replace(/\s/g, '_')}`;

/** Orders two stream IDs (`ms-seq`). */
function compareIds(a: string, b: string): number {
  const [aMs, aSeq] = a.split('-').map(Number) as [number, number];
  const [bMs, bSeq] = b.split('-').map(Number) as [number, number];
  return aMs - bMs || (aSeq ?? 0) - (bSeq ?? 0);
}

interface Subscriber {
  after: string;
  deliver(entries: StreamEntry[]): void;
}

type XReadReply = Array<[string, Array<[string, string[]]>]> | null;

/**
 * The process's one blocking reader. It runs while anyone subscribes: each round reads every subscribed
 * key from the earliest ID any of its subscribers still needs, and hands each subscriber what is newer
 * than its own cursor. A new subscriber interrupts the block in progress (CLIENT UNBLOCK), so it is
 * served at once rather than after the block times out.
 */
export class SharedStreamReader {
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  private reader: Redis | null = null;
  private readerId: number | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly deps: { redis: Redis; redisUrl: string; redisKeyPrefix: string; log: Logger }) {}

  /** How many reader connections are open (zero or one), for tests and metrics. */
  get connectionsOpen(): number {
    return this.reader ? 1 : 0;
  }

  subscribe(key: string, after: string, deliver: (entries: StreamEntry[]) => void): () => void {
    const subscriber: Subscriber = { after, deliver };
    const set = this.subscribers.get(key) ?? new Set();
    set.add(subscriber);
    this.subscribers.set(key, set);
    this.running ??= this.run();
    // The block under way does not include this subscriber; cut it short. At worst it ends by itself.
    if (this.readerId !== null) void this.deps.redis.call('CLIENT', 'UNBLOCK', String(this.readerId)).catch(() => {});
    return () => {
      set.delete(subscriber);
      if (set.size === 0 && this.subscribers.get(key) === set) this.subscribers.delete(key);
    };
  }

  private async run(): Promise<void> {
    const reader = createRedis(this.deps.redisUrl, this.deps.redisKeyPrefix);
    this.reader = reader;
    try {
      while (this.subscribers.size > 0) {
        try {
          if (this.readerId === null) {
            // Named, so operations (and the tests) can count the readers in CLIENT LIST.
            await reader.client('SETNAME', readerName(this.deps.redisKeyPrefix));
            this.readerId = Number(await reader.client('ID'));
          }
          await this.readOnce(reader);
        } catch (error) {
          this.deps.log.warn('event stream read failed', { error: error instanceof Error ? error.message : String(error) });
          await new Promise((resolve) => setTimeout(resolve, READ_RETRY_MS));
        }
      }
    } finally {
      // In the same synchronous step as the last look at the subscribers: a later one starts a new run.
      this.reader = null;
      this.readerId = null;
      this.running = null;
      reader.disconnect();
    }
  }

  private async readOnce(reader: Redis): Promise<void> {
    const keys = [...this.subscribers.keys()];
    // The last subscriber may have left while the reader was being named: XREAD of no stream is an error.
    if (keys.length === 0) return;
    const cursors = keys.map((key) => [...this.subscribers.get(key)!].map((s) => s.after).reduce((min, id) => (compareIds(id, min) < 0 ? id : min)));
    const reply = (await reader.xread('COUNT', ENTRIES_PER_READ_MAX, 'BLOCK', READ_BLOCK_MS, 'STREAMS', ...keys, ...cursors)) as XReadReply;
    for (const [prefixedKey, rawEntries] of reply ?? []) {
      const key = prefixedKey.startsWith(this.deps.redisKeyPrefix) ? prefixedKey.slice(this.deps.redisKeyPrefix.length) : prefixedKey;
      const entries = rawEntries.map(([id, fields]) => ({ id, fields }));
      for (const subscriber of this.subscribers.get(key) ?? []) {
        const fresh = entries.filter((entry) => compareIds(entry.id, subscriber.after) > 0);
        if (fresh.length === 0) continue;
        subscriber.after = fresh.at(-1)!.id;
        subscriber.deliver(fresh);
      }
    }
  }
}

/**
 * Takes a slot for a stream under both caps, or none. KEYS: the subject's and the address's slot sets
 * (sorted sets of stream IDs scored by lease expiry). ARGV: stream ID, lease ms, subject max, address max.
 * Returns 0, or the index of the cap that refused.
 */
const TAKE_SLOT = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
for i = 1, 2 do redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now) end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 1 end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return 2 end
for i = 1, 2 do
  redis.call('ZADD', KEYS[i], now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[2]))
end
return 0`;

/** Extends a held slot's lease. KEYS and ARGV[1..2] as TAKE_SLOT. */
const RENEW_SLOT = `
local clock = redis.call('TIME')
local expiry = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000) + tonumber(ARGV[2])
for i = 1, 2 do
  redis.call('ZADD', KEYS[i], 'XX', expiry, ARGV[1])
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[2]))
end
return 0`;

export interface EventStreamsDeps {
  redis: Redis;
  redisUrl: string;
  redisKeyPrefix: string;
  log: Logger;
  caps?: Partial<StreamCaps>;
  /** How long a stream stays open (EVENT_STREAM_MS unless a test shortens it). */
  streamMs?: number;
}

/** Opens capped SSE streams that follow Redis streams through the process's shared reader. */
export class EventStreams {
  readonly reader: SharedStreamReader;
  readonly caps: StreamCaps;
  private open = 0;

  constructor(private readonly deps: EventStreamsDeps) {
    this.reader = new SharedStreamReader(deps);
    this.caps = { ...DEFAULT_STREAM_CAPS, ...deps.caps };
  }

  /** Checks the caps, then answers with the stream; over a cap, a 429 (caller's) or 503 (process's). */
  async respond(c: Context<AppEnv>, spec: EventStreamSpec): Promise<Response> {
    if (this.open >= this.caps.processMax) throw new ProblemError(503, 'Service Unavailable', 'too many open event streams; retry shortly');
    // Counted before the first await, so streams opening together cannot overshoot the process's cap.
    this.open++;
    const streamId = randomUUID();
    const slotKeys = [`sse:subject:${c.get('principal').sub}`, `sse:address:${clientAddress(c)}`];
    const slotArgs = [streamId, String(SLOT_LEASE_MS)];
    let refused: number;
    try {
      refused = Number(await this.deps.redis.eval(TAKE_SLOT, 2, ...slotKeys, ...slotArgs, String(this.caps.perSubjectMax), String(this.caps.perAddressMax)));
    } catch {
      this.open--;
      throw new ProblemError(503, 'Service Unavailable', 'event streams are unavailable; retry shortly');
    }
    if (refused !== 0) {
      this.open--;
      const [who, max] = refused === 1 ? ['you', this.caps.perSubjectMax] : ['your address', this.caps.perAddressMax];
      throw new ProblemError(429, 'Too Many Requests', `at most ${max} open event streams for ${who}; close one first`, undefined, { 'retry-after': '5' });
    }
    const renew = setInterval(() => void this.deps.redis.eval(RENEW_SLOT, 2, ...slotKeys, ...slotArgs).catch(() => {}), SLOT_RENEW_MS);
    const release = () => {
      clearInterval(renew);
      this.open--;
      void this.deps.redis
        .multi()
        .zrem(slotKeys[0]!, streamId)
        .zrem(slotKeys[1]!, streamId)
        .exec()
        .catch(() => {});
    };
    try {
      return streamSSE(c, (stream) => this.pump(stream, spec).finally(release));
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Writes the opening and then each entry as it arrives, with keep-alives and access rechecks between. */
  private async pump(stream: SSEStreamingApi, spec: EventStreamSpec): Promise<void> {
    let closed = false;
    let wake: (() => void) | null = null;
    const nudge = () => {
      wake?.();
      wake = null;
    };
    stream.onAbort(() => {
      closed = true;
      nudge();
    });
    let lastWriteAt = Date.now();
    const send = async (message: SseMessage) => {
      await stream.writeSSE(message);
      lastWriteAt = Date.now();
    };
    if ((await spec.opening?.(send)) === 'end') return;

    // `$` is pinned to the stream's newest entry now: the shared reader reads from explicit IDs only.
    const after = spec.after === '$' ? ((await this.deps.redis.xrevrange(spec.key, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0') : spec.after;
    const queue: StreamEntry[] = [];
    let overflowed = false;
    const unsubscribe = this.reader.subscribe(spec.key, after, (entries) => {
      queue.push(...entries);
      overflowed ||= queue.length > QUEUED_ENTRIES_MAX;
      nudge();
    });
    try {
      const endsAt = Date.now() + (this.deps.streamMs ?? EVENT_STREAM_MS);
      const recheckMs = spec.recheckMs ?? Number.POSITIVE_INFINITY;
      let checkedAt = Date.now();
      while (!closed && !overflowed && Date.now() < endsAt) {
        for (let entry = queue.shift(); entry && !closed; entry = queue.shift()) {
          const message = spec.toMessage(entry);
          if (!message) continue;
          const { last, ...sse } = message;
          await send(sse);
          if (last) return;
        }
        if (spec.stillAllowed && Date.now() - checkedAt >= recheckMs) {
          checkedAt = Date.now();
          if (!(await spec.stillAllowed())) return;
        }
        if (Date.now() - lastWriteAt >= KEEPALIVE_MS) {
          await stream.write(': keep-alive\n\n');
          lastWriteAt = Date.now();
        }
        if (queue.length > 0) continue;
        const waitMs = Math.max(1, Math.min(endsAt, checkedAt + recheckMs, lastWriteAt + KEEPALIVE_MS) - Date.now());
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => nudge(), waitMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      unsubscribe();
    }
  }
}

const perDeps = new WeakMap<object, EventStreams>();

/** The one EventStreams of an app's dependencies (so of its process), made on first use. */
export function eventStreamsOf(deps: Pick<ApiDeps, 'redis' | 'redisUrl' | 'redisKeyPrefix' | 'log' | 'limits' | 'eventStreamMs'>): EventStreams {
  let streams = perDeps.get(deps);
  if (!streams) {
    streams = new EventStreams({ ...deps, caps: deps.limits?.streams, streamMs: deps.eventStreamMs });
    perDeps.set(deps, streams);
  }
  return streams;
}
