/**
 * imap, imapUnordered and imapSettled when the pool ends under them
 * (terminate(), or a pool that breaks) while their input has stalled. With no
 * task outstanding nothing used to tell the loop: it waited forever for an
 * input that might never yield again. Now the loop reads what already
 * finished, then throws the pool's error, and the input is asked to clean up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PoolBrokenError, PoolTerminatedError } from 'forkpool';
import type * as basic from '../fixtures/basic.ts';
import { fixture, runtime, makePool, localOnly } from '../helpers.ts';

const opts = { processes: 2, runtime, logs: 'silent' } as const;

/** Yields `n` items, then waits for one that never comes; records whether it was asked to clean up. */
function stallsAfter(n: number, state: { returned: boolean }): AsyncIterable<number> {
  return {
    [Symbol.asyncIterator]() {
      let i = 0;
      return {
        next: () => (i < n ? Promise.resolve({ done: false, value: i++ }) : new Promise(() => {})),
        return: () => { state.returned = true; return Promise.resolve({ done: true, value: undefined }); },
      };
    },
  };
}

/** Settles with what the loop did, or 'still waiting' after `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T | 'still waiting'> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<'still waiting'>((r) => { timer = setTimeout(() => r('still waiting'), ms); })]).finally(() => clearTimeout(timer));
}

for (const method of ['imap', 'imapUnordered', 'imapSettled'] as const) {
  test(`${method}: terminate() while the input has stalled ends the loop with PoolTerminatedError`, async () => {
    const pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
    const state = { returned: false };
    const seen: unknown[] = [];
    const loop = (async () => {
      for await (const r of pool[method]('double', stallsAfter(3, state))) seen.push(method === 'imapSettled' ? (r as { value: unknown }).value : r);
    })().then(() => 'ended as done', (e: unknown) => e);
    // Every item the input gave has come back; the loop now waits for the input.
    while (seen.length < 3) await new Promise((r) => setTimeout(r, 10));
    await pool.terminate();
    const outcome = await within(loop, 5000);
    // Before: 'still waiting' (the loop hung for good).
    assert.ok(outcome instanceof PoolTerminatedError, String(outcome));
    assert.deepEqual([...seen].sort(), [0, 2, 4]);
    assert.equal(state.returned, true, 'the input was asked to clean up');
  });

  test(`${method}: close(), then terminate() while join() waits for a stalled input`, async () => {
    const pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
    const state = { returned: false };
    let seen = 0;
    const loop = (async () => {
      for await (const _ of pool[method]('double', stallsAfter(2, state))) seen++;
    })().then(() => 'ended as done', (e: unknown) => e);
    while (seen < 2) await new Promise((r) => setTimeout(r, 10));
    pool.close();
    // join() waits for the imap to read its input (as Python's does); the input never ends.
    assert.equal(await within(pool.join().then(() => 'joined'), 300), 'still waiting');
    await pool.terminate();
    const outcome = await within(loop, 5000);
    assert.ok(outcome instanceof PoolTerminatedError, String(outcome));
    assert.equal(await within(pool.join().then(() => 'joined'), 5000), 'joined');
  });
}

test('imapSettled: results that finished before terminate() are still read, then the loop ends with PoolTerminatedError', async () => {
  const pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const state = { returned: false };
  const it = pool.imapSettled('double', stallsAfter(3, state), { chunksize: 1 });
  const first = await it.next();
  assert.equal(first.done, false);
  // The other two come back unread: terminate() must not drop them.
  while (pool.stats().completed < 3) await new Promise((r) => setTimeout(r, 10));
  await pool.terminate();
  const rest: unknown[] = [];
  await assert.rejects((async () => { for await (const r of it) rest.push(r.ok ? r.value : r.error); })(), PoolTerminatedError);
  const all = [(first.value as { value: number }).value, ...rest as number[]].sort();
  assert.deepEqual(all, [0, 2, 4]);
  assert.deepEqual(await it.next(), { done: true, value: undefined });
});

test('imap: a pool that breaks while the input has stalled ends the loop with PoolBrokenError', { skip: localOnly('breaks the pool by making its local workers fail to start') }, async () => {
  // Workers that cannot start (their module throws on import) break the pool
  // after maxStartFailures; the loop's input stalls at once.
  const pool = await makePool(fixture('throws-on-import.mjs'), { ...opts, maxStartFailures: 2 });
  const state = { returned: false };
  const loop = (async () => {
    for await (const _ of pool.imap('anything', stallsAfter(0, state))) { /* nothing comes */ }
  })().then(() => 'ended as done', (e: unknown) => e);
  const outcome = await within(loop, 20_000);
  assert.ok(outcome instanceof PoolBrokenError, String(outcome));
  assert.equal(state.returned, true);
  await pool.terminate();
});

test('a journaled imapSettled whose pool breaks before anything ran: PoolBrokenError, and no journal is left behind', { skip: localOnly('breaks the pool by making its local workers fail to start') }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fp-imap-end-'));
  const pool = await makePool(fixture('throws-on-import.mjs'), { ...opts, maxStartFailures: 2 });
  const state = { returned: false };
  const loop = (async () => {
    for await (const _ of pool.imapSettled('anything', stallsAfter(0, state), { journal: join(dir, 'run.journal') })) { /* nothing comes */ }
  })().then(() => 'ended as done', (e: unknown) => e);
  const outcome = await within(loop, 20_000);
  assert.ok(outcome instanceof PoolBrokenError, String(outcome));
  // Nothing ran, so the fresh journal is not put in place: a rerun starts clean instead of being refused as a resume.
  assert.deepEqual(readdirSync(dir), []);
  await pool.terminate();
});

test('imapSettled whose whole input was read: terminate() yields every item (the unfinished ones as PoolTerminatedError), then the loop ends', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const outcomes: Array<[number, string]> = [];
  for await (const s of pool.imapSettled('slowDouble', [[1, 10], [2, 10], [3, 5_000], [4, 5_000], [5, 5_000]], { chunksize: 1, spread: true })) {
    outcomes.push([s.index, s.ok ? 'ok' : (s.error as Error).name]);
    if (outcomes.length === 2) void pool.terminate();
  }
  assert.deepEqual(outcomes.sort((a, b) => a[0] - b[0]), [[0, 'ok'], [1, 'ok'], [2, 'PoolTerminatedError'], [3, 'PoolTerminatedError'], [4, 'PoolTerminatedError']]);
});
