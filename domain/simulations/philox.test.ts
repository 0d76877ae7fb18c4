// Philox4x32-10 against the known-answer vectors published with Random123 (kat_vectors), and against a
// plain BigInt transcription of the algorithm for many counters and keys.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { philox4x32 } from './philox';

const hex = (words: Uint32Array) => Array.from(words, (w) => w.toString(16).padStart(8, '0')).join(' ');

// The paper's definition, in BigInt: each round multiplies c0 and c2, swaps and mixes in the key.
function reference(counter: bigint[], key: bigint[]): bigint[] {
  let [c0, c1, c2, c3] = counter as [bigint, bigint, bigint, bigint];
  let [k0, k1] = key as [bigint, bigint];
  const mask = 0xffffffffn;
  for (let round = 0; round < 10; round++) {
    const p0 = 0xd2511f53n * c0;
    const p1 = 0xcd9e8d57n * c2;
    [c0, c1, c2, c3] = [(p1 >> 32n) ^ c1 ^ k0, p1 & mask, (p0 >> 32n) ^ c3 ^ k1, p0 & mask];
    k0 = (k0 + 0x9e3779b9n) & mask;
    k1 = (k1 + 0xbb67ae85n) & mask;
  }
  return [c0, c1, c2, c3];
}

test('Philox4x32-10 reproduces the Random123 known-answer vectors', () => {
  const out = new Uint32Array(4);
  philox4x32(0, 0, 0, 0, 0, 0, out);
  assert.equal(hex(out), '6627e8d5 e169c58d bc57ac4c 9b00dbd8');
  philox4x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, out);
  assert.equal(hex(out), '408f276d 41c83b0e a20bc7c6 6d5451fd');
  philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, out);
  assert.equal(hex(out), 'd16cfe09 94fdcceb 5001e420 24126ea1');
});

test('Philox4x32-10 matches a BigInt transcription for thousands of counters and keys', () => {
  const out = new Uint32Array(4);
  let state = 0x12345678;
  const word = () => (state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0);
  for (let i = 0; i < 2_000; i++) {
    const counter = [word(), word(), word(), word()];
    const key = [word(), word()];
    philox4x32(counter[0]!, counter[1]!, counter[2]!, counter[3]!, key[0]!, key[1]!, out);
    assert.deepEqual(Array.from(out, BigInt), reference(counter.map(BigInt), key.map(BigInt)), `counter ${counter} key ${key}`);
  }
});
