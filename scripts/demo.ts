// `npm run demo`: drives a sample rotating pool through the running API (`npm start`) over HTTP only:
// members sign up, save a card and onboard for payouts; a manager creates the pool, the members join,
// the manager starts it and runs every round now; progress and the pool's ledger are printed as it goes.
import { randomUUID } from 'node:crypto';
import { mintToken, type Role } from '../api/auth';
import { authEnv, parseEnv } from '../config/env';
import type { PoolView } from '../domain/pools/pool-view';
import { loadDevStackEnv } from './dev-stack-env';

loadDevStackEnv();
const API_URL = (process.env.POOLFLOW_API_URL ?? `http://localhost:${process.env.PORT ?? 3000}`).replace(/\/$/, '');
const TEMPORAL_UI_URL = process.env.TEMPORAL_UI_URL ?? 'http://localhost:8233';
const MAIL_CATCHER_URL = process.env.MAIL_CATCHER_URL ?? 'http://localhost:8025';
const MEMBER_NAMES = ['Amara', 'Bola', 'Chen', 'Dawit'];
const CONTRIBUTION_MINOR = 5_000n;
const CURRENCY = 'usd';
/** A request that takes longer has hung (creating a pool waits up to 5 s for its workflow). */
const REQUEST_TIMEOUT_MS = 30_000;
/** A round charges every member, waits for settlement webhooks and pays out: seconds, not minutes. */
const ROUND_TIMEOUT_MS = 120_000;
const POLL_INTERVAL_MS = 250;

/** Thrown when the demo cannot go on; its message says why and what to do. */
class DemoError extends Error {}

interface Problem {
  title?: string;
  detail?: string;
}

interface RoundAnswer {
  status: 'in-progress' | 'finished';
  progress?: { phase: string; members: Array<{ memberId: string; state: string }> };
  potMinor?: string;
  winnerMemberId?: string | null;
  contributions?: Array<{ memberId: string; outcome: string; paidMinor: string; paymentIntentId: string | null }>;
  payouts?: Array<{ memberId: string; purpose: string; amountMinor: string }>;
}

interface Ledger {
  currency: string;
  balances: Array<{ account: string; debitsPostedMinor: string; creditsPostedMinor: string; balanceMinor: string }>;
  invariants: { balanced: boolean; violations: unknown[] };
}

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Minor units as a decimal amount with the currency (the demo's currency has two decimals). */
function money(minor: string | bigint): string {
  const value = BigInt(minor);
  const sign = value < 0n ? '-' : '';
  const abs = value < 0n ? -value : value;
  return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')} ${CURRENCY.toUpperCase()}`;
}

async function api<T>(method: string, path: string, token: string | undefined, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${API_URL}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        // Every POST carries an Idempotency-Key: the API refuses POSTs without one.
        ...(method === 'POST' ? { 'idempotency-key': `demo-${randomUUID()}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new DemoError(
      `cannot reach the Poolflow API at ${API_URL} (${cause}).\n` +
        '  Start the stack in another terminal with `npm start`, wait for "Poolflow is running", then run `npm run demo` again.\n' +
        '  (An API elsewhere: set POOLFLOW_API_URL.)',
    );
  }
  const text = await response.text();
  if (!response.ok) {
    const problem = (text.startsWith('{') ? JSON.parse(text) : { detail: text }) as Problem;
    throw new DemoError(`${method} ${path} answered ${response.status} ${problem.title ?? ''}: ${problem.detail ?? text}`);
  }
  return JSON.parse(text) as T;
}

async function main(): Promise<void> {
  console.log(`Poolflow demo: a rotating savings pool (${MEMBER_NAMES.length} members x ${money(CONTRIBUTION_MINOR)} a round), through ${API_URL}\n`);
  const ready = await api<{ status: string; checks: Record<string, boolean> }>('GET', '/readyz', undefined).catch((error: unknown) => {
    if (error instanceof DemoError && error.message.includes('503'))
      throw new DemoError(`the API is up but not ready (${error.message}): is the whole stack running?`);
    throw error;
  });
  console.log(`API ready: ${Object.keys(ready.checks).join(', ')} answer`);

  // Tokens as `npm run token` mints them, with the secret the local API checks (config/env.ts defaults).
  const auth = parseEnv(authEnv);
  if (!auth.JWT_SECRET) throw new DemoError('this API checks tokens against a JWKS (JWT_JWKS_URL); the demo can only mint tokens with JWT_SECRET');
  const run = randomUUID().slice(0, 6);
  const token = (sub: string, role: Role) => mintToken({ sub, role, secret: auth.JWT_SECRET!, issuer: auth.JWT_ISSUER, audience: auth.JWT_AUDIENCE });

  console.log('\n1. Members sign up, save a card and onboard for payouts');
  const members: Array<{ id: string; name: string; token: string }> = [];
  for (const name of MEMBER_NAMES) {
    const id = `demo-${run}-${name.toLowerCase()}`;
    const memberToken = await token(id, 'member');
    await api('PUT', '/v1/members/me', memberToken, { displayName: name, email: `${id}@example.com` });
    const card = await api<{ cardBrand: string | null; cardLast4: string | null }>('POST', '/v1/members/me/payment-methods', memberToken, {
      paymentMethodId: 'pm_card_visa',
    });
    const payout = await api<{ accountId: string; onboardingUrl: string }>('POST', '/v1/members/me/payout-account', memberToken, {
      returnUrl: 'https://example.com/onboarded',
      refreshUrl: 'https://example.com/onboarding-expired',
    });
    // Visiting the onboarding link is what a member does in the browser; the sandbox's link completes it.
    const onboarding = await fetch(payout.onboardingUrl, { redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    if (onboarding.status >= 400) throw new DemoError(`onboarding at ${payout.onboardingUrl} answered ${onboarding.status}`);
    // Half the members read their notices in Spanish.
    const language = members.length % 2 === 0 ? 'en' : 'es';
    await api('PUT', '/v1/notifications/preferences', memberToken, { language, channels: { email: true }, muteReminders: false });
    members.push({ id, name, token: memberToken });
    console.log(
      `   ${name.padEnd(6)} ${id.padEnd(18)} card ${card.cardBrand ?? '?'} ...${card.cardLast4 ?? '????'}   payout account ${payout.accountId} onboarded`,
    );
  }

  console.log('\n2. A manager creates the pool');
  const manager = `demo-${run}-manager`;
  const managerToken = await token(manager, 'manager');
  let pool = await api<PoolView>('POST', '/v1/pools', managerToken, {
    kind: 'rotating',
    name: `Demo savings circle ${run}`,
    currency: CURRENCY,
    // Weekly rounds on a schedule; the demo runs each one now instead of waiting a week.
    cadence: { type: 'interval', every: 1, unit: 'weeks' },
    membersMin: MEMBER_NAMES.length,
    membersMax: MEMBER_NAMES.length,
    contributionMinor: CONTRIBUTION_MINOR.toString(),
    payoutOrder: 'fixed',
  });
  const poolPath = `/v1/pools/${pool.poolId}`;
  console.log(`   ${pool.poolId} "${pool.config.name}" is ${pool.status}`);
  console.log(`   Temporal Web UI: ${TEMPORAL_UI_URL}/namespaces/default/workflows/${encodeURIComponent(`pool/${pool.poolId}`)}`);

  console.log('\n3. The members accept, each agreeing to be charged off-session for this pool');
  for (const member of members) {
    pool = await api<PoolView>('POST', `${poolPath}/members`, member.token, { agreeToCharges: true });
    console.log(`   ${member.name.padEnd(6)} joined (${pool.members.length}/${pool.config.membersMax})`);
  }

  console.log('\n4. The manager starts the pool');
  pool = await api<PoolView>('POST', `${poolPath}/activate`, managerToken);
  const nameOf = (id: string | null | undefined) => members.find((m) => m.id === id)?.name ?? id ?? 'nobody';
  console.log(`   ${pool.status}: ${pool.roundsPlanned} rounds, payout order ${(pool.payoutOrder ?? []).map(nameOf).join(' -> ')}`);

  console.log('\n5. Rounds (each run now through the pool\'s schedule, as "trigger now" in the Web UI)');
  for (let round = 1; round <= pool.roundsPlanned; round++) {
    const roundStarted = performance.now();
    await api('POST', `${poolPath}/rounds`, managerToken);
    let lastPhase = '';
    let answer: RoundAnswer | undefined;
    const deadline = Date.now() + ROUND_TIMEOUT_MS;
    while (!answer || answer.status !== 'finished') {
      if (Date.now() > deadline)
        throw new DemoError(`round ${round} did not finish within ${ROUND_TIMEOUT_MS / 1000} s; see the pool in the Temporal Web UI and .data/logs/worker.log`);
      await sleep(POLL_INTERVAL_MS);
      answer = await api<RoundAnswer>('GET', `${poolPath}/rounds/${round}`, managerToken).catch((error: unknown) => {
        if (error instanceof DemoError && error.message.includes(' 404 ')) return undefined; // not started yet
        throw error;
      });
      if (answer?.status === 'in-progress' && answer.progress) {
        const paid = answer.progress.members.filter((m) => m.state === 'paid').length;
        const phase = `${answer.progress.phase}, ${paid}/${answer.progress.members.length} paid`;
        if (phase !== lastPhase) console.log(`   round ${round}: ${phase}`);
        lastPhase = phase;
      }
    }
    const paidIn = (answer.contributions ?? []).map((c) => `${nameOf(c.memberId)} ${c.outcome} ${money(c.paidMinor)}`).join(', ');
    const paidOut = (answer.payouts ?? []).map((p) => `${money(p.amountMinor)} to ${nameOf(p.memberId)} (${p.purpose})`).join(', ');
    console.log(
      `   round ${round} finished in ${((performance.now() - roundStarted) / 1000).toFixed(1)} s: pot ${money(answer.potMinor ?? '0')}; ${paidIn}; paid out ${paidOut || 'nothing'}`,
    );
    // The pool hears of the round by a signal; the next round is asked for once it has.
    for (;;) {
      pool = await api<PoolView>('GET', poolPath, managerToken);
      if (pool.roundsCompleted >= round && pool.roundInProgress === null) break;
      if (Date.now() > deadline) throw new DemoError(`the pool did not record round ${round} within ${ROUND_TIMEOUT_MS / 1000} s`);
      await sleep(POLL_INTERVAL_MS);
    }
  }

  console.log(`\n6. The pool is ${pool.status} after ${pool.roundsCompleted} rounds; every member received the pot once:`);
  for (const member of pool.members)
    console.log(`   ${nameOf(member.memberId).padEnd(6)} paid in ${money(member.paidInMinor)}, received: ${member.received ? 'yes' : 'no'}`);

  console.log('\n7. Ledger (double entry; balance = credits - debits)');
  const ledger = await api<Ledger>('GET', `${poolPath}/ledger`, managerToken);
  const label = (account: string) => account.replace(`pool:${pool.poolId}:`, '').replace(/member:([^:]+):/, (_, id: string) => `${nameOf(id)} `);
  for (const balance of ledger.balances) {
    console.log(
      `   ${label(balance.account).padEnd(22)} debits ${money(balance.debitsPostedMinor).padStart(12)}  credits ${money(balance.creditsPostedMinor).padStart(12)}  balance ${money(balance.balanceMinor).padStart(12)}`,
    );
  }
  console.log(
    `   invariants: ${ledger.invariants.balanced ? 'balanced (debits equal credits, every balance matches its postings)' : `VIOLATED ${JSON.stringify(ledger.invariants.violations)}`}`,
  );
  if (!ledger.invariants.balanced) throw new DemoError('the ledger invariants do not hold');
  if (pool.status !== 'completed') throw new DemoError(`the pool ended ${pool.status}, not completed`);

  console.log("\n8. Notices (each member's feed; every email is in the mail catcher's inbox)");
  for (const member of members) {
    const feed = await api<{ items: Array<{ type: string }> }>('GET', '/v1/notifications?limit=100', member.token);
    console.log(`   ${member.name.padEnd(6)} ${feed.items.length} notices: ${[...new Set(feed.items.map((i) => i.type))].reverse().join(', ')}`);
  }
  console.log(`   mail catcher: ${MAIL_CATCHER_URL}`);
  console.log(`\nDone in ${elapsed()}.`);
}

main().catch((error: unknown) => {
  console.error(`\ndemo failed after ${elapsed()}: ${error instanceof DemoError ? error.message : ((error as Error).stack ?? String(error))}`);
  process.exit(1);
});
