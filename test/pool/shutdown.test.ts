/**
 * Closing, joining, disposing and terminating always finish, and everything
 * submitted before close() still runs — also the chunks a map or imap had not
 * sent yet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, PoolTerminatedError, PoolClosedError } from 'forkpool';
import type * as abuse from '../fixtures/abuse/tasks.mjs';
import { fixture, runtime, makePool, localOnly } from '../helpers.ts';

const TASKS = fixture('abuse/tasks.mjs');
const opts = { processes: 2, runtime, logs: 'silent' } as const;

test('mapAsync then close() then join() finishes the whole map (Python\'s map_async; close; join)', async () => {
  const pool = await makePool<typeof abuse>(TASKS, opts);
  const items = Array.from({ length: 2000 }, (_, i) => i);
  const r = pool.mapAsync('quick', items);
  pool.close();
  await pool.join();
  assert.deepEqual(await r, items);
});

test('map then close() before the first result still resolves with every item', async () => {
  const pool = await makePool<typeof abuse>(TASKS, opts);
  const items = Array.from({ length: 500 }, (_, i) => i);
  const p = pool.map('quick', items);
  pool.close();
  assert.deepEqual(await p, items);
  await pool.join();
});

test('await using right after starting a map waits for the map', async () => {
  const items = Array.from({ length: 1000 }, (_, i) => i);
  let p: Promise<number[]>;
  {
    await using pool = await makePool<typeof abuse>(TASKS, opts);
    p = pool.map('quick', items);
  }
  assert.deepEqual(await p!, items);
});

test('an imap started before close() keeps reading its input, and join() lets it finish even if consumed afterwards', async () => {
  const pool = await makePool<typeof abuse>(TASKS, opts);
  const n = 3000; // more than the read-ahead
  const it = pool.imap('quick', (function* () { for (let i = 0; i < n; i++) yield i; })(), { readAhead: 64 });
  const first = await it.next();
  assert.equal(first.value, 0);
  pool.close();
  await pool.join(); // must not wait for the consumer below
  const rest: number[] = [];
  for await (const x of it) rest.push(x as number);
  assert.equal(rest.length, n - 1);
  assert.equal(rest[rest.length - 1], n - 1);
});

test('a journaled map started before close() completes', async (t) => {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'fp-close-'));
  const pool = await makePool<typeof abuse>(TASKS, opts);
  const items = Array.from({ length: 300 }, (_, i) => i);
  const p = pool.map('quick', items, { journal: join(dir, 'j.jsonl') });
  pool.close();
  assert.deepEqual(await p, items);
  await pool.join();
  t.diagnostic(`journal in ${dir}`);
});

test('asyncDispose after applyAsync of a 300 ms task settles once the task is done', async () => {
  let r;
  {
    await using pool = await makePool<typeof abuse>(TASKS, opts);
    r = pool.applyAsync('sleep', [300]);
  }
  assert.equal(await r, 300);
});

test('a new call after close() is refused with PoolClosedError', async () => {
  const pool = await makePool<typeof abuse>(TASKS, opts);
  pool.close();
  await assert.rejects(pool.apply('quick', [1]), PoolClosedError);
  assert.throws(() => pool.imap('quick', [1]), PoolClosedError);
  await pool.join();
});

test('ready() after terminate() rejects with PoolTerminatedError instead of hanging', async () => {
  const pool = await makePool<typeof abuse>(TASKS, opts);
  await pool.terminate();
  await assert.rejects(pool.ready(), PoolTerminatedError);
});

test('maxMemory recycling of fast tasks that each retain 1 MB: the map succeeds and close/join, terminate and asyncDispose all finish', { skip: localOnly('`maxMemory` is a forkpool worker flag (--max-memory), refused beside `backend`') }, async () => {
  const items = Array.from({ length: 600 }, () => 1);
  const memOpts = { ...opts, maxMemory: '120MB' } as const;
  {
    const pool = await makePool<typeof abuse>(TASKS, memOpts);
    const held = await pool.map('retain', items);
    assert.equal(held.length, 600);
    assert.ok(pool.stats().recycled > 0, 'workers were recycled');
    pool.close();
    await pool.join();
  }
  {
    const pool = await makePool<typeof abuse>(TASKS, memOpts);
    await pool.map('retain', items);
    await pool.terminate();
  }
  {
    await using pool = await makePool<typeof abuse>(TASKS, memOpts);
    await pool.map('retain', items);
  }
});
