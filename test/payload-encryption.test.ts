// Encrypted payloads on the real dev server: a pool's stored histories (the pool's and its round's),
// fetched without the codec, hold no plain text of a member ID, the contribution amount or the seed,
// while the shared data converter reads them, and still reads them after the keys have been rotated.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Client } from '@temporalio/client';
import { decodeArrayFromPayloads, loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import type { temporal } from '@temporalio/proto';
import { poolflowDataConverter } from '../temporal-config/data-converter';
import { developmentKeyring, parseKeyring } from '../temporal-config/payload-codec';
import { workflowIds } from '../temporal-config/workflow-ids';
import { poolStateQuery, roundDueSignal } from '../workflows/pools/pool';
import { startDevPoolHarness, type DevPoolHarness } from './support/dev-pool-harness';
import { activate, joinAll } from './support/pool-harness';

const CONTRIBUTION_MINOR = 73_519;
const quickPool = {
  kind: 'rotating',
  name: 'Encrypted circle',
  currency: 'usd',
  cadence: { type: 'monthly', dayOfMonth: 28, hourUtc: 3 },
  membersMin: 2,
  membersMax: 2,
  contributionMinor: CONTRIBUTION_MINOR,
  gracePeriodHours: 0,
} as const;

/**
 * Every byte of a history as text. The client hands payload bytes over in base64, so every string is
 * also read as base64: a plain-text JSON payload would show there.
 */
function rawText(history: temporal.api.history.v1.IHistory): string {
  const parts: string[] = [];
  JSON.stringify(history, (_key, value: unknown) => {
    if (value instanceof Uint8Array) parts.push(Buffer.from(value).toString('latin1'));
    else if (typeof value === 'string') parts.push(value, Buffer.from(value, 'base64').toString('latin1'));
    return value;
  });
  return parts.join('\n');
}

describe('payload encryption on the dev server', () => {
  let h: DevPoolHarness;
  before(async () => (h = await startDevPoolHarness()));
  after(async () => h.close());

  test('stored histories hide member IDs, amounts and the seed; the codec client reads them, also after key rotation', async () => {
    const members = await Promise.all([h.member(), h.member()]);
    const seed = `seed-${randomBytes(8).toString('hex')}`;
    const handle = await h.startPool(quickPool, { seed });
    const poolId = (await handle.query(poolStateQuery)).poolId;
    await joinAll(handle, members);
    await activate(handle);
    await handle.signal(roundDueSignal);
    const round = await h.roundResult(poolId, 1);
    assert.deepEqual(
      round.members.map((m) => m.outcome),
      ['paid', 'paid'],
    );

    // A client without the codec, as the Web UI or `temporal workflow show` sees it without the codec server.
    const plainClient = new Client({ connection: h.client.connection, namespace: 'default' });
    const secrets = [...members, seed, String(CONTRIBUTION_MINOR)];
    for (const workflowId of [workflowIds.pool(poolId), workflowIds.round(poolId, 1)]) {
      const history = await plainClient.workflow.getHandle(workflowId).fetchHistory();
      assert.ok((history.events?.length ?? 0) > 5, `${workflowId} has a history`);
      const text = rawText(history);
      for (const secret of secrets) assert.equal(text.includes(secret), false, `${workflowId}'s stored history does not contain ${secret}`);
      assert.ok(text.includes('binary/encrypted'), `${workflowId}'s payloads are encrypted`);
    }

    // The shared converter reads the pool's input back, and the query answers with the members.
    const started = (await h.client.workflow.getHandle(workflowIds.pool(poolId)).fetchHistory()).events![0]!;
    const input = started.workflowExecutionStartedEventAttributes!.input!.payloads!;
    const [decoded] = (await decodeArrayFromPayloads(loadDataConverter(poolflowDataConverter()), input)) as Array<{
      seed: string;
      config: { contributionMinor: string | number };
    }>;
    assert.equal(decoded!.seed, seed);
    assert.equal(String(decoded!.config.contributionMinor), String(CONTRIBUTION_MINOR));
    assert.deepEqual((await handle.query(poolStateQuery)).members.map((m) => m.memberId).sort(), [...members].sort());

    // Rotation: a new current key, with the old (here the development key) still configured, reads what
    // was written before, and writes under the new key.
    const development = developmentKeyring();
    const rotatedKeys = `k-rotated:${randomBytes(32).toString('base64')},development:${development.keys.get('development')!.toString('base64')}`;
    const rotated = loadDataConverter(poolflowDataConverter({ keyring: parseKeyring(rotatedKeys, 'k-rotated') }));
    const [afterRotation] = (await decodeArrayFromPayloads(rotated, input)) as Array<{ seed: string }>;
    assert.equal(afterRotation!.seed, seed);
    const rotatedClient = new Client({
      connection: h.client.connection,
      namespace: 'default',
      dataConverter: poolflowDataConverter({ keyring: parseKeyring(rotatedKeys, 'k-rotated') }),
    });
    assert.deepEqual((await rotatedClient.workflow.getHandle(workflowIds.pool(poolId)).query(poolStateQuery)).poolId, poolId);
  });
});
