/**
 * The chaos suite: thousands of tasks with real faults mixed in, under each
 * runtime. Every task must settle with the right outcome, and the pool must
 * come out of it usable, with no worker left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Pool, WorkerCrashedError, TaskTimeoutError, MemoryLimitError, CallbackError, type AsyncResult,
} from 'forkpool';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executions, fixture, runtime, isThread, pidAlive } from '../helpers.ts';
import { faultPlan } from './fault-plan.ts';

const TASKS = 5000;
const MIX = { kill: 0.02, exit: 0.01, throw: 0.01, hang: 0.01, oom: 0.01 } as const;
const HANG_TIMEOUT_MS = 300;
/** Crashes are retried once: each crashing task runs twice, every other task exactly once. */
const RETRIES = 1;

test(`chaos: ${TASKS} tasks with random kills, exits, throws, hangs and memory blow-ups all settle correctly (${runtime})`, async () => {
  const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 100000);
  const kinds = faultPlan(seed, TASKS, MIX);
  const pool = new Pool(fixture('chaos.mjs'), { processes: 2, runtime, logs: 'silent', maxMemory: '64MB', retries: RETRIES });
  const runs = join(mkdtempSync(join(tmpdir(), 'fp-chaos-')), 'runs.txt');
  const pids = new Set<number>();
  pool.on('workerStart', ({ pid }) => { if (pid !== undefined) pids.add(pid); });
  let callbacks = 0;
  const results: Array<AsyncResult<number>> = kinds.map((kind, i) =>
    pool.applyAsync('fault', [kind, i, runtime, runs], {
      // Hangs get a short timeout; the memory blow-ups get room to reach the cap.
      timeout: kind === 'hang' ? HANG_TIMEOUT_MS : 60_000,
      // Every 10th healthy result's callback throws: that must not break the pool.
      callback: (v: number) => { callbacks++; if (i % 10 === 0) throw new Error(`callback ${v}`); },
    }));
  const outcomes = await Promise.allSettled(results.map((r) => r.get()));
  const tally: Record<string, number> = {};
  outcomes.forEach((o, i) => {
    const kind = kinds[i]!;
    tally[kind] = (tally[kind] ?? 0) + 1;
    const why = `task ${i} (${kind}, seed ${seed})`;
    if (kind === 'ok') {
      if (i % 10 === 0) {
        assert.equal(o.status, 'rejected', why);
        assert.ok((o as PromiseRejectedResult).reason instanceof CallbackError, why);
      } else {
        assert.deepEqual(o, { status: 'fulfilled', value: i * 2 }, why);
      }
      return;
    }
    assert.equal(o.status, 'rejected', why);
    const err = (o as PromiseRejectedResult).reason;
    switch (kind) {
      case 'kill':
        assert.ok(err instanceof WorkerCrashedError, `${why}: ${err}`);
        if (isThread) assert.equal(err.exitCode, 137, why);
        else assert.equal(err.signal, 'SIGKILL', why);
        break;
      case 'exit':
        assert.ok(err instanceof WorkerCrashedError, `${why}: ${err}`);
        assert.equal(err.exitCode, 7, why);
        break;
      case 'throw':
        assert.equal(err.message, `thrown by ${i}`, why);
        break;
      case 'hang':
        assert.ok(err instanceof TaskTimeoutError, `${why}: ${err}`);
        break;
      case 'oom':
        assert.ok(err instanceof MemoryLimitError, `${why}: ${err}`);
        break;
    }
  });
  assert.equal(outcomes.length, TASKS, 'every task settled');

  // Executions, as the tasks themselves recorded them: an innocent task runs
  // exactly once, a crashing one at most 1 + retries times.
  const executed = executions(runs);
  kinds.forEach((kind, i) => {
    const n = executed.get(i) ?? 0;
    const why = `task ${i} (${kind}, seed ${seed}) ran ${n} times`;
    if (kind === 'kill' || kind === 'exit') assert.equal(n, 1 + RETRIES, why);
    // A memory blow-up is the pool's verdict, as a hang's timeout is: never retried.
    else assert.equal(n, 1, why);
  });
  assert.equal(callbacks, tally.ok, 'each healthy result ran its callback exactly once');

  // Still usable afterwards.
  assert.deepEqual(
    await pool.starmap('fault', Array.from({ length: 100 }, (_, i) => ['ok', i, runtime])),
    Array.from({ length: 100 }, (_, i) => i * 2),
  );
  const s = pool.stats();
  const faults = TASKS - (tally.ok ?? 0);
  console.log(`chaos ${runtime} seed=${seed}: ${TASKS} tasks, ${faults} faults ${JSON.stringify(tally)}; stats ${JSON.stringify({ completed: s.completed, failed: s.failed })}; ${pids.size} worker processes`);
  pool.close();
  await pool.join();
  if (!isThread) {
    const alive = [...pids].filter(pidAlive);
    assert.deepEqual(alive, [], 'no worker process outlives join()');
  }
});
