// Checks a real response against what GET /openapi.json documents for its route and status, so a
// handler that drifts from its contract fails a test instead of surprising a client.
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export interface Document {
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: object }> }> }>>;
  components?: { schemas?: Record<string, object> };
}

/** A checker bound to one document: `check('post', '/v1/x/{id}', response)` asserts and returns the body. */
export function contractChecker(document: Document) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ $id: 'openapi', components: document.components ?? {} });
  const refToShared = (schema: object): object => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/')) as object;

  return async function check(method: string, path: string, response: Response): Promise<unknown> {
    const where = `${method.toUpperCase()} ${path} → ${response.status}`;
    const documented = document.paths[path]?.[method]?.responses?.[String(response.status)];
    assert.ok(documented, `${where} is not documented`);
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const media = documented.content?.[mediaType];
    assert.ok(media, `${where}: content type ${mediaType} is not documented`);
    const body: unknown = mediaType.endsWith('json') ? await response.json() : await response.text();
    if (media.schema) {
      const validate = ajv.compile(refToShared(media.schema));
      assert.ok(validate(body), `${where}: body does not match the documented schema: ${ajv.errorsText(validate.errors)}`);
    }
    return body;
  };
}

/** The document's route template a concrete path falls under (`/v1/pools/p_1` → `/v1/pools/{poolId}`). */
export function templateOf(document: Document, method: string, path: string): string | undefined {
  const pathname = path.split('?')[0]!;
  const segments = pathname.split('/');
  const matches = Object.keys(document.paths).filter((template) => {
    if (!document.paths[template]?.[method]) return false;
    const parts = template.split('/');
    return parts.length === segments.length && parts.every((part, i) => (/^\{\w+\}$/.test(part) ? segments[i] !== '' : part === segments[i]));
  });
  // A literal segment wins over a parameter (`/v1/members/me/…` over `/v1/members/{memberId}/…`).
  return matches.sort((a, b) => (b.match(/\{/g)?.length ?? 0) - (a.match(/\{/g)?.length ?? 0)).at(-1);
}
