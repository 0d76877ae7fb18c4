// Records the assessment workflow's event histories that test/replay.test.ts replays, from real runs on
// the test stack: a purchase through the API and the Stripe sandbox, orders, a stop-loss crossing, a
// breach by price alone through the risk monitor, and a funded phase reached by ops. Run with the test
// stack up, and only after an intentional, versioned workflow change:
//     set -a; . .data/test.env; set +a; npx tsx scripts/record-assessment-histories.ts
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { workflowIds } from '../temporal-config/workflow-ids';
import { assessmentViewQuery } from '../workflows/assessments/assessment';
import { startAssessmentHarness, type AssessmentHarness } from '../test/support/assessment-harness';
import { historyToProtoJson } from '../test/support/history-json';

const OUT_DIR = fileURLToPath(new URL('../test/histories/assessments/', import.meta.url));
const WAIT_MS = 30_000;

async function until(what: string, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function buy(h: AssessmentHarness, tier: string): Promise<{ traderId: string; assessmentId: string }> {
  const traderId = await h.trader();
  const bought = await h.call<{ assessment: { assessmentId: string } }>('POST', '/v1/assessments', traderId, 'trader', { tier, displayName: 'Recorded R' });
  const { assessmentId } = bought.body.assessment;
  await h.waitFor(assessmentId, (row) => row.status === 'active');
  await until(
    'the workflow to begin',
    async () => (await h.client.workflow.getHandle(workflowIds.assessment(assessmentId)).query(assessmentViewQuery)) !== null,
  );
  return { traderId, assessmentId };
}

async function expectOk(response: Promise<{ status: number; body: unknown }>): Promise<void> {
  const { status, body } = await response;
  if (status >= 300) throw new Error(`${status} ${JSON.stringify(body)}`);
}

/** Opens the trader's one long position and waits until the risk monitor watches it. */
async function openLong(
  h: AssessmentHarness,
  bought: { traderId: string; assessmentId: string },
  symbol: string,
  quantity: string,
  protection: { stopLoss?: string } = {},
): Promise<void> {
  const order = { action: 'open', symbol, side: 'long', quantity, ...protection };
  await expectOk(h.call('POST', `/v1/assessments/${bought.assessmentId}/orders`, bought.traderId, 'trader', order));
  await until(`the monitor to watch ${symbol}`, async () => h.monitor.evaluator.watching(bought.assessmentId)?.positions === 1);
}

const h = await startAssessmentHarness();
const recorded: Array<[string, string]> = [];
try {
  // A breach by price alone after an order and a stop-loss crossing.
  await h.tick('BTC-USD', '64000');
  await h.tick('ETH-USD', '3200');
  const breach = await buy(h, 'two-step-100k');
  await openLong(h, breach, 'ETH-USD', '1', { stopLoss: '3150' });
  await h.tick('ETH-USD', '3100');
  await until(
    'the stop-loss to close',
    async () =>
      (await h.client.workflow.getHandle(workflowIds.assessment(breach.assessmentId)).query(assessmentViewQuery))!.evaluation.live.openPositions === 0,
  );
  await openLong(h, breach, 'BTC-USD', '10');
  await h.tick('BTC-USD', '63300');
  await h.waitFor(breach.assessmentId, (row) => row.status === 'failed');

  // Ops pass both evaluation phases; the funded account trades; ops stop it.
  const funded = await buy(h, 'two-step-100k');
  for (const reason of ['desk review one', 'desk review two']) {
    await expectOk(h.call('POST', `/v1/assessments/${funded.assessmentId}/ops-actions`, 'ops-1', 'ops', { action: 'override-pass', reason }));
  }
  await expectOk(
    h.call('POST', `/v1/assessments/${funded.assessmentId}/fills`, funded.traderId, 'trader', {
      fills: [
        {
          externalId: 'r-1',
          kind: 'open',
          symbol: 'SOL-USD',
          side: 'short',
          quantity: '3',
          price: '150',
          commissionMinor: '6',
          executedAtMs: Date.now() + 1_000,
        },
        { externalId: 'r-2', kind: 'close', openedBy: 'r-1', quantity: '3', price: '149', commissionMinor: '6', executedAtMs: Date.now() + 2_000 },
      ],
    }),
  );
  await expectOk(
    h.call('POST', `/v1/assessments/${funded.assessmentId}/ops-actions`, 'ops-1', 'ops', { action: 'emergency-stop', reason: 'recording ends here' }),
  );
  await h.waitFor(funded.assessmentId, (row) => row.status === 'stopped');

  for (const [name, id] of [
    ['price-breach', breach.assessmentId],
    ['funded-stopped', funded.assessmentId],
  ] as const) {
    const history = await h.client.workflow.getHandle(workflowIds.assessment(id)).fetchHistory();
    recorded.push([`${name}.assessment.json`, `${JSON.stringify(historyToProtoJson(history), null, 1)}\n`]);
  }
} finally {
  await h.close();
}
await mkdir(OUT_DIR, { recursive: true });
for (const [file, content] of recorded) await writeFile(`${OUT_DIR}${file}`, content);
console.log(`recorded ${recorded.map(([file]) => file).join(', ')} in ${OUT_DIR}`);
