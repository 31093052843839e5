/** Memory caps: recycling after a task, killing past the hard cap. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Pool, MemoryLimitError } from 'forkpool';
import { fixture, runtime, localOnly } from '../helpers.ts';

const opts = { processes: 2, runtime, logs: 'silent' } as const;
const MEMORY = localOnly('`maxMemory` is a forkpool worker flag (--max-memory), refused beside `backend`');


test('a worker over maxMemory after a task is recycled before its next task; the task itself succeeds', { skip: MEMORY }, async () => {
  await using pool = new Pool(fixture('leak-memory.mjs'), { ...opts, processes: 1, maxMemory: '150MB' });
  const exited = once(pool, 'workerExit');
  assert.equal(await pool.apply('leak', [160]), 20);
  const [info] = await exited;
  assert.equal(info.reason, 'memory');
  assert.equal(await pool.apply('ok', [1]), 1);
  assert.equal(pool.stats().recycled, 1);
  assert.equal(pool.stats().workers[0]!.lastExitReason, 'memory');
});

test('a worker far past its memory cap while a task runs is killed and the task fails with MemoryLimitError', { skip: MEMORY }, async () => {
  await using pool = new Pool(fixture('leak-memory.mjs'), { ...opts, maxMemory: '100MB' });
  const err = await pool.apply('balloon').catch((e) => e);
  assert.ok(err instanceof MemoryLimitError, String(err));
  assert.equal(err.code, 'ERR_FORKPOOL_MEMORY_LIMIT');
  assert.equal(await pool.apply('ok', [2]), 2);
  assert.equal(pool.stats().failed.memory, 1);
});
