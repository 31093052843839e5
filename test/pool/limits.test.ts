/**
 * Option checks that used to slip through, memory caps on both runtimes,
 * and calls that stop early: nothing left running that nobody wants, and no
 * listener leak on a shared AbortSignal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool, MemoryLimitError, AbortError } from 'forkpool';
import type * as abuse from '../fixtures/abuse/tasks.mjs';
import { fixture, runtime, makePool, localOnly, onRedis } from '../helpers.ts';

const TASKS = fixture('abuse/tasks.mjs');
const opts = { processes: 2, runtime, logs: 'silent' } as const;
const CONSTRUCTION = localOnly('checks of local options at construction, before any engine; the backend\'s are in test/cluster/options.test.ts');

test('maxMemory values that round to nothing, are too small to run a worker, or are beyond exact integers are refused, naming the value', { skip: CONSTRUCTION }, () => {
  for (const maxMemory of [0.5, '0.0000001KB', '1KB', 1024, '99999999999999999999999TB', '12 constructor', Infinity, -1]) {
    assert.throws(() => new Pool(TASKS, { maxMemory }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'ERR_FORKPOOL_INVALID_ARG');
      assert.match(e.message, /maxMemory/);
      assert.ok(e.message.includes(String(maxMemory)), e.message);
      return true;
    });
  }
  const ok = new Pool(TASKS, { maxMemory: '64MB', processes: 1, logs: 'silent' });
  return ok.terminate();
});

test('an initializer name every object inherits (toString, constructor) is refused at construction', { skip: CONSTRUCTION }, () => {
  for (const initializer of ['toString', 'constructor', 'hasOwnProperty', '']) {
    assert.throws(() => new Pool(TASKS, { initializer }), /initializer/);
  }
});

test('off-heap growth (Buffers) past the hard cap during a task fails it with MemoryLimitError, on both runtimes', { skip: localOnly('`maxMemory` / `hardMemoryFactor` are forkpool worker settings, refused beside `backend`') }, async () => {
  const pool = await makePool<typeof abuse>(TASKS, { ...opts, processes: 1, maxMemory: '64MB', hardMemoryFactor: 2 });
  const err = await pool.apply('growBuffersSlowly', [400]).then(() => assert.fail('resolved'), (e) => e);
  assert.ok(err instanceof MemoryLimitError, String(err));
  assert.equal(await pool.apply('quick', [1]), 1);
  await pool.terminate();
});

test('the hard cap blames the task that grew, not one whose result was written before it started but not yet read here', { skip: (runtime === 'thread' && 'a thread reports its own memory, after its results, in order') || localOnly('`maxMemory` is a forkpool worker setting') }, async () => {
  const pool = await makePool<typeof abuse>(TASKS, { ...opts, processes: 1, maxMemory: '64MB', hardMemoryFactor: 2 });
  // Teach the pool this worker is fast, so the batch below goes to it in one message.
  await Promise.all(Array.from({ length: 64 }, (_, i) => pool.apply('quick', [i])));
  const quick = Array.from({ length: 10 }, (_, i) => pool.apply('quick', [i]));
  const grower = pool.apply('growBuffersThenSpin', [250, 3_000]);
  await new Promise((resolve) => setImmediate(resolve)); // the batch is on its way to the worker
  // Keep this process busy while the worker runs the ten (writing their results) and then grows:
  // when this process next turns, the memory sampler's timer comes before the read of those results.
  const end = performance.now() + 1_500;
  while (performance.now() < end) { /* busy */ }
  assert.deepEqual(await Promise.all(quick), Array.from({ length: 10 }, (_, i) => i), 'the ten that finished keep their results');
  assert.ok(await grower.then(() => false, (e) => e instanceof MemoryLimitError), 'the task that grew fails with MemoryLimitError');
  await pool.terminate();
});

test('breaking out of an imap early drops the items read ahead but not started', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'fp-break-')), 'runs.txt');
  const pool = await makePool<typeof abuse>(TASKS, opts);
  const rounds = 10;
  for (let round = 0; round < rounds; round++) {
    const items = (function* () { for (let i = 0; i < 10_000; i++) yield [file, i] as [string, number]; })();
    // 64 items are read ahead; the consumer leaves after the first result.
    for await (const v of pool.imap('countSlow', items, { readAhead: 64 })) { assert.equal(v, 0); break; }
  }
  pool.close();
  await pool.join();
  const runs = readFileSync(file, 'utf8').trim().split('\n').length;
  // Only what had started when the consumer left may run: about one task per worker per round. On the
  // redis backend nodes also run what they fetch while the withdrawal travels through Redis (2–4 tasks
  // per round on a quiet machine, about 10 with the cores saturated): at most a quarter of the read-ahead.
  // Before a fix, every other round there packed its whole read-ahead into one job and ran all 64.
  const bound = rounds * (onRedis ? 16 : 8);
  t.diagnostic(`${rounds} early breaks ran ${runs} tasks`);
  assert.ok(runs <= bound, `${rounds} early breaks ran ${runs} tasks (the read-ahead was ${rounds * 64}, the bound ${bound})`);
});

test('one AbortSignal shared by a large map registers one listener, not one per chunk, and aborting it fails the map with AbortError', async () => {
  const pool = await makePool<typeof abuse>(TASKS, opts);
  const ctl = new AbortController();
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  const items = Array.from({ length: 500 }, () => 5);
  const p = pool.map('sleep', items, { signal: ctl.signal, chunksize: 1 });
  await new Promise((r) => setTimeout(r, 50));
  ctl.abort(new Error('enough'));
  await assert.rejects(p, AbortError);
  await new Promise((r) => setImmediate(r));
  process.off('warning', onWarning);
  assert.deepEqual(warnings.filter((w) => w.name === 'MaxListenersExceededWarning'), []);
  await pool.terminate();
});
