// Fuzzes the HTTP API in-process with fast-check: thousands of malformed requests on every route and
// method — bad JSON, wrong types, bad amounts, oversize bodies, injection strings, forged tokens, bad
// Idempotency-Keys, path and query params — each get a 4xx problem+json answer and change nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client, Connection } from '@temporalio/client';
import fc from 'fast-check';
import type { Hono } from 'hono';
import { base64url, SignJWT } from 'jose';
import type { AppEnv } from '../api/context';
import type { ApiDeps } from '../api/deps';
import { mintToken, type Role } from '../api/auth';
import type { Redis } from '../cache/redis';
import type { Db } from '../db/pool';
import { poolConfigSchema } from '../domain/pools/pool-config';
import type { PoolStatus } from '../domain/pools/pool-lifecycle';
import type { PoolView } from '../domain/pools/pool-view';
import { createLogger } from '../observability/log';
import { createStripe } from '../payments/stripe-client';
import { createSandboxClient } from '../tools/stripe-sandbox/client';
import { TEST_AUTH, TEST_WEBHOOK_SECRET, testApiDeps, testApp, tokenFor } from './support/api';
import { devServerClient, testConfig, testDb, testRedis, uniqueId } from './support/env';
import { eventually, sleep } from './support/eventually';
import {
  addKey,
  badJson,
  encode,
  type Entries,
  headerSafe,
  injection,
  invalidAmount,
  invalidEnum,
  invalidPoolConfig,
  mutated,
  type Mutation,
  NOT_JSON_TYPES,
  notAnObject,
  notAString,
  Obj,
  remove,
  ROTATING,
  setTo,
  tooLong,
  unknownKey,
  validConfigText,
  wrongType,
} from './support/fuzz-generators';
import { poolCacheKey } from '../cache/keys';

/** fast-check runs per property; together well over 2,000 requests. */
const RUNS = {
  auth: 300,
  createPool: 450,
  members: 300,
  poolScoped: 400,
  pathParams: 250,
  queryParams: 150,
  idempotencyKey: 150,
  oversize: 40,
  methods: 150,
  unknownRoutes: 100,
  webhook: 100,
  refused: 200,
};
const REQUESTS_MIN = 2_000;
/** A request that reaches a workflow never gets an answer here (no worker runs): fail it instead of hanging. */
const REQUEST_TIMEOUT_MS = 15_000;
const API_BODY_BYTES_MAX = 64 * 1024;
const WEBHOOK_BODY_BYTES_MAX = 256 * 1024;
/** Sent to fast-check so a failure can be replayed with FUZZ_SEED=<seed>. */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

// ---------------------------------------------------------------------------------------------------
// Tokens that must all be refused
// ---------------------------------------------------------------------------------------------------

const FORGERIES = [
  'missing',
  'empty',
  'scheme-only',
  'basic',
  'lowercase-scheme',
  'garbage',
  'wrong-secret',
  'expired',
  'not-yet-valid',
  'too-old',
  'none-alg',
  'none-alg-signed',
  'hs512',
  'rs256-header',
  'wrong-issuer',
  'wrong-audience',
  'no-exp',
  'no-iat',
  'no-sub',
  'bad-sub',
  'bad-role',
  'no-role',
  'tampered',
  'two-tokens',
  'huge',
] as const;
type Forgery = (typeof FORGERIES)[number];

const secretKey = new TextEncoder().encode(TEST_AUTH.JWT_SECRET);
const nowSeconds = () => Math.floor(Date.now() / 1000);

function jwt(
  claims: Record<string, unknown>,
  options: { alg?: string; secret?: Uint8Array; iat?: number | null; exp?: number | null; iss?: string; aud?: string; nbf?: number } = {},
) {
  const token = new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' })
    .setIssuer(options.iss ?? TEST_AUTH.JWT_ISSUER)
    .setAudience(options.aud ?? TEST_AUTH.JWT_AUDIENCE);
  if (options.iat !== null) token.setIssuedAt(options.iat ?? nowSeconds());
  if (options.exp !== null) token.setExpirationTime(options.exp ?? nowSeconds() + 600);
  if (options.nbf !== undefined) token.setNotBefore(options.nbf);
  return token.sign(options.secret ?? secretKey);
}

async function forgedAuthorization(forgery: Forgery, sub: string, garbage: string): Promise<string | undefined> {
  const claims = { sub, role: 'manager' };
  const b64 = (value: unknown) => base64url.encode(JSON.stringify(value));
  switch (forgery) {
    case 'missing':
      return undefined;
    case 'empty':
      return '';
    case 'scheme-only':
      return 'Bearer';
    case 'basic':
      return `Basic ${Buffer.from('admin:admin').toString('base64')}`;
    case 'lowercase-scheme':
      return `bearer ${await tokenFor(sub, 'manager')}`;
    case 'garbage':
      return `Bearer ${garbage}`;
    case 'wrong-secret':
      return `Bearer ${await jwt(claims, { secret: new TextEncoder().encode('another-secret-that-is-long-enough-for-hs256') })}`;
    case 'expired':
      return `Bearer ${await jwt(claims, { iat: nowSeconds() - 7_200, exp: nowSeconds() - 3_600 })}`;
    case 'not-yet-valid':
      return `Bearer ${await jwt(claims, { nbf: nowSeconds() + 3_600, exp: nowSeconds() + 7_200 })}`;
    case 'too-old':
      return `Bearer ${await jwt(claims, { iat: nowSeconds() - 25 * 3_600 })}`;
    case 'none-alg':
      return `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, iss: TEST_AUTH.JWT_ISSUER, aud: TEST_AUTH.JWT_AUDIENCE, iat: nowSeconds(), exp: nowSeconds() + 600 })}.`;
    case 'none-alg-signed':
      return `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, iss: TEST_AUTH.JWT_ISSUER, aud: TEST_AUTH.JWT_AUDIENCE, iat: nowSeconds(), exp: nowSeconds() + 600 })}.AAAA`;
    case 'hs512':
      return `Bearer ${await jwt(claims, { alg: 'HS512' })}`;
    case 'rs256-header': {
      const [, payload, signature] = (await jwt(claims)).split('.');
      return `Bearer ${b64({ alg: 'RS256', typ: 'JWT' })}.${payload}.${signature}`;
    }
    case 'wrong-issuer':
      return `Bearer ${await jwt(claims, { iss: 'someone-else' })}`;
    case 'wrong-audience':
      return `Bearer ${await jwt(claims, { aud: 'another-api' })}`;
    case 'no-exp':
      return `Bearer ${await jwt(claims, { exp: null })}`;
    case 'no-iat':
      return `Bearer ${await jwt(claims, { iat: null })}`;
    case 'no-sub':
      return `Bearer ${await jwt({ role: 'manager' })}`;
    case 'bad-sub':
      return `Bearer ${await jwt({ sub: garbage.includes('/') ? garbage : `../${garbage}`, role: 'manager' })}`;
    case 'bad-role':
      return `Bearer ${await jwt({ sub, role: 'admin' })}`;
    case 'no-role':
      return `Bearer ${await jwt({ sub })}`;
    case 'tampered': {
      const [header, payload, signature] = (await tokenFor(sub, 'member')).split('.');
      const claimsSeen = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
      return `Bearer ${header}.${b64({ ...claimsSeen, role: 'ops' })}.${signature}`;
    }
    case 'two-tokens': {
      const token = await tokenFor(sub, 'manager');
      return `Bearer ${token} ${token}`;
    }
    case 'huge':
      return `Bearer ${'a'.repeat(20_000)}.b.c`;
  }
}

// ---------------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------------

interface FuzzRequest {
  method: string;
  /** `{pool}` is replaced by the seeded pool's ID, or by an ID no pool has. */
  path: string;
  body?: string;
  /** undefined: application/json when there is a body; null: no Content-Type. */
  contentType?: string | null;
  /** Sent as Content-Length as well (fetch's Request does not set it by itself). */
  contentLength?: boolean;
  auth?: { role: Role } | { forgery: Forgery; garbage: string } | { none: true };
  /** undefined: a fresh valid key; null: none. */
  idempotencyKey?: string | null;
  headers?: Record<string, string>;
  /** Seeds a pool view in the cache (no workflow behind it) and relates the caller to it. */
  pool?: { status: PoolStatus; relation: 'manager' | 'member' | 'none' };
  expect: number[];
  note?: string;
}

// The pool roles (traders have no pools; the assessment tests fuzz their routes).
const ROLE = fc.constantFrom<Exclude<Role, 'trader'>>('manager', 'member', 'ops');
const POOL_STATUSES: PoolStatus[] = ['draft', 'open', 'active', 'paused', 'completed', 'cancelled'];

describe('API fuzzing: malformed requests get 4xx problem+json and change nothing', { concurrency: false }, () => {
  const run = `fz${uniqueId('').slice(1).replace(/-/g, '')}`;
  const taskQueue = uniqueId('fuzz-pools');
  const stripeSecretKey = `sk_test_${run}`;
  const sandbox = createSandboxClient(testConfig.stripeApiUrl);
  let client: Client;
  let connection: Connection;
  let db: Db;
  let redis: Redis;
  let deps: ApiDeps;
  let app: Hono<AppEnv>;
  const loggedErrors: string[] = [];
  let sent = 0;
  let counter = 0;

  /** Fails the test on anything the app logs as an unhandled error. */
  const collectingLogger = createLogger('api', {}, { level: 'error', destination: { write: (line: string) => void loggedErrors.push(line) } });

  before(async () => {
    ({ client, connection } = await devServerClient());
    db = testDb();
    redis = testRedis(`${run}:`);
    // The client refuses commands until connected (no offline queue); the write limit would fail closed.
    await eventually('Redis to connect', async () => ((await redis.ping()) === 'PONG' ? true : undefined));
    const stripe = createStripe({ STRIPE_SECRET_KEY: stripeSecretKey, STRIPE_API_URL: testConfig.stripeApiUrl, STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET });
    deps = { ...testApiDeps({ temporal: client, db, redis, stripe, poolsTaskQueue: taskQueue, redisKeyPrefix: `${run}:` }), log: collectingLogger };
    app = testApp(deps);
    assert.deepEqual(await footprint(), NOTHING, 'the run starts from nothing');
  });

  after(async () => {
    await connection.close();
    await db.end();
    redis.disconnect();
  });

  /** Pools seeded as projections (database and cache) with no workflow behind them. */
  const seededPools: string[] = [];

  /** Writes a view as the pool workflow's projection would: the database decides access, the cache serves reads. */
  async function seedPool(view: PoolView): Promise<void> {
    seededPools.push(view.poolId);
    await db.query(`INSERT INTO pools (pool_id, manager_id, name, kind, currency, status, view, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
      view.poolId,
      view.managerId,
      view.config.name,
      view.config.kind,
      view.config.currency,
      view.status,
      JSON.stringify(view),
      view.version,
    ]);
    for (const m of view.members) {
      await db.query('INSERT INTO pool_members (pool_id, member_id, status, join_seq) VALUES ($1, $2, $3, $4)', [view.poolId, m.memberId, m.status, m.joinSeq]);
    }
    await redis.set(poolCacheKey(view.poolId), JSON.stringify(view), 'EX', 300);
  }

  const visibilityMarkerId = `${run}-visibility-marker`;
  const NOTHING = { workflows: 0, pools: 0, poolMembers: 0, members: 0, webhookEvents: 0, stripeObjects: 0, stripeRequests: 0 };

  /** Everything the run's subjects, task queue and Stripe key could have caused. */
  async function footprint() {
    const count = async (sql: string, params: unknown[] = [run]) => Number((await db.query<{ n: string }>(sql, params)).rows[0]!.n);
    return {
      // The visibility marker is the test's own instrument, not a footprint of the requests.
      workflows: (await client.workflow.count(`TaskQueue = '${taskQueue}' AND WorkflowId != '${visibilityMarkerId}'`)).count,
      // The projections the run seeded itself are not its footprint.
      pools: await count('SELECT count(*) AS n FROM pools WHERE (starts_with(manager_id, $1) OR starts_with(pool_id, $1)) AND NOT pool_id = ANY($2)', [
        run,
        seededPools,
      ]),
      poolMembers: await count(
        'SELECT count(*) AS n FROM pool_members WHERE (starts_with(member_id, $1) OR starts_with(pool_id, $1)) AND NOT pool_id = ANY($2)',
        [run, seededPools],
      ),
      members: await count('SELECT count(*) AS n FROM members WHERE starts_with(member_id, $1)'),
      webhookEvents: await count('SELECT count(*) AS n FROM stripe_webhook_events WHERE starts_with(event_id, $1)'),
      stripeObjects: (await sandbox.objects({ secretKey: stripeSecretKey })).length,
      stripeRequests: (await sandbox.requests({ secretKey: stripeSecretKey })).length,
    };
  }

  function seededView(poolId: string, status: PoolStatus, managerId: string, memberIds: string[]): PoolView {
    return {
      poolId,
      managerId,
      config: poolConfigSchema.parse(JSON.parse(encode(new Obj(ROTATING)))),
      status,
      members: memberIds.map((memberId, i) => ({
        memberId,
        status: 'active',
        joinSeq: i + 1,
        commitmentMinor: null,
        paidInMinor: '0',
        arrearsMinor: '0',
        received: false,
        replacedMemberId: null,
      })),
      payoutOrder: null,
      roundsCompleted: 0,
      roundsPlanned: 5,
      roundInProgress: null,
      bidding: null,
      potMinor: '0',
      recentRounds: [],
      version: 1,
    };
  }

  async function send(request: FuzzRequest): Promise<void> {
    const n = ++counter;
    const subject = `${run}-s${n}`;
    const headers: Record<string, string> = { ...request.headers };
    const auth = request.auth ?? { role: 'manager' };
    if ('role' in auth) headers.authorization = `Bearer ${await tokenFor(subject, auth.role)}`;
    if ('forgery' in auth) {
      const value = await forgedAuthorization(auth.forgery, subject, auth.garbage);
      if (value !== undefined) headers.authorization = value;
    }
    if (request.idempotencyKey !== null) headers['idempotency-key'] = request.idempotencyKey ?? `${run}-key-${n}`;
    if (request.body !== undefined && request.contentType !== null) headers['content-type'] = request.contentType ?? 'application/json';
    if (request.body !== undefined && request.contentLength) headers['content-length'] = String(Buffer.byteLength(request.body.replaceAll('{run}', run)));

    let poolId = `${run}-nopool-${n}`;
    if (request.pool) {
      poolId = `${run}-pool-${n}`;
      const { status, relation } = request.pool;
      await seedPool(
        seededView(
          poolId,
          status,
          relation === 'manager' ? subject : `${run}-other-manager`,
          relation === 'member' ? [subject, `${run}-other-member`] : [`${run}-other-member`],
        ),
      );
    }
    const path = request.path.replaceAll('{pool}', poolId).replaceAll('{run}', run);
    const body = request.body?.replaceAll('{run}', run);
    const where = `${request.method} ${path.slice(0, 200)}${request.note ? ` (${request.note})` : ''}`;

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms to ${where}: it probably reached a workflow, and none runs here`)),
        REQUEST_TIMEOUT_MS,
      );
    });
    const errorsBefore = loggedErrors.length;
    let response: Response;
    try {
      response = await Promise.race([app.request(path, { method: request.method, headers, body }), timeout]);
    } finally {
      clearTimeout(timer);
    }
    sent++;
    const text = await response.text();
    const seen = `${where} answered ${response.status} ${text.slice(0, 300)}`;
    assert.ok(request.expect.includes(response.status), `expected ${request.expect.join(' or ')}: ${seen}`);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/, seen);
    const problem = JSON.parse(text) as { status?: unknown; title?: unknown };
    assert.equal(problem.status, response.status, seen);
    assert.equal(typeof problem.title, 'string', seen);
    assert.deepEqual(loggedErrors.slice(errorsBefore), [], seen);
  }

  const property = (arbitrary: fc.Arbitrary<FuzzRequest>, numRuns: number) =>
    fc.assert(
      fc.asyncProperty(arbitrary, (request) => send(request)),
      { numRuns, ...(SEED === undefined ? {} : { seed: SEED }) },
    );

  /** The authenticated routes the app registers, as (method, Hono path) pairs. */
  const v1Routes = () => {
    const seen = new Set<string>();
    return app.routes
      .filter((r) => r.method !== 'ALL' && r.path.startsWith('/v1/') && !r.path.startsWith('/v1/webhooks/'))
      .filter((r) => !seen.has(`${r.method} ${r.path}`) && seen.add(`${r.method} ${r.path}`))
      .map((r) => ({ method: r.method, path: r.path }));
  };
  const fill = (path: string, values: { poolId?: string; memberId?: string; round?: string } = {}) =>
    path
      .replace(':poolId', values.poolId ?? '{pool}')
      .replace(':memberId', values.memberId ?? 'someone')
      .replace(':round', values.round ?? '1');

  test('every authenticated route refuses a missing, malformed, expired or forged token with 401', async () => {
    const routes = v1Routes();
    assert.ok(routes.length >= 19, `the app registers ${routes.length} authenticated routes`);
    const arbitrary = fc
      .record({
        route: fc.constantFrom(...routes),
        forgery: fc.constantFrom(...FORGERIES),
        garbage: headerSafe(),
        idempotencyKey: fc.option(fc.constant('valid-key-12345'), { nil: null }),
      })
      .map(({ route, forgery, garbage, idempotencyKey }): FuzzRequest => ({
        method: route.method,
        path: fill(route.path),
        ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { body: '{}' }),
        auth: { forgery, garbage },
        idempotencyKey,
        expect: [401],
        note: forgery,
      }));
    await property(arbitrary, RUNS.auth);
  });

  test('a token accepted a moment ago is refused once it expires (verified tokens are remembered, never past exp)', async () => {
    const sub = `${run}-expiring`;
    const token = await mintToken({
      sub,
      role: 'manager',
      secret: TEST_AUTH.JWT_SECRET,
      issuer: TEST_AUTH.JWT_ISSUER,
      audience: TEST_AUTH.JWT_AUDIENCE,
      lifetimeSeconds: 2,
    });
    const expMs = (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000;
    const list = () => app.request('/v1/pools', { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await list()).status, 200);
    assert.equal((await list()).status, 200);
    await sleep(expMs - Date.now() + 50);
    const expired = await list();
    assert.equal(expired.status, 401);
    assert.match(expired.headers.get('content-type') ?? '', /^application\/problem\+json/);
  });

  test('creating a pool refuses bad JSON, wrong types, bad amounts, unknown fields and wrong media types', async () => {
    const invalid = invalidPoolConfig.map(({ body, mutations }): FuzzRequest => {
      // The generator's premise, checked before anything is sent: this body must be refused.
      assert.equal(poolConfigSchema.safeParse(JSON.parse(body)).success, false, `generated a valid config: ${body} (${mutations.join(', ')})`);
      return { method: 'POST', path: '/v1/pools', body, expect: [422], note: mutations.join('; ') };
    });
    const arbitrary = fc.oneof(
      { arbitrary: invalid, weight: 6 },
      { arbitrary: badJson.map((body): FuzzRequest => ({ method: 'POST', path: '/v1/pools', body, expect: [400], note: 'not JSON' })), weight: 2 },
      { arbitrary: notAnObject.map((body): FuzzRequest => ({ method: 'POST', path: '/v1/pools', body, expect: [400, 422], note: 'not a config' })), weight: 1 },
      {
        // A valid config with a media type that is not JSON (or none) must not be taken as JSON.
        arbitrary: fc
          .record({ body: validConfigText, contentType: fc.option(fc.constantFrom(...NOT_JSON_TYPES), { nil: null }) })
          .map(({ body, contentType }): FuzzRequest => ({
            method: 'POST',
            path: '/v1/pools',
            body,
            contentType,
            expect: [415],
            note: `content-type ${contentType}`,
          })),
        weight: 1,
      },
    );
    await property(arbitrary, RUNS.createPool);
  });

  test('member routes refuse bad profiles, payment methods and payout-account requests', async () => {
    const profile: Entries = [
      ['displayName', 'Ada Lovelace'],
      ['email', 'ada@example.com'],
    ];
    const invalidEmail = fc.oneof(
      fc.string({ maxLength: 40 }).filter((s) => !s.includes('@')),
      fc.constantFrom(
        '@',
        'a@',
        '@example.com',
        'a@@example.com',
        'a b@example.com',
        'a@exa mple.com',
        '<script>@x.com',
        'a@b',
        `${'a'.repeat(250)}@example.com`,
      ),
      injection.filter((s) => !s.includes('@')),
      notAString,
    );
    const profileMutations = fc.oneof(
      fc.oneof(fc.constantFrom('', '   ', '\t\n'), tooLong(120), notAString).map((v) => setTo('displayName', v)),
      invalidEmail.map((v) => setTo('email', v)),
      fc.constantFrom('displayName', 'email').map(remove),
      fc.tuple(unknownKey(['displayName', 'email']), fc.jsonValue({ maxDepth: 1 })).map(([k, v]) => addKey(k, v)),
    );
    const PM = /^pm_[A-Za-z0-9_]{1,200}$/;
    const paymentMethodMutations = fc.oneof(
      fc
        .oneof(
          fc.string().filter((s) => !PM.test(s)),
          fc.constantFrom('pm_', `pm_${'a'.repeat(201)}`, 'PM_card_visa', 'pm_card visa', 'pm_card-visa', 'tok_visa', 'pm_card_visa\n', 'card_visa'),
          injection,
          notAString,
        )
        .map((v) => setTo('paymentMethodId', v)),
      fc.constant(remove('paymentMethodId')),
      fc.tuple(unknownKey(['paymentMethodId']), fc.jsonValue({ maxDepth: 1 })).map(([k, v]) => addKey(k, v)),
    );
    const invalidUrl = fc.oneof(
      fc.constantFrom(
        'not a url',
        'javascript:alert(1)',
        'ftp://example.com/x',
        'file:///etc/passwd',
        'data:text/html,<b>x</b>',
        '//example.com',
        'http//x',
        '',
      ),
      injection,
      notAString,
    );
    const payoutMutations = fc.oneof(
      invalidUrl.map((v) => setTo('returnUrl', v)),
      invalidUrl.map((v) => setTo('refreshUrl', v)),
      fc.oneof(fc.constantFrom('us', 'USA', 'U1', '', ' US', 'US '), injection, notAString).map((v) => setTo('country', v)),
      fc.constantFrom('returnUrl', 'refreshUrl').map(remove),
      fc.tuple(unknownKey(['returnUrl', 'refreshUrl', 'country']), fc.jsonValue({ maxDepth: 1 })).map(([k, v]) => addKey(k, v)),
    );
    const memberRequest =
      (method: string, path: string) =>
      (m: { body: string; mutations: string[] }): FuzzRequest => ({
        method,
        path,
        body: m.body,
        auth: { role: 'member' },
        expect: [422],
        note: m.mutations.join('; '),
      });
    const anyMemberRoute = fc.constantFrom(['PUT', '/v1/members/me'], ['POST', '/v1/members/me/payment-methods'], ['POST', '/v1/members/me/payout-account']);
    const arbitrary = fc.oneof(
      mutated(profile, profileMutations).map(memberRequest('PUT', '/v1/members/me')),
      mutated([['paymentMethodId', 'pm_card_visa']], paymentMethodMutations).map(memberRequest('POST', '/v1/members/me/payment-methods')),
      mutated(
        [
          ['returnUrl', 'https://example.com/r'],
          ['refreshUrl', 'https://example.com/f'],
        ],
        payoutMutations,
      ).map(memberRequest('POST', '/v1/members/me/payout-account')),
      fc
        .tuple(anyMemberRoute, badJson)
        .map(([[method, path], body]): FuzzRequest => ({ method: method!, path: path!, body, auth: { role: 'member' }, expect: [400], note: 'not JSON' })),
      fc.tuple(anyMemberRoute, notAnObject).map(([[method, path], body]): FuzzRequest => ({
        method: method!,
        path: path!,
        body,
        auth: { role: 'member' },
        expect: [400, 422],
        note: 'not an object',
      })),
      fc.tuple(anyMemberRoute, fc.option(fc.constantFrom(...NOT_JSON_TYPES), { nil: null })).map(([[method, path], contentType]): FuzzRequest => ({
        method: method!,
        path: path!,
        body: '{"displayName":"Ada","email":"ada@example.com"}',
        contentType,
        auth: { role: 'member' },
        expect: [415],
      })),
      // Only members have a profile, whatever the body.
      fc.tuple(anyMemberRoute, fc.constantFrom<Role>('manager', 'ops')).map(([[method, path], role]): FuzzRequest => ({
        method: method!,
        path: path!,
        body: '{"displayName":"Ada","email":"ada@example.com"}',
        auth: { role },
        expect: [403],
      })),
    );
    await property(arbitrary, RUNS.members);
  });

  test('pool routes refuse malformed bodies, round numbers and Last-Event-IDs on a pool the caller may act on', async () => {
    const invalidMemberId = fc.oneof(
      fc.string().filter((s) => !/^[A-Za-z0-9_-]{1,64}$/.test(s)),
      injection,
      notAString,
    );
    const isRound = (s: string) => {
      const n = Number(s);
      return Number.isInteger(n) && n >= 1 && n <= 1_000_000;
    };
    const invalidRound = fc
      .oneof(
        fc.constantFrom('abc', '0', '-1', '1.5', '1000001', '1e7', 'NaN', 'Infinity', ' ', '-0', '1,5', '%', '%2e'),
        fc.string({ minLength: 1, maxLength: 12 }),
      )
      .filter((s) => !isRound(s) && s !== '.' && s !== '..')
      .map(encodeSegment);
    const lastEventId = headerSafe(20).filter((s) => !/^\d{1,15}$/.test(s));
    const bodyProblem = (entries: Entries, mutations: fc.Arbitrary<Mutation>) =>
      fc.oneof(
        { arbitrary: mutated(entries, mutations).map((m) => ({ body: m.body, expect: [422], note: m.mutations.join('; ') })), weight: 4 },
        // An empty body is no body, which pause and cancel accept.
        { arbitrary: badJson.filter((body) => body !== '').map((body) => ({ body, expect: [400], note: 'not JSON' })), weight: 1 },
        {
          arbitrary: fc
            .constantFrom(...NOT_JSON_TYPES)
            .map((contentType) => ({ body: encode(new Obj(entries)), contentType, expect: [415], note: contentType })),
          weight: 1,
        },
      );
    const withLength = fc.boolean();
    const reasonMutations = fc.oneof(
      fc.oneof(tooLong(500), notAString).map((v) => setTo('reason', v)),
      fc.tuple(unknownKey(['reason']), fc.jsonValue({ maxDepth: 1 })).map(([k, v]) => addKey(k, v)),
    );

    const arbitrary = fc.oneof(
      // Joining: a member for themselves on an open pool.
      fc
        .tuple(
          bodyProblem(
            [
              ['commitmentMinor', '100'],
              ['agreeToCharges', true],
            ],
            fc.oneof(
              wrongType.map((v) => setTo('commitmentMinor', v)),
              notAString.map((v) => setTo('memberId', v)),
              // Consent is given explicitly or not at all.
              fc.constantFrom<unknown>(false, 'true', 1, null, 'yes').map((v) => setTo('agreeToCharges', v)),
              fc.constant(remove('agreeToCharges')),
              fc.tuple(unknownKey(['memberId', 'commitmentMinor', 'agreeToCharges']), fc.jsonValue({ maxDepth: 1 })).map(([k, v]) => addKey(k, v)),
            ),
          ),
          withLength,
        )
        .map(([b, contentLength]): FuzzRequest => ({
          method: 'POST',
          path: '/v1/pools/{pool}/members',
          ...b,
          contentLength,
          auth: { role: 'member' },
          pool: { status: 'open', relation: 'none' },
        })),
      // Replacing a member: the manager of an active pool.
      fc
        .tuple(
          bodyProblem(
            [['incomingMemberId', 'newcomer']],
            fc.oneof(
              invalidMemberId.map((v) => setTo('incomingMemberId', v)),
              fc.constant(remove('incomingMemberId')),
              fc.constant(addKey('outgoingMemberId', 'someone')),
              fc.tuple(unknownKey(['incomingMemberId']), fc.jsonValue({ maxDepth: 1 })).map(([k, v]) => addKey(k, v)),
            ),
          ),
          withLength,
        )
        .map(([b, contentLength]): FuzzRequest => ({
          method: 'POST',
          path: '/v1/pools/{pool}/members/someone/replace',
          ...b,
          contentLength,
          pool: { status: 'active', relation: 'manager' },
        })),
      // Pausing and cancelling, with a reason: the manager.
      fc
        .tuple(
          fc.constantFrom('pause', 'cancel'),
          bodyProblem([['reason', 'holiday']], reasonMutations),
          withLength,
          fc.constantFrom<PoolStatus>('open', 'active', 'paused'),
        )
        .map(([action, b, contentLength, status]): FuzzRequest => ({
          method: 'POST',
          path: `/v1/pools/{pool}/${action}`,
          ...b,
          contentLength,
          pool: { status, relation: 'manager' },
        })),
      // Distributions: the manager.
      fc
        .tuple(
          bodyProblem(
            [['amountMinor', '1000']],
            fc.oneof(
              invalidAmount(true).map((v) => setTo('amountMinor', v)),
              fc.constant(remove('amountMinor')),
              fc.tuple(unknownKey(['amountMinor']), fc.jsonValue({ maxDepth: 1 })).map(([k, v]) => addKey(k, v)),
            ),
          ),
          withLength,
        )
        .map(([b, contentLength]): FuzzRequest => ({
          method: 'POST',
          path: '/v1/pools/{pool}/distributions',
          ...b,
          contentLength,
          pool: { status: 'active', relation: 'manager' },
        })),
      // Bids: a member of an active pool, with a bad round or a bad body.
      fc
        .tuple(
          bodyProblem(
            [['discountMinor', '100']],
            fc.oneof(
              invalidAmount(false).map((v) => setTo('discountMinor', v)),
              fc.constant(remove('discountMinor')),
              fc.constantFrom('memberId', 'round').map((k) => addKey(k, k === 'round' ? 1 : 'someone')),
              fc.tuple(unknownKey(['discountMinor']), fc.jsonValue({ maxDepth: 1 })).map(([k, v]) => addKey(k, v)),
            ),
          ),
          withLength,
        )
        .map(([b, contentLength]): FuzzRequest => ({
          method: 'POST',
          path: '/v1/pools/{pool}/rounds/1/bids',
          ...b,
          contentLength,
          auth: { role: 'member' },
          pool: { status: 'active', relation: 'member' },
        })),
      invalidRound.map((round): FuzzRequest => ({
        method: 'POST',
        path: `/v1/pools/{pool}/rounds/${round}/bids`,
        body: '{"discountMinor":"100"}',
        auth: { role: 'member' },
        pool: { status: 'active', relation: 'member' },
        expect: [422],
        note: `round ${round}`,
      })),
      fc.tuple(invalidRound, ROLE).map(([round, role]): FuzzRequest => ({
        method: 'GET',
        path: `/v1/pools/{pool}/rounds/${round}`,
        auth: { role },
        pool: { status: 'active', relation: role === 'ops' ? 'none' : role },
        expect: [422],
        note: `round ${round}`,
      })),
      // Events: a bad Last-Event-ID, as a header or as the query parameter EventSource polyfills use.
      fc.tuple(lastEventId, fc.boolean()).map(([id, asHeader]): FuzzRequest => ({
        method: 'GET',
        path: asHeader ? '/v1/pools/{pool}/events' : `/v1/pools/{pool}/events?lastEventId=${encodeURIComponent(id)}`,
        ...(asHeader ? { headers: { 'last-event-id': id } } : {}),
        pool: { status: 'active', relation: 'manager' },
        expect: [400],
        note: `Last-Event-ID ${JSON.stringify(id)}`,
      })),
    );
    await property(arbitrary, RUNS.poolScoped);
  });

  test('bad pool IDs, member IDs and round numbers in paths are 404s on every pool route', async () => {
    const poolRoutes = v1Routes().filter((r) => r.path.startsWith('/v1/pools/:poolId'));
    const badPoolId = fc.oneof(
      fc.constantFrom(
        'a%2Fb',
        '..%2F..%2Fetc%2Fpasswd',
        '%2e%2e%2fadmin',
        '%00',
        'pool%00',
        '%E0%A4%A',
        '%',
        '%%',
        '%25',
        '%C0%AE%C0%AE',
        'pool;drop',
        '%3Cscript%3E',
        'p%20p',
        '%F0%9F%92%B0',
        '*',
        'pool.json',
        '\u00e9t\u00e9',
      ),
      fc.integer({ min: 65, max: 8_000 }).map((n) => 'p'.repeat(n)),
      fc
        .string({ unit: 'grapheme', minLength: 1, maxLength: 30 })
        .filter((s) => !/^[A-Za-z0-9_-]{1,64}$/.test(s))
        .map(encodeSegment),
      injection.filter((s) => s !== '').map(encodeSegment),
    );
    const arbitrary = fc.tuple(fc.constantFrom(...poolRoutes), badPoolId, ROLE).map(([route, poolId, role]): FuzzRequest => ({
      method: route.method,
      path: fill(route.path, { poolId }),
      ...(route.method === 'POST' ? { body: '{}' } : {}),
      auth: { role },
      expect: [404],
      note: `poolId ${poolId.slice(0, 60)}`,
    }));
    // A well-formed ID that no pool has, with strange member IDs and round numbers after it.
    const noSuchPool = fc
      .tuple(
        fc.constantFrom(...poolRoutes),
        fc.oneof(
          injection.filter((s) => s !== '').map(encodeSegment),
          fc.integer({ min: 65, max: 4_000 }).map((n) => 'm'.repeat(n)),
        ),
        ROLE,
      )
      .map(([route, value, role]): FuzzRequest => ({
        method: route.method,
        path: fill(route.path, { memberId: value, round: value }),
        ...(route.method === 'POST' ? { body: '{}' } : {}),
        auth: { role },
        expect: [404],
        note: `segment ${value.slice(0, 60)}`,
      }));
    await property(fc.oneof(arbitrary, noSuchPool), RUNS.pathParams);
  });

  test('listing pools refuses bad filters, limits, cursors and unknown parameters with 422', async () => {
    const param = fc.oneof(
      invalidEnum(['draft', 'open', 'active', 'paused', 'completed', 'cancelled'])
        .filter((v) => typeof v === 'string')
        .map((v) => ['status', v as string]),
      invalidEnum(['rotating', 'investment'])
        .filter((v) => typeof v === 'string')
        .map((v) => ['kind', v as string]),
      fc.constantFrom('0', '-1', '101', 'abc', '1.5', 'NaN', '1e9', '', '1000000000000', 'Infinity').map((v) => ['limit', v]),
      fc
        .oneof(fc.constantFrom('yesterday', '2026-13-01T00:00:00Z', '2026-01-01', '1700000000', "2026-01-01T00:00:00Z' OR 1=1--"), injection)
        .map((v) => ['before', v]),
      fc.tuple(
        unknownKey(['status', 'kind', 'limit', 'before']).filter((k) => k !== ''),
        fc.string({ maxLength: 10 }),
      ),
    );
    const arbitrary = fc.tuple(param, ROLE).map(([[name, value], role]): FuzzRequest => ({
      method: 'GET',
      path: `/v1/pools?${new URLSearchParams([[name!, value!]]).toString()}`,
      auth: { role },
      expect: [422],
      note: `${name}=${JSON.stringify(value)}`,
    }));
    await property(arbitrary, RUNS.queryParams);
  });

  test('every POST needs a well-formed Idempotency-Key (400)', async () => {
    const posts = v1Routes().filter((r) => r.method === 'POST');
    const badKey = fc.oneof(
      fc.constant(null),
      fc.constantFrom('', 'short', '1234567', 'a'.repeat(129), 'key with spaces', 'key/with/slashes', 'clé-accentuée-123', 'key\twith-tab', '${jndi:ldap://x}'),
      headerSafe(200).filter((s) => !/^[A-Za-z0-9_.:-]{8,128}$/.test(s)),
    );
    const arbitrary = fc.tuple(fc.constantFrom(...posts), badKey, ROLE).map(([route, key, role]): FuzzRequest => ({
      method: 'POST',
      path: fill(route.path),
      body: '{}',
      auth: { role },
      idempotencyKey: key,
      expect: [400],
      note: `Idempotency-Key ${JSON.stringify(key)}`,
    }));
    await property(arbitrary, RUNS.idempotencyKey);
  });

  test('bodies over the limit are refused with 413, with or without Content-Length', async () => {
    const writes = [
      ...v1Routes()
        .filter((r) => r.method === 'POST' || r.method === 'PUT')
        .map((r) => ({ ...r, limit: API_BODY_BYTES_MAX })),
      { method: 'POST', path: '/v1/webhooks/stripe', limit: WEBHOOK_BODY_BYTES_MAX },
    ];
    const arbitrary = fc
      .tuple(fc.constantFrom(...writes), fc.integer({ min: 1, max: 4_096 }), fc.boolean(), ROLE)
      .map(([route, extra, contentLength, role]): FuzzRequest => ({
        method: route.method,
        path: fill(route.path),
        body: `{"name":"${'x'.repeat(route.limit + extra)}"}`,
        contentLength,
        auth: { role },
        // A well-formed, fresh header: without one the webhook refuses before it reads any of the body.
        headers: route.path.includes('webhooks') ? { 'stripe-signature': `t=${nowSeconds()},v1=${'0'.repeat(64)}` } : {},
        expect: [413],
        note: `${route.limit + extra} bytes${contentLength ? ' with Content-Length' : ''}`,
      }));
    await property(arbitrary, RUNS.oversize);
  });

  test('methods a route does not have are 404s', async () => {
    const routes = v1Routes();
    const methodsByPath = new Map<string, Set<string>>();
    for (const r of routes) methodsByPath.set(r.path, (methodsByPath.get(r.path) ?? new Set()).add(r.method));
    const wrong = [...methodsByPath].flatMap(([path, methods]) =>
      // HEAD is GET without a body in Hono, so it is no wrong method where GET is right.
      ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'].filter((m) => !methods.has(m)).map((method) => ({ method, path })),
    );
    const arbitrary = fc.tuple(fc.constantFrom(...wrong), ROLE).map(([route, role]): FuzzRequest => ({
      method: route.method,
      path: fill(route.path),
      ...(route.method === 'GET' || route.method === 'DELETE' || route.method === 'OPTIONS' ? {} : { body: '{}' }),
      auth: { role },
      // The members sub-app refuses non-members before routing.
      expect: route.path.startsWith('/v1/members') && role !== 'member' ? [403] : [404],
    }));
    await property(arbitrary, RUNS.methods);
  });

  test('unknown paths are 404s (401 under /v1 without a token)', async () => {
    const templates = app.routes.filter((r) => r.method !== 'ALL').map((r) => new RegExp(`^${r.path.replace(/:\w+/g, '[^/]+')}$`));
    const segment = fc.oneof(
      fc.constantFrom('pools', 'members', 'me', 'admin', 'v1', 'rounds', 'ledger', 'debug', 'env', '.git', 'openapi.yaml', 'metrics'),
      fc.stringMatching(/^[a-z0-9_-]{1,12}$/),
    );
    const arbitrary = fc
      .tuple(
        fc.constantFrom('/', '/v1/', '/v2/', '/v1/pools/p1/', '/api/', '/admin/', '/v1/probes/'),
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        fc.boolean(),
      )
      .map(([prefix, segments, method, authenticated]) => ({ path: prefix + segments.join('/'), method, authenticated }))
      .filter(({ path }) => !templates.some((t) => t.test(path)))
      .map(({ path, method, authenticated }): FuzzRequest => {
        const underV1 = path === '/v1' || path.startsWith('/v1/');
        return {
          method,
          path,
          ...(method === 'POST' || method === 'PUT' || method === 'PATCH' ? { body: '{}' } : {}),
          auth: authenticated ? { role: 'manager' } : { none: true },
          expect: underV1 && !authenticated ? [401] : underV1 && path.startsWith('/v1/members') ? [403] : [404],
        };
      });
    await property(arbitrary, RUNS.unknownRoutes);
  });

  test('the Stripe webhook refuses unsigned, badly signed and signed-but-malformed bodies with 400', async () => {
    const stripe = deps.stripe;
    const eventLike = fc.oneof(
      fc.constant({}),
      fc.record({
        id: fc.constant(`${run}_evt`),
        type: fc.constant('payment_intent.succeeded'),
        created: fc.constant('yesterday'),
        data: fc.constant({ object: {} }),
      }),
      fc.record({ id: fc.constant(`${run}_evt`), type: fc.constant(42), created: fc.constant(1), data: fc.constant({ object: {} }) }),
      fc.record({
        id: fc.constant(`${run}_evt`),
        type: fc.constant('charge.succeeded'),
        created: fc.constant(1),
        data: fc.constantFrom(null, {}, { object: 'x' }, { object: null }, 'x'),
      }),
      fc.constantFrom<unknown>(null, 'evt', 42, true, []),
      fc.record({ id: fc.constant(123), type: fc.constant('x'), created: fc.constant(1), data: fc.constant({ object: {} }) }),
      fc.jsonValue({ maxDepth: 2 }).filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
    );
    const arbitrary = fc.oneof(
      fc
        .tuple(
          eventLike,
          fc.constantFrom<'missing' | 'garbage' | 'wrong-secret' | 'stale' | 'not-json-signed' | 'signed-malformed'>(
            'missing',
            'garbage',
            'wrong-secret',
            'stale',
            'not-json-signed',
            'signed-malformed',
          ),
          headerSafe(60),
        )
        .map(([event, kind, garbage]): FuzzRequest => {
          const payload = kind === 'not-json-signed' ? `{not json ${garbage}` : JSON.stringify(event);
          const signature =
            kind === 'missing'
              ? undefined
              : kind === 'garbage'
                ? garbage
                : kind === 'wrong-secret'
                  ? stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_someone_else' })
                  : kind === 'stale'
                    ? stripe.webhooks.generateTestHeaderString({ payload, secret: TEST_WEBHOOK_SECRET, timestamp: nowSeconds() - 3_600 })
                    : stripe.webhooks.generateTestHeaderString({ payload, secret: TEST_WEBHOOK_SECRET });
          return {
            method: 'POST',
            path: '/v1/webhooks/stripe',
            body: payload,
            auth: { none: true },
            idempotencyKey: null,
            headers: signature === undefined ? {} : { 'stripe-signature': signature },
            expect: [400],
            note: kind,
          };
        }),
    );
    await property(arbitrary, RUNS.webhook);
  });

  test('valid-shaped requests the caller may not make, or that the pool refuses, are 4xx without side effects', async () => {
    const valid = encode(new Obj(ROTATING));
    const scenarios: fc.Arbitrary<FuzzRequest> = fc.constantFrom<FuzzRequest>(
      { method: 'POST', path: '/v1/pools', body: valid, auth: { role: 'member' }, expect: [403], note: 'a member creates a pool' },
      { method: 'POST', path: '/v1/pools', body: valid, auth: { role: 'ops' }, expect: [403], note: 'ops creates a pool' },
      { method: 'GET', path: '/v1/pools/{pool}', expect: [404], note: 'a pool that does not exist' },
      { method: 'GET', path: '/v1/pools/{pool}/ledger', expect: [404], note: 'the ledger of a pool that does not exist' },
      { method: 'GET', path: '/v1/pools/{pool}', pool: { status: 'active', relation: 'none' }, expect: [404], note: "another manager's pool" },
      { method: 'GET', path: '/v1/pools/{pool}/ledger', pool: { status: 'active', relation: 'none' }, expect: [404], note: "another manager's ledger" },
      {
        method: 'GET',
        path: '/v1/pools/{pool}',
        auth: { role: 'member' },
        pool: { status: 'active', relation: 'none' },
        expect: [404],
        note: 'a member reads a pool they are not in',
      },
      {
        method: 'GET',
        path: '/v1/pools/{pool}/events',
        auth: { role: 'member' },
        pool: { status: 'active', relation: 'none' },
        expect: [404],
        note: 'a stranger subscribes',
      },
      {
        method: 'POST',
        path: '/v1/pools/{pool}/pause',
        auth: { role: 'member' },
        pool: { status: 'active', relation: 'member' },
        expect: [403],
        note: 'a member pauses',
      },
      {
        method: 'POST',
        path: '/v1/pools/{pool}/activate',
        auth: { role: 'member' },
        pool: { status: 'open', relation: 'member' },
        expect: [403],
        note: 'a member activates',
      },
      {
        method: 'POST',
        path: '/v1/pools/{pool}/activate',
        auth: { role: 'ops' },
        pool: { status: 'open', relation: 'none' },
        expect: [403],
        note: 'ops activates',
      },
      {
        method: 'POST',
        path: '/v1/pools/{pool}/cancel',
        auth: { role: 'ops' },
        pool: { status: 'active', relation: 'none' },
        expect: [403],
        note: 'ops cancels',
      },
      { method: 'POST', path: '/v1/pools/{pool}/rounds', pool: { status: 'open', relation: 'manager' }, expect: [409], note: 'a round of an open pool' },
      {
        method: 'POST',
        path: '/v1/pools/{pool}/rounds',
        auth: { role: 'ops' },
        pool: { status: 'paused', relation: 'none' },
        expect: [409],
        note: 'a round of a paused pool',
      },
      {
        method: 'POST',
        path: '/v1/pools/{pool}/rounds',
        pool: { status: 'active', relation: 'manager' },
        expect: [409],
        note: 'a round of a pool without a schedule',
      },
      {
        method: 'POST',
        path: '/v1/pools/{pool}/members',
        body: '{"agreeToCharges":true}',
        auth: { role: 'member' },
        pool: { status: 'open', relation: 'none' },
        expect: [422],
        note: 'joining without a card',
      },
      {
        method: 'POST',
        path: '/v1/pools/{pool}/members',
        body: '{}',
        auth: { role: 'member' },
        pool: { status: 'open', relation: 'none' },
        expect: [422],
        note: 'joining without agreeing to be charged',
      },
      {
        method: 'POST',
        path: '/v1/pools/{pool}/members',
        body: '{"memberId":"{run}-newcomer","agreeToCharges":true}',
        pool: { status: 'open', relation: 'manager' },
        expect: [403],
        note: 'a manager adds a member',
      },
      {
        method: 'POST',
        path: '/v1/pools/{pool}/members',
        body: '{}',
        pool: { status: 'open', relation: 'manager' },
        expect: [403],
        note: 'a manager adds nobody',
      },
      {
        method: 'POST',
        path: '/v1/pools/{pool}/invitations',
        body: '{"memberId":"bad id"}',
        pool: { status: 'open', relation: 'manager' },
        expect: [422],
        note: 'an invitation for a malformed member ID',
      },
      {
        method: 'POST',
        path: '/v1/pools/{pool}/invitations',
        body: '{"memberId":"{run}-newcomer"}',
        pool: { status: 'active', relation: 'manager' },
        expect: [409],
        note: 'an invitation to an active pool',
      },
      {
        method: 'POST',
        path: '/v1/pools/{pool}/invitations',
        body: '{"memberId":"{run}-newcomer"}',
        auth: { role: 'member' },
        pool: { status: 'open', relation: 'member' },
        expect: [403],
        note: 'a member invites',
      },
      {
        method: 'POST',
        path: '/v1/pools/{pool}/invitations',
        body: '{"memberId":"{run}-newcomer"}',
        pool: { status: 'open', relation: 'none' },
        expect: [404],
        note: "an invitation to another manager's pool",
      },
      {
        method: 'POST',
        path: '/v1/pools/{pool}/members',
        body: '{"memberId":"someone-else","agreeToCharges":true}',
        auth: { role: 'member' },
        pool: { status: 'open', relation: 'none' },
        expect: [403],
        note: 'joining for someone else',
      },
      {
        method: 'POST',
        path: '/v1/pools/{pool}/members',
        body: '{}',
        auth: { role: 'member' },
        pool: { status: 'active', relation: 'none' },
        expect: [404],
        note: 'joining an active pool one is not in',
      },
      {
        method: 'POST',
        path: '/v1/pools/{pool}/members',
        body: '{}',
        auth: { role: 'ops' },
        pool: { status: 'open', relation: 'none' },
        expect: [403],
        note: 'ops joins',
      },
      {
        method: 'POST',
        path: '/v1/pools/{pool}/rounds/1/bids',
        body: '{"discountMinor":"100"}',
        pool: { status: 'active', relation: 'manager' },
        expect: [403],
        note: 'a manager bids',
      },
      {
        method: 'DELETE',
        path: '/v1/pools/{pool}/members/someone',
        auth: { role: 'member' },
        pool: { status: 'open', relation: 'member' },
        expect: [403],
        note: 'a member removes another',
      },
      {
        method: 'POST',
        path: '/v1/pools/{pool}/members/someone/replace',
        body: '{"incomingMemberId":"{run}-newcomer"}',
        pool: { status: 'active', relation: 'manager' },
        expect: [422],
        note: 'a replacement without a card',
      },
      // Well-formed and allowed, but no workflow stands behind the cached view: an ended pool's answer.
      {
        method: 'POST',
        path: '/v1/pools/{pool}/activate',
        pool: { status: 'open', relation: 'manager' },
        expect: [409],
        note: 'activating a pool whose workflow is gone',
      },
      {
        method: 'POST',
        path: '/v1/pools/{pool}/pause',
        body: '{"reason":"holiday"}',
        contentLength: true,
        pool: { status: 'active', relation: 'manager' },
        expect: [409],
        note: 'pausing a pool whose workflow is gone',
      },
      {
        method: 'DELETE',
        path: '/v1/pools/{pool}/members/someone',
        pool: { status: 'open', relation: 'manager' },
        expect: [409],
        note: 'removing from a pool whose workflow is gone',
      },
      {
        method: 'POST',
        path: '/v1/pools/{pool}/distributions',
        body: '{"amountMinor":"1000"}',
        pool: { status: 'active', relation: 'manager' },
        expect: [409],
        note: 'distributing from a pool whose workflow is gone',
      },
      {
        method: 'POST',
        path: '/v1/pools/{pool}/rounds/1/bids',
        body: '{"discountMinor":"100"}',
        auth: { role: 'member' },
        pool: { status: 'active', relation: 'member' },
        expect: [409],
        note: 'bidding in a pool whose workflow is gone',
      },
      {
        method: 'GET',
        path: '/v1/pools/{pool}/rounds/1',
        pool: { status: 'active', relation: 'manager' },
        expect: [404],
        note: 'a round that has not started',
      },
      {
        method: 'PUT',
        path: '/v1/members/me',
        body: '{"displayName":"Ada","email":"ada@example.com"}',
        auth: { role: 'manager' },
        expect: [403],
        note: 'a manager registers as a member',
      },
      {
        method: 'POST',
        path: '/v1/members/me/payment-methods',
        body: '{"paymentMethodId":"pm_card_visa"}',
        auth: { role: 'member' },
        expect: [409],
        note: 'a card before a profile',
      },
      {
        method: 'POST',
        path: '/v1/members/me/payout-account',
        body: '{"returnUrl":"https://example.com/r","refreshUrl":"https://example.com/f"}',
        auth: { role: 'member' },
        expect: [409],
        note: 'a payout account before a profile',
      },
      { method: 'POST', path: '/v1/probes', body: '{"message":""}', auth: { role: 'ops' }, expect: [422], note: 'an empty probe' },
      { method: 'POST', path: '/v1/probes', body: '{"message":"hi","extra":1}', auth: { role: 'ops' }, expect: [422], note: 'a probe with an unknown field' },
      { method: 'POST', path: '/v1/probes', body: '{"message":"hi"}', expect: [403], note: 'a manager runs a probe' },
      { method: 'POST', path: '/v1/probes', body: '{"message":"hi"}', auth: { role: 'member' }, expect: [403], note: 'a member runs a probe' },
    );
    const statuses = fc.constantFrom<PoolStatus>(...POOL_STATUSES);
    // Any request on a pool that is over (or never opened) by a member who is not in it: not visible.
    const closedPools = fc
      .tuple(
        statuses.filter((s) => s !== 'open'),
        fc.constantFrom('GET /v1/pools/{pool}', 'POST /v1/pools/{pool}/members', 'GET /v1/pools/{pool}/ledger'),
      )
      .map(([status, route]): FuzzRequest => {
        const [method, path] = route.split(' ') as [string, string];
        return {
          method,
          path,
          ...(method === 'POST' ? { body: '{}' } : {}),
          auth: { role: 'member' },
          pool: { status, relation: 'none' },
          expect: [404],
          note: `${route} on a ${status} pool`,
        };
      });
    await property(fc.oneof({ arbitrary: scenarios, weight: 5 }, { arbitrary: closedPools, weight: 1 }), RUNS.refused);
  });

  test('a reused Idempotency-Key replays a refusal, or is refused with 422 for another body', async () => {
    const key = `${run}-reused-key`;
    const first: FuzzRequest = {
      method: 'POST',
      path: '/v1/pools',
      body: '{"kind":"rotating"}',
      auth: { role: 'manager' },
      idempotencyKey: key,
      expect: [422],
    };
    // The subject changes with every request in this file, so a reuse needs a token of its own.
    const sub = `${run}-reuser`;
    const headers = { authorization: `Bearer ${await tokenFor(sub, 'manager')}`, 'content-type': 'application/json', 'idempotency-key': key };
    const once = await app.request('/v1/pools', { method: 'POST', headers, body: first.body });
    assert.equal(once.status, 422);
    const again = await app.request('/v1/pools', { method: 'POST', headers, body: first.body });
    assert.equal(again.status, 422);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(await again.json(), await once.json());
    const other = await app.request('/v1/pools', { method: 'POST', headers, body: '{"kind":"investment"}' });
    assert.equal(other.status, 422);
    assert.equal(((await other.json()) as { title: string }).title, 'Idempotency-Key Reused');
    sent += 3;
  });

  test(`nothing was started or written, and at least ${REQUESTS_MIN} requests were sent`, async () => {
    assert.ok(sent >= REQUESTS_MIN, `only ${sent} requests were sent`);
    // Visibility is eventually consistent, and the dev server (one history shard) makes workflows visible
    // in the order they started: once a marker started after every request is visible, a workflow that
    // a request wrongly started would be too.
    const marker = await client.workflow.start('fuzzFootprintControl', { taskQueue, workflowId: visibilityMarkerId, workflowExecutionTimeout: '1m' });
    try {
      await eventually('the visibility marker to be visible', async () =>
        (await client.workflow.count(`WorkflowId = '${visibilityMarkerId}'`)).count === 1 ? true : undefined,
      );
    } finally {
      await marker.terminate('visibility marker seen');
    }
    assert.deepEqual(await footprint(), NOTHING);
    assert.deepEqual(loggedErrors, []);
  });

  test('the footprint sees a workflow on the task queue, a member row and Stripe objects when there are some', async () => {
    const workflowId = `${run}-control`;
    const handle = await client.workflow.start('fuzzFootprintControl', { taskQueue, workflowId, workflowExecutionTimeout: '1m' });
    try {
      const sub = `${run}-control-member`;
      const headers = { authorization: `Bearer ${await tokenFor(sub, 'member')}`, 'content-type': 'application/json' };
      const registered = await app.request('/v1/members/me', { method: 'PUT', headers, body: '{"displayName":"Control","email":"control@example.com"}' });
      assert.equal(registered.status, 200, await registered.text());
      const seen = await eventually('the control workflow to be visible', async () => {
        const now = await footprint();
        return now.workflows === 1 ? now : undefined;
      });
      assert.equal(seen.members, 1);
      assert.ok(seen.stripeObjects >= 1, 'the member has a Stripe customer');
      assert.ok(seen.stripeRequests >= 1);
    } finally {
      await handle.terminate('footprint control done');
    }
  });
});

/** A path segment for any string; a lone surrogate, which encodeURIComponent refuses, becomes its UTF-8 bytes' encoding. */
function encodeSegment(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, '')) + '%ED%A0%80';
  }
}
