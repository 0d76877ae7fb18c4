// The contract glue: a route defined once validates its request (failures are problem+json naming the
// field), and its definition appears in GET /openapi.json under its mount prefix with an operation ID
// and the Idempotency-Key of a POST; real responses are checked against the generated document.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRoute } from '@hono/zod-openapi';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { contractChecker } from '../test/support/contract';
import type { AppEnv } from './context';
import { contractApp, jsonRequest, jsonResponse, problemResponses } from './contract';
import { openApiDocument } from './openapi';
import { ProblemError, problemResponse } from './problem';

const widget = z.object({ id: z.string(), sizeMinor: z.string().regex(/^\d+$/) }).meta({ id: 'Widget' });

function sampleApp() {
  const app = contractApp();
  app.openapi(
    createRoute({
      method: 'post',
      path: '/{widgetId}',
      summary: 'Create a widget',
      request: { params: z.object({ widgetId: z.string().regex(/^w_[a-z]+$/) }), body: jsonRequest(z.strictObject({ sizeMinor: z.string().regex(/^\d+$/) })) },
      responses: { 201: jsonResponse('The widget', widget), ...problemResponses(401, 409, 422) },
    }),
    (c) => {
      const { widgetId } = c.req.valid('param');
      const { sizeMinor } = c.req.valid('json');
      if (sizeMinor === '0') throw new ProblemError(409, 'Conflict', 'a widget of size 0 already exists');
      return c.json({ id: widgetId, sizeMinor }, 201);
    },
  );
  return app;
}

// The product app behind the same error handler the real app uses.
function mounted() {
  const root = new Hono<AppEnv>();
  root.route('/v1/widgets', sampleApp());
  root.onError((error, c) => (error instanceof ProblemError ? problemResponse(c, error) : c.text('unexpected', 500)));
  return root;
}

const post = (body: string, path = '/v1/widgets/w_abc', contentType = 'application/json') =>
  mounted().request(path, { method: 'POST', headers: { 'content-type': contentType }, body });

describe('route contracts', () => {
  const document = openApiDocument([{ prefix: '/v1/widgets', app: sampleApp() }]) as unknown as Parameters<typeof contractChecker>[0];
  const check = contractChecker(document);

  test('a valid request reaches the handler and its response matches the documented schema', async () => {
    const body = await check('post', '/v1/widgets/{widgetId}', await post('{"sizeMinor":"1250"}'));
    assert.deepEqual(body, { id: 'w_abc', sizeMinor: '1250' });
  });

  test('an invalid body or path parameter is a 422 problem naming each field, and the handler never runs', async () => {
    const badBody = await post('{"sizeMinor":"12.50","extra":1}');
    const problem = (await check('post', '/v1/widgets/{widgetId}', badBody)) as { errors: Array<{ field: string }> };
    assert.equal(badBody.status, 422);
    assert.deepEqual(problem.errors.map((e) => e.field).sort(), ['(body)', 'sizeMinor']);

    const badParam = await post('{"sizeMinor":"1"}', '/v1/widgets/nope');
    assert.equal(badParam.status, 422);
    assert.deepEqual(
      ((await badParam.json()) as { errors: Array<{ field: string }> }).errors.map((e) => e.field),
      ['widgetId'],
    );
  });

  test('a handler’s documented problem is checked like a success', async () => {
    const conflict = await post('{"sizeMinor":"0"}');
    assert.equal(conflict.status, 409);
    await check('post', '/v1/widgets/{widgetId}', conflict);
  });

  test('the checker refuses a response the document does not describe', async () => {
    const undocumented = new Response('{}', { status: 418, headers: { 'content-type': 'application/json' } });
    await assert.rejects(check('post', '/v1/widgets/{widgetId}', undocumented), /not documented/);
    const wrongShape = new Response('{"id":7}', { status: 201, headers: { 'content-type': 'application/json' } });
    await assert.rejects(check('post', '/v1/widgets/{widgetId}', wrongShape), /does not match/);
  });

  test('the generated operation sits under its prefix with an ID, the Idempotency-Key and the problems, its middleware’s included', async () => {
    const operation = document.paths['/v1/widgets/{widgetId}']?.post as unknown as {
      operationId: string;
      parameters: Array<{ name: string; in: string; required: boolean }>;
      responses: Record<string, unknown>;
    };
    assert.equal(operation.operationId, 'postV1WidgetsWidgetId');
    assert.deepEqual(operation.parameters.map((p) => `${p.in}:${p.name}:${p.required}`).sort(), ['header:Idempotency-Key:true', 'path:widgetId:true']);
    // The route's own problems, and those the /v1 middleware answers to every command before it.
    assert.deepEqual(Object.keys(operation.responses).sort(), ['201', '400', '401', '409', '413', '422', '429', '503']);
    const validator = new Validator();
    const result = await validator.validate(document as unknown as Record<string, unknown>);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  });
});
