// The real entry points (api/main.ts, workers/main.ts) refuse to start outside development mode with a
// default or missing secret, refuse a live Stripe key with a local-development secret in any mode, and
// the development API listens on the loopback interface only.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { testConfig } from './support/env';
import { eventually } from './support/eventually';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** tsx takes a few seconds to start on a loaded machine; a process that refuses exits right after. */
const EXIT_TIMEOUT_MS = 60_000;

/** A clean environment: nothing of the caller's Poolflow settings leaks into the child. */
const bare = (extra: Record<string, string>) => ({ PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...extra });

function run(
  script: string,
  env: Record<string, string>,
): { exited: Promise<{ code: number | null; stderr: string }>; stdout: () => string; kill: () => void } {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not exit within ${EXIT_TIMEOUT_MS} ms; stderr: ${stderr.slice(0, 500)}`));
    }, EXIT_TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
  return { exited, stdout: () => stdout, kill: () => child.kill('SIGTERM') };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The local addresses that listen on `port`, from the kernel's socket table (hex, as /proc shows them). */
async function listeningAddresses(port: number): Promise<string[]> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const addresses: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const line of lines) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === '0A' && local?.endsWith(`:${hexPort}`)) addresses.push(local.split(':')[0]!);
    }
  }
  return addresses;
}

describe('secrets and modes at process start', () => {
  test('outside development mode, the API refuses default secrets and names each', async () => {
    const { code, stderr } = await run('api/main.ts', bare({})).exited;
    assert.equal(code, 78, stderr);
    assert.match(stderr, /refusing to start in production mode/);
    for (const name of ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'JWT_SECRET']) assert.match(stderr, new RegExp(`${name}: missing or`));
  });

  test('outside development mode, the worker refuses them too', async () => {
    const { code, stderr } = await run('workers/main.ts', bare({ STRIPE_WEBHOOK_SECRET: 'whsec_local_development_only' })).exited;
    assert.equal(code, 78, stderr);
    assert.match(stderr, /STRIPE_SECRET_KEY: missing or/);
    assert.match(stderr, /STRIPE_WEBHOOK_SECRET: missing or a local-development secret/);
  });

  test('a live Stripe key with a local-development secret is refused even in development mode', async () => {
    const { code, stderr } = await run('api/main.ts', bare({ POOLFLOW_MODE: 'development', STRIPE_SECRET_KEY: 'sk_live_51NotARealKey' })).exited;
    assert.equal(code, 78, stderr);
    assert.match(stderr, /STRIPE_WEBHOOK_SECRET: a live Stripe key needs/);
    assert.match(stderr, /JWT_SECRET: a live Stripe key needs/);
  });

  test('the development API listens on 127.0.0.1 only', async () => {
    const port = await freePort();
    const api = run(
      'api/main.ts',
      bare({
        POOLFLOW_MODE: 'development',
        PORT: String(port),
        DATABASE_URL: testConfig.databaseUrl,
        REDIS_URL: testConfig.redisUrl,
        TEMPORAL_ADDRESS: testConfig.temporalAddress,
        STRIPE_API_URL: testConfig.stripeApiUrl,
      }),
    );
    try {
      const addresses = await eventually(
        'the API to listen',
        async () => {
          const found = await listeningAddresses(port);
          return found.length > 0 ? found : undefined;
        },
        EXIT_TIMEOUT_MS,
      );
      assert.deepEqual(addresses, ['0100007F'], `listening on ${addresses.join(', ')}; stdout: ${api.stdout().slice(0, 300)}`);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(health.status, 200);
    } finally {
      api.kill();
      await api.exited.catch(() => {});
    }
  });
});
