// The body of one simulation worker thread: runs the blocks it is sent and posts back their summaries.
// Pure computation (domain/simulations), so its results do not depend on which thread ran them.
import { parentPort } from 'node:worker_threads';
import { MODELS, type ModelName } from '../../domain/simulations/models';
import { runBlocks } from '../../domain/simulations/run-blocks';

export interface BlockJob {
  jobId: number;
  model: ModelName;
  params: unknown;
  seed: number;
  pathCount: number;
  firstBlock: number;
  blocks: number;
}

parentPort!.on('message', (job: BlockJob) => {
  try {
    const model = MODELS[job.model];
    const summary = runBlocks(model, model.schema.parse(job.params), job.seed, job.pathCount, job.firstBlock, job.blocks);
    parentPort!.postMessage({ jobId: job.jobId, summary });
  } catch (error) {
    parentPort!.postMessage({ jobId: job.jobId, error: error instanceof Error ? error.message : String(error) });
  }
});
