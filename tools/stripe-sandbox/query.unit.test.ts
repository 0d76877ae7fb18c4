// The pure parts: Stripe's form encoding decoded into nested parameters, parameter fingerprints, and
// the search query subset the sandbox understands (and what it refuses).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StripeHttpError } from './errors';
import { decodeParams, fingerprint } from './params';
import { matchesSearch, parseSearchQuery } from './search';

test('decodeParams: brackets nest, indices and [] make arrays, plain keys stay strings', () => {
  const params = decodeParams(
    new URLSearchParams('amount=100&metadata[pool]=p1&metadata[round]=2&expand[1]=b&expand[0]=a&tags[]=x&tags[]=y&capabilities[transfers][requested]=true'),
  );
  assert.deepEqual(params, {
    amount: '100',
    metadata: { pool: 'p1', round: '2' },
    expand: ['a', 'b'],
    tags: ['x', 'y'],
    capabilities: { transfers: { requested: 'true' } },
  });
});

test('fingerprint: equal parameters in any order match; any difference does not', () => {
  const a = decodeParams(new URLSearchParams('amount=100&metadata[a]=1&metadata[b]=2'));
  const b = decodeParams(new URLSearchParams('metadata[b]=2&amount=100&metadata[a]=1'));
  const c = decodeParams(new URLSearchParams('amount=100&metadata[a]=1&metadata[b]=3'));
  assert.equal(fingerprint(a), fingerprint(b));
  assert.notEqual(fingerprint(a), fingerprint(c));
  assert.notEqual(fingerprint({ x: ['1', '2'] }), fingerprint({ x: { 0: '1', 1: '2' } }));
});

test('parseSearchQuery: metadata and field clauses joined by AND, in either quote style', () => {
  assert.deepEqual(parseSearchQuery(`metadata['pool']:'p 1' AND status:"succeeded" and amount:2500`, ['status', 'amount']), [
    { field: 'metadata', metadataKey: 'pool', value: 'p 1' },
    { field: 'status', value: 'succeeded' },
    { field: 'amount', value: '2500' },
  ]);
  assert.deepEqual(parseSearchQuery(`metadata['it\\'s']:'a\\'b'`, []), [{ field: 'metadata', metadataKey: "it's", value: "a'b" }]);
});

test('parseSearchQuery refuses what it does not understand with a 400 naming the query parameter', () => {
  for (const query of ['', `status:'x' OR status:'y'`, `amount>100`, `unknown:'x'`, `status:'x' status:'y'`, `status:x`]) {
    assert.throws(
      () => parseSearchQuery(query, ['status', 'amount']),
      (error: unknown) => error instanceof StripeHttpError && error.status === 400 && error.error.param === 'query',
      query,
    );
  }
});

test('matchesSearch: exact, case-insensitive, every clause must hold', () => {
  const intent = { status: 'succeeded', amount: 2500, metadata: { pool: 'P1' } };
  assert.equal(matchesSearch(intent, parseSearchQuery(`metadata['pool']:'p1' AND amount:2500`, ['amount'])), true);
  assert.equal(matchesSearch(intent, parseSearchQuery(`metadata['pool']:'p1' AND status:'processing'`, ['status'])), false);
  assert.equal(matchesSearch(intent, parseSearchQuery(`metadata['round']:'1'`, [])), false);
  assert.equal(matchesSearch(intent, parseSearchQuery(`metadata['pool']:'p'`, [])), false);
});
