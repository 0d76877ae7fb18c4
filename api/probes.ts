// POST /v1/probes (ops only) starts the plumbing probe workflow and returns what it recorded: the thinnest
// end-to-end path through the system, kept as a smoke check operators can run against a deployment.
import { randomUUID } from 'node:crypto';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { workflowIds } from '../temporal-config/workflow-ids';
import { plumbingProbe } from '../workflows/core/probe';
import type { AppEnv } from './context';
import { contractApp, jsonRequest, jsonResponse, problemResponses, requireRole } from './contract';
import type { ApiDeps } from './deps';
import { probeRecord } from './pools/pool-schemas';

export const ProbeRequest = z.strictObject({ message: z.string().min(1).max(200) });

export function probeRoutes(deps: ApiDeps): OpenAPIHono<AppEnv> {
  const app = contractApp();
  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      summary: 'Run the plumbing probe workflow end to end and return what it recorded (ops)',
      tags: ['Health'],
      // A probe starts workflows and writes records: an operator's tool, not a tenant's.
      middleware: [requireRole(['ops'], 'probes are for operations')],
      request: { body: jsonRequest(ProbeRequest) },
      responses: { 201: jsonResponse('What the probe recorded', probeRecord), ...problemResponses(403, 415, 422) },
    }),
    async (c) => {
      const { message } = c.req.valid('json');
      const probeId = randomUUID();
      const record = await deps.temporal.workflow.execute(plumbingProbe, {
        workflowId: workflowIds.probe(probeId),
        taskQueue: deps.poolsTaskQueue,
        args: [{ probeId, message }],
        workflowExecutionTimeout: '1m',
      });
      return c.json(record, 201);
    },
  );
  return app;
}
