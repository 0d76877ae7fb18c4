// Prometheus's promtool (Debian's prometheus package, installed by the test stack's scripts) for
// checking the alert rules and running rule unit tests against them.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ALERT_RULES_PATH = fileURLToPath(new URL('../../ops/prometheus/alerts.yml', import.meta.url));
const PROMTOOL_TIMEOUT_MS = 60_000;

export function promtoolPath(): string {
  const path = process.env.PROMTOOL;
  if (!path) throw new Error('PROMTOOL is not set: run the tests with `npm test`, which installs promtool (Debian package prometheus)');
  return path;
}

/** Runs promtool with `args`; resolves with its output, rejects with it when promtool fails. */
export async function promtool(args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(promtoolPath(), args, { timeout: PROMTOOL_TIMEOUT_MS });
    return stdout + stderr;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${stdout}${stderr}`);
  }
}

/** Runs a rule unit test (promtool's test-file YAML, without rule_files) against Poolflow's alert rules. */
export async function testAlertRules(testYaml: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'poolflow-rules-'));
  try {
    const file = join(dir, 'rules.test.yml');
    await writeFile(file, `rule_files: [${JSON.stringify(ALERT_RULES_PATH)}]\n${testYaml}`);
    return await promtool(['test', 'rules', file]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
