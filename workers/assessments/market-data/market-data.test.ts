// The market-data sources and their publishing into Redis: the synthetic feed is the same for the same
// seed and keeps a prediction contract inside (0, 1); a recorded tick file replays in order and a bad
// line names itself; ingesting publishes the latest price per symbol and a bounded stream, and a tick a
// source got wrong is dropped, never published.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { parseDecimal } from '../../../domain/assessments/decimal';
import { createLogger } from '../../../observability/log';
import { testRedis } from '../../../test/support/env';
import { ingest } from './ingest';
import { latestPrice, ticksFromStream } from './publisher';
import { createReplayFeed, readTickFile, ReplayFileError } from './replay-feed';
import type { PriceSource, Tick } from './source';
import { createSyntheticFeed, createSyntheticWalk } from './synthetic-feed';
import { TICK_STREAM_KEY } from '../../../cache/keys';

const SAMPLE = fileURLToPath(new URL('./sample-ticks.jsonl', import.meta.url));

async function collect(source: PriceSource): Promise<Tick[]> {
  const ticks: Tick[] = [];
  for await (const tick of source.ticks(new AbortController().signal)) ticks.push(tick);
  return ticks;
}

describe('market data', () => {
  const redis = testRedis();
  after(() => redis.disconnect());

  test('the synthetic walk is the same for the same seed, differs for another, and keeps the contract inside (0, 1)', () => {
    const a = createSyntheticWalk('seed-1');
    const b = createSyntheticWalk('seed-1');
    const c = createSyntheticWalk('seed-2');
    const runA = Array.from({ length: 2_000 }, () => a.next());
    const runB = Array.from({ length: 2_000 }, () => b.next());
    const runC = Array.from({ length: 2_000 }, () => c.next());
    assert.deepEqual(runA, runB);
    assert.notDeepEqual(runA, runC);
    const contract = runA.map((round) => parseDecimal(round.find((t) => t.symbol === 'PRED-YES')!.price));
    assert.ok(contract.every((p) => p >= parseDecimal('0.01') && p <= parseDecimal('0.99')));
    const series = (symbol: string) => runA.map((round) => Number(round.find((t) => t.symbol === symbol)!.price));
    assert.ok(new Set(series('BTC-USD')).size > 100, 'the price moves');
    // Jumps happen: some single steps are far larger than the ordinary step limits (8-15 bps).
    const jumps = ['BTC-USD', 'ETH-USD', 'SOL-USD'].map((symbol) => series(symbol).filter((p, i, all) => i > 0 && Math.abs(p / all[i - 1]! - 1) > 0.01).length);
    assert.ok(jumps.reduce((a, b) => a + b) > 0, `jumps: ${jumps.join(', ')}`);
  });

  test('a bounded synthetic feed yields one tick per symbol per round', async () => {
    const ticks = await collect(createSyntheticFeed({ seed: 'x', intervalMs: 1, roundsMax: 3, nowMs: () => 1_800_000_000_000 }));
    assert.equal(ticks.length, 12);
    assert.deepEqual([...new Set(ticks.map((t) => t.symbol))], ['BTC-USD', 'ETH-USD', 'SOL-USD', 'PRED-YES']);
  });

  test('a recorded tick file replays in order, and a bad line is named', async () => {
    const recorded = await readTickFile(SAMPLE);
    assert.equal(recorded.length, 600);
    let now = 1_900_000_000_000;
    const replayed = await collect(createReplayFeed({ path: SAMPLE, speed: 0, nowMs: () => now++ }));
    assert.deepEqual(
      replayed.map((t) => [t.symbol, t.price]),
      recorded.map((t) => [t.symbol, t.price]),
    );
    const dir = await mkdtemp(join(tmpdir(), 'ticks-'));
    const bad = join(dir, 'bad.jsonl');
    await writeFile(bad, '{"symbol":"BTC-USD","price":"1","atMs":1800000000000}\n{"symbol":"BTC-USD","price":"-5","atMs":1800000000001}\n');
    await assert.rejects(readTickFile(bad), (error: unknown) => error instanceof ReplayFileError && /line 2/.test(error.message));
  });

  test('ingesting publishes the latest price and the stream, and drops a tick a source got wrong', async () => {
    const ticks: Tick[] = [
      { symbol: 'BTC-USD', price: '64000.5', atMs: 1_800_000_000_000 },
      { symbol: 'btc-usd', price: '1', atMs: 1_800_000_000_001 },
      { symbol: 'BTC-USD', price: '64001', atMs: 1_800_000_000_002 },
      { symbol: 'ETH-USD', price: '1e3', atMs: 1_800_000_000_003 },
    ];
    const source: PriceSource = {
      name: 'fixed',
      async *ticks() {
        yield* ticks;
      },
    };
    const result = await ingest(source, redis, createLogger('market-data-test'), new AbortController().signal);
    assert.deepEqual(result, { published: 2, dropped: 2 });
    assert.deepEqual(await latestPrice(redis, 'BTC-USD'), { price: '64001', atMs: 1_800_000_000_002 });
    assert.equal(await latestPrice(redis, 'ETH-USD'), null);
    const entries = (await redis.xrange(TICK_STREAM_KEY, '-', '+')) as Array<[string, string[]]>;
    assert.deepEqual(
      ticksFromStream(entries).map((t) => t.price),
      ['64000.5', '64001'],
    );
  });
});
