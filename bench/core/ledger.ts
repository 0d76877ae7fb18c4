// Ledger throughput against a baseline measured in the same run on the same database: postTransfer
// (SERIALIZABLE, balances and floors, retries) versus bare balanced inserts (a transfer row and two
// posting rows, nothing checked), at low contention (many accounts) and high contention (a few hot ones).
// Then two comparisons inside the ledger: platform fees of many pools into one shared account versus
// into each pool's own account (the hot row), and a round's contributions into one pot as single
// transfers versus batches (postTransfers).
// Run: set -a; . .data/test.env; set +a; npx tsx bench/core/ledger.ts   (see bench/README.md)
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { databaseEnv, parseEnv } from '../../config/env';
import { ACCOUNTS_PER_CALL_MAX, ensureAccounts } from '../../db/ledger/accounts';
import type { AccountSpec } from '../../db/ledger/chart';
import { type PostingInput, POSTINGS_PER_TRANSFER_MAX } from '../../db/ledger/transfer-request';
import { postTransfers } from '../../db/ledger/batch-transfers';
import { postTransfer } from '../../db/ledger/transfers';
import { createDbPool, type Db } from '../../db/pool';
import { transaction } from '../../db/transaction';
import { parseCurrency } from '../../domain/core/money';
import { phasePlan, alternatePhases } from '../phases';
import { benchSetting } from '../settings';

/** Concurrent writers, each with its own connection. */
const WRITERS = benchSetting('BENCH_WRITERS', 8);
/** Phases of 2.5 s (BENCH_PHASE_MS), alternating baseline and ledger, after a second's warm-up of each. */
const plan = phasePlan(2_500, 1_000);
const LOW_CONTENTION_ACCOUNTS = 2_000;
const HIGH_CONTENTION_ACCOUNTS = 4;
const FUNDING_MINOR = 10n ** 12n;
const TARGET_LOW_CONTENTION_RATIO = 0.5;
/** Pools whose rounds take platform fees at once in the hot-row comparison. */
const FEE_POOLS = 2_000;
/** Contributions per batch in the batch comparison (one writer's share of a round). */
const CONTRIBUTIONS_PER_BATCH = 100;

const usd = parseCurrency('usd');
const run = `bench-${randomUUID().slice(0, 8)}`;
const baselineTransfers = `bench_baseline_transfers_${run.slice(6)}`;
const baselinePostings = `bench_baseline_postings_${run.slice(6)}`;

/** DATABASE_URL, else the test stack's (.data/test.env, written by `npm run stack -- test`). */
function databaseUrl(): string {
  const testEnv = new URL('../../.data/test.env', import.meta.url);
  if (!process.env.DATABASE_URL && existsSync(testEnv)) {
    const match = /^export DATABASE_URL=(.+)$/m.exec(readFileSync(testEnv, 'utf8'));
    if (match) return match[1]!.trim();
  }
  return parseEnv(databaseEnv).DATABASE_URL;
}

interface PhaseResult {
  transfers: number;
  retries: number;
  /** Retries caused by a deadlock (40P01) rather than a serialization failure (40001). */
  deadlocks: number;
  latenciesMs: number[];
  elapsedMs: number;
}

/** Runs `op` from WRITERS concurrent loops until `durationMs` has passed. */
type OnRetry = (attempt: number, error: Error) => void;

async function phase(durationMs: number, op: (writer: number, n: number, onRetry: OnRetry) => Promise<unknown>): Promise<PhaseResult> {
  const result: PhaseResult = { transfers: 0, retries: 0, deadlocks: 0, latenciesMs: [], elapsedMs: 0 };
  const started = performance.now();
  const deadline = started + durationMs;
  const onRetry: OnRetry = (_attempt, error) => {
    result.retries++;
    if ((error as { code?: string }).code === '40P01') result.deadlocks++;
  };
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, writer) => {
      for (let n = 0; performance.now() < deadline; n++) {
        const t0 = performance.now();
        await op(writer, n, onRetry);
        result.latenciesMs.push(performance.now() - t0);
        result.transfers++;
      }
    }),
  );
  result.elapsedMs = performance.now() - started;
  return result;
}

function merge(results: PhaseResult[]): PhaseResult {
  return {
    transfers: results.reduce((sum, r) => sum + r.transfers, 0),
    retries: results.reduce((sum, r) => sum + r.retries, 0),
    deadlocks: results.reduce((sum, r) => sum + r.deadlocks, 0),
    latenciesMs: results.flatMap((r) => r.latenciesMs),
    elapsedMs: results.reduce((sum, r) => sum + r.elapsedMs, 0),
  };
}

const perSecond = (r: PhaseResult) => (r.transfers * 1000) / r.elapsedMs;
function percentileMs(r: PhaseResult, p: number): string {
  const sorted = [...r.latenciesMs].sort((a, b) => a - b);
  return (sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0).toFixed(1);
}

async function createAccounts(db: Db, prefix: string, count: number): Promise<string[]> {
  const source: AccountSpec = { key: `${prefix}:source`, currency: usd, floor: 'none' };
  const specs: AccountSpec[] = Array.from({ length: count }, (_, i) => ({ key: `${prefix}:a${i}`, currency: usd, floor: 'debits_must_not_exceed_credits' }));
  await ensureAccounts(db, [source]);
  for (let i = 0; i < specs.length; i += ACCOUNTS_PER_CALL_MAX) await ensureAccounts(db, specs.slice(i, i + ACCOUNTS_PER_CALL_MAX));
  // Fund every account far beyond what the run can move, so that floors are checked but never refuse.
  const perTransfer = POSTINGS_PER_TRANSFER_MAX - 1;
  for (let i = 0; i < specs.length; i += perTransfer) {
    const credits = specs.slice(i, i + perTransfer).map((s): PostingInput => ({ accountKey: s.key, direction: 'credit', amountMinor: FUNDING_MINOR }));
    await postTransfer(db, {
      idempotencyKey: `${prefix}:fund:${i}`,
      currency: 'usd',
      postings: [{ accountKey: source.key, direction: 'debit', amountMinor: FUNDING_MINOR * BigInt(credits.length) }, ...credits],
    });
  }
  return specs.map((s) => s.key);
}

/** Tables shaped like the ledger's (same keys, constraints, foreign keys and index), for the baseline. */
async function createBaselineTables(db: Db): Promise<void> {
  await db.query(`
    CREATE TABLE ${baselineTransfers} (
      transfer_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
      idempotency_key TEXT NOT NULL UNIQUE,
      currency TEXT NOT NULL,
      fingerprint TEXT NOT NULL,
      state TEXT NOT NULL,
      metadata JSONB NOT NULL DEFAULT '{}',
      created_at TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE TABLE ${baselinePostings} (
      transfer_id UUID NOT NULL REFERENCES ${baselineTransfers} (transfer_id),
      account_key TEXT NOT NULL REFERENCES ledger_accounts (account_key),
      direction TEXT NOT NULL,
      amount_minor INT8 NOT NULL CHECK (amount_minor > 0),
      created_at TIMESTAMPTZ NOT NULL,
      PRIMARY KEY (transfer_id, account_key)
    );
    CREATE INDEX ON ${baselinePostings} (account_key, created_at, transfer_id);`);
}

/** A random transfer of 1 to 100 minor units between two distinct accounts: both sides of the comparison move the same. */
function randomTransfer(accounts: string[]): { from: string; to: string; amountMinor: bigint } {
  const from = Math.floor(Math.random() * accounts.length);
  const to = (from + 1 + Math.floor(Math.random() * (accounts.length - 1))) % accounts.length;
  return { from: accounts[from]!, to: accounts[to]!, amountMinor: BigInt(1 + Math.floor(Math.random() * 100)) };
}

function baselineOp(db: Db, accounts: string[], tag: string) {
  return (writer: number, n: number, onRetry: OnRetry) => {
    const { from, to, amountMinor } = randomTransfer(accounts);
    return transaction(
      db,
      async (client) => {
        // Named (prepared) statements, as the ledger uses, so that both sides skip re-planning.
        const { rows } = await client.query<{ transfer_id: string; created_at: Date }>({
          name: 'bench_baseline_transfer',
          text: `INSERT INTO ${baselineTransfers} (idempotency_key, currency, fingerprint, state) VALUES ($1, 'usd', 'none', 'posted')
                 RETURNING transfer_id, created_at`,
          values: [`${tag}:${writer}:${n}`],
        });
        const { transfer_id: id, created_at: at } = rows[0]!;
        await client.query({
          name: 'bench_baseline_postings',
          text: `INSERT INTO ${baselinePostings} (transfer_id, account_key, direction, amount_minor, created_at)
                 VALUES ($1, $2, 'debit', $4, $5), ($1, $3, 'credit', $4, $5)`,
          values: [id, from, to, amountMinor, at],
        });
      },
      { onRetry },
    );
  };
}

function ledgerOp(db: Db, accounts: string[], tag: string) {
  return (writer: number, n: number, onRetry: OnRetry) => {
    const { from, to, amountMinor } = randomTransfer(accounts);
    return postTransfer(
      db,
      {
        idempotencyKey: `${tag}:${writer}:${n}`,
        currency: 'usd',
        postings: [
          { accountKey: from, direction: 'debit', amountMinor },
          { accountKey: to, direction: 'credit', amountMinor },
        ],
      },
      { onRetry, attemptsMax: 50 },
    );
  };
}

async function cleanUp(db: Db): Promise<void> {
  await db.query(`DROP TABLE IF EXISTS ${baselinePostings}, ${baselineTransfers}`);
  // The bench's transfers touch only its own accounts, so removing them all keeps every invariant.
  await transaction(db, async (client) => {
    const like = `${run.replace(/[\\%_]/g, '\\$&')}:%`;
    await client.query('DELETE FROM ledger_postings WHERE transfer_id IN (SELECT transfer_id FROM ledger_transfers WHERE idempotency_key LIKE $1)', [like]);
    await client.query('DELETE FROM ledger_transfers WHERE idempotency_key LIKE $1', [like]);
    await client.query('DELETE FROM ledger_accounts WHERE account_key LIKE $1', [like]);
  });
}

type Op = Parameters<typeof phase>[1];

/** Runs two ledger operations in alternating phases, each phase with keys of its own (`tag`). */
async function alternate(a: (tag: string) => Op, b: (tag: string) => Op): Promise<[PhaseResult, PhaseResult]> {
  const [as, bs] = await alternatePhases(
    plan,
    (durationMs, tag) => phase(durationMs, a(tag)),
    (durationMs, tag) => phase(durationMs, b(tag)),
  );
  return [merge(as), merge(bs)];
}

const feeOp = (db: Db, pots: string[], to: (pool: number) => string, tag: string) => (writer: number, n: number, onRetry: OnRetry) => {
  const pool = Math.floor(Math.random() * pots.length);
  return postTransfer(
    db,
    {
      idempotencyKey: `${tag}:${writer}:${n}`,
      currency: 'usd',
      postings: [
        { accountKey: pots[pool]!, direction: 'debit', amountMinor: 7n },
        { accountKey: to(pool), direction: 'credit', amountMinor: 7n },
      ],
    },
    { onRetry, attemptsMax: 50 },
  );
};

/** Platform fees of many pools' rounds: all into one platform account, or each into its pool's own. */
async function compareFeeAccounts(db: Db): Promise<void> {
  const pots = await createAccounts(db, `${run}:fees:pot`, FEE_POOLS);
  const own = await createAccounts(db, `${run}:fees:own`, FEE_POOLS);
  const [shared] = await createAccounts(db, `${run}:fees:platform`, 1);
  const [s, o] = await alternate(
    (tag) => feeOp(db, pots, () => shared!, `${run}:fees:s:${tag}`),
    (tag) => feeOp(db, pots, (pool) => own[pool]!, `${run}:fees:o:${tag}`),
  );
  console.log(
    `platform fees of ${FEE_POOLS} pools: one shared account ${perSecond(s).toFixed(0)} tx/s (${s.retries} retries), ` +
      `per-pool accounts ${perSecond(o).toFixed(0)} tx/s (${o.retries} retries): per-pool/shared ${((perSecond(o) / perSecond(s)) * 100).toFixed(0)}%`,
  );
}

/** A round's contributions into one pot: one transfer each, or batches of CONTRIBUTIONS_PER_BATCH. */
async function compareBatches(db: Db): Promise<void> {
  const members = await createAccounts(db, `${run}:round:member`, WRITERS * CONTRIBUTIONS_PER_BATCH);
  const [pot] = await createAccounts(db, `${run}:round:pot`, 1);
  const contribution = (tag: string, member: string) => ({
    idempotencyKey: tag,
    currency: 'usd',
    postings: [
      { accountKey: member, direction: 'debit' as const, amountMinor: 25n },
      { accountKey: pot!, direction: 'credit' as const, amountMinor: 25n },
    ],
  });
  const single = (tag: string) => (writer: number, n: number, onRetry: OnRetry) =>
    postTransfer(db, contribution(`${run}:round:s:${tag}:${writer}:${n}`, members[(writer * CONTRIBUTIONS_PER_BATCH + n) % members.length]!), {
      onRetry,
      attemptsMax: 50,
    });
  const batched = (tag: string) => (writer: number, n: number, onRetry: OnRetry) =>
    postTransfers(
      db,
      Array.from({ length: CONTRIBUTIONS_PER_BATCH }, (_, i) =>
        contribution(`${run}:round:b:${tag}:${writer}:${n}:${i}`, members[writer * CONTRIBUTIONS_PER_BATCH + i]!),
      ),
      { onRetry, attemptsMax: 50 },
    );
  const [s, b] = await alternate(single, batched);
  const contributionsPerSecond = (r: PhaseResult, per: number) => (r.transfers * per * 1000) / r.elapsedMs;
  const [singleRate, batchRate] = [contributionsPerSecond(s, 1), contributionsPerSecond(b, CONTRIBUTIONS_PER_BATCH)];
  console.log(
    `contributions into one pot: single transfers ${singleRate.toFixed(0)}/s (${s.retries} retries), ` +
      `batches of ${CONTRIBUTIONS_PER_BATCH} ${batchRate.toFixed(0)}/s (${b.retries} retries): batch/single ${((batchRate / singleRate) * 100).toFixed(0)}%`,
  );
}

async function main(): Promise<void> {
  const url = databaseUrl();
  const db = createDbPool(url, { connectionsMax: WRITERS, applicationName: 'poolflow-bench-ledger' });
  const { rows } = await db.query<{ version: string }>('SELECT version() AS version');
  console.log(`ledger benchmark: ${WRITERS} writers, ${plan.rounds} x ${plan.phaseMs} ms per phase, at ${new URL(url).host}${new URL(url).pathname}`);
  console.log(rows[0]!.version);
  try {
    await createBaselineTables(db);
    const scenarios = [
      { name: 'low', accounts: await createAccounts(db, `${run}:low`, LOW_CONTENTION_ACCOUNTS) },
      { name: 'high', accounts: await createAccounts(db, `${run}:high`, HIGH_CONTENTION_ACCOUNTS) },
    ];
    const lines: string[] = [];
    let lowRatio = 0;
    for (const { name, accounts } of scenarios) {
      const [b, l] = await alternate(
        (tag) => baselineOp(db, accounts, `${run}:${name}:${tag}`),
        (tag) => ledgerOp(db, accounts, `${run}:${name}:${tag}`),
      );
      const ratio = perSecond(l) / perSecond(b);
      if (name === 'low') lowRatio = ratio;
      lines.push(
        [
          name.padEnd(10),
          String(accounts.length).padStart(8),
          perSecond(b).toFixed(0).padStart(13),
          perSecond(l).toFixed(0).padStart(11),
          `${(ratio * 100).toFixed(0)}%`.padStart(15),
          String(b.retries).padStart(16),
          `${l.retries} (${l.deadlocks} deadlocks)`.padStart(22),
          `${percentileMs(b, 50)}/${percentileMs(b, 99)}`.padStart(20),
          `${percentileMs(l, 50)}/${percentileMs(l, 99)}`.padStart(18),
        ].join(' '),
      );
    }
    console.log('contention accounts baseline tx/s ledger tx/s ledger/baseline baseline retries         ledger retries baseline p50/p99 ms ledger p50/p99 ms');
    for (const line of lines) console.log(line);
    const verdict = lowRatio >= TARGET_LOW_CONTENTION_RATIO ? 'met' : 'MISSED';
    console.log(`target: ledger >= ${TARGET_LOW_CONTENTION_RATIO * 100}% of baseline at low contention: ${verdict}`);
    await compareFeeAccounts(db);
    await compareBatches(db);
  } finally {
    await cleanUp(db);
    await db.end();
  }
}

await main();
