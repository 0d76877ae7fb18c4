// The determinism wall is enforced by lint: the project's own ESLint configuration rejects workflow and
// domain files that import I/O or read the clock or randomness, and allows type-only imports.
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { ESLint } from 'eslint';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixture = (name: string) => path.join(ROOT, 'test/fixtures/lint', name);

async function lintFixture(name: string) {
  // ignore: false lints the fixtures, which the project's `eslint .` deliberately leaves out.
  const eslint = new ESLint({ cwd: ROOT, ignore: false });
  const [result] = await eslint.lintFiles([fixture(name)]);
  return result!.messages.map((m) => ({ rule: m.ruleId, line: m.line, message: m.message }));
}

describe('determinism lint rule', () => {
  test('rejects a workflow file that imports pg', async () => {
    const messages = await lintFixture('workflows/imports-pg.ts');
    assert.deepEqual(
      messages.map((m) => [m.rule, m.line]),
      [['no-restricted-imports', 2]],
      JSON.stringify(messages),
    );
    assert.match(messages[0]!.message, /must stay deterministic/);
  });

  test('allows type-only imports across the wall', async () => {
    assert.deepEqual(await lintFixture('workflows/imports-types-only.ts'), []);
  });

  test('rejects clock, randomness and Node built-ins in domain code', async () => {
    const rules = (await lintFixture('domain/reads-clock.ts')).map((m) => `${m.rule}@${m.line}`).sort();
    assert.deepEqual(rules, ['no-restricted-imports@2', 'no-restricted-properties@6', 'no-restricted-syntax@4', 'no-restricted-syntax@5']);
  });
});
