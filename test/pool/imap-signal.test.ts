/**
 * imap, imapUnordered and imapSettled with an AbortSignal. An abort ends the
 * loop at once with AbortError, even when the input has stalled and no task
 * is outstanding (only a task used to notice the signal), stops reading the
 * input, and lets join() return.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { AbortError } from 'forkpool';
import type * as basic from '../fixtures/basic.ts';
import { fixture, runtime, makePool } from '../helpers.ts';

const opts = { processes: 2, runtime, logs: 'silent' } as const;

/** Yields `n` items, then waits for an item that never comes (a stalled socket, a slow producer). */
async function* stallsAfter(n: number, read: { count: number }): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) { read.count++; yield i; }
  await new Promise(() => {});
}

/** An endless input that counts what was read from it. */
function* endless(read: { count: number }): Generator<number> {
  for (let i = 0; ; i++) { read.count++; yield i; }
}

for (const method of ['imap', 'imapUnordered', 'imapSettled'] as const) {
  test(`${method}: aborting while the input has stalled ends the loop with AbortError, and join() returns`, async () => {
    const pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
    const ctl = new AbortController();
    const read = { count: 0 };
    const seen: unknown[] = [];
    const loop = (async () => {
      for await (const r of pool[method]('double', stallsAfter(3, read), { signal: ctl.signal })) {
        seen.push(r);
        if (seen.length === 3) setTimeout(() => ctl.abort(new Error('enough')), 20);
      }
    })();
    await assert.rejects(loop, (e: Error) => e instanceof AbortError && (e.cause as Error).message === 'enough');
    assert.equal(seen.length, 3);
    pool.close();
    await pool.join();
  });

  test(`${method}: aborting mid-run stops reading an endless input and throws AbortError once`, async () => {
    await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
    const ctl = new AbortController();
    const read = { count: 0 };
    let yielded = 0;
    const it = pool[method]('double', endless(read), { signal: ctl.signal, chunksize: 1 });
    await assert.rejects((async () => {
      for await (const _ of it) if (++yielded === 50) ctl.abort();
    })(), AbortError);
    const readAtAbort = read.count;
    // Before the fix imapSettled went on reading, one AbortError per item, forever.
    assert.ok(readAtAbort < 50 + 1000, `${readAtAbort} items read from the input`);
    assert.deepEqual(await it.next(), { done: true, value: undefined });
    assert.equal(read.count, readAtAbort);
  });

  test(`${method}: a signal aborted before the call throws AbortError without reading the input`, async () => {
    await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
    const read = { count: 0 };
    const it = pool[method]('double', endless(read), { signal: AbortSignal.abort(new Error('before')) });
    await assert.rejects(it.next(), (e: Error) => e instanceof AbortError && (e.cause as Error).message === 'before');
    assert.equal(read.count, 0);
  });
}

/** Two items, then a wait that never ends; its return() throws at once (user code with a bug). */
function stallingInputWhoseReturnThrows(): AsyncIterableIterator<number> {
  let n = 0;
  return {
    next: () => (n < 2 ? Promise.resolve({ done: false, value: n++ }) : new Promise(() => {})),
    return: () => { throw new Error('return boom'); },
    [Symbol.asyncIterator]() { return this; },
  };
}

test('an input whose return() throws at once: an abort still ends the loop with AbortError, and nothing is thrown elsewhere', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const stray: unknown[] = [];
  const onStray = (e: unknown) => stray.push(e);
  process.on('uncaughtException', onStray);
  try {
    const ctl = new AbortController();
    const seen: number[] = [];
    const loop = (async () => {
      for await (const v of pool.imap('double', stallingInputWhoseReturnThrows(), { signal: ctl.signal })) {
        seen.push(v);
        if (seen.length === 2) setTimeout(() => ctl.abort(), 20);
      }
    })();
    await assert.rejects(loop, AbortError);
    // Already aborted: the call returns an iterator whose first step throws AbortError.
    const it = pool.imapSettled('double', stallingInputWhoseReturnThrows(), { signal: AbortSignal.abort() });
    await assert.rejects(it.next(), AbortError);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(stray, []);
  } finally {
    process.off('uncaughtException', onStray);
  }
});

test('a long-lived signal collects no abort listeners from finished imaps', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const ctl = new AbortController();
  for (let i = 0; i < 20; i++) {
    const out: number[] = [];
    for await (const v of pool.imap('double', [1, 2, 3], { signal: ctl.signal })) out.push(v);
    assert.deepEqual(out, [2, 4, 6]);
  }
  // A loop left early (break) lets go of the signal too.
  for await (const _ of pool.imapSettled('double', [1, 2, 3], { signal: ctl.signal })) break;
  assert.equal(getEventListeners(ctl.signal, 'abort').length, 0);
});
