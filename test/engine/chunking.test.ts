/** Chunk sizes, without processes (src/pool/chunking.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TARGET_CHUNK_MS, adaptiveChunksize, defaultMapChunksize } from '../../src/pool/chunking.ts';

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
