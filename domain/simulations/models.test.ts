// Each model against closed forms or exact references, written out here, within 4 standard errors:
// GBM's terminal mean and variance, the Brownian barrier-crossing probability, gambler's ruin and an exact
// finite-horizon recursion for the trading model, and the binomial probability of a pool shortfall.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assessmentModel, assessmentParams } from './assessment';
import { investmentModel, investmentParams } from './investment';
import { poolShortfallModel, poolShortfallParams } from './pool-shortfall';
import { runBlocks } from './run-blocks';
import { foldMoments } from './statistics';

const within = (label: string, estimate: number, reference: number, standardError: number) =>
  assert.ok(Math.abs(estimate - reference) <= 4 * standardError, `${label}: ${estimate} vs ${reference} (4 SE = ${4 * standardError})`);

// Standard normal CDF by Simpson integration of the density (reference only).
function normalCdf(x: number): number {
  const steps = 4_000;
  const h = Math.abs(x) / steps;
  const f = (t: number) => Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI);
  let sum = f(0) + f(Math.abs(x));
  for (let i = 1; i < steps; i++) sum += f(i * h) * (i % 2 ? 4 : 2);
  return 0.5 + Math.sign(x) * ((sum * h) / 3);
}

describe('investment projection (GBM)', () => {
  test('terminal value: mean S0·e^{μT}, variance S0²·e^{2μT}(e^{σ²T} − 1)', () => {
    const s0 = 1_000_000;
    const mu = 0.08;
    const sigma = 0.25;
    const params = investmentParams.parse({ initialMinor: s0, periods: 12, periodsPerYear: 12, returns: { type: 'gbm', drift: mu, volatility: sigma } });
    const n = 40_960;
    const summary = runBlocks(investmentModel, params, 11, n, 0, 40);
    const m = foldMoments(summary.blockMoments[0]!, summary.minimum[0]!, summary.maximum[0]!);
    // Raw moments of the lognormal: E[X^k] = S0^k exp(k·(μ − σ²/2)T + k²σ²T/2).
    const raw = (k: number) => s0 ** k * Math.exp(k * (mu - sigma ** 2 / 2) + (k * k * sigma ** 2) / 2);
    const mean = raw(1);
    const variance = raw(2) - mean ** 2;
    const fourthCentral = raw(4) - 4 * raw(3) * mean + 6 * raw(2) * mean ** 2 - 3 * mean ** 4;
    within('mean', m.mean, mean, Math.sqrt(variance / n));
    within('variance', m.variance, variance, Math.sqrt((fourthCentral - variance ** 2) / n));
  });

  test('probability of touching a floor: the first-passage law of Brownian motion with drift', () => {
    const mu = 0.05;
    const sigma = 0.3;
    const floor = 0.85;
    const params = investmentParams.parse({
      initialMinor: 1_000_000,
      periods: 50,
      periodsPerYear: 50,
      floorFraction: floor,
      returns: { type: 'gbm', drift: mu, volatility: sigma },
    });
    const summary = runBlocks(investmentModel, params, 12, 20_480, 0, 20);
    const breach = foldMoments(summary.blockMoments[2]!, summary.minimum[2]!, summary.maximum[2]!);
    // log S_t/S_0 = νt + σW_t; P(min ≤ −a) = Φ((−a − νT)/σ√T) + e^{−2νa/σ²} Φ((−a + νT)/σ√T), T = 1.
    const nu = mu - sigma ** 2 / 2;
    const a = -Math.log(floor);
    const reference = normalCdf((-a - nu) / sigma) + Math.exp((-2 * nu * a) / sigma ** 2) * normalCdf((-a + nu) / sigma);
    within('barrier', breach.mean, reference, breach.standardError);
  });

  test('bootstrap returns, contributions and fees: the mean follows the expected growth per period', () => {
    const returns = [0.03, -0.02, 0.01, 0.05, -0.04];
    const growth = 1 + returns.reduce((s, r) => s + r, 0) / returns.length;
    const params = investmentParams.parse({
      initialMinor: 100_000,
      contributionMinor: 1_000,
      managementFeeBps: 120,
      periods: 24,
      periodsPerYear: 12,
      returns: { type: 'bootstrap', periodReturns: returns },
    });
    const summary = runBlocks(investmentModel, params, 13, 10_240, 0, 10);
    const m = foldMoments(summary.blockMoments[0]!, summary.minimum[0]!, summary.maximum[0]!);
    // Independent draws: E[V_{t+1}] = E[V_t]·g·(1 − fee/12) + c.
    let expected = 100_000;
    for (let t = 0; t < 24; t++) expected = expected * growth * (1 - 0.012 / 12) + 1_000;
    within('bootstrap mean', m.mean, expected, m.standardError);
    const report = investmentModel.report(params, summary) as { valueAtRisk: { lossMinor: number }; expectedShortfall: { lossMinor: number } };
    assert.ok(report.expectedShortfall.lossMinor >= report.valueAtRisk.lossMinor - 1e-6 * 124_000, 'expected shortfall is at least VaR');
  });
});

describe('assessment pass probability', () => {
  const base = { initialBalanceMinor: 100_000, winRate: 0.45, rewardToRisk: 1, riskPerTradeMinor: 1_000 };

  test('gambler’s ruin: pass = (1 − (q/p)^a) / (1 − (q/p)^(a+b)) with a long time limit', () => {
    // Fail at a loss of 5 units (limit 4,999 exceeded), pass at a profit of 10 units.
    const params = assessmentParams.parse({ ...base, tradesPerDay: 50, rules: { profitTargetMinor: 10_000, maxLossMinor: 4_999, timeLimitDays: 200 } });
    const n = 20_480;
    const report = assessmentModel.report(params, runBlocks(assessmentModel, params, 21, n, 0, 20)) as Record<
      string,
      { estimate: number; standardError: number }
    >;
    const r = 0.55 / 0.45;
    const reference = (1 - r ** 5) / (1 - r ** 15);
    within('pass', report.pass!.estimate, reference, Math.sqrt((reference * (1 - reference)) / n));
    assert.equal(report.timeout!.estimate, 0);
  });

  test('pass, fail and timeout separately, against an exact recursion over a short horizon with a daily loss limit', () => {
    const rules = { profitTargetMinor: 3_000, dailyLossMinor: 1_999, maxLossMinor: 3_999, timeLimitDays: 4, minTradingDays: 2 };
    const params = assessmentParams.parse({ ...base, winRate: 0.5, tradesPerDay: 3, rules });
    // Exact: track (balance in units, day-start balance) trade by trade.
    const exact = { pass: 0, fail: 0, timeout: 0 };
    const walk = (day: number, trade: number, units: number, dayStart: number, probabilityMass: number) => {
      if (day > 4) return void (exact.timeout += probabilityMass);
      if (trade === 3) return walk(day + 1, 0, units, units, probabilityMass);
      for (const step of [1, -1]) {
        const next = units + step;
        const mass = probabilityMass * 0.5;
        if ((dayStart - next) * 1_000 > 1_999 || -next * 1_000 > 3_999) exact.fail += mass;
        else if (next * 1_000 >= 3_000 && day >= 2) exact.pass += mass;
        else walk(day, trade + 1, next, dayStart, mass);
      }
    };
    walk(1, 0, 0, 0, 1);
    const n = 20_480;
    const report = assessmentModel.report(params, runBlocks(assessmentModel, params, 22, n, 0, 20)) as Record<string, { estimate: number }>;
    for (const outcome of ['pass', 'fail', 'timeout'] as const) {
      const p = exact[outcome];
      within(outcome, report[outcome]!.estimate, p, Math.sqrt((p * (1 - p)) / n));
    }
  });

  test('from here: bootstrapping the trader’s own trades from the current balance', () => {
    // Every trade +500: from 2,000 above the start with a 3,000 target, the next two trades pass on day 6.
    const params = assessmentParams.parse({
      ...base,
      tradesPerDay: 5,
      rules: { profitTargetMinor: 3_000, maxLossMinor: 5_000, timeLimitDays: 30 },
      fromHere: { tradePnlMinor: [500], balanceMinor: 102_000, endOfDayHighMinor: 102_000, highMinor: 102_000, day: 5, tradingDays: 5 },
    });
    const report = assessmentModel.report(params, runBlocks(assessmentModel, params, 23, 100, 0, 1)) as { pass: { estimate: number }; daysToPass: unknown };
    assert.equal(report.pass.estimate, 1);
    assert.deepEqual(report.daysToPass, [{ day: 6, paths: 100 }]);
  });
});

describe('pool shortfall', () => {
  const choose = (n: number, k: number) => {
    let c = 1;
    for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
    return c;
  };

  test('independent defaults without recovery: short exactly when Binomial(members × rounds, p) exceeds what the reserve covers', () => {
    const params = poolShortfallParams.parse({
      defaultProbabilities: Array(10).fill(0.05),
      contributionMinor: 100,
      rounds: 10,
      reserveMinor: 300,
      defaultPolicy: 'cover-from-reserve',
      arrearsRecovered: false,
    });
    let covered = 0;
    for (let k = 0; k <= 3; k++) covered += choose(100, k) * 0.05 ** k * 0.95 ** (100 - k);
    const reference = 1 - covered;
    const n = 20_480;
    const summary = runBlocks(poolShortfallModel, params, 31, n, 0, 20);
    const report = poolShortfallModel.report(params, summary) as {
      shortProbability: { estimate: number };
      defaultsPerPath: { mean: number; standardError: number };
      reserveNeeded: { reserveMinor: number; errorBoundMinor: number };
    };
    within('short', report.shortProbability.estimate, reference, Math.sqrt((reference * (1 - reference)) / n));
    within('defaults', report.defaultsPerPath.mean, 5, Math.sqrt((100 * 0.05 * 0.95) / n));
    // The 99 % reserve: the smallest k·100 with P(Binomial ≤ k) ≥ 0.99 is k = 10 (0.9718 at 9, 0.9885 at 10, 0.9957 at 11);
    // sampling may move it by one contribution either side.
    assert.equal(report.reserveNeeded.errorBoundMinor, 0);
    assert.ok([1_000, 1_100, 1_200].includes(report.reserveNeeded.reserveMinor), `reserve ${report.reserveNeeded.reserveMinor}`);
  });

  test('arrears repaid with the next contribution shrink the shortfall; expelled members leave a gap every round after', () => {
    const common = { defaultProbabilities: Array(8).fill(0.1), contributionMinor: 100, rounds: 8, reserveMinor: 200 };
    const run = (extra: object) => {
      const p = poolShortfallParams.parse({ ...common, ...extra });
      return poolShortfallModel.report(p, runBlocks(poolShortfallModel, p, 32, 4_096, 0, 4)) as { expectedShortfallMinor: { mean: number } };
    };
    const recovered = run({ defaultPolicy: 'suspend', arrearsRecovered: true }).expectedShortfallMinor.mean;
    const unrecovered = run({ defaultPolicy: 'suspend', arrearsRecovered: false }).expectedShortfallMinor.mean;
    const expelled = run({ defaultPolicy: 'expel' }).expectedShortfallMinor.mean;
    assert.ok(recovered < unrecovered && unrecovered < expelled, `${recovered} < ${unrecovered} < ${expelled}`);
  });

  test('parameters are validated, naming the field', () => {
    const result = poolShortfallParams.safeParse({
      defaultProbabilities: [0.1, 1.5],
      contributionMinor: 0,
      rounds: 3,
      reserveMinor: 0,
      defaultPolicy: 'expel',
    });
    assert.equal(result.success, false);
    assert.deepEqual(result.error!.issues.map((i) => i.path.join('.')).sort(), ['contributionMinor', 'defaultProbabilities.1']);
  });
});
