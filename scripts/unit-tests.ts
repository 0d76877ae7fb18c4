// `npm run test:unit`: the fast pure tier, every test under domain/ and every *.unit.test.ts file, in
// one process (a process per file would spend most of the time starting Node and compiling), with no
// stack: these tests touch no database, Redis, Temporal or Stripe.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SKIPPED_DIRS = new Set(['node_modules', '.tools', '.data', '.git']);

/** Whether a file (relative to the root) belongs to the unit tier: the rule the README states. */
function isUnitTest(relative: string): boolean {
  return relative.endsWith('.unit.test.ts') || (relative.startsWith(`domain${path.sep}`) && relative.endsWith('.test.ts'));
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) yield* walk(path.join(dir, entry.name));
    } else if (entry.isFile()) yield path.relative(ROOT, path.join(dir, entry.name));
  }
}

const files = [...walk(ROOT)].filter(isUnitTest).sort();
if (files.length === 0) throw new Error('no unit test files found (domain/**/*.test.ts, **/*.unit.test.ts)');
for (const file of files) await import(pathToFileURL(path.join(ROOT, file)).href);
