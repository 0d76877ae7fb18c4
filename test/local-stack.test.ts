// Local stack hygiene: POOLFLOW_PORT_OFFSET moves every port of a checkout's stack, the API's and so the
// sandbox's webhook URL included; each checkout signs webhooks with a secret of its own; and the scripts
// run by hand (demo, reconcile) read this checkout's stack settings.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadDevStackEnv } from '../scripts/dev-stack-env';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PORT_NAMES = ['pg_port', 'redis_port', 'temporal_port', 'ui_port', 'stripe_port', 'sandbox_port', 'api_port'] as const;

/** Runs a function of scripts/stack.sh in a clean shell and prints the named variables, one a line. */
function stackShell(call: string, names: readonly string[], env: Record<string, string>): string[] {
  const script = `source scripts/stack.sh && ${call} && printf '%s\\n' ${names.map((n) => `"$${n}"`).join(' ')}`;
  return execFileSync('bash', ['-c', script], { cwd: ROOT, env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...env }, encoding: 'utf8' })
    .trimEnd()
    .split('\n');
}

const devPorts = (offset: number) => {
  const values = stackShell('stack_ports dev', [...PORT_NAMES, 'webhook_url'], { POOLFLOW_PORT_OFFSET: String(offset) });
  return { ports: values.slice(0, PORT_NAMES.length).map(Number), webhookUrl: values.at(-1)! };
};

describe('local stack hygiene', () => {
  test('POOLFLOW_PORT_OFFSET moves every port, the API and its webhook URL included', () => {
    const base = devPorts(0);
    const shifted = devPorts(100);
    assert.deepEqual(
      shifted.ports,
      base.ports.map((p) => p + 100),
    );
    assert.equal(base.webhookUrl, 'http://127.0.0.1:3000/v1/webhooks/stripe');
    assert.equal(shifted.webhookUrl, 'http://127.0.0.1:3100/v1/webhooks/stripe');
    const test = stackShell('stack_ports test', PORT_NAMES.slice(0, 6), { POOLFLOW_PORT_OFFSET: '100' }).map(Number);
    const all = [...base.ports, ...shifted.ports, ...test];
    assert.equal(new Set(all).size, all.length, 'no two stacks share a port');
  });

  test('each checkout signs webhooks with its own secret, kept across runs', async () => {
    const [a, b] = [await mkdtemp(join(tmpdir(), 'poolflow-checkout-')), await mkdtemp(join(tmpdir(), 'poolflow-checkout-'))];
    try {
      const secret = (dataDir: string) => stackShell('secret="$(checkout_webhook_secret)"', ['secret'], { DATA_DIR: dataDir })[0]!;
      const first = secret(a);
      assert.match(first, /^whsec_local_[0-9a-f]{48}$/);
      assert.equal(secret(a), first, 'the same checkout keeps its secret');
      assert.notEqual(secret(b), first, 'another checkout has another');
      assert.equal((await readFile(join(a, 'webhook-secret'), 'utf8')).trim(), first);
    } finally {
      await Promise.all([rm(a, { recursive: true }), rm(b, { recursive: true })]);
    }
  });

  test("scripts fill in this checkout's stack settings, and what the shell sets wins", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'poolflow-env-'));
    try {
      const file = join(dir, 'dev.env');
      await writeFile(
        file,
        'export PORT=3100\nexport DATABASE_URL=postgres://poolflow@127.0.0.1:54420/poolflow\nexport STRIPE_WEBHOOK_SECRET=whsec_local_abc\n',
      );
      const env: NodeJS.ProcessEnv = { DATABASE_URL: 'postgres://elsewhere/db' };
      assert.equal(loadDevStackEnv(file, env), true);
      assert.deepEqual(env, { PORT: '3100', DATABASE_URL: 'postgres://elsewhere/db', STRIPE_WEBHOOK_SECRET: 'whsec_local_abc' });
      assert.equal(loadDevStackEnv(join(dir, 'missing.env'), {}), false);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
