/**
 * Transfer lists and MessagePort arguments: under the thread runtime a call's
 * `transfer` moves its ArrayBuffers (the sender's are detached) and its
 * ports (usable in the task), and `move()` moves a result back; under the
 * process runtime the same calls work with copies, and a port is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { MessageChannel } from 'node:worker_threads';
import { DataCloneError, Pool } from 'forkpool';
import type * as tasks from '../fixtures/transfer.mjs';
import { fixture, isThread, runtime, makePool } from '../helpers.ts';

const TASKS = fixture('transfer.mjs');
const opts = { processes: 1, runtime, logs: 'silent' } as const;

function pattern(n: number): ArrayBuffer {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = i % 251;
  return bytes.buffer;
}
const patternSum = (n: number) => Array.from({ length: n }, (_, i) => i % 251).reduce((a, b) => a + b, 0);

test(`an ArrayBuffer in \`transfer\` arrives whole; the sender's copy is ${isThread ? 'detached (moved)' : 'kept (copied)'}`, async () => {
  await using pool = await makePool<typeof tasks>(TASKS, opts);
  const n = 1 << 20;
  const buf = pattern(n);
  const r = await pool.apply('byteSum', [buf], { transfer: [buf] });
  assert.deepEqual(r, { sum: patternSum(n), byteLength: n });
  assert.equal(buf.byteLength, isThread ? 0 : n);
  // applyAsync takes it too.
  const again = pattern(1000);
  assert.deepEqual(await pool.applyAsync('byteSum', [again], { transfer: [again] }), { sum: patternSum(1000), byteLength: 1000 });
  assert.equal(again.byteLength, isThread ? 0 : 1000);
});

test('a result returned with move() arrives intact, for apply and for every map item', async () => {
  await using pool = await makePool<typeof tasks>(TASKS, opts);
  const bytes = await pool.apply('makeBytes', [100_000]);
  assert.ok(bytes instanceof Uint8Array);
  assert.deepEqual(bytes, new Uint8Array(pattern(100_000)));
  const list = await pool.map('makeBytes', [1, 2, 3, 300], { chunksize: 4 });
  assert.deepEqual(list.map((b) => b.length), [1, 2, 3, 300]);
  assert.deepEqual(list[3], new Uint8Array(pattern(300)));
});

test(isThread ? 'a MessagePort in `transfer` arrives usable: the task answers through it'
  : 'a MessagePort fails the call with DataCloneError: ports only cross between threads', async () => {
  await using pool = await makePool<typeof tasks>(TASKS, opts);
  const { port1, port2 } = new MessageChannel();
  try {
    if (isThread) {
      const answer = once(port1, 'message');
      assert.equal(await pool.apply('ping', [port2, 'hi'], { transfer: [port2] }), 'sent');
      assert.deepEqual(await answer, ['pong:hi']);
    } else {
      // One call at a time: a second call already rejected while the first is awaited would be an unhandled rejection.
      for (const call of [
        () => pool.apply('ping', [port2, 'hi'], { transfer: [port2] }),
        () => pool.apply('ping', [port2, 'hi']), // in the arguments only
      ]) {
        const err = await call().then(() => assert.fail('resolved'), (e: unknown) => e);
        assert.ok(err instanceof DataCloneError, String(err));
        assert.match(err.message, /between processes: a MessagePort only crosses between threads/);
      }
      // The pool goes on.
      assert.equal(await pool.apply('count', ['/dev/null', 1]), 1);
    }
  } finally {
    port1.close();
  }
});

test('`transfer` is checked at the call: ArrayBuffers and MessagePorts only, single calls only', () => {
  const pool = new Pool<typeof tasks>(TASKS, opts);
  try {
    const view = new Uint8Array(4);
    // @ts-expect-error — a view is not transferable: its .buffer is
    assert.throws(() => pool.apply('byteSum', [view.buffer], { transfer: [view] }), { code: 'ERR_FORKPOOL_INVALID_ARG', message: /list its `\.buffer`/ });
    // @ts-expect-error — not an array
    assert.throws(() => pool.apply('byteSum', [view.buffer], { transfer: view.buffer }), { code: 'ERR_FORKPOOL_INVALID_ARG' });
    assert.throws(() => pool.map('makeBytes', [1], { transfer: [view.buffer] } as object), { code: 'ERR_FORKPOOL_INVALID_ARG', message: /apply and applyAsync only/ });
  } finally {
    void pool.terminate();
  }
});
