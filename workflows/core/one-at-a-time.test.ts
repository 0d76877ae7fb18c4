// Local activities one at a time (workflows/core/one-at-a-time.ts): an update handler and the main loop
// that each awaited one in the same workflow task replay in the order they ran live. Without it, the
// same history fails to replay: the hazard that left a cancelled pool failing every workflow task.
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { FAILURE_CONVERTER_PATH, poolflowDataConverter } from '../../temporal-config/data-converter';
import { timeSkippingEnvironment, uniqueId } from '../../test/support/env';
import { finishUpdate, handlerAndLoop, type LocalSteps } from '../../test/fixtures/workflows/local-steps';

/** How long the main loop's local activity takes, so that live its result comes after the handler's. */
const SLOW_STEP_MS = 300;

describe('local activities one at a time', () => {
  let env: TestWorkflowEnvironment;
  let bundle: WorkflowBundleWithSourceMap;
  before(async () => {
    env = await timeSkippingEnvironment();
    const ignore = () => {};
    bundle = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../../test/fixtures/workflows/local-steps.ts', import.meta.url)),
      failureConverterPath: FAILURE_CONVERTER_PATH,
      logger: { trace: ignore, debug: ignore, info: ignore, log: ignore, warn: ignore, error: console.error },
    });
  });
  after(async () => env?.teardown());

  /** Runs the workflow live on a worker, then replays its history; the replay's error, if any. */
  async function runThenReplay(oneAtATime: boolean): Promise<Error | undefined> {
    const taskQueue = uniqueId('local-steps');
    const activities: LocalSteps = { quick: async () => {}, slow: () => delay(SLOW_STEP_MS) };
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: bundle,
      activities,
      dataConverter: poolflowDataConverter(),
    });
    const handle = await worker.runUntil(async () => {
      const started = await env.client.workflow.start(handlerAndLoop, { taskQueue, workflowId: uniqueId('local-steps'), args: [{ oneAtATime }] });
      assert.equal(await started.executeUpdate(finishUpdate), 'finished');
      await started.result();
      return started;
    });
    const history = await handle.fetchHistory();
    try {
      await Worker.runReplayHistory(
        { workflowBundle: bundle, dataConverter: poolflowDataConverter(), replayName: 'one-at-a-time' },
        history,
        handle.workflowId,
      );
      return undefined;
    } catch (error) {
      return error as Error;
    }
  }

  test('a handler and the main loop that each awaited one replay in the order they ran', async () => {
    assert.equal(await runThenReplay(true), undefined);
  });

  test('without it, the same history does not replay (the hazard this guards against is real)', async () => {
    const error = await runThenReplay(false);
    assert.match(String(error?.message), /[Nn]ondeterminism/);
  });
});
