// The connection pool when PostgreSQL goes away under a checked-out connection: the process carries on
// and the connection's next query fails, rather than an unhandled 'error' event ending the process.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startFaultProxy } from '../test/chaos/proxy';
import { testConfig } from '../test/support/env';
import { createDbPool } from './pool';

test('a checked-out connection that breaks between queries fails its next query and ends nothing', async () => {
  const target = new URL(testConfig.databaseUrl);
  const proxy = await startFaultProxy(target.hostname, Number(target.port));
  const url = new URL(testConfig.databaseUrl);
  url.host = proxy.address;
  const db = createDbPool(url.toString());
  try {
    const client = await db.connect();
    await client.query('BEGIN');
    proxy.cut('refuse');
    // Long enough for the broken socket to be noticed while nobody is querying.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await assert.rejects(client.query('SELECT 1'));
    client.release(true);
    proxy.restore();
    assert.deepEqual((await db.query<{ one: number }>('SELECT 1 AS one')).rows, [{ one: 1 }], 'a fresh connection works');
  } finally {
    await db.end();
    await proxy.close();
  }
});
