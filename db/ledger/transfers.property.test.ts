// Property-based tests of the ledger under concurrency: fast-check generates random sequences of
// transfers (posted, pending then posted or voided, replays with the same or different content,
// overdrafts and invalid requests) that several workers run at once against a few hot accounts of the
// real database. After each run the balances must equal a model built from the accepted operations,
// every idempotency key must have taken effect at most once, and the invariant check must pass.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { parseCurrency } from '../../domain/core/money';
import { testDb, uniqueId } from '../../test/support/env';
import type { TransactionOptions } from '../transaction';
import { ensureAccounts, getBalances } from './accounts';
import type { AccountFloor } from './chart';
import { LedgerConflictError, LedgerFloorError, LedgerTransferNotFoundError, LedgerTransferStateError, LedgerValidationError } from './errors';
import { checkLedgerInvariants } from './invariants';
import type { PostingInput, TransferKind, TransferRequest } from './transfer-request';
import {
  createPendingTransfer,
  getTransfer,
  postPendingTransfer,
  postTransfer,
  type TransferOutcome,
  type TransferState,
  voidPendingTransfer,
} from './transfers';

const WORKERS = 8;
const db = testDb();
after(() => db.end());

const usd = parseCurrency('usd');
/** Hot accounts: every worker's transfers land on these five, so writers collide constantly. */
const ACCOUNTS: [string, AccountFloor][] = [
  ['source', 'none'],
  ['pot-a', 'debits_must_not_exceed_credits'],
  ['pot-b', 'debits_must_not_exceed_credits'],
  ['member', 'credits_must_not_exceed_debits'],
  ['payee', 'debits_must_not_exceed_credits'],
];
/** More than the sum of every amount a run can generate, so debiting it from a floored account must fail. */
const OVERDRAFT_MINOR = 10n ** 15n;

type OpKind = 'post' | 'post3' | 'pending' | 'resolve' | 'replay_same' | 'replay_diff' | 'overdraw' | 'invalid' | 'shared' | 'shared_resolve';
interface Op {
  kind: OpKind;
  a: number;
  b: number;
  c: number;
  amount: number;
}

const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.oneof(
    { arbitrary: fc.constant<OpKind>('post'), weight: 6 },
    { arbitrary: fc.constant<OpKind>('post3'), weight: 2 },
    { arbitrary: fc.constant<OpKind>('pending'), weight: 4 },
    { arbitrary: fc.constant<OpKind>('resolve'), weight: 4 },
    { arbitrary: fc.constant<OpKind>('replay_same'), weight: 2 },
    { arbitrary: fc.constant<OpKind>('replay_diff'), weight: 2 },
    { arbitrary: fc.constant<OpKind>('overdraw'), weight: 1 },
    { arbitrary: fc.constant<OpKind>('invalid'), weight: 1 },
    { arbitrary: fc.constant<OpKind>('shared'), weight: 2 },
    { arbitrary: fc.constant<OpKind>('shared_resolve'), weight: 2 },
  ),
  a: fc.nat({ max: 1000 }),
  b: fc.nat({ max: 1000 }),
  c: fc.nat({ max: 1000 }),
  amount: fc.integer({ min: 1, max: 400 }),
});

/** What the workers observed, gathered from all of them and checked once they are done. */
class Observations {
  readonly created = new Map<string, { kind: TransferKind; postings: PostingInput[] }>();
  readonly resolved = new Map<string, 'posted_from_pending' | 'voided'>();
  readonly transferIds = new Map<string, string>();
  requests = 0;
  refusals = 0;

  record(request: TransferRequest, kind: TransferKind, outcome: TransferOutcome): void {
    this.sameTransfer(request.idempotencyKey, outcome);
    if (outcome.replayed) return;
    assert.ok(!this.created.has(request.idempotencyKey), `"${request.idempotencyKey}" took effect twice`);
    this.created.set(request.idempotencyKey, { kind, postings: request.postings });
  }

  resolve(key: string, target: 'posted_from_pending' | 'voided', outcome: TransferOutcome): void {
    this.sameTransfer(key, outcome);
    assert.equal(outcome.transfer.state, target);
    if (outcome.replayed) return;
    assert.ok(!this.resolved.has(key), `"${key}" was resolved twice`);
    this.resolved.set(key, target);
  }

  private sameTransfer(key: string, outcome: TransferOutcome): void {
    const known = this.transferIds.get(key);
    if (known) assert.equal(outcome.transfer.transferId, known, `"${key}" answered with two different transfers`);
    else this.transferIds.set(key, outcome.transfer.transferId);
  }

  stateOf(key: string): TransferState {
    const created = this.created.get(key)!;
    return created.kind === 'posted' ? 'posted' : (this.resolved.get(key) ?? 'pending');
  }

  /** [debits posted, credits posted, debits pending, credits pending] per account, from accepted operations only. */
  expectedBalances(): Map<string, bigint[]> {
    const balances = new Map<string, bigint[]>();
    for (const [key, { postings }] of this.created) {
      const state = this.stateOf(key);
      if (state === 'voided') continue;
      for (const posting of postings) {
        const row = balances.get(posting.accountKey) ?? [0n, 0n, 0n, 0n];
        row[(state === 'pending' ? 2 : 0) + (posting.direction === 'debit' ? 0 : 1)]! += posting.amountMinor;
        balances.set(posting.accountKey, row);
      }
    }
    return balances;
  }
}

/** A floor may refuse a request whose success depends on the order writers ran in; nothing else may fail. */
const floorRefusal = (error: unknown) => {
  if (error instanceof LedgerFloorError) return 'refused' as const;
  throw error;
};

interface Mine {
  key: string;
  kind: TransferKind;
  request: TransferRequest;
  created: boolean;
  resolvedAs?: 'posted_from_pending' | 'voided';
}

function runWorker(worker: number, ops: Op[], prefix: string, seen: Observations, txOptions: TransactionOptions): Promise<void> {
  const account = (i: number) => `${prefix}:${ACCOUNTS[i % ACCOUNTS.length]![0]}`;
  const move = (from: number, to: number, amountMinor: bigint): PostingInput[] => {
    const target = to % ACCOUNTS.length === from % ACCOUNTS.length ? to + 1 : to;
    return [
      { accountKey: account(from), direction: 'debit', amountMinor },
      { accountKey: account(target), direction: 'credit', amountMinor },
    ];
  };
  // Shared requests are the same for every worker, so that several race on one idempotency key.
  const shared = [
    { kind: 'posted' as const, request: { idempotencyKey: `${prefix}:shared-0`, currency: 'usd', postings: move(0, 1, 50n) } },
    { kind: 'pending' as const, request: { idempotencyKey: `${prefix}:shared-1`, currency: 'usd', postings: move(0, 2, 40n) } },
    { kind: 'pending' as const, request: { idempotencyKey: `${prefix}:shared-2`, currency: 'usd', postings: move(1, 4, 30n) } },
  ];
  const mine: Mine[] = [];
  const submit = (kind: TransferKind, request: TransferRequest) =>
    kind === 'posted' ? postTransfer(db, request, txOptions) : createPendingTransfer(db, request, txOptions);

  /** A new key: it takes effect (and joins the model) or a floor refuses it (and nothing changes). */
  async function fresh(entry: Mine): Promise<void> {
    seen.requests++;
    const outcome = await submit(entry.kind, entry.request).catch(floorRefusal);
    if (outcome === 'refused') {
      seen.refusals++;
      return;
    }
    assert.equal(outcome.replayed, false);
    seen.record(entry.request, entry.kind, outcome);
    entry.created = true;
  }

  async function resolve(key: string, target: 'posted_from_pending' | 'voided'): Promise<TransferOutcome> {
    seen.requests++;
    const outcome = await (target === 'voided' ? voidPendingTransfer : postPendingTransfer)(db, key, txOptions);
    seen.resolve(key, target, outcome);
    return outcome;
  }

  return (async () => {
    for (const [i, op] of ops.entries()) {
      const key = `${prefix}:w${worker}:op${i}`;
      const amount = BigInt(op.amount);
      const earlier = mine.length > 0 ? mine[op.c % mine.length]! : undefined;
      switch (op.kind) {
        case 'post':
        case 'pending': {
          const entry: Mine = {
            key,
            kind: op.kind === 'post' ? 'posted' : 'pending',
            request: { idempotencyKey: key, currency: 'usd', postings: move(op.a, op.b, amount) },
            created: false,
          };
          mine.push(entry);
          await fresh(entry);
          break;
        }
        case 'post3': {
          // One debit split over two credits: a multi-leg transfer.
          const others = [1, 2, 3, 4].map((step) => (op.a + step) % ACCOUNTS.length);
          const postings: PostingInput[] = [
            { accountKey: account(op.a), direction: 'debit', amountMinor: amount + 7n },
            { accountKey: account(others[op.b % 4]!), direction: 'credit', amountMinor: amount },
            { accountKey: account(others[(op.b + 1 + (op.c % 3)) % 4]!), direction: 'credit', amountMinor: 7n },
          ];
          const entry: Mine = { key, kind: 'posted', request: { idempotencyKey: key, currency: 'usd', postings, metadata: { worker, op: i } }, created: false };
          mine.push(entry);
          await fresh(entry);
          break;
        }
        case 'resolve': {
          const pendings = mine.filter((entry) => entry.kind === 'pending' && entry.created);
          const entry = pendings[op.c % Math.max(pendings.length, 1)];
          if (!entry) break;
          const target = op.b % 2 === 0 ? 'posted_from_pending' : 'voided';
          if (entry.resolvedAs === undefined) {
            assert.equal((await resolve(entry.key, target)).replayed, false);
            entry.resolvedAs = target;
          } else if (entry.resolvedAs === target) {
            assert.equal((await resolve(entry.key, target)).replayed, true);
          } else {
            await assert.rejects(resolve(entry.key, target), LedgerTransferStateError);
          }
          break;
        }
        case 'replay_same': {
          if (!earlier) break;
          if (!earlier.created) {
            await fresh(earlier);
            break;
          }
          seen.requests++;
          const outcome = await submit(earlier.kind, earlier.request);
          assert.equal(outcome.replayed, true);
          seen.record(earlier.request, earlier.kind, outcome);
          break;
        }
        case 'replay_diff': {
          if (!earlier) break;
          const changed = { ...earlier.request, postings: earlier.request.postings.map((p) => ({ ...p, amountMinor: p.amountMinor * 2n })) };
          if (earlier.created) {
            seen.requests++;
            await assert.rejects(submit(earlier.kind, changed), LedgerConflictError);
          } else {
            // The key was never consumed, so the changed request is simply a new one.
            earlier.request = changed;
            await fresh(earlier);
          }
          break;
        }
        case 'overdraw': {
          seen.requests++;
          const from = 1 + (op.a % 4); // a floored account
          const postings = ACCOUNTS[from]![1] === 'credits_must_not_exceed_debits' ? move(0, from, OVERDRAFT_MINOR) : move(from, 0, OVERDRAFT_MINOR);
          await assert.rejects(submit(op.b % 2 ? 'posted' : 'pending', { idempotencyKey: key, currency: 'usd', postings }), LedgerFloorError);
          break;
        }
        case 'invalid': {
          seen.requests++;
          // Either balanced but touching the eur account, or all usd but unbalanced.
          const postings: PostingInput[] =
            op.b % 2 === 0
              ? [move(op.a, op.b, amount)[0]!, { accountKey: `${prefix}:eur`, direction: 'credit', amountMinor: amount }]
              : [move(op.a, op.b, amount)[0]!, move(op.a, op.b, amount + 1n)[1]!];
          const request = { idempotencyKey: key, currency: 'usd', postings };
          await assert.rejects(submit('posted', request), LedgerValidationError);
          break;
        }
        case 'shared': {
          const { kind, request } = shared[op.a % shared.length]!;
          seen.requests++;
          const outcome = await submit(kind, request).catch(floorRefusal);
          if (outcome !== 'refused') seen.record(request, kind, outcome);
          break;
        }
        case 'shared_resolve': {
          const { request } = shared[op.a % shared.length]!;
          await resolve(request.idempotencyKey, op.b % 2 === 0 ? 'posted_from_pending' : 'voided').catch((error: unknown) => {
            // Not created yet (or refused), posted at once, or resolved the other way by another worker.
            if (error instanceof LedgerTransferNotFoundError || error instanceof LedgerTransferStateError) return;
            throw error;
          });
          break;
        }
        default:
          throw new Error(`unknown op ${op.kind satisfies never}`);
      }
    }
  })();
}

async function runScenario(workerOps: Op[][], txOptions: TransactionOptions): Promise<Observations> {
  const prefix = uniqueId('prop');
  await ensureAccounts(db, [
    ...ACCOUNTS.map(([name, floor]) => ({ key: `${prefix}:${name}`, currency: usd, floor })),
    { key: `${prefix}:eur`, currency: parseCurrency('eur'), floor: 'none' },
  ]);
  const seen = new Observations();
  await Promise.all(workerOps.map((ops, worker) => runWorker(worker, ops, prefix, seen, txOptions)));

  const keys = ACCOUNTS.map(([name]) => `${prefix}:${name}`);
  const expected = seen.expectedBalances();
  const actual = await getBalances(db, [...keys, `${prefix}:eur`]);
  for (const balance of actual) {
    assert.deepEqual(
      [balance.debitsPostedMinor, balance.creditsPostedMinor, balance.debitsPendingMinor, balance.creditsPendingMinor],
      expected.get(balance.key) ?? [0n, 0n, 0n, 0n],
      `balances of ${balance.key} differ from the model`,
    );
  }
  for (const key of seen.created.keys()) assert.equal((await getTransfer(db, key))?.state, seen.stateOf(key), `state of ${key}`);
  assert.deepEqual(await checkLedgerInvariants(db, { accountPrefix: `${prefix}:` }), []);
  return seen;
}

describe('ledger under concurrent random transfers', () => {
  test('balances match the model, keys take effect once, invariants hold, and serialization retries happen', async (t) => {
    let retries = 0;
    let requests = 0;
    let accepted = 0;
    let refused = 0;
    let runs = 0;
    const txOptions: TransactionOptions = { attemptsMax: 50, onRetry: () => retries++ };
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(opArb, { minLength: 10, maxLength: 40 }), { minLength: WORKERS, maxLength: WORKERS }), async (workerOps) => {
        const seen = await runScenario(workerOps, txOptions);
        requests += seen.requests;
        accepted += seen.created.size + seen.resolved.size;
        refused += seen.refusals;
        runs++;
      }),
      { numRuns: 40 },
    );
    t.diagnostic(
      `${runs} runs, ${requests} ledger requests by ${WORKERS} concurrent workers: ${accepted} took effect, ` +
        `${refused} refused by a floor; ${retries} serialization retries`,
    );
    assert.ok(requests >= 4_000, `only ${requests} requests were made`);
    assert.ok(retries > 0, 'no serialization failure was retried: the contention did not happen');
  });

  test('writers racing on one idempotency key record it exactly once', async () => {
    const prefix = uniqueId('race');
    await ensureAccounts(db, [
      { key: `${prefix}:source`, currency: usd, floor: 'none' },
      { key: `${prefix}:pot`, currency: usd, floor: 'debits_must_not_exceed_credits' },
    ]);
    const request = {
      idempotencyKey: `${prefix}:contribution`,
      currency: 'usd',
      postings: [
        { accountKey: `${prefix}:source`, direction: 'debit' as const, amountMinor: 100n },
        { accountKey: `${prefix}:pot`, direction: 'credit' as const, amountMinor: 100n },
      ],
    };
    const options = { attemptsMax: 50 };
    const outcomes = await Promise.all(Array.from({ length: WORKERS }, () => createPendingTransfer(db, request, options)));
    assert.equal(outcomes.filter((o) => !o.replayed).length, 1);
    assert.equal(new Set(outcomes.map((o) => o.transfer.transferId)).size, 1);

    // Half the writers post it, half void it: exactly one wins, and the losers learn what happened.
    const resolutions = await Promise.allSettled(
      Array.from({ length: WORKERS }, (_, i) => (i % 2 ? postPendingTransfer : voidPendingTransfer)(db, request.idempotencyKey, options)),
    );
    const winners = resolutions.filter((r) => r.status === 'fulfilled' && !r.value.replayed);
    assert.equal(winners.length, 1);
    for (const r of resolutions) if (r.status === 'rejected') assert.ok(r.reason instanceof LedgerTransferStateError);
    const final = (await getTransfer(db, request.idempotencyKey))!.state;
    const [pot] = await getBalances(db, [`${prefix}:pot`]);
    assert.deepEqual([pot!.creditsPostedMinor, pot!.creditsPendingMinor], final === 'voided' ? [0n, 0n] : [100n, 0n]);
    assert.deepEqual(await checkLedgerInvariants(db, { accountPrefix: `${prefix}:` }), []);
  });
});
