// GET /openapi.json is a valid OpenAPI 3.1 document (checked by an independent validator) that
// describes exactly the routes the Hono app registers, with their path parameters, Idempotency-Key and
// security as the app enforces them; GET /docs is the interactive page built on it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { Client, Connection } from '@temporalio/client';
import type { Hono } from 'hono';
import type { AppEnv } from '../api/context';
import type { Redis } from '../cache/redis';
import type { Db } from '../db/pool';
import { testApiDeps, testApp } from './support/api';
import { devServerClient, testDb, testRedis, testStripe, uniqueId } from './support/env';
import { eventually } from './support/eventually';

interface Operation {
  operationId?: string;
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, unknown>;
  security?: unknown[];
}
interface Document {
  openapi: string;
  security?: unknown[];
  paths: Record<string, Record<string, Operation>>;
}

const METHODS = ['get', 'post', 'put', 'delete', 'patch'];

describe('OpenAPI document and docs page', () => {
  let client: Client;
  let connection: Connection;
  let db: Db;
  let redis: Redis;
  let app: Hono<AppEnv>;
  let document: Document;

  before(async () => {
    ({ client, connection } = await devServerClient());
    db = testDb();
    redis = testRedis();
    await eventually('Redis to connect', async () => ((await redis.ping()) === 'PONG' ? true : undefined));
    app = testApp(testApiDeps({ temporal: client, db, redis, stripe: testStripe(), poolsTaskQueue: uniqueId('openapi'), redisKeyPrefix: uniqueId('openapi') }));
    const response = await app.request('/openapi.json');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    document = (await response.json()) as Document;
  });

  after(async () => {
    await connection.close();
    await db.end();
    redis.disconnect();
  });

  /** Every (method, path) the document describes, in OpenAPI's `{param}` form. */
  const documented = () => Object.entries(document.paths).flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path}`));
  /** Every (method, path) the app routes, ignoring middleware (`ALL`, `*`). */
  const registered = () => [
    ...new Set(app.routes.filter((r) => r.method !== 'ALL' && !r.path.includes('*')).map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`)),
  ];
  const operations = () =>
    Object.entries(document.paths).flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((method) => ({ method, path, operation: item[method]! })));

  test('is a valid OpenAPI 3.1 document whose references all resolve', async () => {
    const validator = new Validator();
    const result = await validator.validate(document as unknown as Record<string, unknown>);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    assert.equal(validator.version, '3.1');
    assert.doesNotThrow(() => validator.resolveRefs());
  });

  test('describes every route the app registers, and no route it does not', () => {
    const routes = registered().sort();
    assert.ok(routes.length >= 20, `the app registers only ${routes.length} routes`);
    const described = documented();
    assert.deepEqual(
      { undocumented: routes.filter((r) => !described.includes(r)), notRouted: described.filter((d) => !routes.includes(d)) },
      { undocumented: [], notRouted: [] },
    );
  });

  test('declares each path parameter, the Idempotency-Key of each authenticated POST, a success and the problems', () => {
    const ids = new Set<string>();
    for (const { method, path, operation } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      assert.ok(operation.operationId, `${where} has no operationId`);
      assert.ok(!ids.has(operation.operationId), `${where} repeats operationId ${operation.operationId}`);
      ids.add(operation.operationId);

      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      const declared = (operation.parameters ?? []).filter((p) => p.in === 'path');
      assert.deepEqual(declared.map((p) => p.name).sort(), inPath, `${where} path parameters`);
      assert.ok(
        declared.every((p) => p.required === true),
        `${where}: path parameters are required`,
      );

      const authenticated = operation.security === undefined ? (document.security ?? []).length > 0 : operation.security.length > 0;
      const idempotencyKey = (operation.parameters ?? []).find((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key');
      assert.equal(Boolean(idempotencyKey?.required), method === 'post' && authenticated, `${where} Idempotency-Key`);

      const codes = Object.keys(operation.responses ?? {});
      assert.ok(
        codes.some((code) => /^2\d\d$/.test(code)),
        `${where} documents no success`,
      );
      if (authenticated) assert.ok(codes.includes('401'), `${where} documents no 401`);
      for (const media of Object.values(operation.requestBody?.content ?? {}))
        assert.equal(typeof media.schema, 'object', `${where} request body has no schema`);
    }
  });

  test('security matches the app: documented as authenticated means 401 without a token, and public means not', async () => {
    for (const { method, path, operation } of operations()) {
      const authenticated = operation.security === undefined ? (document.security ?? []).length > 0 : operation.security.length > 0;
      // No token (and no Stripe signature): nothing past the first check runs, so nothing is started or written.
      const url = path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'round' ? '1' : `no-such-${name}`));
      const response = await app.request(url, {
        method: method.toUpperCase(),
        ...(method === 'post' || method === 'put' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
      });
      const where = `${method.toUpperCase()} ${path} answered ${response.status}`;
      if (authenticated) assert.equal(response.status, 401, where);
      else assert.notEqual(response.status, 401, where);
      await response.body?.cancel();
    }
  });

  test('GET /docs serves an HTML page that loads /openapi.json', async () => {
    const response = await app.request('/docs');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    const html = await response.text();
    assert.match(html, /^<!doctype html>/i);
    assert.match(html, /fetch\('\/openapi\.json'\)/);
    // Self-contained: no script or stylesheet from elsewhere, so the page works on a closed network.
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href="https?:/i);
  });
});
