// GET /openapi.json is generated from the route definitions themselves (api/contract.ts): every mounted
// contract app's routes under its prefix, with their request and response schemas and problems. GET
// /docs serves a self-contained interactive reference built on it: no script from a CDN, so it works
// on a closed network too.
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import type { AppEnv } from './context';
import { contractApp, generatedContract, jsonResponse, jsonText, type MountedContract } from './contract';
import { docsPage } from './docs-page';

/** The whole document for the mounted contract apps. */
export function openApiDocument(mounts: MountedContract[]) {
  const generated = generatedContract(mounts);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Poolflow API',
      version: '0.1.0',
      description: 'Money pools as durable Temporal workflows. Amounts are integer minor units; errors are RFC 9457 problem details.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths: generated.paths,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } }, schemas: generated.schemas },
  };
}

/**
 * The document and the docs page. `mounts` is asked once, at the first request, so that the list may
 * include this app itself; the document is then served as the same text every time.
 */
export function openApiRoutes(mounts: () => MountedContract[]): OpenAPIHono<AppEnv> {
  const app = contractApp();
  let document: string | undefined;
  const open = { tags: ['Docs'], security: [] };
  app.openapi(
    createRoute({
      method: 'get',
      path: '/openapi.json',
      summary: 'This document',
      ...open,
      responses: { 200: jsonResponse('The OpenAPI 3.1 document', z.object({ openapi: z.string() }).loose()) },
    }),
    (c) => jsonText(c, (document ??= JSON.stringify(openApiDocument(mounts())))),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/docs',
      summary: 'Interactive reference',
      ...open,
      responses: { 200: { description: 'The reference page', content: { 'text/html': { schema: z.string() } } } },
    }),
    (c) => c.html(docsPage),
  );
  return app;
}
