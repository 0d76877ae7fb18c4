// Idempotency-Key for POSTs, kept in the database: the first use of a key records a hash of its request
// and, once answered, the response; the same key and body get that response again, the same key with
// another body gets 422 for as long as the record lives, and a key whose first request is still
// running gets 409 with Retry-After. Keys are per subject.
//
// A request holds its key through a short lease that it renews while it runs: a request whose process
// died frees its key within IDEMPOTENCY_LEASE_MS, and the retry then runs the command again under the
// same Temporal IDs (commandId below), so Temporal answers the first outcome instead of acting twice.
import { createHash, randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Db } from '../db/pool';
import type { AppEnv } from './context';
import { ProblemError } from './problem';

/** How long a request holds its key without renewing it: a crashed request blocks its retry this long at most. */
export const IDEMPOTENCY_LEASE_MS = 10_000;
/** How often a running request renews its lease (well inside the lease, so a slow renewal does not lose it). */
export const IDEMPOTENCY_RENEW_MS = 3_000;
/** How long a key's record (its request hash and response) is kept. */
export const IDEMPOTENCY_RETENTION_DAYS = 30;
/** Expired records removed per pruning pass; a pass runs every IDEMPOTENCY_PRUNE_EVERY first uses. */
export const IDEMPOTENCY_PRUNE_BATCH_MAX = 500;
const IDEMPOTENCY_PRUNE_EVERY = 1_000;
/** A response body larger than this is not kept (the retry runs the command again, idempotently). */
export const IDEMPOTENCY_RESPONSE_BYTES_MAX = 256 * 1024;
const KEY_PATTERN = /^[A-Za-z0-9_.:-]{8,128}$/;

interface KeyRecord {
  request_hash: string;
  response_status: number | null;
  response_content_type: string | null;
  response_body: string | null;
  lease_left_ms: number | null;
}

/**
 * The ID a command carries into Temporal (update ID, request ID): scoped to the caller, the route and
 * the body as well as the key, so one caller's key can never answer another caller's command.
 */
export function commandIdFor(subject: string, method: string, path: string, body: string, key: string): string {
  return `cmd-${createHash('sha256')
    .update(`${subject}\n${method} ${path}\n${createHash('sha256').update(body).digest('hex')}\n${key}`)
    .digest('hex')
    .slice(0, 40)}`;
}

export function idempotency(db: Db): MiddlewareHandler<AppEnv> {
  let firstUses = 0;
  return async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const key = c.req.header('idempotency-key');
    if (!key) throw new ProblemError(400, 'Idempotency-Key Required', 'POST requests need an Idempotency-Key header (8-128 characters)');
    if (!KEY_PATTERN.test(key)) throw new ProblemError(400, 'Invalid Idempotency-Key', 'an Idempotency-Key is 8-128 of A-Z a-z 0-9 _ . : -');
    const subject = c.get('principal').sub;
    const body = await c.req.raw.clone().text();
    const requestHash = createHash('sha256').update(`${c.req.method} ${c.req.path}\n${body}`).digest('hex');
    c.set('idempotencyKey', key);
    c.set('commandId', commandIdFor(subject, c.req.method, c.req.path, body, key));

    const token = randomUUID();
    const claimed = await db.query(
      `INSERT INTO idempotency_keys (subject, idempotency_key, request_hash, lock_token, locked_until)
       VALUES ($1, $2, $3, $4, now() + $5 * interval '1 millisecond') ON CONFLICT DO NOTHING`,
      [subject, key, requestHash, token, IDEMPOTENCY_LEASE_MS],
    );
    if (claimed.rowCount === 1) {
      if (++firstUses % IDEMPOTENCY_PRUNE_EVERY === 0) void prune(db);
    } else {
      const { rows } = await db.query<KeyRecord>(
        `SELECT request_hash, response_status, response_content_type, response_body,
                (EXTRACT(EPOCH FROM (locked_until - now())) * 1000)::INT8 AS lease_left_ms
           FROM idempotency_keys WHERE subject = $1 AND idempotency_key = $2`,
        [subject, key],
      );
      const record = rows[0];
      if (!record) throw new ProblemError(409, 'Request In Progress', 'this Idempotency-Key was just released; try again', undefined, { 'retry-after': '1' });
      if (record.request_hash !== requestHash) {
        throw new ProblemError(422, 'Idempotency-Key Reused', 'this Idempotency-Key was already used with a different request');
      }
      if (record.response_status !== null) {
        return c.body(record.response_body ?? '', record.response_status as 200, {
          'content-type': record.response_content_type ?? '',
          'idempotent-replayed': 'true',
        });
      }
      // Unanswered: the first request still runs, or died; its lease says which.
      const taken = await db.query(
        `UPDATE idempotency_keys SET lock_token = $3, locked_until = now() + $4 * interval '1 millisecond'
          WHERE subject = $1 AND idempotency_key = $2 AND response_status IS NULL AND (locked_until IS NULL OR locked_until < now())`,
        [subject, key, token, IDEMPOTENCY_LEASE_MS],
      );
      if (taken.rowCount !== 1) {
        const retryAfterSeconds = Math.max(1, Math.ceil(Number(record.lease_left_ms ?? 1_000) / 1_000));
        throw new ProblemError(409, 'Request In Progress', 'a request with this Idempotency-Key is still being processed', undefined, {
          'retry-after': String(retryAfterSeconds),
        });
      }
    }

    const renewal = setInterval(() => {
      db.query(
        `UPDATE idempotency_keys SET locked_until = now() + $4 * interval '1 millisecond'
          WHERE subject = $1 AND idempotency_key = $2 AND lock_token = $3 AND response_status IS NULL`,
        [subject, key, token, IDEMPOTENCY_LEASE_MS],
      ).catch(() => {}); // A missed renewal only shortens the lease; the next one tries again.
    }, IDEMPOTENCY_RENEW_MS);
    renewal.unref();
    let answered: { status: number; contentType: string; body: string } | null = null;
    try {
      await next();
      // Only settled outcomes are kept; a 5xx may succeed when tried again with the same key and body.
      if (c.res.status < 500) {
        const text = await c.res.clone().text();
        if (Buffer.byteLength(text) <= IDEMPOTENCY_RESPONSE_BYTES_MAX)
          answered = { status: c.res.status, contentType: c.res.headers.get('content-type') ?? '', body: text };
      }
    } finally {
      clearInterval(renewal);
      // Either the response is kept, or the lease is released so that a retry can run at once.
      await db
        .query(
          `UPDATE idempotency_keys
              SET response_status = $4, response_content_type = $5, response_body = $6, completed_at = CASE WHEN $4::INT4 IS NULL THEN NULL ELSE now() END,
                  lock_token = NULL, locked_until = NULL
            WHERE subject = $1 AND idempotency_key = $2 AND lock_token = $3`,
          [subject, key, token, answered?.status ?? null, answered?.contentType ?? null, answered?.body ?? null],
        )
        .catch(() => {}); // The lease then runs out by itself, and the retry runs the command idempotently.
    }
  };
}

/** Removes records past their retention, a bounded batch at a time. */
async function prune(db: Db): Promise<void> {
  await db
    .query(
      `DELETE FROM idempotency_keys WHERE (subject, idempotency_key) IN (
         SELECT subject, idempotency_key FROM idempotency_keys
          WHERE created_at < now() - $1 * interval '1 day' ORDER BY created_at LIMIT $2)`,
      [IDEMPOTENCY_RETENTION_DAYS, IDEMPOTENCY_PRUNE_BATCH_MAX],
    )
    .catch(() => {});
}
