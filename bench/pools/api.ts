// HTTP API throughput and latency against baselines measured in the same run, all on loopback: the
// cached GET /v1/pools/{poolId} across BENCH_READ_POOLS pools (not one hot pool) against a bare Hono
// route serving the same pools' JSON from memory, and pause/resume through the API against the very
// same Temporal updates sent with the client directly.
// Run: set -a; . .data/test.env; set +a; npx tsx bench/pools/api.ts   (see bench/README.md)
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { ScheduleNotFoundError } from '@temporalio/client';
import { Hono } from 'hono';
import { mintToken } from '../../api/auth';
import { WRITE_LIMIT } from '../../api/rate-limit';
import type { PoolView } from '../../domain/pools/pool-view';
import { createLogger } from '../../observability/log';
import { workflowIds } from '../../temporal-config/workflow-ids';
import { TEST_AUTH, testApiDeps, testApp } from '../../test/support/api';
import { startDevPoolHarness, type DevPoolHarness } from '../../test/support/dev-pool-harness';
import { executePoolUpdate } from '../../api/pools/pool-commands';
import { pausePoolUpdate, resumePoolUpdate } from '../../workflows/pools/pool';
import { poolCacheKey } from '../../cache/keys';
import { alternatePhases, phasePlan } from '../phases';
import { benchSetting } from '../settings';
import { inBatches, sleep } from '../support';

/** Phases of 4 s (BENCH_PHASE_MS), alternating baseline and API, after 1.5 s of warm-up of each. */
const plan = phasePlan(4_000, 1_500);
/** Open connections of the GET load generator (autocannon, in a worker thread of its own). */
const GET_CONNECTIONS = benchSetting('BENCH_CONNECTIONS', 32);
/** Pools driven at once by the pause/resume loops, each loop one request after another. */
const COMMAND_POOLS = benchSetting('BENCH_COMMAND_POOLS', 4);
/** Pools the GETs rotate through, each request the next pool: reads spread over many pools, not one hot one. */
const READ_POOLS = benchSetting('BENCH_READ_POOLS', 1_000);
/** Pools created at once while setting up the read pools. */
const CREATE_CONCURRENCY = 16;
/** Read pools one manager creates: a fifth under the API's own per-subject write limit, so that it never refuses one. */
const POOLS_PER_CREATOR = Math.floor(WRITE_LIMIT.requestsMax * 0.8);
/** Distinct ops subjects the requests rotate through, so the per-subject rate limits count but never refuse. */
const READ_SUBJECTS = 1_000;
const WRITE_SUBJECTS = 200;
const TARGET_CACHED_GET_RATIO = 0.5;
/** Set-up and command requests answered 503 or 429, or whose connection dropped, are sent again this many times at most. */
const REQUEST_RESENDS_MAX = 5;
/** How long a read pool may take to be open, projected and cached after it was created. */
const OPEN_WAIT_MAX_MS = 30_000;

interface AutocannonResult {
  requests: { total: number };
  latency: { p50: number; p99: number };
  duration: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  workers?: number;
  requests?: Array<{ method: string; path: string; headers: Record<string, string> }>;
}) => Promise<AutocannonResult>;
// autocannon ships no types; this is the part of its API the bench uses.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

interface Measured {
  requests: number;
  elapsedMs: number;
  latenciesMs: number[];
  p50Ms: number;
  p99Ms: number;
}

function requireStackEnv(): void {
  const missing = ['DATABASE_URL', 'REDIS_URL', 'TEMPORAL_ADDRESS', 'STRIPE_API_URL', 'STRIPE_MOCK_URL'].filter((name) => !process.env[name]);
  if (missing.length > 0) {
    console.error(
      `missing ${missing.join(', ')}: start the test stack (\`npm run stack -- test\`), then run\n  set -a; . .data/test.env; set +a; npx tsx bench/pools/api.ts`,
    );
    process.exit(78);
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

function listen(fetch: (request: Request) => Response | Promise<Response>): Promise<{ server: ServerType; url: string }> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve({ server, url: `http://127.0.0.1:${info.port}` }));
  });
}

/** GETs of `paths` in turn (each connection walks the whole list), each with the next token. */
async function load(url: string, paths: string[], tokens: string[], durationMs: number): Promise<Measured> {
  const count = Math.max(paths.length, tokens.length);
  const result = await autocannon({
    url,
    connections: GET_CONNECTIONS,
    duration: durationMs / 1000,
    workers: 1,
    requests: Array.from({ length: count }, (_, i) => ({
      method: 'GET',
      path: paths[i % paths.length]!,
      headers: { authorization: `Bearer ${tokens[i % tokens.length]!}` },
    })),
  });
  const failures = result.non2xx + result.errors + result.timeouts;
  if (failures > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts: the figures would not mean anything`);
  return { requests: result.requests.total, elapsedMs: result.duration * 1000, latenciesMs: [], p50Ms: result.latency.p50, p99Ms: result.latency.p99 };
}

/** One sequential loop per pool, pausing then resuming it, until `durationMs` has passed. */
async function commandLoops(poolIds: string[], durationMs: number, pauseThenResume: (poolId: string, n: number) => Promise<void>): Promise<Measured> {
  const latenciesMs: number[] = [];
  const started = performance.now();
  const deadline = started + durationMs;
  let n = 0;
  await Promise.all(
    poolIds.map(async (poolId) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await pauseThenResume(poolId, n++);
        latenciesMs.push((performance.now() - t0) / 2);
      }
    }),
  );
  const sorted = latenciesMs.sort((a, b) => a - b);
  return {
    requests: latenciesMs.length * 2,
    elapsedMs: performance.now() - started,
    latenciesMs: sorted,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
  };
}

function merge(results: Measured[]): Measured {
  if (results.every((r) => r.latenciesMs.length === 0)) {
    // autocannon reports percentiles per phase; the merged figure is the median phase's.
    const byP50 = [...results].sort((a, b) => a.p50Ms - b.p50Ms);
    const middle = byP50[Math.floor(byP50.length / 2)]!;
    return {
      requests: sum(results, 'requests'),
      elapsedMs: sum(results, 'elapsedMs'),
      latenciesMs: [],
      p50Ms: middle.p50Ms,
      p99Ms: Math.max(...results.map((r) => r.p99Ms)),
    };
  }
  const sorted = results.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  return {
    requests: sum(results, 'requests'),
    elapsedMs: sum(results, 'elapsedMs'),
    latenciesMs: sorted,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
  };
}
const sum = (results: Measured[], key: 'requests' | 'elapsedMs') => results.reduce((total, r) => total + r[key], 0);
const perSecond = (m: Measured) => (m.requests / m.elapsedMs) * 1000;

async function main(): Promise<void> {
  requireStackEnv();
  const startedAt = performance.now();
  const harness: DevPoolHarness = await startDevPoolHarness();
  const servers: ServerType[] = [];
  const poolIds: string[] = [];
  const readPoolIds: string[] = [];
  try {
    // The request log line is built as in production but not written: a terminal would be what is measured.
    const log = createLogger('api', {}, { destination: { write: () => {} } });
    const redisKeyPrefix = harness.redis.options.keyPrefix ?? '';
    const app = testApp({
      ...testApiDeps({
        temporal: harness.client,
        db: harness.db,
        redis: harness.redis,
        stripe: harness.kit.stripe,
        poolsTaskQueue: harness.taskQueue,
        redisKeyPrefix,
      }),
      log,
    });
    const api = await listen(app.fetch);
    servers.push(api.server);

    const token = (sub: string, role: 'manager' | 'member' | 'ops') =>
      mintToken({ sub, role, secret: TEST_AUTH.JWT_SECRET, issuer: TEST_AUTH.JWT_ISSUER, audience: TEST_AUTH.JWT_AUDIENCE });
    const manager = `bench-manager-${harness.taskQueue}`;
    const managerToken = await token(manager, 'manager');
    // As a client would: a 503 or 429 (a loaded dev server, a rate limit) or a dropped connection is sent
    // again (after its Retry-After), under the same Idempotency-Key, a few times.
    const call = async (method: string, path: string, body?: unknown, bearer = managerToken, key?: string) => {
      const idempotencyKey = method === 'POST' ? (key ?? `bench-${randomUUID()}`) : undefined;
      for (let resends = 0; ; resends++) {
        const sent = await fetch(`${api.url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${bearer}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        }).then(
          (response) => response,
          // A kept-alive connection the server closed meanwhile (a slow create): the key makes resending safe.
          (error: unknown) => {
            if (resends >= REQUEST_RESENDS_MAX) throw error;
            return null;
          },
        );
        if (!sent) continue;
        const response = sent;
        const text = await response.text();
        if ((response.status === 503 || response.status === 429) && resends < REQUEST_RESENDS_MAX) {
          await sleep(Number(response.headers.get('retry-after') ?? 1) * 1_000);
          continue;
        }
        if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
        return JSON.parse(text) as unknown;
      }
    };

    // Pools made through the API itself, with members who can pay and be paid, activated (weekly rounds:
    // none falls due while the bench runs).
    const members = await Promise.all([harness.member(), harness.member()]);
    const memberTokens = await Promise.all(members.map((memberId) => token(memberId, 'member')));
    for (let i = 0; i < COMMAND_POOLS; i++) {
      const view = (await call('POST', '/v1/pools', {
        kind: 'rotating',
        name: `Bench pool ${i + 1}`,
        currency: 'usd',
        cadence: { type: 'interval', every: 1, unit: 'weeks' },
        membersMin: 2,
        membersMax: 2,
        contributionMinor: '10000',
      })) as PoolView;
      poolIds.push(view.poolId);
      // Each member accepts for themselves, agreeing to be charged.
      for (const memberToken of memberTokens) await call('POST', `/v1/pools/${view.poolId}/members`, { agreeToCharges: true }, memberToken);
      await call('POST', `/v1/pools/${view.poolId}/activate`);
    }
    // The read pools: created through the API (each a pool workflow and its projection), left open, by
    // managers of POOLS_PER_CREATOR pools each, so that the per-subject write limit never refuses.
    const creators = await Promise.all(Array.from({ length: Math.ceil(READ_POOLS / POOLS_PER_CREATOR) }, (_, i) => token(`${manager}-reads-${i}`, 'manager')));
    const createReadPool = async (i: number) => {
      const created = (await call(
        'POST',
        '/v1/pools',
        {
          kind: 'rotating',
          name: `Bench read pool ${i + 1}`,
          currency: 'usd',
          cadence: { type: 'interval', every: 1, unit: 'weeks' },
          membersMin: 2,
          membersMax: 2,
          contributionMinor: '10000',
        },
        creators[Math.floor(i / POOLS_PER_CREATOR)],
      )) as PoolView;
      readPoolIds.push(created.poolId);
    };
    await inBatches(
      Array.from({ length: READ_POOLS }, (_, i) => i),
      CREATE_CONCURRENCY,
      createReadPool,
    );
    const readPaths = readPoolIds.map((id) => `/v1/pools/${id}`);
    const readTokens = await Promise.all(Array.from({ length: READ_SUBJECTS }, (_, i) => token(`bench-ops-r${i}`, 'ops')));
    const views = new Map<string, PoolView>();
    for (const [i, id] of readPoolIds.entries()) {
      // A pool answered 202 (its workflow was slow to open it) is projected a little later; a change drops
      // the cached view, and the first read after it fills the cache again.
      for (const deadline = Date.now() + OPEN_WAIT_MAX_MS; ; await sleep(100)) {
        // Until it is projected the pool reads as a 404, which `call` throws.
        const view = (await call('GET', `/v1/pools/${id}`, undefined, readTokens[i % readTokens.length]).catch(() => null)) as PoolView | null;
        if (view?.status === 'open' && (await harness.redis.get(poolCacheKey(id)))) {
          views.set(id, view);
          break;
        }
        if (Date.now() > deadline) throw new Error(`pool ${id} is not open and cached after ${OPEN_WAIT_MAX_MS} ms (status ${view?.status ?? 'unknown'})`);
      }
    }

    // The baseline: a bare Hono route serving the same views from memory, so answers have the same size.
    const bare = new Hono();
    bare.get('/bare/:poolId', (c) => c.json(views.get(c.req.param('poolId'))));
    const bareServer = await listen(bare.fetch);
    servers.push(bareServer.server);
    const barePaths = readPoolIds.map((id) => `/bare/${id}`);

    const writeTokens = await Promise.all(Array.from({ length: WRITE_SUBJECTS }, (_, i) => token(`bench-ops-w${i}`, 'ops')));
    console.log(
      `API benchmark: ${GET_CONNECTIONS} connections (autocannon, 1 worker thread) for the GETs across ${READ_POOLS} pools, ${COMMAND_POOLS} pools paused and resumed one request after another; ` +
        `${plan.rounds} x ${plan.phaseMs} ms per phase, alternating; set-up took ${Math.round(performance.now() - startedAt)} ms`,
    );

    // Each token is verified once before measuring, as a client's token is after its first request.
    for (let i = 0; i < readTokens.length; i += 10)
      await Promise.all(readTokens.slice(i, i + 10).map((t, j) => call('GET', readPaths[(i + j) % readPaths.length]!, undefined, t)));
    const [bareRuns, cachedRuns] = await alternatePhases(
      plan,
      (durationMs) => load(bareServer.url, barePaths, readTokens, durationMs),
      (durationMs) => load(api.url, readPaths, readTokens, durationMs),
    );

    let writes = 0;
    const viaApi = async (poolId: string) => {
      const bearer = writeTokens[writes++ % writeTokens.length]!;
      await call('POST', `/v1/pools/${poolId}/pause`, { reason: 'bench' }, bearer);
      await call('POST', `/v1/pools/${poolId}/resume`, undefined, bearer);
    };
    const direct = async (poolId: string) => {
      const handle = harness.client.workflow.getHandle(workflowIds.pool(poolId));
      // Sent as every client sends pool commands: again while the pool hands over to its next run.
      await executePoolUpdate(handle, pausePoolUpdate, { args: [{ reason: 'bench' }], updateId: `bench-${randomUUID()}` });
      await executePoolUpdate(handle, resumePoolUpdate, { args: [], updateId: `bench-${randomUUID()}` });
    };
    const [directRuns, apiCommandRuns] = await alternatePhases(
      plan,
      (durationMs) => commandLoops(poolIds, durationMs, direct),
      (durationMs) => commandLoops(poolIds, durationMs, viaApi),
    );

    const rows = [
      { name: 'bare Hono GET /bare/{poolId} (baseline)', m: merge(bareRuns), base: undefined as Measured | undefined },
      { name: 'GET /v1/pools/{poolId} (cached)', m: merge(cachedRuns), base: merge(bareRuns) },
      { name: 'pause/resume, Temporal client (baseline)', m: merge(directRuns), base: undefined },
      { name: 'POST /v1/pools/{poolId}/pause|resume', m: merge(apiCommandRuns), base: merge(directRuns) },
    ];
    console.log(`${'route'.padEnd(42)}${'req/s'.padStart(9)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'vs baseline'.padStart(13)}`);
    for (const { name, m, base } of rows) {
      const ratio = base ? `${Math.round((perSecond(m) / perSecond(base)) * 100)}%` : '';
      console.log(
        `${name.padEnd(42)}${perSecond(m).toFixed(0).padStart(9)}${m.p50Ms.toFixed(2).padStart(9)}${m.p99Ms.toFixed(2).padStart(9)}${ratio.padStart(13)}`,
      );
    }
    const ratio = perSecond(merge(cachedRuns)) / perSecond(merge(bareRuns));
    console.log(
      `target: cached GET >= ${TARGET_CACHED_GET_RATIO * 100}% of the bare route's throughput: ${ratio >= TARGET_CACHED_GET_RATIO ? 'met' : 'MISSED'} (${Math.round(ratio * 100)}%)`,
    );
    console.log(`total ${Math.round((performance.now() - startedAt) / 1000)} s`);
  } finally {
    for (const server of servers) server.close();
    const finish = async (poolId: string) => {
      await harness.client.workflow
        .getHandle(workflowIds.pool(poolId))
        .terminate('bench finished')
        .catch(() => {});
      await harness.client.schedule
        .getHandle(workflowIds.poolSchedule(poolId))
        .delete()
        .catch((error: unknown) => {
          if (!(error instanceof ScheduleNotFoundError)) throw error;
        });
    };
    await inBatches([...poolIds, ...readPoolIds], CREATE_CONCURRENCY, finish);
    await harness.close();
  }
}

await main();
