/** Chunk sizes, without processes (src/pool/chunking.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TARGET_CHUNK_MS, adaptiveChunksize, defaultMapChunksize, nextPerItemMs } from '../../src/pool/chunking.ts';

test('the CPython default is ceil(n / (4 × processes)), at least 1', () => {
  assert.equal(defaultMapChunksize(0, 4), 1);
  assert.equal(defaultMapChunksize(10, 4), 1);
  assert.equal(defaultMapChunksize(1000, 2), 125);
});

test('the adaptive size aims at TARGET_CHUNK_MS of work, never above the CPython size', () => {
  assert.equal(adaptiveChunksize(TARGET_CHUNK_MS / 100, 1_000_000, 2), 100);
  assert.equal(adaptiveChunksize(0.000001, 80, 2), 10);
  assert.equal(adaptiveChunksize(1000, 1000, 2), 1);
  assert.equal(adaptiveChunksize(0, 1000, 2), 125);
});

test('the per-item estimate falls at once to a cheaper chunk and rises only part of the way toward a dearer one', () => {
  assert.equal(nextPerItemMs(undefined, 0.5), 0.5);
  assert.equal(nextPerItemMs(0.5, 0.1), 0.1);
  // A 5 ms pause in a 7,600-item chunk of 25 ns items: one such chunk no longer shrinks the next ten-fold.
  const cheap = 25e-6;
  const paused = (7600 * cheap + 5) / 7600;
  const after = nextPerItemMs(cheap, paused);
  assert.ok(after < paused / 3, `estimate ${after} ms should stay well under the paused chunk's ${paused} ms`);
  assert.equal(after, cheap + 0.25 * (paused - cheap));
  // A task that really became dearer is followed: within ten chunks the estimate is within 10 % of the new cost.
  let e = 0.01;
  for (let i = 0; i < 10; i++) e = nextPerItemMs(e, 1);
  assert.ok(e > 0.9 && e <= 1, `estimate ${e}`);
});
