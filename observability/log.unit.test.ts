// The log lines every process writes: levels, errors with their stack and cause, money as decimal strings,
// and the HTTP request, Temporal activity and SDK metadata they were written under as their own fields.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createLogger, type LogLevel } from './log';
import { requestContext } from './request-context';
import { temporalLoggerAdapter } from './temporal-logger';

/** A logger whose lines are parsed into `lines` instead of going to stderr. */
function capturing(level: LogLevel = 'trace') {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('log-test', { service: 'unit' }, { level, destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
  return { log, lines };
}

describe('log lines', () => {
  test('carry the time, level, component, base fields, the message and the fields given', () => {
    const { log, lines } = capturing();
    log.info('pool created', { poolId: 'p-1' });
    assert.equal(lines.length, 1);
    const [line] = lines;
    assert.match(String(line?.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(
      { ...line, time: undefined },
      { level: 'info', time: undefined, component: 'log-test', service: 'unit', poolId: 'p-1', msg: 'pool created' },
    );
  });

  test('below the logger’s level are not written', () => {
    const { log, lines } = capturing('warn');
    log.debug('detail');
    log.info('progress');
    log.warn('slow');
    log.error('failed');
    assert.deepEqual(
      lines.map((l) => l.level),
      ['warn', 'error'],
    );
  });

  test('keep an error’s type, message, stack and cause, under `error` or `err`', () => {
    const { log, lines } = capturing();
    class ChargeRefused extends Error {}
    log.error('charge failed', { error: new ChargeRefused('declined', { cause: new Error('card_declined') }) });
    log.warn('retrying', { err: new TypeError('fetch failed') });
    const error = lines[0]?.error as { type: string; message: string; stack: string };
    assert.equal(error.type, 'ChargeRefused');
    assert.match(error.message, /^declined/);
    assert.match(error.stack, /log\.unit\.test\.ts/, 'the stack points at where the error was made');
    assert.match(error.stack, /caused by: Error: card_declined/);
    assert.equal((lines[1]?.err as { type: string }).type, 'TypeError');
  });

  test('write bigint money as exact decimal strings', () => {
    const { log, lines } = capturing();
    log.info('payout', { amountMinor: 9_007_199_254_740_993n });
    assert.equal(lines[0]?.amountMinor, '9007199254740993');
  });

  test('written while the API serves a request carry its request ID', async () => {
    const { log, lines } = capturing();
    await requestContext.run({ requestId: 'req-42' }, async () => log.info('inside'));
    log.info('outside');
    assert.equal(lines[0]?.requestId, 'req-42');
    assert.equal(lines[1]?.requestId, undefined);
  });

  test('written inside an activity carry its workflow ID, type, ID and attempt', async () => {
    const { log, lines } = capturing();
    const env = new MockActivityEnvironment({
      activityType: 'chargeContribution',
      activityId: '7',
      attempt: 3,
      workflowExecution: { workflowId: 'pool/p-1/round/2', runId: 'r' },
    });
    await env.run(async () => log.info('charging'));
    assert.deepEqual(
      { workflowId: lines[0]?.workflowId, activityType: lines[0]?.activityType, activityId: lines[0]?.activityId, attempt: lines[0]?.attempt },
      { workflowId: 'pool/p-1/round/2', activityType: 'chargeContribution', activityId: '7', attempt: 3 },
    );
  });

  test('from the Temporal SDK keep its level and metadata as fields', () => {
    const { log, lines } = capturing('info');
    const sdk = temporalLoggerAdapter(log);
    sdk.log('WARN', 'Workflow task failed', { sdkComponent: 'worker', workflowId: 'pool/p-1', runId: 'r-1', error: new Error('nondeterminism') });
    sdk.debug('polling');
    assert.equal(lines.length, 1);
    const [line] = lines;
    assert.equal(line?.level, 'warn');
    assert.equal(line?.msg, 'Workflow task failed');
    assert.equal(line?.workflowId, 'pool/p-1');
    assert.equal(line?.sdkComponent, 'worker');
    assert.match((line?.error as { stack: string }).stack, /nondeterminism/);
  });
});
