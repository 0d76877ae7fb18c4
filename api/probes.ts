// POST /v1/probes (ops only) starts the plumbing probe workflow and returns what it recorded: the thinnest
// end-to-end path through the system, kept as a smoke check operators can run against a deployment.
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { z } from 'zod';
import { workflowIds } from '../temporal-config/workflow-ids';
import { plumbingProbe } from '../workflows/probe';
import type { AppEnv } from './context';
import type { ApiDeps } from './deps';
import { ProblemError } from './problem';
import { jsonBody } from './validation';

export const ProbeRequest = z.strictObject({ message: z.string().min(1).max(200) });

export function probeRoutes(deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post('/', async (c) => {
    // A probe starts workflows and writes records: an operator's tool, not a tenant's.
    if (c.get('principal').role !== 'ops') throw new ProblemError(403, 'Forbidden', 'probes are for operations');
    const { message } = await jsonBody(c, ProbeRequest);
    const probeId = randomUUID();
    const record = await deps.temporal.workflow.execute(plumbingProbe, {
      workflowId: workflowIds.probe(probeId),
      taskQueue: deps.poolsTaskQueue,
      args: [{ probeId, message }],
      workflowExecutionTimeout: '1m',
    });
    return c.json(record, 201);
  });
  return app;
}
