// Threefry4x32-20 against the known-answer vectors published with Random123 (tests/kat_vectors), and
// against a plain transcription of the paper's definition (any number of rounds) for many counters and keys.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PathStream } from './stream';
import { THREEFRY_PARITY, threefry4x32, threefryKeySchedule } from './threefry';

const hex = (words: ArrayLike<number>) => Array.from(words, (w) => (w >>> 0).toString(16).padStart(8, '0')).join(' ');
const words = (text: string) => text.split(' ').map((w) => Number.parseInt(w, 16));

const ROTATIONS = [
  [10, 26],
  [11, 21],
  [13, 27],
  [23, 5],
  [6, 20],
  [17, 11],
  [25, 10],
  [18, 20],
] as const;

// The definition, round by round: two add-rotate-xor mixes per round, a key injection after every fourth.
function reference(counter: number[], key: number[], rounds: number): number[] {
  const ks = [...key, key.reduce((a, b) => a ^ b, THREEFRY_PARITY)].map((k) => k >>> 0);
  const x = counter.map((c, i) => (c + ks[i]!) >>> 0);
  const rotl = (v: number, r: number) => ((v << r) | (v >>> (32 - r))) >>> 0;
  for (let round = 0; round < rounds; round++) {
    const [r0, r1] = ROTATIONS[round % 8]!;
    const [a, b, c, d] = round % 2 === 0 ? [0, 1, 2, 3] : [0, 3, 2, 1];
    x[a] = (x[a]! + x[b]!) >>> 0;
    x[b] = rotl(x[b]!, r0) ^ x[a]!;
    x[c] = (x[c]! + x[d]!) >>> 0;
    x[d] = rotl(x[d]!, r1) ^ x[c]!;
    if (round % 4 === 3) {
      const s = (round + 1) / 4;
      for (let i = 0; i < 4; i++) x[i] = (x[i]! + ks[(s + i) % 5]!) >>> 0;
      x[3] = (x[3]! + s) >>> 0;
    }
  }
  return x.map((v) => v >>> 0);
}

// Random123 tests/kat_vectors: rounds, counter, key, expected.
const KAT: Array<[number, string, string, string]> = [
  [13, '00000000 00000000 00000000 00000000', '00000000 00000000 00000000 00000000', '531c7e4f 39491ee5 2c855a92 3d6abf9a'],
  [13, 'ffffffff ffffffff ffffffff ffffffff', 'ffffffff ffffffff ffffffff ffffffff', 'c4189358 1c9cc83a d5881c67 6a0a89e0'],
  [13, '243f6a88 85a308d3 13198a2e 03707344', 'a4093822 299f31d0 082efa98 ec4e6c89', '4aa71d8f 734738c2 431fc6a8 ae6debf1'],
  [20, '00000000 00000000 00000000 00000000', '00000000 00000000 00000000 00000000', '9c6ca96a e17eae66 fc10ecd4 5256a7d8'],
  [20, 'ffffffff ffffffff ffffffff ffffffff', 'ffffffff ffffffff ffffffff ffffffff', '2a881696 57012287 f6c7446e a16a6732'],
  [20, '243f6a88 85a308d3 13198a2e 03707344', 'a4093822 299f31d0 082efa98 ec4e6c89', '59cd1dbb b8879579 86b5d00c ac8b6d84'],
  [72, '00000000 00000000 00000000 00000000', '00000000 00000000 00000000 00000000', '93171da6 9220326d b392b7b1 ff58a002'],
  [72, '243f6a88 85a308d3 13198a2e 03707344', 'a4093822 299f31d0 082efa98 ec4e6c89', '09930adf 7f27bd55 9ed68ce1 97f803f6'],
];

test('the transcription of the definition reproduces the Random123 known-answer vectors at 13, 20 and 72 rounds', () => {
  for (const [rounds, counter, key, expected] of KAT)
    assert.equal(hex(reference(words(counter), words(key), rounds)), expected, `${rounds} rounds, counter ${counter}`);
});

test('Threefry4x32-20 reproduces the Random123 known-answer vectors', () => {
  const ks = new Uint32Array(5);
  const out = new Uint32Array(4);
  for (const [rounds, counter, key, expected] of KAT.filter(([rounds]) => rounds === 20)) {
    const [c0, c1, c2, c3] = words(counter) as [number, number, number, number];
    const [k0, k1, k2, k3] = words(key) as [number, number, number, number];
    threefryKeySchedule(k0, k1, k2, k3, ks);
    threefry4x32(c0, c1, c2, c3, ks, out);
    assert.equal(hex(out), expected, `${rounds} rounds, counter ${counter}`);
  }
});

test('Threefry4x32-20 matches the transcription for thousands of counters and keys, into any offset', () => {
  const ks = new Uint32Array(5);
  const out = new Uint32Array(8);
  let state = 0x12345678;
  const word = () => (state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0);
  for (let i = 0; i < 2_000; i++) {
    const counter = [word(), word(), word(), word()];
    const key = [word(), word(), word(), word()];
    threefryKeySchedule(key[0]!, key[1]!, key[2]!, key[3]!, ks);
    threefry4x32(counter[0]!, counter[1]!, counter[2]!, counter[3]!, ks, out, 4 * (i % 2));
    assert.deepEqual(Array.from(out.subarray(4 * (i % 2), 4 * (i % 2) + 4)), reference(counter, key, 20), `counter ${hex(counter)} key ${hex(key)}`);
  }
});

test('a path stream reads the blocks (k, path low word, path high word, 0) under the key (seed low word, seed high word, 0, 0)', () => {
  const seed = 2 ** 40 + 12_345; // both key words in use
  const path = 2 ** 33 + 7; // both counter words in use
  const stream = new PathStream(seed);
  stream.startPath(path);
  const drawn = Array.from({ length: 12 }, () => stream.nextUint32());
  const expected = [0, 1, 2].flatMap((block) =>
    reference([block, path % 2 ** 32, Math.floor(path / 2 ** 32), 0], [seed % 2 ** 32, Math.floor(seed / 2 ** 32), 0, 0], 20),
  );
  assert.deepEqual(drawn, expected);
});
