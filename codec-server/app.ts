// The codec server for the Temporal Web UI and CLI: `POST …/encode` and `POST …/decode` run payloads
// (Temporal's Payloads as protobuf JSON) through the same codec as the clients and workers. Only ops
// may call it — a bearer ops token, or the token as a path segment (`/ops/{token}/decode`) for the
// Web UI, whose codec setting is a bare URL — and browsers only from the Web UI's origin.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/** Larger bodies are refused: a page of history in the Web UI stays far below this. */
export const CODEC_BODY_BYTES_MAX = 4 * 1024 * 1024;
/** Payloads one request may carry. */
export const CODEC_PAYLOADS_MAX = 2_000;

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** The ops token (32+ characters). */
  token: string;
  /** Origins of the Web UI allowed to call from a browser, such as http://localhost:8233. */
  allowedOrigins: readonly string[];
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

const Payloads = proto.temporal.api.common.v1.Payloads;
const digest = (value: string) => createHash('sha256').update(value).digest();

export function createCodecServer(options: CodecServerOptions): Hono {
  const expected = digest(options.token);
  const allowed = new Set(options.allowedOrigins);
  // Comparing digests keeps the comparison constant-time whatever the presented token's length.
  const tokenMatches = (presented: string | undefined) => presented !== undefined && timingSafeEqual(digest(presented), expected);

  const app = new Hono();

  app.use('*', async (c, next) => {
    const origin = c.req.header('origin');
    if (origin !== undefined && !allowed.has(origin)) return problem(c, 403, 'origin not allowed', `requests from ${origin} are not accepted`);
    if (origin !== undefined) {
      c.header('Access-Control-Allow-Origin', origin);
      c.header('Access-Control-Allow-Credentials', 'true');
      c.header('Vary', 'Origin');
    }
    if (c.req.method === 'OPTIONS') {
      c.header('Access-Control-Allow-Methods', 'POST, OPTIONS');
      c.header('Access-Control-Allow-Headers', 'Content-Type, Authorization, X-Namespace');
      c.header('Access-Control-Max-Age', '600');
      return c.body(null, 204);
    }
    return next();
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  const handle = (direction: 'encode' | 'decode') => async (c: Context) => {
    const bearer = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
    // The Web UI may pass its own user's access token along; the path's ops token still counts then.
    if (!tokenMatches(bearer) && !tokenMatches(c.req.param('token'))) {
      options.log?.('codec request refused', { direction, reason: 'no valid ops token' });
      return problem(c, 401, 'ops token required', 'send the ops token as a bearer token, or call /ops/{token}/' + direction);
    }
    let payloads: Payload[];
    try {
      const body: unknown = await c.req.json();
      const list = (body as { payloads?: unknown }).payloads ?? [];
      if (!Array.isArray(list)) throw new TypeError('payloads must be an array');
      if (list.length > CODEC_PAYLOADS_MAX) return problem(c, 413, 'too many payloads', `at most ${CODEC_PAYLOADS_MAX} payloads per request`);
      payloads = Payloads.fromObject({ payloads: list }).payloads as Payload[];
    } catch (error) {
      return problem(
        c,
        400,
        'malformed payloads',
        `the body must be Temporal Payloads as protobuf JSON: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    try {
      const result = direction === 'encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
      options.log?.('codec request', { direction, payloads: payloads.length, namespace: c.req.header('x-namespace') });
      return c.json(Payloads.toObject(Payloads.create({ payloads: result }), { bytes: String }));
    } catch (error) {
      return problem(c, 422, 'payloads could not be ' + direction + 'd', error instanceof Error ? error.message : String(error));
    }
  };

  const limit = bodyLimit({ maxSize: CODEC_BODY_BYTES_MAX, onError: (c) => problem(c, 413, 'body too large', `at most ${CODEC_BODY_BYTES_MAX} bytes`) });
  for (const direction of ['encode', 'decode'] as const) {
    app.post(`/${direction}`, limit, handle(direction));
    app.post(`/ops/:token/${direction}`, limit, handle(direction));
  }
  return app;
}

function problem(c: Context, status: 400 | 401 | 403 | 413 | 422, title: string, detail: string) {
  return c.body(JSON.stringify({ type: 'about:blank', title, status, detail }), status, { 'content-type': 'application/problem+json' });
}
