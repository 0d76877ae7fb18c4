// The risk monitor's core, free of I/O: the open accounts it watches, indexed by the symbols they hold,
// and what each tick means for them. Every tick is applied with domain/assessments' applyTick to the
// monitor's copy of the account; only a hard breach, a warning or a stop-loss/take-profit crossing
// becomes a signal for the workflow, which applies the same ticks itself and decides.
import { applyTick, parseDecimal, type AccountState, type RulePack, type Tick } from '../../../domain/assessments/index';
import type { MonitoredAccount } from '../../../activities/assessments/live';
import type { RiskSignal } from '../../../workflows/assessments/assessment';

/** Accounts one monitor process watches at most. */
export const WATCHED_ACCOUNTS_MAX = 100_000;
/** A signal that brought no new version from the workflow is sent again after this long. */
export const RESIGNAL_AFTER_MS = 5_000;

interface Watched {
  assessmentId: string;
  pack: RulePack;
  version: number;
  account: AccountState;
  /** The symbols it is indexed under: those of the positions the workflow's version holds. */
  symbols: string[];
  /** The marks of the held symbols when equity made its high since the workflow's last version. */
  highMarks: Tick[];
  highEquityMinor: bigint;
  /** When a signal was last sent for this version (0: none). */
  signalledAtMs: number;
  signalledKinds: Set<RiskSignal['kind']>;
}

export interface OutgoingSignal {
  assessmentId: string;
  signal: RiskSignal;
}

export function createRiskEvaluator() {
  const watched = new Map<string, Watched>();
  const bySymbol = new Map<string, Set<string>>();

  // Indexed by the workflow's positions; the monitor's own copy may close some (a stop crossed) before
  // the workflow's next version arrives, and keeps watching the symbol until then.
  function unindex(w: Watched): void {
    for (const symbol of w.symbols) bySymbol.get(symbol)?.delete(w.assessmentId);
  }
  function index(w: Watched): void {
    for (const symbol of w.symbols) {
      let ids = bySymbol.get(symbol);
      if (!ids) bySymbol.set(symbol, (ids = new Set()));
      ids.add(w.assessmentId);
    }
  }
  const heldMarks = (account: AccountState): Tick[] =>
    [...new Set(account.positions.map((p) => p.symbol))].flatMap((symbol) => {
      const mark = account.marks[symbol];
      return mark ? [{ symbol, price: mark.price, atMs: mark.atMs }] : [];
    });

  return {
    get size() {
      return watched.size;
    },

    /** The workflow version and open positions the monitor holds for an assessment (undefined: not watched). */
    watching(assessmentId: string): { version: number; positions: number } | undefined {
      const w = watched.get(assessmentId);
      return w && { version: w.version, positions: w.account.positions.length };
    },

    /** Takes the workflow's latest account (or stops watching when `entry` is null or older than what it holds). */
    update(assessmentId: string, entry: MonitoredAccount | null, pack: RulePack | null): void {
      const known = watched.get(assessmentId);
      if (known && entry && entry.version <= known.version) return;
      if (known) {
        unindex(known);
        watched.delete(assessmentId);
      }
      if (!entry || !pack || entry.account.status === 'failed' || entry.account.status === 'passed') return;
      if (watched.size >= WATCHED_ACCOUNTS_MAX) throw new RangeError(`the risk monitor watches at most ${WATCHED_ACCOUNTS_MAX} accounts`);
      const w: Watched = {
        assessmentId,
        pack,
        version: entry.version,
        account: entry.account,
        symbols: [...new Set(entry.account.positions.map((position) => position.symbol))],
        highMarks: heldMarks(entry.account),
        highEquityMinor: BigInt(entry.account.equityMinor),
        signalledAtMs: 0,
        signalledKinds: new Set(),
      };
      watched.set(assessmentId, w);
      index(w);
    },

    /** Applies one tick to every account holding its symbol; returns the signals the workflows must get. */
    onTick(tick: Tick, nowMs: number): OutgoingSignal[] {
      const ids = bySymbol.get(tick.symbol);
      if (!ids || ids.size === 0) return [];
      const out: OutgoingSignal[] = [];
      for (const id of ids) {
        const w = watched.get(id)!;
        const before = w.account;
        const step = applyTick(before, w.pack, tick);
        if (step.state === before) continue;
        w.account = step.state;
        const equity = BigInt(step.state.equityMinor);
        if (equity > w.highEquityMinor) {
          w.highEquityMinor = equity;
          w.highMarks = heldMarks(step.state);
        }
        let kind: RiskSignal['kind'] | null = null;
        for (const outcome of step.outcomes) {
          if (outcome.kind === 'status' && outcome.status === 'failed') kind = 'breach';
          else if (outcome.kind === 'trade-closed' && kind !== 'breach') kind = 'stop';
          else if (outcome.kind === 'warning' && kind === null) kind = 'warning';
        }
        if (kind === null && step.state.status === 'failed') kind = 'breach';
        if (kind === null) continue;
        // Signalled already for this version: wait for the workflow's answer, repeating only if it is slow.
        if (w.signalledKinds.has(kind) && nowMs - w.signalledAtMs < RESIGNAL_AFTER_MS) continue;
        w.signalledKinds.add(kind);
        w.signalledAtMs = nowMs;
        // The marks of the equity high first (a trailing floor needs them), then the tick itself.
        const ticks = [...w.highMarks.filter((mark) => mark.symbol !== tick.symbol || mark.atMs < tick.atMs), tick].sort((a, b) => a.atMs - b.atMs);
        out.push({ assessmentId: id, signal: { kind, version: w.version, ticks } });
      }
      return out;
    },

    /** The baseline the benchmark compares with: the same positions marked by a bare loop, no rules. */
    bareMark(tick: Tick): bigint {
      const ids = bySymbol.get(tick.symbol);
      if (!ids) return 0n;
      const price = parseDecimal(tick.price);
      let total = 0n;
      for (const id of ids) {
        for (const position of watched.get(id)!.account.positions) {
          if (position.symbol !== tick.symbol) continue;
          const delta = price - parseDecimal(position.entryPrice);
          total += ((position.side === 'long' ? delta : -delta) * parseDecimal(position.quantity)) / 10n ** 8n;
        }
      }
      return total;
    },
  };
}
