// The body of one simulation worker thread: runs the blocks it is sent and posts back their summaries, each
// packed in one typed array whose buffer is transferred, not copied. Pure computation (domain/simulations), so its
// results do not depend on which thread ran them.
import { parentPort } from 'node:worker_threads';
import { MODELS, type ModelName } from '../../domain/simulations/models';
import { runBlocksPacked } from '../../domain/simulations/run-blocks';

export interface BlockJob {
  jobId: number;
  model: ModelName;
  params: unknown;
  seed: number;
  pathCount: number;
  firstBlock: number;
  blocks: number;
}

// The parameters of the last job, parsed once for all the jobs of its batch (runBlocksPacked then reuses
// its path function too).
let parsed: { key: string; params: unknown } | null = null;

parentPort!.on('message', (job: BlockJob) => {
  try {
    const model = MODELS[job.model];
    const key = `${job.model}:${JSON.stringify(job.params)}`;
    if (parsed?.key !== key) parsed = { key, params: model.schema.parse(job.params) };
    const packed = runBlocksPacked(model, parsed.params as never, job.seed, job.pathCount, job.firstBlock, job.blocks);
    parentPort!.postMessage({ jobId: job.jobId, packed }, [packed.data.buffer as ArrayBuffer]);
  } catch (error) {
    parentPort!.postMessage({ jobId: job.jobId, error: error instanceof Error ? error.message : String(error) });
  }
});
