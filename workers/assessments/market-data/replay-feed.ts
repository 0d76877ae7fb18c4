// Replays a recorded tick file (JSON lines: {"symbol":"BTC-USD","price":"64012.5","atMs":1732…}) at its
// recorded pace, scaled by `speed`, re-stamped with the present time so consumers see live ticks.
import { readFile } from 'node:fs/promises';
import { checkTick, pause, type PriceSource, type Tick } from './source';

/** A recorded file is read whole: at most this many bytes and ticks. */
export const REPLAY_FILE_BYTES_MAX = 64 * 1024 * 1024;
export const REPLAY_TICKS_MAX = 1_000_000;
/** A gap in the recording longer than this is shortened to it, so a replay never stalls for hours. */
export const REPLAY_GAP_MS_MAX = 60_000;

/** Thrown when a recorded tick file cannot be replayed; names the line. */
export class ReplayFileError extends Error {}

export async function readTickFile(path: string): Promise<Tick[]> {
  const text = await readFile(path, 'utf8');
  if (text.length > REPLAY_FILE_BYTES_MAX) throw new ReplayFileError(`${path} is larger than ${REPLAY_FILE_BYTES_MAX} bytes`);
  const ticks: Tick[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    if (ticks.length >= REPLAY_TICKS_MAX) throw new ReplayFileError(`${path} holds more than ${REPLAY_TICKS_MAX} ticks`);
    try {
      const tick = checkTick(JSON.parse(line) as Tick);
      if (ticks.length > 0 && tick.atMs < ticks[ticks.length - 1]!.atMs) throw new Error('ticks go back in time');
      ticks.push({ symbol: tick.symbol, price: tick.price, atMs: tick.atMs });
    } catch (error) {
      throw new ReplayFileError(`${path} line ${i + 1}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return ticks;
}

export interface ReplayFeedOptions {
  path: string;
  /** 1 = recorded pace, 10 = ten times faster; 0 = as fast as the consumer reads. */
  speed: number;
  nowMs?: () => number;
}

export function createReplayFeed(options: ReplayFeedOptions): PriceSource {
  const nowMs = options.nowMs ?? Date.now;
  return {
    name: `replay(${options.path}, speed=${options.speed})`,
    async *ticks(signal: AbortSignal): AsyncIterable<Tick> {
      const recorded = await readTickFile(options.path);
      let previousAtMs: number | undefined;
      for (const tick of recorded) {
        if (signal.aborted) return;
        if (previousAtMs !== undefined && options.speed > 0) {
          const gapMs = Math.min(tick.atMs - previousAtMs, REPLAY_GAP_MS_MAX) / options.speed;
          if (gapMs >= 1) await pause(gapMs, signal);
        }
        previousAtMs = tick.atMs;
        yield { symbol: tick.symbol, price: tick.price, atMs: nowMs() };
      }
    },
  };
}
