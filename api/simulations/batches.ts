// Starting and reading simulation batches for the API: a batch's ID is the hash of (model, parameters,
// seed, path count), so the same request finds the batch already computed or running; who may read a
// batch is decided from the database (who asked for it, the pool's manager, ops).
import { createHash, randomInt } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { pathsDone } from '../../activities/simulations/progress';
import { findBatch, hasRequested, recordBatch, type BatchRow } from '../../db/simulations/batches';
import { planChunks, PATH_STEPS_MAX } from '../../domain/simulations/chunking';
import { MODELS, type ModelName } from '../../domain/simulations/models';
import { SimulationModelAttribute, SimulationStatusAttribute } from '../../temporal-config/search-attributes';
import { TASK_QUEUES } from '../../temporal-config/task-queues';
import { workflowIds } from '../../temporal-config/workflow-ids';
import { simulationBatch, simulationProgressQuery, type SimulationProgress } from '../../workflows/simulations/batch';
import type { Principal } from '../auth';
import type { ApiDeps } from '../deps';
import { allowed } from '../pools/pool-access';
import { standingOf } from '../pools/pool-standings';
import { ProblemError } from '../problem';

/** Seeds drawn for requests that give none stay below 2^48, short enough to read out and type back. */
const DRAWN_SEED_MAX = 2 ** 48;
export const BATCH_ID_PATTERN = /^sim_[0-9a-f]{40}$/;

export interface BatchRequest {
  model: ModelName;
  params: unknown;
  seed?: number;
  paths: number;
  chunks?: number;
  poolId?: string | null;
}

/** JSON with keys sorted at every level: equal parameters give equal text whatever order they came in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function batchIdOf(model: string, params: unknown, seed: number, paths: number): string {
  return `sim_${createHash('sha256').update(canonicalJson({ model, params, seed, paths })).digest('hex').slice(0, 40)}`;
}

/** Validates the model's parameters (a 422 names each bad field under `params.`), records the batch and starts it unless it exists. */
export async function startBatch(deps: ApiDeps, principal: Principal, request: BatchRequest): Promise<{ batch: BatchRow; started: boolean }> {
  const model = MODELS[request.model];
  const parsed = model.schema.safeParse(request.params);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((issue) => ({ field: ['params', ...issue.path].join('.'), message: issue.message }));
    throw new ProblemError(422, 'Validation Failed', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
  }
  const params = parsed.data;
  const steps = model.stepsPerPath(params);
  if (request.paths * steps > PATH_STEPS_MAX) {
    throw new ProblemError(422, 'Validation Failed', `paths × steps per path (${request.paths} × ${steps}) exceeds ${PATH_STEPS_MAX}`, [
      { field: 'paths', message: `at most ${Math.floor(PATH_STEPS_MAX / steps)} paths for these parameters` },
    ]);
  }
  const seed = request.seed ?? randomInt(DRAWN_SEED_MAX);
  const batchId = batchIdOf(request.model, params, seed, request.paths);
  const plan = planChunks(request.paths, steps, request.chunks);
  const { start, row } = await recordBatch(deps.db, {
    batchId,
    model: request.model,
    params,
    seed,
    pathCount: request.paths,
    chunkCount: plan.chunkCount,
    poolId: request.poolId ?? null,
    subject: principal.sub,
  });
  if (start) {
    const indexed = deps.searchAttributes !== false;
    try {
      await deps.temporal.workflow.start(simulationBatch, {
        workflowId: workflowIds.simulation(batchId),
        taskQueue: deps.simulationsTaskQueue ?? TASK_QUEUES.simulations,
        // A failed or cancelled batch may run again under its ID; a running or completed one never twice.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        args: [
          {
            batchId,
            model: request.model,
            pathCount: request.paths,
            chunkCount: plan.chunkCount,
            blocksPerChunk: plan.blocksPerChunk,
            searchAttributes: indexed,
          },
        ],
        staticSummary: `Simulation ${request.model}: ${request.paths} paths, seed ${seed}`,
        ...(indexed
          ? {
              typedSearchAttributes: [
                { key: SimulationModelAttribute, value: request.model },
                { key: SimulationStatusAttribute, value: 'running' },
              ],
            }
          : {}),
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }
  return { batch: row, started: start };
}

/** The batch if the caller may read it: ops, whoever asked for it, or the manager of its pool; else 404. */
export async function batchFor(deps: ApiDeps, principal: Principal, batchId: string): Promise<BatchRow> {
  const batch = BATCH_ID_PATTERN.test(batchId) ? await findBatch(deps.db, batchId) : null;
  if (batch && (await mayRead(deps, principal, batch))) return batch;
  throw new ProblemError(404, 'Not Found', 'no such simulation');
}

async function mayRead(deps: ApiDeps, principal: Principal, batch: BatchRow): Promise<boolean> {
  if (principal.role === 'ops') return true;
  if (await hasRequested(deps.db, batch.batchId, principal.sub)) return true;
  if (!batch.poolId) return false;
  const standing = await standingOf(deps.db, batch.poolId, principal);
  return standing !== null && allowed(principal, standing, 'steer');
}

/** Progress: the workflow's count of finished chunks, refined by the live per-chunk counts in Redis. */
export async function progressOf(deps: ApiDeps, batch: BatchRow): Promise<SimulationProgress> {
  if (batch.status === 'completed')
    return { status: 'completed', chunkCount: batch.chunkCount, chunksDone: batch.chunkCount, pathsDone: batch.pathCount, pathCount: batch.pathCount };
  let progress: SimulationProgress = { status: batch.status, chunkCount: batch.chunkCount, chunksDone: 0, pathsDone: 0, pathCount: batch.pathCount };
  if (batch.status === 'running') {
    try {
      progress = await deps.temporal.workflow.getHandle(workflowIds.simulation(batch.batchId)).query(simulationProgressQuery);
    } catch {
      // Just started (no worker has picked it up yet) or Temporal is briefly away: the counts below still answer.
    }
  }
  const live = await pathsDone(deps.redis, batch.batchId).catch(() => 0);
  return { ...progress, pathsDone: Math.min(batch.pathCount, Math.max(progress.pathsDone, live)) };
}
