import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, UnknownTaskError, PoolClosedError, InvalidStateError } from 'forkpool';
import type * as basic from '../fixtures/basic.ts';
import { fixture, runtime, makePool, localOnly } from '../helpers.ts';

const opts = { processes: 1, runtime, logs: 'silent' } as const;

test('an unknown task name rejects with UnknownTaskError listing the module\'s exports', async () => {
  await using pool = await makePool(fixture('basic.ts'), opts);
  // Before the workers report their exports, and after.
  const early = pool.apply('nope');
  await assert.rejects(early, (e) => e instanceof UnknownTaskError && /"double"/.test((e as Error).message) && (e as UnknownTaskError).code === 'ERR_FORKPOOL_UNKNOWN_TASK');
  const late = await pool.apply('alsoNope').catch((e) => e);
  assert.ok(late instanceof UnknownTaskError);
  assert.ok(late.exports.includes('double'));
});

test('chunksize below 1 or not an integer is a RangeError naming the value', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  assert.throws(() => pool.map('double', [1], { chunksize: 0 }), { name: 'RangeError', message: 'Expected `chunksize` to be a positive integer, got 0' });
  assert.throws(() => pool.map('double', [1], { chunksize: 1.5 }), RangeError);
  assert.throws(() => pool.imap('double', [1], { chunksize: -1 }), RangeError);
});

test('bad pool options are caught at construction with the option named', { skip: localOnly('checks of local options at construction, before any engine; the backend\'s are in test/cluster/options.test.ts') }, () => {
  assert.throws(() => new Pool(fixture('basic.ts'), { processes: 0 }), { name: 'RangeError', message: /`processes`.*got 0/ });
  assert.throws(() => new Pool(fixture('basic.ts'), { processes: 2.5 }), RangeError);
  assert.throws(() => new Pool(fixture('basic.ts'), { runtime: 'fiber' as never }), { name: 'TypeError', message: /`runtime`.*"fiber"/ });
  assert.throws(() => new Pool(fixture('basic.ts'), { maxMemory: 'lots' }), { name: 'RangeError', message: /`maxMemory`.*"lots"/ });
  assert.throws(() => new Pool(fixture('basic.ts'), { procesess: 2 } as never), { name: 'TypeError', message: /Unknown pool option `procesess`/ });
  assert.throws(() => new Pool(fixture('does-not-exist.mjs')), { name: 'TypeError', message: /does not exist/ });
  assert.throws(() => new Pool(42 as never), TypeError);
});

test('bad call arguments are caught at the call', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  assert.throws(() => pool.applyAsync('' as never), TypeError);
  assert.throws(() => pool.applyAsync('double', 5 as never), { name: 'TypeError', message: /`args`/ });
  assert.throws(() => pool.map('double', 5 as never), { name: 'TypeError', message: /iterable/ });
  assert.throws(() => pool.apply('double', [1], { timeout: 0 }), { name: 'RangeError', message: /`timeout`/ });
  assert.throws(() => pool.starmap('add', [5] as never), TypeError);
});

test('a call after close() rejects with PoolClosedError', async () => {
  const pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  pool.close();
  await assert.rejects(pool.apply('double', [1]), (e) => e instanceof PoolClosedError && (e as PoolClosedError).code === 'ERR_FORKPOOL_POOL_CLOSED');
  await pool.join();
});

test('join() before close() or terminate() is an error, as in Python', async () => {
  const pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  await assert.rejects(pool.join(), InvalidStateError);
  await pool.terminate();
});
