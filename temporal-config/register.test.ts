// Search attribute registration against the dev server: idempotent, and the attributes are usable in
// visibility queries straight after.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client, Connection } from '@temporalio/client';
import { devServerClient, uniqueId } from '../test/support/env';
import { registerSearchAttributes } from './register';
import { PoolIdAttribute, PoolStatusAttribute, SEARCH_ATTRIBUTES } from './search-attributes';

describe('registerSearchAttributes', () => {
  let client: Client;
  let connection: Connection;

  before(async () => ({ client, connection } = await devServerClient()));
  after(async () => connection.close());

  test('is idempotent and leaves every attribute registered', async () => {
    await registerSearchAttributes(connection, 'default');
    assert.deepEqual(await registerSearchAttributes(connection, 'default'), [], 'a second run adds nothing');
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    for (const attribute of SEARCH_ATTRIBUTES) assert.ok(customAttributes?.[attribute.name] !== undefined, `${attribute.name} registered`);
  });

  test('the attributes can be set on a workflow and queried', async () => {
    const poolId = uniqueId('pool');
    // A workflow that nobody polls for is enough: its start-time attributes are indexed at once.
    const handle = await client.workflow.start('nonexistentWorkflowType', {
      taskQueue: uniqueId('nobody-polls'),
      workflowId: `register-test/${poolId}`,
      typedSearchAttributes: [
        { key: PoolIdAttribute, value: poolId },
        { key: PoolStatusAttribute, value: 'draft' },
      ],
    });
    try {
      let found = 0;
      for (let attempt = 0; attempt < 50 && found === 0; attempt++) {
        ({ count: found } = await client.workflow.count(`PoolId = '${poolId}' AND PoolStatus = 'draft'`));
        if (found === 0) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(found, 1);
    } finally {
      await handle.terminate('test finished');
    }
  });
});
