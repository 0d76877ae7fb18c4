// Helpers for the assessment tests only: a one-phase pack built from a few rules, and a session that
// drives an account through ticks, fills and day closes while keeping every outcome for assertions.
import {
  applyCharge,
  applyFill,
  applyTick,
  closeDay,
  createAccount,
  type AccountState,
  type AccountStep,
  type Outcome,
  type Side,
  type Violation,
} from '../../domain/assessments/account';
import { evaluate, type Evaluation } from '../../domain/assessments/evaluate';
import { parseRulePack, type PhaseKind, type RulePack, type RulePackInput } from '../../domain/assessments/rule-pack';

type RuleInput = NonNullable<RulePackInput['phases'][number]['rules']>[number];

export interface PackOptions {
  accountSizeMinor: string;
  rules: RuleInput[];
  kind?: PhaseKind;
  tradingDay?: RulePackInput['tradingDay'];
  instruments?: RulePackInput['instruments'];
  currency?: string;
}

/** A pack with one phase of `rules` and, unless given, one instrument "X" worth one currency unit per point. */
export function customPack(options: PackOptions): RulePack {
  const kind = options.kind ?? (options.rules.some((rule) => rule.type === 'profit-target') ? 'challenge' : 'funded');
  return parseRulePack({
    tierId: 'scenario',
    version: 1,
    name: 'Scenario pack',
    currency: options.currency ?? 'usd',
    priceMinor: '10000',
    accountSizeMinor: options.accountSizeMinor,
    tradingDay: options.tradingDay ?? { timeZone: 'UTC', resetTime: '00:00' },
    instruments: options.instruments ?? [{ symbol: 'X', contractSize: '1', halfSpread: '0', commissionPerUnitMinor: '0' }],
    phases: [{ name: kind, kind, rules: options.rules }],
  });
}

export const at = (iso: string): number => Date.parse(iso);

/** Drives one account and records what each step reported. */
export class Session {
  state: AccountState;
  readonly outcomes: Outcome[] = [];

  constructor(
    readonly pack: RulePack,
    startIso: string,
  ) {
    this.state = createAccount(pack, at(startIso));
  }

  private take(step: AccountStep): this {
    this.state = step.state;
    this.outcomes.push(...step.outcomes);
    return this;
  }

  tick(iso: string, price: string, symbol = 'X'): this {
    return this.take(applyTick(this.state, this.pack, { symbol, price, atMs: at(iso) }));
  }

  open(
    iso: string,
    id: string,
    side: Side,
    quantity: string,
    price: string,
    extra: { stopLoss?: string; takeProfit?: string; commissionMinor?: string; symbol?: string } = {},
  ): this {
    const { commissionMinor = '0', symbol = 'X', ...stops } = extra;
    return this.take(applyFill(this.state, this.pack, { kind: 'open', fillId: id, atMs: at(iso), symbol, side, quantity, price, commissionMinor, ...stops }));
  }

  close(iso: string, id: string, positionId: string, quantity: string, price: string, commissionMinor = '0'): this {
    return this.take(applyFill(this.state, this.pack, { kind: 'close', fillId: id, atMs: at(iso), positionId, quantity, price, commissionMinor }));
  }

  charge(iso: string, id: string, amountMinor: string): this {
    return this.take(applyCharge(this.state, this.pack, { chargeId: id, atMs: at(iso), amountMinor }));
  }

  closeDay(iso: string): this {
    return this.take(closeDay(this.state, this.pack, at(iso)));
  }

  evaluation(): Evaluation {
    return evaluate(this.state, this.pack);
  }

  violations(): Violation[] {
    return this.outcomes.flatMap((outcome) => (outcome.kind === 'violation' ? [outcome.violation] : []));
  }
}
