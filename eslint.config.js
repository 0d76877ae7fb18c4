// Lint rules: typescript-eslint's type-aware checks, plus the determinism wall — workflow and domain
// code may not import I/O (Node built-ins, pg, stripe, ioredis, db/, activities/) at run time, nor read
// the clock or randomness directly. Type-only imports across the wall are allowed.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const IO_MODULES = ['pg', 'pg-*', 'stripe', 'ioredis', 'hono', 'hono/*', '@hono/*', 'jose'];
const IO_FOLDERS = ['**/db', '**/db/**', '**/activities', '**/activities/**', '**/cache/**', '**/api/**', '**/workers/**'];
const NODE_BUILTINS = ['node:*', 'fs', 'fs/*', 'path', 'os', 'crypto', 'child_process', 'http', 'https', 'net', 'dns', 'worker_threads', 'timers', 'timers/*'];

export const determinismRestrictions = {
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        {
          group: [...IO_MODULES, ...IO_FOLDERS, ...NODE_BUILTINS],
          allowTypeImports: true,
          message: 'workflow and domain code must stay deterministic: import I/O only as a type (import type …).',
        },
      ],
    },
  ],
  'no-restricted-properties': [
    'error',
    { object: 'Math', property: 'random', message: 'use a seeded generator passed in (domain/) or the workflow’s own random.' },
  ],
  'no-restricted-globals': [
    'error',
    { name: 'setTimeout', message: 'use a Temporal timer (sleep/condition) in workflows; domain code has no time.' },
    { name: 'setInterval', message: 'use a Temporal timer (sleep/condition) in workflows; domain code has no time.' },
    { name: 'fetch', message: 'I/O belongs in activities.' },
    { name: 'process', message: 'the environment belongs to activities and workers.' },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', '.data/', 'test/fixtures/lint/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's describe() and test() return promises that the runner itself awaits.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'test', 'it', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
    },
  },
  {
    // The lint fixtures stand in for workflow and domain files; they are linted only by their test.
    files: ['workflows/**/*.ts', 'domain/**/*.ts', 'test/fixtures/lint/workflows/*.ts', 'test/fixtures/lint/domain/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: determinismRestrictions,
  },
  {
    // Domain code does not even get the workflow's deterministic clock: time is passed in.
    files: ['domain/**/*.ts', 'test/fixtures/lint/domain/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'domain code takes the time as an argument.' },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'domain code takes the time as an argument.' },
      ],
    },
  },
);
