// Philox4x32-10 against the known-answer vectors published with Random123 (kat_vectors), and the
// 32x32→64 high-word helper against BigInt arithmetic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulHi32, philox4x32 } from './philox';

const hex = (words: Uint32Array) => Array.from(words, (w) => w.toString(16).padStart(8, '0')).join(' ');

test('Philox4x32-10 reproduces the Random123 known-answer vectors', () => {
  const out = new Uint32Array(4);
  philox4x32(0, 0, 0, 0, 0, 0, out);
  assert.equal(hex(out), '6627e8d5 e169c58d bc57ac4c 9b00dbd8');
  philox4x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, out);
  assert.equal(hex(out), '408f276d 41c83b0e a20bc7c6 6d5451fd');
  philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, out);
  assert.equal(hex(out), 'd16cfe09 94fdcceb 5001e420 24126ea1');
});

test('mulHi32 is the exact high word of the 64-bit product', () => {
  const samples = [0, 1, 0xffff, 0x10000, 0xd2511f53, 0xcd9e8d57, 0xffffffff, 0x80000000, 0x12345678];
  for (const a of samples) {
    for (const b of samples) {
      assert.equal(mulHi32(a, b), Number((BigInt(a) * BigInt(b)) >> 32n), `${a} * ${b}`);
    }
  }
});
